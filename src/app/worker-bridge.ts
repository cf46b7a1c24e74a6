/**
 * The inspect worker's bridge (see job-bridge.ts: lazy start, idle shutdown, abort = terminate).
 */
import * as Comlink from 'comlink';
import type { ModelSummary } from '../core/onnx/summary.js';
import type { InspectProgress, InspectWorkerApi } from '../../workers/protocol.js';
import { internalMessage, JobBridge, nameAndMessage, type WorkerFactory } from './job-bridge.js';

export type { InspectProgress };

export interface InspectCallOptions {
  signal?: AbortSignal;
  onProgress?: (p: InspectProgress) => void;
}

/** Error names the UI distinguishes: bad input, cancelled, or a bug/crash. */
export type InspectErrorKind = 'format' | 'read' | 'abort' | 'internal';

export class InspectError extends Error {
  override name = 'InspectError';
  constructor(
    readonly kind: InspectErrorKind,
    message: string,
  ) {
    super(message);
  }
}

function abortError(): InspectError {
  return new InspectError('abort', 'cancelled');
}

/** Maps whatever came back through comlink (or from the bridge itself) to an InspectError. */
export function toInspectError(e: unknown): InspectError {
  if (e instanceof InspectError) return e;
  const { name, message } = nameAndMessage(e);
  if (name === 'OnnxFormatError') return new InspectError('format', message);
  if (name === 'FileReadError') return new InspectError('read', message);
  if (name === 'AbortError') return abortError();
  return new InspectError('internal', internalMessage(message));
}

const defaultFactory: WorkerFactory = () =>
  new Worker(new URL('../../workers/inspect.worker.ts', import.meta.url), {
    type: 'module',
    name: 'ava-inspect',
  });

export class InspectBridge extends JobBridge<InspectWorkerApi, InspectError> {
  constructor(idleMs = 10_000, factory: WorkerFactory = defaultFactory) {
    super(idleMs, factory, {
      abort: abortError,
      crash: (message) => new InspectError('internal', message),
      map: toInspectError,
    });
  }

  inspect(file: File, others: File[], opts: InspectCallOptions = {}): Promise<ModelSummary> {
    const { signal, onProgress } = opts;
    return this.call(signal, (api) => api.inspect(file, others, onProgress ? Comlink.proxy(onProgress) : undefined));
  }
}

/** The app's shared bridge. */
export const inspectBridge = new InspectBridge();
