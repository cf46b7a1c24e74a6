/**
 * The WebAssembly SIMD kernels (src/core/kernels/simd.wat → simd.generated.ts, used through simd.ts) against their
 * TypeScript twins, bit for bit: INT8's range and quantization, FP16's narrowing (bits and every counter) and range
 * scan, on seeded random values mixed with the values each kernel treats specially (ties, clip edges, ±0, NaN, ±inf,
 * float16 subnormals and overflow, clamp thresholds), at lengths that are and are not multiples of the vector widths
 * and longer than one block. Also: the committed module is what the .wat compiles to, and Node has SIMD (so the
 * comparisons really compare two implementations).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { OUT_PATH, WAT_PATH, generateKernels } from '../../scripts/gen-wasm-kernels.js';
import { BLOCK, leaseSlot, simd, simdSwitch } from '../../src/core/kernels/simd.js';
import { channelLayout, channelMinMax, quantizeChannels } from '../../src/core/kernels/int8.js';
import { type Float16Clamp, float32ToFloat16 } from '../../src/core/kernels/float16.js';
import { scanFloatValues } from '../../src/core/fp16/payload.js';
import { mulberry32 } from '../../src/core/quality/math.js';

afterEach(() => {
  simdSwitch.enabled = true;
});

/** fn run once with the SIMD kernels and once with the TypeScript ones. */
function both<T>(fn: () => T): { simd: T; ts: T } {
  simdSwitch.enabled = true;
  const a = fn();
  simdSwitch.enabled = false;
  const b = fn();
  simdSwitch.enabled = true;
  return { simd: a, ts: b };
}

const LENGTHS = [64, 65, 79, 1000, 16_384 + 7, BLOCK + 100];

describe('the generated SIMD module', () => {
  it('equals what the generator compiles from simd.wat (no drift), and instantiates in Node', async () => {
    expect(readFileSync(OUT_PATH, 'utf8')).toBe(await generateKernels(readFileSync(WAT_PATH, 'utf8')));
    expect(simd()).not.toBeNull();
  });
});

