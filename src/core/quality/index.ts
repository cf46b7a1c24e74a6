/**
 * Quality core: proves a quantized text-embedding model still behaves like the original.
 * Pure TypeScript, no DOM; the onnxruntime module is injected (see ort.ts).
 */
export type { OrtModule, OrtSessionLike, OrtSessionOptionsLike, OrtTensorLike, OrtValueMetadataLike } from './ort.js';
export { runQualityCheck, quantKind, adviceFor, DEFAULT_THRESHOLD, type QualityCheckOptions, type ModelInput } from './check.js';
export { compareBackendReports, type BackendComparison, type BackendComparisonOptions } from './compare.js';
export { formatReportText } from './format.js';
export { createEmbedder, resolvePooling, QualityError, type Embedder, type EmbedderInfo, type EmbedderOptions, type Embeddings, type PoolingConfigJson, type PoolingChoice } from './embedder.js';
export { createTokenizer, randomTokenSequences, padBatch, resolveMaxLength, type TokenizerFiles, type TextTokenizer, type EncodedText, type TokenizerOptions } from './tokenize.js';
export { encoderGraphInfo, type EncoderGraphInfo } from './model-info.js';
export * from './probes.js';
export * from './report.js';
export * as qmath from './math.js';
