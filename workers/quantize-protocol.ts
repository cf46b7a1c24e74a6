import type { Fp16Options, Fp16Report } from '../src/core/fp16/options.js';
import type { Int8Report, QuantizeInt8Options } from '../src/core/int8/quantize.js';

export type QuantizeMode = 'int8' | 'fp16';

/** What to do with the model. Options are plain data (structured clone); the worker adds provenance and layout. */
export type QuantizeRequest = (
  | { mode: 'int8'; options: Omit<QuantizeInt8Options, 'provenance' | 'layout'> }
  | { mode: 'fp16'; options: Omit<Fp16Options, 'provenance'> }
) & {
  /** When the user asked (ISO 8601), recorded in the output's metadata; the page's clock, so tests can fix it. */
  date?: string;
  /**
   * The output's file name (its external-data file, when it needs one, is `<name>_data`), a job id that names its
   * files in the origin-private file system (so the page can remove them after a cancel), and optionally a file the
   * user picked to write to directly.
   */
  output?: { name: string; jobId: string; handle?: FileSystemFileHandle; externalData?: boolean };
};

export type QuantizeReport = Int8Report | Fp16Report;

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
   * model's external-data references name. Throws Errors named OnnxFormatError, Int8Refusal, Fp16OptionError or
   * FileReadError for problems with the input/options, otherwise one whose message starts with "internal error:".
   */
  quantize(
    file: File,
    externalFiles: File[],
    request: QuantizeRequest,
    onProgress?: QuantizeProgressCallback,
  ): Promise<QuantizeResult>;
}
