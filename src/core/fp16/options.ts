/** FP16 conversion options, their defaults and the report. */
import { AvaError } from '../errors.js';
import type { OutputProvenance } from '../provenance.js';
import type { ExternalLayout } from '../onnx/writer.js';
import type { KeepRuleId } from './policy.js';
import type { ModeReportBase } from '../modes/types.js';

/**
 * Ops kept in float32 by default: onnxconverter-common's DEFAULT_OP_BLOCK_LIST (float16.py, v1.16.0) plus
 * TreeEnsemble from onnxruntime's transformers/float16.py. ML ops have no float16 kernels; NonMaxSuppression,
 * TopK, RoiAlign, Resize, Range, CumSum, Min, Max and Upsample are blocked by the references for kernel
 * coverage / precision reasons.
 */
export const DEFAULT_OP_BLOCK_LIST: readonly string[] = [
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'CategoryMapper',
  'DictVectorizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'RandomUniformLike',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'TreeEnsemble',
  'ZipMap',
  'NonMaxSuppression',
  'TopK',
  'RoiAlign',
  'Resize',
  'Range',
  'CumSum',
  'Min',
  'Max',
  'Upsample',
];

/**
 * Clamping defaults follow onnxruntime's transformers/float16.py (convert_np_to_float16, v1.32):
 * min_positive_val = 5.96e-08 (the smallest float16 subnormal, so nothing non-zero becomes zero) and
 * max_finite_val = 65504 (the largest finite float16, so nothing finite becomes inf). onnxconverter-common
 * uses 1e-7 / 1e4, which also alters representable values in (1e4, 65504].
 */
export const DEFAULT_MIN_POSITIVE = 5.96e-8;
export const DEFAULT_MAX_FINITE = 65504;

/**
 * Magnitudes from which an out-of-range weight is taken as a stand-in for infinity (attention masks use
 * -3.4e38 = float32's lowest, or -1e9): clamping such a value to ±maxFinite keeps its meaning.
 */
export const SENTINEL_MAGNITUDE = 1e9;

export interface Fp16Options {
  /** Source file, tool version and date to record in the output's metadata. */
  provenance?: OutputProvenance;
  /** How to split an output over 2 GiB into the .onnx and an external-data file (without: always one file). */
  layout?: ExternalLayout;
  /** Keep float32 graph inputs and outputs (Casts at the boundary). Default true. */
  keepIoTypes?: boolean;
  /** Extra op types to keep in float32, in addition to DEFAULT_OP_BLOCK_LIST. */
  opBlockList?: string[];
  /** Node names to keep in float32. */
  nodeBlockList?: string[];
  /** Non-zero magnitudes below this become ±minPositive. Default 5.96e-8; 0 lets them round (maybe to 0). */
  minPositive?: number;
  /** Finite magnitudes above this become ±maxFinite. Default 65504 (must be in (0, 65504]). */
  maxFinite?: number;
  /**
   * Weights with finite values above maxFinite that are not infinity stand-ins (|x| < 1e9, e.g. a
   * BatchNormalization variance of 4e7 or a 2^20 scale): 'keep-fp32' (default) leaves the tensor in float32
   * and runs its consumers, and everything downstream until a range-reducing op (Log, Softmax, a
   * normalization, ...), in float32; 'clamp' clamps them to ±maxFinite as the reference converters do
   * (which changes the model's results).
   */
  outOfRange?: 'keep-fp32' | 'clamp';
}

export interface ResolvedFp16Options {
  keepIoTypes: boolean;
  opBlockList: string[];
  nodeBlockList: string[];
  minPositive: number;
  maxFinite: number;
  outOfRange: 'keep-fp32' | 'clamp';
}

/** Bad FP16 option values (kind 'options'). */
export class Fp16OptionError extends AvaError {
  override name = 'Fp16OptionError';
  constructor(message: string) {
    super('options', message);
  }
}

