/// <reference lib="webworker" />
// Thin comlink entry: File (+ the files dropped with it) -> openModel (structure only, payloads stay in the File)
// -> ModelSummary. No DOM here.
import * as Comlink from 'comlink';
import { workerJob } from './job.js';
import { summarize } from '../src/core/onnx/inspect.js';
import { openModel } from '../src/core/onnx/open.js';
import { blobSource } from '../src/core/io/source.js';
import { siblingsOf } from '../src/core/io/files.js';
import type { InspectWorkerApi, ProgressCallback } from './protocol.js';
import { AvaError, FileReadError, messageOf } from '../src/core/errors.js';

/** A file's path as given (folder drops and pickers set webkitRelativePath), else its name. */
export const pathOf = (f: File): string => f.webkitRelativePath || f.name;

const api: InspectWorkerApi = {
  async inspect(file: File, others: File[], onProgress?: ProgressCallback) {
    return workerJob(onProgress, async () => {
      const siblings = siblingsOf(
        pathOf(file),
        others.map((f) => ({ path: pathOf(f), source: blobSource(f) })),
      );
      let opened;
      try {
        opened = await openModel(
          { model: blobSource(file), siblings },
          {
            onProgress: (loaded, total) => void onProgress?.({ phase: 'reading', loaded, total }),
          },
        );
      } catch (e) {
        if (e instanceof AvaError) throw e;
        throw new FileReadError(`could not read the file: ${messageOf(e)}`);
      }
      await onProgress?.({ phase: 'parsing' });
      return summarize(opened.model, { fileName: file.name, fileBytes: file.size }, file.size);
    });
  },
};

Comlink.expose(api);
