/**
 * Element-type propagation: a stand-in for the ONNX shape inference the reference runs before quantizing.
 * The reference only needs element types (is this tensor float? what does the Cast after MatMulInteger cast to?),
 * so we propagate elem types forward through the standard ops. Anything we cannot type (custom domains, ops not
 * listed) stays unknown, and the quantizer declines to touch nodes that would need it (reported).
 */
import { DT } from '../onnx/dtypes.js';
import { type WGraph, type WNode, attrOf, forEachWGraph } from './graph.js';

/** name -> elem type for the tensors a graph itself declares or produces (0 = declared but untyped). */
export type LocalTypes = Map<string, number>;

const SAME_AS_INPUT0 = new Set([
  'Abs', 'Acos', 'Acosh', 'Add', 'Asin', 'Asinh', 'Atan', 'Atanh', 'AveragePool', 'BatchNormalization', 'BitShift',
  'BitwiseAnd', 'BitwiseNot', 'BitwiseOr', 'BitwiseXor', 'BlackmanWindow', 'Ceil', 'Celu', 'CenterCropPad', 'Clip',
  'Col2Im', 'Compress', 'Concat', 'Conv', 'ConvTranspose', 'Cos', 'Cosh', 'CumSum', 'DepthToSpace', 'Det', 'Div',
  'Dropout', 'Einsum', 'Elu', 'Erf', 'Exp', 'Expand', 'Flatten', 'Floor', 'GRU', 'Gather', 'GatherElements',
  'GatherND', 'Gelu', 'Gemm', 'GlobalAveragePool', 'GlobalLpPool', 'GlobalMaxPool', 'GroupNormalization',
  'HardSigmoid', 'HardSwish', 'Hardmax', 'Identity', 'InstanceNormalization', 'LRN', 'LSTM', 'LayerNormalization',
  'LeakyRelu', 'Log', 'LogSoftmax', 'LpNormalization', 'LpPool', 'MatMul', 'Max', 'MaxPool', 'MaxRoiPool', 'Mean',
  'MeanVarianceNormalization', 'Min', 'Mish', 'Mod', 'Mul', 'Neg', 'PRelu', 'Pad', 'Pow', 'RNN', 'Range',
  'Reciprocal', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMean', 'ReduceMin',
  'ReduceProd', 'ReduceSum', 'ReduceSumSquare', 'Relu', 'Reshape', 'Resize', 'ReverseSequence', 'RoiAlign', 'Round',
  'STFT', 'ScatterElements', 'ScatterND', 'Scatter', 'Selu', 'Shrink', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Slice',
  'Softmax', 'Softplus', 'Softsign', 'SpaceToDepth', 'Split', 'Sqrt', 'Squeeze', 'Sub', 'Sum', 'Tan', 'Tanh',
  'ThresholdedRelu', 'Tile', 'TopK', 'Transpose', 'Trilu', 'Unique', 'Unsqueeze', 'Upsample', 'ImageScaler',
  'Crop', 'SequenceAt', 'DeformConv', 'AffineGrid', 'GridSample', 'RMSNormalization', 'Swish', 'Attention',
]);

const INT64_OUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);
const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf', 'RegexFullMatch']);

function constantType(n: WNode): number {
  for (const name of ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings']) {
    const a = attrOf(n, name);
    if (!a) continue;
    if (name === 'value') return a.t?.dataType ?? 0;
    if (name.startsWith('value_float')) return DT.FLOAT;
    if (name.startsWith('value_int')) return DT.INT64;
    return DT.STRING;
  }
  return 0;
}

