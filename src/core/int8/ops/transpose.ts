/**
 * Transpose (Direct8BitOp in the reference's common registry): when its input is already quantized (for example
 * the 8-bit output of a quantized Gather), it transposes the 8-bit tensor and its output is marked quantized with
 * the same scale / zero point; otherwise it is left alone.
 */
import type { OpRewriter } from '../quantizer.js';

export const transpose: OpRewriter = {
  check(q, node) {
    if (q.nodeSelection(node)) return '';
    return q.isFloatTensor(node.inputs[0] ?? '') ? null : '';
  },
  quantize(q, node) {
    const qv = q.findQuantizedValue(node.inputs[0] ?? '');
    if (!qv) {
      q.newNodes.push(node);
      return;
    }
    const out = node.outputs[0]!;
    q.qmap.set(out, { q: `${out}_quantized`, scale: qv.scale, zp: qv.zp, axis: null });
    node.inputs[0] = qv.q;
    node.outputs[0] = `${out}_quantized`;
    q.newNodes.push(node);
    q.count('Transpose');
  },
};
