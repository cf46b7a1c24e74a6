/** Hand-computed cases for the INT8 numerics (onnxruntime quant_utils semantics). */
import { describe, expect, it } from 'vitest';
import {
  FLOAT32_TINY,
  computeScaleZp,
  float16Bits,
  float16BitsToNumber,
  quantRange,
  quantizeTensor,
  quantizeValue,
  roundHalfEven,
  typeRange,
} from '../../src/core/int8/numerics.js';
import { DT } from '../../src/core/onnx/dtypes.js';

const INT8 = DT.INT8;
const UINT8 = DT.UINT8;

describe('roundHalfEven (numpy rint)', () => {
  it('rounds ties to the even neighbour, unlike Math.round', () => {
    const cases: [number, number][] = [
      [0.5, 0],
      [1.5, 2],
      [2.5, 2],
      [3.5, 4],
      [-0.5, 0],
      [-1.5, -2],
      [-2.5, -2],
      [-3.5, -4],
      [126.5, 126],
      [127.5, 128],
    ];
    for (const [x, want] of cases) expect(roundHalfEven(x) === want, `rint(${x})`).toBe(true);
    expect(Math.round(2.5)).toBe(3); // the trap
    expect(Math.round(-2.5)).toBe(-2);
  });
  it('rounds non-ties to nearest', () => {
    expect(roundHalfEven(2.4999999)).toBe(2);
    expect(roundHalfEven(2.5000001)).toBe(3);
    expect(roundHalfEven(-2.5000001)).toBe(-3);
    expect(roundHalfEven(0.49999999999999994)).toBe(0);
    expect(roundHalfEven(-7)).toBe(-7);
  });
  it('leaves huge and non-finite values alone', () => {
    expect(roundHalfEven(2 ** 53 + 2)).toBe(2 ** 53 + 2);
    expect(roundHalfEven(Infinity)).toBe(Infinity);
    expect(Number.isNaN(roundHalfEven(NaN))).toBe(true);
  });
});

describe('quantization ranges', () => {
  it('full, symmetric (int8 only) and reduced ranges; reduce_range wins', () => {
    expect(quantRange(INT8, false, false)).toEqual([-128, 127]);
    expect(quantRange(UINT8, false, false)).toEqual([0, 255]);
    expect(quantRange(INT8, false, true)).toEqual([-127, 127]);
    expect(quantRange(UINT8, false, true)).toEqual([0, 255]); // no symmetric table for uint8
    expect(quantRange(INT8, true, false)).toEqual([-64, 64]);
    expect(quantRange(INT8, true, true)).toEqual([-64, 64]);
    expect(quantRange(UINT8, true, true)).toEqual([0, 127]);
    expect(typeRange(INT8)).toEqual([-128, 127]);
  });
});

