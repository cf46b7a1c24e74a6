import type { ModeId, ModeReport, OptionsOf } from '../src/core/modes/registry.js';

export type QuantizeMode = ModeId;

/** What to do with the model. Options are plain data (structured clone); the worker adds provenance and layout. */
export type QuantizeRequest = { [K in ModeId]: { mode: K; options: Omit<OptionsOf<K>, 'provenance' | 'layout'> } }[ModeId] & {
  /**
   * Go on although the model is already quantized, and keep an output that rewrote nothing (the page's "Quantize
   * anyway"). Without it the worker refuses both (AvaError kinds 'already-quantized', 'nothing-to-do').
   */
  force?: boolean;
  /** When the user asked (ISO 8601), recorded in the output's metadata; the page's clock, so tests can fix it. */
  date?: string;
  /**
   * The output's file name (its external-data file, when it needs one, is `<name>_data`), a job id that names its
   * files in the origin-private file system (so the page can remove them after a cancel), and optionally a file the
   * user picked to write to directly.
   */
  output?: { name: string; jobId: string; handle?: FileSystemFileHandle; externalData?: boolean };
};

export type QuantizeReport = ModeReport;

/**
 * Progress from the quantize worker. `fraction` is 0..1 within the phase; `done`/`total` are bytes when the phase
 * counts bytes (reading: file bytes; quantizing: input bytes of the tensors processed); `item` names the tensor.
 */
export interface QuantizeProgress {
  phase: 'reading' | 'parsing' | 'analyzing' | 'quantizing' | 'converting' | 'writing' | 'packaging';
  fraction: number;
  done?: number;
  total?: number;
  item?: string;
}

export type QuantizeProgressCallback = (p: QuantizeProgress) => void;

export interface QuantizeResult {
  /** The output model: a disk-backed File (OPFS or the picked file) where the browser has one, else a Blob. */
  blob: Blob;
  /** Its external-data file (`<name>_data`), for outputs over 2 GiB: the two files must be saved side by side. */
  data?: { name: string; blob: Blob };
  /** Where the output was written. */
  storage: 'picked' | 'opfs' | 'memory';
  report: QuantizeReport;
  /** Sum of the parts' lengths; equals blob.size and the report's output byte count (checked in the worker). */
  outputBytes: number;
}

/** What `workers/quantize.worker.ts` exposes through comlink. */
export interface QuantizeWorkerApi {
  /**
   * Reads `file` (never modified), parses it and runs the requested mode. `externalFiles` are the dropped files the
   * model's external-data references name. Throws ErrorData (src/core/errors.ts): a kind and a message for
   * problems with the input or the options, kind 'internal' (message "internal error: …") otherwise.
   */
  quantize(
    file: File,
    externalFiles: File[],
    request: QuantizeRequest,
    onProgress?: QuantizeProgressCallback,
  ): Promise<QuantizeResult>;
}
