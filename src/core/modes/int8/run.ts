/**
 * INT8's run: the engine (src/core/int8/quantize.ts quantizeInt8) with the shared progress shape. For Optimum's target
 * presets (arm64, avx2, avx512, avx512_vnni) EnableSubgraph depends on the model — ORTQuantizer.quantize turns it on
 * when the main graph has an If / Loop / Scan / SequenceMap node (src/core/targets/presets.ts targetInt8Options) — so
 * it is resolved here, unless the caller set it; the record keeps the target's name as the preset.
 */
import { isOptimumTarget, type PresetName } from '../../int8/presets.js';
import { type Int8Report, type QuantizeInt8Options, quantizeInt8 } from '../../int8/quantize.js';
import { hasTopLevelControlFlow } from '../../targets/presets.js';
import type { ModeRun } from '../types.js';

/** The options for `model`: a target preset's EnableSubgraph as ORTQuantizer sets it (when not given). */
export function int8OptionsFor(model: Parameters<typeof hasTopLevelControlFlow>[0], options: QuantizeInt8Options): QuantizeInt8Options {
  const preset: PresetName | undefined = options.preset;
  if (preset && isOptimumTarget(preset) && options.enableSubgraph === undefined)
    return { ...options, enableSubgraph: hasTopLevelControlFlow(model) };
  return options;
}

/** Progress counts the input bytes of the tensors quantized; `item` names the tensor. */
export const run: ModeRun<QuantizeInt8Options, Int8Report> = (model, options, onProgress, signal) =>
  quantizeInt8(
    model,
    int8OptionsFor(model, options),
    onProgress && ((p) => onProgress({ fraction: p.total ? p.done / p.total : 1, done: p.done, total: p.total, item: p.tensor })),
    signal,
  );
