/**
 * MatMul -> DynamicQuantizeLinear(A) + MatMulInteger + Cast + Mul(scales) + Mul, as
 * onnxruntime/quantization/operators/matmul.py MatMulInteger (IntegerOps). B is quantized with the weight type,
 * reduce_range honoured, per-channel along B's last axis when per_channel is on.
 */
import type { OpRewriter } from '../quantizer.js';
import { float16Refusal, integerOpNodes, outputFloatType } from './common.js';

export const matmul: OpRewriter = {
  check(q, node) {
    const sel = q.nodeSelection(node);
    if (sel) return sel;
    const [a = '', b = ''] = node.inputs;
    if (!q.isFloatTensor(b) && !q.isFloatTensor(a)) return `neither input is float (${q.whyNotFloat(a)}; ${q.whyNotFloat(b)})`;
    if (q.s.matMulConstBOnly && !q.findInitializerInPath(b)) return 'two activation inputs: not quantized (MatMulConstBOnly)';
    if (!outputFloatType(q, node, 1))
      return `the output type of '${node.outputs[0]}' is unknown (the reference reads it from ONNX shape inference)`;
    // Deviation: per-channel scales for a B that is not 2-D give a model onnxruntime cannot load (1-D B) or run
    // (batched B: "b zero point is not valid"); the reference emits it anyway.
    const w = q.findWeight(b);
    if (q.s.perChannel && w && w.dims.length !== 2)
      return `per-channel quantization of its ${w.dims.length}-D weight '${b}' gives a model onnxruntime cannot run (the reference emits it anyway); use per-tensor`;
    return float16Refusal(q, [a, b]);
  },
  quantize(q, node) {
    const nodes = integerOpNodes(q, node, { opType: 'MatMulInteger' }, { reduceRange: true, opLevelPerChannel: true }, node.outputs[0]!);
    q.newNodes.push(...nodes);
    q.count('MatMul');
  },
};
