/**
 * INT8 (dynamic quantization, onnxruntime's quantize_dynamic): what the CLI, the page and the README say about it.
 * Pure data — the engine is src/core/int8/ (quantize.ts, one rewriter per op type in ops/, presets.ts).
 */
import { DEFAULT_PRESET, PRESET_DESCRIPTIONS, PRESET_NAMES, PRESETS, presetGroup } from '../../int8/presets.js';
import type { QuantizeInt8Options } from '../../int8/quantize.js';
import type { ModeMeta, ModePreset } from '../types.js';
import { EXCLUDE_NODES_OPTION, modeNames, QUANTIZED_FACTS, QUANTIZING } from '../options.js';

import { INT8_OP_TYPES } from '../../int8/op-types.js';

/** The op types INT8 can quantize (src/core/int8/op-types.ts; tests/modes/tables.test.ts keeps it equal to the engine's). */
export { INT8_OP_TYPES };

const DEFAULTS = PRESETS[DEFAULT_PRESET];

export const INT8_META = {
  ...modeNames('int8', 'INT8', 'quantized'),
  typicalSaving: [
    { percent: 75, on: 'the MatMul, Gemm, Gather and Conv weights', roles: ['matmul-b', 'gemm-b', 'gather-table', 'conv-w'] },
  ],
  recommended: true,
  summary: 'small quality loss; weights 8-bit, activations quantized at run time',
  description:
    "Dynamic INT8, the same numerics as onnxruntime's quantize_dynamic: weights of MatMul/Gemm/Gather/Conv become 8-bit, " +
    'activations are quantized at run time (DynamicQuantizeLinear): about 75% smaller on those weights.',
  ...QUANTIZING,
  // The recipes, then Optimum's four targets (group 'target'; their EnableSubgraph is resolved per model by run.ts).
  presets: PRESET_NAMES.map((id): ModePreset => ({
    id,
    description: PRESET_DESCRIPTIONS[id],
    group: presetGroup(id),
    values: PRESETS[id],
  })),
  defaultPreset: DEFAULT_PRESET,
  reportFacts: QUANTIZED_FACTS,
  options: [
    {
      key: 'perChannel',
      kind: 'boolean',
      flag: '--per-channel',
      fromPreset: true,
      default: DEFAULTS.perChannel,
      help: 'one scale per output channel (else one per tensor)',
      page: { control: 'checkbox', label: 'Per-channel scales', advanced: true },
    },
    {
      key: 'reduceRange',
      kind: 'boolean',
      flag: '--reduce-range',
      fromPreset: true,
      default: DEFAULTS.reduceRange,
      help: '7-bit weights (for u8×s8 kernels without VNNI)',
      page: { control: 'checkbox', label: 'Reduce range (7-bit weights)', advanced: true },
    },
    {
      key: 'weightType',
      kind: 'enum',
      flag: '--weight-type',
      fromPreset: true,
      default: DEFAULTS.weightType,
      choices: [
        { value: 'auto-conv', label: 'auto (quint8 if the model has Conv, else qint8)' },
        { value: 'qint8', label: 'qint8 (signed)' },
        { value: 'quint8', label: 'quint8 (unsigned)' },
      ],
      help: 'weight type',
      page: { control: 'select', label: 'Weight type', advanced: true },
    },
    {
      key: 'opTypes',
      kind: 'list',
      flag: '--op-types',
      valueName: 'A,B',
      choices: INT8_OP_TYPES,
      default: INT8_OP_TYPES,
      emptyError: 'Choose at least one op type to quantize.',
      help: 'op types to quantize (Gemm is always turned into MatMul first)',
      page: { control: 'checkboxes', label: 'Op types to quantize', advanced: true },
    },
    EXCLUDE_NODES_OPTION,
    {
      key: 'nodesToQuantize',
      kind: 'list',
      flag: '--nodes',
      valueName: 'a,b',
      default: [],
      help: 'quantize only these nodes (default: every node of the op types)',
      page: {
        control: 'textarea',
        label: 'Quantize only these nodes',
        hint: 'Node names, one per line or separated by commas; empty: every node of the chosen op types.',
        advanced: true,
      },
    },
    {
      key: 'enableSubgraph',
      kind: 'boolean',
      flag: '--enable-subgraph',
      fromPreset: true,
      default: DEFAULTS.enableSubgraph,
      help: 'also quantize If/Loop/Scan bodies',
      page: { control: 'checkbox', label: 'Also quantize If/Loop/Scan bodies', advanced: true },
    },
  ],
} as const satisfies ModeMeta<'int8'>;

/** The options INT8 takes (the table's keys, the preset, and engine-only extras); the worker adds provenance/layout. */
export type Int8ModeOptions = Omit<QuantizeInt8Options, 'provenance' | 'layout'>;

// Every key of the table is an option of the engine (a compile-time check).
const _keys: readonly (keyof Int8ModeOptions)[] = INT8_META.options.map((o) => o.key);
void _keys;
