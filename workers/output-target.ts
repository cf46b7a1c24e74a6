/// <reference lib="webworker" />
/**
 * Where a worker writes an output model: a file the user picked (File System Access), else a file in the
 * origin-private file system (OPFS, written through a sync access handle), else memory. Disk-backed targets hold
 * nothing in memory: the resulting File is read from disk when the page downloads it. A failed or cancelled run
 * removes its file (abort()); the page also removes OPFS outputs of a terminated worker (see app/output-files.ts).
 */
import type { ByteSink } from '../src/core/io/write.js';

export const OUTPUT_DIR = 'ava-output';

export interface OutputTarget {
  sink: ByteSink;
  /** Closes the file and returns it (a disk-backed File for OPFS). */
  finish(): Promise<File | Blob>;
  /** Closes and deletes what was written. */
  abort(): Promise<void>;
  readonly kind: 'picked' | 'opfs' | 'memory';
}

/** The OPFS folder for outputs, or null when the browser has none (or refuses it, e.g. some private modes). */
export async function outputDir(): Promise<FileSystemDirectoryHandle | null> {
  try {
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle(OUTPUT_DIR, { create: true });
  } catch {
    return null;
  }
}

/**
 * The error of a write that failed, naming the file the user will get (`shown`: a split output's data file, not its
 * model): storage full (QuotaExceededError, or a write that took nothing) said as such.
 */
function writeFailed(shown: string, e?: unknown): Error {
  if (e === undefined || (e as { name?: string } | null)?.name === 'QuotaExceededError')
    return new Error(`could not write ${shown}: the browser's storage is full (nothing was kept)`);
  return new Error(`could not write ${shown}: ${(e as Error | null)?.message ?? String(e)}`);
}

/**
 * An OPFS file `name` in the output folder, written with a sync access handle (dedicated workers only); `shown` is
 * the name the user will save it as, for messages.
 */
export async function opfsTarget(name: string, shown = name): Promise<OutputTarget | null> {
  const dir = await outputDir();
  if (!dir) return null;
  let handle: FileSystemFileHandle;
  let access: FileSystemSyncAccessHandle;
  try {
    handle = await dir.getFileHandle(name, { create: true });
    access = await (
      handle as FileSystemFileHandle & { createSyncAccessHandle(): Promise<FileSystemSyncAccessHandle> }
    ).createSyncAccessHandle();
  } catch {
    return null;
  }
  access.truncate(0);
  let at = 0;
  let open = true;
  const close = () => {
    if (open) {
      open = false;
      access.flush();
      access.close();
    }
  };
  return {
    kind: 'opfs',
    sink: {
      write(chunk) {
        let off = 0;
        while (off < chunk.length) {
          let n: number;
          try {
            n = access.write(chunk.subarray(off), { at: at + off });
          } catch (e) {
            return Promise.reject(writeFailed(shown, e));
          }
          if (n <= 0) return Promise.reject(writeFailed(shown));
          off += n;
        }
        at += chunk.length;
        return Promise.resolve();
      },
    },
    async finish() {
      close();
      return handle.getFile();
    },
    async abort() {
      try {
        close();
      } catch {
        /* already closed */
      }
      await dir.removeEntry(name).catch(() => undefined);
    },
  };
}

/** A file the user picked with showSaveFilePicker (the handle is passed to the worker). */
export async function pickedTarget(handle: FileSystemFileHandle): Promise<OutputTarget> {
  const w = await handle.createWritable();
  return {
    kind: 'picked',
    sink: {
      write: (chunk) =>
        w.write(chunk as Uint8Array<ArrayBuffer>).catch((e: unknown) => {
          throw writeFailed(handle.name, e);
        }),
    },
    async finish() {
      await w.close();
      return handle.getFile();
    },
    async abort() {
      await w.abort().catch(() => undefined);
    },
  };
}

/** Memory: the chunks become a Blob (the browser may keep big Blobs on disk). The fallback without OPFS. */
export function memoryTarget(): OutputTarget {
  const chunks: BlobPart[] = [];
  return {
    kind: 'memory',
    sink: {
      write(chunk) {
        chunks.push(chunk.slice());
        return Promise.resolve();
      },
    },
    finish: () => Promise.resolve(new Blob(chunks, { type: 'application/octet-stream' })),
    abort() {
      chunks.length = 0;
      return Promise.resolve();
    },
  };
}

/** Whether the origin's storage quota has room for `bytes` more (private windows give OPFS a small quota). */
async function roomFor(bytes: number): Promise<boolean> {
  try {
    const { quota, usage } = await navigator.storage.estimate();
    return quota === undefined || usage === undefined || quota - usage > bytes + (64 << 20);
  } catch {
    return true;
  }
}

/**
 * The best target available for `bytes` of output: the picked file, else OPFS when it has room, else memory. `shown`:
 * the name the user saves the file as (messages name it; default `name`).
 */
export async function outputTarget(name: string, bytes: number, picked?: FileSystemFileHandle, shown = name): Promise<OutputTarget> {
  if (picked) return pickedTarget(picked);
  return ((await roomFor(bytes)) ? await opfsTarget(name, shown) : null) ?? memoryTarget();
}
