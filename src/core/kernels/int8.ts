/**
 * INT8 weight kernels: per-channel range (min / max) and linear quantization over typed arrays.
 *
 * Pure and transferable: every function takes typed arrays and plain numbers and returns typed arrays (no model
 * objects, no closures), so a worker pool can run them on transferred buffers. The scalar rules (qmin/qmax, scale and
 * zero point) stay in `src/core/int8/numerics.ts`; `quantizeTensor` there combines them with these kernels.
 *
 * Numeric source: onnxruntime 1.32 `onnxruntime/python/tools/quantization/quant_utils.py`:
 *  - `quantize_data` takes `rmin = data.min()`, `rmax = data.max()` of the float32 (or float16) weight, per channel
 *    when the weight is quantized per channel (`weights.take(i, axis)`);
 *  - `compute_scale_zp` turns each channel's [rmin, rmax] into a scale and zero point (numerics.ts `computeScaleZp`);
 *  - `quantize_nparray`: `q = clip(rint(float32(w / scale)) + zero_point, type_min, type_max)` with NumPy semantics:
 *    the division is a float32 division (`w / scale`, both float32; never a multiplication by a reciprocal), `rint`
 *    (`ndarray.round`, i.e. `numpy.rint`) rounds half to even, and the clip uses the full range of the quantized type.
 *
 * Tensor layout: row-major (ONNX). Per-channel quantization along `axis` views the tensor as
 * [outer, channels, inner] (`outer` = product of the dims before `axis`, `inner` = product of those after);
 * per-tensor is channels = 1.
 */

import { BLOCK, simd, simdMinMax, simdQuantize, simdQuantizeRows, simdRowsFit, simdRowsMinMax } from './simd.js';

/** The tensor as [outer, channels, inner] for a quantization axis (null = per-tensor: one channel). */
export interface ChannelLayout {
  outer: number;
  channels: number;
  inner: number;
}

/** [outer, channels, inner] for `dims` quantized along `axis` (an index into dims, already normalized; null = per-tensor). */
export function channelLayout(dims: readonly number[], axis: number | null): ChannelLayout {
  const size = (from: number, to: number) => {
    let p = 1;
    for (let i = from; i < to; i++) p *= dims[i]!;
    return p;
  };
  if (axis === null) return { outer: 1, channels: 1, inner: size(0, dims.length) };
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length)
    throw new RangeError(`quantization axis ${axis} is outside the tensor's ${dims.length} dimensions`);
  return { outer: size(0, axis), channels: dims[axis]!, inner: size(axis + 1, dims.length) };
}

function checkLength(values: ArrayLike<number>, l: ChannelLayout): void {
  if (values.length !== l.outer * l.channels * l.inner)
    throw new RangeError(`${values.length} values do not fill a [${l.outer}, ${l.channels}, ${l.inner}] layout`);
}

/**
 * Below this many contiguous elements per (outer, channel) segment, kernels walk whole rows with per-column
 * parameters instead of one segment at a time (per-channel on the last axis has segments of length 1).
 */
const ROW_KERNEL_BELOW = 32;

/**
 * Elements per call of an inner loop function: hot loops live in small functions called once per chunk, so they are
 * optimized as ordinary hot calls and each call does bounded work. (What made whole-tensor calls about 2x slower was
 * missing type feedback for the code after the loop, see primeFeedback; chunking costs nothing and stays.)
 */
const CHUNK = 16384;

/** Whole rows of `cols` elements handled per call (a multiple of 4, the rows the row kernels take at once). */
function rowsPerCall(cols: number): number {
  return 4 * Math.max(1, Math.floor(CHUNK / cols / 4));
}

function useRowKernel(l: ChannelLayout): boolean {
  return l.channels > 1 && l.inner < ROW_KERNEL_BELOW;
}

