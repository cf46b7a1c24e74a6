/**
 * The target worker's job, without the worker around it (no comlink, no Vite asset imports), so Node tests run the
 * same code with onnxruntime injected: read the dropped model (external data brought inline), its tokenizer and
 * pooling files; look the report up in the cache by the engine's cache key (src/core/mixed/target.ts
 * targetCacheKeyFor) and the backend, or run target mode and cache its report (no model bytes are cached: the answer
 * is rebuilt from the report's assignment, the same bytes); check the answer against the deployment target; write it.
 */
import { hashBytes } from '../src/core/batch/hashing.js';
import { AvaError, messageOf } from '../src/core/errors.js';
import { siblingsOf } from '../src/core/io/files.js';
import { blobSource } from '../src/core/io/source.js';
import {
  buildMix,
  runTargetMode,
  targetCacheKeyFor,
  targetTuning,
  type TargetModeOptions,
  type TargetProgress,
  type TargetReport,
} from '../src/core/mixed/index.js';
import { mixedFileName } from '../src/core/mixed/meta.js';
import { parseModel } from '../src/core/onnx/model.js';
import { openModel } from '../src/core/onnx/open.js';
import { collectPieces, writeModel } from '../src/core/onnx/writer.js';
import type { OrtModule, OrtSessionOptionsLike, PoolingChoice, PoolingConfigJson, TokenizerFiles } from '../src/core/quality/index.js';
import { DEFAULT_TARGET, WHERE_CHOICES, checkTarget, isRuntimeVersion, isTargetId, qualityBackendFor } from '../src/core/targets/index.js';
import { TOOL } from '../src/core/tool.js';
import type { TargetRequest, TargetResult } from './target-protocol.js';

/** Where the cached reports live (IndexedDB in the worker; a Map in tests). Errors are reported, never fatal. */
export interface TargetReportCache {
  get(key: string): Promise<TargetReport | undefined>;
  set(key: string, report: TargetReport): Promise<void>;
}

export interface TargetJobDeps {
  ort: OrtModule;
  /** Report label of the backend, e.g. "onnxruntime-web wasm". */
  backendLabel: string;
  sessionOptions: OrtSessionOptionsLike;
  /** Writes the answer (`<jobId>.onnx` in OPFS, the picked file, or memory). */
  write(bytes: Uint8Array): Promise<{ file: Blob; storage: 'picked' | 'opfs' | 'memory' }>;
  cache: TargetReportCache | null;
}

/** A tokenizer or config file that cannot be used (kind 'tokenizer'). */
class TokenizerFileError extends AvaError {
  override name = 'TokenizerFileError';
  constructor(message: string) {
    super('tokenizer', message);
  }
}

