/**
 * Opset < 10: the reference first runs `onnx.version_converter.convert_version(model, 11)`. We do not reimplement
 * the converter; we handle the common case where it only bumps the opset number and drops attributes that no
 * longer exist (opset 6..9 sources): ops whose schema changes up to opset 11 are "compatible" in the converter,
 * plus Gemm / Add / Sub / Mul / Div (6 -> 7 drops `broadcast`), BatchNormalization (drops `is_test`, `spatial`=1)
 * and Dropout (drops `is_test`). Anything else is refused with the list of ops that would need the converter.
 */
import { type WGraph, type WNode, attrOf, forEachWGraph } from './graph.js';

/** Default-domain ops the converter passes through unchanged from opset 6..9 to 11. */
const COMPATIBLE = new Set([
  'Abs',
  'Acos',
  'Acosh',
  'And',
  'ArgMax',
  'ArgMin',
  'Asin',
  'Asinh',
  'Atan',
  'Atanh',
  'AveragePool',
  'Cast',
  'Ceil',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'Conv',
  'ConvTranspose',
  'Cos',
  'Cosh',
  'DepthToSpace',
  'Elu',
  'Equal',
  'Erf',
  'Exp',
  'Expand',
  'EyeLike',
  'Flatten',
  'Floor',
  'GRU',
  'Gather',
  'GlobalAveragePool',
  'GlobalLpPool',
  'GlobalMaxPool',
  'Greater',
  'HardSigmoid',
  'Hardmax',
  'Identity',
  'If',
  'InstanceNormalization',
  'IsNaN',
  'LRN',
  'LSTM',
  'LeakyRelu',
  'Less',
  'Log',
  'LogSoftmax',
  'LpNormalization',
  'LpPool',
  'MatMul',
  'Max',
  'MaxPool',
  'MaxRoiPool',
  'Mean',
  'Min',
  'Neg',
  'Not',
  'OneHot',
  'Or',
  'PRelu',
  'Pow',
  'RNN',
  'Reciprocal',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceMax',
  'ReduceMean',
  'ReduceMin',
  'ReduceProd',
  'ReduceSum',
  'ReduceSumSquare',
  'Relu',
  'Reshape',
  'Selu',
  'Shape',
  'Shrink',
  'Sigmoid',
  'Sign',
  'Sin',
  'Sinh',
  'Size',
  'Softmax',
  'Softplus',
  'Softsign',
  'SpaceToDepth',
  'Split',
  'Sqrt',
  'Squeeze',
  'Sum',
  'Tan',
  'Tanh',
  'ThresholdedRelu',
  'Tile',
  'Transpose',
  'Unsqueeze',
  'Where',
  'Xor',
]);
const BROADCAST_OPS = new Set(['Gemm', 'Add', 'Sub', 'Mul', 'Div']);

export interface OpsetUpgrade {
  /** Attributes to drop, per node. */
  drops: Map<WNode, string[]>;
}

/** Plans the opset `from` -> 11 upgrade, or returns why it cannot be done here. */
export function planOpsetUpgrade(root: WGraph, from: number): OpsetUpgrade | { refuse: string } {
  if (from < 6) return { refuse: `opset ${from} is older than 6 (the first opset AVA can upgrade to 11)` };
  const drops = new Map<WNode, string[]>();
  const unsupported = new Set<string>();
  forEachWGraph(root, (g) => {
    for (const n of g.nodes) {
      if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
      const drop: string[] = [];
      if (BROADCAST_OPS.has(n.opType)) {
        if (n.opType !== 'Gemm' && attrOf(n, 'axis')) unsupported.add(`${n.opType} with a legacy broadcast axis`);
        if (attrOf(n, 'broadcast')) drop.push('broadcast');
      } else if (n.opType === 'BatchNormalization') {
        if (attrOf(n, 'is_test')) drop.push('is_test');
        const spatial = attrOf(n, 'spatial');
        if (spatial && spatial.i !== 1) unsupported.add('BatchNormalization with spatial=0');
        if (spatial) drop.push('spatial');
      } else if (n.opType === 'Dropout') {
        if (attrOf(n, 'is_test')) drop.push('is_test');
      } else if (!COMPATIBLE.has(n.opType)) unsupported.add(n.opType);
      if (drop.length) drops.set(n, drop);
    }
  });
  if (unsupported.size)
    return {
      refuse: `upgrading it to opset 11 needs onnx.version_converter adapters AVA does not implement (for ${[...unsupported].sort().join(', ')})`,
    };
  return { drops };
}
