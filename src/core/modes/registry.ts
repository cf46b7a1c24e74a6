/**
 * THE list of output modes: one line per mode, `id: defineMode(META, () => import('./<id>/run.js'))`. Everything
 * else — the CLI's modes and flags, the page's mode choice and option form, output names, batch, the README's
 * option list — is derived from here. The engines load on first use, so the page can import this module (for the
 * metas) without bundling a quantizer.
 */
import type { ModelView } from '../onnx/model.js';
import { FP16_META } from './fp16/meta.js';
import { INT8_META } from './int8/meta.js';
import { Q4_META } from './q4/meta.js';
import { Q4F16_META } from './q4f16/meta.js';
import type { ModeMeta, ModeOutput, ModeProgress, ModeReportBase, ModeRun } from './types.js';

/** A mode's meta and a `run` that loads its engine on first use. */
function defineMode<const Id extends string, O, R extends ModeReportBase<Id>>(meta: ModeMeta<Id>, load: () => Promise<{ run: ModeRun<O, R> }>) {
  let loaded: Promise<ModeRun<O, R>> | null = null;
  const run = async (model: ModelView, options: O, onProgress?: (p: ModeProgress) => void, signal?: AbortSignal): Promise<ModeOutput<R>> => {
    loaded ??= load().then((m) => m.run);
    return (await loaded)(model, options, onProgress, signal);
  };
  return { meta, run };
}

export const MODES = {
  int8: defineMode(INT8_META, () => import('./int8/run.js')),
  fp16: defineMode(FP16_META, () => import('./fp16/run.js')),
  q4: defineMode(Q4_META, () => import('./q4/run.js')),
  q4f16: defineMode(Q4F16_META, () => import('./q4f16/run.js')),
};

export type ModeId = keyof typeof MODES;
/** The mode ids in the registry's order (the page's radio buttons, the CLI's `int8|fp16`). */
export const MODE_IDS = Object.keys(MODES) as ModeId[];

type Entry<K extends ModeId> = (typeof MODES)[K];
/** The options a mode's run takes. */
export type OptionsOf<K extends ModeId> = Parameters<Entry<K>['run']>[1];
/** A mode's report: the shared base plus its extras. */
export type ReportOf<K extends ModeId> = Awaited<ReturnType<Entry<K>['run']>>['report'];

/** What to do: a mode and its options. */
export type ModeRequest = { [K in ModeId]: { mode: K; options: OptionsOf<K> } }[ModeId];
/** Any mode's report (discriminated by `mode`). */
export type ModeReport = { [K in ModeId]: ReportOf<K> }[ModeId];

export function isModeId(s: string): s is ModeId {
  return Object.prototype.hasOwnProperty.call(MODES, s);
}

/** The meta of a mode. */
export function modeMeta(id: ModeId): ModeMeta<ModeId> {
  return MODES[id].meta;
}

/** Every mode's meta, in order. */
export const MODE_METAS: readonly ModeMeta<ModeId>[] = MODE_IDS.map(modeMeta);
