/// <reference lib="webworker" />
// Thin comlink entry: File -> bytes -> inspectModel -> ModelSummary. No DOM here.
import * as Comlink from 'comlink';
import { inspectModel } from '../src/core/onnx/index.js';
import type { InspectWorkerApi, ProgressCallback } from './protocol.js';
import { readFileWithProgress } from './read-file.js';
import { FileReadError, messageOf, transferableError } from './errors.js';

const toTransferableError = (e: unknown) => transferableError(e, new Set(['OnnxFormatError']));


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