async function readJson(blob: Blob, what: string): Promise<Record<string, unknown>> {
  let v: unknown;
  try {
    v = JSON.parse(await blob.text());
  } catch (e) {
    throw new TokenizerFileError(`${what} is not valid JSON: ${messageOf(e)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TokenizerFileError(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** The cache entry's key: the engine's key and the backend that measured (another backend, another answer). */
export const cacheEntryKey = (engineKey: string, backendLabel: string) => `target/${engineKey}/${backendLabel}`;

export type TargetJobResult = Omit<TargetResult, 'runtime'> & { cacheNote: string | null };

/**
 * Runs one target-mode job (see the file comment). Throws AvaErrors for what is the input's or the options' fault.
 * With `req.cacheOnly`: resolves null when no report is cached for the request (nothing is measured).
 */
export async function runTargetJob(
  req: TargetRequest & { cacheOnly?: false },
  deps: TargetJobDeps,
  onProgress?: (p: TargetProgress) => void,
  signal?: AbortSignal,
): Promise<TargetJobResult>;
export async function runTargetJob(
  req: TargetRequest,
  deps: TargetJobDeps,
  onProgress?: (p: TargetProgress) => void,
  signal?: AbortSignal,
): Promise<TargetJobResult | null>;
export async function runTargetJob(
  req: TargetRequest,
  deps: TargetJobDeps,
  onProgress?: (p: TargetProgress) => void,
  signal?: AbortSignal,
): Promise<TargetJobResult | null> {
  const target = req.target ?? { id: DEFAULT_TARGET };
  if (!isTargetId(target.id)) throw new AvaError('options', `unknown target '${String(target.id)}' (use ${WHERE_CHOICES.join(', ')})`);
  if (target.runtimeVersion !== undefined && !isRuntimeVersion(target.runtimeVersion))
    throw new AvaError('options', `not a runtime version: '${target.runtimeVersion}' (e.g. 1.22 or 1.30.0)`);

  // The model, inline (target mode holds it in memory and builds each candidate from it).
  const others = (req.model.others ?? []).map((o) => ({ path: o.path, source: blobSource(o.blob, o.path.split('/').pop() ?? o.path) }));
  const opened = await openModel(
    { model: blobSource(req.model.blob, req.model.name), siblings: siblingsOf(req.model.path ?? req.model.name, others) },
    { signal },
  );
  if (opened.problems.length) throw new AvaError('format', opened.problems.map((p) => p.message).join('; '));
  const bytes = await collectPieces(writeModel(opened.model), signal);

  const tokenizer: TokenizerFiles | null = req.tokenizer
    ? {
        tokenizerJson: await readJson(req.tokenizer.tokenizerJson, 'tokenizer.json'),
        // Absent, not null: the same cache key as the CLI's run on the same files (src/node/target.ts).
        ...(req.tokenizer.tokenizerConfig
          ? { tokenizerConfig: await readJson(req.tokenizer.tokenizerConfig, 'tokenizer_config.json') }
          : {}),
      }
    : null;
  const pooling: PoolingChoice =
    req.poolingMode ?? (req.pooling ? ((await readJson(req.pooling, '1_Pooling/config.json')) as PoolingConfigJson) : null);
  const sha256 = hashBytes(req.model.blob, { md5: false }).then((h) => h.sha256);
  sha256.catch(() => undefined);
  const provenance = { source: { name: req.model.name, sha256 }, toolVersion: TOOL.version, date: req.date ?? new Date().toISOString() };

  const options: TargetModeOptions = {
    ort: deps.ort,
    model: bytes,
    name: req.model.name,
    tokenizer,
    pooling,
    ...(req.outputName ? { outputName: req.outputName } : {}),
    probes: req.probes,
    ...(req.sensitivitySentences !== undefined ? { sensitivitySentences: req.sensitivitySentences } : {}),
    bar: req.bar,
    ...targetTuning(req),
    sessionOptions: deps.sessionOptions,
    backend: deps.backendLabel,
    provenance,
    ...(onProgress ? { onProgress } : {}),
    ...(signal ? { signal } : {}),
  };

  let report: TargetReport | undefined;
  let answer: Uint8Array | null = null;
  let cacheNote: string | null = null;
  let fromCache = false;
  const engineKey = await targetCacheKeyFor(options).catch((e: unknown) => {
    // A bad bar or option: the run would refuse it too; say it as the options' fault.
    if (e instanceof RangeError || e instanceof AvaError) return null;
    throw e;
  });
  const key = engineKey ? cacheEntryKey(engineKey, deps.backendLabel) : null;
  if (key && deps.cache && !req.noCache) {
    try {
      report = await deps.cache.get(key);
    } catch (e) {
      cacheNote = `the cache could not be read: ${messageOf(e)}`;
    }
    if (report && report.cacheKey === engineKey) {
      fromCache = true;
      answer = report.chosen
        ? (await buildMix(parseModel(bytes), report.chosen.assignment, { ...report.mixOptions, provenance }, undefined, signal)).bytes
        : null;
      onProgress?.({ phase: 'done', fraction: 1, done: 1, total: 1, message: `from the cache: ${report.verdict.statement}` });
    } else report = undefined;
  }
  if (!report && req.cacheOnly) return null;
  if (!report) {
    try {
      const r = await runTargetMode(options);
      report = r.report;
      answer = r.bytes;
    } catch (e) {
      if (e instanceof RangeError) throw new AvaError('options', e.message);
      throw e;
    }
    if (key && deps.cache) {
      try {
        await deps.cache.set(key, report);
      } catch (e) {
        cacheNote = `the report could not be cached: ${messageOf(e)}`;
      }
    }
  }

  let file: Blob | null = null;
  let storage: TargetResult['storage'] = null;
  let targetCheck: TargetResult['targetCheck'] = null;
  if (answer) {
    targetCheck = checkTarget(parseModel(answer), target.id, target.runtimeVersion ? { runtimeVersion: target.runtimeVersion } : {});
    signal?.throwIfAborted();
    ({ file, storage } = await deps.write(answer));
  }
  return {
    report,
    file,
    fileName: mixedFileName(req.model.name),
    storage,
    targetCheck,
    fromCache,
    qualityBackend: qualityBackendFor(target.id).page,
    cacheNote,
  };
}
