/**
 * FP16 (float16 weights and activations, inputs and outputs kept float32): what the CLI, the page and the README
 * say about it. Pure data — the engine is src/core/fp16/ (convert.ts and its phases; policy.ts decides what stays
 * in float32).
 */
import { DEFAULT_MAX_FINITE, DEFAULT_MIN_POSITIVE, DEFAULT_OP_BLOCK_LIST, type Fp16Options } from '../../fp16/options.js';
import type { ModeMeta } from '../types.js';
import { modeNames } from '../options.js';

export const FP16_META = {
  ...modeNames('fp16', 'FP16', 'fp16'),
  typicalSaving: [{ percent: 50, on: 'the float32 weights', roles: ['matmul-b', 'gemm-b', 'gather-table', 'conv-w', 'other'] }],
  recommended: false,
  summary: 'near-lossless; inputs/outputs stay float32',
  description:
    'FP16 ("conservative"): float32 weights and activations become float16 (about half the size); graph inputs and ' +
    'outputs stay float32 unless --no-keep-io-types. Ops that need float32 (shape arithmetic, normalisation ' +
    'statistics, blocked ops) stay float32 with Casts around them.',
  verb: 'converting',
  metadataKey: 'ava.conversion',
  presets: [],
  defaultPreset: null,
  reportFacts: [
    { key: 'tensorsConverted', label: 'Tensors converted', path: 'weights.tensorsConverted' },
    { key: 'nodesConverted', label: 'Nodes in FP16', path: 'nodes.converted' },
    { key: 'nodesKeptFp32', label: 'Nodes kept in FP32', path: 'nodes.keptFp32' },
    { key: 'castsInserted', label: 'Casts inserted', path: 'nodes.castsInserted' },
    { key: 'clamped', label: 'Values clamped', path: 'weights.clamped' },
  ],
  options: [
    {
      key: 'keepIoTypes',
      kind: 'boolean',
      flag: '--keep-io-types',
      default: true,
      help: 'float32 graph inputs and outputs (Casts at the boundary)',
      page: { control: 'checkbox', label: 'Keep float32 inputs and outputs', advanced: false },
    },
    {
      key: 'opBlockList',
      kind: 'list',
      flag: '--op-block-list',
      valueName: 'A,B',
      default: [],
      help: 'op types to keep in float32, added to the default list',
      page: {
        control: 'textarea',
        label: 'Op block list',
        hint: `Extra op types to keep in float32. Always kept: ${DEFAULT_OP_BLOCK_LIST.join(', ')}.`,
        advanced: true,
      },
    },
    {
      key: 'nodeBlockList',
      kind: 'list',
      flag: '--node-block-list',
      valueName: 'a,b',
      default: [],
      help: 'node names to keep in float32',
      page: {
        control: 'textarea',
        label: 'Node block list',
        hint: 'Node names to keep in float32, one per line or separated by commas.',
        advanced: true,
      },
    },
    {
      key: 'minPositive',
      kind: 'number',
      flag: '--min-positive',
      valueName: 'X',
      default: DEFAULT_MIN_POSITIVE,
      min: 0,
      help: 'non-zero weight magnitudes below X become ±X (0: let them round, maybe to 0)',
      page: { control: 'number', label: 'Min positive', hint: 'Smaller non-zero weights become ±this.', advanced: true },
    },
    {
      key: 'maxFinite',
      kind: 'number',
      flag: '--max-finite',
      valueName: 'X',
      default: DEFAULT_MAX_FINITE,
      min: 0,
      minExclusive: true,
      max: 65504,
      help: 'finite weight magnitudes above X are clamped to ±X or kept in float32 (see --out-of-range; at most 65504)',
      page: {
        control: 'number',
        label: 'Max finite',
        hint: 'Larger weights are clamped to ±this or kept in float32, see below.',
        advanced: true,
      },
    },
    {
      key: 'outOfRange',
      kind: 'enum',
      flag: '--out-of-range',
      default: 'keep-fp32',
      choices: [
        { value: 'keep-fp32', label: 'keep their tensors in float32' },
        { value: 'clamp', label: 'clamp them (changes results)' },
      ],
      help: 'weights beyond max finite that are not infinity stand-ins (|x| < 1e9)',
      page: {
        control: 'select',
        label: 'Weights beyond max finite',
        hint: 'Stand-ins for infinity (|x| ≥ 1e9, e.g. attention masks) are always clamped; this is about real values such as a large variance.',
        advanced: true,
      },
    },
  ],
} as const satisfies ModeMeta<'fp16'>;

/** The options FP16 takes (the table's keys); the worker adds provenance and layout. */
export type Fp16ModeOptions = Omit<Fp16Options, 'provenance' | 'layout'>;

// Every key of the table is an option of the engine (a compile-time check).
const _keys: readonly (keyof Fp16ModeOptions)[] = FP16_META.options.map((o) => o.key);
void _keys;