describe('INT8: range and quantization', () => {
  const r = mulberry32(7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

  it('channelMinMax: the same min / max / NaN flag per tensor and per channel', () => {
    for (const n of LENGTHS) {
      const v = Float32Array.from({ length: n }, () => gauss() * 0.05);
      const cases: Float32Array[] = [v, v.map((x, i) => (i === n - 3 ? -0 : x)), v.map((x, i) => (i === 70 ? Infinity : x))];
      const withNaN = v.slice();
      withNaN[n >> 1] = NaN;
      cases.push(withNaN);
      for (const values of cases)
        for (const layout of [channelLayout([n], null), ...(n % 2 === 0 ? [channelLayout([2, n / 2], 0)] : [])]) {
          const got = both(() => channelMinMax(values, layout));
          expect(got.simd.hasNaN).toBe(got.ts.hasNaN);
          if (!got.ts.hasNaN) {
            expect([...got.simd.min]).toEqual([...got.ts.min]);
            expect([...got.simd.max]).toEqual([...got.ts.max]);
          }
        }
    }
  });

  it('per-channel row kernels (last axis): the same extremes, NaN flag and bytes', () => {
    for (const [rows, cols] of [
      [3, 64],
      [129, 384],
      [200, 1024],
      [5, 30], // not a multiple of 4: TypeScript both times
    ] as [number, number][]) {
      const n = rows * cols;
      const values = Float32Array.from({ length: n }, () => gauss() * 0.05);
      values[cols + 5] = -0;
      values[2 * cols + 7] = (Math.floor(gauss() * 100) + 0.5) * 2 ** -10; // a tie for scale 2^-10
      const layout = channelLayout([rows, cols], 1);
      const range = both(() => channelMinMax(values, layout));
      expect([...range.simd.min]).toEqual([...range.ts.min]);
      expect([...range.simd.max]).toEqual([...range.ts.max]);
      expect(range.simd.hasNaN).toBe(false);
      const scales = Array.from({ length: cols }, (_, c) => (c === 7 ? 2 ** -10 : Math.fround(2 ** (-9 + r() * 4))));
      for (const [lo, hi] of [
        [-128, 127],
        [0, 255],
      ] as const) {
        const zps = Array.from({ length: cols }, () => (lo === 0 ? 100 + Math.floor(r() * 50) : 0));
        const got = both(() => quantizeChannels(values, layout, scales, zps, lo, hi));
        expect(Buffer.from(got.simd).equals(Buffer.from(got.ts)), `[${rows}, ${cols}] [${lo}, ${hi}]`).toBe(true);
      }
      const withNaN = values.slice();
      withNaN[n - 2] = NaN;
      const nan = both(() => channelMinMax(withNaN, layout));
      expect(nan.simd.hasNaN).toBe(true);
      expect(nan.ts.hasNaN).toBe(true);
    }
  });

  it('quantizeChannels: the same bytes for int8 and uint8 on ties, clip edges, huge values, ±0 and NaN', () => {
    for (const [lo, hi] of [
      [-128, 127],
      [0, 255],
    ] as const)
      for (const n of LENGTHS) {
        const s = Math.fround(2 ** (-9 + r() * 4));
        const z = lo === 0 ? 100 + Math.floor(r() * 50) : Math.floor(r() * 20) - 10;
        const values = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const pick = r();
          let q: number;
          if (pick < 0.3)
            q = Math.floor((r() - 0.5) * 300) + 0.5; // exact ties, both signs
          else if (pick < 0.45)
            q = lo - z + Math.floor(r() * 4) - 2 + 0.5; // around the lower clip edge
          else if (pick < 0.6)
            q = hi - z + Math.floor(r() * 4) - 2 + 0.5; // around the upper edge
          else if (pick < 0.65)
            q = (r() - 0.5) * 1e12; // far outside
          else q = gauss() * 60;
          values[i] = q * s;
        }
        values[3] = -0;
        values[10] = NaN;
        values[n - 1] = Infinity;
        values[n - 2] = -Infinity;
        const got = both(() => quantizeChannels(values, channelLayout([n], null), [s], [z], lo, hi));
        expect(Buffer.from(got.simd).equals(Buffer.from(got.ts)), `n ${n} [${lo}, ${hi}] s ${s} z ${z}`).toBe(true);
      }
  });
});

describe('FP16: narrowing and range scan', () => {
  const r = mulberry32(9);
  /** Bit patterns: mostly weights, with every special class sprinkled in. */
  const words = (n: number): Uint32Array => {
    const f = new Float32Array(n);
    const w = new Uint32Array(f.buffer);
    for (let i = 0; i < n; i++) {
      const pick = r();
      if (pick < 0.7) f[i] = (r() - 0.5) * 0.2;
      else if (pick < 0.75)
        f[i] = (r() - 0.5) * 1e-5; // float16 subnormal results, raising
      else if (pick < 0.78)
        f[i] = (r() - 0.5) * 1e-9; // below the smallest subnormal: flushed or raised
      else if (pick < 0.81)
        f[i] = (r() - 0.5) * 2e5; // beyond 65504: clamped or overflow
      else if (pick < 0.83) f[i] = [0, -0, Infinity, -Infinity, NaN, 65504, -65504, 65520, 2 ** -14, -(2 ** -14)][Math.floor(r() * 10)]!;
      else if (pick < 0.9)
        w[i] = ((Math.floor(r() * 0x3e000) + 0x38800) << 13) | 0x1000 | (r() < 0.5 ? 0x80000000 : 0); // exact ties
      else w[i] = Math.floor(r() * 2 ** 32) >>> 0; // any bit pattern, NaN payloads included
    }
    return w;
  };
  const clamps: (Float16Clamp | null)[] = [null, { minPositive: 5.96e-8, maxFinite: 65504 }, { minPositive: 1e-7, maxFinite: 1e4 }];

  it('float32ToFloat16: the same float16 bits and the same counters', () => {
    for (const n of LENGTHS) {
      const w = words(n);
      for (const clamp of clamps) {
        const got = both(() => float32ToFloat16(w, clamp));
        expect(Buffer.from(got.simd.bits.buffer).equals(Buffer.from(got.ts.bits.buffer)), `n ${n} clamp ${JSON.stringify(clamp)}`).toBe(
          true,
        );
        expect(got.simd.counts).toEqual(got.ts.counts);
      }
    }
  });

  it('the range scan: the same largest finite magnitude and out-of-range verdict', () => {
    for (const n of LENGTHS) {
      const w = words(n);
      const values = Array.from(new Float32Array(w.buffer));
      const plain = values.map((x) => (Number.isFinite(x) ? Math.max(-1, Math.min(1, x)) : 0.5));
      for (const v of [values, plain])
        for (const maxFinite of [65504, 1e4]) {
          const got = both(() => scanFloatValues(v, maxFinite));
          expect(got.simd).toEqual(got.ts);
        }
    }
  });
});

