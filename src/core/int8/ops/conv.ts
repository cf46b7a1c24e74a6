/**
 * Conv -> DynamicQuantizeLinear(X) + ConvInteger + Cast + Mul(scales) + Mul [+ Reshape(bias) + Add], as
 * onnxruntime/quantization/operators/conv.py ConvInteger. The weight is always per-tensor here (the reference
 * passes op_level_per_channel=False for ConvInteger), reduce_range as configured. A weight that is not an
 * initializer (e.g. a Constant node output) is quantized dynamically like an activation, as the reference does.
 */
import { DT } from '../../onnx/dtypes.js';
import { keptAttrs } from '../graph.js';
import type { OpRewriter } from '../quantizer.js';
import { float16Refusal, integerOpNodes, mk, outputFloatType } from './common.js';

function int64Bytes(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 8);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
  return b;
}

export const conv: OpRewriter = {
  check(q, node) {
    const sel = q.nodeSelection(node);
    if (sel) return sel;
    const [x = '', w = ''] = node.inputs;
    if (!q.isFloatTensor(x)) return `input ${q.whyNotFloat(x)}`;
    if (node.inputs.length === 3 && !q.findInit(w))
      return `it has a bias but its weight '${w}' is not an initializer of this graph (the reference raises "Expected ${w} to be an initializer" here)`;
    if (!outputFloatType(q, node, 1))
      return `the output type of '${node.outputs[0]}' is unknown (the reference reads it from ONNX shape inference)`;
    return float16Refusal(q, [x, w]);
  },
  quantize(q, node) {
    const out = node.outputs[0]!;
    const hasBias = node.inputs.length === 3;
    const scaled = hasBias ? `${out}quant_scaled_output` : out;
    const nodes = integerOpNodes(
      q,
      node,
      { opType: 'ConvInteger', extra: { copiedAttrs: keptAttrs(node) } },
      { reduceRange: q.s.reduceRange, opLevelPerChannel: false },
      scaled,
    );
    if (hasBias) {
      const weight = q.findInit(node.inputs[1]!)!;
      const shapeName = `${out}_bias_reshape_shape`;
      const shape = weight.dims.map((_, i) => (i === 1 ? -1 : 1));
      q.addInitIfMissing({ name: shapeName, dataType: DT.INT64, dims: [weight.dims.length], raw: int64Bytes(shape) });
      const reshapeOut = `${out}_bias_reshape_output`;
      nodes.push(mk('Reshape', [node.inputs[2]!, shapeName], [reshapeOut], ''));
      nodes.push(mk('Add', [scaled, reshapeOut], [out], `${out}_bias_add`));
    }
    q.newNodes.push(...nodes);
    q.count('Conv');
  },
};
