/**
 * The one wrapper the page puts around a worker job: its status, its progress, its result or error, and Cancel.
 *
 *   const job = new Job<QuantizeResult, QuantizeProgress>();
 *   const outcome = await job.run(({ signal, progress, started }) => bridge.runQueued(file, [], req, { signal, onProgress: progress, onStart: started }), { queued: true });
 *   job.status   // 'idle' | 'queued' | 'running' | 'done' | 'error' | 'cancelled'
 *   job.cancel() // aborts the signal (the bridges terminate the worker at once); status 'cancelled'
 *
 * Reactive ($state): components read it directly. A newer `run` or a `cancel` makes the older run's late progress and
 * outcome stale: they change nothing. Errors are AvaErrors (src/core/errors.ts); kind 'abort' means cancelled.
 */
import { AvaError, asAvaError } from '../core/errors.js';

export type JobStatus = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'cancelled';

export interface JobContext<P> {
  /** Aborted by cancel() (and by a newer run). */
  signal: AbortSignal;
  /** Reports progress (ignored once the run is stale). */
  progress: (p: P) => void;
  /** A queued job calls this when it leaves the queue (status queued -> running). */
  started: () => void;
}

export type JobOutcome<T> =
  | { status: 'done'; result: T }
  | { status: 'error'; error: AvaError }
  | { status: 'cancelled' }
  /** A newer run or a cancel replaced this one while it ran: its outcome was not applied. */
  | { status: 'stale' };

export class Job<T, P = unknown> {
  status = $state<JobStatus>('idle');
  progress = $state.raw<P | null>(null);
  result = $state.raw<T | null>(null);
  error = $state.raw<AvaError | null>(null);
  /** performance.now() when the run left the queue (null before). */
  startedAt = $state<number | null>(null);
  /** Milliseconds from leaving the queue to the outcome (null until then). */
  elapsedMs = $state<number | null>(null);

  #ctl: AbortController | null = null;
  #run = 0;

  get busy(): boolean {
    return this.status === 'queued' || this.status === 'running';
  }

  /**
   * Runs `fn`; with `queued` the status is 'queued' until `fn` calls `started()`. Resolves (never rejects) with the
   * outcome, which is also applied to the job's state unless the run became stale.
   */
  async run(fn: (ctx: JobContext<P>) => Promise<T>, opts: { queued?: boolean } = {}): Promise<JobOutcome<T>> {
    this.#ctl?.abort();
    const id = ++this.#run;
    const ctl = new AbortController();
    this.#ctl = ctl;
    const live = () => id === this.#run;
    const now = () => (globalThis.performance ? performance.now() : Date.now());
    this.progress = null;
    this.error = null;
    this.elapsedMs = null;
    this.startedAt = opts.queued ? null : now();
    this.status = opts.queued ? 'queued' : 'running';
    const ctx: JobContext<P> = {
      signal: ctl.signal,
      progress: (p) => {
        if (live() && this.status === 'running') this.progress = p;
      },
      started: () => {
        if (!live() || this.status !== 'queued') return;
        this.startedAt = now();
        this.status = 'running';
      },
    };
    try {
      if (ctl.signal.aborted) throw new AvaError('abort', 'cancelled');
      const result = await fn(ctx);
      if (!live()) return { status: 'stale' };
      if (ctl.signal.aborted) throw new AvaError('abort', 'cancelled');
      this.result = result;
      this.status = 'done';
      this.elapsedMs = this.startedAt === null ? null : now() - this.startedAt;
      return { status: 'done', result };
    } catch (e) {
      if (!live()) return { status: 'stale' };
      const err = asAvaError(e);
      if (err.kind === 'abort' || ctl.signal.aborted) {
        this.status = 'cancelled';
        return { status: 'cancelled' };
      }
      this.error = err;
      this.status = 'error';
      return { status: 'error', error: err };
    } finally {
      if (live()) this.#ctl = null;
    }
  }

  /** Stops the running or queued run (its worker is terminated by the bridge); status 'cancelled'. */
  cancel(): void {
    if (!this.busy) return;
    this.#run++;
    this.#ctl?.abort();
    this.#ctl = null;
    this.progress = null;
    this.status = 'cancelled';
  }

  /** Back to idle (e.g. dismissing an error); cancels a running run first. */
  reset(): void {
    this.cancel();
    this.#run++;
    this.status = 'idle';
    this.progress = null;
    this.error = null;
  }
}