describe('computeScaleZp', () => {
  it('symmetric int8: scale = 2*absmax/254 (float64, stored as float32), zp 0', () => {
    const r = computeScaleZp(-1, 0.5, -127, 127, true);
    expect(r.zeroPoint).toBe(0);
    expect(r.scale).toBe(Math.fround(2 / 254));
  });
  it('asymmetric uint8: zp = round(qmin - rmin / scale64)', () => {
    const r = computeScaleZp(-1, 3, 0, 255, false);
    expect(r.scale).toBe(Math.fround(4 / 255));
    expect(r.zeroPoint).toBe(64); // 255/4 = 63.75 -> 64
  });
  it('zero point exactly halfway rounds to even', () => {
    // dr = 127/64, dq = 127 -> scale = 1/64 exactly; rmin / scale = -32.5 -> zp = rint(32.5) = 32 (Math.round: 33).
    const r = computeScaleZp(-0.5078125, 1.4765625, 0, 127, false);
    expect(r.scale).toBe(1 / 64);
    expect(r.zeroPoint).toBe(32);
  });
  it('the range always includes 0', () => {
    const pos = computeScaleZp(2, 4, 0, 255, false); // [0, 4]
    expect(pos.zeroPoint).toBe(0);
    expect(pos.scale).toBe(Math.fround(4 / 255));
    const neg = computeScaleZp(-4, -2, 0, 255, false); // [-4, 0]
    expect(neg.zeroPoint).toBe(255);
  });
  it('all-zero weights: scale 1, zero point 0', () => {
    expect(computeScaleZp(0, 0, -127, 127, true)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(computeScaleZp(0, 0, 0, 255, false)).toEqual({ scale: 1, zeroPoint: 0 });
  });
  it('tiny ranges: below float32 tiny -> scale 1, zp 0; exactly tiny is kept', () => {
    expect(computeScaleZp(0, Math.fround(1e-40), 0, 255, false)).toEqual({ scale: 1, zeroPoint: 0 });
    const atTiny = computeScaleZp(0, FLOAT32_TINY * 255, 0, 255, false);
    expect(atTiny.scale).toBe(FLOAT32_TINY);
    expect(atTiny.zeroPoint).toBe(0);
  });
  it('reduce_range and symmetric uint8 zero points (half-even on (qmin+qmax)/2)', () => {
    expect(computeScaleZp(-1, 1, -64, 64, true)).toEqual({ scale: Math.fround(2 / 128), zeroPoint: 0 });
    expect(computeScaleZp(-1, 1, 0, 127, true).zeroPoint).toBe(64); // 63.5 -> 64
    expect(computeScaleZp(-1, 1, 0, 255, true).zeroPoint).toBe(128); // 127.5 -> 128
    expect(computeScaleZp(-1, 1, 0, 255, true).scale).toBe(Math.fround(2 / 255));
  });
  it('float16 weights: scale rounded to float16', () => {
    const r = computeScaleZp(-1, 1, -127, 127, true, DT.FLOAT16);
    expect(r.scale).toBe(float16BitsToNumber(float16Bits(2 / 254)));
    expect(r.scale).not.toBe(Math.fround(2 / 254));
  });
});

describe('quantizeValue / quantizeTensor', () => {
  it('divides in float32, rounds half to even, adds zp, clips to the full type range', () => {
    const s = 1 / 64;
    expect(quantizeValue(1.5 / 64, s, 0, -128, 127)).toBe(2);
    expect(quantizeValue(2.5 / 64, s, 0, -128, 127)).toBe(2);
    expect(quantizeValue(-2.5 / 64, s, 0, -128, 127)).toBe(-2);
    expect(quantizeValue(2.5 / 64, s, 10, 0, 255)).toBe(12);
    expect(quantizeValue(100, s, 0, -128, 127)).toBe(127);
    expect(quantizeValue(-100, s, 0, -128, 127)).toBe(-128); // full range, not the symmetric [-127, 127]
  });
  it('per-tensor int8 symmetric, stored as two complement bytes', () => {
    const q = quantizeTensor(Float32Array.from([-1, -0.5, 0, 0.5, 1]), [5], null, {
      qType: INT8,
      symmetric: true,
      reduceRange: false,
      floatType: DT.FLOAT,
    });
    expect(q.scales).toEqual([Math.fround(2 / 254)]);
    expect(q.zeroPoints).toEqual([0]);
    expect([...new Int8Array(q.data.buffer)]).toEqual([-127, -64, 0, 64, 127]); // 0.5/scale = 63.5 -> 64 (even)
  });
  it('per-channel along the last axis slices columns (weights.take(i, axis))', () => {
    // [[1, -2], [3, -4]]: column 0 = {1, 3}, column 1 = {-2, -4}; uint8 asymmetric.
    const q = quantizeTensor(Float32Array.from([1, -2, 3, -4]), [2, 2], 1, {
      qType: UINT8,
      symmetric: false,
      reduceRange: false,
      floatType: DT.FLOAT,
    });
    expect(q.scales).toEqual([Math.fround(3 / 255), Math.fround(4 / 255)]);
    expect(q.zeroPoints).toEqual([0, 255]);
    expect([...q.data]).toEqual([85, 128, 255, 0]); // 1/(3/255) = 85; -2/(4/255) + 255 = 127.5 -> 128
  });
  it('rejects NaN / infinite weights with a clear message', () => {
    expect(() =>
      quantizeTensor(
        Float32Array.from([1, NaN]),
        [2],
        null,
        { qType: INT8, symmetric: true, reduceRange: false, floatType: DT.FLOAT },
        'w',
      ),
    ).toThrow(/'w' contains NaN/);
    expect(() =>
      quantizeTensor(
        Float32Array.from([1, Infinity]),
        [2],
        null,
        { qType: INT8, symmetric: true, reduceRange: false, floatType: DT.FLOAT },
        'w',
      ),
    ).toThrow(/infinite/);
  });
});

describe('float16 conversion', () => {
  it('encodes like numpy float64 -> float16 (round half to even)', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00);
    expect(float16Bits(2 ** -24)).toBe(1);
    expect(float16Bits(2 ** -25)).toBe(0); // tie -> even (0)
    expect(float16Bits(0.1)).toBe(0x2e66);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(float16Bits(-2)).toBe(0xc000);
    for (const h of [0x0001, 0x03ff, 0x0400, 0x3555, 0x7bff, 0xfbff]) expect(float16Bits(float16BitsToNumber(h))).toBe(h);
  });
});
