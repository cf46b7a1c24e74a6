import { describe, expect, it } from 'vitest';
import {
  emptyStats,
  f16BitsToNumber,
  float32BytesToFloat16,
  F16_MAX,
  F16_MIN_NORMAL,
  F16_MIN_SUBNORMAL,
  numberToF16Bits,
} from '../../src/core/onnx/float16.js';

const bitsOf = (x: number) => new Uint32Array(Float32Array.from([x]).buffer)[0]!;
const fromBits = (u: number) => new Float32Array(Uint32Array.from([u]).buffer)[0]!;
const h = numberToF16Bits;

describe('float16 codec', () => {
  it('encodes known values', () => {
    expect(h(0)).toBe(0x0000);
    expect(h(-0)).toBe(0x8000);
    expect(h(1)).toBe(0x3c00);
    expect(h(-2)).toBe(0xc000);
    expect(h(0.5)).toBe(0x3800);
    expect(h(65504)).toBe(0x7bff);
    expect(h(F16_MIN_NORMAL)).toBe(0x0400);
    expect(h(F16_MIN_SUBNORMAL)).toBe(0x0001);
    expect(h(Infinity)).toBe(0x7c00);
    expect(h(-Infinity)).toBe(0xfc00);
    expect(h(1 / 3)).toBe(0x3555);
    expect(h(0.1)).toBe(0x2e66);
  });

  it('NaN stays NaN (quiet, sign kept); decoding is exact', () => {
    expect(h(NaN) & 0x7e00).toBe(0x7e00);
    expect(Number.isNaN(f16BitsToNumber(h(NaN)))).toBe(true);
    const negNaN = (bitsOf(NaN) | 0x80000000) >>> 0;
    const b = h(fromBits(negNaN));
    expect(b & 0x8000).toBe(0x8000);
    expect((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0).toBe(true);
    // a signalling NaN whose payload sits in the low bits only still becomes a NaN, not infinity
    expect(h(fromBits(0x7f800001)) & 0x3ff).not.toBe(0);
    expect(f16BitsToNumber(0x7bff)).toBe(65504);
    expect(f16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(f16BitsToNumber(0x03ff)).toBe(1023 * 2 ** -24);
    expect(Object.is(f16BitsToNumber(0x8000), -0)).toBe(true);
  });

  it('every finite float16 round-trips exactly', () => {
    const bad: number[] = [];
    for (let b = 0; b < 0x10000; b++) {
      if ((b & 0x7c00) === 0x7c00) continue;
      if (h(f16BitsToNumber(b)) !== b) bad.push(b);
    }
    expect(bad).toEqual([]);
  });

  it('rounds to nearest, ties to even, at every pair of neighbours (subnormals, the normal boundary, overflow)', () => {
    let checked = 0;
    for (let b = 0; b < 0x7bff; b++) {
      const lo = f16BitsToNumber(b);
      const hi = f16BitsToNumber(b + 1);
      const mid = (lo + hi) / 2; // exact in float32 (12 significant bits)
      if (Math.fround(mid) !== mid) throw new Error(`midpoint ${mid} not exact`);
      const even = b % 2 === 0 ? b : b + 1;
      const mb = bitsOf(mid);
      if (h(mid) !== even) throw new Error(`tie ${mid}: got ${h(mid)}, want ${even}`);
      if (h(fromBits(mb - 1)) !== b) throw new Error(`below ${mid}`);
      if (h(fromBits(mb + 1)) !== b + 1) throw new Error(`above ${mid}`);
      checked++;
    }
    expect(checked).toBe(0x7bff);
    // Between 0 and the smallest subnormal: the tie (2^-25) goes to 0 (even), just above it to 2^-24.
    expect(h(2 ** -25)).toBe(0);
    expect(h(fromBits(bitsOf(2 ** -25) + 1))).toBe(1);
    expect(h(2 ** -26)).toBe(0);
    // The largest subnormal rounds up into the smallest normal at its midpoint (odd -> even).
    expect(h((f16BitsToNumber(0x3ff) + F16_MIN_NORMAL) / 2)).toBe(0x400);
    // Overflow: 65504 < x < 65520 rounds down to 65504; 65520 (the tie with 65536) and above become inf.
    expect(h(65519.99)).toBe(0x7bff);
    expect(h(65520)).toBe(0x7c00);
    expect(h(-1e6)).toBe(0xfc00);
    expect(h(3.4e38)).toBe(0x7c00);
  });
});

describe('float32 -> float16 tensor conversion with clamping', () => {
  const convert = (values: number[], minPositive = 5.96e-8, maxFinite = F16_MAX) => {
    const stats = emptyStats();
    const src = new Uint8Array(Float32Array.from(values).buffer);
    const out = float32BytesToFloat16(src, { minPositive, maxFinite }, stats);
    return { out: Array.from(new Uint16Array(out.buffer, out.byteOffset, values.length)).map(f16BitsToNumber), stats };
  };

  it('clamps beyond maxFinite, raises below minPositive, keeps 0/inf/NaN, counts everything', () => {
    const { out, stats } = convert([0, -0, 1e-9, -1e-9, 1e-5, 70000, -3.4e38, Infinity, NaN, 1.5]);
    expect(out.slice(0, 2)).toEqual([0, -0]);
    expect(out[2]).toBe(2 ** -24); // 5.96e-8 rounds to the smallest subnormal
    expect(out[3]).toBe(-(2 ** -24));
    expect(out[4]).toBeCloseTo(1e-5, 7); // subnormal
    expect(out[5]).toBe(65504);
    expect(out[6]).toBe(-65504);
    expect(out[7]).toBe(Infinity);
    expect(Number.isNaN(out[8])).toBe(true);
    expect(out[9]).toBe(1.5);
    expect(stats).toEqual({ count: 10, clamped: 2, raised: 2, flushed: 0, subnormal: 3, nonFinite: 2, maxAbs: Math.fround(3.4e38) });
  });

  it('with minPositive 0 tiny values round (to zero below 2^-25: counted as flushed); reference-style 1e4 clamp', () => {
    expect(convert([1e-9, 4e-8], 0).stats).toMatchObject({ flushed: 1, subnormal: 1, raised: 0 });
    expect(convert([12345, -20000, 9992], 1e-7, 1e4).out).toEqual([10000, -10000, 9992]);
  });

  it('reads unaligned float32 bytes', () => {
    const buf = new Uint8Array(4 * 3 + 1);
    buf.set(new Uint8Array(Float32Array.from([1, 2, 3]).buffer), 1);
    const out = float32BytesToFloat16(buf.subarray(1), { minPositive: 0, maxFinite: F16_MAX });
    expect(Array.from(new Uint16Array(out.buffer))).toEqual([0x3c00, 0x4000, 0x4200]);
  });
});
