/**
 * Squoosh-style worker bridge, shared by every job type (inspect, quantize): the worker starts lazily on first use,
 * is terminated after `idleMs` without work, and an AbortSignal cancels a job by terminating the worker (which
 * also frees everything the worker held).
 */
import * as Comlink from 'comlink';

export type WorkerFactory = () => Worker;

/** How a bridge names its errors: a cancel, a worker crash, and whatever came back from a call. */
export interface BridgeErrors<E extends Error> {
  abort(): E;
  crash(message: string): E;
  map(e: unknown): E;
}

export class JobBridge<Api, E extends Error> {
  private worker: Worker | null = null;
  private api: Comlink.Remote<Api> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** Rejecters of in-flight calls, so terminating the worker never leaves a promise hanging. */
  private readonly inFlight = new Set<(e: E) => void>();

  constructor(
    private readonly idleMs: number,
    private readonly factory: WorkerFactory,
    protected readonly errors: BridgeErrors<E>,
  ) {}

  get running(): boolean {
    return this.worker !== null;
  }

  private start(): Comlink.Remote<Api> {
    if (this.api) return this.api;
    const worker = this.factory();
    worker.addEventListener('error', (ev: ErrorEvent) => {
      ev.preventDefault();
      this.terminate(this.errors.crash(`internal error: worker failed: ${ev.message || 'could not start'}`));
    });
    worker.addEventListener('messageerror', () => {
      this.terminate(this.errors.crash('internal error: worker message could not be decoded'));
    });
    this.worker = worker;
    this.api = Comlink.wrap<Api>(worker);
    return this.api;
  }

  /** Stops the worker now; in-flight calls reject with `reason` (default: cancelled). */
  terminate(reason: E = this.errors.abort()): void {
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
    if (signal?.aborted) throw this.errors.abort();
    this.clearIdle();
    const api = this.start();
    let reject!: (e: E) => void;
    const stopped = new Promise<never>((_, rej) => (reject = rej));
    this.inFlight.add(reject);
    const onAbort = () => this.terminate(this.errors.abort());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([fn(api), stopped]);
    } catch (e) {
      throw this.errors.map(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(reject);
      this.scheduleIdle();
    }
  }
}

/** name/message of anything thrown across comlink (it re-creates errors as plain Errors with name and message). */
export function nameAndMessage(e: unknown): { name: string; message: string } {
  const name = e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '';
  const message =
    e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : String(e);
  return { name, message };
}

export const internalMessage = (message: string): string =>
  message.startsWith('internal error:') ? message : `internal error: ${message}`;
