/**
 * Q4 (4-bit block weights: onnxruntime's MatMulNBitsQuantizer): what the CLI, the page and the README say about it.
 * Pure data — the engine is src/core/q4/ (quantize.ts, one rewriter per op type in ops/, options.ts presets).
 */
import { BLOCK_SIZES, DEFAULT_Q4_PRESET, Q4_OP_TYPES, Q4_PRESETS, type Q4PresetName } from '../../q4/options.js';
import type { QuantizeQ4Options } from '../../q4/quantize.js';
import type { ModeMeta, ModePreset, OptionSpec } from '../types.js';
import { EXCLUDE_NODES_OPTION, modeNames, QUANTIZED_FACTS, QUANTIZING } from '../options.js';

const DEFAULTS = Q4_PRESETS[DEFAULT_Q4_PRESET].options;

/** Q4's rows (Q4F16 uses them too, src/core/modes/q4f16/meta.ts). */
export const Q4_OPTIONS = [
  {
    key: 'blockSize',
    kind: 'enum',
    flag: '--block-size',
    fromPreset: true,
    default: DEFAULTS.blockSize,
    choices: BLOCK_SIZES.map((b) => ({ value: b, label: String(b) })),
    help: 'weights per block (one scale, and zero point, each) along K',
    page: { control: 'select', label: 'Block size', advanced: true },
  },
  {
    key: 'symmetric',
    kind: 'boolean',
    flag: '--symmetric',
    fromPreset: true,
    default: DEFAULTS.symmetric,
    help: 'no zero points (else a uint4 zero point per block)',
    page: { control: 'checkbox', label: 'Symmetric (no zero points)', advanced: true },
  },
  {
    key: 'accuracyLevel',
    kind: 'enum',
    flag: '--accuracy-level',
    fromPreset: true,
    default: DEFAULTS.accuracyLevel,
    choices: [
      { value: 0, label: 'unset (the kernel decides)' },
      { value: 1, label: 'float32' },
      { value: 2, label: 'float16' },
      { value: 3, label: 'bfloat16' },
      { value: 4, label: 'int8' },
    ],
    help: "MatMulNBits accuracy_level: the lowest precision of the activations in the kernel's arithmetic",
    page: { control: 'select', label: 'Accuracy level', advanced: true },
  },
  {
    key: 'opTypes',
    kind: 'list',
    flag: '--op-types',
    valueName: 'A,B',
    fromPreset: true,
    choices: Q4_OP_TYPES,
    default: DEFAULTS.opTypes,
    emptyError: 'Choose at least one op type to quantize.',
    help: 'op types to quantize: MatMul -> MatMulNBits, Gather (embedding tables) -> GatherBlockQuantized',
    page: { control: 'checkboxes', label: 'Op types to quantize', advanced: true },
  },
  {
    key: 'gatherQuantizeAxis',
    kind: 'number',
    flag: '--gather-axis',
    valueName: 'N',
    integer: true,
    default: 1,
    help: 'Gather tables: the axis the blocks run along',
    page: { control: 'number', label: 'Gather quantize axis', advanced: true },
  },
  EXCLUDE_NODES_OPTION,
  {
    key: 'nodesToInclude',
    kind: 'list',
    flag: '--include-nodes',
    valueName: 'a,b',
    default: [],
    help: 'node names to quantize whatever their op type (MatMul or Gather only)',
    page: {
      control: 'textarea',
      label: 'Also quantize these nodes',
      hint: 'Node names, one per line or separated by commas.',
      advanced: true,
    },
  },
] as const satisfies readonly OptionSpec[];

export const Q4_MODE_PRESETS: ModePreset[] = (Object.keys(Q4_PRESETS) as Q4PresetName[]).map((id) => ({
  id,
  description: Q4_PRESETS[id].description,
  group: 'recipe',
  values: Q4_PRESETS[id].options,
}));

export const Q4_META = {
  ...modeNames('q4', 'Q4', 'q4'),
  typicalSaving: [{ percent: 84, on: 'the MatMul weights (the rest, embedding tables included, stays float32)', roles: ['matmul-b'] }],
  recommended: false,
  summary: 'more quality loss than INT8; 4-bit MatMul weights, the rest (embedding tables included) stays float32',
  description:
    "Q4: MatMul weights become 4-bit blocks (com.microsoft MatMulNBits), onnxruntime's MatMulNBitsQuantizer byte for byte; " +
    'embedding tables optionally GatherBlockQuantized (--op-types MatMul,Gather). The rest stays float32.',
  ...QUANTIZING,
  presets: Q4_MODE_PRESETS,
  defaultPreset: DEFAULT_Q4_PRESET,
  reportFacts: QUANTIZED_FACTS,
  options: Q4_OPTIONS,
} as const satisfies ModeMeta<'q4'>;

/** The options Q4 takes (the table's keys and the preset); the worker adds provenance and layout. */
export type Q4ModeOptions = Omit<QuantizeQ4Options, 'provenance' | 'layout'>;

// Every key of the table is an option of the engine (a compile-time check).
const _keys: readonly (keyof Q4ModeOptions)[] = Q4_META.options.map((o) => o.key);
void _keys;
