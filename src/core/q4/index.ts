export {
  quantizeQ4,
  Q4Refusal,
  Q4_METADATA_KEY,
  Q4_REFERENCE,
  type Q4Progress,
  type Q4Report,
  type QuantizeQ4Options,
} from './quantize.js';
export { quantizeQ4F16, type Q4F16Order, type Q4F16Report } from './q4f16.js';
export {
  BLOCK_SIZES,
  DEFAULT_Q4_PRESET,
  Q4_OP_TYPES,
  Q4_PRESETS,
  Q4OptionError,
  resolveQ4Options,
  type BlockSize,
  type Q4Options,
  type Q4OpType,
  type Q4PresetName,
  type ResolvedQ4Options,
} from './options.js';
