/// <reference lib="webworker" />
// Thin comlink entry: File -> bytes -> inspectModel -> ModelSummary. No DOM here.
import * as Comlink from 'comlink';
import { inspectModel, OnnxFormatError } from '../src/core/onnx/index.js';
import type { InspectWorkerApi, ProgressCallback } from './protocol.js';
import { readFileWithProgress } from './read-file.js';

/** The browser could not give us the file's bytes (moved, permissions, out of memory). */
class FileReadError extends Error {
  override name = 'FileReadError';
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/**
 * Comlink re-creates thrown errors on the page as `Object.assign(new Error(message), {name, message, stack})`,
 * so an Error with name "OnnxFormatError" keeps its name and message across the boundary.
 */
function toTransferableError(e: unknown): Error {
  if (e instanceof FileReadError) return e;
  if (e instanceof OnnxFormatError || (e instanceof Error && e.name === 'OnnxFormatError')) {
    const err = new Error(e.message);
    err.name = 'OnnxFormatError';
    return err;
  }
  const err = new Error(`internal error: ${messageOf(e)}`);
  err.name = 'InternalError';
  if (e instanceof Error && e.stack) err.stack = e.stack;
  return err;
}

const api: InspectWorkerApi = {
  async inspect(file: File, siblings: Record<string, number>, onProgress?: ProgressCallback) {
    try {
      let bytes: Uint8Array;
      try {
        bytes = await readFileWithProgress(file, (loaded, total) => {
          void onProgress?.({ phase: 'reading', loaded, total });
        });
      } catch (e) {
        throw new FileReadError(`could not read the file: ${messageOf(e)}`);
      }
      // Awaited so the "parsing" state is on screen before the (synchronous) parse blocks this worker.
      await onProgress?.({ phase: 'parsing' });
      return inspectModel(bytes, { fileName: file.name, fileBytes: file.size, siblings: { ...siblings } });
    } catch (e) {
      throw toTransferableError(e);
    } finally {
      // The callback arrives as a comlink proxy: release its MessagePort.
      const releasable = onProgress as unknown as { [Comlink.releaseProxy]?: () => void } | undefined;
      try {
        releasable?.[Comlink.releaseProxy]?.();
      } catch {
        /* already released */
      }
    }
  },
};

Comlink.expose(api);
