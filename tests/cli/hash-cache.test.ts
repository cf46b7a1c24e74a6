/**
 * The source's SHA-256 is remembered between runs (src/node/hash-cache.ts): a second run on the same file records the
 * remembered hash without hashing again, and any change to the file — new bytes of the same size, a restored
 * modification time, a replaced file — is hashed afresh; AVA_QUANT_HASH_CACHE=0 turns it off; a file changed while it
 * was hashed is not remembered.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { hashCache, rememberSha256, rememberedSha256, statKey } from '../../src/node/hash-cache.js';
import { parseModel } from '../../src/core/onnx/model.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-hash-cache-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
/** The source SHA-256 an output records (metadata `ava.quantization`). */
function recordedSha(out: string): string {
  const m = parseModel(new Uint8Array(readFileSync(out)));
  const rec = JSON.parse(m.metadata.find((e) => e.key === 'ava.quantization')!.value) as { source: { sha256: string } };
  return rec.source.sha256;
}

describe('remembered source hashes', () => {
  it('a second run records the remembered hash; a changed file is hashed again (CLI, a 90 MB model)', () => {
    const model = join(dir, 'model.onnx');
    copyFileSync(pathOf(fixture(MINILM)), model);
    const cache = join(dir, 'cache');
    const env = { AVA_CACHE_DIR: cache, AVA_QUANT_HASH_CACHE: '1' };
    const run = (name: string, extra: Record<string, string> = {}) => {
      const out = join(dir, name);
      const r = runCli(['quantize', model, out, 'int8'], { ...env, ...extra });
      expect(r.code, r.err).toBe(0);
      return recordedSha(out);
    };
    const truth = sha(model);
    expect(run('a.onnx')).toBe(truth);
    const entries = readdirSync(join(cache, 'source-sha256'));
    expect(entries).toHaveLength(1);
    // Plant another (well-formed) hash in the entry: the next run records it, so it did not hash the file again.
    const entry = join(cache, 'source-sha256', entries[0]!);
    const planted = 'ab'.repeat(32);
    writeFileSync(entry, readFileSync(entry, 'utf8').replace(truth, planted));
    expect(run('b.onnx')).toBe(planted);
    // Off: hashed again.
    expect(run('c.onnx', { AVA_QUANT_HASH_CACHE: '0' })).toBe(truth);
    // New bytes of the same size with the modification time set back: the change time moved, so it is a miss.
    const st = statSync(model);
    const bytes = readFileSync(model);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    writeFileSync(model, bytes);
    utimesSync(model, st.atime, st.mtime);
    const changed = sha(model);
    expect(changed).not.toBe(truth);
    expect(run('d.onnx')).toBe(changed);
  });

  it('is keyed by the stat of the file and skips small files, a disabled cache and files changed while hashed', () => {
    const before = hashCache.minBytes;
    hashCache.minBytes = 1;
    try {
      const root = join(dir, 'cache2');
      const f = join(dir, 'f.bin');
      writeFileSync(f, 'one');
      const key = statKey(root, f);
      expect(key).not.toBeNull();
      rememberSha256(root, f, key, 'cd'.repeat(32));
      expect(rememberedSha256(root, f)).toBe('cd'.repeat(32));
      expect(rememberedSha256(root, f, { AVA_QUANT_HASH_CACHE: '0' })).toBeNull();
      // Changed between the stat taken before hashing and the end: not remembered.
      const g = join(dir, 'g.bin');
      writeFileSync(g, 'two');
      const gKey = statKey(root, g);
      writeFileSync(g, 'three');
      rememberSha256(root, g, gKey, 'ef'.repeat(32));
      expect(rememberedSha256(root, g)).toBeNull();
      // Replaced by another file (a new inode) with the same bytes: a miss.
      const h = join(dir, 'h.bin');
      writeFileSync(h, 'one');
      rmSync(f);
      copyFileSync(h, f);
      expect(rememberedSha256(root, f)).toBeNull();
      // A cache folder that cannot be made is skipped, at once (mkdir's recursive mode never returns under /proc).
      for (const bad of ['/proc/self', '/sys/ava-x', join(h, 'below-a-file')]) {
        rememberSha256(bad, h, statKey(bad, h), 'cd'.repeat(32));
        expect(rememberedSha256(bad, h)).toBeNull();
      }
      hashCache.minBytes = 1 << 20;
      expect(statKey(root, h)).toBeNull(); // small files are not remembered
    } finally {
      hashCache.minBytes = before;
    }
  });
});
