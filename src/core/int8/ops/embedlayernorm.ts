/**
 * com.microsoft EmbedLayerNormalization -> QEmbedLayerNormalization, as
 * onnxruntime/quantization/operators/embed_layernorm.py: the five tables / LayerNorm parameters (inputs 2..6) are
 * quantized like activations (uint8, per-tensor), ids stay int32; inputs [ids, segment_ids, 5 quantized tensors,
 * mask, 5 scales, 5 zero points]; attributes copied. Nodes with 3 outputs are left alone (as the reference does).
 */
import { keptAttrs } from '../graph.js';
import type { OpRewriter } from '../quantizer.js';
import { mk } from './common.js';

export const embedLayerNorm: OpRewriter = {
  check(q, node) {
    const sel = q.nodeSelection(node);
    if (sel) return sel;
    if (node.outputs.length > 2) return 'it has 3 outputs (the reference leaves it too)';
    return null;
  },
  quantize(q, node) {
    const r = q.quantizeActivation(node, [2, 3, 4, 5, 6]);
    const inputs = [
      node.inputs[0] ?? '',
      node.inputs[1] ?? '',
      ...r.names,
      node.inputs.length > 7 ? node.inputs[7]! : '',
      ...r.scales,
      ...r.zps,
    ];
    const n = mk('QEmbedLayerNormalization', inputs, [...node.outputs], node.name ? `${node.name}_quant` : '', {
      domain: 'com.microsoft',
      copiedAttrs: keptAttrs(node),
    });
    q.newNodes.push(...r.nodes, n);
    q.count('EmbedLayerNormalization');
  },
};