/** Min / max of each channel. */
export interface ChannelRange {
  /** Smallest value of each channel ([channels], float32 values; +Infinity for an empty channel). */
  min: Float64Array;
  /** Largest value of each channel ([channels]; -Infinity for an empty channel). */
  max: Float64Array;
  /** True when any value is NaN (then min and max are unspecified). */
  hasNaN: boolean;
}

/**
 * Per-channel minimum and maximum of `values` (float32 values, or float16 values widened exactly), as NumPy's
 * `data.min()` / `data.max()` of each `weights.take(i, axis)` slice. ±Infinity take part; NaN is only reported
 * (`hasNaN`). Which of +0 / -0 is returned when both occur is unspecified (the scale and zero point computed from
 * the range do not depend on it).
 */
export function channelMinMax(values: Float32Array, layout: ChannelLayout): ChannelRange {
  checkLength(values, layout);
  const { outer, channels, inner } = layout;
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  if (values.length === 0) return { min, max, hasNaN: false };
  if (!useRowKernel(layout)) {
    let hasNaN = false;
    for (let o = 0; o < outer; o++)
      for (let c = 0; c < channels; c++) {
        const from = (o * channels + c) * inner;
        for (let a = from, end = from + inner; a < end; a += CHUNK) segmentMinMax(values, a, Math.min(end, a + CHUNK), min, max, c);
        // Math.min / Math.max propagate NaN.
        if (min[c] !== min[c]) hasNaN = true;
      }
    return { min, max, hasNaN };
  }
  // Row kernel: every row of `cols` = channels * inner contiguous values updates per-column extremes.
  const cols = channels * inner;
  const cmin = inner === 1 ? min : new Float64Array(cols).fill(Infinity);
  const cmax = inner === 1 ? max : new Float64Array(cols).fill(-Infinity);
  const step = rowsPerCall(cols) * cols;
  const kernels = simdRowsFit(cols) ? simd() : null; // the SIMD twin (kernels/simd.ts)
  let hasNaN = kernels ? simdRowsMinMax(kernels, values, cols, 0, outer * cols, cmin, cmax) : false;
  if (!kernels)
    for (let base = 0, end = outer * cols; base < end; base += step) rowsMinMax(values, cols, base, Math.min(end, base + step), cmin, cmax);
  for (let k = 0; k < cols; k++) if (cmin[k] !== cmin[k]) hasNaN = true; // Math.min propagates NaN
  if (inner !== 1)
    for (let c = 0; c < channels; c++)
      for (let k = c * inner, e = k + inner; k < e; k++) {
        if (cmin[k]! < min[c]!) min[c] = cmin[k]!;
        if (cmax[k]! > max[c]!) max[c] = cmax[k]!;
      }
  return { min, max, hasNaN };
}

/**
 * Rows values[from, to) (whole rows of `cols`) folded into the per-column extremes with Math.min / Math.max (a NaN
 * makes its column's extremes NaN), four rows at a time.
 */
function rowsMinMax(v: Float32Array, cols: number, from: number, to: number, cmin: Float64Array, cmax: Float64Array): void {
  let base = from;
  for (; base + 4 * cols <= to; base += 4 * cols) {
    const r0 = v.subarray(base, base + cols);
    const r1 = v.subarray(base + cols, base + 2 * cols);
    const r2 = v.subarray(base + 2 * cols, base + 3 * cols);
    const r3 = v.subarray(base + 3 * cols, base + 4 * cols);
    for (let c = 0; c < cols; c++) {
      const x0 = r0[c]!,
        x1 = r1[c]!,
        x2 = r2[c]!,
        x3 = r3[c]!;
      cmin[c] = Math.min(cmin[c]!, x0, x1, x2, x3);
      cmax[c] = Math.max(cmax[c]!, x0, x1, x2, x3);
    }
  }
  for (; base < to; base += cols) {
    const row = v.subarray(base, base + cols);
    for (let c = 0; c < cols; c++) {
      const x = row[c]!;
      cmin[c] = Math.min(cmin[c]!, x);
      cmax[c] = Math.max(cmax[c]!, x);
    }
  }
}

