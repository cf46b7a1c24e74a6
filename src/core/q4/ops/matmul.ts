/**
 * MatMul with a constant B -> com.microsoft MatMulNBits, as onnxruntime 1.32
 * matmul_nbits_quantizer.py `DefaultWeightOnlyQuantizer.quantize_matmul` (QOperator, 4 bits):
 *  - B must be an initializer of this graph or an enclosing one, 2-D, or N-D with all leading dims 1 (squeezed to
 *    [K, N]); otherwise the node stays.
 *  - New initializers in B's graph: `<B>_Q4` uint8 [N, kBlocks, blockSize / 2], `<B>_scales` [N, kBlocks] in B's float
 *    type, and when asymmetric `<B>_zero_points` uint8 [N, ceil(kBlocks / 2)] (kernels/nbits.ts); B's graph input
 *    (if any) is removed; B itself goes when nothing else reads it (final clean).
 *  - Node `<name>_Q4` (unnamed stays unnamed), inputs [A, B_Q4, B_scales, (B_zero_points)], attributes K, N, bits = 4,
 *    block_size and accuracy_level when not 0.
 *  - An N-D B whose rank exceeds A's static rank (or A's rank is unknown) gets the reference's reshape chain after
 *    the MatMulNBits (`_build_nbits_output_reshape`), so the output keeps MatMul's broadcast shape.
 * Deviation: B of a type other than float32 / float16 stays (the reference converts bfloat16 and feeds other types
 * to the float kernel unchecked).
 */
import { DT, dtypeName } from '../../onnx/dtypes.js';
import { encodeTensor } from '../../onnx/encode.js';
import { floatChunkReader, readFloatValues } from '../../onnx/tensor-data.js';
import type { Job, WInit, WNode } from '../../int8/graph.js';
import { allocMatMulNBits, kBlockCount, quantizeMatMulNBitsRows } from '../../kernels/nbits.js';
import type { Q4Graph, Q4Rewriter } from '../quantizer.js';
import { bytesOf, int64Init, mk, scaleTypeOf } from './common.js';

/** Rows per read when B is on disk and large: a multiple of every pair of blocks (2 * 256). */
const CHUNK_ROWS_ALIGN = 512;
/** float32 bytes per chunk read from disk: of MatMul rows (whole rows, at least 512), of Gather table slices (gather.ts); tests lower it. */
export const matmulChunking = { bytes: 16 << 20 };

export const matmul: Q4Rewriter = (q, node) => {
  const bName = node.inputs[1] ?? '';
  const found = bName ? q.findInitializer(bName) : null;
  if (!found) return `B '${bName}' is not an initializer (only constant weights are quantized)`;
  const b = found.t;
  const src = b.src;
  if (!src) return `B '${bName}' was made by this run`;
  const dims = b.dims;
  if (dims.length < 2) return `B '${bName}' has ${dims.length} dimension(s); MatMulNBits needs a 2-D weight`;
  const leading = dims.slice(0, -2);
  if (leading.some((d) => d !== 1))
    return `B '${bName}' has batch dims [${leading.join(', ')}] that are not all 1 (batched weights are not supported by MatMulNBits)`;
  const scaleType = scaleTypeOf(b.dataType);
  if (!scaleType) return `B '${bName}' is ${dtypeName(b.dataType)}; only float32 and float16 weights are quantized`;
  const K = dims[dims.length - 2]!;
  const N = dims[dims.length - 1]!;
  const o = q.run.o;
  const bs = o.blockSize;
  const kb = kBlockCount(K, bs);
  const owner = found.owner;

  const packed: WInit = { name: `${b.name}_Q4`, dataType: DT.UINT8, dims: [N, kb, bs / 2], rawLength: N * kb * (bs / 2) };
  const scales: WInit = {
    name: `${b.name}_scales`,
    dataType: b.dataType,
    dims: [N, kb],
    rawLength: N * kb * (scaleType === 'float16' ? 2 : 4),
  };
  const zp: WInit | null = o.symmetric
    ? null
    : { name: `${b.name}_zero_points`, dataType: DT.UINT8, dims: [N, Math.ceil(kb / 2)], rawLength: N * Math.ceil(kb / 2) };
  const outs = zp ? [packed, scales, zp] : [packed, scales];
  const job: Job = {
    kind: 'quantize',
    label: b.name,
    bytes: K * N * (scaleType === 'float16' ? 2 : 4),
    outputs: outs,
    run: async (signal) => {
      const w = allocMatMulNBits(K, N, bs, o.symmetric, scaleType);
      const reader = floatChunkReader(src, signal);
      if (reader) {
        const rowsPer = Math.max(
          CHUNK_ROWS_ALIGN,
          Math.floor(matmulChunking.bytes / 4 / Math.max(1, N) / CHUNK_ROWS_ALIGN) * CHUNK_ROWS_ALIGN,
        );
        for (let r = 0; r < K; r += rowsPer) {
          const n = Math.min(rowsPer, K - r);
          quantizeMatMulNBitsRows(await reader(r * N, n * N), r, n, K, N, bs, o.symmetric, scaleType, w);
          signal?.throwIfAborted();
        }
      } else quantizeMatMulNBitsRows(await readFloatValues(src, signal), 0, K, K, N, bs, o.symmetric, scaleType, w);
      packed.raw = w.packed;
      scales.raw = bytesOf(w.scales);
      if (zp) zp.raw = w.zeroPoints!;
    },
  };
  for (const t of outs) {
    t.job = job;
    owner.addInit(t);
  }
  owner.removeGraphInput(bName);

  const attrs: [string, import('../../onnx/encode.js').AttrValue][] = [
    ['K', { kind: 'int', value: K }],
    ['N', { kind: 'int', value: N }],
    ['bits', { kind: 'int', value: 4 }],
    ['block_size', { kind: 'int', value: bs }],
  ];
  if (o.accuracyLevel) attrs.push(['accuracy_level', { kind: 'int', value: o.accuracyLevel }]);
  const a = node.inputs[0] ?? '';
  const out = node.outputs[0] ?? '';
  const nodeName = node.name ? `${node.name}_Q4` : '';
  const rankB = dims.length;
  const aRank = rankB > 2 ? q.staticRank(a) : null;
  const needsReshape = rankB > 2 && (aRank === null || aRank < rankB);
  const qOut = needsReshape ? `${out}_pre_reshape` : out;
  const nodes: WNode[] = [
    mk('MatMulNBits', [a, packed.name, scales.name, ...(zp ? [zp.name] : [])], [qOut], nodeName, attrs, 'com.microsoft'),
  ];
  if (needsReshape) nodes.push(...outputReshape(owner, a, rankB, N, node.name ? nodeName : `${b.name}_Q4`, qOut, out));
  return nodes;
};

