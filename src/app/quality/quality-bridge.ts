/**
 * The quality worker's bridges (job-bridge.ts: lazy start, abort = terminate).
 * - `hashBridge`: SHA-256 of dropped files for the report cache (stays up between calls, idle shutdown).
 * - `runCheck`: one check on one backend in a fresh worker, terminated afterwards (frees the WebAssembly heap and
 *   the GPU device); Cancel terminates it at once.
 * Results are memoised per Blob (WeakMap), so a file is hashed once per page.
 */
import * as Comlink from 'comlink';
import type { QualityProgress } from '../../core/quality/index.js';
import type { GpuProbe, ModelFilesInput, QualityRequest, QualityResult, QualityWorkerApi } from '../../../workers/quality-protocol.js';
import { asAvaError } from '../../core/errors.js';
import { JobBridge, type WorkerFactory } from '../job-bridge.js';

const defaultFactory: WorkerFactory = () =>
  new Worker(new URL('../../../workers/quality.worker.ts', import.meta.url), { type: 'module', name: 'ava-quality' });

/** Rejects with an AvaError: kind 'tokenizer', 'abort' or 'internal'. */
class QualityBridge extends JobBridge<QualityWorkerApi> {
  constructor(idleMs: number, factory: WorkerFactory) {
    super(idleMs, factory);
  }

  sha256(blob: Blob, signal?: AbortSignal): Promise<string> {
    return this.call(signal, (api) => api.sha256(blob));
  }

  modelDigest(model: ModelFilesInput, signal?: AbortSignal): Promise<string> {
    return this.call(signal, (api) => api.modelDigest(model));
  }

  probeGpu(): Promise<GpuProbe> {
    return this.call(undefined, (api) => api.probeGpu());
  }

  check(request: QualityRequest, opts: { signal?: AbortSignal; onProgress?: (p: QualityProgress) => void }): Promise<QualityResult> {
    return this.call(opts.signal, (api) => api.check(request, opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined));
  }
}

/** Hashing and the WebGPU probe share one long-lived worker. */
const hashBridge = new QualityBridge(10_000, defaultFactory);

const hashes = new WeakMap<Blob, Promise<string>>();

/** SHA-256 of a Blob (memoised per Blob object; a failed hash is not remembered). */
export function sha256Of(blob: Blob): Promise<string> {
  let p = hashes.get(blob);
  if (!p) {
    p = hashBridge.sha256(blob);
    hashes.set(blob, p);
    p.catch(() => hashes.delete(blob));
  }
  return p;
}

const digests = new WeakMap<Blob, Promise<string>>();

/**
 * The model's cache identity: SHA-256 without metadata_props, followed by its external data (core/quality/digest.ts);
 * memoised per model Blob (a model's files do not change while the page holds them).
 */
export function modelDigestOf(model: ModelFilesInput): Promise<string> {
  let p = digests.get(model.blob);
  if (!p) {
    p = hashBridge.modelDigest({ blob: model.blob, name: model.name, path: model.path ?? model.name, others: [...(model.others ?? [])] });
    digests.set(model.blob, p);
    p.catch(() => digests.delete(model.blob));
  }
  return p;
}

let gpu: Promise<GpuProbe> | null = null;
/** Whether WebGPU has an adapter here (asked once per page, in a worker like the check itself). */
export function probeGpu(): Promise<GpuProbe> {
  gpu ??= hashBridge.probeGpu().catch((e: unknown) => ({ available: false, adapter: null, reason: asAvaError(e).message }));
  return gpu;
}

/** Runs one backend's check in a fresh worker; the worker is gone when this settles. */
export async function runCheck(
  request: QualityRequest,
  opts: { signal?: AbortSignal; onProgress?: (p: QualityProgress) => void; factory?: WorkerFactory } = {},
): Promise<QualityResult> {
  const bridge = new QualityBridge(60_000, opts.factory ?? defaultFactory);
  try {
    return await bridge.check(request, opts);
  } finally {
    bridge.terminate();
  }
}
