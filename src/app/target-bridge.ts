/**
 * The target worker's bridge (job-bridge.ts: lazy start, abort = terminate): target mode — the smallest mix of
 * per-layer-group precisions that meets a quality bar — in a fresh worker per run (onnxruntime's environment is fixed
 * at its first session; terminating frees the WebAssembly heap and the GPU device). The page calls `runTarget`:
 *
 *   const jobId = newJobId();
 *   const r = await runTarget({ model: { blob: file, name: file.name, path, others }, tokenizer, pooling,
 *     bar: { minCosine: 0.99 }, probes: { sentenceSets, retrievalSets }, output: { jobId }, target: { id: 'android-arm64' } },
 *     { signal, onProgress: (p) => … p.phase, p.fraction, p.message });
 *   r.report.points / r.report.curve   the size-vs-quality plot
 *   r.report.groups + r.report.chosen?.assignment   the precision per layer group
 *   r.report.verdict.statement, r.report.quality     the verdict and the answer's full quality report
 *   r.file, r.fileName ("<base>-MIXED.onnx"), r.targetCheck    the answer (OPFS) and its check against the target
 *
 * A cancel (signal) terminates the worker and removes the job's OPFS file; results are cached by the worker in
 * IndexedDB, so the same run again returns at once (`fromCache`). Rejects with an AvaError: kind 'options' (bar,
 * options, target), 'format', 'tokenizer', 'refused', 'abort' or 'internal'.
 */
import * as Comlink from 'comlink';
import type { TargetProgress, TargetRequest, TargetResult, TargetWorkerApi } from '../../workers/target-protocol.js';
import { AvaError } from '../core/errors.js';
import { JobBridge, type WorkerFactory } from './job-bridge.js';
import { removeJobFiles } from './output-files.js';

export type { TargetProgress, TargetRequest, TargetResult };

const defaultFactory: WorkerFactory = () =>
  new Worker(new URL('../../workers/target.worker.ts', import.meta.url), { type: 'module', name: 'ava-target' });

export class TargetBridge extends JobBridge<TargetWorkerApi> {
  constructor(idleMs = 60_000, factory: WorkerFactory = defaultFactory) {
    super(idleMs, factory);
  }

  run(request: TargetRequest, opts: { signal?: AbortSignal; onProgress?: (p: TargetProgress) => void } = {}): Promise<TargetResult> {
    return this.call(opts.signal, async (api) => {
      const r = await api.run(request, opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined);
      if (r.file !== null && !(r.file instanceof Blob))
        throw new AvaError('internal', 'internal error: the target worker returned an answer that is not a file');
      return r;
    });
  }

  /** The cached answer for the request, or null (nothing is measured). */
  lookup(request: TargetRequest, opts: { signal?: AbortSignal } = {}): Promise<TargetResult | null> {
    return this.call(opts.signal, async (api) => {
      const r = await api.lookup(request);
      if (r && r.file !== null && !(r.file instanceof Blob))
        throw new AvaError('internal', 'internal error: the target worker returned an answer that is not a file');
      return r;
    });
  }
}

type FreshOpts = { factory?: WorkerFactory; removeFiles?: (jobId: string) => Promise<void> };

/** `call` on a fresh worker, terminated when it settles; on cancel or failure the job's OPFS file is removed. */
async function onFreshWorker<T>(request: TargetRequest, opts: FreshOpts, call: (bridge: TargetBridge) => Promise<T>): Promise<T> {
  const bridge = new TargetBridge(60_000, opts.factory ?? defaultFactory);
  try {
    return await call(bridge);
  } catch (e) {
    if (request.output?.jobId) await (opts.removeFiles ?? removeJobFiles)(request.output.jobId);
    throw e;
  } finally {
    bridge.terminate();
  }
}

/**
 * Runs target mode in a fresh worker; the worker is gone when this settles. On cancel (or failure) the job's OPFS
 * file (`<request.output.jobId>.onnx`) is removed.
 */
export function runTarget(
  request: TargetRequest,
  opts: { signal?: AbortSignal; onProgress?: (p: TargetProgress) => void } & FreshOpts = {},
): Promise<TargetResult> {
  return onFreshWorker(request, opts, (b) => b.run(request, opts));
}

/**
 * Looks the request up in the target worker's cache (a fresh worker, gone when this settles): the cached answer,
 * rebuilt and written like a run's, or null when nothing is cached. On cancel or failure the job's file is removed.
 */
export function lookupTarget(request: TargetRequest, opts: { signal?: AbortSignal } & FreshOpts = {}): Promise<TargetResult | null> {
  return onFreshWorker(request, opts, (b) => b.lookup(request, opts));
}
