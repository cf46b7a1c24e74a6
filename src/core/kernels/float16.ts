/**
 * float16 kernels over typed arrays: widening (float16 -> float32) and narrowing (float32 -> float16, round to
 * nearest even, with the FP16 converter's optional clamping and its counters).
 *
 * Pure and transferable: functions take typed arrays and plain numbers and return typed arrays / plain objects, so a
 * worker pool can run them on transferred buffers. Typed-array views assume a little-endian host (every browser and
 * Node platform); byte arrays are little-endian (ONNX raw_data).
 *
 * Numeric rules: IEEE 754 binary16. float32 -> float16 rounds to nearest, ties to even (NumPy's float32 -> float16
 * `astype`, and the F16C / ARMv8 conversion instructions); subnormal results are produced, not flushed; a rounded
 * magnitude beyond 65504 becomes ±inf; NaN stays NaN (quiet bit set, sign and top payload bits kept). Clamping follows
 * onnxconverter-common's `convert_np_to_float16` (onnxconverter_common/float16.py): 0 < |x| < min_positive_val ->
 * ±min_positive_val, max_finite_val < |x| < inf -> ±max_finite_val; 0, ±inf and NaN unchanged; then the cast.
 */

import { simd, simdNarrow } from './simd.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bit pattern -> float16 bit pattern, round to nearest even (one value; the bulk kernels below are faster). */
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
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Elements per call of an inner loop function: hot loops live in small functions called once per chunk, so they are
 * optimized as ordinary hot calls and each call does bounded work. (What made whole-tensor calls about 2x slower was
 * missing type feedback for the code after the loop, see primeFeedback; chunking costs nothing and stays.)
 */
const CHUNK = 16384;

let widenTable: Uint32Array | null = null;

/**
 * float32 bits of every float16 value (65536 entries, 256 KiB), built on first use: the exact float32 encoding of
 * each finite or infinite value (subnormals normalized); for NaN, the bits a Float32Array holds after storing a
 * JavaScript NaN (what `out[i] = f16BitsToNumber(h)` gave before), whatever the sign and payload.
 */
function table(): Uint32Array {
  if (!widenTable) {
    const t = new Uint32Array(65536);
    const nan = new Float32Array(1);
    nan[0] = NaN;
    const nanBits = new Uint32Array(nan.buffer)[0]!;
    for (let h = 0; h < 65536; h++) {
      const sign = (h & 0x8000) << 16;
      const exp = (h >>> 10) & 0x1f;
      const mant = h & 0x3ff;
      let bits: number;
      if (exp === 31) bits = mant ? nanBits : sign | 0x7f800000;
      else if (exp !== 0)
        bits = sign | ((exp + 112) << 23) | (mant << 13); // rebias 15 -> 127
      else if (mant === 0) bits = sign;
      else {
        // subnormal mant * 2^-24: shift the leading 1 up to the implicit bit
        let e = 113;
        let m = mant;
        while (!(m & 0x400)) {
          m <<= 1;
          e--;
        }
        bits = sign | (e << 23) | ((m & 0x3ff) << 13);
      }
      t[h] = bits >>> 0;
    }
    widenTable = t;
  }
  return widenTable;
}

/**
 * Widens float16 values (bit patterns, [n]) to float32 ([n], exact; NaN as a quiet NaN). Writes into `out` (a new
 * Float32Array by default) and returns it.
 */
export function float16ToFloat32(src: Uint16Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  if (out.length !== src.length) throw new RangeError(`output holds ${out.length} elements, ${src.length} are needed`);
  const t = table();
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let a = 0; a < src.length; a += CHUNK) widenChunk(src, a, Math.min(src.length, a + CHUNK), t, o);
  return out;
}

function widenChunk(src: Uint16Array, from: number, to: number, t: Uint32Array, o: Uint32Array): void {
  for (let i = from; i < to; i++) o[i] = t[src[i]!]!;
}

/**
 * Widens little-endian float16 bytes ([2n] bytes, any alignment) to float32 ([n]). Trailing odd byte: an error.
 */
export function float16BytesToFloat32(src: Uint8Array, out: Float32Array = new Float32Array(src.length >>> 1)): Float32Array {
  if (src.length & 1) throw new RangeError(`${src.length} bytes are not a whole number of float16 values`);
  const n = src.length >>> 1;
  if (src.byteOffset % 2 === 0) return float16ToFloat32(new Uint16Array(src.buffer, src.byteOffset, n), out);
  if (out.length !== n) throw new RangeError(`output holds ${out.length} elements, ${n} are needed`);
  const t = table();
  const o = new Uint32Array(out.buffer, out.byteOffset, n);
  for (let a = 0; a < n; a += CHUNK) widenBytesChunk(src, a, Math.min(n, a + CHUNK), t, o);
  return out;
}

function widenBytesChunk(src: Uint8Array, from: number, to: number, t: Uint32Array, o: Uint32Array): void {
  for (let i = from, j = 2 * from; i < to; i++, j += 2) o[i] = t[src[j]! | (src[j + 1]! << 8)]!;
}

