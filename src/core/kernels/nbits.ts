/**
 * 4-bit block quantization kernels over typed arrays: the MatMulNBits weight layout (blocks along K of each output
 * column, packed, zero points packed two per byte) and the GatherBlockQuantized table layout (blocks along one axis,
 * int4 / uint4 elements in the tensor's own order).
 *
 * Pure and transferable: typed arrays and plain numbers in, typed arrays out. Typed-array views assume a
 * little-endian host (every browser and Node platform).
 *
 * Numeric sources (onnxruntime 1.32):
 *  - MatMul weights: `onnxruntime/core/mlas/lib/q4_dq.cpp`, `BlockwiseQuantizer<T, block_size, 4, true>::
 *    quantizeAndTranspose` with `range2scale` / `range2scalezp`, reached from
 *    `matmul_nbits_quantizer.py` `DefaultWeightOnlyQuantizer.qbits_block_quant` ->
 *    `onnxruntime.capi._pybind_state.quantize_matmul_4bits` -> `MlasQuantizeBlockwise<T, 4>(columnwise = true)`.
 *    All arithmetic is float32 (no fused multiply-add: checked against the reference on ties):
 *      per block [min, max] of the values (NaN never updates them);
 *      symmetric:  m = |max| > |min| ? max : min;  scale = -m / 8;  zp = 8 (implicit, no zero-point input);
 *      asymmetric: min = min(min, 0), max = max(max, 0);  scale = (max - min) / 15;
 *                  zp = clamp(roundf(0 - min / scale), 0, 15) (0 when scale is 0);
 *      the stored scale has the source's type (float32, or float16 rounded to nearest even), and quantization
 *      reads it back: r = scale != 0 ? 1 / scale : 0;  q = clamp(roundf(v * r + zp), 0, 15), where v * r and
 *      (+ zp) are each rounded to float32 and roundf rounds half away from zero (not to even).
 *    Layout: packed [N, kBlocks, blockSize / 2] (byte = q[k] | q[k + 1] << 4, low nibble first; bytes past the last
 *    row stay 0), scales [N, kBlocks], zero points [N, ceil(kBlocks / 2)] (block 2j in the low nibble of byte j,
 *    block 2j + 1 in the high nibble; a missing last block leaves the high nibble at 8).
 *    Two quirks of the reference are reproduced: blocks are processed in pairs (2 * blockSize rows) and, when K is
 *    odd, the high nibble of the last byte repeats the previous odd-row value of the same pair (its unwritten
 *    register) instead of 0; and an all-zero block gets the scale -0 when symmetric.
 *  - Gather tables: `matmul_nbits_quantizer.py` `DefaultWeightOnlyQuantizer.quantize_ndarray` (NumPy, in the
 *    table's own float type; each operation rounded to it):
 *      symmetric:  m = |max| > |min| ? max : min;  scale = m / -8;  q = clip(rint(v / scale), -8, 7) (0 where scale 0);
 *      asymmetric: min = min(min, 0), max = max(max, 0);  scale = (max - min) / 15;
 *                  zp = clip(rint(-min / scale), 0, 15);  q = clip(rint(v / scale + zp), 0, 15) (zp = q = 8 where scale 0);
 *    rint rounds half to even, and the division is a true division (not a reciprocal multiply). NaN propagates
 *    through min / max as NumPy's does. Packing (`pack_int8_to_int4`): the elements in the tensor's order, two per
 *    byte, low nibble first, a last odd element padded with 0.
 */

import { f16BitsToNumber, f32BitsToF16Bits } from './float16.js';

/** Element type of the source, which is also the type of the stored scales. */
export type ScaleType = 'float32' | 'float16';

