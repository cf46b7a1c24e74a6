/**
 * Option names as people read them: the label each mode's option table gives the page's form
 * (src/core/modes/<mode>/meta.ts), else the onnxruntime argument it stands for in words. Used by the result details,
 * the shared report and the Markdown export. Pure (tests/share/labels.test.ts).
 */
import { isModeId, modeMeta } from '../modes/registry.js';
import type { SettingValue } from './report.js';

/** Resolved options that have no row in a table (fixed by the preset, not offered in the form). */
const EXTRA: Record<string, string> = {
  matMulConstBOnly: 'Only MatMuls with a constant weight (MatMulConstBOnly)',
  activationSymmetric: 'Symmetric activations (ActivationSymmetric)',
  weightSymmetric: 'Symmetric weights (WeightSymmetric)',
  preset: 'Preset',
  order: 'Order',
  target: 'Where it will run',
};

/** "matMulConstBOnly" -> "Mat mul const b only": the last resort for a key nobody named. */
function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Whether the key has a name of ours (a table row or a known onnxruntime argument); else its label is derived from untrusted text. */
export function isNamedSetting(mode: string, key: string): boolean {
  return (isModeId(mode) && modeMeta(mode).options.some((x) => x.key === key)) || Object.hasOwn(EXTRA, key);
}

/** The readable name of a mode's option. */
export function settingLabel(mode: string, key: string): string {
  if (isModeId(mode)) {
    const o = modeMeta(mode).options.find((x) => x.key === key);
    if (o) return o.page.label;
  }
  return EXTRA[key] ?? humanize(key);
}

/** A setting's value as people read it: on / off, a choice's meaning, a list or "none". */
export function settingValue(mode: string, key: string, v: SettingValue | unknown): string {
  if (Array.isArray(v)) return v.length ? v.join(', ') : 'none';
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (isModeId(mode)) {
    const o = modeMeta(mode).options.find((x) => x.key === key);
    if (o && o.kind === 'enum') {
      const c = o.choices.find((x) => String(x.value) === String(v));
      if (c) return c.label.startsWith(String(v)) ? c.label : `${String(v)} (${c.label})`;
    }
  }
  return String(v);
}
