/**
 * Q4F16's predicted size (src/core/q4/q4f16.ts: Q4, then the FP16 converter): the Q4 rule for the weights Q4 takes,
 * with float16 scales (the converter turns MatMulNBits / GatherBlockQuantized scales to float16), and FP16's rule
 * (2 bytes per element) for every other float32 tensor.
 */
import type { Q4Options, Q4PresetName } from '../../q4/options.js';
import { fp16WeightBytes } from '../fp16/predict.js';
import { type InitializerTable, type Predictor, predictWith } from '../predict.js';
import { q4SizeOptions, q4WeightBytes } from '../q4/predict.js';

export const predict: Predictor<Partial<Q4Options> & { preset?: Q4PresetName }> = (table: InitializerTable, options) => {
  const o = { ...q4SizeOptions(options), scaleBytes: 2 };
  return predictWith(table, (e) => (e.constant ? fp16WeightBytes(e) : (q4WeightBytes(e, o) ?? fp16WeightBytes(e))));
};