/** MatMulNBits weight tensors of one B ([K, N] row-major). */
export interface MatMulNBitsWeights {
  /** [N, kBlocks, blockSize / 2] */
  packed: Uint8Array;
  /** [N, kBlocks]: float32 values, or float16 bit patterns when the source is float16. */
  scales: Float32Array | Uint16Array;
  /** [N, ceil(kBlocks / 2)], or null when symmetric. */
  zeroPoints: Uint8Array | null;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fr = Math.fround;
const FLT_MAX = 3.4028234663852886e38;

/** float -> float16 bits (round to nearest even), the value already a float32. */
function toF16Bits(v: number): number {
  f32[0] = v;
  return f32BitsToF16Bits(u32[0]!);
}

/** C's roundf: half away from zero. */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** NumPy's rint: half to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** (uint8_t)std::clamp(x, 0.0f, 15.0f) for the 4-bit range (NaN -> 0, as the x86 conversion gives). */
function clamp4(x: number): number {
  return x < 0 ? 0 : x > 15 ? 15 : x === x ? x : 0;
}

/** Number of K blocks. */
export function kBlockCount(K: number, blockSize: number): number {
  return Math.ceil(K / blockSize);
}

function checkBlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new RangeError(`block size ${blockSize} is not a power of two >= 16`);
}

/** Empty output arrays for a [K, N] weight (zero-filled: unwritten padding bytes stay 0, as the reference's np.zeros). */
export function allocMatMulNBits(K: number, N: number, blockSize: number, symmetric: boolean, scaleType: ScaleType): MatMulNBitsWeights {
  checkBlockSize(blockSize);
  const kb = kBlockCount(K, blockSize);
  return {
    packed: new Uint8Array(N * kb * (blockSize >>> 1)),
    scales: scaleType === 'float16' ? new Uint16Array(N * kb) : new Float32Array(N * kb),
    zeroPoints: symmetric ? null : new Uint8Array(N * Math.ceil(kb / 2)),
  };
}

/**
 * Quantizes rows [rowStart, rowStart + rows) of a [K, N] row-major weight into `out` (see allocMatMulNBits).
 * `src` holds exactly those rows (rows * N values; float16 sources widened to float32 exactly). rowStart must be a
 * multiple of 2 * blockSize (the reference's pair of blocks), and rows too unless the range ends at K: so a weight
 * can be quantized in chunks of rows with byte-identical results. Source: see the file header.
 */
