/**
 * Pooled buffers (src/core/io/pool.ts). withBytes: the bytes are the file's, a buffer is reused by the next read of its
 * size class once its user is done (also after the user threw), small reads and sources without readInto are plain
 * reads, and quantization through pooled reads gives the same bytes as before (the INT8 / FP16 suites hold).
 * takeBuffer / recycle: a buffer given back is lent again, only the pool's own buffers are taken back (once), and the
 * pool never keeps more than its bound (the classes given back longest ago make room).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { pooledBytes, pooling, recycle, takeBuffer, withBytes } from '../../src/core/io/pool.js';
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

  it('bytes in memory, small reads and reads over 64 MiB are plain reads (not pooled)', async () => {
    const mem = bytesSource(bytes);
    await withBytes(mem, 100, 2 << 20, undefined, (b) => expect(b.buffer).toBe(bytes.buffer));
    const src = fileSource(path);
    try {
      await withBytes(src, 100, 4096, undefined, (b) => expect(Buffer.from(b).equals(Buffer.from(bytes.subarray(100, 4196)))).toBe(true));
      const before = pooledBytes();
      await withBytes(src, 0, 65 << 20, undefined, (b) => expect(b.length).toBe(65 << 20));
      expect(pooledBytes()).toBe(before);
    } finally {
      await src.close();
    }
  });

  it('a read of 16–64 MiB (too big for a kernel slot) goes to a pooled buffer, reused by the next read of its class', async () => {
    const src = fileSource(path);
    const k = simd()!;
    try {
      const seen: ArrayBufferLike[] = [];
      for (const o of [0, 4096])
        await withBytes(src, o, (17 << 20) + 5, undefined, (b) => {
          expect(b.buffer).not.toBe(k.x.memory.buffer);
          expect(Buffer.from(b).equals(Buffer.from(bytes.subarray(o, o + (17 << 20) + 5)))).toBe(true);
          seen.push(b.buffer);
        });
      expect(seen[1]).toBe(seen[0]);
      expect(pooledBytes()).toBeGreaterThanOrEqual(18 << 20);
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

describe('takeBuffer / recycle', () => {
  it('lends a buffer given back again, and a new one while the first is out', () => {
    const a = takeBuffer((3 << 20) - 1);
    expect(a.length).toBe((3 << 20) - 1);
    expect(a.byteOffset).toBe(0);
    const b = takeBuffer(3 << 20); // same class, a is still out: another buffer
    expect(b.buffer).not.toBe(a.buffer);
    recycle(a);
    const c = takeBuffer((2 << 20) + 1); // same 3 MiB class: a's buffer
    expect(c.buffer).toBe(a.buffer);
    expect(c.length).toBe((2 << 20) + 1);
    recycle(b);
    recycle(c);
  });

  it('ignores arrays it did not lend, arrays outside 1–64 MiB, and a second recycle of one take', () => {
    const before = pooledBytes();
    recycle(new Uint8Array(5 << 20)); // a plain array
    recycle(new Uint8Array(bytes.buffer, 0, 5 << 20)); // a view of a file's bytes
    recycle(simd()!.u8.subarray(0, 5 << 20)); // the kernels' memory
    const small = takeBuffer(1000);
    recycle(small);
    expect(pooledBytes()).toBe(before);
    const a = takeBuffer(5 << 20);
    recycle(a);
    recycle(a); // once per take: the second is ignored, so two takes get two buffers
    const x = takeBuffer(5 << 20);
    const y = takeBuffer(5 << 20);
    expect(x.buffer).toBe(a.buffer);
    expect(y.buffer).not.toBe(a.buffer);
    expect(takeBuffer(1000).buffer).not.toBe(small.buffer);
  });

  it('keeps at most 128 MiB, making room with the classes given back longest ago', () => {
    const lent = Array.from({ length: 20 }, () => takeBuffer(8 << 20)); // 160 MiB of one class
    const newer = takeBuffer(7 << 20);
    for (const b of lent) {
      recycle(b);
      expect(pooledBytes()).toBeLessThanOrEqual(128 << 20);
    }
    expect(pooledBytes()).toBe(128 << 20);
    recycle(newer); // the 8 MiB class was given back before: one of its buffers makes room
    expect(pooledBytes()).toBe((120 << 20) + (7 << 20));
    expect(takeBuffer(7 << 20).buffer).toBe(newer.buffer);
    // 15 of the 8 MiB buffers stayed, reused in turn
    const again = Array.from({ length: 15 }, () => takeBuffer(8 << 20).buffer);
    expect(again.every((b) => lent.some((l) => l.buffer === b))).toBe(true);
    expect(takeBuffer(8 << 20).buffer).not.toBe(again[0]);
  });
});
