import type { PoolingConfigJson, QualityProgress, QualityReport, RetrievalSet, SentenceSet } from '../src/core/quality/index.js';

/** The onnxruntime-web backends the page runs the check on. */
export type QualityBackend = 'wasm' | 'webgpu';

/** GPUAdapterInfo as plain data (what `navigator.gpu.requestAdapter()` told us). */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software / fallback adapter (e.g. SwiftShader): slow, but real WebGPU. */
  isFallbackAdapter: boolean | null;
  /** The adapter offers 'shader-f16' (without it onnxruntime's WebGPU EP cannot run float16 graphs). */
  shaderF16: boolean | null;
}

/** Whether WebGPU can run here, and on what. */
export interface GpuProbe {
  available: boolean;
  adapter: AdapterInfo | null;
  /** Why not (no navigator.gpu, no adapter, requestAdapter threw). */
  reason: string | null;
}

/** One execution provider's share of a session's nodes, from onnxruntime's node-placement log. */
export interface Placement {
  ep: string;
  nodes: number;
}

/** What ran: the onnxruntime-web build, the execution providers and the threading actually used. */
export interface RuntimeInfo {
  backend: QualityBackend;
  /** The package entry imported, e.g. "onnxruntime-web/wasm". */
  ortBuild: string;
  ortVersion: string;
  requestedProviders: string[];
  /** Node placements per model, in the order the sessions were created; empty when onnxruntime did not log them. */
  placements: { model: 'original' | 'quantized'; eps: Placement[] }[];
  /** ort.env.wasm.numThreads as set for this run. */
  threads: number;
  threadsReason: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number | null;
  adapter: AdapterInfo | null;
  /** Warnings and errors onnxruntime logged (captured from the worker's console; never shown as page errors). */
  ortLog: string[];
}

/** The dropped tokenizer files, read and parsed in the worker. */
export interface TokenizerInput {
  tokenizerJson: Blob;
  tokenizerConfig?: Blob | null;
}

/**
 * A model as the user gave it: the .onnx file and the files given with it. Its external data is found among them by
 * relative path (src/core/io/files.ts siblingsOf); the worker opens the structure by streaming, reads only the .onnx
 * into memory, and hands onnxruntime-web each external-data file as a blob: URL (streamed, any size).
 */
export interface ModelFilesInput {
  blob: Blob;
  name: string;
  /** Its path as given ("repo/onnx/model.onnx"); default: the name. */
  path?: string;
  /** The other files given with it (external data, …), with their paths as given. */
  others?: { path: string; blob: Blob }[];
}

export interface QualityRequest {
  backend: QualityBackend;
  original: ModelFilesInput;
  quantized: ModelFilesInput;
  /** tokenizer.json (+ tokenizer_config.json) as dropped; null = random token ids. */
  tokenizer: TokenizerInput | null;
  /** 1_Pooling/config.json as dropped; null = mean pooling. */
  pooling: Blob | null;
  /** Explicit pooling (overrides the config): mean, cls, or none (the output is read as sentence vectors). */
  poolingMode?: 'mean' | 'cls' | 'none';
  /** The output to read (default: a sentence_embedding-like output, else last_hidden_state-like). */
  outputName?: string;
  sentenceSets: SentenceSet[];
  retrievalSets: RetrievalSet[];
  /** Pasted sentences (set "user"). */
  sentences: string[];
  threshold: number;
  /** Override ort.env.wasm.numThreads (bench / tests); default: hardwareConcurrency capped, 1 without isolation. */
  threads?: number;
}

export interface QualityResult {
  /** null when the backend could not start at all (then `skipped` says why). */
  report: QualityReport | null;
  runtime: RuntimeInfo;
  /** Why the check did not run on this backend (e.g. no WebGPU adapter). */
  skipped: string | null;
}

export type QualityProgressCallback = (p: QualityProgress) => void;

export type { PoolingConfigJson };

/** What `workers/quality.worker.ts` exposes through comlink. */
export interface QualityWorkerApi {
  /** SHA-256 (lowercase hex) of a Blob / File, streamed. */
  sha256(blob: Blob): Promise<string>;
  /**
   * SHA-256 of an ONNX model without its metadata_props, followed by its external data (src/core/quality/digest.ts);
   * the whole file if not ONNX. Streamed: any size.
   */
  modelDigest(model: ModelFilesInput): Promise<string>;
  /** Asks navigator.gpu (in the worker, where the check runs) for an adapter. */
  probeGpu(): Promise<GpuProbe>;
  /**
   * Runs the quality check on one backend. Rejects with an Error named TokenizerFileError for an unreadable
   * tokenizer/pooling file; onnxruntime failures (a model that will not load or run) come back inside the report.
   */
  check(request: QualityRequest, onProgress?: QualityProgressCallback): Promise<QualityResult>;
}
