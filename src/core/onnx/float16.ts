/**
 * IEEE 754 binary16 codec. float32 -> float16 rounds to nearest, ties to even (what numpy's float32 ->
 * float16 cast and the hardware conversion instructions do); subnormals are produced, not flushed; values
 * whose rounded magnitude exceeds 65504 become ±inf; NaN stays NaN (quiet, sign and top payload bits kept).
 * Byte arrays are little-endian (ONNX raw_data); typed-array views assume a little-endian host, as every
 * browser and Node platform is.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite float16 (0x7bff). */
export const F16_MAX = 65504;
/** Smallest positive normal float16 (0x0400) = 2^-14. */
export const F16_MIN_NORMAL = 2 ** -14;
/** Smallest positive subnormal float16 (0x0001) = 2^-24. */
export const F16_MIN_SUBNORMAL = 2 ** -24;

/** float32 bit pattern -> float16 bit pattern, round to nearest even. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    if (mant === 0) return sign | 0x7c00; // ±inf
    return sign | 0x7e00 | (mant >>> 13); // NaN: quiet bit set, payload's top bits kept
  }
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00; // >= 2^16: overflow
  if (e <= 0) {
    // Result is subnormal (or zero). exp 102 (e = -10) is [2^-25, 2^-24): may round up to the smallest subnormal.
    if (e < -10) return sign;
    const m = mant | 0x800000; // 24-bit significand
    const shift = 14 - e; // 14..24: units of 2^-24
    let q = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && q & 1)) q++; // may carry into 0x400 = smallest normal: still correct
    return sign | q;
  }
  let q = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && q & 1)) q++; // carry may reach 0x7c00 = inf: correct overflow
  return sign | q;
}

/** float16 bit pattern -> number (exact). */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * F16_MIN_SUBNORMAL;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** number -> float16 bits (the number is first rounded to float32, as a float32 tensor would hold it). */
export function numberToF16Bits(v: number): number {
  f32[0] = v;
  return f32BitsToF16Bits(u32[0]!);
}

/** Rounds a number through float16 and back. */
export function roundToF16(v: number): number {
  return f16BitsToNumber(numberToF16Bits(v));
}

export interface ClampOptions {
  /** Non-zero magnitudes below this become ±minPositive (0 = no raising: they round, possibly to ±0). */
  minPositive: number;
  /** Finite magnitudes above this become ±maxFinite (must be <= 65504). */
  maxFinite: number;
}

/** What converting one tensor did. */
export interface ConvertStats {
  count: number;
  /** Finite values with |x| > maxFinite, set to ±maxFinite. */
  clamped: number;
  /** Non-zero values with |x| < minPositive, set to ±minPositive. */
  raised: number;
  /** Non-zero values that became ±0 (only when minPositive is below half the smallest subnormal). */
  flushed: number;
  /** Values that ended as float16 subnormals (below 6.1e-5: reduced precision). */
  subnormal: number;
  /** ±inf and NaN in the source (kept as they are). */
  nonFinite: number;
  /** Largest finite |x| in the source (before clamping). */
  maxAbs: number;
}

export function emptyStats(): ConvertStats {
  return { count: 0, clamped: 0, raised: 0, flushed: 0, subnormal: 0, nonFinite: 0, maxAbs: 0 };
}

export function addStats(a: ConvertStats, b: ConvertStats): void {
  a.count += b.count;
  a.clamped += b.clamped;
  a.raised += b.raised;
  a.flushed += b.flushed;
  a.subnormal += b.subnormal;
  a.nonFinite += b.nonFinite;
  if (b.maxAbs > a.maxAbs) a.maxAbs = b.maxAbs;
}

/**
 * Converts little-endian float32 bytes to float16 bytes with clamping (as onnxconverter-common's
 * convert_np_to_float16: 0 < |x| < minPositive -> ±minPositive, maxFinite < |x| < inf -> ±maxFinite;
 * 0, ±inf and NaN unchanged), then round-to-nearest-even. `src` may be unaligned.
 */
export function float32BytesToFloat16(src: Uint8Array, opts: ClampOptions, stats: ConvertStats = emptyStats()): Uint8Array {
  const n = src.length >>> 2;
  const words = src.byteOffset % 4 === 0 ? new Uint32Array(src.buffer, src.byteOffset, n) : new Uint32Array(src.slice(0, n * 4).buffer);
  return convertWords(words, opts, stats);
}

/** Same as float32BytesToFloat16 for numbers (e.g. a TensorProto's float_data). */
export function float32ArrayToFloat16(src: ArrayLike<number>, opts: ClampOptions, stats: ConvertStats = emptyStats()): Uint8Array {
  return convertWords(new Uint32Array(Float32Array.from(src).buffer), opts, stats);
}

function convertWords(words: Uint32Array, opts: ClampOptions, stats: ConvertStats): Uint8Array {
  const n = words.length;
  const out = new Uint16Array(n);
  // Clamp thresholds as float32 bit patterns of the magnitude (monotonic for non-negative floats).
  f32[0] = opts.maxFinite;
  const maxBits = u32[0]!;
  f32[0] = opts.minPositive;
  const minBits = u32[0]!;
  let clamped = 0;
  let raised = 0;
  let flushed = 0;
  let subnormal = 0;
  let nonFinite = 0;
  let maxAbsBits = 0;
  for (let i = 0; i < n; i++) {
    let w = words[i]!;
    const mag = w & 0x7fffffff;
    if (mag >= 0x7f800000) {
      nonFinite++;
    } else {
      if (mag > maxAbsBits) maxAbsBits = mag;
      if (mag > maxBits) {
        w = (w & 0x80000000) | maxBits;
        clamped++;
      } else if (mag !== 0 && mag < minBits) {
        w = (w & 0x80000000) | minBits;
        raised++;
      }
    }
    const h = f32BitsToF16Bits(w);
    out[i] = h;
    const hm = h & 0x7fff;
    if (hm < 0x400) {
      if (hm === 0) {
        if ((w & 0x7fffffff) !== 0) flushed++;
      } else subnormal++;
    }
  }
  stats.count += n;
  stats.clamped += clamped;
  stats.raised += raised;
  stats.flushed += flushed;
  stats.subnormal += subnormal;
  stats.nonFinite += nonFinite;
  u32[0] = maxAbsBits;
  if (f32[0]! > stats.maxAbs) stats.maxAbs = f32[0]!;
  return new Uint8Array(out.buffer);
}
