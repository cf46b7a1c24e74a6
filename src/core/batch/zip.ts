/**
 * "Download all": a stored (uncompressed) zip of the outputs plus manifest.json, produced as a stream of chunks.
 *
 *   zipChunks(entries, { manifest, mtime, signal }) -> Generator<Uint8Array>   (sync; the output parts themselves,
 *                                                                              framed by small header chunks)
 *   zipStream(entries, options) -> ReadableStream<Uint8Array>                   (for new Response(s).blob(), OPFS)
 *   zipSize(entries, options) -> number                                         (exact size before writing)
 *   checkEntryName(name) -> name                                                (throws ZipError when unsafe)
 *
 * Entries are `{ name, parts }` with parts as the quantizers return them. fflate's streaming `Zip` with
 * `ZipPassThrough` stores each file (ONNX weights do not compress, and storing keeps memory flat): the parts
 * are passed through without copies, only CRC-32 is computed. manifest.json goes first, so a reader finds it
 * without the central directory. Names are '/'-separated relative paths ("onnx/model_quantized.onnx"); absolute
 * paths, "..", backslashes, control characters and duplicate names (case-insensitive) are refused. The zip is
 * plain (no ZIP64): at most 65,535 entries and 4 GiB in total, checked before the first byte.
 */
import { AvaError } from '../errors.js';
import { Zip, ZipPassThrough } from 'fflate';
import { type Manifest, MANIFEST_NAME, manifestToJson } from './manifest.js';

export interface ZipEntry {
  /** Relative path inside the zip, '/'-separated. */
  name: string;
  parts: readonly Uint8Array[];
}

export interface ZipOptions {
  /** Written first as manifest.json; every manifest output must be one of the entries. */
  manifest?: Manifest | null;
  /** Modification time of every entry. Default: the manifest's createdAt, else now. */
  mtime?: Date | string | number;
  /** Checked between chunks (zipChunks throws the signal's reason; the stream errors with it). */
  signal?: AbortSignal;
}

/** kind 'zip' (src/core/errors.ts). */
export class ZipError extends AvaError {
  override name = 'ZipError';
  constructor(message: string) {
    super('zip', message);
  }
}

const MAX_ENTRIES = 0xffff;
const MAX_BYTES = 0xffffffff;
const utf8 = new TextEncoder();

/** Returns the name when it is a safe relative path; throws ZipError otherwise. */
export function checkEntryName(name: string): string {
  const bad = (why: string): never => {
    throw new ZipError(`unsafe file name in zip ${JSON.stringify(name.slice(0, 100))}: ${why}`);
  };
  if (typeof name !== 'string' || !name) return bad('empty');
  if (name.includes('\\')) bad('backslash (use "/" between folders)');
  if (/[\u0000-\u001f\u007f]/.test(name)) bad('control character');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) bad('absolute path');
  for (const seg of name.split('/')) {
    if (seg === '') bad('empty folder name');
    if (seg === '.' || seg === '..') bad(`"${seg}" folder`);
  }
  if (utf8.encode(name).length > 0xffff) bad('too long');
  return name;
}

interface Planned {
  name: string;
  bytes: Uint8Array[] | readonly Uint8Array[];
  size: number;
  nameBytes: number;
}

function plan(entries: readonly ZipEntry[], options: ZipOptions): Planned[] {
  const files: Planned[] = [];
  const seen = new Set<string>();
  const add = (name: string, parts: readonly Uint8Array[]): void => {
    checkEntryName(name);
    const key = name.toLowerCase();
    if (seen.has(key)) throw new ZipError(`two files would be named ${JSON.stringify(name)} in the zip`);
    seen.add(key);
    for (const p of parts) if (!(p instanceof Uint8Array)) throw new ZipError(`${name}: parts must be Uint8Arrays`);
    files.push({ name, bytes: parts, size: parts.reduce((a, p) => a + p.length, 0), nameBytes: utf8.encode(name).length });
  };
  if (options.manifest) add(MANIFEST_NAME, [utf8.encode(manifestToJson(options.manifest))]);
  for (const e of entries) add(e.name, e.parts);
  if (options.manifest) {
    const names = new Set(entries.map((e) => e.name));
    for (const o of options.manifest.outputs)
      if (!names.has(o.name)) throw new ZipError(`the manifest lists ${JSON.stringify(o.name)}, which is not among the files to zip`);
  }
  if (files.length > MAX_ENTRIES) throw new ZipError(`too many files for a zip (${files.length}, at most ${MAX_ENTRIES})`);
  const total = sizeOf(files);
  if (total > MAX_BYTES)
    throw new ZipError(
      `the zip would be ${(total / 2 ** 30).toFixed(2)} GiB; zips over 4 GiB need ZIP64, which is not supported: download the files one by one`,
    );
  return files;
}

function sizeOf(files: readonly Planned[]): number {
  // local header (30 + name) + data + data descriptor (16); central entry (46 + name); end record (22)
  return files.reduce((a, f) => a + 30 + f.nameBytes + f.size + 16 + 46 + f.nameBytes, 22);
}

/** The exact size of the zip zipChunks would produce (validates like zipChunks). */
export function zipSize(entries: readonly ZipEntry[], options: ZipOptions = {}): number {
  return sizeOf(plan(entries, options));
}

function mtimeOf(options: ZipOptions): number {
  const t = options.mtime ?? options.manifest?.createdAt ?? Date.now();
  const ms = t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : t;
  if (!Number.isFinite(ms)) throw new ZipError(`invalid modification time ${String(t)}`);
  // DOS dates cover 1980-2107 (fflate accepts up to 2099).
  return Math.min(Math.max(ms, Date.UTC(1980, 0, 2)), Date.UTC(2099, 11, 30));
}

/** The zip as a sequence of chunks; output parts are yielded as they are (not copied). */
export function* zipChunks(entries: readonly ZipEntry[], options: ZipOptions = {}): Generator<Uint8Array, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const files = plan(entries, options);
  const mtime = mtimeOf(options);
  const queue: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, data) => {
    if (err) failure = err;
    else if (data.length) queue.push(data);
  });
  const drain = function* (): Generator<Uint8Array> {
    if (failure) throw new ZipError(`zip failed: ${(failure as Error).message}`);
    while (queue.length) yield queue.shift()!;
  };
  for (const f of files) {
    const entry = new ZipPassThrough(f.name);
    entry.mtime = mtime;
    zip.add(entry);
    const parts = f.bytes.filter((p) => p.length > 0);
    if (!parts.length) entry.push(new Uint8Array(0), true);
    for (let i = 0; i < parts.length; i++) {
      signal?.throwIfAborted();
      entry.push(parts[i]!, i === parts.length - 1);
      yield* drain();
    }
    yield* drain();
  }
  zip.end();
  yield* drain();
}

/** zipChunks as a ReadableStream (pull-based: a chunk is produced when the consumer asks for one). */
export function zipStream(entries: readonly ZipEntry[], options: ZipOptions = {}): ReadableStream<Uint8Array> {
  // Validate now, so a bad name throws here rather than when the stream is first read.
  plan(entries, options);
  const it = zipChunks(entries, options);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      try {
        const r = it.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      } catch (e) {
        controller.error(e);
      }
    },
    cancel() {
      it.return(undefined);
    },
  });
}
