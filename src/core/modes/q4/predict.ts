/**
 * Q4's predicted size (src/core/q4, onnxruntime's MatMulNBitsQuantizer), per weight, from the initializer table:
 *  - a MatMul weight B [K, N] (2-D, or with leading 1s) -> N·ceil(K/bs)·bs/2 packed bytes, N·ceil(K/bs) scales in the
 *    weight's float type, and with zero points N·ceil(ceil(K/bs)/2) bytes (ops/matmul.ts; the reference's
 *    DefaultWeightOnlyQuantizer);
 *  - a Gather table, when Gather is a Q4 op type -> ceil(elements/2) bytes, one scale per block along the quantize
 *    axis, and with zero points half a byte per scale (ops/gather.ts, GatherBlockQuantized);
 * main graph and subgraphs alike; Gemm and Conv stay float. Node overhead is left out.
 */
import { DT, elementCount } from '../../onnx/dtypes.js';
import { DEFAULT_Q4_PRESET, Q4_PRESETS, type Q4Options, type Q4PresetName } from '../../q4/options.js';
import { type InitializerTable, type Predictor, type TableEntry, predictWith } from '../predict.js';

/** What Q4's sizes depend on. `scaleBytes`: bytes per scale (default: the weight's float type; 2 after Q4F16's FP16). */
export interface Q4SizeOptions {
  blockSize: number;
  symmetric: boolean;
  opTypes: readonly string[];
  gatherQuantizeAxis: number;
  scaleBytes?: number;
}

export function q4SizeOptions(o: Partial<Q4Options> & { preset?: Q4PresetName } = {}): Q4SizeOptions {
  const p = Q4_PRESETS[o.preset ?? DEFAULT_Q4_PRESET]?.options ?? Q4_PRESETS[DEFAULT_Q4_PRESET].options;
  return {
    blockSize: o.blockSize ?? p.blockSize,
    symmetric: o.symmetric ?? p.symmetric,
    opTypes: o.opTypes ?? p.opTypes,
    gatherQuantizeAxis: o.gatherQuantizeAxis ?? 1,
  };
}

/** Bytes of one weight after Q4 (as stored when Q4 leaves it); null when Q4 leaves it. */
export function q4WeightBytes(w: Pick<TableEntry, 'role' | 'dims' | 'dataType' | 'bytes'>, o: Q4SizeOptions): number | null {
  if (w.dataType !== DT.FLOAT && w.dataType !== DT.FLOAT16) return null;
  const floatBytes = o.scaleBytes ?? (w.dataType === DT.FLOAT16 ? 2 : 4);
  const bs = o.blockSize;
  const ops = new Set(o.opTypes);
  const n = elementCount(w.dims);
  if (w.role === 'matmul-b' && ops.has('MatMul')) {
    if (w.dims.length < 2 || w.dims.slice(0, -2).some((d) => d !== 1)) return null;
    const K = w.dims[w.dims.length - 2]!;
    const N = w.dims[w.dims.length - 1]!;
    const kb = Math.ceil(K / bs);
    return N * kb * (bs / 2) + N * kb * floatBytes + (o.symmetric ? 0 : N * Math.ceil(kb / 2));
  }
  if (w.role === 'gather-table' && ops.has('Gather')) {
    const rank = w.dims.length;
    const axis = o.gatherQuantizeAxis < 0 ? o.gatherQuantizeAxis + rank : o.gatherQuantizeAxis;
    if (axis < 0 || axis >= rank || !(w.dims[axis]! > 0)) return null;
    const scaleCount = (n / w.dims[axis]!) * Math.ceil(w.dims[axis]! / bs);
    return Math.ceil(n / 2) + scaleCount * floatBytes + (o.symmetric ? 0 : Math.ceil(scaleCount / 2));
  }
  return null;
}

/** Q4's output size for the table (default options: the default preset's). */
export const predict: Predictor<Partial<Q4Options> & { preset?: Q4PresetName }> = (table: InitializerTable, options) => {
  const o = q4SizeOptions(options);
  return predictWith(table, (e) => (e.constant ? e.bytes : (q4WeightBytes(e, o) ?? e.bytes)));
};
