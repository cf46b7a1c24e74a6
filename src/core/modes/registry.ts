/**
 * THE list of output modes: one line per mode, `id: defineMode(META, () => import('./<id>/run.js'))`. Everything
 * else — the CLI's modes and flags, the page's mode choice and option form, output names, batch, the README's
 * option list — is derived from here. The engines load on first use, so the page can import this module (for the
 * metas) without bundling a quantizer.
 */
import type { ModelView } from '../onnx/model.js';
import { FP16_META } from './fp16/meta.js';
import { predict as fp16Predict } from './fp16/predict.js';
import { INT8_META } from './int8/meta.js';
import { predict as int8Predict } from './int8/predict.js';
import type { InitializerTable } from './predict.js';
import { Q4_META } from './q4/meta.js';
import { predict as q4Predict } from './q4/predict.js';
import { Q4F16_META } from './q4f16/meta.js';
import { predict as q4f16Predict } from './q4f16/predict.js';
import type { ModeMeta, ModeOutput, ModeProgress, ModeReportBase, ModeRun } from './types.js';

/**
 * A mode's meta, its size predictor (`<id>/predict.ts`: a pure function of the initializer table, default options
 * unless given) and a `run` that loads its engine on first use.
 */
function defineMode<const Id extends string, O, R extends ModeReportBase<Id>, P>(
  meta: ModeMeta<Id>,
  predict: (table: InitializerTable, options?: P) => number,
  load: () => Promise<{ run: ModeRun<O, R> }>,
) {
  let loaded: Promise<ModeRun<O, R>> | null = null;
  const run = async (
    model: ModelView,
    options: O,
    onProgress?: (p: ModeProgress) => void,
    signal?: AbortSignal,
  ): Promise<ModeOutput<R>> => {
    loaded ??= load().then((m) => m.run);
    return (await loaded)(model, options, onProgress, signal);
  };
  return { meta, predict, run };
}

export const MODES = {
  int8: defineMode(INT8_META, int8Predict, () => import('./int8/run.js')),
  fp16: defineMode(FP16_META, fp16Predict, () => import('./fp16/run.js')),
  q4: defineMode(Q4_META, q4Predict, () => import('./q4/run.js')),
  q4f16: defineMode(Q4F16_META, q4f16Predict, () => import('./q4f16/run.js')),
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

/**
 * Every mode's predicted output size in bytes (default options), by mode id: the model card's `predictedBytes`.
 * Pure: reads the initializer table only (src/core/modes/predict.ts initializerTable).
 */
export function predictAll(table: InitializerTable): Record<ModeId, number> {
  return Object.fromEntries(MODE_IDS.map((id) => [id, MODES[id].predict(table)])) as Record<ModeId, number>;
}

/**
 * A mode's predicted output size in bytes for the table with `options` (the request's: preset and flags; default
 * options when absent): `<mode>/predict.ts`. What the CLI says it expects before a run, for the model at hand.
 */
export function predictMode(id: ModeId, table: InitializerTable, options?: object): number {
  return (MODES[id].predict as (t: InitializerTable, o?: object) => number)(table, options);
}