/** Clamping applied before the float16 cast (magnitudes; see the module note). */
export interface Float16Clamp {
  /** Non-zero magnitudes below this become ±minPositive (0 = no raising: they round, possibly to ±0). */
  minPositive: number;
  /** Finite magnitudes above this become ±maxFinite (at most 65504). */
  maxFinite: number;
}

/** What one float32 -> float16 conversion did (counts of elements). */
export interface Float16Counts {
  /** Finite values with |x| > maxFinite, set to ±maxFinite. */
  clamped: number;
  /** Non-zero values with |x| < minPositive, set to ±minPositive. */
  raised: number;
  /** Non-zero values that became ±0 (only when minPositive is below half the smallest subnormal). */
  flushed: number;
  /** Values that ended as float16 subnormals (|h| below 2^-14 = 6.1e-5: reduced precision). */
  subnormal: number;
  /** ±inf and NaN in the source (kept as they are). */
  nonFinite: number;
  /** Largest finite |x| in the source (before clamping; a float32 value; 0 when there is none). */
  maxAbs: number;
}

export function emptyCounts(): Float16Counts {
  return { clamped: 0, raised: 0, flushed: 0, subnormal: 0, nonFinite: 0, maxAbs: 0 };
}

/** float32 bits of 2^-14, the smallest normal float16. */
const F16_NORMAL_BITS = 0x38800000;
/** float32 bits of 65504, the largest finite float16. */
const F16_MAX_BITS = 0x477fe000;

/**
 * float32 -> float16 over typed arrays: `words` holds float32 bit patterns ([n]); the float16 bit patterns go to `out`
 * ([n], a new Uint16Array by default). With `clamp`, magnitudes are clamped first (0 < |x| < minPositive ->
 * ±minPositive; maxFinite < |x| < inf -> ±maxFinite; the thresholds rounded to float32 and compared as float32 bit
 * patterns of magnitudes, as the per-value converter did); null converts plainly (overflow to ±inf).
 * Per value the result equals `f32BitsToF16Bits` of the clamped value; counters as in Float16Counts.
 *
 * Fast path: magnitudes in [2^-14, min(maxFinite, 65504)] that need no raising give a normal float16 computed by
 * integer rebiasing with round-to-nearest-even on the 13 dropped bits; everything else (zeros, subnormal results,
 * clamping, inf, NaN) takes the exact per-value path.
 */
export function float32ToFloat16(
  words: Uint32Array,
  clamp: Float16Clamp | null,
  out: Uint16Array = new Uint16Array(words.length),
): { bits: Uint16Array; counts: Float16Counts } {
  const n = words.length;
  if (out.length !== n) throw new RangeError(`output holds ${out.length} elements, ${n} are needed`);
  // Clamp thresholds as float32 bit patterns of the magnitude (monotonic for non-negative floats).
  let maxBits = 0x7f800000; // no clamping: nothing finite is above +inf
  let minBits = 0;
  if (clamp) {
    f32[0] = clamp.maxFinite;
    maxBits = u32[0]!;
    f32[0] = clamp.minPositive;
    minBits = u32[0]!;
  }
  const fastLo = Math.max(F16_NORMAL_BITS, minBits);
  const fastHi = Math.min(F16_MAX_BITS, maxBits);
  const acc = new Float64Array(ACC_SIZE);
  const k = n >= SIMD_FROM ? simd() : null;
  for (let a = 0; a < n; a += CHUNK) {
    const to = Math.min(n, a + CHUNK);
    let from = a;
    if (k) {
      // The SIMD twin takes the fast path of whole groups of 8; groups with any other value are redone exactly here.
      const r = simdNarrow(k, words, [a, to], out, [fastLo, fastHi]);
      if (r.maxAbsBits > acc[ACC_MAXABS]!) acc[ACC_MAXABS] = r.maxAbsBits;
      for (const g of r.slow) narrowChunk(words, g, g + 8, out, fastLo, fastHi, minBits, maxBits, acc);
      from += r.done;
    }
    narrowChunk(words, from, to, out, fastLo, fastHi, minBits, maxBits, acc);
  }
  u32[0] = acc[ACC_MAXABS]!;
  return {
    bits: out,
    counts: {
      clamped: acc[ACC_CLAMPED]!,
      raised: acc[ACC_RAISED]!,
      flushed: acc[ACC_FLUSHED]!,
      subnormal: acc[ACC_SUBNORMAL]!,
      nonFinite: acc[ACC_NONFINITE]!,
      maxAbs: f32[0]!,
    },
  };
}

/** Arrays at least this long go to the SIMD kernel (kernels/simd.ts). */
const SIMD_FROM = 64;

const ACC_CLAMPED = 0;
const ACC_RAISED = 1;
const ACC_FLUSHED = 2;
const ACC_SUBNORMAL = 3;
const ACC_NONFINITE = 4;
/** Largest finite magnitude seen, as float32 bits. */
const ACC_MAXABS = 5;
const ACC_SIZE = 6;

