/**
 * The bulk float32 -> float16 kernel (kernels/float16.ts, used by FP16's tensor conversion through
 * onnx/float16.ts `float32BytesToFloat16`) against the previous per-value converter (tests/fp16/convert-oracle.ts):
 * same bytes and same counters (clamped, raised, flushed, subnormal, non-finite, max |x|) for every clamp setting,
 * over every float32 sign / exponent / top-mantissa pattern with low bits at and around the rounding point, the clamp
 * thresholds, ±0, subnormals, infinities and NaN payloads; aligned and unaligned sources, across chunk borders.
 */
import { describe, expect, it } from 'vitest';
import { emptyCounts, float32BytesToFloat16Bits, float32ToFloat16 } from '../../src/core/kernels/float16.js';
import { type ClampOptions, emptyStats, float32ArrayToFloat16, float32BytesToFloat16 } from '../../src/core/onnx/float16.js';
import { oracleConvertWords } from './convert-oracle.js';
import { scanFloatValues } from '../../src/core/fp16/payload.js';
import { mulberry32 } from '../../src/core/quality/math.js';

/** Element-wise equality of two typed arrays, reporting the first difference (fast on large arrays). */
function expectEqualArrays(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) expect(`${what}: [${i}] = ${got[i]}`).toBe(`${what}: [${i}] = ${want[i]}`);
}

const f = new Float32Array(1);
const u = new Uint32Array(f.buffer);
const bitsOf = (x: number) => ((f[0] = x), u[0]!);

/** Every sign/exponent/top-mantissa pattern (high 16 bits) with low bits below, at and above the rounding point. */
function edgeWords(): Uint32Array {
  const out: number[] = [];
  for (let hi = 0; hi < 65536; hi++)
    for (const lo of [0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0xffff]) out.push(((hi << 16) | lo) >>> 0);
  return Uint32Array.from(out);
}

/** Values at and one float32 step around each clamp threshold and the float16 landmarks, both signs. */
function thresholdWords(opts: ClampOptions[]): Uint32Array {
  const marks = [0, 2 ** -25, 2 ** -24, 2 ** -14, 65504, 65519.996, 65520, 65536, 1e-7, 5.96e-8, 1e4, 3.4e38, Infinity];
  for (const o of opts) marks.push(o.minPositive, o.maxFinite);
  const out: number[] = [];
  for (const m of marks) {
    const b = bitsOf(m);
    for (let d = -2; d <= 2; d++) {
      const w = b + d;
      if (w < 0 || w > 0x7fffffff) continue;
      out.push(w, (w | 0x80000000) >>> 0);
    }
  }
  // NaN payloads (quiet and signalling, both signs)
  out.push(0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fa00000, 0x7fbfffff, 0x7fffffff, 0xffffffff, 0x7f802000);
  return Uint32Array.from(out);
}

const CLAMPS: ClampOptions[] = [
  { minPositive: 1e-7, maxFinite: 1e4 }, // onnxconverter-common defaults
  { minPositive: 5.96e-8, maxFinite: 65504 }, // onnxruntime transformers tool
  { minPositive: 0, maxFinite: 65504 }, // no raising: values round, possibly to ±0
  { minPositive: 0, maxFinite: 1e4 },
  { minPositive: 2 ** -10, maxFinite: 100 }, // raising above the smallest normal
  { minPositive: 1e-3, maxFinite: 1e-4 }, // thresholds crossing (nothing takes the fast path)
];

function expectSame(words: Uint32Array, opts: ClampOptions, what: string): void {
  const wantStats = emptyStats();
  const want = new Uint16Array(oracleConvertWords(words, opts, wantStats).buffer);
  const r = float32ToFloat16(words, opts);
  for (let i = 0; i < want.length; i++)
    if (r.bits[i] !== want[i])
      expect(`${what}: 0x${words[i]!.toString(16)} -> 0x${r.bits[i]!.toString(16)}`).toBe(
        `${what}: 0x${words[i]!.toString(16)} -> 0x${want[i]!.toString(16)}`,
      );
  const { count, ...counts } = wantStats;
  expect(count, what).toBe(words.length);
  expect(r.counts, what).toEqual(counts);
}

