/**
 * The 4-bit block kernels (src/core/kernels/nbits.ts):
 *  - byte for byte against the reference itself on edge cases (tests/golden/q4/kernel-cases.json, written by
 *    scripts/parity/make_golden_q4.py from onnxruntime 1.32's quantize_matmul_4bits and quantize_ndarray): ties at .5,
 *    all-zero and -0 blocks, K not a multiple of the block size, odd K, N = 1, outliers, subnormals, float16 sources;
 *  - against straightforward transcriptions of the reference loops (kernel-oracle.ts) on seeded matrices with edge
 *    values, every block size, symmetric and asymmetric, whole and in row chunks.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  allocMatMulNBits,
  allocBlockTable,
  blockTableSlices,
  packNibbles,
  quantizeBlockTable,
  quantizeBlockTableRows,
  quantizeMatMulNBits,
  quantizeMatMulNBitsRows,
  type ScaleType,
} from '../../src/core/kernels/nbits.js';
import { float16BytesToFloat32 } from '../../src/core/kernels/float16.js';
import { mlasQuantizeBlockwise4, numpyQuantizeNdarray } from './kernel-oracle.js';

interface Source {
  dtype: 'float32' | 'float16';
  shape: number[];
  hex: string;
}
interface Cases {
  sources: Record<string, Source>;
  matmul_cases: { src: string; block_size: number; symmetric: boolean; packed: string; scales: string; zero_points: string | null }[];
  gather_cases: {
    src: string;
    axis: number;
    block_size: number;
    symmetric: boolean;
    packed: string;
    scales: string;
    scales_shape: number[];
    zero_points: string | null;
  }[];
}

const CASES = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'golden', 'q4', 'kernel-cases.json'), 'utf8')) as Cases;
const fromHex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const hex = (b: Uint8Array | Float32Array | Uint16Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
function values(s: Source): Float32Array {
  const b = fromHex(s.hex);
  return s.dtype === 'float16' ? float16BytesToFloat32(b) : new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}
const scaleTypeOf = (s: Source): ScaleType => (s.dtype === 'float16' ? 'float16' : 'float32');

describe('MatMulNBits block quantizer vs onnxruntime quantize_matmul_4bits (kernel-cases.json)', () => {
  it(`reproduces all ${CASES.matmul_cases.length} reference cases byte for byte`, () => {
    expect(CASES.matmul_cases.length).toBeGreaterThan(100);
    for (const c of CASES.matmul_cases) {
      const s = CASES.sources[c.src]!;
      const [K, N] = s.shape as [number, number];
      const w = quantizeMatMulNBits(values(s), K, N, c.block_size, c.symmetric, scaleTypeOf(s));
      const label = `${c.src} block ${c.block_size} ${c.symmetric ? 'sym' : 'asym'}`;
      expect(hex(w.packed), `${label} packed`).toBe(c.packed);
      expect(hex(w.scales), `${label} scales`).toBe(c.scales);
      expect(w.zeroPoints ? hex(w.zeroPoints) : null, `${label} zero points`).toBe(c.zero_points);
    }
  });
  it('covers the cases that tell the rounding rules and layout quirks apart', () => {
    const names = new Set(CASES.matmul_cases.map((c) => c.src));
    for (const n of [
      'ties-sym/float32',
      'ties-asym/float32',
      'zeros/float32',
      'neg-zeros/float32',
      'odd-K-5/float32',
      'K-100-N1/float32',
      'ties-sym/float16',
    ])
      expect(names.has(n), n).toBe(true);
    // ties: half away from zero (roundf), not NumPy's half to even: -7.5*0.25 / -0.5 ... gives .5 cases
    const tie = CASES.matmul_cases.find((c) => c.src === 'ties-sym/float32' && c.block_size === 32 && c.symmetric)!;
    const w = quantizeMatMulNBits(values(CASES.sources['ties-sym/float32']!), 32, 1, 32, true);
    expect(hex(w.packed)).toBe(tie.packed);
    // odd K: the last byte's high nibble repeats the previous odd row's value (the reference's vi[1] register)
    const odd = quantizeMatMulNBits(Float32Array.from([1, 2, 3, 4, 5]), 5, 1, 16, true);
    expect([...odd.packed.slice(0, 3)]).toEqual([6 | (5 << 4), 3 | (2 << 4), 0 | (2 << 4)]);
    // all-zero block, symmetric: scale -0 (0x80000000), every value 8
    const z = quantizeMatMulNBits(new Float32Array(16), 16, 1, 16, true);
    expect(new Uint32Array(z.scales.buffer)[0]).toBe(0x80000000);
    expect([...z.packed]).toEqual(new Array(8).fill(0x88));
    // asymmetric with one block: the zero-point byte's high nibble stays 8
    const a = quantizeMatMulNBits(
      Float32Array.from({ length: 16 }, (_, i) => i - 3),
      16,
      1,
      16,
      false,
    );
    expect(a.zeroPoints![0]! >> 4).toBe(8);
  });
});

describe('GatherBlockQuantized table quantizer vs onnxruntime quantize_ndarray (kernel-cases.json)', () => {
  it(`reproduces all ${CASES.gather_cases.length} reference cases byte for byte`, () => {
    expect(CASES.gather_cases.length).toBeGreaterThan(50);
    for (const c of CASES.gather_cases) {
      const s = CASES.sources[c.src]!;
      const t = quantizeBlockTable(values(s), s.shape, c.axis, c.block_size, c.symmetric, scaleTypeOf(s));
      const label = `${c.src} block ${c.block_size} ${c.symmetric ? 'sym' : 'asym'}`;
      expect(hex(t.packed), `${label} packed`).toBe(c.packed);
      expect(hex(t.scales), `${label} scales`).toBe(c.scales);
      expect(t.scaleDims, `${label} scale dims`).toEqual(c.scales_shape);
      expect(t.zeroPoints ? hex(t.zeroPoints) : null, `${label} zero points`).toBe(c.zero_points);
    }
  });
});

// ---- against the oracles on seeded matrices ----------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Values with edge cases mixed in: exact ties for a block's scale, zeros, -0, equal extremes, tiny and large. */
function edgeMatrix(K: number, N: number, seed: number, half: boolean): Float32Array {
  const r = rng(seed);
  const a = new Float32Array(K * N);
  for (let i = 0; i < a.length; i++) {
    const u = r();
    if (u < 0.05) a[i] = 0;
    else if (u < 0.08) a[i] = -0;
    else if (u < 0.2)
      a[i] = (Math.floor(r() * 32) - 16) * 0.125 + 0.0625; // multiples of 1/16: .5 ties after scaling
    else if (u < 0.22) a[i] = (r() - 0.5) * 1e-6;
    else a[i] = (r() - 0.5) * 0.2;
  }
  // whole zero columns / blocks
  for (let i = 0; i < Math.min(K, 40); i++) a[i * N] = 0;
  if (half)
    for (let i = 0; i < a.length; i++)
      a[i] = Math.fround(float16BytesToFloat32(new Uint8Array(new Uint16Array([halfBits(a[i]!)]).buffer))[0]!);
  return a;
}
function halfBits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  // reuse the codec under test only for building inputs (any rounding is fine here)
  return ((u >>> 16) & 0x8000) | (Math.abs(x) < 6e-5 ? 0 : ((((u >>> 23) & 0xff) - 112) << 10) | ((u >>> 13) & 0x3ff));
}

