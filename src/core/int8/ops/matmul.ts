/**
 * MatMul -> DynamicQuantizeLinear(A) + MatMulInteger + Cast + Mul(scales) + Mul, as
 * onnxruntime/quantization/operators/matmul.py MatMulInteger (IntegerOps). B is quantized with the weight type,
 * reduce_range honoured, per-channel along B's last axis when per_channel is on.
 */
import type { OpRewriter } from '../quantizer.js';
import { float16Refusal, mk, outputFloatType, scalesMul } from './common.js';

export const matmul: OpRewriter = {
  check(q, node) {
    const sel = q.nodeSelection(node);
    if (sel) return sel;
    const [a = '', b = ''] = node.inputs;
    if (!q.isFloatTensor(b) && !q.isFloatTensor(a)) return `neither input is float (${q.whyNotFloat(a)}; ${q.whyNotFloat(b)})`;
    if (q.s.matMulConstBOnly && !q.findInitializerInPath(b))
      return 'two activation inputs: not quantized (MatMulConstBOnly)';
    if (!outputFloatType(q, node, 1)) return `the output type of '${node.outputs[0]}' is unknown (the reference reads it from ONNX shape inference)`;
    // Deviation: per-channel scales for a B that is not 2-D give a model onnxruntime cannot load (1-D B) or run
    // (batched B: "b zero point is not valid"); the reference emits it anyway.
    const w = q.findWeight(b);
    if (q.s.perChannel && w && w.dims.length !== 2)
      return `per-channel quantization of its ${w.dims.length}-D weight '${b}' gives a model onnxruntime cannot run (the reference emits it anyway); use per-tensor`;
    return float16Refusal(q, [a, b]);
  },
  quantize(q, node) {
    const act = q.quantizeActivation(node, [0]);
    const w = q.quantizeWeight(node, [1], true, true);
    const names = [...act.names, ...w.names];
    const zps = [...act.zps, ...w.zps];
    const scales = [...act.scales, ...w.scales];
    const nodes = [...act.nodes, ...w.nodes];
    const out = node.outputs[0]!;
    const intOut = `${out}_output_quantized`;
    const intName = node.name ? `${node.name}_quant` : '';
    nodes.push(mk('MatMulInteger', [...names, ...zps], [intOut], intName));
    const castOut = `${intOut}_cast_output`;
    nodes.push(mk('Cast', [intOut], [castOut], `${intOut}_cast`, { attrs: [['to', { kind: 'int', value: outputFloatType(q, node, 1) }]] }));
    const scalesOut = scalesMul(q, nodes, intName, scales);
    nodes.push(mk('Mul', [castOut, scalesOut], [out], intName ? `${intName}_output_scale_mul` : ''));
    q.newNodes.push(...nodes);
    q.count('MatMul');
  },
};
