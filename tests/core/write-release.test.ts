/**
 * The writer gives a lazy piece's bytes back (LazyPart.release, src/core/io/write.ts writePieces) only once the sink's
 * write that held them has settled, so a producer that reuses them (src/core/io/pool.ts recycle) never overwrites
 * bytes a sink still reads: a sink that checks its input only before settling sees the bytes it was given, big pieces
 * (written alone) and small ones (gathered into a chunk) alike, and the buffers are reused.
 */
import { describe, expect, it } from 'vitest';
import { writePieces } from '../../src/core/io/write.js';
import { type LazyPart, type Piece, concatParts, lazyComputed } from '../../src/core/onnx/writer.js';
import { recycle, takeBuffer } from '../../src/core/io/pool.js';
import { lateCheckingSink } from '../helpers/sinks.js';

describe('writePieces gives lazy bytes back after the write', () => {
  it('calls release once per read, with the array read() gave, never while a write is in progress', async () => {
    const sink = lateCheckingSink();
    const given: Uint8Array[] = [];
    const released: Uint8Array[] = [];
    const piece = (n: number, v: number): LazyPart => ({
      lazy: true,
      length: n,
      async read() {
        await new Promise((r) => setTimeout(r, 1));
        const b = new Uint8Array(n).fill(v);
        given.push(b);
        return b;
      },
      release(b) {
        expect(sink.writing).toBe(false);
        released.push(b);
      },
    });
    const pieces: Piece[] = [];
    const want: Uint8Array[] = [];
    for (let i = 0; i < 24; i++) {
      const n = i % 3 === 0 ? (2 << 20) + i : 100 + i; // big pieces are written alone, small ones gathered
      pieces.push(Uint8Array.of(0xee), piece(n, i));
      want.push(Uint8Array.of(0xee), new Uint8Array(n).fill(i));
    }
    await writePieces(pieces, sink, { lookaheadPieces: 4 });
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(concatParts(want)))).toBe(true);
    expect(released.length).toBe(24);
    expect(new Set(released)).toEqual(new Set(given));
  });

  it('a producer recycling through the pool: every chunk stays intact while the sink holds it, and buffers are reused', async () => {
    const sink = lateCheckingSink();
    const n = (3 << 20) + 17;
    const pieces: Piece[] = [];
    for (let i = 0; i < 30; i++)
      pieces.push(
        lazyComputed(
          n,
          async () => {
            await new Promise((r) => setTimeout(r, 1));
            return takeBuffer(n).fill(i + 1); // a reused buffer is overwritten here
          },
          `t${i}`,
          recycle,
        ),
      );
    await writePieces(pieces, sink, { lookaheadBytes: 16 << 20 });
    const got = sink.bytes();
    for (let i = 0; i < 30; i++) expect(got.subarray(i * n, (i + 1) * n).every((x) => x === i + 1)).toBe(true);
    expect(new Set(sink.buffers).size).toBeLessThan(12); // at most the lookahead's worth in flight, then reused
  });
});
