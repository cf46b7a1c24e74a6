/**
 * The INT8 presets, expressed as quantize_dynamic arguments: the recipes people actually use (onnxruntime's defaults,
 * transformers.js q8, sentence-transformers' avx512-vnni via quantize_dynamic) and Optimum's four dynamic-quantization
 * targets (arm64, avx2, avx512, avx512_vnni: src/core/targets/presets.ts, arguments exactly as Optimum's ORTQuantizer
 * passes them to onnxruntime).
 */
import { OPTIMUM_TARGETS, TARGET_PRESETS, type OptimumTarget } from '../targets/presets.js';

export type WeightType = 'qint8' | 'quint8';

export interface Int8Options {
  /** Weight type; 'auto-conv' = quint8 when any graph (subgraphs included) has a Conv, else qint8. */
  weightType: WeightType | 'auto-conv';
  perChannel: boolean;
  reduceRange: boolean;
  /** Op types to quantize; default: every registry key (Conv, MatMul, Attention, LSTM, Gather, Transpose, EmbedLayerNormalization). */
  opTypes?: string[];
  excludeNodes?: string[];
  nodesToQuantize?: string[];
  /** extra_options EnableSubgraph: also quantize If/Loop/Scan bodies. */
  enableSubgraph: boolean;
  /** extra_options MatMulConstBOnly (quantize_dynamic defaults it to true). */
  matMulConstBOnly: boolean;
  /** extra_options WeightSymmetric; undefined = symmetric iff the weight type is signed. */
  weightSymmetric?: boolean;
  /** extra_options ActivationSymmetric. */
  activationSymmetric: boolean;
}

/** A published recipe (group 'recipe' in the mode registry). */
export type RecipeName = 'ort-default' | 'tjs-q8' | 'avx512-vnni';
/** Any INT8 preset: a recipe or one of Optimum's targets (group 'target'). */
export type PresetName = RecipeName | OptimumTarget;

const RECIPES: Record<RecipeName, Int8Options> = {
  /**
   * onnxruntime's own defaults: `quantize_dynamic(model_input, model_output)` in
   * onnxruntime/quantization/quantize.py (1.32.0): weight_type=QuantType.QInt8, per_channel=False,
   * reduce_range=False, extra_options {} -> MatMulConstBOnly set to True, EnableSubgraph off.
   */
  'ort-default': {
    weightType: 'qint8',
    perChannel: false,
    reduceRange: false,
    enableSubgraph: false,
    matMulConstBOnly: true,
    activationSymmetric: false,
  },
  /**
   * transformers.js "q8": v2's scripts/convert.py quantize() = quantize_dynamic(per_channel=True,
   * reduce_range=True, weight_type=QUInt8 if the graph (subgraphs included) has a Conv — onnxruntime-web lacked
   * ConvInteger with int8 weights — else QInt8, extra_options={EnableSubgraph: True}); MatMulConstBOnly is then set
   * to True by quantize_dynamic. (v3's scripts/quantize.py calls ONNXQuantizer directly with per_channel /
   * reduce_range off unless asked; see scripts/parity/README.md.)
   */
  'tjs-q8': {
    weightType: 'auto-conv',
    perChannel: true,
    reduceRange: true,
    enableSubgraph: true,
    matMulConstBOnly: true,
    activationSymmetric: false,
  },
  /**
   * Optimum's `AutoQuantizationConfig.avx512_vnni(is_static=False, per_channel=True)` (what sentence-transformers'
   * export_dynamic_quantized_onnx_model uses), mapped onto quantize_dynamic: QInt8, per_channel=True,
   * reduce_range=False, extra_options {WeightSymmetric: True, ActivationSymmetric: False} (MatMulConstBOnly then
   * True; Optimum's own ORTQuantizer would leave it False and quantize MatMul only).
   */
  'avx512-vnni': {
    weightType: 'qint8',
    perChannel: true,
    reduceRange: false,
    enableSubgraph: false,
    matMulConstBOnly: true,
    weightSymmetric: true,
    activationSymmetric: false,
  },
};

