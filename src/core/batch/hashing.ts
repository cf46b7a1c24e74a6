/**
 * Integrity: SHA-256 and MD5 together in one streaming pass (hash-wasm), and checking a file against a pasted
 * checksum.
 *
 *   hashBytes(source, { onProgress, signal, total }) -> { sha256, md5, bytes }      (lowercase hex)
 *   parseExpectedHash(text, fileName?) -> { algorithm, hex, fileName }               (throws HashFormatError)
 *   verifyHash(source, expected, options?) -> { ok, algorithm, expected, actual, digests, message }
 *   sumFileLine(hex, name) -> "<hex>  <name>\n"                                       (sha256sum / md5sum format)
 *
 * `source` is a ReadableStream<Uint8Array> (e.g. File.stream()), a Blob/File, an async iterable of chunks, an
 * iterable of chunks (the quantizers' output parts) or one Uint8Array. Big chunks are hashed in 4 MiB slices;
 * progress is reported per slice, the AbortSignal is checked per slice (rejecting with the signal's reason), and
 * the loop yields to the event loop every ~50 ms so an abort can arrive even for in-memory parts. Chunks are never
 * copied or concatenated: memory stays flat whatever the size.
 *
 * Accepted checksum text: a bare hex value (64 = SHA-256, 32 = MD5, any case, optionally "sha256:" / "md5:"
 * prefixed), a sha256sum/md5sum line "<hex>  <name>" (or "<hex> *<name>"), or a BSD line "SHA256 (name) = <hex>".
 * With several lines, the one for `fileName` is used.
 */
import { AvaError } from '../errors.js';

export type HashAlgorithm = 'sha256' | 'md5';

export type ByteSource = ReadableStream<Uint8Array> | Blob | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

export interface HashProgress {
  /** Bytes hashed so far. */
  bytes: number;
  /** Total bytes when known (Blob, in-memory parts, or options.total), else null. */
  total: number | null;
}

export interface HashOptions {
  onProgress?: (p: HashProgress) => void;
  signal?: AbortSignal;
  /** Expected total size, for progress, when the source cannot tell (streams). */
  total?: number;
}

export interface Digests {
  sha256: string;
  md5: string;
  bytes: number;
}

/** kind 'format' (src/core/errors.ts). */
export class HashFormatError extends AvaError {
  override name = 'HashFormatError';
  constructor(message: string) {
    super('format', message);
  }
}

const SLICE = 4 * 1024 * 1024;
const YIELD_MS = 50;

const isReadableStream = (s: unknown): s is ReadableStream<Uint8Array> => typeof (s as ReadableStream)?.getReader === 'function';
const isBlob = (s: unknown): s is Blob => typeof (s as Blob)?.stream === 'function' && typeof (s as Blob)?.size === 'number';
const isAsyncIterable = (s: unknown): s is AsyncIterable<Uint8Array> =>
  typeof (s as AsyncIterable<Uint8Array>)?.[Symbol.asyncIterator] === 'function';

async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (isBlob(source)) source = source.stream() as ReadableStream<Uint8Array>;
  if (isReadableStream(source)) {
    const reader = source.getReader();
    let done = false;
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) {
          done = true;
          return;
        }
        yield r.value;
      }
    } finally {
      if (!done) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  }
  if (isAsyncIterable(source)) {
    yield* source;
    return;
  }
  yield* source as Iterable<Uint8Array>;
}

function knownTotal(source: ByteSource, given: number | undefined): number | null {
  if (given !== undefined) return given;
  if (source instanceof Uint8Array) return source.length;
  if (isBlob(source)) return source.size;
  if (Array.isArray(source)) return (source as Uint8Array[]).reduce((a, p) => a + p.length, 0);
  return null;
}

const nextTick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** SHA-256 and MD5 of everything `source` yields, in one pass (`md5: false`: SHA-256 only, md5 = ''). */
export async function hashBytes(source: ByteSource, options: HashOptions & { md5?: boolean } = {}): Promise<Digests> {
  const { onProgress, signal } = options;
  signal?.throwIfAborted();
  // Loaded when first used: a command that hashes nothing (the CLI's quantize) does not pay for loading it.
  const { createMD5, createSHA256 } = await import('hash-wasm');
  const [sha, md] = await Promise.all([createSHA256(), options.md5 === false ? null : createMD5()]);
  sha.init();
  md?.init();
  const total = knownTotal(source, options.total);
  let bytes = 0;
  let last = Date.now();
  onProgress?.({ bytes, total });
  for await (const chunk of chunksOf(source)) {
    if (!(chunk instanceof Uint8Array))
      throw new TypeError(`hashBytes: expected Uint8Array chunks, got ${Object.prototype.toString.call(chunk)}`);
    for (let off = 0; off < chunk.length; off += SLICE) {
      signal?.throwIfAborted();
      const slice = chunk.length <= SLICE ? chunk : chunk.subarray(off, Math.min(chunk.length, off + SLICE));
      sha.update(slice);
      md?.update(slice);
      bytes += slice.length;
      onProgress?.({ bytes, total });
      if (Date.now() - last > YIELD_MS) {
        await nextTick();
        last = Date.now();
      }
    }
  }
  signal?.throwIfAborted();
  return { sha256: sha.digest('hex'), md5: md?.digest('hex') ?? '', bytes };
}

