/**
 * Quality core: proves a quantized text-embedding model still behaves like the original.
 * Pure TypeScript, no DOM; the onnxruntime module is injected (see ort.ts).
 *
 *   import * as ort from 'onnxruntime-web';            // or 'onnxruntime-node'
 *   const probes = await loadProbes((f) => fetch(`${base}probes/${f}`).then((r) => r.json()));
 *   const report = await runQualityCheck({
 *     ort,
 *     original: { bytes, name },                        // small: in memory
 *     quantized: { structure: opened.model, load: { path } },  // any size (see load.ts)
 *     tokenizer: { tokenizerJson, tokenizerConfig },   // omit -> random token ids (the report says so)
 *     pooling: poolingConfigJson,                       // 1_Pooling/config.json, or 'mean' | 'cls' | 'none'
 *     sentenceSets: probes.sentenceSets, retrievalSets: probes.retrievalSets,
 *     sessionOptions: { executionProviders: ['wasm'] }, threshold: 0.95,
 *     onProgress, signal,
 *   });
 *   report.verdict.pass; report.verdict.headline; formatReportText(report); compareBackendReports(reportWasm, reportWebGpu);
 */
export type { OrtModule, OrtModelSource, OrtSessionLike, OrtSessionOptionsLike, OrtTensorLike, OrtValueMetadataLike } from './ort.js';
export { runQualityCheck, type QualityCheckOptions } from './check.js';
export {
  emptyModelReport,
  explainFailure,
  externalDataFiles,
  isOutOfMemory,
  type Lazy,
  type ModelBytes,
  type ModelInput,
  type ModelSpec,
} from './load.js';
export {
  COSINE_BAR_RANGE,
  DEFAULT_THRESHOLD,
  OVERLAP_BAR_RANGE,
  adviceFor,
  headline,
  makeVerdict,
  quantKind,
  sameTopResult,
} from './verdict.js';
export { checkLineage, lineageFacts, lineageWarning, type LineageFacts } from './lineage.js';
export { modelDigest, modelFilesDigest, type ModelDigest } from './digest.js';
export { compareBackendReports, type BackendComparison, type BackendComparisonOptions } from './compare.js';
export { formatReportText } from './format.js';
export {
  createEmbedder,
  resolvePooling,
  QualityError,
  type Embedder,
  type EmbedderInfo,
  type EmbedderOptions,
  type Embeddings,
  type PoolingConfigJson,
  type PoolingChoice,
} from './embedder.js';
export {
  createTokenizer,
  randomTokenSequences,
  padBatch,
  resolveMaxLength,
  type TokenizerFiles,
  type TextTokenizer,
  type EncodedText,
  type TokenizerOptions,
} from './tokenize.js';
export { encoderGraphInfo, type EncoderGraphInfo } from './model-info.js';
export * from './probes.js';
export * from './report.js';
export * as qmath from './math.js';
