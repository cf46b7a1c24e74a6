/**
 * The writer's lookahead (src/core/io/write.ts writePieces): while one piece is being written, the following lazy
 * pieces are computed — bounded by bytes waiting to be written and by pieces computing at once, not by pieces that
 * are done and only wait for their turn — and the output bytes are the pieces in order whatever the timing.
 */
import { describe, expect, it } from 'vitest';
import { type ByteSink, memorySink, writePieces } from '../../src/core/io/write.js';
import { type LazyPart, type Piece, concatParts } from '../../src/core/onnx/writer.js';

/** A lazy piece of `n` bytes of value `v` that records its start, how many compute at once, and settles after a tick. */
function lazy(n: number, v: number, log: { started: number[]; computing: number; most: number }, fail = false): LazyPart {
  return {
    lazy: true,
    length: n,
    async read() {
      log.started.push(v);
      log.computing++;
      log.most = Math.max(log.most, log.computing);
      await new Promise((r) => setTimeout(r, 1));
      log.computing--;
      if (fail) throw new Error(`piece ${v} failed`);
      return new Uint8Array(n).fill(v);
    },
  };
}

/** A sink whose first write of at least `big` bytes waits until release() is called. */
function blockingSink(big: number): ByteSink & { release(): void; blocked: Promise<void>; bytes(): Uint8Array } {
  const mem = memorySink();
  let release!: () => void;
  let onBlocked!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const blocked = new Promise<void>((r) => (onBlocked = r));
  let waited = false;
  return {
    async write(chunk) {
      if (!waited && chunk.length >= big) {
        waited = true;
        onBlocked();
        await gate;
      }
      await mem.write(chunk);
    },
    release,
    blocked,
    bytes: () => mem.bytes(),
  };
}

describe('writePieces lookahead', () => {
  it('computes the small pieces after a big one while the big one is being written', async () => {
    const log = { started: [] as number[], computing: 0, most: 0 };
    const pieces: Piece[] = [lazy(4 << 20, 1, log)];
    for (let i = 0; i < 40; i++) pieces.push(Uint8Array.of(0xee), lazy(100, 2 + i, log));
    const sink = blockingSink(4 << 20);
    const done = writePieces(pieces, sink, { lookaheadPieces: 4, lookaheadBytes: 1 << 20 });
    await sink.blocked;
    // the big piece's write waits: the work goes on with the pieces behind it, four at a time at most
    for (let t = 0; t < 200 && log.started.length < 41; t++) await new Promise((r) => setTimeout(r, 2));
    expect(log.started.length).toBe(41);
    expect(log.most).toBeLessThanOrEqual(4);
    sink.release();
    await done;
    const want = concatParts(
      pieces.map((p, i) => (p instanceof Uint8Array ? p : new Uint8Array(p.length).fill(i === 0 ? 1 : 2 + (i - 2) / 2))),
    );
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(want))).toBe(true);
  });

  it('holds no more than lookaheadBytes of finished pieces waiting to be written', async () => {
    const log = { started: [] as number[], computing: 0, most: 0 };
    const pieces: Piece[] = [lazy(4 << 20, 1, log)];
    for (let i = 0; i < 40; i++) pieces.push(lazy(100_000, 2 + i, log));
    const sink = blockingSink(4 << 20);
    const done = writePieces(pieces, sink, { lookaheadPieces: 4, lookaheadBytes: 1_000_000 });
    await sink.blocked;
    await new Promise((r) => setTimeout(r, 100));
    expect(log.started.length).toBe(1 + 10); // 10 × 100 kB fill the 1 MB lookahead
    sink.release();
    expect(await done).toBe((4 << 20) + 40 * 100_000);
  });

  it('a failing piece rejects the write with its error, and nothing starts after it', async () => {
    const log = { started: [] as number[], computing: 0, most: 0 };
    const pieces: Piece[] = [];
    for (let i = 0; i < 30; i++) pieces.push(lazy(10, i, log, i === 5));
    await expect(writePieces(pieces, memorySink(), { lookaheadPieces: 4 })).rejects.toThrow('piece 5 failed');
    const seen = log.started.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(log.started.length).toBe(seen);
    expect(seen).toBeLessThan(30);
  });

  it('a piece offered chunk by chunk is written as it is produced, in order; a failure closes the producer', async () => {
    const events: string[] = [];
    const chunked = (fail: boolean): LazyPart => ({
      lazy: true,
      length: 4 * 1000,
      read: () => Promise.reject(new Error('read() is not used for a chunked piece')),
      async *chunks() {
        try {
          for (let k = 0; k < 4; k++) {
            await new Promise((r) => setTimeout(r, 1));
            if (fail && k === 2) throw new Error('chunk 2 failed');
            events.push(`made ${k}`);
            yield new Uint8Array(1000).fill(10 + k);
          }
        } finally {
          events.push('closed');
        }
      },
    });
    const sink = memorySink();
    const logged: ByteSink = {
      write: async (c) => {
        events.push(`wrote ${c[0]}`);
        await sink.write(c);
      },
    };
    const pieces: Piece[] = [Uint8Array.of(1, 2), chunked(false), Uint8Array.of(3)];
    expect(await writePieces(pieces, logged)).toBe(4003);
    const want = concatParts([Uint8Array.of(1, 2), ...[0, 1, 2, 3].map((k) => new Uint8Array(1000).fill(10 + k)), Uint8Array.of(3)]);
    expect(Buffer.from(sink.bytes()).equals(Buffer.from(want))).toBe(true);
    // the first chunk is written before the last is made (at most one chunk made ahead of the writer)
    expect(events.indexOf('wrote 10')).toBeLessThan(events.indexOf('made 3'));
    events.length = 0;
    await expect(writePieces([chunked(true)], memorySink())).rejects.toThrow('chunk 2 failed');
    expect(events).toContain('closed');
  });
});
