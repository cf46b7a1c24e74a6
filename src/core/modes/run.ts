/**
 * Running a mode, behind one call: the quantize worker and the CLI's quantize and batch commands all go through
 * runMode, so the same request gives the same bytes everywhere. A mode builds its output as pieces (lazy where
 * tensors are computed or read from the input); writeOutput streams them to a sink.
 */
import { AlreadyQuantizedError, NothingToQuantizeError } from '../errors.js';
import { type ByteSink, writePieces } from '../io/write.js';
import { quantizationOf } from '../onnx/inspect.js';
import type { ModelView } from '../onnx/model.js';
import { checkTensorData } from '../onnx/tensor-data.js';
import { type ModelOutput, type Piece, piecesSize } from '../onnx/writer.js';
import { alreadyQuantized } from './already.js';
import { MODES, type ModeReport, type ModeRequest, modeMeta } from './registry.js';
import { nothingDone } from './report.js';
import type { ModeProgress } from './types.js';

export interface ModeResult {
  /** The output file, in order; lazy pieces are read or computed when written. */
  parts: Piece[];
  /** The external-data file next to it, when the output is over 2 GiB (see ExternalLayout). */
  data: ModelOutput['data'];
  report: ModeReport;
  /** Bytes of the model file plus its external-data file (= report.outputBytes). */
  outputBytes: number;
}

export interface RunModeOptions {
  onProgress?: (p: ModeProgress) => void;
  signal?: AbortSignal;
  /**
   * Go on although the input is already quantized, and return an output that rewrote nothing. Without it both are
   * refused (AlreadyQuantizedError before any work, NothingToQuantizeError before anything is written).
   */
  force?: boolean;
}

/**
 * Is `model` already quantized? Our provenance metadata or the model card's detection (src/core/modes/already.ts).
 * Returns the AlreadyQuantizedError runMode would throw, or null.
 */
export function alreadyQuantizedError(model: ModelView): AlreadyQuantizedError | null {
  // The card's finding alone (not the whole card, with every mode's size prediction).
  const a = alreadyQuantized({
    quantized: quantizationOf(model),
    metadata: Object.fromEntries(model.metadata.map((e) => [e.key, e.value])),
  });
  return a
    ? new AlreadyQuantizedError(`${a.reason}: quantizing it again would not make it smaller and may cost quality`, a.evidence)
    : null;
}

/**
 * Plans the output of `req` for `model`: the graph is rewritten and every output byte is accounted for, but tensor
 * work (quantizing, converting) happens when the pieces are written (writeOutput). Throws, before anything is
 * written: the mode's AvaErrors (OnnxFormatError / InvalidGraphError for a broken model, Int8Refusal,
 * Fp16OptionError, missing external data), AlreadyQuantizedError and NothingToQuantizeError (unless `force`).
 */
export async function runMode(model: ModelView, req: ModeRequest, opts: RunModeOptions = {}): Promise<ModeResult> {
  checkTensorData(model);
  if (!opts.force) {
    const already = alreadyQuantizedError(model);
    if (already) throw already;
  }
  const { parts, data, report } = (await MODES[req.mode].run(model, req.options as never, opts.onProgress, opts.signal)) as {
    parts: Piece[];
    data: ModelOutput['data'];
    report: ModeReport;
  };
  const outputBytes = piecesSize(parts) + (data?.bytes ?? 0);
  if (outputBytes !== report.outputBytes)
    throw new Error(`internal error: the ${req.mode} output is ${outputBytes} bytes but its report says ${report.outputBytes}`);
  if (!opts.force) {
    const why = nothingDone(report, modeMeta(req.mode).label);
    if (why) throw new NothingToQuantizeError(why);
  }
  return { parts, data, report, outputBytes };
}

/**
 * Streams a planned output to `sink` (see io/write.ts), and its external-data file to `dataSink()` when it has one
 * (asked for only then); the report's durationMs then covers the work done while writing. Progress counts the
 * bytes of both files.
 */
export async function writeOutput(
  result: ModeResult,
  sink: ByteSink,
  opts: {
    signal?: AbortSignal;
    onProgress?: (done: number, total: number, label?: string) => void;
    startedAt?: number;
    dataSink?: () => Promise<ByteSink>;
    /** How far the writer computes pieces ahead of writing them (writePieces' lookaheadBytes / lookaheadPieces). */
    lookahead?: { bytes: number; pieces: number };
  } = {},
): Promise<void> {
  const total = result.outputBytes;
  let before = 0;
  const progress = opts.onProgress
    ? (done: number, _t: number, label?: string) => opts.onProgress!(before + done, total, label)
    : undefined;
  const w = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(progress ? { onProgress: progress } : {}),
    ...(opts.lookahead ? { lookaheadBytes: opts.lookahead.bytes, lookaheadPieces: opts.lookahead.pieces } : {}),
  };
  if (result.data) {
    if (!opts.dataSink)
      throw new Error(`internal error: the output needs an external-data file (${result.data.location}) but no sink was given`);
    before = await writePieces(result.data.pieces, await opts.dataSink(), w);
  }
  await writePieces(result.parts, sink, w);
  if (opts.startedAt !== undefined) result.report.durationMs = Date.now() - opts.startedAt;
}
