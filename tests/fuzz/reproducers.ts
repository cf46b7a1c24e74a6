/**
 * Reproducer files: a failing fuzz case saved under tests/fuzz/reproducers/ (committed, small) and re-run by
 * fuzz.test.ts as a regression test. Each file holds the case's bytes as compactly as they allow:
 *  - `gzip`: the whole file, gzipped and base64 (small files);
 *  - `patch`: the base fixture's bytes with [prefix, size - suffix) replaced by `middle` (a local mutation of a big
 *    fixture: a truncation, a bit flip, an edited node), the base pinned by sha256;
 *  - `regenerate`: too big either way; rebuilt from (seed, index) by the generator and checked against its sha256.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type Catalog, type Family, type FuzzCase, makeCase } from './cases.js';

export const FORMAT = 'ava-fuzz-reproducer/1';
const INLINE_MAX = 256 * 1024;

type Encoded =
  | { encoding: 'gzip'; sha256: string; bytes: number; data: string }
  | { encoding: 'patch'; sha256: string; bytes: number; prefix: number; suffix: number; middle: string }
  | { encoding: 'regenerate'; sha256: string; bytes: number };

export interface Reproducer {
  format: typeof FORMAT;
  id: string;
  seed: number;
  index: number;
  family: Family;
  base: string;
  baseSha256: string | null;
  note: string;
  /** The broken guarantees when it was found. */
  found: string[];
  modelName: string;
  model: Encoded;
  siblings: Record<string, Encoded>;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).toString('base64');

function encode(b: Uint8Array, base: Uint8Array | null): Encoded {
  const head = { sha256: sha(b), bytes: b.length };
  const whole = gz(b);
  if (whole.length <= INLINE_MAX) return { encoding: 'gzip', ...head, data: whole };
  if (base) {
    let prefix = 0;
    const n = Math.min(b.length, base.length);
    while (prefix < n && b[prefix] === base[prefix]) prefix++;
    let suffix = 0;
    while (suffix < n - prefix && b[b.length - 1 - suffix] === base[base.length - 1 - suffix]) suffix++;
    const middle = gz(b.subarray(prefix, b.length - suffix));
    if (middle.length <= INLINE_MAX) return { encoding: 'patch', ...head, prefix, suffix, middle };
  }
  return { encoding: 'regenerate', ...head };
}

function decode(e: Encoded, base: Uint8Array | null, regenerate: () => Uint8Array, what: string): Uint8Array {
  let b: Uint8Array;
  if (e.encoding === 'gzip') b = new Uint8Array(gunzipSync(Buffer.from(e.data, 'base64')));
  else if (e.encoding === 'patch') {
    if (!base) throw new Error(`${what}: a patch needs its base fixture`);
    const middle = gunzipSync(Buffer.from(e.middle, 'base64'));
    b = new Uint8Array(e.prefix + middle.length + e.suffix);
    b.set(base.subarray(0, e.prefix), 0);
    b.set(middle, e.prefix);
    b.set(base.subarray(base.length - e.suffix), e.prefix + middle.length);
  } else b = regenerate();
  if (sha(b) !== e.sha256)
    throw new Error(
      `${what}: the rebuilt bytes do not match the reproducer's sha256 (the generator or the fixture changed); re-save it with the current generator`,
    );
  return b;
}

/** Writes `c` (found failing with `found`) as a reproducer; returns its path. */
export function saveReproducer(dir: string, c: FuzzCase, found: string[], catalog: Catalog & { sha256(id: string): string }): string {
  const base = c.base ? catalog.load(c.base) : null;
  const r: Reproducer = {
    format: FORMAT,
    id: c.id,
    seed: c.seed,
    index: c.index,
    family: c.family,
    base: c.base,
    baseSha256: c.base ? catalog.sha256(c.base) : null,
    note: c.note,
    found,
    modelName: c.modelName,
    model: encode(c.model, base),
    siblings: Object.fromEntries(Object.entries(c.siblings).map(([k, v]) => [k, encode(v, null)])),
  };
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${c.family}-${c.seed}-${c.index}.json`);
  writeFileSync(path, `${JSON.stringify(r, null, 1)}\n`);
  return path;
}

/** Rebuilds the case a reproducer file describes. */
export function loadReproducer(path: string, catalog: Catalog & { sha256(id: string): string }): FuzzCase {
  const r = JSON.parse(readFileSync(path, 'utf8')) as Reproducer;
  if (r.format !== FORMAT) throw new Error(`${path}: not a fuzz reproducer (${FORMAT})`);
  if (r.base && r.baseSha256 && catalog.sha256(r.base) !== r.baseSha256)
    throw new Error(`${path}: the base fixture '${r.base}' is not the one the reproducer was made from (sha256 differs)`);
  const base = r.base ? catalog.load(r.base) : null;
  let regenerated: FuzzCase | null = null;
  const again = () => (regenerated ??= makeCase(r.seed, r.index, catalog));
  return {
    id: r.id,
    seed: r.seed,
    index: r.index,
    family: r.family,
    base: r.base,
    note: r.note,
    modelName: r.modelName,
    model: decode(r.model, base, () => again().model, `${path} (model)`),
    siblings: Object.fromEntries(
      Object.entries(r.siblings).map(([k, e]) => [
        k,
        decode(
          e,
          null,
          () => {
            const s = again().siblings[k];
            if (!s) throw new Error(`${path}: the regenerated case has no sibling '${k}'`);
            return s;
          },
          `${path} (${k})`,
        ),
      ]),
    ),
  };
}

/** Reproducer files in `dir`, sorted. */
export function reproducerFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}
