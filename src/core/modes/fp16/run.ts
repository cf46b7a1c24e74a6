/** FP16's run: the engine (src/core/fp16/convert.ts convertFp16) with the shared progress shape. */
import { convertFp16 } from '../../fp16/convert.js';
import type { Fp16Options, Fp16Report } from '../../fp16/options.js';
import type { ModeRun } from '../types.js';

/** FP16 reports three phases, each 0..1, folded into one fraction: analyze 10%, convert 80%, write 10%. */
const SPAN = { analyze: [0, 0.1], convert: [0.1, 0.9], write: [0.9, 1] } as const;

export const run: ModeRun<Fp16Options, Fp16Report> = (model, options, onProgress, signal) =>
  convertFp16(
    model,
    options,
    onProgress &&
      ((p) => {
        const [a, b] = SPAN[p.phase];
        onProgress({
          fraction: a + (b - a) * p.fraction,
          ...(p.done !== undefined ? { done: p.done, total: p.total } : {}),
          ...(p.message ? { item: p.message } : {}),
        });
      }),
    signal,
  );
