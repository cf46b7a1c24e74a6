/// <reference lib="webworker" />
// Thin comlink entry for integrity work: SHA-256 + MD5 of Files / Blobs read as streams, checking a pasted checksum,
// and the "Download all" zip. No DOM here.
import * as Comlink from 'comlink';
import { workerJob } from './job.js';
import { hashBytes, verifyHash } from '../src/core/batch/hashing.js';
import { zipSize, zipStream, type ZipEntry } from '../src/core/batch/zip.js';
import type { HashProgressCallback, HashWorkerApi } from './hash-protocol.js';

/** At most one progress message every `ms` (and always the last one). */
function throttled<P extends { bytes: number; total: number | null }>(cb: ((p: P) => void) | undefined, ms = 100): (p: P) => void {
  let last = 0;
  return (p) => {
    if (!cb) return;
    const now = Date.now();
    if (p.total !== null && p.bytes < p.total && now - last < ms) return;
    last = now;
    void cb(p);
  };
}

const api: HashWorkerApi = {
  async sha256(blob) {
    return workerJob(undefined, async () => {
      return (await hashBytes(blob, { md5: false })).sha256;
    });
  },

  async hash(blob, onProgress?: HashProgressCallback) {
    return workerJob(onProgress, async () => {
      return await hashBytes(blob, { onProgress: throttled(onProgress) });
    });
  },

  async verify(blob, expected, fileName, onProgress?: HashProgressCallback) {
    return workerJob(onProgress, async () => {
      return await verifyHash(blob, expected, { onProgress: throttled(onProgress), ...(fileName ? { fileName } : {}) });
    });
  },

  async zip(files, manifest, onProgress) {
    return workerJob(onProgress, async () => {
      // zipStream needs every entry's bytes up front (it checks names and sizes before the first byte). The bytes are
      // held only while the zip Blob is written, then dropped: the page keeps Blobs, never ArrayBuffers.
      const entries: ZipEntry[] = [];
      for (const f of files) entries.push({ name: f.name, parts: [new Uint8Array(await f.blob.arrayBuffer())] });
      const total = zipSize(entries, { manifest });
      const progress = throttled<{ bytes: number; total: number }>(onProgress);
      let bytes = 0;
      const counted = zipStream(entries, { manifest }).pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            bytes += chunk.length;
            progress({ bytes, total });
            controller.enqueue(chunk);
          },
        }),
      );
      const blob = await new Response(counted).blob();
      if (blob.size !== total) throw new Error(`internal error: the zip has ${blob.size} bytes, expected ${total}`);
      return new Blob([blob], { type: 'application/zip' });
    });
  },
};

Comlink.expose(api);
