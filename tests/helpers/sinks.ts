/**
 * Sinks for writer tests (src/core/io/write.ts ByteSink).
 */
import type { ByteSink } from '../../src/core/io/write.js';
import { concatParts } from '../../src/core/onnx/writer.js';

/**
 * A sink that keeps each chunk until a timer fires (the writer computes the pieces ahead meanwhile), then checks the
 * chunk still holds what it held when given (throws 'the chunk changed while the sink held it' otherwise) and keeps a
 * copy. `writing` is true while a write is in progress; `buffers` are the buffers of the chunks of 1 MiB or more.
 */
export function lateCheckingSink(): ByteSink & { writing: boolean; bytes(): Uint8Array; buffers: ArrayBufferLike[] } {
  const out: Uint8Array[] = [];
  const sink = {
    writing: false,
    buffers: [] as ArrayBufferLike[],
    async write(chunk: Uint8Array) {
      sink.writing = true;
      const copy = chunk.slice();
      if (chunk.length >= 1 << 20) sink.buffers.push(chunk.buffer);
      await new Promise((r) => setTimeout(r, 2));
      if (!Buffer.from(chunk).equals(Buffer.from(copy))) throw new Error('the chunk changed while the sink held it');
      out.push(copy);
      sink.writing = false;
    },
    bytes: () => concatParts(out),
  };
  return sink;
}