export function quantizeMatMulNBitsRows(
  src: Float32Array,
  rowStart: number,
  rows: number,
  K: number,
  N: number,
  blockSize: number,
  symmetric: boolean,
  scaleType: ScaleType,
  out: MatMulNBitsWeights,
): void {
  checkBlockSize(blockSize);
  const pair = 2 * blockSize;
  if (rowStart % pair !== 0) throw new RangeError(`row chunk start ${rowStart} is not a multiple of ${pair}`);
  if (rowStart + rows !== K && rows % pair !== 0) throw new RangeError(`row chunk of ${rows} rows is not a multiple of ${pair}`);
  if (rowStart < 0 || rows < 0 || rowStart + rows > K) throw new RangeError(`rows [${rowStart}, ${rowStart + rows}) are outside K = ${K}`);
  if (src.length !== rows * N) throw new RangeError(`${src.length} values are not ${rows} rows of ${N}`);
  const kb = kBlockCount(K, blockSize);
  const qRows = kb * (blockSize >>> 1);
  const zpCols = Math.ceil(kb / 2);
  const half = scaleType === 'float16';
  const scales = out.scales;
  const zps = out.zeroPoints;
  if (!symmetric && !zps) throw new RangeError('asymmetric quantization needs a zero-point array');
  const mins = new Float64Array(N);
  const maxs = new Float64Array(N);
  const rcp = [new Float64Array(N), new Float64Array(N)];
  const zpv = [new Uint8Array(N), new Uint8Array(N)];
  const stale = new Uint8Array(N);
  for (let r = rowStart; r < rowStart + rows; r += pair) {
    const rEnd = Math.min(r + pair, K);
    const band = r / blockSize; // index of the first block of the pair
    for (let kp = 0; kp < 2; kp++) {
      const b0 = r + kp * blockSize;
      const b1 = Math.min(b0 + blockSize, rEnd);
      zpv[kp]!.fill(8);
      if (b0 >= b1) continue;
      mins.fill(FLT_MAX);
      maxs.fill(-FLT_MAX);
      for (let i = b0; i < b1; i++) {
        const o = (i - rowStart) * N;
        for (let j = 0; j < N; j++) {
          const v = src[o + j]!;
          if (v < mins[j]!) mins[j] = v;
          if (v > maxs[j]!) maxs[j] = v;
        }
      }
      const blk = band + kp;
      for (let j = 0; j < N; j++) {
        let mn = mins[j]!;
        let mx = maxs[j]!;
        let scale: number;
        if (symmetric) {
          const m = Math.abs(mx) > Math.abs(mn) ? mx : mn;
          scale = fr(-m / 8);
        } else {
          mn = 0 < mn ? 0 : mn;
          mx = mx < 0 ? 0 : mx;
          scale = fr(fr(mx - mn) / 15);
          let zf = mn;
          if (scale !== 0) zf = fr(0 - fr(mn / scale));
          zpv[kp]![j] = zf < 0 ? 0 : zf > 15 ? 15 : zf === zf ? roundf(zf) : 0;
        }
        let stored = scale;
        if (half) {
          const bits = toF16Bits(scale);
          (scales as Uint16Array)[j * kb + blk] = bits;
          stored = f16BitsToNumber(bits);
        } else (scales as Float32Array)[j * kb + blk] = scale;
        rcp[kp]![j] = stored !== 0 ? fr(1 / stored) : 0;
      }
    }
    if (zps) for (let j = 0; j < N; j++) zps[j * zpCols + (band >>> 1)] = (zpv[0]![j]! & 0xf) | ((zpv[1]![j]! & 0xf) << 4);
    // Elements, two rows at a time (the reference's vi[0], vi[1]; vi[1] keeps its last value when the pair is cut).
    stale.fill(0);
    for (let i = r; i < rEnd; i += 2) {
      const kp0 = i - r < blockSize ? 0 : 1;
      const o0 = (i - rowStart) * N;
      const byteRow = i >>> 1;
      const r0 = rcp[kp0]!;
      const z0 = zpv[kp0]!;
      if (i + 1 < rEnd) {
        const kp1 = i + 1 - r < blockSize ? 0 : 1;
        const r1 = rcp[kp1]!;
        const z1 = zpv[kp1]!;
        const o1 = o0 + N;
        for (let j = 0; j < N; j++) {
          const q0 = clamp4(roundf(fr(fr(src[o0 + j]! * r0[j]!) + z0[j]!)));
          const q1 = clamp4(roundf(fr(fr(src[o1 + j]! * r1[j]!) + z1[j]!)));
          out.packed[j * qRows + byteRow] = q0 | (q1 << 4);
          stale[j] = q1;
        }
      } else {
        for (let j = 0; j < N; j++) {
          const q0 = clamp4(roundf(fr(fr(src[o0 + j]! * r0[j]!) + z0[j]!)));
          out.packed[j * qRows + byteRow] = q0 | (stale[j]! << 4);
        }
      }
    }
  }
}

/** MatMulNBits weights of a whole [K, N] row-major B (see quantizeMatMulNBitsRows and the file header). */
export function quantizeMatMulNBits(
  src: Float32Array,
  K: number,
  N: number,
  blockSize: number,
  symmetric: boolean,
  scaleType: ScaleType = 'float32',
): MatMulNBitsWeights {
  const out = allocMatMulNBits(K, N, blockSize, symmetric, scaleType);
  quantizeMatMulNBitsRows(src, 0, K, K, N, blockSize, symmetric, scaleType, out);
  return out;
}

/** GatherBlockQuantized tensors of one table. */
export interface BlockQuantizedTable {
  /** The elements in the table's order, int4 (symmetric) or uint4, two per byte, low nibble first. */
  packed: Uint8Array;
  /** The table's dims with the quantized axis replaced by its block count: float32 values, or float16 bits. */
  scales: Float32Array | Uint16Array;
  scaleDims: number[];
  /** uint4 zero points in the scales' order, packed like the elements; null when symmetric. */
  zeroPoints: Uint8Array | null;
}

