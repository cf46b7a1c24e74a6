/**
 * File -> bytes, counting bytes as they arrive (file.stream() reader) so the UI can show progress.
 * Progress is throttled to roughly every `intervalMs` plus the final tick.
 */
export async function readFileWithProgress(
  file: Blob,
  onProgress?: (loaded: number, total: number) => void,
  intervalMs = 80,
): Promise<Uint8Array> {
  const total = file.size;
  const out = new Uint8Array(total);
  const reader = file.stream().getReader();
  let loaded = 0;
  let last = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.byteLength > total) {
        throw new Error(`file grew while reading (expected ${total} bytes)`);
      }
      out.set(value, loaded);
      loaded += value.byteLength;
      const now = Date.now();
      if (onProgress && now - last >= intervalMs) {
        last = now;
        onProgress(loaded, total);
      }
    }
  } finally {
    reader.releaseLock();
  }
  onProgress?.(loaded, total);
  return loaded === total ? out : out.subarray(0, loaded);
}