/**
 * `_build_nbits_output_reshape`: Reshape(MatMulNBits output, [1] * max(rank(B) - max(rank(A), 2), 0) + A.shape[:-1]
 * + [N]), built from Shape/Gather/Max/Sub/ConstantOfShape/Slice/Concat so it works for any rank of A (opset 11+).
 * Its int64 constants go to B's graph.
 */
function outputReshape(owner: Q4Graph, a: string, rankB: number, n: number, prefix: string, preOut: string, finalOut: string): WNode[] {
  const p = `${prefix}_${finalOut}`;
  for (const t of [
    int64Init(`${p}_zero`, 0),
    int64Init(`${p}_one`, 1),
    int64Init(`${p}_two`, 2),
    int64Init(`${p}_one_vec`, [1]),
    int64Init(`${p}_rank_b`, rankB),
    int64Init(`${p}_n_vec`, [n]),
    int64Init(`${p}_zero_vec`, [0]),
  ])
    owner.addInit(t);
  const one = new Uint8Array(8);
  one[0] = 1;
  const value = encodeTensor({ name: `${p}_one_value`, dataType: DT.INT64, dims: [1], raw: one });
  return [
    mk('Shape', [a], [`${p}_a_shape`], `${p}_shape_a`),
    mk('Shape', [`${p}_a_shape`], [`${p}_a_shape_of_shape`], `${p}_shape_of_a_shape`),
    mk('Gather', [`${p}_a_shape_of_shape`, `${p}_zero`], [`${p}_a_rank`], `${p}_gather_rank`),
    mk('Max', [`${p}_a_rank`, `${p}_two`], [`${p}_a_rank_eff`], `${p}_max_rank_eff`),
    mk('Sub', [`${p}_rank_b`, `${p}_a_rank_eff`], [`${p}_extra_raw`], `${p}_sub`),
    mk('Max', [`${p}_extra_raw`, `${p}_zero`], [`${p}_extra_count`], `${p}_max`),
    mk('Reshape', [`${p}_extra_count`, `${p}_one_vec`], [`${p}_extra_count_vec`], `${p}_reshape_extra`),
    mk('ConstantOfShape', [`${p}_extra_count_vec`], [`${p}_extra_ones`], `${p}_const_ones`, [['value', { kind: 'tensor', value }]]),
    mk('Sub', [`${p}_a_rank`, `${p}_one`], [`${p}_a_rank_m1`], `${p}_sub_one`),
    mk('Reshape', [`${p}_a_rank_m1`, `${p}_one_vec`], [`${p}_a_rank_m1_vec`], `${p}_reshape_rank_m1`),
    mk('Slice', [`${p}_a_shape`, `${p}_zero_vec`, `${p}_a_rank_m1_vec`, `${p}_zero_vec`], [`${p}_a_prefix_shape`], `${p}_slice_a_prefix`),
    mk('Concat', [`${p}_extra_ones`, `${p}_a_prefix_shape`, `${p}_n_vec`], [`${p}_target_shape`], `${p}_concat_target`, [
      ['axis', { kind: 'int', value: 0 }],
    ]),
    mk('Reshape', [preOut, `${p}_target_shape`], [finalOut], `${p}_reshape_out`),
  ];
}
