/**
 * INT8's predicted size (src/core/int8, onnxruntime quantize_dynamic), per weight, from the initializer table:
 *  - a MatMul weight B [K, N] (and a Gemm B, which becomes a MatMul's first; transB swaps K and N) -> K·N int8 / uint8
 *    bytes plus a float32 scale and an 8-bit zero point per output channel with per_channel (N of each), else one of
 *    each (ops/matmul.ts, gemm.ts). Per-channel on a B that is not 2-D stays float (a documented refusal); per-tensor
 *    quantizes any rank;
 *  - a Gather table -> 1 byte per element plus one scale and zero point (ops/gather.ts: the table is quantized like an
 *    activation, per tensor);
 *  - a Conv weight -> 1 byte per element plus one scale and zero point (ConvInteger is per tensor: ops/conv.ts);
 * only when the op type is among the options' op types (MatMul covers Gemm), and only in the main graph unless
 * EnableSubgraph. Other tensors stay as they are. On top, the graph's growth, estimated: the value_info INT8 writes
 * for every value that has none (shape inference, as the reference's; about the name plus 25 bytes each: 29 on
 * all-MiniLM-L6-v2, 36 on PP-OCRv4-det, 10-17 on Silero VAD) and the nodes a quantized weight brings
 * (DynamicQuantizeLinear / MatMulInteger / Cast / Mul with their names and scale tensors: about 1,200 bytes per
 * weight on all-MiniLM-L6-v2 and openWakeWord). Sources of the rules: onnxruntime/python/tools/quantization/operators/matmul.py, gather.py, conv.py,
 * onnx_quantizer.py quantize_weight_per_channel.
 */
import { elementCount } from '../../onnx/dtypes.js';
import { DT } from '../../onnx/dtypes.js';
import { DEFAULT_PRESET, PRESETS, type Int8Options, type PresetName } from '../../int8/presets.js';
import { INT8_OP_TYPES } from '../../int8/op-types.js';
import { type InitializerTable, type Predictor, type TableEntry, predictWith } from '../predict.js';

/** What INT8's sizes depend on. */
export interface Int8SizeOptions {
  perChannel: boolean;
  opTypes: readonly string[];
  enableSubgraph: boolean;
}

/** The size options of a request (preset values under the ones given). */
export function int8SizeOptions(o: Partial<Int8Options> & { preset?: PresetName } = {}): Int8SizeOptions {
  const base = PRESETS[o.preset ?? DEFAULT_PRESET];
  return {
    perChannel: o.perChannel ?? base.perChannel,
    opTypes: o.opTypes && o.opTypes.length ? o.opTypes : (base.opTypes ?? INT8_OP_TYPES),
    enableSubgraph: o.enableSubgraph ?? base.enableSubgraph,
  };
}

/** Bytes of one weight after INT8 (as stored when INT8 leaves it). */
export function int8WeightBytes(
  w: Pick<TableEntry, 'role' | 'dims' | 'dataType' | 'bytes' | 'transB'> & { inSubgraph?: boolean },
  o: Int8SizeOptions,
): number {
  if (w.dataType !== DT.FLOAT && w.dataType !== DT.FLOAT16) return w.bytes;
  if (w.inSubgraph && !o.enableSubgraph) return w.bytes;
  const ops = new Set(o.opTypes);
  const n = elementCount(w.dims);
  if ((w.role === 'matmul-b' || w.role === 'gemm-b') && ops.has('MatMul')) {
    if (!o.perChannel) return n + 5;
    if (w.dims.length !== 2) return w.bytes;
    const N = w.role === 'gemm-b' && w.transB ? w.dims[0]! : w.dims[1]!;
    return n + N * 5;
  }
  if (w.role === 'gather-table' && ops.has('Gather')) return n + 5;
  if (w.role === 'conv-w' && ops.has('Conv')) return n + 5;
  return w.bytes;
}

/** INT8's output size for the table (default options: the default preset's). */
export const predict: Predictor<Partial<Int8Options> & { preset?: PresetName }> = (table: InitializerTable, options) => {
  const o = int8SizeOptions(options);
  let quantized = 0;
  const payload = predictWith(table, (e) => {
    const b = e.constant ? e.bytes : int8WeightBytes(e, o);
    if (b !== e.bytes) quantized++;
    return b;
  });
  return payload + table.untypedValues.nameBytes + VALUE_INFO_BYTES * table.untypedValues.count + NODES_PER_WEIGHT_BYTES * quantized;
};

/** Estimated value_info bytes beside the name (type, shape, field headers). */
const VALUE_INFO_BYTES = 25;
/** Estimated bytes of the nodes and small tensors a quantized weight brings. */
const NODES_PER_WEIGHT_BYTES = 1200;
