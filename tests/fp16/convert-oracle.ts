/**
 * Today's straightforward float32 -> float16 tensor converter (onnx/float16.ts `convertWords` with its per-value
 * `f32BitsToF16Bits`, before the bulk kernel), kept verbatim as the oracle the fast kernel is compared with byte
 * for byte and counter for counter (tests/fp16/kernels.test.ts) and timed against (bench/kernels.ts).
 */
import type { ClampOptions, ConvertStats } from '../../src/core/onnx/float16.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function f32BitsToF16Bits(x: number): number {
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

/** The pre-kernel `convertWords`: float32 words -> float16 bytes with clamping and counters. */
export function oracleConvertWords(words: Uint32Array, opts: ClampOptions, stats: ConvertStats): Uint8Array {
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