/**
 * Math.min / Math.max over values[from, to) folded into min[c] / max[c] (four independent chains; the WebAssembly
 * SIMD twin for long segments, kernels/simd.ts).
 */
function segmentMinMax(v: Float32Array, from: number, to: number, min: Float64Array, max: Float64Array, c: number): void {
  const k = to - from >= SIMD_FROM ? simd() : null;
  if (k) {
    for (let a = from; a < to; a += BLOCK) {
      const [lo, hi] = simdMinMax(k, v, a, Math.min(to, a + BLOCK));
      min[c] = Math.min(min[c]!, lo);
      max[c] = Math.max(max[c]!, hi);
    }
    return;
  }
  let a0 = min[c]!,
    b0 = max[c]!;
  let a1 = a0,
    b1 = b0,
    a2 = a0,
    b2 = b0,
    a3 = a0,
    b3 = b0;
  let i = from;
  for (; i + 3 < to; i += 4) {
    const x0 = v[i]!,
      x1 = v[i + 1]!,
      x2 = v[i + 2]!,
      x3 = v[i + 3]!;
    a0 = Math.min(a0, x0);
    b0 = Math.max(b0, x0);
    a1 = Math.min(a1, x1);
    b1 = Math.max(b1, x1);
    a2 = Math.min(a2, x2);
    b2 = Math.max(b2, x2);
    a3 = Math.min(a3, x3);
    b3 = Math.max(b3, x3);
  }
  for (; i < to; i++) {
    const x = v[i]!;
    a0 = Math.min(a0, x);
    b0 = Math.max(b0, x);
  }
  min[c] = Math.min(a0, a1, a2, a3);
  max[c] = Math.max(b0, b1, b2, b3);
}

/** Segments at least this long go to the SIMD kernels (shorter ones are not worth the copy and the call). */
const SIMD_FROM = 64;

/** 1.5 * 2^52: for |x| <= 2^51, (x + ROUND_MAGIC) - ROUND_MAGIC is x rounded to the nearest integer, ties to even. */
const ROUND_MAGIC = 6755399441055744;
/** Largest |x| for which the ROUND_MAGIC rounding is exact. */
const ROUND_MAGIC_LIMIT = 2 ** 51;

/**
 * Linear quantization `q = clip(rint(float32(w / scale[c])) + zeroPoint[c], lo, hi)` of every value, written as the
 * low 8 bits of q (int8 as two's complement, uint8 as is) in the same layout as `values`.
 *
 * - values: [outer, channels, inner] float32 values (float16 weights widened exactly);
 * - scales: [channels] the stored scales (float32 values, or float16 values for float16 weights), finite and > 0;
 * - zeroPoints: [channels] integers;
 * - lo, hi: the full range of the quantized type (int8 [-128, 127], uint8 [0, 255]);
 * - out: where to write (a new Uint8Array by default); returned.
 *
 * Rounding: float32(w / s) is the double quotient rounded to float32 (Math.fround), which is the correctly rounded
 * float32 division NumPy performs. It is clipped to [lo - zp, hi - zp] before rounding, which gives the same result as
 * clipping after (rint is monotonic and the bounds are integers) and keeps |x| small enough for the
 * float64 magic-number rounding (exact for |x| <= 2^51, ties to even because 1.5 * 2^52 is even). When a zero point
 * puts those bounds beyond 2^51 (never for computed zero points, which lie in [qmin, qmax]) the element loop falls
 * back to Math.round with a tie correction.
 */
