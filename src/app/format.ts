/** Display helpers for the model card. Pure functions (unit-tested in format.test.ts). */

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 90_405_214 -> "86.2 MiB" (binary units, one decimal; exact below 1 KiB). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${UNITS[i]}`;
}

/** 22713216 -> "22,713,216". Locale-independent so tests can read it. */
export function formatInt(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return Math.trunc(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
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
