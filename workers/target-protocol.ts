/**
 * The target worker's protocol (workers/target.worker.ts): target mode — "the smallest model that still meets my
 * bar" (src/core/mixed/target.ts runTargetMode) — in a worker with onnxruntime-web, with progress and cancel, the
 * answer written to the origin-private file system like the quantize worker's outputs, and reports cached in
 * IndexedDB (database "ava-target") by the engine's cache key and the backend.
 */
import type {
  MixFp16Options,
  MixInt8Options,
  MixQ4Options,
  Precision,
  TargetBar,
  TargetProgress,
  TargetReport,
} from '../src/core/mixed/index.js';
import type { RetrievalSet, SentenceSet } from '../src/core/quality/index.js';
import type { QualityBackendChoice, TargetCheck, TargetId } from '../src/core/targets/index.js';
import type { ModelFilesInput, QualityBackend, TokenizerInput } from './quality-protocol.js';

export type { TargetBar, TargetProgress, TargetReport };

export interface TargetRequest {
  /** The float32 model as dropped: the .onnx and the files given with it (its external data by relative path). */
  model: ModelFilesInput;
  /** tokenizer.json (+ tokenizer_config.json); null = random token ids (then only a cosine bar is possible). */
  tokenizer: TokenizerInput | null;
  /** 1_Pooling/config.json as dropped; null = mean pooling. */
  pooling: Blob | null;
  /** Explicit pooling (overrides the config). */
  poolingMode?: 'mean' | 'cls' | 'none';
  /** The model output to read (default: sentence_embedding-like, else last_hidden_state-like). */
  outputName?: string;
  /** mean cosine ≥ minCosine and/or top-5 retrieval overlap ≥ minTop5Overlap (0..1). */
  bar: TargetBar;
  /**
   * The full probe set (verification and the final report): the sentence sets chosen in the page (public/probes
   * en.json, multi.json, as the quality panel loads them) and the retrieval sets (retrieval.json; overlap needs them).
   */
  probes: { sentenceSets: SentenceSet[]; retrievalSets: RetrievalSet[] };
  /** Sentences in the sensitivity subset (default 24). */
  sensitivitySentences?: number;
  /** Precisions a group may take besides fp32 (default fp16, int8, q4). */
  candidates?: Precision[];
  /** Mixes verified on the full set by the search (default 6). */
  maxVerifications?: number;
  /** Also measure all-fp16 and all-q4 on the full set (default true). */
  uniform?: boolean;
  /** The precisions' mode options (INT8: e.g. { preset: TARGETS[target].int8Preset }). */
  int8?: MixInt8Options;
  q4?: MixQ4Options;
  fp16?: MixFp16Options;
  /** onnxruntime-web backend that measures (default 'wasm'; qualityBackendFor(target).page.backend matches a target). */
  backend?: QualityBackend;
  /** ort.env.wasm.numThreads override (default: as the quality worker chooses). */
  threads?: number;
  /** Check the answer against this deployment target (default android-arm64), as the quantize worker does. */
  target?: { id: TargetId; runtimeVersion?: string };
  /** The output's OPFS job id (names `<jobId>.onnx`, removable with removeJobFiles) and optionally a picked file. */
  output?: { jobId: string; handle?: FileSystemFileHandle };
  /** ISO date recorded in the answer's provenance (default now). */
  date?: string;
  /** Skip the cache lookup (measure again; the new report replaces the cached one). */
  noCache?: boolean;
  /**
   * Only look the report up (no measuring): the answer rebuilt from the cached report, or null when nothing is
   * cached for this request (TargetWorkerApi.lookup; the page shows a cached answer as soon as its panel opens).
   */
  cacheOnly?: boolean;
}

export interface TargetResult {
  /**
   * The whole report (plain data): `points` (every measured model: the size-vs-quality plot — kind, label,
   * assignment, bytes, predictedBytes, probes 'subset' | 'full', meanCosine, minCosine, top5Overlap, meetsBar),
   * `curve` (predicted cheapest mix per cosine budget), `groups` (id, kind, nodes, weightBytes, predictedBytes per
   * precision, candidates), `chosen` (the answer: its `assignment` = the precision per layer group, bytes, cosines,
   * and `mix`), `int8` (plain INT8's point), `verdict` ({ met, smallerThanInt8, int8MeetsBar, statement }: says so
   * when nothing smaller than plain INT8 met the bar), `quality` (the full quality report of the answer), `timings`,
   * `notes`, `cacheKey`.
   */
  report: TargetReport;
  /** The answer, written to OPFS (or the picked file; memory as the fallback); null when nothing met the bar. */
  file: Blob | null;
  /** Suggested download name: `<base>-MIXED.onnx`. */
  fileName: string;
  storage: 'picked' | 'opfs' | 'memory' | null;
  /** The answer checked against the target (null when there is no answer). */
  targetCheck: TargetCheck | null;
  /** The report came from the IndexedDB cache: no measuring ran, the answer was rebuilt from it. */
  fromCache: boolean;
  /** What measured: e.g. "onnxruntime-web wasm", with the build and threads. */
  runtime: { backend: QualityBackend; ortBuild: string; threads: number; threadsReason: string };
  /** Where the final quality check should run for the target in the page, and what it approximates. */
  qualityBackend: QualityBackendChoice['page'];
  /** A cache read or write that failed (IndexedDB blocked, quota): shown, the run itself is fine. */
  cacheNote: string | null;
}

export type TargetProgressCallback = (p: TargetProgress) => void;

/** What `workers/target.worker.ts` exposes through comlink. */
export interface TargetWorkerApi {
  /**
   * Runs target mode (or takes the cached report and rebuilds its answer). Throws ErrorData (src/core/errors.ts):
   * kind 'options' for a bad bar / options / target, 'format' for a model that cannot be read, 'tokenizer' for an
   * unreadable tokenizer or pooling file, 'refused' when no precision can be applied, 'internal' otherwise. One run
   * per worker (onnxruntime's environment is fixed at its first session): the bridge starts a fresh worker per run.
   */
  run(request: TargetRequest, onProgress?: TargetProgressCallback): Promise<TargetResult>;
  /** The cached answer for this request (as `run` would return it, `fromCache` true), or null: nothing is measured. */
  lookup(request: TargetRequest): Promise<TargetResult | null>;
}