export function resolveOptions(o: Fp16Options = {}): ResolvedFp16Options {
  const minPositive = o.minPositive ?? DEFAULT_MIN_POSITIVE;
  const maxFinite = o.maxFinite ?? DEFAULT_MAX_FINITE;
  if (!Number.isFinite(maxFinite) || maxFinite <= 0 || maxFinite > 65504)
    throw new Fp16OptionError(`maxFinite must be above 0 and at most 65504 (the largest finite float16) (got ${maxFinite})`);
  if (!Number.isFinite(minPositive) || minPositive < 0 || minPositive >= maxFinite)
    throw new Fp16OptionError(`minPositive must be at least 0 and below maxFinite (got ${minPositive})`);
  if (o.outOfRange !== undefined && o.outOfRange !== 'keep-fp32' && o.outOfRange !== 'clamp')
    throw new Fp16OptionError(`outOfRange takes keep-fp32, clamp (got '${String(o.outOfRange)}')`);
  return {
    keepIoTypes: o.keepIoTypes ?? true,
    opBlockList: [...new Set(o.opBlockList ?? [])],
    nodeBlockList: [...new Set(o.nodeBlockList ?? [])],
    minPositive,
    maxFinite,
    outOfRange: o.outOfRange ?? 'keep-fp32',
  };
}

export interface Fp16Progress {
  phase: 'analyze' | 'convert' | 'write';
  /** 0..1 within the phase. */
  fraction: number;
  /** Convert phase: float32 weight bytes converted so far, and in all. */
  done?: number;
  total?: number;
  message?: string;
}

export interface KeptOp {
  op: string;
  count: number;
  /** Why (one entry per distinct reason, with how many nodes and the policy rule that gave it: policy.ts KEEP_RULES). */
  reasons: { reason: string; count: number; rule: KeepRuleId }[];
  /** Up to 5 node names. */
  examples: string[];
}

/**
 * The report base every mode shares (src/core/modes/types.ts: sizes, duration, `rewritten` = nodes now computing
 * in float16 by op type, `keptInFloat` = nodes kept in float32 by op type and reason, with the policy rule, notes)
 * and FP16's extras beside it.
 */
export interface Fp16Report extends ModeReportBase<'fp16'> {
  options: ResolvedFp16Options & { defaultOpBlockList: readonly string[] };
  /** outputBytes / inputBytes. */
  ratio: number;
  weights: {
    /** Float32 tensors converted (initializers and Constant / ConstantOfShape attribute tensors). */
    tensorsConverted: number;
    valuesConverted: number;
    bytesBefore: number;
    bytesAfter: number;
    /** Finite values with |x| > maxFinite, set to ±maxFinite. */
    clamped: number;
    /** Non-zero values with |x| < minPositive, set to ±minPositive. */
    raisedToMinPositive: number;
    /** Non-zero values that became 0 (only possible with minPositive below 2.98e-8). */
    flushedToZero: number;
    /** Values stored as float16 subnormals (|x| < 6.1e-5: reduced precision). */
    subnormal: number;
    /** ±inf / NaN found in the weights (kept as they are). */
    nonFinite: number;
    /** Largest finite |x| seen in the converted float32 tensors, before clamping. */
    largestMagnitude: number;
    /** Float32 tensors left in float32, with why. */
    keptFp32: { name: string; reason: string }[];
    /** Tensors with values beyond maxFinite that are not infinity stand-ins, kept in float32 (outOfRange 'keep-fp32'). */
    outOfRange: { name: string; largestMagnitude: number }[];
  };
  nodes: {
    total: number;
    /** Nodes now computing in float16. */
    converted: number;
    /** Nodes with float tensors kept in float32 (Casts around them). */
    keptFp32: number;
    castsInserted: number;
    castsRetargeted: number;
    castsRemoved: number;
  };
  /** Ops that stayed in float32 and why. */
  keptOps: KeptOp[];
  /** Values whose element type could not be determined (nodes touching them were left unchanged). */
  unknownTypes: { count: number; examples: string[] };
}
