/**
 * The INT8 typed-array kernels against today's straightforward implementation (tests/int8/kernel-oracle.ts), byte for
 * byte, on seeded random tensors with edge values: exact .5 ties (positive and negative, in values and zero points),
 * the clip edges, huge / tiny / subnormal values, ±0, all-equal and empty tensors, per-tensor and per-channel on every
 * axis of 2-D/3-D/4-D shapes (both the row kernel and the segment kernel), float16 sources, every
 * int8/uint8 × symmetric × reduce_range combination.
 */
import { describe, expect, it } from 'vitest';
import { channelLayout, channelMinMax, quantizeChannels } from '../../src/core/kernels/int8.js';
import { float16BytesToFloat32, float16ToFloat32 } from '../../src/core/kernels/float16.js';
import {
  type QuantParams,
  type QType,
  floatBytes,
  quantRange,
  quantizeTensor,
  quantizeTensorChunked,
  readFloatTensor,
} from '../../src/core/int8/numerics.js';
import { DT } from '../../src/core/onnx/dtypes.js';
import type { TensorView } from '../../src/core/onnx/model.js';
import { oracleFloatBytes, oracleQuantizePass, oracleQuantizeTensor, oracleReadRaw } from './kernel-oracle.js';
import { mulberry32 } from '../../src/core/quality/math.js';

const MODES: QuantParams[] = [];
for (const qType of [DT.INT8, DT.UINT8] as QType[])
  for (const symmetric of [true, false])
    for (const reduceRange of [false, true]) MODES.push({ qType, symmetric, reduceRange, floatType: DT.FLOAT });

const SHAPES: number[][] = [[37], [7, 5], [33, 40], [5, 64], [3, 4, 5], [2, 3, 40], [2, 3, 4, 5], [3, 2, 1, 33], [4, 1, 2, 1], [3, 100, 8]];

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
const modeLabel = (p: QuantParams) =>
  `${p.qType === DT.INT8 ? 'int8' : 'uint8'} ${p.symmetric ? 'sym' : 'asym'}${p.reduceRange ? ' rr' : ''}${p.floatType === DT.FLOAT16 ? ' f16' : ''}`;

/** Channel of element i when quantizing along `axis`. */
function channelOf(dims: readonly number[], axis: number | null, i: number): number {
  if (axis === null) return 0;
  const l = channelLayout(dims, axis);
  return Math.floor(i / l.inner) % l.channels;
}

type Gen = (r: () => number, dims: number[], axis: number | null, p: QuantParams) => Float32Array;

const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/**
 * Values on the grid (k + 0.5) / 64 inside a range chosen so that every channel's scale is exactly 1/64: then
 * w / scale = k + 0.5 is an exact tie for every element (and asymmetric zero points -rmin / scale = 40.5 are ties too).
 */
const tieTensor: Gen = (r, dims, axis, p) => {
  const [qmin, qmax] = quantRange(p.qType, p.reduceRange, p.symmetric);
  const dq = qmax - qmin;
  const lo = p.symmetric ? -dq / 2 : -40.5; // in units of 1/64
  const hi = lo + dq;
  const n = size(dims);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = (Math.floor(lo + r() * (hi - lo - 1)) + 0.5) / 64;
  // Each channel holds both ends of the range (when it has two elements).
  const seen = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = channelOf(dims, axis, i);
    const k = seen.get(c) ?? 0;
    if (k === 0) v[i] = lo / 64;
    else if (k === 1) v[i] = hi / 64;
    seen.set(c, k + 1);
  }
  return v;
};

const GENS: Record<string, Gen> = {
  gaussian: (r, dims) => Float32Array.from({ length: size(dims) }, () => gauss(r) * 0.05),
  ties: tieTensor,
  // magnitudes 10^-45 .. 10^38 (float32 subnormals included), random signs
  wide: (r, dims) => Float32Array.from({ length: size(dims) }, () => (r() < 0.5 ? -1 : 1) * 10 ** (-45 + r() * 83)),
  // mostly ±0 with a few values, so channels of only zeros (with both signs) occur
  zeros: (r, dims) => Float32Array.from({ length: size(dims) }, () => (r() < 0.8 ? (r() < 0.5 ? -0 : 0) : gauss(r))),
  // below float32's tiny * qrange: scale 1, zero point 0
  tiny: (r, dims) => Float32Array.from({ length: size(dims) }, () => (r() - 0.5) * 2 ** -124),
  // subnormal float32 values only
  subnormal: (r, dims) => Float32Array.from({ length: size(dims) }, () => (r() - 0.5) * 2 ** -127),
  positive: (r, dims) => Float32Array.from({ length: size(dims) }, () => 1 + r() * 3),
  negative: (r, dims) => Float32Array.from({ length: size(dims) }, () => -1 - r() * 3),
  huge: (r, dims) => Float32Array.from({ length: size(dims) }, () => (r() - 0.5) * 6e38),
};

