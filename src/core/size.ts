/**
 * The one size formatter. Sizes are binary everywhere: 1 KiB = 2^10 bytes, 1 MiB = 2^20 bytes. The page labels
 * them KiB / MiB / GiB; the CLI labels MiB "MB", as the seed's scripts printed them (README, "Command line").
 */

export const KiB = 1024;
export const MiB = 1024 * 1024;

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `n` bytes in MiB with `decimals` digits and the given label: (90_378_583) -> "86.19 MiB"; label "MB" for the CLI. */
export function formatMiBFixed(n: number, opts: { decimals?: number; label?: 'MiB' | 'MB' } = {}): string {
  if (!Number.isFinite(n)) return '—';
  return `${(n / MiB).toFixed(opts.decimals ?? 2)} ${opts.label ?? 'MiB'}`;
}

/** 90_405_214 -> "86.2 MiB" (the largest binary unit below the value, one decimal; exact below 1 KiB). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) < KiB) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  let v = n;
  let i = 0;
  while (Math.abs(v) >= KiB && i < UNITS.length - 1) {
    v /= KiB;
    i++;
  }
  return `${v.toFixed(1)} ${UNITS[i]}`;
}

/** 90_378_583 -> "86.19 MiB" (two decimals, for before/after comparisons); small sizes in KiB / bytes. */
export function formatMiB(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) >= MiB) return formatMiBFixed(n);
  if (Math.abs(n) >= KiB) return `${(n / KiB).toFixed(2)} KiB`;
  return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
}

/** "86.19 MiB → 21.80 MiB, 74.7% smaller, saved 64.39 MiB" (or "… 3.0% larger" when the output grew). */
export function formatSavings(before: number, after: number): string {
  const head = `${formatMiB(before)} → ${formatMiB(after)}`;
  if (!before) return head;
  const saved = before - after;
  const pct = (Math.abs(saved) / before) * 100;
  if (saved > 0) return `${head}, ${pct.toFixed(1)}% smaller, saved ${formatMiB(saved)}`;
  if (saved < 0) return `${head}, ${pct.toFixed(1)}% larger`;
  return `${head}, same size`;
}