describe('kernels vs straightforward oracles', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [5, 1],
    [37, 3],
    [64, 1],
    [100, 7],
    [129, 2],
    [256, 5],
    [300, 4],
    [513, 3],
  ];
  for (const half of [false, true])
    it(`MatMulNBits ${half ? 'float16' : 'float32'} sources: every block size, sym/asym, whole and in row chunks`, () => {
      let n = 0;
      for (const [K, N] of shapes)
        for (const bs of [16, 32, 64, 128, 256])
          for (const sym of [true, false]) {
            const src = edgeMatrix(K, N, K * 31 + N + bs, half);
            const st: ScaleType = half ? 'float16' : 'float32';
            const want = mlasQuantizeBlockwise4(src, K, N, bs, sym, half);
            const got = quantizeMatMulNBits(src, K, N, bs, sym, st);
            const label = `[${K}, ${N}] block ${bs} ${sym ? 'sym' : 'asym'}`;
            expect(hex(got.packed), label).toBe(hex(want.packed));
            expect(hex(got.scales), label).toBe(hex(want.scales));
            expect(got.zeroPoints && hex(got.zeroPoints), label).toBe(want.zeroPoints && hex(want.zeroPoints));
            // in chunks of one pair of blocks
            const chunked = allocMatMulNBits(K, N, bs, sym, st);
            for (let r = 0; r < K; r += 2 * bs) {
              const rows = Math.min(2 * bs, K - r);
              quantizeMatMulNBitsRows(src.subarray(r * N, (r + rows) * N), r, rows, K, N, bs, sym, st, chunked);
            }
            expect(hex(chunked.packed), `${label} chunked`).toBe(hex(want.packed));
            expect(hex(chunked.scales), `${label} chunked`).toBe(hex(want.scales));
            n++;
          }
      expect(n).toBe(shapes.length * 10);
    });

  it('rejects chunks that do not start on a pair of blocks', () => {
    const out = allocMatMulNBits(128, 2, 32, true, 'float32');
    expect(() => quantizeMatMulNBitsRows(new Float32Array(64 * 2), 32, 64, 128, 2, 32, true, 'float32', out)).toThrow(/multiple of 64/);
    expect(() => quantizeMatMulNBits(new Float32Array(4), 2, 2, 24, true)).toThrow(/power of two/);
  });

  for (const half of [false, true])
    it(`GatherBlockQuantized ${half ? 'float16' : 'float32'} tables: every axis, block size, sym/asym`, () => {
      const tables: number[][] = [
        [7, 40],
        [3, 100],
        [2, 5, 33],
        [50, 64],
        [1, 17],
      ];
      for (const dims of tables)
        for (let axis = 0; axis < dims.length; axis++)
          for (const bs of [16, 32, 128])
            for (const sym of [true, false]) {
              const count = dims.reduce((a, b) => a * b, 1);
              const src = edgeMatrix(count, 1, count + axis + bs, half);
              const want = numpyQuantizeNdarray(src, dims, axis, bs, sym, half);
              const got = quantizeBlockTable(src, dims, axis, bs, sym, half ? 'float16' : 'float32');
              const label = `[${dims.join(', ')}] axis ${axis} block ${bs} ${sym ? 'sym' : 'asym'}`;
              expect(hex(got.packed), label).toBe(hex(want.packed));
              expect(hex(got.scales), label).toBe(hex(want.scales));
              expect(got.scaleDims, label).toEqual(want.scaleDims);
              expect(got.zeroPoints && hex(got.zeroPoints), label).toBe(want.zeroPoints && hex(want.zeroPoints));
              // In slices (as a big table on disk is read), small and odd-sized, in reverse order: the same bytes.
              for (const most of [1, 37, 200]) {
                const t = allocBlockTable(dims, axis, bs, sym, half ? 'float16' : 'float32');
                const slices = [...blockTableSlices(t, most)];
                expect(
                  slices.reduce((a, sl) => a + sl.count, 0),
                  label,
                ).toBe(count);
                for (const sl of slices.reverse())
                  quantizeBlockTableRows(t, src.subarray(sl.start, sl.start + sl.count), sl.a0, sl.a1, sl.b0, sl.b1);
                expect(hex(t.packed), `${label}, slices of ${most}`).toBe(hex(want.packed));
                expect(hex(t.scales), `${label}, slices of ${most}`).toBe(hex(want.scales));
                expect(t.zeroPoints && hex(t.zeroPoints), `${label}, slices of ${most}`).toBe(want.zeroPoints && hex(want.zeroPoints));
              }
            }
    });

  it('packs nibbles low first and pads an odd count with 0', () => {
    expect([...packNibbles(Uint8Array.from([1, 2, 3]))]).toEqual([0x21, 0x03]);
    expect([...packNibbles(Uint8Array.from([0xf, 0xe]))]).toEqual([0xef]);
  });
});
