import type { ModelSummary } from '../src/core/onnx/summary.js';

/** Progress events sent from the inspect worker to the page. */
export type InspectProgress =
  | { phase: 'reading'; loaded: number; total: number }
  | { phase: 'parsing' };

export type ProgressCallback = (p: InspectProgress) => void;

/** What `workers/inspect.worker.ts` exposes through comlink. */
export interface InspectWorkerApi {
  /**
   * Reads `file`, parses it as ONNX and returns its model card.
   * `siblings` maps the other dropped files' names to their sizes (external data resolution).
   * Throws an Error named "OnnxFormatError" for bad input, otherwise one whose message starts with "internal error:".
   */
  inspect(file: File, siblings: Record<string, number>, onProgress?: ProgressCallback): Promise<ModelSummary>;
}
