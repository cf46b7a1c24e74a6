/**
 * Mixed precision and target mode ("the smallest model that still meets my bar"). See README.md.
 *
 *   const { report, bytes } = await runTargetMode({ ort, model, tokenizer, pooling, probes, bar: { minCosine: 0.995 }, onProgress, signal });
 *   const { bytes, report } = await buildMix(parseModel(model), { embeddings: 'int8', 'layer.0': 'fp16', … });
 */
export { layerGroups, type GroupKind, type GroupPlan, type GroupWeight, type LayerGroup } from './groups.js';
export {
  PRECISIONS,
  TARGET_Q4_DEFAULTS,
  resolveMixOptions,
  type Assignment,
  type MixFp16Options,
  type MixInt8Options,
  type MixOptions,
  type MixQ4Options,
  type Precision,
  type ResolvedMixOptions,
} from './options.js';
export { predictGroupBytes, predictMixBytes, weightBytes } from './sizes.js';
export {
  MIXED_METADATA_KEY,
  buildMix,
  completeAssignment,
  nameUnnamedNodes,
  type BuildMixOptions,
  type MixProgress,
  type MixReport,
  type MixStep,
} from './compose.js';
export { createProbeEvaluator, top5Overlap, type ProbeEvaluator, type ProbeEvaluatorOptions, type ProbeMetrics } from './evaluate.js';
export { cheapestMix, type GroupOption, type MixChoice, type SearchBudget, type SearchGroup } from './search.js';
export {
  TARGET_ENGINE_VERSION,
  runTargetMode,
  targetCacheKey,
  targetTuning,
  targetCacheKeyFor,
  type TargetBar,
  type TargetCacheInput,
  type TargetGroupInfo,
  type TargetModeOptions,
  type TargetPoint,
  type TargetProgress,
  type TargetReport,
  type TargetResult,
  type TargetTuning,
} from './target.js';
