/** INT8's run: the engine (src/core/int8/quantize.ts quantizeInt8) with the shared progress shape. */
import { type Int8Report, type QuantizeInt8Options, quantizeInt8 } from '../../int8/quantize.js';
import type { ModeRun } from '../types.js';

/** Progress counts the input bytes of the tensors quantized; `item` names the tensor. */
export const run: ModeRun<QuantizeInt8Options, Int8Report> = (model, options, onProgress, signal) =>
  quantizeInt8(
    model,
    options,
    onProgress && ((p) => onProgress({ fraction: p.total ? p.done / p.total : 1, done: p.done, total: p.total, item: p.tensor })),
    signal,
  );
