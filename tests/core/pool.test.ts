/**
 * Pooled read buffers (src/core/io/pool.ts withBytes): the bytes are the file's, a buffer is reused by the next read
 * of its size class once its user is done (also after the user threw), small reads and sources without readInto are
 * plain reads, and quantization through pooled reads gives the same bytes as before (the INT8 / FP16 suites hold).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { pooledBytes, pooling, withBytes } from '../../src/core/io/pool.js';
import { simd } from '../../src/core/kernels/simd.js';
import { bytesSource } from '../../src/core/io/source.js';
import { fileSource } from '../../src/node/files.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';

const path = pathOf(fixture(MINILM));
const bytes = new Uint8Array(readFileSync(path));

describe('withBytes', () => {
  it('reads the bytes asked for and reuses one buffer per size class once its user is done', async () => {
    const src = fileSource(path);
    pooling.wasmSlots = false; // the pool proper (the kernels' memory slots are the first choice: next test)
    try {
      const seen: ArrayBufferLike[] = [];
      for (const [o, n] of [
        [1000, 3 << 20],
        [5 << 20, (3 << 20) - 7], // same 1 MiB class: the same buffer
        [7, 2 << 20], // another class: another buffer
      ] as [number, number][]) {
        const same = await withBytes(src, o, n, undefined, (b) => {
          seen.push(b.buffer);
          expect(b.byteOffset).toBe(0);
          return Buffer.from(b).equals(Buffer.from(bytes.subarray(o, o + n)));
        });
        expect(same).toBe(true);
      }
      expect(seen[1]).toBe(seen[0]);
      expect(seen[2]).not.toBe(seen[0]);
      expect(pooledBytes()).toBeGreaterThanOrEqual((3 << 20) + (2 << 20));
      // a user that throws still gives the buffer back: the next read of that class gets it
      await expect(
        withBytes(src, 0, 3 << 20, undefined, () => {
          throw new Error('use failed');
        }),
      ).rejects.toThrow('use failed');
      await withBytes(src, 0, 3 << 20, undefined, (b) => expect(b.buffer).toBe(seen[0]));
      // while one user holds a buffer, a second read of the class gets another
      await withBytes(src, 0, 3 << 20, undefined, async (outer) => {
        await withBytes(src, 0, 3 << 20, undefined, (inner) => expect(inner.buffer).not.toBe(outer.buffer));
      });
    } finally {
      pooling.wasmSlots = true;
      await src.close();
    }
  });

  it('bytes in memory, small reads and reads over 16 MiB are plain reads (not pooled)', async () => {
    const mem = bytesSource(bytes);
    await withBytes(mem, 100, 2 << 20, undefined, (b) => expect(b.buffer).toBe(bytes.buffer));
    const src = fileSource(path);
    try {
      await withBytes(src, 100, 4096, undefined, (b) => expect(Buffer.from(b).equals(Buffer.from(bytes.subarray(100, 4196)))).toBe(true));
      const before = pooledBytes();
      await withBytes(src, 0, 17 << 20, undefined, (b) => expect(b.length).toBe(17 << 20));
      expect(pooledBytes()).toBe(before);
    } finally {
      await src.close();
    }
  });

  it('reads into a free slot of the kernels memory first, and gives the slot back after the user (also when it throws)', async () => {
    const src = fileSource(path);
    const k = simd()!;
    try {
      const free = k.free.length;
      const seen: number[] = [];
      for (let i = 0; i < 3; i++)
        await withBytes(src, 1000, 3 << 20, undefined, (b) => {
          expect(b.buffer).toBe(k.x.memory.buffer);
          expect(b.byteOffset % 65536).toBe(0);
          expect(k.free.length).toBe(free - 1);
          seen.push(b.byteOffset);
          expect(Buffer.from(b).equals(Buffer.from(bytes.subarray(1000, 1000 + (3 << 20))))).toBe(true);
        });
      expect(new Set(seen).size).toBe(1); // the same slot each time
      await expect(
        withBytes(src, 0, 2 << 20, undefined, () => {
          throw new Error('use failed');
        }),
      ).rejects.toThrow('use failed');
      expect(k.free.length).toBe(free);
      // all slots taken: an ordinary pooled buffer
      const held = k.free.splice(0);
      try {
        await withBytes(src, 0, 2 << 20, undefined, (b) => expect(b.buffer).not.toBe(k.x.memory.buffer));
      } finally {
        k.free.push(...held);
      }
    } finally {
      await src.close();
    }
  });
});
