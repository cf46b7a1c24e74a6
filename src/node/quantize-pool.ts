/**
 * INT8 weights quantized on a second core (src/core/int8/offload.ts): worker threads that open the model's files
 * themselves, read a weight by offset and length into their own kernel memory and run `quantizeTensor` on it, then
 * hand back the quantized bytes (transferred, not copied) with the scales and zero points. The main thread keeps
 * reading, quantizing and writing the rest; each worker holds up to eight weights at a time and the main thread
 * quantizes what they decline, so both cores stay busy and the writer's order is unchanged. Same function, same bytes:
 * the output is byte-identical to one thread (tests/cli/weight-workers.test.ts).
 *
 * A worker runs the CLI's own bundle (bin/ava-quant.mjs builds it into .cache/cli/), entered with `workerData.role`;
 * run from the TypeScript sources (tsx) there is no bundle for a worker to load, and nothing is offloaded.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { quantizeTensor, type QuantParams, type QuantizedTensor } from '../core/int8/numerics.js';
import { type WeightOffload, type WeightQuantizeRequest, setWeightOffload } from '../core/int8/offload.js';
import { SLOT_BYTES, leaseSlot } from '../core/kernels/simd.js';

const ROLE = 'ava-quant:int8-weights';
/** Weights smaller than this are quantized on the main thread (a message costs more than the work). */
const MIN_BYTES = 256 << 10;
/**
 * Weights a worker holds at once (quantizing or queued). The writer starts the jobs of the next pieces ahead of
 * writing them (src/core/io/write.ts); those a full worker declines are quantized on the main thread meanwhile.
 */
const DEPTH = 8;

interface Request {
  id: number;
  path: string;
  /** The file's identity when the main thread opened it: a worker reads only the same file. */
  dev: number;
  ino: number;
  offset: number;
  length: number;
  dims: readonly number[];
  axis: number | null;
  params: QuantParams;
  name: string;
}
type Reply = { id: number; q: QuantizedTensor } | { id: number; error: string };

/** A file source that can be opened again by another thread (src/node/files.ts fileSource). */
interface Reopenable {
  path: string;
  dev: number;
  ino: number;
}

/**
 * In a worker started by weightQuantizePool: serves requests until the main thread ends it, and returns true.
 * Anywhere else: does nothing, returns false. The CLI's entry calls it first (bin/ava-quant.mjs).
 */
export function serveWeightQuantizer(): boolean {
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
      const q = quantizeTensor(new Float32Array(bytes.buffer, bytes.byteOffset, r.length / 4), r.dims, r.axis, r.params, r.name);
      // The quantized bytes are sent by moving their buffer: one the array has to itself.
      const data = q.data.byteOffset === 0 && q.data.byteLength === q.data.buffer.byteLength ? q.data : q.data.slice();
      port.postMessage({ id: r.id, q: { ...q, data } } satisfies Reply, [data.buffer as ArrayBuffer]);
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

/**
 * Starts `workers` threads (default: one per core beyond the first, at most 3; none on one core) and returns the
 * offload to register (setWeightOffload) and close() to end them; null when no worker can run (one core, or not run
 * from the CLI's bundle). A request is declined (the main thread quantizes it) when its source is not a file another
 * thread can open, when it is under 256 KiB, or when every worker already holds eight.
 */
export function weightQuantizePool(
  workers = Math.min(3, availableParallelism() - 1),
): { offload: WeightOffload; stats(): WeightThreadStats; close(): void } | null {
  const entry = bundlePath();
  if (!entry || workers < 1) return null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (q: QuantizedTensor) => void; reject: (e: Error) => void }>();
  const stats: WeightThreadStats = { threads: workers, weights: 0, bytes: 0 };
  const pool = Array.from({ length: workers }, () => {
    const w = new Worker(entry, { workerData: { role: ROLE } });
    w.unref(); // never keeps the process alive
    const held = new Set<number>();
    const fail = (e: Error) => {
      for (const id of held) pending.get(id)?.reject(e);
      held.clear();
      member.dead = true;
    };
    w.on('message', (m: Reply) => {
      held.delete(m.id);
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (!p) return; // given up on (cancelled)
      if ('q' in m) p.resolve(m.q);
      else p.reject(new Error(m.error));
    });
    w.on('error', fail);
    w.on('exit', () => fail(new Error('the quantize thread ended')));
    const member = { w, held, dead: false };
    return member;
  });
  const offload: WeightOffload = (req: WeightQuantizeRequest, signal?: AbortSignal) => {
    const file = req.source as Partial<Reopenable>;
    if (!file.path || file.dev === undefined || file.ino === undefined || req.length < MIN_BYTES) return null;
    const member = pool.filter((m) => !m.dead && m.held.size < DEPTH).sort((a, b) => a.held.size - b.held.size)[0];
    if (!member) return null;
    const id = nextId++;
    const r: Request = {
      id,
      path: file.path,
      dev: file.dev,
      ino: file.ino,
      offset: req.offset,
      length: req.length,
      dims: req.dims,
      axis: req.axis,
      params: req.params,
      name: req.name,
    };
    return new Promise<QuantizedTensor>((resolve, reject) => {
      const onAbort = () => {
        pending.delete(id);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, {
        resolve: (q) => {
          signal?.removeEventListener('abort', onAbort);
          stats.weights++;
          stats.bytes += req.length;
          resolve(q);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      member.held.add(id);
      member.w.postMessage(r);
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

/** What the workers did: threads started, weights they quantized and those weights' float bytes. */
export interface WeightThreadStats {
  threads: number;
  weights: number;
  bytes: number;
}

/** Inputs at least this big (the .onnx plus its external data) get weight workers by default. */
export const WORKERS_FROM_BYTES = 256 << 20;

/**
 * The CLI's choice: weight workers for an input of `inputBytes` (AVA_QUANT_WORKERS=1 always, =0 never, else from
 * WORKERS_FROM_BYTES up: on a small model a thread's start-up, about 50 ms of the other core and 30 MiB, costs more than
 * it saves). Registers the offload and returns stop() (ends the workers, unregisters it) and stats(); null when none run.
 */
export function startWeightWorkers(
  inputBytes: number,
  env: NodeJS.ProcessEnv = process.env,
): { stop(): void; stats(): WeightThreadStats } | null {
  const want = env.AVA_QUANT_WORKERS;
  if (want === '0' || (want !== '1' && inputBytes < WORKERS_FROM_BYTES)) return null;
  const pool = weightQuantizePool();
  if (!pool) return null;
  setWeightOffload(pool.offload);
  return {
    stats: pool.stats,
    stop() {
      setWeightOffload(null);
      pool.close();
    },
  };
}
