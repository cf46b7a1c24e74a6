/**
 * What names and records say about a mixed-precision output (target mode's answer, or buildMix with an explicit
 * assignment): pure data for the page, the CLI and the readers of our provenance. Mixed precision is not a mode of
 * the registry (src/core/modes/): target mode needs onnxruntime, a tokenizer and the probe sets and measures dozens
 * of candidates, where a registry mode is a pure rewrite the quantize worker runs; an explicit per-group assignment
 * needs the model's layer groups first. Its outputs still get a name, a provenance key and an "already quantized"
 * suffix like the modes'.
 */
export const MIXED_META = {
  id: 'mixed',
  label: 'MIXED',
  /** model.onnx -> model-MIXED.onnx (target mode's answer, whatever precisions it chose). */
  suffix: '-MIXED',
  transformersJs: { suffix: '_mixed', fileName: 'model_mixed.onnx' },
  /** buildMix writes one `ava.quantization` record with `"mode": "mixed"` and the assignment (compose.ts). */
  metadataKey: 'ava.quantization',
  verb: 'quantizing',
  summary: 'one precision per layer group (fp32 / fp16 / int8 / q4): target mode’s smallest mix that meets a quality bar',
} as const;

/** The output file name of a mixed-precision model: `<base>-MIXED.onnx` (a path's folders are dropped). */
export function mixedFileName(input: string): string {
  const base = (input.split(/[\\/]/).pop() ?? input).replace(/\.onnx$/i, '') || 'model';
  return `${base}${MIXED_META.suffix}.onnx`;
}
