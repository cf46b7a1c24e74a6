/** Small numeric kernels for the quality report. Pure functions, no allocation beyond their results. */

import { f16BitsToNumber } from '../kernels/float16.js';

export type Vec = Float32Array | Float64Array | readonly number[];

/**
 * Mean pooling of token vectors, weighted by the attention mask (sentence-transformers' pooling_mode_mean_tokens):
 * sum_t mask[t] * h[t] / max(sum_t mask[t], 1e-9). `hidden` is row-major [seq, dim] for ONE sentence.
 */
export function meanPool(hidden: ArrayLike<number>, mask: ArrayLike<number | bigint>, seq: number, dim: number): Float32Array {
  const acc = new Float64Array(dim);
  let count = 0;
  for (let t = 0; t < seq; t++) {
    const m = Number(mask[t]);
    if (!m) continue;
    count += m;
    const o = t * dim;
    for (let d = 0; d < dim; d++) acc[d]! += m * hidden[o + d]!;
  }
  const out = new Float32Array(dim);
  const c = Math.max(count, 1e-9);
  for (let d = 0; d < dim; d++) out[d] = acc[d]! / c;
  return out;
}

/** CLS pooling: the first token's vector. */
export function clsPool(hidden: ArrayLike<number>, dim: number): Float32Array {
  const out = new Float32Array(dim);
  for (let d = 0; d < dim; d++) out[d] = hidden[d]!;
  return out;
}

export function l2Norm(v: Vec): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Unit-length copy (torch.nn.functional.normalize semantics: divides by max(norm, eps)). */
export function l2Normalize(v: Vec, eps = 1e-12): Float32Array {
  const n = Math.max(l2Norm(v), eps);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}

export function dot(a: Vec, b: Vec): number {
  if (a.length !== b.length) throw new RangeError(`dot: length ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Cosine similarity; 0 when either vector is all zeros. */
export function cosine(a: Vec, b: Vec): number {
  const na = l2Norm(a);
  const nb = l2Norm(b);
  if (na === 0 || nb === 0) return 0;
  return dot(a, b) / (na * nb);
}

/**
 * Percentile with linear interpolation between closest ranks (numpy's default, "type 7"):
 * position (n - 1) * p / 100 in the sorted values. NaN for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((x, y) => x - y);
  const pos = ((s.length - 1) * Math.min(Math.max(p, 0), 100)) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export interface Histogram {
  /** Lower edge of the first bin. */
  lo: number;
  /** Upper edge of the last bin (inclusive). */
  hi: number;
  /** counts[i] covers [lo + i*w, lo + (i+1)*w), the last bin also includes hi. Values outside are clamped in. */
  counts: number[];
}

export function histogram(values: readonly number[], bins: number, lo: number, hi: number): Histogram {
  if (!(bins >= 1) || !(hi > lo)) throw new RangeError(`histogram: need bins >= 1 and hi > lo (got ${bins}, [${lo}, ${hi}])`);
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    let i = Math.floor((v - lo) / w);
    if (i < 0) i = 0;
    if (i >= bins) i = bins - 1;
    counts[i]!++;
  }
  return { lo, hi, counts };
}

/** Indices of the k highest scores, best first; ties go to the lower index (stable). */
export function topK(scores: readonly number[], k: number): number[] {
  const idx = scores.map((_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, Math.max(0, k));
}

/** |A ∩ B| / k for two top-k lists (k = the lists' length). 1 when both are empty. */
export function topKOverlap(a: readonly number[], b: readonly number[]): number {
  const k = Math.max(a.length, b.length);
  if (k === 0) return 1;
  const sb = new Set(b);
  let n = 0;
  for (const x of new Set(a)) if (sb.has(x)) n++;
  return n / k;
}

/** Ranks 1..n (1 = highest score); tied scores get the average of their ranks. */
export function ranksDescending(scores: readonly number[]): number[] {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const ranks = new Array<number>(scores.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[idx[t]!] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation of two score lists over the same items: the Pearson correlation of their
 * (tie-averaged) ranks. 1 for fewer than two items; when one ranking is constant, 1 if both are, else 0.
 */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`spearman: length ${a.length} vs ${b.length}`);
  const n = a.length;
  if (n < 2) return 1;
  const ra = ranksDescending(a);
  const rb = ranksDescending(b);
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i]! - mean;
    const y = rb[i]! - mean;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  if (saa === 0 || sbb === 0) return saa === sbb ? 1 : 0;
  return sab / Math.sqrt(saa * sbb);
}

export interface Stats {
  count: number;
  mean: number;
  min: number;
  max: number;
}

export function basicStats(values: readonly number[]): Stats {
  if (values.length === 0) return { count: 0, mean: NaN, min: NaN, max: NaN };
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: values.length, mean: s / values.length, min, max };
}

/** Deterministic PRNG (mulberry32) for the random-token mode and sampling: same seed, same report. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** IEEE half (as its 16 bits) to a JS number, exact; for float16 outputs returned as Uint16Array (kernels/float16.ts). */
export const halfToFloat = f16BitsToNumber;
