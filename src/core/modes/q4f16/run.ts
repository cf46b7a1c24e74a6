/** Q4F16's run: the engine (src/core/q4/q4f16.ts quantizeQ4F16) with the shared progress shape. */
import { type Q4F16Order, type Q4F16Report, quantizeQ4F16 } from '../../q4/q4f16.js';
import type { QuantizeQ4Options } from '../../q4/quantize.js';
import type { ModeRun } from '../types.js';

/** Progress counts the Q4 step's weights (the FP16 step is quick beside it). */
export const run: ModeRun<QuantizeQ4Options & { order?: Q4F16Order }, Q4F16Report> = (model, options, onProgress, signal) =>
  quantizeQ4F16(
    model,
    options,
    onProgress && ((p) => onProgress({ fraction: p.total ? p.done / p.total : 1, done: p.done, total: p.total, item: p.tensor })),
    signal,
  );
