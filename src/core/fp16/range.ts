/**
 * FP16's range scan of float32 values (pure: typed arrays in, two numbers out), so it can run on any thread
 * (src/core/offload.ts): the largest finite |x| and whether a genuine value lies beyond maxFinite (see RangeScan).
 * Reads of the values are payload.ts's.
 */
import { SENTINEL_MAGNITUDE } from './options.js';
import { simd, simdMaxMagnitude } from '../kernels/simd.js';

export interface RangeScan {
  /** Largest finite |x| (0 for an empty tensor). */
  maxAbs: number;
  /** Some finite value beyond maxFinite is below SENTINEL_MAGNITUDE (a genuine weight, not an infinity stand-in). */
  genuine: boolean;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float32 bit pattern of the smallest float32 magnitude `> x` (strict) or `>= x`, for x >= 0. */
function firstBitsAbove(x: number, strict: boolean): number {
  f32[0] = x; // nearest float32
  const b = u32[0]!;
  return (strict ? f32[0]! > x : f32[0]! >= x) ? b : b + 1;
}

/**
 * The range of float32 values ([n]) as their bit patterns: float32 magnitudes order as their bit patterns with the
 * sign cleared, so the largest finite |x| is the largest pattern below infinity's (0x7f800000; NaN above it is
 * skipped, as `Math.abs(NaN) > maxAbs` is false), and a genuine out-of-range value is a pattern in
 * [first above maxFinite, first at SENTINEL_MAGNITUDE). One integer compare per value instead of float math.
 */
export function scanFloat32(v: Float32Array, maxFinite: number): RangeScan {
  const w = new Uint32Array(v.buffer, v.byteOffset, v.length);
  const lo = firstBitsAbove(maxFinite, true);
  const span = firstBitsAbove(SENTINEL_MAGNITUDE, false) - lo;
  const acc = new Uint32Array(2); // [max finite magnitude bits, genuine]
  for (let a = 0; a < w.length; a += SCAN_CHUNK) scanChunk(w, a, Math.min(w.length, a + SCAN_CHUNK), lo, span, acc);
  u32[0] = acc[0]!;
  return { maxAbs: f32[0]!, genuine: acc[1] === 1 };
}

/** Values per scanChunk call: the hot loop is a small function called per chunk (see kernels/float16.ts CHUNK). */
const SCAN_CHUNK = 16384;

function scanChunk(w: Uint32Array, from: number, to: number, lo: number, span: number, acc: Uint32Array): void {
  // Usual case first: one max over the magnitudes. Below `lo` everything is finite and nothing is out of range.
  let all = 0;
  let i = from;
  const k = to - from >= 64 ? simd() : null; // the SIMD twin (kernels/simd.ts) takes all but the last few values
  if (k) {
    const r = simdMaxMagnitude(k, w, from, to);
    all = r.max;
    i += r.done;
  }
  for (; i < to; i++) {
    const m = w[i]! & 0x7fffffff;
    if (m > all) all = m;
  }
  if (all < lo) {
    if (all > acc[0]!) acc[0] = all;
    return;
  }
  let max = acc[0]!;
  let genuine = 0;
  for (let i = from; i < to; i++) {
    const m = w[i]! & 0x7fffffff;
    if (m > max && m < 0x7f800000) max = m;
    if ((m - lo) >>> 0 < span) genuine = 1;
  }
  acc[0] = max;
  if (genuine) acc[1] = 1;
}
