/**
 * Tensor work on the other cores (src/core/offload.ts): worker threads that open the model's files themselves, read a
 * tensor by offset and length into their own kernel memory and run the task on it (INT8's quantize, FP16's convert and
 * range scan: `runTensorTask`), then hand back what it made (bytes transferred, not copied). The main thread keeps
 * reading, processing the big tensors in chunks and writing, and takes queued tensors too when the workers fall
 * behind, so both cores stay busy and the writer's order is unchanged. Same function, same bytes: the output is
 * byte-identical to one thread (tests/cli/tensor-workers.test.ts).
 *
 * A worker runs the CLI's own bundle (bin/ava-quant.mjs builds it into .cache/cli/), entered with `workerData.role`;
 * run from the TypeScript sources (tsx) there is no bundle for a worker to load, and nothing is offloaded.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type TaskResult, type TensorOffload, type TensorTask, type TensorWork, runTensorTask, setTensorOffload } from '../core/offload.js';
import { SLOT_BYTES, leaseSlot } from '../core/kernels/simd.js';

const ROLE = 'ava-quant:tensor-work';
/** Tensors smaller than this are processed on the main thread (a message costs more than the work). */
const MIN_BYTES = 256 << 10;
/** Tensors a worker holds at once: one in work, one waiting in its port (so it never waits for the main thread). */
const WORKER_DEPTH = 2;
/**
 * The main thread takes a queued tensor only while more than this many wait (the workers are behind), one at a time:
 * it has the streamed tensors, the writing and the rest of the run to do.
 */
const HERE_FROM_QUEUED = 4;
/** Tensors the main thread takes at once from the queue. */
const HERE_DEPTH = 1;

interface Request {
  id: number;
  path: string;
  /** The file's identity when the main thread opened it: a worker reads only the same file. */
  dev: number;
  ino: number;
  offset: number;
  length: number;
  task: TensorTask;
}
type Reply = { id: number; result: TaskResult<TensorTask> } | { id: number; error: string };

/** A file source that can be opened again by another thread (src/node/files.ts fileSource). */
interface Reopenable {
  path: string;
  dev: number;
  ino: number;
}

/**
 * In a worker started by tensorWorkerPool: serves requests until the main thread ends it, and returns true.
 * Anywhere else: does nothing, returns false. The CLI's entry calls it first (bin/ava-quant.mjs).
 */
export function serveTensorWork(): boolean {
  if (isMainThread || (workerData as { role?: string } | null)?.role !== ROLE) return false;
  const port = parentPort!;
  const fds = new Map<string, number>();
  const fdOf = (r: Request): number => {
    let fd = fds.get(r.path);
    if (fd === undefined) {
      fd = openSync(r.path, 'r');
      const st = fstatSync(fd);
      if (st.dev !== r.dev || st.ino !== r.ino) {
        closeSync(fd);
        throw new Error(`${r.path} is no longer the file being read`);
      }
      fds.set(r.path, fd);
    }
    return fd;
  };
  port.on('message', (r: Request) => {
    let slot: ReturnType<typeof leaseSlot> = null;
    try {
      const fd = fdOf(r);
      slot = r.length <= SLOT_BYTES ? leaseSlot() : null;
      const bytes = slot ? slot.bytes.subarray(0, r.length) : new Uint8Array(r.length);
      for (let got = 0; got < r.length;) {
        const n = readSync(fd, bytes, got, r.length - got, r.offset + got);
        if (n === 0) throw new Error(`${r.path} ended at byte ${r.offset + got}`);
        got += n;
      }
      const result = runTensorTask(r.task, bytes);
      // Bytes made by the task are sent by moving their buffer, when the array has it to itself (else copied).
      const made = 'data' in result ? result.data : 'bytes' in result ? result.bytes : null;
      const own = made && made.byteOffset === 0 && made.byteLength === made.buffer.byteLength ? made : made?.slice();
      const sent = own && made !== own ? ('data' in result ? { ...result, data: own } : { ...result, bytes: own }) : result;
      port.postMessage({ id: r.id, result: sent } satisfies Reply, own ? [own.buffer as ArrayBuffer] : []);
    } catch (e) {
      port.postMessage({ id: r.id, error: (e as Error).message } satisfies Reply);
    } finally {
      slot?.release();
    }
  });
  return true;
}

