/**
 * IEEE 754 binary16 codec. float32 -> float16 rounds to nearest, ties to even (what numpy's float32 ->
 * float16 cast and the hardware conversion instructions do); subnormals are produced, not flushed; values
 * whose rounded magnitude exceeds 65504 become ±inf; NaN stays NaN (quiet, sign and top payload bits kept).
 * Byte arrays are little-endian (ONNX raw_data); typed-array views assume a little-endian host, as every
 * browser and Node platform is.
 */

import {
  type Float16Clamp,
  type Float16Counts,
  addCounts,
  emptyCounts,
  f16BitsToNumber,
  f32BitsToF16Bits,
  float32BytesToFloat16Bits,
  float32ToFloat16,
} from '../kernels/float16.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite float16 (0x7bff). */
export const F16_MAX = 65504;
/** Smallest positive normal float16 (0x0400) = 2^-14. */
export const F16_MIN_NORMAL = 2 ** -14;
/** Smallest positive subnormal float16 (0x0001) = 2^-24. */
export const F16_MIN_SUBNORMAL = 2 ** -24;

export { f32BitsToF16Bits, f16BitsToNumber } from '../kernels/float16.js';

/** number -> float16 bits (the number is first rounded to float32, as a float32 tensor would hold it). */
export function numberToF16Bits(v: number): number {
  f32[0] = v;
  return f32BitsToF16Bits(u32[0]!);
}

/** Rounds a number through float16 and back. */
export function roundToF16(v: number): number {
  return f16BitsToNumber(numberToF16Bits(v));
}

/** Clamping before the cast: magnitudes below minPositive raised, above maxFinite (at most 65504) lowered. */
export type ClampOptions = Float16Clamp;

/** What converting one tensor did: `count` elements, and the kernel's counters (Float16Counts). */
export interface ConvertStats extends Float16Counts {
  count: number;
}

export function emptyStats(): ConvertStats {
  return { count: 0, ...emptyCounts() };
}

export function addStats(a: ConvertStats, b: ConvertStats): void {
  a.count += b.count;
  addCounts(a, b);
}

/**
 * Converts little-endian float32 bytes to float16 bytes with clamping (as onnxconverter-common's
 * convert_np_to_float16: 0 < |x| < minPositive -> ±minPositive, maxFinite < |x| < inf -> ±maxFinite;
 * 0, ±inf and NaN unchanged), then round-to-nearest-even. `src` may be unaligned. Runs the bulk kernel
 * `float32BytesToFloat16Bits` (kernels/float16.ts) and adds its counters to `stats`. The float16 bytes go to `into`
 * (2 bytes per whole float32, at an even byte offset; RangeError otherwise) or to a new array; either is returned.
 */
export function float32BytesToFloat16(
  src: Uint8Array,
  opts: ClampOptions,
  stats: ConvertStats = emptyStats(),
  into?: Uint8Array,
): Uint8Array {
  if (into && (into.length !== (src.length >>> 2) * 2 || into.byteOffset % 2))
    throw new RangeError(
      `float16 output of ${into.length} bytes at byte offset ${into.byteOffset}: ${(src.length >>> 2) * 2} bytes at an even offset are needed`,
    );
  const out = into ? new Uint16Array(into.buffer, into.byteOffset, into.length >>> 1) : undefined;
  return addResult(float32BytesToFloat16Bits(src, opts, out), stats);
}

/** Same as float32BytesToFloat16 for numbers (e.g. a TensorProto's float_data). */
export function float32ArrayToFloat16(src: ArrayLike<number>, opts: ClampOptions, stats: ConvertStats = emptyStats()): Uint8Array {
  return addResult(float32ToFloat16(new Uint32Array(Float32Array.from(src).buffer), opts), stats);
}

/** Adds a bulk conversion's counts to `stats` and returns its float16 bits as little-endian bytes. */
function addResult(r: { bits: Uint16Array; counts: Float16Counts }, stats: ConvertStats): Uint8Array {
  stats.count += r.bits.length;
  addCounts(stats, r.counts);
  return new Uint8Array(r.bits.buffer, r.bits.byteOffset, r.bits.byteLength);
}
