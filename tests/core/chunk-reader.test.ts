/**
 * Reading chunks through one reused buffer (ByteSource.readInto, chunkReader): the same bytes as read(), no new
 * buffer per chunk for a Node file, views for bytes in memory, and the same range errors.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvaError } from '../../src/core/errors.js';
import { type ByteSource, blobSource, bytesSource, chunkReader } from '../../src/core/io/source.js';
import { fileSource } from '../../src/node/files.js';
import { float32BytesToFloat16 } from '../../src/core/onnx/float16.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';

const path = pathOf(fixture(MINILM));
const bytes = new Uint8Array(readFileSync(path));
const ranges: [number, number][] = [
  [0, 1 << 20],
  [12_345, 3 << 20],
  [bytes.length - 100, 100],
  [7, 0],
  [5 << 20, 2 << 20],
];

describe('chunkReader', () => {
  it('Node file: readInto fills the given array with the bytes read() returns', async () => {
    const src = fileSource(path);
    try {
      const into = new Uint8Array(4096);
      await src.readInto!(1000, into);
      expect(Buffer.from(into).equals(Buffer.from(bytes.subarray(1000, 5096)))).toBe(true);
      expect(Buffer.from(await src.read(1000, 4096)).equals(Buffer.from(into))).toBe(true);
      await expect(src.readInto!(bytes.length - 10, new Uint8Array(11))).rejects.toThrow(/too short/);
      const ac = new AbortController();
      ac.abort(new Error('stopped'));
      await expect(src.readInto!(0, new Uint8Array(8), ac.signal)).rejects.toThrow('stopped');
    } finally {
      await src.close();
    }
  });

  it('Node file: every chunk is the file bytes, through one buffer (no new buffer per chunk)', async () => {
    const src = fileSource(path);
    try {
      const read = chunkReader(src);
      const buffers = new Set<ArrayBufferLike>();
      for (const [o, n] of ranges) {
        const got = await read(o, n);
        expect(got.length).toBe(n);
        expect(got.byteOffset).toBe(0);
        expect(Buffer.from(got).equals(Buffer.from(bytes.subarray(o, o + n)))).toBe(true);
        buffers.add(got.buffer);
      }
      // grown once, for the 3 MiB chunk after the first 1 MiB one; reused for the rest
      expect(buffers.size).toBe(2);
      await expect(read(bytes.length - 1, 2)).rejects.toThrow(/too short/);
    } finally {
      await src.close();
    }
  });

  it('bytes in memory: views without copying; a Blob: fresh arrays from read()', async () => {
    const mem = chunkReader(bytesSource(bytes));
    const blob = chunkReader(blobSource(new Blob([bytes]), 'model.onnx'));
    for (const [o, n] of ranges) {
      const v = await mem(o, n);
      expect(v.buffer).toBe(bytes.buffer);
      expect(v.byteOffset).toBe(o);
      const b = await blob(o, n);
      expect(Buffer.from(b).equals(Buffer.from(bytes.subarray(o, o + n)))).toBe(true);
    }
  });
});

describe('a file that changes or goes away while it is read', () => {
  it('is a read error naming the file (AvaError kind read, exit 3 in the CLI), not an internal error', async () => {
    const d = mkdtempSync(join(tmpdir(), 'ava-shrink-'));
    try {
      const p = join(d, 'model.onnx_data');
      writeFileSync(p, bytes.subarray(0, 1 << 20));
      const src = fileSource(p); // size taken now: 1 MiB
      truncateSync(p, 1000);
      const e = await src.readInto!(0, new Uint8Array(4096)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AvaError);
      expect(e).toMatchObject({
        kind: 'read',
        message: expect.stringMatching(/model\.onnx_data: it ended at byte 1000 \(was it changed while reading\?\)/),
      });
      await src.close();
      const gone = fileSource(p);
      rmSync(p);
      const g = await gone.read(0, 10).catch((x: unknown) => x);
      expect(g).toMatchObject({ kind: 'read', message: expect.stringMatching(/could not read .*model\.onnx_data: .*ENOENT/) });
      await gone.close();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('chunkReader read-ahead over a region', () => {
  /** A source over `bytes` that logs each readInto / read as it starts, and fails the ranges in `failAt`. */
  const logged = (withReadInto: boolean, failAt = new Set<number>()) => {
    const log: number[] = [];
    const base = bytesSource(bytes);
    const src: ByteSource = {
      name: 'logged',
      size: bytes.length,
      read: async (o, n, signal) => {
        log.push(o);
        if (failAt.has(o)) throw new Error(`disk error at ${o}`);
        return (await base.read(o, n, signal)).slice();
      },
      ...(withReadInto
        ? {
            readInto: async (o: number, into: Uint8Array) => {
              log.push(o);
              await Promise.resolve();
              if (failAt.has(o)) throw new Error(`disk error at ${o}`);
              into.set(bytes.subarray(o, o + into.length));
            },
          }
        : {}),
    };
    return { src, log };
  };
  const region = { start: 1000, end: 1000 + 10 * 4096 + 123 };
  const walk = function* (): Generator<[number, number]> {
    for (let o = region.start; o < region.end; o += 4096) yield [o, Math.min(4096, region.end - o)];
  };

  for (const withReadInto of [true, false])
    it(`${withReadInto ? 'readInto (two buffers)' : 'read (a Blob)'}: the next chunk is asked for before the caller asks, bytes right over two passes`, async () => {
      const { src, log } = logged(withReadInto);
      const read = chunkReader(src, { ...region, passes: 2 });
      const buffers = new Set<ArrayBufferLike>();
      for (let pass = 0; pass < 2; pass++)
        for (const [o, n] of walk()) {
          const got = await read(o, n);
          expect(Buffer.from(got).equals(Buffer.from(bytes.subarray(o, o + n)))).toBe(true);
          buffers.add(got.buffer);
          // the chunk after this one (or the first, when a pass remains) is already being read
          const next = o + n < region.end ? o + n : pass === 0 ? region.start : null;
          if (next !== null) expect(log.at(-1)).toBe(next);
        }
      // every range read exactly once per pass: nothing read twice, nothing read past the last pass
      expect(log.length).toBe(2 * [...walk()].length);
      if (withReadInto) expect(buffers.size).toBe(2);
    });

  it('calls out of order still get the right bytes; a failed read-ahead rejects only the call that asks for it', async () => {
    const chunks = [...walk()];
    const bad = chunks[3]![0];
    const { src } = logged(true, new Set([bad]));
    const read = chunkReader(src, region);
    for (const i of [0, 5, 2]) {
      const [o, n] = chunks[i]!;
      expect(Buffer.from(await read(o, n)).equals(Buffer.from(bytes.subarray(o, o + n)))).toBe(true);
    }
    // chunk 3 was read ahead after chunk 2 and failed: asking for it rejects; asking for another one does not
    await expect(read(...chunks[3]!)).rejects.toThrow(`disk error at ${bad}`);
    const [o, n] = chunks[7]!;
    expect(Buffer.from(await read(o, n)).equals(Buffer.from(bytes.subarray(o, o + n)))).toBe(true);
  });
});