function expectSame(values: Float32Array, dims: number[], axis: number | null, p: QuantParams, what: string): void {
  const want = oracleQuantizeTensor(values, dims, axis, p);
  const got = quantizeTensor(values, dims, axis, p);
  expect(got.scales.length, what).toBe(want.scales.length);
  for (let c = 0; c < want.scales.length; c++) {
    expect(Object.is(got.scales[c], want.scales[c]), `${what}: scale ${c}: ${got.scales[c]} vs ${want.scales[c]}`).toBe(true);
    expect(got.zeroPoints[c], `${what}: zero point ${c}`).toBe(want.zeroPoints[c]);
  }
  expect(got.data.length, what).toBe(want.data.length);
  expectEqualArrays(got.data, want.data, what);
}

describe('quantizeTensor (kernels) equals the straightforward implementation', () => {
  for (const [gname, gen] of Object.entries(GENS))
    it(`${gname} tensors: every shape, axis and mode`, () => {
      const r = mulberry32(0x5eed ^ (gname.length * 7919) ^ gname.charCodeAt(0));
      for (const dims of SHAPES)
        for (const axis of [null, ...dims.map((_, i) => i)])
          for (const p of MODES) {
            const values = gen(r, dims, axis, p);
            expectSame(values, dims, axis, p, `${gname} [${dims}] axis ${axis} ${modeLabel(p)}`);
          }
    });

  it('the tie tensors really hold exact .5 quotients (positive and negative) and tie zero points', () => {
    const r = mulberry32(7);
    let pos = 0;
    let neg = 0;
    let zpTies = 0;
    for (const p of MODES) {
      const dims = [9, 16];
      const values = tieTensor(r, dims, 1, p);
      const q = oracleQuantizeTensor(values, dims, 1, p);
      const [qmin] = quantRange(p.qType, p.reduceRange, p.symmetric);
      for (let i = 0; i < values.length; i++) {
        const x = Math.fround(values[i]! / q.scales[i % 16]!);
        if (x - Math.floor(x) === 0.5) {
          if (x > 0) pos++;
          else neg++;
        }
      }
      if (!p.symmetric) zpTies += q.zeroPoints.filter((z) => z === qmin + 40).length; // rint(qmin + 40.5) = qmin + 40
    }
    expect(pos).toBeGreaterThan(100);
    expect(neg).toBeGreaterThan(100);
    expect(zpTies).toBeGreaterThan(0);
  });

  it('all-equal tensors (±0, ±0.3, the smallest subnormal, ±3e38), per tensor and per channel', () => {
    for (const c of [0, -0, 0.3, -0.3, 2 ** -149, -(2 ** -149), 3e38, -3e38])
      for (const dims of [[6], [4, 6], [2, 3, 4]])
        for (const axis of [null, dims.length - 1, 0])
          for (const p of MODES)
            expectSame(new Float32Array(size(dims)).fill(c), dims, axis, p, `all ${c} [${dims}] axis ${axis} ${modeLabel(p)}`);
  });

  it('zero-size tensors: scale 1 and zero point 0 for every (empty) channel', () => {
    for (const dims of [[0], [0, 4], [4, 0], [2, 0, 3]])
      for (const axis of [null, ...dims.map((_, i) => i)])
        for (const p of MODES) expectSame(new Float32Array(0), dims, axis, p, `[${dims}] axis ${axis} ${modeLabel(p)}`);
    const q = quantizeTensor(new Float32Array(0), [0, 4], 1, MODES[0]!);
    expect(q.scales).toEqual([1, 1, 1, 1]);
    expect(q.zeroPoints).toEqual([0, 0, 0, 0]);
  });

  it('float16 weights (float16 values, float16 scales), including float16 subnormals', () => {
    const r = mulberry32(16);
    for (const dims of [[40], [12, 10], [3, 4, 5], [2, 3, 2, 40]])
      for (const axis of [null, ...dims.map((_, i) => i)])
        for (const base of MODES) {
          const p: QuantParams = { ...base, floatType: DT.FLOAT16 };
          const bits = Uint16Array.from({ length: size(dims) }, () => {
            const e = r() < 0.2 ? 0 : Math.floor(r() * 31); // 20% subnormal / zero, no inf / NaN
            return (r() < 0.5 ? 0x8000 : 0) | (e << 10) | Math.floor(r() * 1024);
          });
          const values = oracleReadRaw(new Uint8Array(bits.buffer), bits.length, DT.FLOAT16);
          expectSame(values, dims, axis, p, `f16 [${dims}] axis ${axis} ${modeLabel(p)}`);
        }
  });

  it('a larger matrix: per channel on the last axis (row kernel) and the first (segment kernel)', () => {
    const r = mulberry32(99);
    const dims = [257, 96];
    const values = Float32Array.from({ length: size(dims) }, () => gauss(r) * 0.1);
    for (const axis of [null, 0, 1]) for (const p of MODES) expectSame(values, dims, axis, p, `[${dims}] axis ${axis} ${modeLabel(p)}`);
  });

  it('NaN and infinite weights: the same errors, on every axis (NaN reported before infinities)', () => {
    const r = mulberry32(3);
    const dims = [4, 6, 5];
    const cases: [string, (v: Float32Array) => void][] = [
      ['NaN', (v) => (v[37] = NaN)],
      ['+inf', (v) => (v[5] = Infinity)],
      ['-inf', (v) => (v[119] = -Infinity)],
      ['NaN and inf', (v) => ((v[0] = Infinity), (v[90] = NaN))],
    ];
    for (const [label, poke] of cases)
      for (const axis of [null, 0, 1, 2]) {
        const v = Float32Array.from({ length: size(dims) }, () => gauss(r));
        poke(v);
        let want = '';
        try {
          oracleQuantizeTensor(v, dims, axis, MODES[0]!, 'w');
        } catch (e) {
          want = (e as Error).message;
        }
        expect(want, `${label} axis ${axis}`).toMatch(/'w' contains (NaN|infinite) values/);
        expect(() => quantizeTensor(v, dims, axis, MODES[0]!, 'w'), `${label} axis ${axis}`).toThrow(want);
      }
  });

  it('a channel holding only +inf is refused too (the old code quantized it to the type maximum)', () => {
    const v = Float32Array.from([Infinity, 1, Infinity, 2]);
    expect(oracleQuantizeTensor(v, [2, 2], 1, MODES[0]!, 'w').data[0]).toBe(127); // the old quirk
    expect(() => quantizeTensor(v, [2, 2], 1, MODES[0]!, 'w')).toThrow(/'w' contains infinite values/);
  });
});

