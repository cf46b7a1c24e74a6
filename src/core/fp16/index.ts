export { convertFp16, CONVERSION_METADATA_KEY, type Fp16Result } from './convert.js';
export {
  DEFAULT_MAX_FINITE,
  DEFAULT_MIN_POSITIVE,
  DEFAULT_OP_BLOCK_LIST,
  Fp16OptionError,
  resolveOptions,
  type Fp16Options,
  type Fp16Progress,
  type Fp16Report,
  type KeptOp,
  type ResolvedFp16Options,
} from './options.js';
export { KEEP_RULES, type KeepRule, type KeepRuleId } from './policy.js';