export function quantizeChannels(
  values: Float32Array,
  layout: ChannelLayout,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  lo: number,
  hi: number,
  out: Uint8Array = new Uint8Array(values.length),
): Uint8Array {
  checkLength(values, layout);
  const { outer, channels, inner } = layout;
  if (scales.length !== channels || zeroPoints.length !== channels)
    throw new RangeError(`${channels} channels need ${channels} scales and zero points (got ${scales.length} and ${zeroPoints.length})`);
  if (out.length !== values.length) throw new RangeError(`output holds ${out.length} elements, ${values.length} are needed`);
  if (values.length === 0) return out;
  let magicOk = true;
  for (let c = 0; c < channels; c++) {
    const z = zeroPoints[c]!;
    if (!Number.isInteger(z)) throw new RangeError(`zero point ${z} is not an integer`);
    if (Math.abs(lo - z) > ROUND_MAGIC_LIMIT || Math.abs(hi - z) > ROUND_MAGIC_LIMIT) magicOk = false;
  }
  if (!magicOk) {
    for (let o = 0; o < outer; o++)
      for (let c = 0; c < channels; c++) {
        const from = (o * channels + c) * inner;
        quantizeSegmentExact(values, from, from + inner, scales[c]!, zeroPoints[c]!, lo, hi, out);
      }
    return out;
  }
  if (!useRowKernel(layout)) {
    for (let o = 0; o < outer; o++)
      for (let c = 0; c < channels; c++) {
        const from = (o * channels + c) * inner;
        const s = scales[c]!;
        const z = zeroPoints[c]!;
        for (let a = from, end = from + inner; a < end; a += CHUNK) quantizeSegment(values, a, Math.min(end, a + CHUNK), s, z, lo, hi, out);
      }
    return out;
  }
  // Row kernel: per-column [scale, lower bound, upper bound, zero point], interleaved (one stream of loads).
  const cols = channels * inner;
  const p = new Float64Array(4 * cols);
  for (let c = 0, k = 0; c < channels; c++) {
    const s = scales[c]!;
    const z = zeroPoints[c]!;
    for (let j = 0; j < inner; j++, k += 4) {
      p[k] = s;
      p[k + 1] = lo - z;
      p[k + 2] = hi - z;
      p[k + 3] = z;
    }
  }
  const k = simdRowsFit(cols) && ((lo === -128 && hi === 127) || (lo === 0 && hi === 255)) ? simd() : null;
  if (k) {
    simdQuantizeRows(k, values, cols, 0, outer * cols, p, lo, out); // the SIMD twin (kernels/simd.ts)
    return out;
  }
  const step = rowsPerCall(cols) * cols;
  for (let base = 0, end = outer * cols; base < end; base += step) quantizeRows(values, cols, base, Math.min(end, base + step), p, out);
  return out;
}

/**
 * Rows values[from, to) (whole rows of `cols`) quantized with the per-column parameters `p` ([4 * cols]: scale,
 * lower bound, upper bound, zero point), four rows at a time (each column's parameters loaded once for four values).
 */
function quantizeRows(v: Float32Array, cols: number, from: number, to: number, p: Float64Array, out: Uint8Array): void {
  let base = from;
  for (; base + 4 * cols <= to; base += 4 * cols) {
    const r0 = v.subarray(base, base + cols);
    const r1 = v.subarray(base + cols, base + 2 * cols);
    const r2 = v.subarray(base + 2 * cols, base + 3 * cols);
    const r3 = v.subarray(base + 3 * cols, base + 4 * cols);
    const d0 = out.subarray(base, base + cols);
    const d1 = out.subarray(base + cols, base + 2 * cols);
    const d2 = out.subarray(base + 2 * cols, base + 3 * cols);
    const d3 = out.subarray(base + 3 * cols, base + 4 * cols);
    for (let c = 0, k = 0; c < cols; c++, k += 4) {
      const s = p[k]!,
        l = p[k + 1]!,
        h = p[k + 2]!,
        z = p[k + 3]!;
      let x0 = Math.fround(r0[c]! / s);
      let x1 = Math.fround(r1[c]! / s);
      let x2 = Math.fround(r2[c]! / s);
      let x3 = Math.fround(r3[c]! / s);
      x0 = x0 < l ? l : x0 > h ? h : x0;
      x1 = x1 < l ? l : x1 > h ? h : x1;
      x2 = x2 < l ? l : x2 > h ? h : x2;
      x3 = x3 < l ? l : x3 > h ? h : x3;
      d0[c] = x0 + ROUND_MAGIC - ROUND_MAGIC + z;
      d1[c] = x1 + ROUND_MAGIC - ROUND_MAGIC + z;
      d2[c] = x2 + ROUND_MAGIC - ROUND_MAGIC + z;
      d3[c] = x3 + ROUND_MAGIC - ROUND_MAGIC + z;
    }
  }
  for (; base < to; base += cols) {
    const row = v.subarray(base, base + cols);
    const dst = out.subarray(base, base + cols);
    for (let c = 0, k = 0; c < cols; c++, k += 4) {
      let x = Math.fround(row[c]! / p[k]!);
      const l = p[k + 1]!;
      const h = p[k + 2]!;
      x = x < l ? l : x > h ? h : x;
      dst[c] = x + ROUND_MAGIC - ROUND_MAGIC + p[k + 3]!;
    }
  }
}

