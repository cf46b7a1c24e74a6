/**
 * Squoosh-style worker bridge: the worker starts lazily on first use, is terminated after
 * `idleMs` without work, and an AbortSignal cancels a job by terminating the worker.
 */
import * as Comlink from 'comlink';
import type { ModelSummary } from '../core/onnx/summary.js';
import type { InspectProgress, InspectWorkerApi } from '../../workers/protocol.js';

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
  const name = e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '';
  const message =
    e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  if (name === 'OnnxFormatError') return new InspectError('format', message);
  if (name === 'FileReadError') return new InspectError('read', message);
  if (name === 'AbortError') return abortError();
  return new InspectError('internal', message.startsWith('internal error:') ? message : `internal error: ${message}`);
}

type WorkerFactory = () => Worker;

const defaultFactory: WorkerFactory = () =>
  new Worker(new URL('../../workers/inspect.worker.ts', import.meta.url), {
    type: 'module',
    name: 'ava-inspect',
  });

export class InspectBridge {
  private worker: Worker | null = null;
  private api: Comlink.Remote<InspectWorkerApi> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Rejecters of in-flight calls, so terminating the worker never leaves a promise hanging. */
  private readonly inFlight = new Set<(e: InspectError) => void>();

  constructor(
    private readonly idleMs = 10_000,
    private readonly factory: WorkerFactory = defaultFactory,
  ) {}

  get running(): boolean {
    return this.worker !== null;
  }

  private start(): Comlink.Remote<InspectWorkerApi> {
    if (this.api) return this.api;
    const worker = this.factory();
    worker.addEventListener('error', (ev: ErrorEvent) => {
      ev.preventDefault();
      this.fail(new InspectError('internal', `internal error: worker failed: ${ev.message || 'could not start'}`));
    });
    worker.addEventListener('messageerror', () => {
      this.fail(new InspectError('internal', 'internal error: worker message could not be decoded'));
    });
    this.worker = worker;
    this.api = Comlink.wrap<InspectWorkerApi>(worker);
    return this.api;
  }

  private fail(err: InspectError): void {
    this.terminate(err);
  }

  /** Stops the worker now; in-flight calls reject with `reason` (default: cancelled). */
  terminate(reason: InspectError = abortError()): void {
    this.clearIdle();
    if (this.api) this.api[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.worker = null;
    this.api = null;
    const rejecters = [...this.inFlight];
    this.inFlight.clear();
    for (const reject of rejecters) reject(reason);
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private scheduleIdle(): void {
    this.clearIdle();
    if (this.inFlight.size > 0 || !this.worker) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.inFlight.size === 0) this.terminate();
    }, this.idleMs);
  }

  async inspect(file: File, siblings: Record<string, number>, opts: InspectCallOptions = {}): Promise<ModelSummary> {
    const { signal, onProgress } = opts;
    if (signal?.aborted) throw abortError();
    this.clearIdle();
    const api = this.start();
    let reject!: (e: InspectError) => void;
    const stopped = new Promise<never>((_, rej) => (reject = rej));
    this.inFlight.add(reject);
    const onAbort = () => this.terminate(abortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const call = api.inspect(file, siblings, onProgress ? Comlink.proxy(onProgress) : undefined);
      return await Promise.race([call, stopped]);
    } catch (e) {
      throw toInspectError(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(reject);
      this.scheduleIdle();
    }
  }
}

/** The app's shared bridge. */
export const inspectBridge = new InspectBridge();
