/**
 * Node's side of the streaming I/O: byte sources over file handles (read by offset and length, never a whole
 * file), the model's folder as its siblings (external data found by relative path), an atomic file sink (a temp
 * file placed at its output at the end, never over a file another run wrote meanwhile; nothing left behind on
 * failure) and SHA-256 of a file with node:crypto.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import {
  closeSync,
  createReadStream,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readSync as readSyncFd,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { ModelFiles } from '../core/io/files.js';
import { type ByteSource, checkRange } from '../core/io/source.js';
import { OnnxFormatError } from '../core/onnx/errors.js';
import { FileReadError } from '../core/errors.js';
import type { ByteSink } from '../core/io/write.js';

/**
 * A source over a file on disk. The handle opens on the first read and stays open until close(). read() returns a new
 * array; readInto() reads straight into the caller's (no allocation); readSync() reads at once through a descriptor of
 * its own. Both are checked, when they open, to be the file this source was made for (device and inode, taken here): a
 * file renamed over the path meanwhile is a FileReadError, never read in part. `path` (absolute), `dev` and `ino` let
 * another thread open the same file and make the same check (src/node/tensor-workers.ts, sha256File).
 */
export function fileSource(
  path: string,
  size = statSync(path).size,
  name = basename(path),
): ByteSource & { close(): Promise<void>; path: string; dev: number; ino: number } {
  const { dev, ino } = statSync(path);
  const same = (st: { dev: number; ino: number }) => st.dev === dev && st.ino === ino;
  const REPLACED = 'it was replaced by another file while this run read it';
  let fh: Promise<FileHandle> | null = null;
  // A descriptor of its own for readSync (the handle above may still be opening).
  let fd: number | null = null;
  const readInto = async (offset: number, into: Uint8Array, signal?: AbortSignal): Promise<void> => {
    const length = into.length;
    signal?.throwIfAborted();
    checkRange(name, size, offset, length);
    let got = 0;
    try {
      fh ??= open(path, 'r').then(async (h) => {
        if (same(await h.stat())) return h;
        await h.close();
        throw new Error(REPLACED);
      });
      const h = await fh;
      while (got < length) {
        const { bytesRead } = await h.read(into, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
    } catch (e) {
      // Removed, unreadable or failing while the run reads it: a read error naming the file, not an internal one.
      fh = null;
      throw new FileReadError(`could not read ${path}: ${(e as Error).message}`);
    }
    if (got < length) throw new FileReadError(`could not read ${path}: it ended at byte ${offset + got} (was it changed while reading?)`);
  };
  return {
    name,
    size,
    path: resolve(path),
    dev,
    ino,
    async read(offset, length, signal) {
      const out = new Uint8Array(length);
      await readInto(offset, out, signal);
      return out;
    },
    readInto,
    readSync(offset, length) {
      checkRange(name, size, offset, length);
      const out = new Uint8Array(length);
      let got = 0;
      try {
        if (fd === null) {
          const f = openSync(path, 'r');
          if (!same(fstatSync(f))) {
            closeSync(f);
            throw new Error(REPLACED);
          }
          fd = f;
        }
        while (got < length) {
          const n = readSyncFd(fd, out, got, length - got, offset + got);
          if (n === 0) break;
          got += n;
        }
      } catch (e) {
        throw new FileReadError(`could not read ${path}: ${(e as Error).message}`);
      }
      if (got < length) throw new FileReadError(`could not read ${path}: it ended at byte ${offset + got} (was it changed while reading?)`);
      return out;
    },
    async close() {
      const h = fh;
      fh = null;
      if (fd !== null) closeSync(fd);
      fd = null;
      if (h) await (await h).close();
    },
  };
}

/**
 * Files in the model's folder and one level of subfolders, as siblings by relative path ('/'-separated). A link is
 * followed only to a file inside the model's folder or inside the folder the model file itself really is in (a
 * Hugging Face cache links `snapshots/<rev>/onnx/model.onnx` and its data to files side by side in `blobs/`, as
 * onnxruntime allows); any other link, a broken one, and anything that is not a regular file (a pipe, a device)
 * is listed as refused, so a model naming it is refused with the reason instead of reading what it leads to.
 */
export function modelFilesOf(path: string): ModelFiles & { model: ReturnType<typeof fileSource>; close(): Promise<void> } {
  const dir = dirname(resolve(path));
  const self = resolve(path);
  const model = fileSource(path);
  const siblings = new Map<string, ByteSource & { close(): Promise<void> }>();
  const real = (p: string): string | null => {
    try {
      return realpathSync(p);
    } catch {
      return null;
    }
  };
  const homes = [real(dir), dirname(real(self) ?? self)].filter((d): d is string => d !== null);
  const inside = (target: string) => homes.some((h) => target === h || target.startsWith(h.endsWith(sep) ? h : h + sep));
  const refused = (rel: string, why: string) => siblings.set(rel, refusedSource(rel, why));
  const walk = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const rel = relative(dir, p).split(sep).join('/');
      let link: boolean;
      try {
        link = lstatSync(p).isSymbolicLink();
      } catch {
        continue;
      }
      let st;
      try {
        st = statSync(p);
      } catch {
        if (link) refused(rel, 'is a broken link (refused)');
        continue;
      }
      if (link && st.isFile()) {
        const target = real(p);
        if (!target || !inside(target)) {
          refused(rel, `is a link to '${target ?? '?'}', outside the model's folder (refused, as a '../' location is)`);
          continue;
        }
      }
      if (st.isDirectory()) {
        if (depth < 1 && !link) walk(p, depth + 1);
      } else if (st.isFile()) {
        if (resolve(p) !== self) siblings.set(rel, fileSource(p, st.size));
      } else refused(rel, 'is not a regular file (a pipe, a device or a socket) (refused)');
    }
  };
  walk(dir, 0);
  return {
    model,
    siblings,
    async close() {
      await Promise.all([model.close(), ...[...siblings.values()].map((s) => s.close())]);
    },
  };
}

