/**
 * com.microsoft Attention -> QAttention, as onnxruntime/quantization/operators/attention.py AttentionQuant:
 * input quantized dynamically (uint8), weight quantized with the weight type (reduce_range honoured, per-channel
 * along its last axis when per_channel is on), bias kept float. Inputs: [input_q, weight_q, bias, input_scale,
 * weight_scale, mask_index, input_zp, weight_zp, past]; attributes copied. Left alone with qkv_hidden_sizes (the
 * reference does not support it either).
 */
import { keptAttrs } from '../graph.js';
import type { OpRewriter } from '../quantizer.js';
import { float16Refusal, mk } from './common.js';

export const attention: OpRewriter = {
  check(q, node) {
    const sel = q.nodeSelection(node);
    if (sel) return sel;
    if (keptAttrs(node).some((a) => a.name === 'qkv_hidden_sizes'))
      return 'it has qkv_hidden_sizes, which QAttention does not support (the reference leaves it too)';
    return float16Refusal(q, [node.inputs[0] ?? '', node.inputs[1] ?? '']);
  },
  quantize(q, node) {
    const act = q.quantizeActivation(node, [0]);
    const w = q.quantizeWeight(node, [1], true, true);
    const inputs = [
      ...act.names,
      ...w.names,
      node.inputs[2] ?? '',
      ...act.scales,
      ...w.scales,
      node.inputs.length > 3 ? node.inputs[3]! : '',
      ...act.zps,
      ...w.zps,
      node.inputs.length > 4 ? node.inputs[4]! : '',
    ];
    const n = mk('QAttention', inputs, [...node.outputs], node.name ? `${node.name}_quant` : '', {
      domain: 'com.microsoft',
      copiedAttrs: keptAttrs(node),
    });
    q.newNodes.push(...act.nodes, ...w.nodes, n);
    q.count('Attention');
  },
};
