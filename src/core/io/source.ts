/**
 * Random-access byte sources: where a model file or an external-data file is read from. Every mode reads tensor
 * bytes through one of these by offset and length, so no whole file is ever held in one buffer: a dropped `File`
 * in the browser (`Blob.slice`), a file handle in Node (src/node/file-source.ts), or bytes already in memory.
 */
import { OnnxFormatError } from '../onnx/errors.js';
import { FileReadError } from '../errors.js';

export interface ByteSource {
  /** File name (or external-data location) for messages. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /**
   * Exactly `length` bytes starting at `offset` (a fresh or view Uint8Array; callers must not write to it).
   * Rejects with OnnxFormatError when the range runs past the end of the source, with the signal's reason when
   * aborted, and with the underlying error when the read fails.
   */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Fills `into` with the `into.length` bytes starting at `offset`, allocating nothing (a Node file handle reads
   * straight into it): for loops over the chunks of a big tensor through one reused buffer (see chunkReader). Same
   * errors as read(). Optional: a Blob has no read-into (`arrayBuffer()` always returns a new buffer, and a BYOB
   * reader of `blob.stream()` detaches the buffer it fills), so Blob sources are read with read().
   */
  readInto?(offset: number, into: Uint8Array, signal?: AbortSignal): Promise<void>;
  /**
   * read() without waiting: the bytes now, for the many small reads of opening a model (openModel's 64 KiB windows,
   * one or more per tensor), which through an asynchronous read each wait a round trip of Node's I/O thread pool
   * (about 0.1–0.2 ms; opening a written 2.2 GB model's output made 683 of them). Same errors as read(), thrown.
   * Optional: only a source that can read without blocking for long has it (a Node file, from the page cache).
   */
  readSync?(offset: number, length: number): Uint8Array;
  /**
   * The range as a Blob without reading it, when the source is itself a Blob (browser File): output Blobs built
   * from such slices copy nothing.
   */
  slice?(offset: number, length: number): Blob;
  /** The whole content when it is already in memory (tests, small inputs): lets readers skip the async path. */
  readonly bytes?: Uint8Array;
  /**
   * The end (exclusive) of the bytes from `offset` on that can be read without computing anything, for a source
   * some of whose bytes are made only when read (a mode's output read as the next mode's input,
   * src/core/onnx/pieces-source.ts): a reader that reads ahead on speculation (openModel's scan of the structure)
   * stops there, so it never makes a tensor it will skip. Equal to `offset` when the byte at `offset` is computed.
   * Optional: in a file every byte is as cheap as the next.
   */
  readAheadEnd?(offset: number): number;
  /**
   * Why this file must not be read as a model's external data, when it must not (a link that leads out of the model's
   * folder, not a regular file): the model is then refused with this reason, as for a `../` location. Set by the
   * Node file layer (src/node/files.ts).
   */
  readonly refused?: string;
}

/** Throws when [offset, offset + length) is not inside a source of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!(offset >= 0 && length >= 0 && Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset + length <= size))
    throw new OnnxFormatError(
      `'${name}' is ${size.toLocaleString('en-US')} bytes, but bytes ${offset.toLocaleString('en-US')}–${(offset + length).toLocaleString('en-US')} were asked for (the file is too short)`,
    );
}

/** A source over bytes in memory. Reads are views (no copy). */
export function bytesSource(bytes: Uint8Array, name = 'model.onnx'): ByteSource {
  return {
    name,
    size: bytes.length,
    bytes,
    read(offset, length, signal) {
      signal?.throwIfAborted();
      checkRange(name, bytes.length, offset, length);
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}

/**
 * A source over a Blob or File. Each read is `blob.slice(a, b).arrayBuffer()`, which works at any file size
 * (reading a > 2 GB File whole fails in Chromium; slices do not).
 */
export function blobSource(blob: Blob, name = (blob as File).name ?? 'model.onnx'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length, signal) {
      signal?.throwIfAborted();
      checkRange(name, blob.size, offset, length);
      const buf = await blob.slice(offset, offset + length).arrayBuffer();
      signal?.throwIfAborted();
      if (buf.byteLength !== length)
        throw new FileReadError(`could not read '${name}': got ${buf.byteLength} of ${length} bytes (was the file changed or removed?)`);
      return new Uint8Array(buf);
    },
    slice(offset, length) {
      checkRange(name, blob.size, offset, length);
      return blob.slice(offset, offset + length);
    },
  };
}

