/**
 * Squoosh-style worker bridge, shared by every job type (inspect, quantize): the worker starts lazily on first use,
 * is terminated after `idleMs` without work, and an AbortSignal cancels a job by terminating the worker (which
 * also frees everything the worker held).
 */
import * as Comlink from 'comlink';
import { AvaError, asAvaError } from '../core/errors.js';

export type WorkerFactory = () => Worker;

const cancelled = (): AvaError => new AvaError('abort', 'cancelled');

/**
 * Every call rejects with an AvaError (src/core/errors.ts): the worker's ErrorData turned back into one, kind
 * 'abort' for a cancel, 'internal' for a worker crash.
 */
export class JobBridge<Api> {
  private worker: Worker | null = null;
  private api: Comlink.Remote<Api> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Rejecters of in-flight calls, so terminating the worker never leaves a promise hanging. */
  private readonly inFlight = new Set<(e: AvaError) => void>();

  constructor(
    private readonly idleMs: number,
    private readonly factory: WorkerFactory,
  ) {}

  get running(): boolean {
    return this.worker !== null;
  }

  private start(): Comlink.Remote<Api> {
    if (this.api) return this.api;
    const worker = this.factory();
    worker.addEventListener('error', (ev: ErrorEvent) => {
      ev.preventDefault();
      this.terminate(new AvaError('internal', `internal error: worker failed: ${ev.message || 'could not start'}`));
    });
    worker.addEventListener('messageerror', () => {
      this.terminate(new AvaError('internal', 'internal error: worker message could not be decoded'));
    });
    this.worker = worker;
    this.api = Comlink.wrap<Api>(worker);
    return this.api;
  }

  /** Stops the worker now; in-flight calls reject with `reason` (default: cancelled). */
  terminate(reason: AvaError = cancelled()): void {
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

  /** Runs one call on the (lazily started) worker; `signal` aborts it by terminating the worker. */
  protected async call<T>(signal: AbortSignal | undefined, fn: (api: Comlink.Remote<Api>) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw cancelled();
    this.clearIdle();
    const api = this.start();
    let reject!: (e: AvaError) => void;
    const stopped = new Promise<never>((_, rej) => (reject = rej));
    this.inFlight.add(reject);
    const onAbort = () => this.terminate(cancelled());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([fn(api), stopped]);
    } catch (e) {
      throw asAvaError(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(reject);
      this.scheduleIdle();
    }
  }
}
