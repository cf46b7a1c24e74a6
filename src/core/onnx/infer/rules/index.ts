/**
 * The operator rule registry: for each default-domain operator, the inference rule of each schema version (keyed by
 * the first since_version it applies to). The schema in force is chosen from the ONNX operator schemas
 * (schema.generated.ts, onnx 1.23.2) exactly as onnx's registry does (largest since_version <= the model's opset);
 * the rule registered for that version runs. An operator with a schema but no rule here gets element types from
 * its type constraints only (see `schemaElemTypes`), and is reported. The generated table leaves out deprecated
 * schema versions, which onnx's registry still returns: they are listed in DEPRECATED below.
 */
import type { InferContext } from '../context.js';
import { formalAt, isFixed, signatureOf } from '../../../fp16/schema.js';
import { ifRule, loopRule } from './control.js';
import * as m from './math.js';
import * as nn from './nn.js';
import * as t from './tensor.js';

export type Rule = (ctx: InferContext) => void;

const same = m.sameAsInput0;

/** [first since_version, rule], any order. */
const RULES: Record<string, [number, Rule][]> = {};

function reg(ops: string[], since: number, rule: Rule): void {
  for (const op of ops) (RULES[op] ??= []).push([since, rule]);
}

reg(
  [
    'Abs',
    'Acos',
    'Acosh',
    'Asin',
    'Asinh',
    'Atan',
    'Atanh',
    'Ceil',
    'Cos',
    'Cosh',
    'Elu',
    'Erf',
    'Exp',
    'Floor',
    'HardSigmoid',
    'HardSwish',
    'Identity',
    'LeakyRelu',
    'Log',
    'Neg',
    'Not',
    'Reciprocal',
    'Relu',
    'Round',
    'Selu',
    'Sigmoid',
    'Sign',
    'Sin',
    'Sinh',
    'Softplus',
    'Softsign',
    'Sqrt',
    'Tan',
    'Tanh',
    'ThresholdedRelu',
    'Celu',
    'Mish',
    'Gelu',
    'Shrink',
    'BitwiseNot',
    'Clip',
    'InstanceNormalization',
    'LpNormalization',
    'MeanVarianceNormalization',
    'CumSum',
    'Trilu',
    'ScatterND',
    'ScatterElements',
    'Scatter',
    'LRN',
    'PRelu',
    'Swish',
  ],
  1,
  same,
);
reg(['MeanVarianceNormalization'], 13, m.elemTypeOnly);
reg(['Add', 'Sub', 'Mul', 'Div', 'Pow'], 1, same);
reg(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor'], 7, m.binaryBroadcast);
reg(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor'], 7, m.compareBroadcast);
reg(['Max', 'Min', 'Sum', 'Mean'], 8, m.variadicBroadcast);
reg(['Where'], 9, m.where);
reg(['IsNaN', 'IsInf'], 1, m.boolSameShape);
reg(['Softmax', 'LogSoftmax', 'Hardmax'], 1, m.softmax11);
reg(['Softmax', 'LogSoftmax', 'Hardmax'], 13, m.softmax13);
reg(['MatMul'], 1, m.matmul);
reg(['MatMulInteger'], 10, m.matmulInteger);
reg(['Gemm'], 1, m.gemm6);
reg(['Gemm'], 7, m.gemm);
reg(
  [
    'ReduceMax',
    'ReduceMin',
    'ReduceMean',
    'ReduceSum',
    'ReduceProd',
    'ReduceL1',
    'ReduceL2',
    'ReduceLogSum',
    'ReduceLogSumExp',
    'ReduceSumSquare',
  ],
  1,
  m.reduce,
);
reg(['ArgMax', 'ArgMin'], 1, m.argReduce);
reg(['Cast'], 6, m.cast);
reg(['CastLike'], 15, m.castLike);
reg(['Dropout'], 7, m.dropoutOld(false));
reg(['Dropout'], 10, m.dropoutOld(true));
reg(['Dropout'], 12, m.dropout12);
reg(['BatchNormalization'], 1, same);
reg(['BatchNormalization'], 14, nn.batchNorm15);

reg(['Reshape'], 5, t.reshape5);
reg(['Reshape'], 13, t.reshape);
reg(['Shape'], 1, t.shape1);
reg(['Shape'], 15, t.shape15);
reg(['Size'], 1, t.size);
reg(['Gather'], 1, t.gather);
reg(['GatherElements'], 11, t.gatherElements);
reg(['Unsqueeze'], 1, t.unsqueeze11);
reg(['Unsqueeze'], 13, t.unsqueeze13);
reg(['Squeeze'], 1, t.squeeze11);
reg(['Squeeze'], 13, t.squeeze13);
reg(['Concat'], 4, t.concat);
reg(['Slice'], 1, t.slice1);
reg(['Slice'], 10, t.slice10);
reg(['Transpose'], 1, t.transpose);
reg(['Flatten'], 1, t.flatten);
reg(['Expand'], 8, t.expand);
reg(['Tile'], 6, t.tile);
reg(['Pad'], 2, t.pad2);
reg(['Pad'], 11, t.pad11);
reg(['ConstantOfShape'], 9, t.constantOfShape);
reg(['Constant'], 1, t.constant1);
reg(['Constant'], 12, t.constant12);
reg(['Range'], 11, t.range);
reg(['Split'], 2, t.split);
reg(['Split'], 18, t.split18);
reg(['OneHot'], 9, t.oneHot);
reg(['Compress'], 9, t.compress);
reg(['Unique'], 11, t.unique);
reg(['Einsum'], 12, t.einsum);
reg(['NonZero'], 9, t.nonZero);
reg(['TopK'], 10, t.topK);
reg(['Upsample'], 7, t.upsample7);
reg(['Upsample', 'Resize'], 9, t.resize10);
reg(['Resize'], 11, t.resize11);
reg(['DepthToSpace'], 1, t.depthToSpace);
reg(['SpaceToDepth'], 1, t.spaceToDepth);

reg(['Conv'], 1, nn.conv);
reg(['ConvInteger'], 10, nn.convInteger);
reg(['ConvTranspose'], 1, nn.convTranspose);
reg(['AveragePool', 'LpPool'], 1, nn.pool(false));
reg(['LpPool'], 18, nn.pool(true));
reg(['AveragePool'], 19, nn.pool(true));
reg(['MaxPool'], 1, nn.pool(false));
reg(['MaxPool'], 10, nn.pool(true));
reg(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool'], 1, nn.globalPool);
reg(['LayerNormalization'], 17, nn.layerNorm);
reg(['LSTM', 'GRU', 'RNN'], 1, nn.rnn);
reg(['DequantizeLinear'], 10, nn.dequantize10);
reg(['DequantizeLinear'], 19, nn.dequantize19);
reg(['QuantizeLinear'], 10, nn.quantize10);
reg(['DynamicQuantizeLinear'], 11, nn.dynamicQuantizeLinear);

/** onnx 1.23 infers nothing for GroupNormalization: version 18 (deprecated) has neither an inference function nor a
 * function body; version 21's function-body inference fails. */
reg(['GroupNormalization'], 18, () => {});

reg(['If'], 1, ifRule);
reg(['Loop'], 1, loopRule);

export type Resolution =
  /** onnx has no schema for this operator at this opset (unknown op or domain): onnx infers nothing for it. */
  | { kind: 'no-schema' }
  /** onnx has a schema; AVA has no rule for it (element types from the schema only). */
  | { kind: 'no-rule'; since: number }
  | { kind: 'rule'; since: number; rule: Rule };

const isDefault = (d: string): boolean => d === '' || d === 'ai.onnx';

/**
 * Deprecated default-domain schema versions (onnx 1.23.2: `[s for s in onnx.defs.get_all_schemas_with_history() if
 * s.deprecated]`), absent from the generated table but still what onnx's registry returns from that opset on.
 */
const DEPRECATED: Record<string, number> = { GroupNormalization: 18, Upsample: 10, Scatter: 11 };

/** The rule for `op` of `domain` at the imported opset `version`, chosen as onnx's schema registry would. */
export function resolveRule(domain: string, op: string, version: number): Resolution {
  if (!isDefault(domain)) return { kind: 'no-schema' };
  let since = signatureOf(op, version)?.since ?? 0;
  const dep = DEPRECATED[op];
  if (dep !== undefined && dep <= version && dep > since) since = dep;
  if (!since) return { kind: 'no-schema' };
  const list = RULES[op];
  let best: [number, Rule] | undefined;
  for (const r of list ?? []) if (r[0] <= since && (!best || r[0] > best[0])) best = r;
  return best ? { kind: 'rule', since, rule: best[1] } : { kind: 'no-rule', since };
}

/** Operators with a registered rule (for reports and tests). */
export const RULE_OPS: readonly string[] = Object.keys(RULES).sort();

/**
 * Element types only, from the schema's type constraints: a fixed output type, or the type variable bound by the
 * inputs. Used for operators without a rule so that element types (which decide what the quantizers touch) keep
 * flowing; shapes stay unknown.
 */
export function schemaElemTypes(op: string, version: number, inputElems: number[], numOutputs: number): number[] {
  const sig = signatureOf(op, version);
  const out = new Array<number>(numOutputs).fill(0);
  if (!sig) return out;
  const bound = new Map<string, number>();
  inputElems.forEach((e, i) => {
    if (!e) return;
    const f = formalAt(sig.inputs, i);
    if (f && !isFixed(f.key) && !bound.has(f.key)) bound.set(f.key, e);
  });
  for (let i = 0; i < numOutputs; i++) {
    const f = formalAt(sig.outputs, i);
    if (!f) continue;
    if (isFixed(f.formal.v)) out[i] = Number(f.formal.v.slice(1));
    else {
      const b = bound.get(f.key);
      if (b) out[i] = b;
      else {
        const tv = sig.vars.get(f.formal.v);
        if (tv && tv.types.size === 1 && !tv.nonTensor) out[i] = [...tv.types][0]!;
      }
    }
  }
  return out;
}