/** Where a chunkReader's reads fall, so it can read the next chunk while the caller works on this one. */
export interface ChunkRange {
  /** First byte of the region the caller reads chunk by chunk, in order. */
  start: number;
  /** End of that region (exclusive): nothing past it is read ahead. */
  end: number;
  /**
   * How many times the caller walks the region from start to end (default 1): a two-pass kernel (range, then
   * values) passes 2, so the first chunk of the second pass is read while the last of the first is processed.
   */
  passes?: number;
  /**
   * Where the two read buffers come from (default: new arrays): e.g. slots of the WebAssembly kernels' memory
   * (src/core/kernels/simd.ts leaseSlot), so kernels read the chunks in place. Called when a buffer must grow; what
   * it returns must hold `length` bytes.
   */
  alloc?: (length: number) => Uint8Array;
}

/**
 * Reads ranges of `src` one after another. The array a call returns is valid only until the next call: consume it
 * before reading again, and never keep it (read() gives arrays to keep). In memory (`src.bytes`) each call is a
 * view, no copy. Otherwise, given the `region` the calls walk, each call also starts reading the chunk that follows
 * (same length, clipped to the region; after the region's end the start again while passes remain), so reading
 * overlaps the caller's work on this chunk (the read runs on the I/O thread of Node or the browser). With readInto
 * that takes two buffers, reused, each as long as the longest length asked (arrays start at a multiple of 4 bytes
 * within their buffer); without it (a Blob), one chunk more is held. A call that does not ask for the chunk read ahead
 * waits for that read to settle, ignores it and reads what it asked for, so any order of calls gives the right bytes.
 * Errors: as src.read(); a failed read-ahead rejects only the call that asks for that chunk.
 */
export function chunkReader(
  src: ByteSource,
  region?: ChunkRange,
): (offset: number, length: number, signal?: AbortSignal) => Promise<Uint8Array> {
  if (src.bytes) return (offset, length, signal) => src.read(offset, length, signal);
  const buffers: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  let turn = 0;
  let passesLeft = (region?.passes ?? 1) - 1;
  let firstLength = 0;
  let ahead: { offset: number; length: number; done: Promise<Uint8Array> } | null = null;
  const start = (offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> => {
    if (!src.readInto) return src.read(offset, length, signal);
    const b = turn;
    if (region) turn ^= 1; // without a region nothing is read ahead: one buffer
    if (buffers[b]!.length < length) buffers[b] = region?.alloc?.(length) ?? new Uint8Array(length);
    const into = buffers[b]!.subarray(0, length);
    return src.readInto(offset, into, signal).then(() => into);
  };
  return async (offset, length, signal) => {
    let done: Promise<Uint8Array>;
    if (ahead && ahead.offset === offset && ahead.length === length) done = ahead.done;
    else {
      if (ahead) await ahead.done.catch(() => undefined); // its buffer is free only once the read has settled
      done = start(offset, length, signal);
    }
    ahead = null;
    if (region) {
      if (offset === region.start) firstLength ||= length;
      let next = offset + length;
      if (next >= region.end && passesLeft > 0 && firstLength) {
        passesLeft--;
        next = region.start;
        length = firstLength;
      }
      const len = Math.min(length, region.end - next);
      if (len > 0 && next >= region.start) {
        const d = start(next, len, signal);
        d.catch(() => undefined); // rejects the call that asks for it, if any
        ahead = { offset: next, length: len, done: d };
      }
    }
    return done;
  };
}

/** Reads a whole (small) source into memory. */
export function readAll(src: ByteSource, signal?: AbortSignal): Promise<Uint8Array> {
  return src.bytes ? Promise.resolve(src.bytes) : src.read(0, src.size, signal);
}