/** A sibling that must not be read (see modelFilesOf): size 0, every read rejects with the reason. */
function refusedSource(name: string, why: string): ByteSource & { close(): Promise<void> } {
  const fail = () => Promise.reject(new OnnxFormatError(`'${name}' ${why}`));
  return { name, size: 0, refused: why, read: fail, readInto: fail, close: () => Promise.resolve() };
}

/**
 * The hashing thread's code: SHA-256 of a file read in 8 MiB blocks into one reused buffer (no stream: a
 * ReadStream's 64 KiB-chunk machinery and fresh buffers cost as much CPU as the hash on 2 cores). Plain JS, so it runs
 * without the TypeScript loader.
 */
const HASH_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync, fstatSync } = require('node:fs');
try {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(workerData.path, 'r');
  try {
    const st = fstatSync(fd);
    if (workerData.id && (st.dev !== workerData.id.dev || st.ino !== workerData.id.ino))
      throw new Error('it was replaced by another file while this run read it');
    let pos = 0;
    for (let n; (n = readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) {
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  parentPort.postMessage({ hex: h.digest('hex') });
} catch (e) {
  parentPort.postMessage({ error: e.message });
}
`;

/**
 * SHA-256 (lowercase hex) of a file, read on a worker thread so hashing runs beside the work on the main thread (the
 * provenance record waits for it only when it is written, at the end of the output). `stop()` ends the thread at
 * once (the promise then never settles: call it only when the hash is no longer wanted). Rejects with the read error,
 * and when `id` is given and the file at `path` is no longer that one (device and inode: renamed over meanwhile).
 */
export function sha256File(path: string, id?: { dev: number; ino: number }): Promise<string> & { stop(): void } {
  const w = new Worker(HASH_THREAD, { eval: true, workerData: { path, id: id ? { dev: id.dev, ino: id.ino } : null } });
  w.unref();
  const p = new Promise<string>((resolve, reject) => {
    w.once('message', (m: { hex?: string; error?: string }) => {
      void w.terminate();
      if (m.hex) resolve(m.hex);
      else reject(new Error(`cannot read ${path}: ${m.error}`));
    });
    w.once('error', reject);
  });
  return Object.assign(p, { stop: () => void w.terminate() });
}

/** Temporary files of outputs being written (not yet renamed into place or removed). */
const pendingTemps = new Set<string>();

/** Removes every temporary output file still being written, synchronously (for a signal handler). */
export function removePendingTempFiles(): string[] {
  const removed: string[] = [];
  for (const t of pendingTemps) {
    try {
      unlinkSync(t);
      removed.push(t);
    } catch {
      /* already gone */
    }
  }
  pendingTemps.clear();
  return removed;
}

let signalsInstalled = false;

/** The signals that end a run, with the exit code shells report for them (128 + the signal's number). */
const CANCEL_SIGNALS = [
  ['SIGINT', 130], // Ctrl-C
  ['SIGTERM', 143], // kill, CI timeouts
  ['SIGHUP', 129], // the terminal closed
  ['SIGQUIT', 131], // Ctrl-\
] as const;

/**
 * A cancelled or failed run leaves nothing half-written. On SIGINT, SIGTERM, SIGHUP or SIGQUIT the temporary files
 * of unfinished outputs are removed, one line goes to stderr (`ava-quant: cancelled …`; with --json also
 * `{"error": {"code", "message"}}` on stdout, as every other error) and the process exits 128 + the signal (130, 143,
 * 129, 131), as shells report it. Whatever else ends the process (an error escaping everything, process.exit) removes
 * them too, from the 'exit' event. A closed stdout or stderr (the CLI piped into `head`) is not an error: output that
 * cannot be shown is dropped and the run finishes. Finished outputs (a batch's earlier models) stay. While another
 * handler of the signal is installed (a Hub download cancels itself and exits 130 through the command), this one
 * stands aside. Installed once, by the CLI entry.
 */
export function removeTempFilesOnSignals(
  stderr: (text: string) => void = (t) => void process.stderr.write(t),
  stdout: (text: string) => void = (t) => void process.stdout.write(t),
  json = process.argv.slice(2).includes('--json'),
): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const [sig, code] of CANCEL_SIGNALS)
    process.on(sig, () => {
      // Another handler is cancelling its own work gracefully (a Hub download, src/cli/hub.ts): let it finish.
      if (process.listenerCount(sig) > 1) return;
      const removed = removePendingTempFiles();
      const message = `cancelled${removed.length ? ` (removed ${removed.length} unfinished output file${removed.length > 1 ? 's' : ''})` : ''}`;
      stderr(`ava-quant: ${message}\n`);
      if (json) stdout(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
      process.exit(code);
    });
  process.on('exit', () => void removePendingTempFiles());
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    });
}

/** Whether two paths are the same file (links followed); false when either is not there. */
export function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a, { bigint: true });
    const y = statSync(b, { bigint: true });
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

// ---- committing outputs -------------------------------------------------------------------------------------

/**
 * Which file a path holds: device, inode, size and modification time (lstat: a link is itself), or null when the
 * path holds nothing. Two runs that write the same path are told apart by it (OutputClaim).
 */
export type FileId = string;

export function fileIdOf(path: string): FileId | null {
  try {
    const st = lstatSync(path, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

/**
 * What a run may do to an output path when it commits: `before` is the file the path held when the run checked it
 * (null: none), `replace` whether it may overwrite that very file (the CLI's --force). Whatever else is there at
 * commit — a file another run created or replaced meanwhile — is never overwritten: the commit fails with an
 * OutputConflictError and this run's output is removed. 'replace-any': overwrite whatever is there (caches, where
 * every writer writes the same thing).
 */
export type OutputClaim = { before: FileId | null; replace: boolean } | 'replace-any';

/** The claim on `path` as it is now (`replace`: --force). */
export function claimOutput(path: string, replace: boolean): OutputClaim {
  return { before: fileIdOf(path), replace };
}

/**
 * An output not committed because its path holds a file this run may not overwrite: it was there when the run
 * checked ('exists', without --force), or it appeared ('created') or was replaced ('replaced') while the run worked:
 * another run writing the same path. Nothing of the output was kept.
 */
export class OutputConflictError extends Error {
  override name = 'OutputConflictError';
  readonly code = 'EEXIST';
  constructor(
    readonly path: string,
    readonly reason: 'exists' | 'created' | 'replaced',
  ) {
    super(
      reason === 'exists'
        ? `${path} exists`
        : `${path} was ${reason} by another program while this run was writing it (another run writing the same output?)`,
    );
  }
}

/** An error writing or committing an output file, naming that file (a split output's data file, not its model). */
export class OutputWriteError extends Error {
  override name = 'OutputWriteError';
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(`cannot write ${path}: ${(cause as Error | null)?.message ?? String(cause)}`);
    this.code = (cause as NodeJS.ErrnoException | null)?.code;
  }
}

/** Errors of link() that mean the file system has no hard links (FAT, exFAT, some network and FUSE mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV', 'EINVAL']);

/** The file-system calls placing uses, replaceable by tests (a file system without hard links). */
export const placeOps = { link: linkSync };

/** A temporary file placed at its output path: how (so it can be undone), and the file's id there. */
interface Placed {
  out: string;
  tmp: string;
  id: FileId | null;
  /** 'link': the temp file is still there (removed by finishPlaced); 'rename': it was moved. */
  how: 'link' | 'rename';
  /** An existing file (claimed with --force) was replaced: it cannot be brought back. */
  replaced: boolean;
}

/** Throws OutputConflictError when `out` holds a file the claim does not let this run overwrite. */
function checkClaim(out: string, claim: OutputClaim): void {
  if (claim === 'replace-any') return;
  let now: FileId | null;
  try {
    now = fileIdOf(out);
  } catch (e) {
    throw new OutputWriteError(out, e);
  }
  if (now === null || (claim.replace && now === claim.before)) return;
  throw new OutputConflictError(out, now === claim.before ? 'exists' : claim.before === null ? 'created' : 'replaced');
}

/**
 * Puts the finished temp file `tmp` at `out`, synchronously, never over a file the claim does not allow: a hard
 * link (fails if anything is there: no-clobber, whatever another process does meanwhile), else — on a file system
 * without hard links — an exclusive create of `out` that the rename then replaces. A file the claim lets it replace
 * (--force) is replaced by one rename (readers see the old file or the new one, never none).
 */
function placeFile(tmp: string, out: string, claim: OutputClaim): Placed {
  const id = fileIdOf(tmp);
  const renamed = (replaced: boolean): Placed => {
    try {
      renameSync(tmp, out);
    } catch (e) {
      throw new OutputWriteError(out, e);
    }
    return { out, tmp, id, how: 'rename', replaced };
  };
  const taken = (): Placed => {
    const there = fileIdOf(out) !== null;
    checkClaim(out, claim); // throws unless the file there may be replaced
    return renamed(there);
  };
  if (claim === 'replace-any') return renamed(false);
  try {
    placeOps.link(tmp, out);
    return { out, tmp, id, how: 'link', replaced: false };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return taken();
    if (!NO_HARD_LINKS.has(code)) throw new OutputWriteError(out, e);
  }
  let fd: number;
  try {
    fd = openSync(out, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return taken();
    throw new OutputWriteError(out, e);
  }
  closeSync(fd);
  try {
    return renamed(false);
  } catch (e) {
    try {
      unlinkSync(out); // the empty placeholder
    } catch {
      /* already gone */
    }
    throw e;
  }
}

/** Takes a placed file back off its path (a later file of the same output failed), when it is still this run's. */
function unplace(p: Placed): void {
  if (p.replaced) return;
  try {
    if (fileIdOf(p.out) === p.id) unlinkSync(p.out);
  } catch {
    /* nothing more to undo */
  }
}

/** After every file of an output was placed: removes the temp names that stayed (links). */
function finishPlaced(p: Placed): void {
  if (p.how === 'link') {
    try {
      unlinkSync(p.tmp);
    } catch {
      /* already gone */
    }
  }
  pendingTemps.delete(p.tmp);
}

/**
 * Places finished temp files at their outputs, all or none, synchronously (so a signal is handled before or after,
 * never between two files of one output): every claim is checked first, then each file is placed in order (a split
 * output's data file before its model, so a model never points at a data file that is not there); a failure takes
 * back the files already placed and throws (OutputConflictError, OutputWriteError). The temp files stay for the
 * caller to remove on failure.
 */
export function placeAll(files: readonly { tmp: string; out: string; claim: OutputClaim }[]): void {
  for (const f of files) checkClaim(f.out, f.claim);
  const placed: Placed[] = [];
  try {
    for (const f of files) placed.push(placeFile(f.tmp, f.out, f.claim));
  } catch (e) {
    for (const p of placed.reverse()) unplace(p);
    throw e;
  }
  for (const p of placed) finishPlaced(p);
}

/** A file being written next to its output (see atomicFileSink). */
export interface AtomicFileSink extends ByteSink {
  readonly tmp: string;
  readonly out: string;
  /** Syncs, closes and places the file at its output (commitOutputs of this one file). */
  commit(): Promise<void>;
  /** Closes and removes the temp file. */
  abort(): Promise<void>;
  /** Syncs and closes the temp file (the first half of a commit); errors name the output. */
  close(): Promise<void>;
  /**
   * Starts the flush to disk (fsync; once): close() waits for it. Without it the file is closed unflushed, as cp, tar
   * and onnx.save leave what they write (complete for every reader at once; only a power cut soon after can lose it).
   * Started early, checks of the written file run while the disk catches up.
   */
  sync(): Promise<void>;
  readonly claim: OutputClaim;
}

const tempName = (out: string) => join(dirname(out), `.${basename(out)}.tmp-${process.pid}-${Date.now().toString(36)}`);

/**
 * A sink writing to a temporary file next to `out`; commit() places it at `out` as `claim` allows (default: only
 * where nothing is), abort() removes it. Write errors are OutputWriteErrors naming `out`.
 */
export async function atomicFileSink(out: string, claim: OutputClaim = { before: null, replace: false }): Promise<AtomicFileSink> {
  const tmp = tempName(out);
  pendingTemps.add(tmp);
  let fh: FileHandle;
  let created = false;
  try {
    // Created synchronously, then opened without O_CREAT: an asynchronous create still waiting in the I/O thread
    // pool when a signal's handler removes the temp files would make the file after the process chose to exit.
    closeSync(openSync(tmp, 'wx'));
    created = true;
    fh = await open(tmp, 'r+');
  } catch (e) {
    if (created)
      try {
        unlinkSync(tmp);
      } catch {
        /* already removed by a signal's handler */
      }
    pendingTemps.delete(tmp);
    throw new OutputWriteError(out, e);
  }
  let closed = false;
  let synced: Promise<void> | null = null;
  const sync = () => (synced ??= fh.sync());
  const close = async () => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  const sink: AtomicFileSink = {
    tmp,
    out,
    claim,
    async write(chunk) {
      try {
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      } catch (e) {
        throw new OutputWriteError(out, e);
      }
    },
    sync,
    async close() {
      try {
        if (!closed) await synced;
        await close();
      } catch (e) {
        throw new OutputWriteError(out, e);
      }
    },
    commit: () => commitOutputs([sink]),
    async abort() {
      try {
        await synced?.catch(() => undefined);
        await close();
      } catch {
        /* already failing */
      }
      await unlink(tmp).catch(() => undefined);
      pendingTemps.delete(tmp);
    },
  };
  return sink;
}

/**
 * Commits the files of one output together (a split output: its data file first, then the model): each is synced
 * and closed, then all are placed or none (placeAll). On failure nothing of the output is at its paths; the caller
 * aborts the sinks to remove the temp files.
 */
export async function commitOutputs(files: readonly AtomicFileSink[]): Promise<void> {
  for (const f of files) await f.close();
  placeAll(files);
}

/**
 * Writes `parts` to `out` at once, synchronously, through a temp file placed as `claim` allows (placeAll); on failure
 * the temp file is removed and the error (OutputWriteError naming `out`, OutputConflictError) thrown.
 */
export function writeFileAtomicSync(out: string, parts: readonly Uint8Array[], claim: OutputClaim): void {
  const tmp = tempName(out);
  let fd: number | null = null;
  pendingTemps.add(tmp);
  try {
    try {
      fd = openSync(tmp, 'wx');
      for (const p of parts) {
        let off = 0;
        while (off < p.length) off += writeSync(fd, p, off, p.length - off);
      }
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
    } catch (e) {
      throw new OutputWriteError(out, e);
    }
    placeAll([{ tmp, out, claim }]);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was created */
    }
    pendingTemps.delete(tmp);
    throw e;
  }
}

/** Wraps a sink so SHA-256 and MD5 of everything written are computed on the way (node:crypto). */
export function hashingSink<S extends ByteSink>(inner: S): S & { digests(): { sha256: string; md5: string; bytes: number } } {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  return Object.assign(Object.create(inner) as S, {
    async write(chunk: Uint8Array) {
      sha.update(chunk);
      md5.update(chunk);
      bytes += chunk.length;
      await inner.write(chunk);
    },
    digests: () => ({ sha256: sha.digest('hex'), md5: md5.digest('hex'), bytes }),
  });
}

/** SHA-256 and MD5 of a file in one streamed pass. */
export function digestsOfFile(path: string): Promise<{ sha256: string; md5: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const sha = createHash('sha256');
    const md5 = createHash('md5');
    let bytes = 0;
    const s = createReadStream(path, { highWaterMark: 4 << 20 });
    s.on('data', (c) => {
      sha.update(c as Buffer);
      md5.update(c as Buffer);
      bytes += (c as Buffer).length;
    });
    s.on('error', reject);
    s.on('end', () => resolve({ sha256: sha.digest('hex'), md5: md5.digest('hex'), bytes }));
  });
}
