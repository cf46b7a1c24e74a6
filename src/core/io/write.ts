/**
 * Streaming an output to a sink: pieces are written in order; lazy pieces (input ranges, tensors a mode computes)
 * are read just ahead of the write position, a bounded number of bytes at a time, so a whole output is never held
 * in memory and computing the next tensor overlaps writing this one.
 */
import { type LazyPart, type Piece, concatParts } from '../onnx/writer.js';

/** Where output bytes go: a file (Node), an origin-private or user-picked file (browser), memory (tests). */
export interface ByteSink {
  /**
   * Appends `chunk`. The sink must not keep a reference to it after the promise settles, nor read it after: the
   * writer then hands its memory back for reuse (LazyPart.release, the reused buffers of chunked pieces), so a sink
   * that finishes with the bytes later (a queued write, a hash computed elsewhere) copies them first.
   */
  write(chunk: Uint8Array): Promise<void>;
}

export interface WriteOptions {
  signal?: AbortSignal;
  /** Bytes written so far, of `total`; `label` names the tensor being written. */
  onProgress?: (done: number, total: number, label?: string) => void;
  /** Upper bound of bytes read ahead of the write position (default 64 MiB; at least one piece). */
  lookaheadBytes?: number;
  /** Upper bound of lazy pieces being computed at once (default 16; finished pieces waiting to be written count only in bytes). */
  lookaheadPieces?: number;
}

/** Small pieces are gathered into chunks of about this size before a write. */
const CHUNK = 1 << 20;
/** The writer lets other tasks run (an abort message, a timer) at least this often. */
const YIELD_MS = 25;

/**
 * Lets queued tasks run (messages, timers) without the 4 ms clamp of nested setTimeout(0): scheduler.yield where
 * the browser has it, setImmediate in Node, a MessageChannel round trip elsewhere.
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { scheduler?: { yield?: () => Promise<void> }; setImmediate?: (cb: () => void) => unknown };
  if (g.scheduler?.yield) return g.scheduler.yield();
  if (g.setImmediate) return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(0);
  });
}

/**
 * Writes `pieces` to `sink` in order. Rejects with the first error (a failed read, a failed write, or the
 * signal's reason); pieces already started are awaited (errors ignored) before rejecting, so nothing keeps running.
 * A lazy piece's bytes go back to it (LazyPart.release) once the sink's write that held them has settled
 * successfully (on an error they are dropped). Returns the number of bytes written.
 */
export async function writePieces(pieces: readonly Piece[], sink: ByteSink, opts: WriteOptions = {}): Promise<number> {
  const total = pieces.reduce((a, p) => a + p.length, 0);
  const maxBytes = opts.lookaheadBytes ?? 64 * 1024 * 1024;
  const maxPieces = opts.lookaheadPieces ?? 16;
  const inflight = new Map<number, Promise<Uint8Array>>();
  let inflightBytes = 0;
  let next = 0; // next piece index to consider starting
  let done = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let pendingReleases: (() => void)[] = []; // of the lazy pieces in `pending`, once their chunk is written
  const signal = opts.signal;

  let computing = 0; // pieces started and not yet settled (finished ones wait in `inflight` for their turn)
  let stopped = false;
  const start = (): void => {
    while (!stopped && next < pieces.length) {
      const p = pieces[next]!;
      if (p instanceof Uint8Array || p.chunks) {
        next++; // bytes already here, or a piece streamed chunk by chunk when its turn comes (writeChunks)
        continue;
      }
      if (inflight.size > 0 && (computing >= maxPieces || inflightBytes + p.length > maxBytes)) return;
      const read = (p as LazyPart).read(signal);
      computing++;
      // When a piece is done, the next ones start even while the writer waits on the sink (a big write must not
      // leave the work idle); errors are taken when the piece's turn comes.
      read.then(
        () => {
          computing--;
          start();
        },
        () => {
          computing--;
        },
      );
      inflight.set(next, read);
      inflightBytes += p.length;
      next++;
    }
  };
  const flush = async (): Promise<void> => {
    if (!pendingBytes) return;
    const chunk = pending.length === 1 ? pending[0]! : concatParts(pending);
    const releases = pendingReleases;
    pending = [];
    pendingBytes = 0;
    pendingReleases = [];
    await sink.write(chunk);
    for (const r of releases) r();
  };

  let lastYield = Date.now();
  try {
    for (let i = 0; i < pieces.length; i++) {
      if (Date.now() - lastYield > YIELD_MS) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
      signal?.throwIfAborted();
      const p = pieces[i]!;
      let bytes: Uint8Array;
      let label: string | undefined;
      let release: (() => void) | undefined;
      if (!(p instanceof Uint8Array) && p.chunks) {
        await flush();
        const wrote = await writeChunks(p, sink, signal, (n) => {
          done += n;
          opts.onProgress?.(done, total, p.label);
        });
        if (wrote !== p.length) throw new Error(`internal error: a piece of ${p.length} bytes was produced as ${wrote}`);
        start();
        continue;
      }
      if (p instanceof Uint8Array) bytes = p;
      else {
        if (next <= i) next = i; // never skip a lazy piece
        start();
        const r = inflight.get(i) ?? p.read(signal);
        bytes = await r;
        inflight.delete(i);
        inflightBytes -= p.length;
        label = p.label;
        if (bytes.length !== p.length) throw new Error(`internal error: a piece of ${p.length} bytes read as ${bytes.length}`);
        const give = p.release;
        const b = bytes;
        if (give) release = () => give.call(p, b);
        start(); // the next pieces compute while this one is written
      }
      if (bytes.length >= CHUNK) {
        await flush();
        await sink.write(bytes);
        release?.();
      } else {
        pending.push(bytes);
        if (release) pendingReleases.push(release);
        pendingBytes += bytes.length;
        if (pendingBytes >= CHUNK) await flush();
      }
      done += bytes.length;
      opts.onProgress?.(done, total, label);
      start();
    }
    await flush();
  } catch (e) {
    stopped = true;
    await Promise.allSettled(inflight.values());
    throw e;
  }
  return done;
}

/**
 * Writes a chunked piece as it is produced: chunk k + 1 is computed while chunk k is written (two chunks in memory
 * at most). On an error (a failed chunk, a failed write, the signal) the producer is closed and the error rethrown.
 * Returns the bytes written; `onWritten` gets each chunk's length.
 */
async function writeChunks(p: LazyPart, sink: ByteSink, signal: AbortSignal | undefined, onWritten: (n: number) => void): Promise<number> {
  const it = p.chunks!(signal)[Symbol.asyncIterator]();
  let wrote = 0;
  let pending = it.next();
  try {
    for (;;) {
      const r = await pending;
      if (r.done) return wrote;
      pending = it.next();
      signal?.throwIfAborted();
      await sink.write(r.value);
      wrote += r.value.length;
      onWritten(r.value.length);
    }
  } catch (e) {
    await pending.catch(() => undefined);
    await it.return?.();
    throw e;
  }
}

/** A sink that keeps everything in memory (tests, small outputs). */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    write(chunk) {
      chunks.push(chunk.slice());
      return Promise.resolve();
    },
    bytes: () => concatParts(chunks),
  };
}
