/**
 * The quantize form's state and how it becomes a worker request — for every mode, from its option table
 * (src/core/modes/<mode>/meta.ts through src/core/modes/options.ts). Only pure core modules are imported here:
 * the quantizers themselves run in the worker.
 */
import { type ModeForm, formFor, optionsFromForm, presetOf } from '../core/modes/options.js';
import { MODE_IDS, type ModeId, modeMeta } from '../core/modes/registry.js';
import type { ModeMeta } from '../core/modes/types.js';
import type { QuantizeRequest } from '../../workers/quantize-protocol.js';

export type { ModeForm };

/** A fresh form per mode (each mode's default preset). */
export function initialForms(): Record<ModeId, ModeForm> {
  return Object.fromEntries(MODE_IDS.map((id) => [id, formFor(modeMeta(id))])) as Record<ModeId, ModeForm>;
}

export type Built = { ok: true; request: QuantizeRequest } | { ok: false; error: string };

/** The request for a mode's form: its preset plus only what the form changed (values checked by the table's rules). */
export function buildRequest(mode: ModeId, form: ModeForm): Built {
  const r = optionsFromForm(modeMeta(mode), form);
  return r.ok ? { ok: true, request: { mode, options: r.options } as QuantizeRequest } : r;
}

/** "Per-channel scales · Weight type: qint8 (signed)": what a preset sets, in the page's own words. */
export function describePreset(meta: ModeMeta, presetId: string | null): string {
  const p = presetOf(meta, presetId);
  if (!p) return '';
  const values = p.values as Record<string, unknown>;
  const parts: string[] = [];
  for (const o of meta.options) {
    if (!o.fromPreset || !(o.key in values)) continue;
    const v = values[o.key];
    if (o.kind === 'boolean') {
      if (v === true) parts.push(o.page.label);
    } else if (o.kind === 'enum') parts.push(`${o.page.label}: ${o.choices.find((c) => c.value === v)?.label ?? String(v)}`);
    else parts.push(`${o.page.label}: ${String(v)}`);
  }
  return parts.join(' · ');
}
