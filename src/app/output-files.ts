/**
 * The page's side of outputs written to the origin-private file system by the quantize worker
 * (workers/output-target.ts): removing a job's files when its result is discarded or its worker was terminated
 * mid-write (a cancel), and sweeping files left by closed tabs.
 */
const OUTPUT_DIR = 'ava-output';

async function dir(): Promise<FileSystemDirectoryHandle | null> {
  try {
    return await (await navigator.storage.getDirectory()).getDirectoryHandle(OUTPUT_DIR, { create: true });
  } catch {
    return null;
  }
}

/**
 * Removes one entry, waiting for a lock to go: a worker terminated mid-write (a cancel) still holds its file's sync
 * access handle for a moment, and removeEntry fails with NoModificationAllowedError until the browser releases it.
 * Resolves when the entry is gone (or never existed); gives up after about `patienceMs`.
 */
async function removeWhenUnlocked(d: FileSystemDirectoryHandle, name: string, patienceMs = 5000): Promise<void> {
  const t0 = Date.now();
  for (let wait = 10; ; wait = Math.min(wait * 2, 250)) {
    try {
      await d.removeEntry(name);
      return;
    } catch (e) {
      if ((e as DOMException).name === 'NotFoundError' || Date.now() - t0 > patienceMs) return;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** Removes the OPFS files of a job (`<jobId>.onnx`, `<jobId>.onnx_data`), also while their writer is going away. Never throws. */
export async function removeJobFiles(jobId: string): Promise<void> {
  const d = await dir();
  if (!d) return;
  await Promise.all([`${jobId}.onnx`, `${jobId}.onnx_data`].map((name) => removeWhenUnlocked(d, name)));
}

/** Removes outputs older than `maxAgeMs` (left by tabs that were closed). Never throws. */
export async function sweepOldOutputs(maxAgeMs = 24 * 3600 * 1000): Promise<void> {
  const d = await dir();
  if (!d) return;
  try {
    const it = (d as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries();
    for await (const [name, h] of it) {
      if (h.kind !== 'file') continue;
      const f = await (h as FileSystemFileHandle).getFile().catch(() => null);
      if (f && Date.now() - f.lastModified > maxAgeMs) await d.removeEntry(name).catch(() => undefined);
    }
  } catch {
    /* nothing to sweep */
  }
}

/** A fresh job id (names the job's OPFS files). */
export function newJobId(): string {
  return `job-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