/**
 * A table being block-quantized slice by slice (allocBlockTable, quantizeBlockTableRows): its shape seen as
 * [m, k, n] with the blocks along k (m: the dims before the axis multiplied, n: those after), and the output arrays,
 * zero-filled and filled as slices are quantized.
 */
export interface BlockTable extends BlockQuantizedTable {
  m: number;
  k: number;
  n: number;
  /** Blocks along k. */
  kb: number;
  blockSize: number;
  symmetric: boolean;
  scaleType: ScaleType;
}

/**
 * The empty outputs of quantizeBlockTable for a table of `dims` quantized along `axis`: packed [ceil(count / 2)]
 * bytes, scales in the scale dims (float32, or float16 bits), zero points packed when asymmetric. Throws RangeError
 * for a block size that is not a power of two >= 16 or an axis outside the dims.
 */
export function allocBlockTable(
  dims: readonly number[],
  axis: number,
  blockSize: number,
  symmetric: boolean,
  scaleType: ScaleType = 'float32',
): BlockTable {
  checkBlockSize(blockSize);
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length)
    throw new RangeError(`quantize axis ${axis} is outside the table's ${dims.length} dimensions`);
  let m = 1;
  let n = 1;
  dims.forEach((d, i) => {
    if (i < axis) m *= d;
    else if (i > axis) n *= d;
  });
  const k = dims[axis]!;
  const kb = kBlockCount(k, blockSize);
  const scaleDims = [...dims];
  scaleDims[axis] = kb;
  const scaleCount = m * kb * n;
  return {
    m,
    k,
    n,
    kb,
    blockSize,
    symmetric,
    scaleType,
    packed: new Uint8Array((m * k * n + 1) >>> 1),
    scales: scaleType === 'float16' ? new Uint16Array(scaleCount) : new Float32Array(scaleCount),
    scaleDims,
    zeroPoints: symmetric ? null : new Uint8Array((scaleCount + 1) >>> 1),
  };
}

/**
 * The slices a table can be quantized in, in order, each a contiguous range of its elements of at most about
 * `maxElements` (at least one block row, `blockSize * n` elements): whole outer rows (a0..a1, every block) when one
 * outer row fits, else blocks b0..b1 of one outer row. `start` and `count` are the slice's elements in the table.
 */
export function* blockTableSlices(
  t: BlockTable,
  maxElements: number,
): Generator<{ a0: number; a1: number; b0: number; b1: number; start: number; count: number }> {
  const row = t.k * t.n;
  if (row <= maxElements || t.kb === 1) {
    const rows = Math.max(1, Math.floor(maxElements / Math.max(1, row)));
    for (let a0 = 0; a0 < t.m; a0 += rows) {
      const a1 = Math.min(t.m, a0 + rows);
      yield { a0, a1, b0: 0, b1: t.kb, start: a0 * row, count: (a1 - a0) * row };
    }
    return;
  }
  const blocks = Math.max(1, Math.floor(maxElements / (t.blockSize * t.n)));
  for (let a = 0; a < t.m; a++)
    for (let b0 = 0; b0 < t.kb; b0 += blocks) {
      const b1 = Math.min(t.kb, b0 + blocks);
      const i0 = b0 * t.blockSize;
      const i1 = Math.min(t.k, b1 * t.blockSize);
      yield { a0: a, a1: a + 1, b0, b1, start: (a * t.k + i0) * t.n, count: (i1 - i0) * t.n };
    }
}

/**
 * Quantizes blocks [b0, b1) of outer rows [a0, a1) of `t` (every block when the slice spans several outer rows, as
 * blockTableSlices gives them) into its outputs. `src` holds exactly that slice's elements, in the table's order.
 * Slices may come in any order; each must be quantized once. The result is the same as quantizeBlockTable's.
 */