describe('quantizeChannels with arbitrary scales and zero points', () => {
  it('equals the old quantize pass at the clip edges, on ties, for huge quotients and NaN', () => {
    const r = mulberry32(11);
    for (const [lo, hi] of [
      [-128, 127],
      [0, 255],
    ] as [number, number][])
      for (const dims of [[50], [6, 7], [3, 5, 4], [2, 3, 40]])
        for (const axis of [null, ...dims.map((_, i) => i)]) {
          const l = channelLayout(dims, axis);
          const scales = Array.from({ length: l.channels }, () => Math.fround(2 ** (-10 + r() * 12)));
          const zps = Array.from({ length: l.channels }, () => lo + Math.floor(r() * (hi - lo + 1)));
          const values = new Float32Array(size(dims));
          for (let i = 0; i < values.length; i++) {
            const c = channelOf(dims, axis, i);
            const s = scales[c]!;
            const z = zps[c]!;
            const pick = r();
            let x: number;
            if (pick < 0.3)
              x = lo - z + Math.floor(r() * 4) - 2 + (r() < 0.5 ? 0.5 : 0.4999); // around the lower clip edge
            else if (pick < 0.6)
              x = hi - z + Math.floor(r() * 4) - 2 + (r() < 0.5 ? 0.5 : 0.5001); // around the upper edge
            else if (pick < 0.8)
              x = Math.floor((r() - 0.5) * 600) + 0.5; // ties, both signs
            else x = (r() - 0.5) * 1e12; // far outside the range
            values[i] = x * s;
          }
          values[0] = NaN;
          if (values.length > 2) values[1] = -0;
          const want = oracleQuantizePass(values, l.outer, l.channels, l.inner, scales, zps, lo, hi);
          const got = quantizeChannels(values, l, scales, zps, lo, hi);
          expectEqualArrays(got, want, `[${dims}] axis ${axis} [${lo}, ${hi}]`);
        }
  });

  it('zero points beyond the magic-number range take the exact fallback', () => {
    const values = Float32Array.from([0.5, 1.5, -2.5, 3, 1e30, -1e30]);
    const l = channelLayout([6], null);
    for (const z of [2 ** 52, -(2 ** 52), 2 ** 51 + 200])
      expect([...quantizeChannels(values, l, [1], [z], -128, 127)]).toEqual([...oracleQuantizePass(values, 1, 1, 6, [1], [z], -128, 127)]);
  });

  it('channelMinMax: NaN is reported on both kernels; ranges ignore nothing else', () => {
    const v = Float32Array.from({ length: 24 }, (_, i) => i - 10);
    expect(channelMinMax(v, channelLayout([4, 6], 1)).hasNaN).toBe(false);
    v[13] = NaN;
    expect(channelMinMax(v, channelLayout([4, 6], 1)).hasNaN).toBe(true); // row kernel
    expect(channelMinMax(v, channelLayout([4, 6], 0)).hasNaN).toBe(true); // segment kernel
    expect(channelMinMax(v, channelLayout([4, 6], null)).hasNaN).toBe(true);
    v[13] = Infinity;
    const r = channelMinMax(v, channelLayout([4, 6], 1));
    expect(r.hasNaN).toBe(false);
    expect([...r.max]).toEqual([8, Infinity, 10, 11, 12, 13]);
    expect([...r.min]).toEqual([-10, -9, -8, -7, -6, -5]);
  });
});

