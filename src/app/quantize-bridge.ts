/**
 * The quantize worker's bridge (see job-bridge.ts: lazy start, idle shutdown, abort = terminate).
 * Jobs run one at a time (`runQueued`): each holds the input model and its output in memory, and a cancel
 * terminates the worker, which must not take another card's job with it.
 */
import * as Comlink from 'comlink';
import type { QuantizeProgress, QuantizeRequest, QuantizeResult, QuantizeWorkerApi } from '../../workers/quantize-protocol.js';
import { AvaError } from '../core/errors.js';
import { JobBridge, type WorkerFactory } from './job-bridge.js';

export type { QuantizeProgress, QuantizeRequest, QuantizeResult };

const abortError = () => new AvaError('abort', 'cancelled');

const defaultFactory: WorkerFactory = () =>
  new Worker(new URL('../../workers/quantize.worker.ts', import.meta.url), {
    type: 'module',
    name: 'ava-quantize',
  });

export interface QuantizeCallOptions {
  signal?: AbortSignal;
  onProgress?: (p: QuantizeProgress) => void;
}

/**
 * Rejects with an AvaError (src/core/errors.ts): kind 'format', 'refused', 'options', 'read', 'already-quantized',
 * 'nothing-to-do', 'abort' or 'internal'.
 */
export class QuantizeBridge extends JobBridge<QuantizeWorkerApi> {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(idleMs = 5_000, factory: WorkerFactory = defaultFactory) {
    super(idleMs, factory);
  }

  /** Runs now (use `runQueued` from the UI). */
  quantize(file: File, externalFiles: File[], request: QuantizeRequest, opts: QuantizeCallOptions = {}): Promise<QuantizeResult> {
    const { signal, onProgress } = opts;
    return this.call(signal, async (api) => {
      const dated = { ...request, date: request.date ?? new Date().toISOString() };
      const result = await api.quantize(file, externalFiles, dated, onProgress ? Comlink.proxy(onProgress) : undefined);
      if (!(result.blob instanceof Blob) || result.blob.size + (result.data?.blob.size ?? 0) !== result.outputBytes) {
        throw new AvaError('internal', 'internal error: the worker returned an output whose size does not match its report');
      }
      return result;
    });
  }

  /**
   * Queues a job behind the running one. `onStart` fires when it leaves the queue; a job whose signal is aborted
   * while queued never starts (rejects with kind 'abort').
   */
  runQueued(
    file: File,
    externalFiles: File[],
    request: QuantizeRequest,
    opts: QuantizeCallOptions & { onStart?: () => void } = {},
  ): Promise<QuantizeResult> {
    const job = this.queue.then(() => {
      if (opts.signal?.aborted) throw abortError();
      opts.onStart?.();
      return this.quantize(file, externalFiles, request, opts);
    });
    this.queue = job.catch(() => undefined);
    return job;
  }
}

/** The app's shared quantize bridge. */
export const quantizeBridge = new QuantizeBridge();
