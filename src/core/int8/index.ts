export { quantizeInt8, resolveOptions, Int8Refusal, REFERENCE, METADATA_KEY, PRODUCER_NAME, PRODUCER_VERSION } from './quantize.js';
export type { Int8Report, Int8Progress, QuantizeInt8Options, ResolvedInt8Options } from './quantize.js';
export {
  DEFAULT_PRESET,
  PRESETS,
  PRESET_DESCRIPTIONS,
  PRESET_NAMES,
  RECIPE_NAMES,
  isPresetName,
  presetGroup,
  presetOfOptions,
} from './presets.js';
export type { Int8Options, PresetName, RecipeName, WeightType } from './presets.js';
export type { LeftInFloat } from './quantizer.js';
export { DEFAULT_OP_TYPES } from './registry.js';
