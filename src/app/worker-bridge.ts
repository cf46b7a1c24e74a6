/**
 * The inspect worker's bridge (see job-bridge.ts: lazy start, idle shutdown, abort = terminate).
 */
import * as Comlink from 'comlink';
import type { ModelSummary } from '../core/onnx/summary.js';
import type { InspectProgress, InspectWorkerApi } from '../../workers/protocol.js';
import { JobBridge, type WorkerFactory } from './job-bridge.js';

export type { InspectProgress };

export interface InspectCallOptions {
  signal?: AbortSignal;
  onProgress?: (p: InspectProgress) => void;
}

const defaultFactory: WorkerFactory = () =>
  new Worker(new URL('../../workers/inspect.worker.ts', import.meta.url), {
    type: 'module',
    name: 'ava-inspect',
  });

/** Rejects with an AvaError: kind 'format' (not a model), 'read', 'abort' or 'internal'. */
export class InspectBridge extends JobBridge<InspectWorkerApi> {
  constructor(idleMs = 10_000, factory: WorkerFactory = defaultFactory) {
    super(idleMs, factory);
  }

  inspect(file: File, others: File[], opts: InspectCallOptions = {}): Promise<ModelSummary> {
    const { signal, onProgress } = opts;
    return this.call(signal, (api) => api.inspect(file, others, onProgress ? Comlink.proxy(onProgress) : undefined));
  }
}

/** The app's shared bridge. */
export const inspectBridge = new InspectBridge();