/**
 * values[from, to) of one channel: clip(rint(float32(w / s)) + z, lo, hi) (see quantizeChannels); long segments of
 * int8 / uint8 go to the WebAssembly SIMD twin (kernels/simd.ts) and only their last few values run here.
 */
function quantizeSegment(v: Float32Array, from: number, to: number, s: number, z: number, lo: number, hi: number, out: Uint8Array): void {
  if (to - from >= SIMD_FROM && ((lo === -128 && hi === 127) || (lo === 0 && hi === 255))) {
    const k = simd();
    if (k) while (to - from >= 16) from += simdQuantize(k, v, from, Math.min(to, from + BLOCK), { s, z, lo }, out);
  }
  const l = lo - z;
  const h = hi - z;
  for (let i = from; i < to; i++) {
    let x = Math.fround(v[i]! / s);
    x = x < l ? l : x > h ? h : x;
    // A NaN quotient (not produced for finite weights) passes through as NaN and is stored as 0, as before.
    out[i] = x + ROUND_MAGIC - ROUND_MAGIC + z;
  }
}

/** The same result without the magic-number rounding (any zero point). */
function quantizeSegmentExact(
  v: Float32Array,
  from: number,
  to: number,
  s: number,
  z: number,
  lo: number,
  hi: number,
  out: Uint8Array,
): void {
  for (let i = from; i < to; i++) {
    const x = Math.fround(v[i]! / s);
    let r = Math.round(x);
    if (r - x === 0.5 && r % 2 !== 0) r -= 1;
    r += z;
    out[i] = (r < lo ? lo : r > hi ? hi : r) & 0xff;
  }
}

/**
 * Type feedback for every path of the inner loops, gathered once at load on a few crafted values (tail loops, both
 * clip branches, NaN). Without it V8 may optimize a loop in the middle of its first call, before the code after the
 * loop ever ran, and then leave the optimized code deoptimizing at that spot on every later call.
 */
function primeFeedback(): void {
  const v = Float32Array.of(-3, -0.5, 0, 0.5, 1.5, 2.5, 3, NaN, 1e30, -1e30);
  const layout = channelLayout([v.length], null);
  const min = new Float64Array(1).fill(Infinity);
  const max = new Float64Array(1).fill(-Infinity);
  const out = new Uint8Array(v.length);
  const p = new Float64Array(4 * 2);
  p.set([1, -128, 127, 0, 0.5, -10, 245, 10]);
  for (let k = 0; k < 12; k++) {
    segmentMinMax(v, 0, v.length, min, max, 0);
    rowsMinMax(v, 2, 0, v.length, new Float64Array(2).fill(Infinity), new Float64Array(2).fill(-Infinity));
    quantizeSegment(v, 0, v.length, 0.5, 3, -128, 127, out);
    quantizeRows(v, 2, 0, v.length, p, out);
    quantizeSegmentExact(v, 0, v.length, 0.5, 3, -128, 127, out);
    channelMinMax(v, layout);
  }
}
primeFeedback();
