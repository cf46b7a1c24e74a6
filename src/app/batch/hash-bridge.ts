/**
 * The hash worker's bridge (see job-bridge.ts: lazy start, idle shutdown, abort = terminate). Each bridge instance
 * has its own worker, so cancelling one job (e.g. a batch) never takes another's (e.g. a "Verify a copy") with it.
 */
import * as Comlink from 'comlink';
import type { Manifest } from '../../core/batch/manifest.js';
import type { Digests, HashProgress, HashWorkerApi, VerifyResult, ZipFileInput, ZipProgress } from '../../../workers/hash-protocol.js';
import { AvaError } from '../../core/errors.js';
import { JobBridge, type WorkerFactory } from '../job-bridge.js';

export type { Digests, HashProgress, VerifyResult, ZipFileInput, ZipProgress };

const defaultFactory: WorkerFactory = () =>
  new Worker(new URL('../../../workers/hash.worker.ts', import.meta.url), { type: 'module', name: 'ava-hash' });

export interface HashCallOptions {
  signal?: AbortSignal;
  onProgress?: (p: HashProgress) => void;
}

/** Rejects with an AvaError: kind 'format' (not a checksum), 'zip', 'read', 'abort' or 'internal'. */
export class HashBridge extends JobBridge<HashWorkerApi> {
  constructor(idleMs = 5_000, factory: WorkerFactory = defaultFactory) {
    super(idleMs, factory);
  }

  hash(blob: Blob, opts: HashCallOptions = {}): Promise<Digests> {
    const { signal, onProgress } = opts;
    return this.call(signal, async (api) => {
      const d = await api.hash(blob, onProgress ? Comlink.proxy(onProgress) : undefined);
      if (d.bytes !== blob.size) throw new AvaError('read', `could not read the whole file: hashed ${d.bytes} of ${blob.size} bytes`);
      return d;
    });
  }

  verify(blob: Blob, expected: string, fileName: string | null, opts: HashCallOptions = {}): Promise<VerifyResult> {
    const { signal, onProgress } = opts;
    return this.call(signal, (api) => api.verify(blob, expected, fileName, onProgress ? Comlink.proxy(onProgress) : undefined));
  }

  zip(
    files: ZipFileInput[],
    manifest: Manifest | null,
    opts: { signal?: AbortSignal; onProgress?: (p: ZipProgress) => void } = {},
  ): Promise<Blob> {
    const { signal, onProgress } = opts;
    return this.call(signal, (api) => api.zip(files, manifest, onProgress ? Comlink.proxy(onProgress) : undefined));
  }
}