export interface ExpectedHash {
  algorithm: HashAlgorithm;
  /** Lowercase hex. */
  hex: string;
  /** The file name given on the checksum line, if any. */
  fileName: string | null;
}

const LENGTHS: Record<number, string> = { 40: 'SHA-1', 56: 'SHA-224', 96: 'SHA-384', 128: 'SHA-512', 8: 'CRC-32' };
const FORMAT_HINT =
  'expected a SHA-256 (64 hex digits) or MD5 (32 hex digits) checksum, optionally as a sha256sum/md5sum line "<hex>  <file name>"';

function hexAlgorithm(hex: string, raw: string): HashAlgorithm {
  if (!/^[0-9a-f]+$/i.test(hex)) {
    const bad = /[^0-9a-f]/i.exec(hex)![0];
    throw new HashFormatError(
      `${FORMAT_HINT}; ${JSON.stringify(raw.slice(0, 80))} contains ${JSON.stringify(bad)}, which is not a hex digit`,
    );
  }
  if (hex.length === 64) return 'sha256';
  if (hex.length === 32) return 'md5';
  const looks = LENGTHS[hex.length];
  throw new HashFormatError(
    `${FORMAT_HINT}; got ${hex.length} hex digits${looks ? ` (that looks like ${looks}, which is not supported)` : ''}`,
  );
}

interface Line {
  hex: string;
  name: string | null;
  tag: string | null;
  raw: string;
}

function parseLine(line: string): Line {
  let m = /^(?:(sha256|md5)[:=])?\s*([0-9a-z]+)$/i.exec(line);
  if (m) return { hex: m[2]!, name: null, tag: m[1] ?? null, raw: line };
  m = /^(SHA-?256|MD5)\s*\((.*)\)\s*=\s*([0-9a-z]+)$/i.exec(line);
  if (m) return { hex: m[3]!, name: m[2]!, tag: m[1]!, raw: line };
  m = /^\\?([0-9a-z]+)\s+\*?(.+)$/i.exec(line);
  if (m) return { hex: m[1]!, name: m[2]!, tag: null, raw: line };
  throw new HashFormatError(`${FORMAT_HINT}; could not read ${JSON.stringify(line.slice(0, 80))}`);
}

const fileOf = (p: string): string => p.split(/[\\/]/).pop() ?? p;

/**
 * Reads an expected checksum from pasted text. With several lines (a SHA256SUMS file), picks the line for
 * `fileName` (compared by file name, ignoring folders). Throws HashFormatError with what is wrong.
 */
export function parseExpectedHash(text: string, fileName?: string): ExpectedHash {
  if (typeof text !== 'string') throw new HashFormatError(FORMAT_HINT);
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw new HashFormatError(`${FORMAT_HINT}; got nothing`);
  let picked: Line;
  if (lines.length === 1) picked = parseLine(lines[0]!);
  else {
    const parsed = lines.map(parseLine);
    const want = fileName ? fileOf(fileName) : null;
    const hits = want ? parsed.filter((l) => l.name !== null && fileOf(l.name) === want) : [];
    if (hits.length !== 1) {
      const where = want ? `none of them is for ${JSON.stringify(want)}` : 'say which file to check';
      throw new HashFormatError(
        `the checksum text has ${lines.length} lines and ${hits.length > 1 ? `${hits.length} of them are for ${JSON.stringify(want)}` : where}`,
      );
    }
    picked = hits[0]!;
  }
  const algorithm = hexAlgorithm(picked.hex, picked.raw);
  if (picked.tag) {
    const tagAlg = /md5/i.test(picked.tag) ? 'md5' : 'sha256';
    if (tagAlg !== algorithm)
      throw new HashFormatError(`the line says ${picked.tag.toUpperCase()} but has ${picked.hex.length} hex digits`);
  }
  return { algorithm, hex: picked.hex.toLowerCase(), fileName: picked.name };
}

export interface VerifyResult {
  ok: boolean;
  /** Which algorithm was compared (decided by the expected value's length). */
  algorithm: HashAlgorithm;
  expected: string;
  actual: string;
  /** Both digests, so the caller can show / record them. */
  digests: Digests;
  /** One line for the UI, e.g. "SHA-256 matches" or "SHA-256 does not match: expected …, got …". */
  message: string;
}

const LABEL: Record<HashAlgorithm, string> = { sha256: 'SHA-256', md5: 'MD5' };

/**
 * Hashes `source` and compares it with `expected` (see parseExpectedHash). The expected value is parsed first, so a
 * malformed value throws HashFormatError before any byte is read.
 */
export async function verifyHash(
  source: ByteSource,
  expected: string,
  options: HashOptions & { fileName?: string } = {},
): Promise<VerifyResult> {
  const want = parseExpectedHash(expected, options.fileName);
  const digests = await hashBytes(source, options);
  const actual = digests[want.algorithm];
  const ok = actual === want.hex;
  const label = LABEL[want.algorithm];
  return {
    ok,
    algorithm: want.algorithm,
    expected: want.hex,
    actual,
    digests,
    message: ok ? `${label} matches` : `${label} does not match: expected ${want.hex}, got ${actual}`,
  };
}

/** One line of a sha256sum / md5sum file ("<hex>  <name>\n"). */
export function sumFileLine(hex: string, name: string): string {
  if (/[\r\n]/.test(name)) throw new HashFormatError('a file name with a line break cannot go in a checksum file');
  return `${hex}  ${name}\n`;
}
