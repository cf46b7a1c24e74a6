import type { ModeId, ModeReport, OptionsOf } from '../src/core/modes/registry.js';
import type { QualityBackendChoice, TargetCheck, TargetId } from '../src/core/targets/index.js';

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
  /**
   * "Where will it run?": the deployment target the output is checked against (src/core/targets checkTarget, on the
   * written output, in the worker) and an optional runtime version ("1.24"; default: the target's). Without it the
   * output is checked against DEFAULT_TARGET (android-arm64, the seed's device), as the CLI does. The worker does not
   * change the options for the target: the page picks INT8's preset with `TARGETS[id].int8Preset` (or
   * `deploymentPlan(model, id).int8Preset`) when the user chooses where it will run.
   */
  target?: { id: TargetId; runtimeVersion?: string };
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
  /**
   * The output checked against the target (the request's, else android-arm64): `ok` false when a node cannot run
   * there (`unsupported`: op, node, reason, `holdsFor` runtime versions, `source`), warnings beside, `groups` for
   * display (blocking first). The file is written either way: the page decides what to show before the download.
   */
  targetCheck: TargetCheck;
  /** The target the request named (false: the default was checked). */
  targetRequested: boolean;
  /** Where the quality check should run for that target in the page (WASM / WebGPU, and what it approximates). */
  qualityBackend: QualityBackendChoice['page'];
}

/** What `workers/quantize.worker.ts` exposes through comlink. */
export interface QuantizeWorkerApi {
  /**
   * Reads `file` (never modified), parses it and runs the requested mode. `externalFiles` are the dropped files the
   * model's external-data references name. Throws ErrorData (src/core/errors.ts): a kind and a message for
   * problems with the input or the options, kind 'internal' (message "internal error: …") otherwise.
   */
  quantize(file: File, externalFiles: File[], request: QuantizeRequest, onProgress?: QuantizeProgressCallback): Promise<QuantizeResult>;
}
