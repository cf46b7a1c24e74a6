/**
 * The source's SHA-256, remembered per file so a second run on the same input (another mode, another preset, a batch
 * again) does not hash it again: hashing is the longest single task of a run on a big one-file model (about 0.6 s per
 * GB on one core here). An entry is keyed by what changes whenever the file's bytes can have changed — device,
 * inode, size, modification time and inode change time in nanoseconds (the ctime cannot be set back by a user, so
 * even a rewrite that restores the mtime misses) — and the real path; git's index trusts the same stat fields. Only
 * files of at least `hashCache.minBytes` are remembered (small ones hash in milliseconds). Entries are small files
 * under `<cache>/source-sha256/` written atomically; a hash is stored only when the file's stat is the same after
 * hashing as before. AVA_QUANT_HASH_CACHE=0 turns it off (the bench does, to time a first run).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync, type BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';

/** Settings (tests lower minBytes). */
export const hashCache = { minBytes: 64 << 20 };

function enabled(env: NodeJS.ProcessEnv): boolean {
  return env.AVA_QUANT_HASH_CACHE !== '0';
}

/** The entry file for `path` as it is now, or null (not cacheable: too small, unreadable, cache off). */
function entryFor(root: string, path: string, env: NodeJS.ProcessEnv): { file: string; key: string } | null {
  if (!enabled(env)) return null;
  let st: BigIntStats;
  let real: string;
  try {
    st = statSync(path, { bigint: true });
    real = realpathSync(path);
  } catch {
    return null;
  }
  if (!st.isFile() || st.size < BigInt(hashCache.minBytes)) return null;
  const key = [st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs, real].join('\0');
  const name = createHash('sha256').update(key).digest('hex').slice(0, 40);
  return { file: join(root, 'source-sha256', `${name}.txt`), key };
}

/** The remembered SHA-256 (lowercase hex) of the file at `path` as it is now, or null. Never throws. */
export function rememberedSha256(root: string, path: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const e = entryFor(root, path, env);
  if (!e) return null;
  try {
    const [key, hex] = readFileSync(e.file, 'utf8').split('\n');
    return key === JSON.stringify(e.key) && hex && /^[0-9a-f]{64}$/.test(hex) ? hex : null;
  } catch {
    return null;
  }
}

/**
 * Remembers `hex` as the SHA-256 of `path` if the file's stat is still `before` (the entry computed before hashing):
 * a file changed while it was hashed is not remembered. Never throws (a cache that cannot be written is skipped).
 */
export function rememberSha256(
  root: string,
  path: string,
  before: { key: string } | null,
  hex: string,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const e = entryFor(root, path, env);
  if (!e || !before || e.key !== before.key) return;
  try {
    makeFolder(join(root, 'source-sha256'));
    const tmp = `${e.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(e.key)}\n${hex}\n`);
    renameSync(tmp, e.file);
  } catch {
    /* a read-only or full cache folder: the next run hashes again */
  }
}

/**
 * mkdir -p without `recursive: true`, which never returns under /proc in Node 20 (a cache folder set there would
 * hang the run): each missing parent is made in turn, at most 32 levels. Throws what mkdir throws.
 */
function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; missing.length < 32; d = dirname(d)) {
    try {
      mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') break;
      if (code !== 'ENOENT' || dirname(d) === d) throw e;
      missing.push(d);
      continue;
    }
    break;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

/** The stat key of `path` now (for rememberSha256), or null when it would not be remembered. */
export function statKey(root: string, path: string, env: NodeJS.ProcessEnv = process.env): { key: string } | null {
  return entryFor(root, path, env);
}
