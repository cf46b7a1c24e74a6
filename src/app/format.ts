/** Display helpers for the model card. Pure functions (unit-tested in format.test.ts). */

import { type ModeId, modeMeta } from '../core/modes/registry.js';

export { formatBytes, formatMiB, formatSavings } from '../core/size.js';

/** 22713216 -> "22,713,216". Locale-independent so tests can read it. */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 22_713_216 -> "22.7 M" */
export function formatCompact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** A tensor shape for display: [ "batch_size", "sequence_length", 384 ] -> "[batch_size, sequence_length, 384]". */
export function formatShape(shape: readonly (number | string | null)[] | null): string {
  if (shape === null) return 'unknown rank';
  if (shape.length === 0) return '[] (scalar)';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** "" -> "ai.onnx" (the default domain's conventional name). */
export function formatDomain(domain: string): string {
  return domain === '' ? 'ai.onnx' : domain;
}

/** Sorted [op, count] pairs, most frequent first, ties by name. */
export function sortedCounts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Ratio as a percentage string, e.g. (25, 100) -> "25%". */
export function formatPercent(part: number, whole: number): string {
  if (!whole) return '—';
  const p = (part / whole) * 100;
  if (p > 0 && p < 0.1) return '<0.1%';
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** 850 -> "850 ms", 2345 -> "2.3 s", 125_000 -> "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * Time left for work that is `fraction` (0..1) done after `elapsedMs`, assuming the rate so far holds; null while
 * too little is done to tell (under 5% or under half a second).
 */
export function remainingMs(elapsedMs: number, fraction: number): number | null {
  if (!(fraction >= 0.05 && fraction < 1) || elapsedMs < 500) return null;
  return (elapsedMs * (1 - fraction)) / fraction;
}

/** "all-MiniLM-L6-v2.onnx" + INT8 -> "all-MiniLM-L6-v2-INT8.onnx" (the mode's suffix, src/core/modes/<mode>/meta.ts). */
export function outputFileName(fileName: string, mode: ModeId): string {
  const base = fileName.replace(/\.onnx$/i, '') || 'model';
  return `${base}${modeMeta(mode).suffix}.onnx`;
}

/** A float for reports: 3.4028234663852886e38 -> "3.403e+38", 12.5 -> "12.5", 65504 -> "65,504". */
export function formatFloat(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(3);
  if (Number.isInteger(x)) return formatInt(x);
  return String(Number(x.toPrecision(6)));
}

/** Splits a list typed by a person ("a, b\nc") into trimmed, non-empty, unique entries (the option tables' rule). */
export { parseList } from '../core/modes/options.js';
