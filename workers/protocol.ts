import type { ModelSummary } from '../src/core/onnx/summary.js';

/** Progress events sent from the inspect worker to the page. */
export type InspectProgress = { phase: 'reading'; loaded: number; total: number } | { phase: 'parsing' };

export type ProgressCallback = (p: InspectProgress) => void;

/** What `workers/inspect.worker.ts` exposes through comlink. */
export interface InspectWorkerApi {
  /**
   * Opens `file` as ONNX (its structure only: tensor payloads are not read) and returns its model card.
   * `others` are the files given with it: external data is resolved against them (by path relative to the model's
   * folder, else by name) and counted in the card's sizes; problems are listed in `externalDataProblems`.
   * Throws an Error named "OnnxFormatError" for bad input, otherwise one whose message starts with "internal error:".
   */
  inspect(file: File, others: File[], onProgress?: ProgressCallback): Promise<ModelSummary>;
}
