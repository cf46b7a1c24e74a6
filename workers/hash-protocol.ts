import type { Digests, HashProgress, VerifyResult } from '../src/core/batch/hashing.js';
import type { Manifest } from '../src/core/batch/manifest.js';

export type { Digests, HashProgress, VerifyResult };

export type HashProgressCallback = (p: HashProgress) => void;

/** One file of a "Download all" zip: its path inside the zip and the output Blob (read in the worker). */
export interface ZipFileInput {
  name: string;
  blob: Blob;
}

/** Progress of building a zip: bytes written so far of the exact total (zipSize). */
export interface ZipProgress {
  bytes: number;
  total: number;
}

/** What `workers/hash.worker.ts` exposes through comlink. */
export interface HashWorkerApi {
  /** SHA-256 only (lowercase hex), e.g. the source a quantize job records in its output. */
  sha256(blob: Blob): Promise<string>;
  /** SHA-256 and MD5 of a File / Blob, read as a stream in one pass (hashBytes). */
  hash(blob: Blob, onProgress?: HashProgressCallback): Promise<Digests>;
  /**
   * Hashes `blob` and compares it with `expected` (verifyHash). Throws an Error named HashFormatError, before any
   * byte is read, when the expected value is not a SHA-256 / MD5 checksum.
   */
  verify(blob: Blob, expected: string, fileName: string | null, onProgress?: HashProgressCallback): Promise<VerifyResult>;
  /**
   * A stored zip (zipStream) of `files` with `manifest` as manifest.json first, returned as one Blob. Throws
   * ZipError / ManifestError (by name) for a name or manifest the zip refuses.
   */
  zip(files: ZipFileInput[], manifest: Manifest | null, onProgress?: (p: ZipProgress) => void): Promise<Blob>;
}
