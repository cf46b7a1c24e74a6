/**
 * The controllers' dependencies in Node: the same core the workers run (runMode, runQualityCheck), on
 * onnxruntime-node and the real fixtures, instead of the page's workers and IndexedDB. Nothing here is a stand-in for
 * onnxruntime: quantizing and checking are real.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AvaError, asAvaError } from '../../../src/core/errors.js';
import { blobSource } from '../../../src/core/io/source.js';
import { runMode, type ModeRequest } from '../../../src/core/modes/index.js';
import { collectPieces, openModel } from '../../../src/core/onnx/index.js';
import { modelFilesDigest, runQualityCheck } from '../../../src/core/quality/index.js';
import { hashBytes } from '../../../src/core/batch/hashing.js';
import { findCompanions } from '../../../src/app/quality/companions.js';
import type { QualityDeps } from '../../../src/app/controllers/quality.svelte.js';
import { qualityBackendFor } from '../../../src/core/targets/index.js';
import { checkOutput } from '../../../workers/output-check.js';
import type { QuantizeProgress, QuantizeRequest, QuantizeResult } from '../../../workers/quantize-protocol.js';
import type { QualityRequest, QualityResult, RuntimeInfo } from '../../../workers/quality-protocol.js';

const json = async (b: Blob) => JSON.parse(await b.text()) as object;

/**
 * The quantize worker's work, in this process: open by streaming from the Blob, runMode, collect the output, then the
 * worker's own target check of the written output (workers/output-check.ts: the request's target, else
 * android-arm64) and the quality backend that target asks for, as workers/quantize.worker.ts returns them.
 */
export async function nodeQuantize(
  file: File,
  _external: File[],
  request: QuantizeRequest,
  opts: { signal?: AbortSignal; onProgress?: (p: QuantizeProgress) => void; onStart?: () => void } = {},
): Promise<QuantizeResult> {
  opts.onStart?.();
  if (opts.signal?.aborted) throw new AvaError('abort', 'cancelled');
  opts.onProgress?.({ phase: 'reading', fraction: 0, done: 0, total: file.size });
  const opened = await openModel(blobSource(file, file.name));
  opts.onProgress?.({ phase: 'parsing', fraction: 1 });
  const sha256 = (await hashBytes(file, { md5: false })).sha256;
  const provenance = { source: { name: file.name, sha256 }, toolVersion: 'test', date: request.date ?? '2026-01-01T00:00:00.000Z' };
  const req = { mode: request.mode, options: { ...request.options, provenance } } as ModeRequest;
  const result = await runMode(opened.model, req, { force: request.force === true, signal: opts.signal });
  const bytes = await collectPieces(result.parts);
  if (opts.signal?.aborted) throw new AvaError('abort', 'cancelled');
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>]);
  const targetCheck = await checkOutput(blob, request.output?.name ?? 'model.onnx', undefined, request.target);
  return {
    blob,
    storage: 'memory',
    report: result.report,
    outputBytes: bytes.length,
    targetCheck,
    targetRequested: !!request.target,
    qualityBackend: qualityBackendFor(targetCheck.target).page,
  };
}

const runtime = (req: QualityRequest): RuntimeInfo => ({
  backend: req.backend,
  ortBuild: 'onnxruntime-node',
  ortVersion: ort.env.versions.node ?? '',
  requestedProviders: ['cpu'],
  placements: [],
  threads: 1,
  threadsReason: 'test',
  crossOriginIsolated: false,
  hardwareConcurrency: null,
  adapter: null,
  ortLog: [],
});

/** The quality worker's check, on onnxruntime-node (both backends run on the CPU here: only the label differs). */
export async function nodeRunCheck(
  req: QualityRequest,
  opts: { signal?: AbortSignal; onProgress?: (p: import('../../../src/core/quality/index.js').QualityProgress) => void },
): Promise<QualityResult> {
  try {
    const pooling = req.poolingMode ?? (req.pooling ? await json(req.pooling) : null);
    const report = await runQualityCheck({
      ort,
      original: { bytes: new Uint8Array(await req.original.blob.arrayBuffer()), name: req.original.name },
      quantized: { bytes: new Uint8Array(await req.quantized.blob.arrayBuffer()), name: req.quantized.name },
      tokenizer: req.tokenizer
        ? {
            tokenizerJson: await json(req.tokenizer.tokenizerJson),
            tokenizerConfig: req.tokenizer.tokenizerConfig ? await json(req.tokenizer.tokenizerConfig) : null,
          }
        : null,
      pooling: pooling as never,
      ...(req.outputName ? { outputName: req.outputName } : {}),
      sentenceSets: req.sentenceSets,
      retrievalSets: req.retrievalSets,
      sentences: req.sentences,
      threshold: req.threshold,
      sessionOptions: { executionProviders: ['cpu'] },
      backend: `onnxruntime-node cpu (as ${req.backend})`,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    return { report, runtime: runtime(req), skipped: null };
  } catch (e) {
    if (opts.signal?.aborted) throw new AvaError('abort', 'cancelled');
    throw asAvaError(e);
  }
}

/** QualityDeps on Node: real check and hashing, probes from public/probes, an in-memory cache. */
export function nodeQualityDeps(
  extra: Partial<QualityDeps> = {},
): QualityDeps & { cache: Map<string, QualityResult>; announced: string[]; published: unknown[][] } {
  const cache = new Map<string, QualityResult>();
  const announced: string[] = [];
  const published: unknown[][] = [];
  return {
    cache,
    announced,
    published,
    runCheck: (req, opts) => nodeRunCheck(req, opts),
    modelDigest: async (m) => (await modelFilesDigest(blobSource(m.blob, m.name), [])).sha256,
    sha256: async (b) => (await hashBytes(b, { md5: false })).sha256,
    loadCached: async (key) => (cache.has(key) ? { result: structuredClone(cache.get(key)!), storedAt: '2026-11-01T10:00:00.000Z' } : null),
    storeCached: async (key, result) => void cache.set(key, structuredClone(result)),
    probeGpu: async () => ({ available: false, adapter: null, reason: 'no WebGPU in Node' }),
    loadProbeFile: async (file) => JSON.parse(await readFile(join('public', 'probes', file), 'utf8')),
    findCompanions,
    publish: (_blob, reports) => void published.push(reports),
    announce: (m) => void announced.push(m),
    ...extra,
  };
}