describe('values read into a slot of the kernels memory (no copy) give what copied values give', () => {
  /** `values` placed at the start of a leased slot, as a file read fills it (src/core/io/pool.ts). */
  function inSlot(values: Float32Array): { v: Float32Array; release(): void } {
    const slot = leaseSlot();
    if (!slot) throw new Error('no free slot');
    const v = new Float32Array(slot.bytes.buffer, slot.bytes.byteOffset, values.length);
    v.set(values);
    return { v, release: slot.release };
  }
  const r = mulberry32(11);
  const values = Float32Array.from({ length: BLOCK * 2 + 44 }, (_, i) => (i % 97 === 0 ? 0.5 : (r() - 0.5) * 0.2));

  it('range, quantization per tensor and per channel, float16 narrowing and the range scan', () => {
    const s = inSlot(values);
    try {
      expect(s.v.buffer).toBe(simd()!.x.memory.buffer);
      const n = values.length;
      for (const layout of [channelLayout([n], null), channelLayout([n / 4, 4], 1), channelLayout([4, n / 4], 0)]) {
        const copied = channelMinMax(values, layout);
        const inPlace = channelMinMax(s.v, layout);
        expect([...inPlace.min]).toEqual([...copied.min]);
        expect([...inPlace.max]).toEqual([...copied.max]);
        const scales = Array.from({ length: layout.channels }, (_, c) => 0.001 + c * 1e-4);
        const zps = Array.from({ length: layout.channels }, (_, c) => (c % 3) - 1);
        const a = quantizeChannels(values, layout, scales, zps, -128, 127);
        const b = quantizeChannels(s.v, layout, scales, zps, -128, 127);
        expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
        // and what the TypeScript twin gives
        simdSwitch.enabled = false;
        const ts = quantizeChannels(values, layout, scales, zps, -128, 127);
        simdSwitch.enabled = true;
        expect(Buffer.from(b).equals(Buffer.from(ts))).toBe(true);
      }
      const words = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
      const h1 = float32ToFloat16(words(values), null);
      const h2 = float32ToFloat16(words(s.v), null);
      expect(Buffer.from(h2.bits.buffer).equals(Buffer.from(h1.bits.buffer))).toBe(true);
      expect(h2.counts).toEqual(h1.counts);
    } finally {
      s.release();
    }
  });

  it('slots run out (then null: callers read into ordinary arrays) and come back on release, once', () => {
    const held = [];
    for (let l = leaseSlot(); l; l = leaseSlot()) held.push(l);
    expect(held.length).toBeGreaterThanOrEqual(2);
    expect(leaseSlot()).toBeNull();
    held[0]!.release();
    held[0]!.release(); // a second release gives nothing back twice
    const again = leaseSlot();
    expect(again).not.toBeNull();
    expect(leaseSlot()).toBeNull();
    again!.release();
    for (const l of held.slice(1)) l.release();
    simdSwitch.enabled = false;
    expect(leaseSlot()).toBeNull(); // no kernels, no slots
  });
});
