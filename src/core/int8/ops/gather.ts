/**
 * Gather with a float initializer table: the table is quantized like an activation (uint8, asymmetric unless
 * ActivationSymmetric, one scale for the whole table, no reduce_range), the Gather reads the 8-bit table and its
 * output is marked quantized, so a DequantizeLinear is added before the first consumer that stays float (or
 * before a graph output). As onnxruntime/quantization/operators/gather.py GatherQuant.
 */
import { DT } from '../../onnx/dtypes.js';
import type { OpRewriter } from '../quantizer.js';

export const gather: OpRewriter = {
  check(q, node) {
    const sel = q.nodeSelection(node);
    if (sel) return sel;
    // Gathers on activations (shapes, ids) are not candidates: stay silent about them.
    const table = node.inputs[0] ?? '';
    if (!q.isValidQuantizeWeight(table)) return '';
    if (q.findWeight(table)?.dataType === DT.FLOAT16 && q.ctx.opset < 19)
      return `its table '${table}' is float16 and DequantizeLinear takes float16 scales only from opset 19 (the reference would emit a model onnxruntime cannot load)`;
    return null;
  },
  quantize(q, node) {
    const r = q.quantizeActivation(node, [0]);
    const out = node.outputs[0]!;
    const newOut = `${out}_quantized`;
    q.qmap.set(out, { q: newOut, scale: r.scales[0]!, zp: r.zps[0]!, axis: null });
    node.outputs[0] = newOut;
    node.inputs[0] = r.names[0]!;
    q.newNodes.push(...r.nodes, node);
    q.count('Gather');
  },
};
