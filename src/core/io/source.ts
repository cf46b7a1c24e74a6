/**
 * Random-access byte sources: where a model file or an external-data file is read from. Every mode reads tensor
 * bytes through one of these by offset and length, so no whole file is ever held in one buffer: a dropped `File`
 * in the browser (`Blob.slice`), a file handle in Node (src/node/file-source.ts), or bytes already in memory.
 */
import { OnnxFormatError } from '../onnx/errors.js';

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
   * The range as a Blob without reading it, when the source is itself a Blob (browser File): output Blobs built
   * from such slices copy nothing.
   */
  slice?(offset: number, length: number): Blob;
  /** The whole content when it is already in memory (tests, small inputs): lets readers skip the async path. */
  readonly bytes?: Uint8Array;
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
        throw new Error(`could not read '${name}': got ${buf.byteLength} of ${length} bytes (was the file changed or removed?)`);
      return new Uint8Array(buf);
    },
    slice(offset, length) {
      checkRange(name, blob.size, offset, length);
      return blob.slice(offset, offset + length);
    },
  };
}

/**
 * Reads ranges of `src` one after another through one reused buffer, so a loop over the chunks of a big tensor
 * allocates nothing per chunk. The array a call returns (length bytes, starting at a multiple of 4 bytes within its
 * buffer when `src` has readInto) is valid only until the next call: consume it before reading again, and never
 * keep it (read() gives arrays to keep). In memory (`src.bytes`) each call is a view, no copy; with readInto the
 * buffer grows to the longest length asked and is reused; otherwise each call is a plain read().
 */
export function chunkReader(src: ByteSource): (offset: number, length: number, signal?: AbortSignal) => Promise<Uint8Array> {
  if (src.bytes || !src.readInto) return (offset, length, signal) => src.read(offset, length, signal);
  let buf = new Uint8Array(0);
  return async (offset, length, signal) => {
    if (buf.length < length) buf = new Uint8Array(length);
    const into = buf.subarray(0, length);
    await src.readInto!(offset, into, signal);
    return into;
  };
}

/** Reads a whole (small) source into memory. */
export function readAll(src: ByteSource, signal?: AbortSignal): Promise<Uint8Array> {
  return src.bytes ? Promise.resolve(src.bytes) : src.read(0, src.size, signal);
}