describe('float32ToFloat16 (bulk) equals the per-value converter', () => {
  const edges = edgeWords();
  for (const opts of CLAMPS)
    it(`every exponent and rounding case, min ${opts.minPositive} / max ${opts.maxFinite}`, () => {
      expectSame(edges, opts, 'edges');
      expectSame(thresholdWords(CLAMPS), opts, 'thresholds');
      const r = mulberry32(Math.round(opts.maxFinite));
      expectSame(
        Uint32Array.from({ length: 50000 }, () => Math.floor(r() * 2 ** 32)),
        opts,
        'random bits',
      );
    });

  it('typical weights (every value on the fast path): same bits and max |x|', () => {
    const r = mulberry32(9);
    const words = Uint32Array.from({ length: 30000 }, () => bitsOf((r() - 0.5) * (0.2 + r())));
    for (const opts of CLAMPS.slice(0, 3)) expectSame(words, opts, 'weights');
    expect(float32ToFloat16(words, CLAMPS[0]!).counts.maxAbs).toBeGreaterThan(0.5);
  });

  it('the cases exercise every counter', () => {
    const s = emptyStats();
    oracleConvertWords(edgeWords(), CLAMPS[0]!, s);
    oracleConvertWords(edgeWords(), CLAMPS[2]!, s);
    for (const k of ['clamped', 'raised', 'flushed', 'subnormal', 'nonFinite'] as const) expect(s[k], k).toBeGreaterThan(0);
  });

  it('without clamping: plain round-to-nearest-even, overflow to ±inf', () => {
    const words = edgeWords();
    const r = float32ToFloat16(words, null);
    // the oracle with no raising and a maximum no finite float32 exceeds (+inf: 0x7f800000)
    const wantStats = emptyStats();
    const want = new Uint16Array(oracleConvertWords(words, { minPositive: 0, maxFinite: Infinity }, wantStats).buffer);
    expectEqualArrays(r.bits, want, 'no clamp');
    expect(r.counts.clamped + r.counts.raised).toBe(0);
    expect(float32ToFloat16(Uint32Array.of(bitsOf(65520), bitsOf(-1e9)), null).bits).toEqual(Uint16Array.of(0x7c00, 0xfc00));
  });

  it('empty input', () => {
    const r = float32ToFloat16(new Uint32Array(0), CLAMPS[0]!);
    expect(r.bits.length).toBe(0);
    expect(r.counts).toEqual(emptyCounts());
  });
});

describe('float32BytesToFloat16 (what FP16 tensor conversion calls)', () => {
  it('aligned and unaligned bytes, across chunk borders, trailing bytes ignored; counters added to the running stats', () => {
    const r = mulberry32(42);
    const n = 40000; // more than two 16384-word chunks
    const words = Uint32Array.from({ length: n }, () =>
      r() < 0.1 ? Math.floor(r() * 2 ** 32) : bitsOf((r() - 0.5) * 10 ** (-9 + r() * 14)),
    );
    const wantStats = emptyStats();
    const want = oracleConvertWords(words, CLAMPS[0]!, wantStats);
    for (const offset of [0, 1, 2, 3]) {
      const buf = new Uint8Array(n * 4 + 8);
      buf.set(new Uint8Array(words.buffer), offset);
      const src = buf.subarray(offset, offset + n * 4 + 3); // 3 trailing bytes
      const stats = emptyStats();
      stats.count = 5;
      stats.clamped = 1;
      const got = float32BytesToFloat16(src, CLAMPS[0]!, stats);
      expectEqualArrays(got, want, `offset ${offset}`);
      expect(stats, `offset ${offset}`).toEqual({ ...wantStats, count: wantStats.count + 5, clamped: wantStats.clamped + 1 });
      expect(float32BytesToFloat16Bits(src, CLAMPS[0]!).counts.maxAbs).toBe(wantStats.maxAbs);
    }
  });

  it('float32ArrayToFloat16 (Constant value_floats) rounds numbers to float32 first', () => {
    const vals = [0.1, -1e-9, 1e5, 65520, Number.MAX_VALUE, -0, NaN];
    const st = emptyStats();
    const want = oracleConvertWords(new Uint32Array(Float32Array.from(vals).buffer), CLAMPS[0]!, st);
    const got = emptyStats();
    expect(float32ArrayToFloat16(vals, CLAMPS[0]!, got)).toEqual(want);
    expect(got).toEqual(st);
  });
});

describe('the range scan (fp16/payload.ts scanFloatValues) on bit patterns', () => {
  /** The float-math scan it replaced. */
  function oracleScan(v: Float32Array, maxFinite: number): { maxAbs: number; genuine: boolean } {
    let maxAbs = 0;
    let genuine = false;
    for (let i = 0; i < v.length; i++) {
      const a = Math.abs(v[i]!);
      if (a > maxAbs && a !== Infinity) maxAbs = a;
      if (a > maxFinite && a < 1e9) genuine = true;
    }
    return { maxAbs, genuine };
  }
  it('gives the largest finite |x| and the genuine flag of the float scan, at and around every threshold', () => {
    const near = (x: number) => {
      const b = bitsOf(x);
      return [b - 1, b, b + 1].map((w) => ((u[0] = w), f[0]!));
    };
    const rnd = mulberry32(7);
    for (const maxFinite of [65504, 1000, 0.1, 65503.99, 3.14159]) {
      const specials = [0, -0, NaN, Infinity, -Infinity, 1e9, -1e9, 3.4e38, -3.4e38, ...near(maxFinite), ...near(1e9), ...near(65504)];
      for (const s of specials)
        for (const pick of [[s], [s, 0.5], [0.5, s, -2]]) {
          const v = Float32Array.from(pick);
          expect(scanFloatValues([...v], maxFinite), `${pick} vs ${maxFinite}`).toEqual(oracleScan(v, maxFinite));
        }
      const words = edgeWords();
      for (let i = 0; i < 2000; i++) {
        const sub = words.subarray(Math.floor(rnd() * (words.length - 64)));
        const v = new Float32Array(sub.buffer, sub.byteOffset, 1 + Math.floor(rnd() * 63));
        expect(scanFloatValues([...v], maxFinite)).toEqual(oracleScan(Float32Array.from(v), maxFinite));
      }
    }
  });
});
