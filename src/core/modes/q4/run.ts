/** Q4's run: the engine (src/core/q4/quantize.ts quantizeQ4) with the shared progress shape. */
import { type Q4Report, type QuantizeQ4Options, quantizeQ4 } from '../../q4/quantize.js';
import type { ModeRun } from '../types.js';

/** Progress counts the input bytes of the weights quantized; `item` names the tensor. */
export const run: ModeRun<QuantizeQ4Options, Q4Report> = (model, options, onProgress, signal) =>
  quantizeQ4(
    model,
    options,
    onProgress && ((p) => onProgress({ fraction: p.total ? p.done / p.total : 1, done: p.done, total: p.total, item: p.tensor })),
    signal,
  );
