/** Helpers shared by the op rewriters. */
import { DT } from '../../onnx/dtypes.js';
import type { WNode } from '../graph.js';
import type { GraphQuantizer } from '../quantizer.js';

/** onnx.helper.make_node equivalent for the nodes the rewriters emit. */
export function mk(opType: string, inputs: string[], outputs: string[], name: string, extra: Partial<WNode> = {}): WNode {
  return { opType, domain: '', name, inputs, outputs, ...extra };
}

/**
 * The float type the integer op's output is cast back to (get_tensor_type(output) in the reference, which reads
 * shape inference). We use our propagated type, else the float weight's type. 0 when unknown.
 */
export function outputFloatType(q: GraphQuantizer, node: WNode, weightIndex: number): number {
  const t = q.typeOf(node.outputs[0] ?? '') || q.findWeight(node.inputs[weightIndex] ?? '')?.dataType || q.typeOf(node.inputs[0] ?? '');
  return t === DT.FLOAT || t === DT.FLOAT16 ? t : 0;
}

/**
 * Activations are quantized by DynamicQuantizeLinear, whose input must be float32 (ONNX spec). The reference emits
 * it for float16 tensors too, producing a model onnxruntime cannot load; we decline instead.
 */
export function float16Refusal(q: GraphQuantizer, names: string[]): string | null {
  for (const n of names) {
    if (!n || q.findInitializerInPath(n)) continue;
    if (q.typeOf(n) === DT.FLOAT16)
      return `'${n}' is float16 and DynamicQuantizeLinear only takes float32 (the reference would emit a model onnxruntime cannot load)`;
  }
  return null;
}

/** The scales Mul shared by the integer ops: name from the node name or from both scale names; reused if present. */
export function scalesMul(q: GraphQuantizer, nodes: WNode[], intName: string, scales: string[]): string {
  const mulName = intName ? `${intName}_scales_mul` : `${scales[0]}_${scales[1]}_mul`;
  const existing = q.findNewNodeByName(mulName);
  if (existing) return existing.outputs[0]!;
  const n = mk('Mul', [scales[0]!, scales[1]!], [`${mulName}:0`], mulName);
  nodes.push(n);
  return n.outputs[0]!;
}

/**
 * What ConvInteger and MatMulInteger rewrites share (onnxruntime operators/conv.py ConvInteger.quantize,
 * operators/matmul.py MatMulInteger.quantize): input 0 quantized as an activation, input 1 as a weight (`reduceRange`,
 * `opLevelPerChannel` as GraphQuantizer.quantizeWeight takes them), `intOp` on the integers into
 * `<out>_output_quantized`, a Cast back to the output's float type and the Mul by the product of the scales into
 * `scaledOut`. Returns the new nodes in the reference's order.
 */
export function integerOpNodes(
  q: GraphQuantizer,
  node: WNode,
  intOp: { opType: string; extra?: Partial<WNode> },
  weight: { reduceRange: boolean; opLevelPerChannel: boolean },
  scaledOut: string,
): WNode[] {
  const act = q.quantizeActivation(node, [0]);
  const w = q.quantizeWeight(node, [1], weight.reduceRange, weight.opLevelPerChannel);
  const nodes = [...act.nodes, ...w.nodes];
  const intOut = `${node.outputs[0]!}_output_quantized`;
  const intName = node.name ? `${node.name}_quant` : '';
  nodes.push(mk(intOp.opType, [...act.names, ...w.names, ...act.zps, ...w.zps], [intOut], intName, intOp.extra));
  const castOut = `${intOut}_cast_output`;
  nodes.push(mk('Cast', [intOut], [castOut], `${intOut}_cast`, { attrs: [['to', { kind: 'int', value: outputFloatType(q, node, 1) }]] }));
  const scalesOut = scalesMul(q, nodes, intName, [...act.scales, ...w.scales]);
  nodes.push(mk('Mul', [castOut, scalesOut], [scaledOut], intName ? `${intName}_output_scale_mul` : ''));
  return nodes;
}
