/**
 * An input renamed over while a run reads it (src/node/files.ts fileSource, sha256File): every reader opens the file
 * it was made for, checked by device and inode, so a run never mixes two files (the structure of one, the weights or
 * the hash of another). A newcomer's break-test mixed them in 6 of 12 runs before this check.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource, sha256File } from '../../src/node/files.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-replaced-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file `a` of 1 MiB of 1s, and its replacement `b` of 2s, not yet in place. */
function pair(name: string): { a: string; b: string } {
  const a = join(dir, name);
  const b = join(dir, `${name}.new`);
  writeFileSync(a, new Uint8Array(1 << 20).fill(1));
  writeFileSync(b, new Uint8Array(1 << 20).fill(2));
  return { a, b };
}

describe('an input replaced while it is read', () => {
  it('a source opened before the replacement keeps reading the file it was made for', async () => {
    const { a, b } = pair('kept.bin');
    const src = fileSource(a);
    try {
      expect(src.readSync!(0, 4)).toEqual(new Uint8Array(4).fill(1));
      expect(await src.read(100, 4)).toEqual(new Uint8Array(4).fill(1));
      renameSync(b, a);
      expect(src.readSync!(200, 4)).toEqual(new Uint8Array(4).fill(1));
      expect(await src.read(300, 4)).toEqual(new Uint8Array(4).fill(1));
    } finally {
      await src.close();
    }
  });

  it('a source whose file is replaced before it opens refuses to read the other file (both ways of reading)', async () => {
    const { a, b } = pair('refused.bin');
    const src = fileSource(a);
    try {
      renameSync(b, a);
      expect(() => src.readSync!(0, 4)).toThrow(/replaced by another file/);
      await expect(src.read(0, 4)).rejects.toThrow(/replaced by another file/);
    } finally {
      await src.close();
    }
  });

  it('the source hash refuses a file that is not the one the model is read from', async () => {
    const { a, b } = pair('hash.bin');
    const src = fileSource(a);
    renameSync(b, a);
    await expect(sha256File(a, src)).rejects.toThrow(/replaced by another file/);
    await expect(sha256File(a)).resolves.toMatch(/^[0-9a-f]{64}$/);
    await src.close();
  });
});
