/**
 * Gather from a constant table -> com.microsoft GatherBlockQuantized, as onnxruntime 1.32
 * matmul_nbits_quantizer.py `DefaultWeightOnlyQuantizer.quantize_gather` (only when Gather is among the op types):
 *  - the table (input 0) must be an initializer of this graph or an enclosing one; Gathers on activations stay
 *    silently;
 *  - blocks run along `gatherQuantizeAxis` (default 1, the hidden axis of an [vocab, hidden] table), NumPy numerics
 *    (kernels/nbits.ts quantizeBlockTable); a table over 64 MiB on disk is read and quantized in slices of whole
 *    blocks of about 16 MiB (quantizeBlockTableRows), never read whole;
 *  - new initializers in the table's graph: `<T>_Q4` (INT4 when symmetric, else UINT4; the table's dims),
 *    `<T>_scales` (the table's float type, dims with the axis replaced by its block count) and when asymmetric
 *    `<T>_zero_points` (UINT4, the scales' dims); the table's graph input (if any) is removed;
 *  - node `<name>_Q4`, inputs [T_Q4, indices, T_scales, (T_zero_points)], attributes block_size, gather_axis (the
 *    Gather's axis, default 0) and quantize_axis.
 * Deviations: a quantize axis outside the table's rank leaves the node in float (the reference fails an assert);
 * tables of other types than float32 / float16 stay (the reference would quantize integer tables too).
 */
import { DT, dtypeName, elementCount } from '../../onnx/dtypes.js';
import { floatChunkReader, readFloatValues } from '../../onnx/tensor-data.js';
import { attrOf, type Job, type WInit } from '../../int8/graph.js';
import { allocBlockTable, blockTableSlices, kBlockCount, quantizeBlockTableRows } from '../../kernels/nbits.js';
import { matmulChunking } from './matmul.js';
import type { Q4Rewriter } from '../quantizer.js';
import { bytesOf, mk, scaleTypeOf } from './common.js';

export const gather: Q4Rewriter = (q, node) => {
  const tName = node.inputs[0] ?? '';
  const found = tName ? q.findInitializer(tName) : null;
  if (!found) return '';
  const t = found.t;
  const src = t.src;
  if (!src) return '';
  const scaleType = scaleTypeOf(t.dataType);
  if (!scaleType) return `its table '${tName}' is ${dtypeName(t.dataType)}; only float32 and float16 tables are quantized`;
  const o = q.run.o;
  const rank = t.dims.length;
  const axisIn = o.gatherQuantizeAxis;
  if (axisIn >= rank || axisIn < -rank)
    return `the quantize axis ${axisIn} is outside its table's ${rank} dimension(s) (the reference fails an assertion)`;
  const axis = (axisIn + rank) % rank;
  const bs = o.blockSize;
  const dims = [...t.dims];
  const scaleDims = [...dims];
  scaleDims[axis] = kBlockCount(dims[axis]!, bs);
  const qType = o.symmetric ? DT.INT4 : DT.UINT4;
  const count = elementCount(dims);
  const scaleCount = elementCount(scaleDims);
  const packed: WInit = { name: `${t.name}_Q4`, dataType: qType, dims, rawLength: Math.ceil(count / 2) };
  const scales: WInit = {
    name: `${t.name}_scales`,
    dataType: t.dataType,
    dims: scaleDims,
    rawLength: scaleCount * (scaleType === 'float16' ? 2 : 4),
  };
  const zp: WInit | null = o.symmetric
    ? null
    : { name: `${t.name}_zero_points`, dataType: DT.UINT4, dims: scaleDims, rawLength: Math.ceil(scaleCount / 2) };
  const outs = zp ? [packed, scales, zp] : [packed, scales];
  const job: Job = {
    kind: 'quantize',
    label: t.name,
    bytes: count * (scaleType === 'float16' ? 2 : 4),
    outputs: outs,
    run: async (signal) => {
      const r = allocBlockTable(dims, axis, bs, o.symmetric, scaleType);
      const reader = floatChunkReader(src, signal);
      if (reader) {
        // A big table on disk (an embedding) is read and quantized a slice of whole blocks at a time.
        for (const sl of blockTableSlices(r, matmulChunking.bytes / 4)) {
          quantizeBlockTableRows(r, await reader(sl.start, sl.count), sl.a0, sl.a1, sl.b0, sl.b1);
          signal?.throwIfAborted();
        }
      } else {
        const values = await readFloatValues(src, signal);
        if (values.length !== count) throw new RangeError(`${values.length} values do not fill a [${dims.join(', ')}] table`);
        quantizeBlockTableRows(r, values, 0, r.m);
      }
      packed.raw = r.packed;
      scales.raw = bytesOf(r.scales);
      if (zp) zp.raw = r.zeroPoints!;
    },
  };
  const owner = found.owner;
  for (const x of outs) {
    x.job = job;
    owner.addInit(x);
  }
  owner.removeGraphInput(tName);
  q.run.int4 = true;
  const gatherAxis = attrOf(node, 'axis')?.i ?? 0;
  return [
    mk(
      'GatherBlockQuantized',
      [packed.name, node.inputs[1] ?? '', scales.name, ...(zp ? [zp.name] : [])],
      [node.outputs[0] ?? ''],
      node.name ? `${node.name}_Q4` : '',
      [
        ['block_size', { kind: 'int', value: bs }],
        ['gather_axis', { kind: 'int', value: gatherAxis }],
        ['quantize_axis', { kind: 'int', value: axis }],
      ],
      'com.microsoft',
    ),
  ];
};
