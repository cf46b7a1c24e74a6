/**
 * Q4F16 (4-bit MatMul weights, the rest float16, as transformers.js's model_q4f16.onnx): what the CLI, the page and
 * the README say about it. Pure data — the engine is src/core/q4/q4f16.ts (Q4, then the FP16 converter).
 */
import { DEFAULT_Q4_PRESET } from '../../q4/options.js';
import type { QuantizeQ4Options } from '../../q4/quantize.js';
import type { Q4F16Order } from '../../q4/q4f16.js';
import { Q4_MODE_PRESETS, Q4_OPTIONS } from '../q4/meta.js';
import type { ModeMeta } from '../types.js';
import { modeNames, QUANTIZING } from '../options.js';

export const Q4F16_META = {
  ...modeNames('q4f16', 'Q4F16', 'q4f16'),
  typicalSaving: [
    { percent: 86, on: 'the MatMul weights', roles: ['matmul-b'] },
    { percent: 50, on: 'the other float32 weights', roles: ['gemm-b', 'gather-table', 'conv-w', 'other'] },
  ],
  recommended: false,
  summary: '4-bit MatMul weights, the rest float16; inputs/outputs stay float32',
  description:
    "Q4F16: Q4 (4-bit MatMul weights, onnxruntime's MatMulNBitsQuantizer) and the rest converted to float16 by the FP16 " +
    "converter with its defaults (MatMulNBits then runs in float16 with float16 scales), in transformers.js's order " +
    '(--order q4-first) or the other way round.',
  ...QUANTIZING,
  presets: Q4_MODE_PRESETS,
  defaultPreset: DEFAULT_Q4_PRESET,
  reportFacts: [
    { key: 'tensorsQuantized', label: 'Tensors quantized', path: 'q4.tensorsQuantized' },
    { key: 'tensorsConverted', label: 'Tensors converted', path: 'fp16.weights.tensorsConverted' },
  ],
  options: [
    ...Q4_OPTIONS,
    {
      key: 'order',
      kind: 'enum',
      flag: '--order',
      default: 'q4-first',
      choices: [
        { value: 'q4-first', label: "Q4, then FP16 (transformers.js's order: 4-bit values from the float32 weights)" },
        { value: 'fp16-first', label: 'FP16, then Q4 (4-bit values from the float16-rounded weights)' },
      ],
      help: 'which step runs first',
      page: { control: 'select', label: 'Order', advanced: true },
    },
  ],
} as const satisfies ModeMeta<'q4f16'>;

/** The options Q4F16 takes (Q4's and the order); the worker adds provenance and layout. */
export type Q4F16ModeOptions = Omit<QuantizeQ4Options, 'provenance' | 'layout'> & { order?: Q4F16Order };

// Every key of the table is an option of the engine (a compile-time check).
const _keys: readonly (keyof Q4F16ModeOptions)[] = Q4F16_META.options.map((o) => o.key);
void _keys;