export const RECIPE_NAMES = Object.keys(RECIPES) as RecipeName[];

/**
 * Every preset's options. The Optimum targets carry `enableSubgraph: false`: their EnableSubgraph depends on the
 * model (ORTQuantizer turns it on for a top-level If/Loop/Scan/SequenceMap), which the INT8 mode's run resolves
 * (src/core/modes/int8/run.ts, targets/presets.ts targetInt8Options).
 */
export const PRESETS: Record<PresetName, Int8Options> = {
  ...RECIPES,
  ...(Object.fromEntries(OPTIMUM_TARGETS.map((t) => [t, TARGET_PRESETS[t].options])) as Record<OptimumTarget, Int8Options>),
};

/** Recipes first, then the Optimum targets (the order of the CLI's help and the page's select). */
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export { isOptimumTarget } from '../targets/presets.js';

export function isPresetName(s: string): s is PresetName {
  return (PRESET_NAMES as string[]).includes(s);
}

/**
 * The default: the sentence-transformers/Optimum recipe. On all-MiniLM-L6-v2 it gives the best agreement with
 * fp32 of the three (mean cosine 0.992 on the 107 English probe sentences, vs 0.991 for tjs-q8 and 0.960 for
 * onnxruntime's bare defaults: the README's INT8 table, measured as its "Where the figures come from" says and
 * checked by tests/readme/numbers.test.ts) at the same size, with full 8-bit weights (no reduce_range), and it is
 * what sentence-transformers users already ship.
 */
export const DEFAULT_PRESET: PresetName = 'avx512-vnni';

/** One line each, for the app's preset select and the CLI help. */
export const PRESET_DESCRIPTIONS: Record<PresetName, string> = {
  'avx512-vnni': 'sentence-transformers / Optimum: int8 weights, per-channel, symmetric (recommended)',
  'tjs-q8': 'transformers.js "q8": per-channel, reduce_range (7-bit), subgraphs too',
  'ort-default': 'onnxruntime quantize_dynamic defaults: int8, per-tensor (lowest quality on small encoders)',
  arm64:
    'Optimum AutoQuantizationConfig.arm64 as ORTQuantizer runs it: int8 weights, per-channel, symmetric, also the attention MatMuls (Q·Kᵀ, scores·V); the same arguments as avx512 and avx512_vnni',
  avx2: 'Optimum AutoQuantizationConfig.avx2: uint8 weights (symmetric, zero point 127), per-channel, also the attention MatMuls',
  avx512: 'Optimum AutoQuantizationConfig.avx512: the same arguments as arm64 (and avx512_vnni)',
  avx512_vnni:
    'Optimum AutoQuantizationConfig.avx512_vnni: the same arguments as arm64 (and avx512); unlike the avx512-vnni recipe, also the attention MatMuls',
};

/** 'recipe' or 'target' (the registry's preset groups). */
export function presetGroup(p: PresetName): 'recipe' | 'target' {
  return p in RECIPES ? 'recipe' : 'target';
}

const PRESET_FIELDS = ['weightType', 'perChannel', 'reduceRange', 'matMulConstBOnly', 'activationSymmetric'] as const;

/**
 * The preset a set of options amounts to, for the provenance record of a call made without a preset name: the
 * default preset when the options are its own, else the first preset (recipes, then targets) whose arguments they
 * are (weight type, per-channel, reduce_range, MatMulConstBOnly, symmetry; EnableSubgraph too for recipes — a target's
 * depends on the model), else null (custom options).
 */
export function presetOfOptions(o: Int8Options & { weightSymmetric?: boolean }): PresetName | null {
  const same = (p: PresetName) => {
    const b = PRESETS[p];
    if (!PRESET_FIELDS.every((k) => b[k] === o[k])) return false;
    const ws = (x: Int8Options) => x.weightSymmetric ?? x.weightType === 'qint8';
    if (ws(b) !== ws(o)) return false;
    return presetGroup(p) === 'target' || b.enableSubgraph === o.enableSubgraph;
  };
  return [DEFAULT_PRESET, ...PRESET_NAMES].find(same) ?? null;
}
