/**
 * The cosine histogram's bins for the chart: over a range that includes the threshold (so the chart shows how far
 * above it the texts are), re-binned from the per-text cosines when the page has them, else the report's own bins
 * placed on that range. Pure (tests/app/chart.test.ts).
 */
import type { Histogram } from '../../core/quality/math.js';

export interface ChartBin {
  lo: number;
  hi: number;
  count: number;
  /** "0.9950–0.9975": decimals enough to tell neighbouring edges apart. */
  label: string;
}

export interface Chart {
  lo: number;
  hi: number;
  /** Decimals of the axis and bin labels. */
  decimals: number;
  bins: ChartBin[];
}

const decimalsFor = (width: number) => Math.min(6, Math.max(2, Math.ceil(-Math.log10(width)) + 1));

/**
 * `threshold` null: the report's range. `cosines`: the texts the histogram counts (their number must equal the
 * histogram's total, else the report's bins are used). Bins: the report's count (at least 10).
 */
export function chartBins(
  h: Histogram,
  threshold: number | null,
  cosines: readonly number[] | null = null,
  binCount = Math.max(10, h.counts.length),
): Chart {
  const total = h.counts.reduce((a, b) => a + b, 0);
  const lo0 = threshold !== null ? Math.min(h.lo, threshold) : h.lo;
  const hi0 = Math.max(h.hi, lo0 + 1e-6);
  const values = cosines && cosines.length === total && total > 0 ? cosines.filter((c) => Number.isFinite(c)) : null;
  if (values && values.length === total && threshold !== null) {
    // A round range from just below min(threshold, worst text) to 1.
    const span = Math.max(1e-4, 1 - Math.min(lo0, ...values));
    const step = 10 ** Math.floor(Math.log10(span));
    const least = Math.min(lo0, ...values);
    let lo = Number((Math.floor(least / step + 1e-9) * step).toFixed(12));
    if (lo > least) lo = Number((lo - step).toFixed(12));
    lo = Math.max(-1, lo);
    const hi = Math.max(1, ...values);
    const w = (hi - lo) / binCount;
    const d = decimalsFor(w);
    const counts = new Array<number>(binCount).fill(0);
    for (const v of values) counts[Math.min(binCount - 1, Math.max(0, Math.floor((v - lo) / w)))]! += 1;
    return { lo, hi, decimals: d, bins: counts.map((count, i) => binOf(lo + i * w, i === binCount - 1 ? hi : lo + (i + 1) * w, count, d)) };
  }
  // The report's bins, on a range widened to the threshold.
  const n = h.counts.length;
  const w = (h.hi - h.lo) / Math.max(1, n);
  const d = decimalsFor(Math.min(w, hi0 - lo0));
  return {
    lo: lo0,
    hi: hi0,
    decimals: d,
    bins: h.counts.map((count, i) => binOf(h.lo + i * w, i === n - 1 ? h.hi : h.lo + (i + 1) * w, count, d)),
  };
}

function binOf(lo: number, hi: number, count: number, d: number): ChartBin {
  return { lo, hi, count, label: `${lo.toFixed(d)}–${hi.toFixed(d)}` };
}