export function quantizeBlockTableRows(t: BlockTable, src: Float32Array, a0: number, a1: number, b0 = 0, b1 = t.kb): void {
  const { k, n, kb, blockSize, symmetric, packed } = t;
  const base = (a0 * k + b0 * blockSize) * n;
  const half = t.scaleType === 'float16';
  const rnd = half ? (x: number) => f16BitsToNumber(toF16Bits(fr(x))) : fr;
  const scales = t.scales;
  const zps = t.zeroPoints;
  // An element's 4-bit value goes into its nibble: element 2i low, 2i + 1 high (pack_int8_to_int4; the outputs start at 0).
  const put = (out: Uint8Array, e: number, v: number) => {
    out[e >>> 1]! |= (v & 0xf) << ((e & 1) << 2);
  };
  for (let a = a0; a < a1; a++)
    for (let b = b0; b < b1; b++) {
      const i0 = b * blockSize;
      const i1 = Math.min(i0 + blockSize, k);
      for (let c = 0; c < n; c++) {
        let mn = Infinity;
        let mx = -Infinity;
        let nan = false;
        for (let i = i0; i < i1; i++) {
          const v = src[(a * k + i) * n + c - base]!;
          if (v !== v) nan = true;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        if (nan) mn = mx = NaN;
        const si = (a * kb + b) * n + c;
        let scale: number;
        if (symmetric) {
          const am = Math.abs(mx) > Math.abs(mn) ? mx : mn;
          scale = rnd(am / -8);
          for (let i = i0; i < i1; i++) {
            const e = (a * k + i) * n + c;
            let v = scale === 0 ? 0 : rint(rnd(src[e - base]! / scale));
            v = v < -8 ? -8 : v > 7 ? 7 : v === v ? v : 0;
            put(packed, e, v);
          }
        } else {
          mn = Math.min(mn, 0);
          mx = Math.max(mx, 0);
          scale = rnd(rnd(mx - mn) / 15);
          let zp = scale === 0 ? 8 : rint(rnd(-mn / scale));
          zp = zp < 0 ? 0 : zp > 15 ? 15 : zp === zp ? zp : 0;
          put(zps!, si, zp);
          for (let i = i0; i < i1; i++) {
            const e = (a * k + i) * n + c;
            let v = scale === 0 ? 8 : rint(rnd(rnd(src[e - base]! / scale) + zp));
            v = v < 0 ? 0 : v > 15 ? 15 : v === v ? v : 0;
            put(packed, e, v);
          }
        }
        scales[si] = half ? toF16Bits(scale) : scale;
      }
    }
}

/**
 * Block quantization of a table along `axis` (NumPy semantics of quantize_ndarray, see the file header). `src` holds
 * the table's values in row-major order (float16 widened exactly when scaleType is 'float16'; the arithmetic is then
 * rounded to float16 after each operation, as NumPy's float16 loops do). A big table can be quantized slice by
 * slice with the same result: allocBlockTable, blockTableSlices, quantizeBlockTableRows. Throws RangeError for a
 * block size that is not a power of two >= 16, an axis outside the dims, or values that do not fill the dims.
 */
export function quantizeBlockTable(
  src: Float32Array,
  dims: readonly number[],
  axis: number,
  blockSize: number,
  symmetric: boolean,
  scaleType: ScaleType = 'float32',
): BlockQuantizedTable {
  const t = allocBlockTable(dims, axis, blockSize, symmetric, scaleType);
  if (src.length !== t.m * t.k * t.n) throw new RangeError(`${src.length} values do not fill a [${dims.join(', ')}] table`);
  quantizeBlockTableRows(t, src, 0, t.m);
  return { packed: t.packed, scales: t.scales, scaleDims: t.scaleDims, zeroPoints: t.zeroPoints };
}

/** Two 4-bit values per byte, element 2i in the low nibble, a last odd element padded with 0 (pack_int8_to_int4). */
export function packNibbles(v: Uint8Array): Uint8Array {
  const out = new Uint8Array((v.length + 1) >>> 1);
  for (let i = 0; i + 1 < v.length; i += 2) out[i >>> 1] = (v[i]! & 0xf) | ((v[i + 1]! & 0xf) << 4);
  if (v.length & 1) out[out.length - 1] = v[v.length - 1]! & 0xf;
  return out;
}