/** A raw_data tensor view over `raw` (enough of a TensorView for readFloatTensor). */
function rawTensor(raw: Uint8Array, dims: number[], dataType: number): TensorView {
  return { buf: raw, fields: [], name: 't', dims, dataType, rawData: raw, data: null, typedFields: [], external: null };
}

const bitsOf = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

/** Element-wise equality of two typed arrays, reporting the first difference (fast on large arrays). */
function expectEqualArrays(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) expect(`${what}: [${i}] = ${got[i]}`).toBe(`${what}: [${i}] = ${want[i]}`);
}

describe('readFloatTensor and floatBytes (kernels) equal the straightforward implementation', () => {
  const all16 = Uint16Array.from({ length: 65536 }, (_, i) => i);

  it('float16 raw data: every bit pattern widens to the same float32 bits, aligned or not', () => {
    const want = bitsOf(oracleReadRaw(new Uint8Array(all16.buffer), 65536, DT.FLOAT16));
    for (const offset of [0, 1, 2, 3]) {
      const buf = new Uint8Array(65536 * 2 + 4);
      buf.set(new Uint8Array(all16.buffer), offset);
      const raw = buf.subarray(offset, offset + 65536 * 2);
      expectEqualArrays(bitsOf(readFloatTensor(rawTensor(raw, [256, 256], DT.FLOAT16))), want, `offset ${offset}`);
      expectEqualArrays(bitsOf(float16BytesToFloat32(raw)), want, `kernel, offset ${offset}`);
    }
    expectEqualArrays(bitsOf(float16ToFloat32(all16)), want, 'Uint16Array');
  });

  it('float32 raw data: same values; an aligned view is read in place, an unaligned one copied', () => {
    const r = mulberry32(5);
    const words = Uint32Array.from({ length: 1001 }, () => Math.floor(r() * 2 ** 32));
    for (const offset of [0, 1, 2, 3, 4]) {
      const buf = new Uint8Array(words.byteLength + 8);
      buf.set(new Uint8Array(words.buffer), offset);
      const raw = buf.subarray(offset, offset + words.byteLength);
      const got = readFloatTensor(rawTensor(raw, [7, 11, 13], DT.FLOAT));
      expectEqualArrays(bitsOf(got), bitsOf(oracleReadRaw(raw, 1001, DT.FLOAT)), `offset ${offset}`);
      expect(got.buffer === buf.buffer, `offset ${offset}`).toBe(offset % 4 === 0);
    }
    expect(() => readFloatTensor(rawTensor(new Uint8Array(10), [3], DT.FLOAT))).toThrow(
      /has 10 bytes of data but its shape \[3\] needs 12/,
    );
  });

  it('floatBytes: float16 bits of float32 values (every exponent, ties, overflow, NaN) and float32 copies', () => {
    const r = mulberry32(8);
    const words: number[] = [];
    // every sign/exponent/top-mantissa pattern with low-bit variants around the float16 rounding point
    for (let hi = 0; hi < 65536; hi += 1) for (const lo of [0, 0x0fff, 0x1000, 0x1001]) words.push(((hi << 16) | lo) >>> 0);
    for (let i = 0; i < 20000; i++) words.push(Math.floor(r() * 2 ** 32));
    const quiet = Uint32Array.from(words, (w) => ((w & 0x7f800000) === 0x7f800000 && w & 0x7fffff ? w | 0x400000 : w));
    const values = new Float32Array(quiet.buffer);
    expectEqualArrays(floatBytes(values, DT.FLOAT16), oracleFloatBytes(values, DT.FLOAT16), 'float16');
    expectEqualArrays(floatBytes(values, DT.FLOAT), oracleFloatBytes(values, DT.FLOAT), 'float32');
    // widened float16 values come back to the same float16 bits
    const w16 = float16ToFloat32(all16);
    expectEqualArrays(floatBytes(w16, DT.FLOAT16), oracleFloatBytes(w16, DT.FLOAT16), 'widened float16');
    // plain arrays of numbers (scales) keep the per-value path
    expect(floatBytes([1 / 3, 65520, NaN, -0], DT.FLOAT16)).toEqual(oracleFloatBytes([1 / 3, 65520, NaN, -0], DT.FLOAT16));
  });
});

