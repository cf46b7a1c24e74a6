/**
 * The straightforward float32 -> float16 tensor converter (onnx/float16.ts `convertWords` before the bulk kernel: one
 * value at a time through the per-value `f32BitsToF16Bits`, which tests/fp16/float16.test.ts checks on its own), kept
 * as the oracle the bulk kernel's fast path, chunking and counters are compared with byte for byte and counter for
 * counter (tests/fp16/kernels.test.ts) and timed against (bench/kernels.ts).
 */
import { f32BitsToF16Bits } from '../../src/core/kernels/float16.js';
import type { ClampOptions, ConvertStats } from '../../src/core/onnx/float16.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The pre-kernel `convertWords`: float32 words -> float16 bytes with clamping and counters. */
export function oracleConvertWords(words: Uint32Array, opts: ClampOptions, stats: ConvertStats): Uint8Array {
  const n = words.length;
  const out = new Uint16Array(n);
  // Clamp thresholds as float32 bit patterns of the magnitude (monotonic for non-negative floats).
  f32[0] = opts.maxFinite;
  const maxBits = u32[0]!;
  f32[0] = opts.minPositive;
  const minBits = u32[0]!;
  let maxAbsBits = 0;
  for (let i = 0; i < n; i++) {
    let w = words[i]!;
    const mag = w & 0x7fffffff;
    if (mag >= 0x7f800000) {
      stats.nonFinite++;
    } else {
      if (mag > maxAbsBits) maxAbsBits = mag;
      if (mag > maxBits) {
        w = (w & 0x80000000) | maxBits;
        stats.clamped++;
      } else if (mag !== 0 && mag < minBits) {
        w = (w & 0x80000000) | minBits;
        stats.raised++;
      }
    }
    const h = f32BitsToF16Bits(w);
    out[i] = h;
    const hm = h & 0x7fff;
    if (hm < 0x400) {
      if (hm === 0) {
        if ((w & 0x7fffffff) !== 0) stats.flushed++;
      } else stats.subnormal++;
    }
  }
  stats.count += n;
  u32[0] = maxAbsBits;
  if (f32[0]! > stats.maxAbs) stats.maxAbs = f32[0]!;
  return new Uint8Array(out.buffer);
}
