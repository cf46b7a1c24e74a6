/** The INT8 recipes people actually use, expressed as quantize_dynamic arguments. */

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

export type PresetName = 'ort-default' | 'tjs-q8' | 'avx512-vnni';

export const PRESETS: Record<PresetName, Int8Options> = {
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
   * transformers.js "q8" (scripts/quantize.py quantize_q8 in huggingface/transformers.js): per_channel=True,
   * reduce_range=True (its QuantizationArguments defaults), weight_type QInt8 — QUInt8 when the model has a Conv,
   * because onnxruntime-web lacks ConvInteger with int8 weights — extra_options EnableSubgraph=True,
   * MatMulConstBOnly=True.
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
   * The `avx512_vnni` config of optimum's AutoQuantizationConfig (used by sentence-transformers'
   * export_dynamic_quantized_onnx_model): QInt8, per_channel=True, reduce_range=False, weights symmetric
   * (WeightSymmetric=True), run through quantize_dynamic (so MatMulConstBOnly defaults to True).
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

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(s: string): s is PresetName {
  return (PRESET_NAMES as string[]).includes(s);
}