describe('quantizeTensorChunked (big tensors on disk, two passes over chunks)', () => {
  const layouts: [number[], number | null][] = [
    [[37, 11], null],
    [[37, 11], 1],
    [[37, 11], 0],
    [[5, 7, 9], 0],
    [[5, 7, 9], 1],
    [[5, 7, 9], 2],
    [[3, 4, 5, 6], 1],
    [[1000], null],
  ];
  for (const [dims, axis] of layouts)
    for (const chunk of [1, 7, 64, 100000])
      it(`[${dims}] axis ${axis}, chunks of ${chunk}: byte-identical to quantizeTensor`, async () => {
        const n = dims.reduce((a, b) => a * b, 1);
        const v = new Float32Array(n).map((_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 3);
        const p = { qType: DT.INT8, symmetric: true, reduceRange: false, floatType: DT.FLOAT } as const;
        for (const params of [p, { ...p, qType: DT.UINT8, symmetric: false, reduceRange: true }] as const) {
          const whole = quantizeTensor(v, dims, axis, params);
          const reads: number[] = [];
          const chunked = await quantizeTensorChunked(async (s, c) => (reads.push(c), v.slice(s, s + c)), dims, axis, params, 't', chunk);
          expect(Buffer.from(chunked.data).equals(Buffer.from(whole.data))).toBe(true);
          expect(chunked.scales).toEqual(whole.scales);
          expect(chunked.zeroPoints).toEqual(whole.zeroPoints);
          if (chunk < n) expect(Math.max(...reads)).toBeLessThan(n);
        }
      });

  it('names the tensor when a chunk holds NaN', async () => {
    const v = new Float32Array(100).fill(1);
    v[77] = NaN;
    const p = { qType: DT.INT8, symmetric: true, reduceRange: false, floatType: DT.FLOAT } as const;
    await expect(quantizeTensorChunked(async (s, c) => v.slice(s, s + c), [100], null, p, 'W', 10)).rejects.toThrow(/'W' contains NaN/);
  });
});