/** Output elem types of one node given a lookup for input types (0 = unknown). */
function nodeOutputTypes(n: WNode, typeOf: (name: string) => number, sub: (g: WGraph) => LocalTypes): number[] {
  const outs = n.outputs.map(() => 0);
  if (n.domain !== '' && n.domain !== 'ai.onnx') {
    if (n.domain === 'com.microsoft') {
      if (n.opType === 'DynamicQuantizeMatMul' || n.opType === 'MatMulIntegerToFloat' || n.opType === 'QAttention' || n.opType === 'DynamicQuantizeLSTM')
        return outs.map(() => (n.opType === 'DynamicQuantizeLSTM' ? typeOf(n.inputs[0] ?? '') : DT.FLOAT));
      if (['Gelu', 'FastGelu', 'BiasGelu', 'SkipLayerNormalization', 'LayerNormalization', 'Attention', 'BiasAdd', 'QuickGelu'].includes(n.opType))
        return outs.map((_, i) => (i === 0 ? typeOf(n.inputs[0] ?? '') : 0));
    }
    return outs;
  }
  const in0 = () => typeOf(n.inputs[0] ?? '');
  const op = n.opType;
  if (op === 'Constant') return [constantType(n)];
  if (op === 'ConstantOfShape') {
    const a = attrOf(n, 'value');
    return [a?.t?.dataType ?? DT.FLOAT];
  }
  if (op === 'Cast') return [attrOf(n, 'to')?.i ?? 0];
  if (op === 'CastLike') return [typeOf(n.inputs[1] ?? '')];
  if (INT64_OUT.has(op)) return outs.map(() => DT.INT64);
  if (BOOL_OUT.has(op)) return outs.map(() => DT.BOOL);
  if (op === 'Where') return [typeOf(n.inputs[1] ?? '')];
  if (op === 'OneHot') return [typeOf(n.inputs[2] ?? '')];
  if (op === 'DynamicQuantizeLinear') return [DT.UINT8, DT.FLOAT, DT.UINT8];
  if (op === 'QuantizeLinear') {
    const zp = n.inputs[2] ? typeOf(n.inputs[2]) : 0;
    return [zp || attrOf(n, 'output_dtype')?.i || DT.UINT8];
  }
  if (op === 'DequantizeLinear') return [typeOf(n.inputs[1] ?? '')];
  if (op === 'MatMulInteger' || op === 'ConvInteger') return [DT.INT32];
  if (op === 'QLinearMatMul' || op === 'QLinearConv') return [typeOf(n.inputs[7] ?? '')];
  if (op === 'EyeLike' || op === 'RandomNormalLike' || op === 'RandomUniformLike' || op === 'Multinomial')
    return [attrOf(n, 'dtype')?.i || (op === 'Multinomial' ? DT.INT32 : in0())];
  if (op === 'RandomNormal' || op === 'RandomUniform' || op === 'Bernoulli') return [attrOf(n, 'dtype')?.i || (op === 'Bernoulli' ? in0() : DT.FLOAT)];
  if (op === 'TopK') return [in0(), DT.INT64];
  if (op === 'MaxPool') return outs.map((_, i) => (i === 0 ? in0() : DT.INT64));
  if (op === 'Dropout') return outs.map((_, i) => (i === 0 ? in0() : DT.BOOL));
  if (op === 'Unique') return outs.map((_, i) => (i === 0 ? in0() : DT.INT64));
  if (op === 'If') {
    const branch = n.subgraphs && [...n.subgraphs.entries()].find(([a]) => a.name === 'then_branch' || a.name === 'else_branch');
    if (!branch) return outs;
    const g = branch[1][0]!;
    const t = sub(g);
    return g.src.outputs.map((o) => t.get(o.name) || o.elemType);
  }
  if (op === 'Loop') {
    const body = n.subgraphs && [...n.subgraphs.entries()].find(([a]) => a.name === 'body');
    if (!body) return outs;
    const g = body[1][0]!;
    const t = sub(g);
    return outs.map((_, i) => {
      const o = g.src.outputs[i + 1];
      return o ? t.get(o.name) || o.elemType : 0;
    });
  }
  if (SAME_AS_INPUT0.has(op)) return outs.map((_, i) => (i === 0 || op === 'Split' || op === 'LSTM' || op === 'GRU' || op === 'RNN' ? in0() : 0));
  return outs;
}

/**
 * Types of every graph in the tree. `typeOf` inside a subgraph falls back to the enclosing graphs' tensors
 * (outer-scope values), as ONNX shape inference does.
 */
export function inferTypes(root: WGraph): Map<WGraph, LocalTypes> {
  const all = new Map<WGraph, LocalTypes>();
  const run = (g: WGraph, outer: (name: string) => number): LocalTypes => {
    const local: LocalTypes = new Map();
    all.set(g, local);
    const inits = new Map(g.inits.map((t) => [t.name, t.dataType]));
    for (const v of g.src.inputs) local.set(v.name, v.elemType);
    for (const v of g.src.valueInfo) if (!local.get(v.name)) local.set(v.name, v.elemType);
    for (const v of g.src.outputs) if (!local.get(v.name)) local.set(v.name, v.elemType);
    const typeOf = (name: string): number => inits.get(name) ?? (local.get(name) || outer(name));
    for (const n of g.nodes) {
      const subTypes = (sg: WGraph) => all.get(sg) ?? run(sg, typeOf);
      // Visit every subgraph (so all of them are typed), whatever the op.
      if (n.subgraphs) for (const gs of n.subgraphs.values()) for (const sg of gs) subTypes(sg);
      const ts = nodeOutputTypes(n, typeOf, subTypes);
      n.outputs.forEach((o, i) => {
        if (!o) return;
        const t = ts[i] ?? 0;
        if (t) local.set(o, t);
        else if (!local.has(o)) local.set(o, 0);
      });
    }
    return local;
  };
  run(root, () => 0);
  // Graphs not reachable through nodes (none expected) still get a map.
  forEachWGraph(root, (g) => {
    if (!all.has(g)) all.set(g, new Map());
  });
  return all;
}