describe('float32BytesToFloat16 into a given array', () => {
  it('writes the same bytes as into a new array, aligned or not, and refuses a wrong size', () => {
    const src = bytes.subarray(1 << 20, (1 << 20) + 40_000);
    const fresh = float32BytesToFloat16(src, { minPositive: 5.96e-8, maxFinite: 65504 });
    for (const shift of [0, 1]) {
      const s = bytes.subarray((1 << 20) + shift, (1 << 20) + shift + 40_000);
      const want = float32BytesToFloat16(s, { minPositive: 5.96e-8, maxFinite: 65504 });
      const out = new Uint8Array(20_004);
      const got = float32BytesToFloat16(s, { minPositive: 5.96e-8, maxFinite: 65504 }, undefined, out.subarray(2, 20_002));
      expect(got.buffer).toBe(out.buffer);
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    }
    expect(fresh.length).toBe(20_000);
    expect(() => float32BytesToFloat16(src, { minPositive: 0, maxFinite: 65504 }, undefined, new Uint8Array(19_998))).toThrow(RangeError);
    expect(() =>
      float32BytesToFloat16(src, { minPositive: 0, maxFinite: 65504 }, undefined, new Uint8Array(20_002).subarray(1, 20_001)),
    ).toThrow(RangeError);
  });
});