/** words[from, to) -> out[from, to) (see float32ToFloat16); counters added to `acc`. */
function narrowChunk(
  words: Uint32Array,
  from: number,
  to: number,
  out: Uint16Array,
  fastLo: number,
  fastHi: number,
  minBits: number,
  maxBits: number,
  acc: Float64Array,
): void {
  let clamped = 0;
  let raised = 0;
  let flushed = 0;
  let subnormal = 0;
  let nonFinite = 0;
  let maxAbsBits = acc[ACC_MAXABS]!;
  for (let i = from; i < to; i++) {
    let w = words[i]!;
    const mag = w & 0x7fffffff;
    if (mag >= fastLo && mag <= fastHi) {
      if (mag > maxAbsBits) maxAbsBits = mag;
      // exponent rebias (127 -> 15) and round half to even: adding 0xfff + (lowest kept bit) carries exactly when the
      // dropped 13 bits are above half, or at half with an odd kept part.
      out[i] = ((mag - 0x37fff001 + ((mag >>> 13) & 1)) >>> 13) | ((w >>> 16) & 0x8000);
      continue;
    }
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
  acc[ACC_CLAMPED] = acc[ACC_CLAMPED]! + clamped;
  acc[ACC_RAISED] = acc[ACC_RAISED]! + raised;
  acc[ACC_FLUSHED] = acc[ACC_FLUSHED]! + flushed;
  acc[ACC_SUBNORMAL] = acc[ACC_SUBNORMAL]! + subnormal;
  acc[ACC_NONFINITE] = acc[ACC_NONFINITE]! + nonFinite;
  acc[ACC_MAXABS] = maxAbsBits;
}

/** Float32 words converted per chunk when the source bytes are not 4-byte aligned (no whole-tensor copy). */
const UNALIGNED_CHUNK = 16384;

/**
 * float32 -> float16 from little-endian float32 bytes (any alignment; trailing bytes beyond a multiple of 4 are
 * ignored) into float16 bits ([floor(length / 4)]: `out`, a new Uint16Array by default). Counts as float32ToFloat16. An unaligned source is copied through
 * a 64 KiB scratch buffer, one chunk at a time.
 */
export function float32BytesToFloat16Bits(
  src: Uint8Array,
  clamp: Float16Clamp | null,
  out: Uint16Array = new Uint16Array(src.length >>> 2),
): { bits: Uint16Array; counts: Float16Counts } {
  const n = src.length >>> 2;
  if (src.byteOffset % 4 === 0) return float32ToFloat16(new Uint32Array(src.buffer, src.byteOffset, n), clamp, out);
  if (out.length !== n) throw new RangeError(`output holds ${out.length} elements, ${n} are needed`);
  const scratch = new Uint32Array(Math.min(n, UNALIGNED_CHUNK));
  const scratchBytes = new Uint8Array(scratch.buffer);
  const counts = emptyCounts();
  for (let from = 0; from < n; from += UNALIGNED_CHUNK) {
    const len = Math.min(UNALIGNED_CHUNK, n - from);
    scratchBytes.set(src.subarray(from * 4, (from + len) * 4));
    const r = float32ToFloat16(scratch.subarray(0, len), clamp, out.subarray(from, from + len));
    addCounts(counts, r.counts);
  }
  return { bits: out, counts };
}

/** a += b (maxAbs: the larger). */
export function addCounts(a: Float16Counts, b: Float16Counts): void {
  a.clamped += b.clamped;
  a.raised += b.raised;
  a.flushed += b.flushed;
  a.subnormal += b.subnormal;
  a.nonFinite += b.nonFinite;
  if (b.maxAbs > a.maxAbs) a.maxAbs = b.maxAbs;
}

/**
 * Type feedback for every path of the narrowing loop, gathered once at load on a few crafted values (zeros, subnormal
 * results, clamping both ways, infinities, NaN, negative values, odd byte offsets; well under a millisecond). Without it V8 may optimize a loop
 * in the middle of its first call, before its rare branches or the code after the loop ever ran, and then leave the
 * optimized code deoptimizing there on every later call.
 */
function primeFeedback(): void {
  const f = Float32Array.of(0, -0, 1e-9, -1e-9, 3e-6, 1.5, -2.25, 65504, 7e4, -1e9, Infinity, -Infinity, NaN, 2 ** -14, 1e-30, 0.1);
  const words = new Uint32Array(f.buffer);
  const bytes = new Uint8Array(f.byteLength + 1);
  bytes.set(new Uint8Array(f.buffer), 1);
  for (let k = 0; k < 12; k++) {
    float32ToFloat16(words, { minPositive: 1e-7, maxFinite: 1e4 });
    float32ToFloat16(words, null);
    float32BytesToFloat16Bits(bytes.subarray(1), { minPositive: 5.96e-8, maxFinite: 65504 });
  }
}
primeFeedback();