/** The bundle this module is part of, when it runs from one (a worker loads it); null when run from sources. */
function bundlePath(): string | null {
  const url = import.meta.url;
  return url.startsWith('file:') && url.endsWith('.mjs') ? fileURLToPath(url) : null;
}

/** A tensor's work waiting for a thread: done by a worker, or here with `here`. */
interface Item {
  work: TensorWork;
  file: Reopenable;
  here: () => Promise<unknown>;
  resolve: (r: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Starts `workers` threads (default: one per core beyond the first, at most 3; none on one core) and returns the
 * offload to register (setTensorOffload), stats() and close() to end them; null when no worker can run (one core, or
 * not run from the CLI's bundle). Tensors wait in one queue, in the order the writer asked for them; each worker holds
 * up to two (one quantizing, one queued in its port) and the main thread takes one when more than four wait, so
 * whichever thread is free takes the next tensor and the main thread keeps to its own work otherwise. A tensor whose
 * source is not a file another thread can open, or under 256 KiB, is processed here at once.
 */
export function tensorWorkerPool(
  workers = Math.min(3, availableParallelism() - 1),
): { offload: TensorOffload; stats(): TensorThreadStats; close(): void } | null {
  const entry = bundlePath();
  if (!entry || workers < 1) return null;
  let nextId = 1;
  const queue: Item[] = [];
  let hereBusy = 0;
  const stats: TensorThreadStats = { threads: workers, tasks: 0, bytes: 0 };
  const settle = (it: Item, run: Promise<unknown>) => run.then(it.resolve, it.reject);
  const runHere = (it: Item) => {
    hereBusy++;
    void settle(it, it.here()).finally(() => {
      hereBusy--;
      pump();
    });
  };
  const pool = Array.from({ length: workers }, () => {
    const w = new Worker(entry, { workerData: { role: ROLE } });
    w.unref(); // never keeps the process alive
    const held = new Map<number, Item>();
    const member = { w, held, dead: false };
    // Work a worker could not do is done here (the error, if any, is then this thread's).
    const fail = () => {
      member.dead = true;
      for (const it of held.values()) void settle(it, it.here());
      held.clear();
      pump();
    };
    w.on('message', (m: Reply) => {
      const it = held.get(m.id);
      held.delete(m.id);
      if (it)
        if ('result' in m) {
          stats.tasks++;
          stats.bytes += it.work.length;
          it.resolve(m.result);
        } else void settle(it, it.here());
      pump();
    });
    w.on('error', fail);
    w.on('exit', fail);
    return member;
  });
  /** Hands queued tensors to free workers, then to this thread. */
  function pump(): void {
    for (const m of pool)
      while (!m.dead && m.held.size < WORKER_DEPTH && queue.length) {
        const it = queue.shift()!;
        const id = nextId++;
        m.held.set(id, it);
        const { work, file } = it;
        m.w.postMessage({
          id,
          path: file.path,
          dev: file.dev,
          ino: file.ino,
          offset: work.offset,
          length: work.length,
          task: work.task,
        } satisfies Request);
      }
    // With no worker left (they failed to start or ended), every tensor is processed here.
    const alone = pool.every((m) => m.dead);
    while (queue.length && (alone || (hereBusy < HERE_DEPTH && queue.length > HERE_FROM_QUEUED))) runHere(queue.shift()!);
  }
  const offload: TensorOffload = <T extends TensorTask>(
    work: TensorWork<T>,
    here: () => Promise<TaskResult<T>>,
    signal?: AbortSignal,
  ): Promise<TaskResult<T>> => {
    const file = work.source as Partial<Reopenable>;
    if (!file.path || file.dev === undefined || file.ino === undefined || work.length < MIN_BYTES) return here();
    return new Promise<TaskResult<T>>((resolve, reject) => {
      const it: Item = { work, file: file as Reopenable, here, resolve: () => undefined, reject };
      // Cancelled while waiting: out of the queue at once (the writer waits for every piece it started).
      const onAbort = () => {
        const at = queue.indexOf(it);
        if (at >= 0) queue.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      it.resolve = (r) => (done(), resolve(r as TaskResult<T>));
      it.reject = (e) => (done(), reject(e));
      queue.push(it);
      pump();
    });
  };
  return {
    offload,
    stats: () => ({ ...stats }),
    close() {
      for (const m of pool) void m.w.terminate();
    },
  };
}

/**
 * What the workers did: threads started, tensor tasks they ran (a tensor may take two: FP16 scans its range while
 * planning and converts it while writing) and the float32 bytes those tasks read.
 */
export interface TensorThreadStats {
  threads: number;
  tasks: number;
  bytes: number;
}

/**
 * How far ahead of the write position the writer starts tensor jobs when workers run (its default is 64 MiB and 16
 * pieces, for one thread): enough queued tensors that a worker never waits while the main thread streams a big one.
 */
const LOOKAHEAD = { bytes: 128 << 20, pieces: 48 };

/** Inputs at least this big (the .onnx plus its external data) get tensor workers by default. */
export const WORKERS_FROM_BYTES = 256 << 20;
/** A source hash reading at least this much keeps a core busy for most of a run (0.5 s per GB here). */
const BUSY_HASH_BYTES = 64 << 20;

/** What the choice of workers looks at. */
export interface TensorWorkRun {
  mode: string;
  /** The input's bytes (.onnx plus external data). */
  inputBytes: number;
  /** Bytes the source hash is reading on its own thread (0 when remembered). */
  hashingBytes: number;
}

/**
 * How many tensor workers the CLI starts for `run` on a machine of `cores` cores (AVA_QUANT_WORKERS=1: always, one
 * per core beyond the first, at least one, at most 3; =0: none). By default only where they measured faster (the
 * bench, AMD EPYC 2 cores): INT8 of an input of WORKERS_FROM_BYTES or more, a thread per core left free by the main
 * thread and by the source hash (a one-file model's hash keeps the second core busy: there, a worker measured no
 * faster). FP16 moves twice the bytes per value of work and measured no faster with a worker; on a small model a
 * thread's start-up (about 50 ms of another core and 30 MiB) costs more than it saves.
 */
export function tensorWorkerCount(run: TensorWorkRun, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const want = env.AVA_QUANT_WORKERS;
  if (want === '0') return 0;
  if (want === '1') return Math.max(1, Math.min(3, cores - 1));
  const spare = cores - 1 - (run.hashingBytes >= BUSY_HASH_BYTES ? 1 : 0);
  if (run.mode !== 'int8' || run.inputBytes < WORKERS_FROM_BYTES || spare < 1) return 0;
  return Math.min(3, spare);
}

/**
 * Starts tensorWorkerCount(run) workers and registers their offload (src/core/offload.ts). Returns stop() (ends the
 * workers, unregisters it), stats() and the writer's lookahead to use while they run; null when none run.
 */
export function startTensorWorkers(
  run: TensorWorkRun,
  env: NodeJS.ProcessEnv = process.env,
): { stop(): void; stats(): TensorThreadStats; lookahead: { bytes: number; pieces: number } } | null {
  const n = tensorWorkerCount(run, env);
  if (!n) return null;
  const pool = tensorWorkerPool(n);
  if (!pool) return null;
  setTensorOffload(pool.offload, pool.stats().threads);
  return {
    stats: pool.stats,
    lookahead: LOOKAHEAD,
    stop() {
      setTensorOffload(null);
      pool.close();
    },
  };
}
