/**
 * The output modes, behind one call: the worker, the CLI's quantize and batch commands all go through runMode, so
 * the same request gives the same bytes everywhere. A mode builds its output as pieces (lazy where tensors are
 * computed or read from the input); writeOutput streams them to a sink.
 */
import { convertFp16, type Fp16Options, type Fp16Report } from './fp16/index.js';
import { quantizeInt8, type Int8Report, type QuantizeInt8Options } from './int8/index.js';
import type { ModelView } from './onnx/model.js';
import { type ModelOutput, type Piece, piecesSize } from './onnx/writer.js';
import { type ByteSink, writePieces } from './io/write.js';
import { checkTensorData } from './onnx/tensor-data.js';

export type Mode = 'int8' | 'fp16';
export const MODES: readonly Mode[] = ['int8', 'fp16'];

export type ModeRequest = { mode: 'int8'; options: QuantizeInt8Options } | { mode: 'fp16'; options: Fp16Options };
export type ModeReport = Int8Report | Fp16Report;

export interface ModeProgress {
  /** 0..1 of the mode's own work. */
  fraction: number;
  done?: number;
  total?: number;
  /** The tensor or step being processed. */
  item?: string;
}

export interface ModeResult {
  /** The output file, in order; lazy pieces are read or computed when written. */
  parts: Piece[];
  /** The external-data file next to it, when the output is over 2 GiB (see ExternalLayout). */
  data: ModelOutput['data'];
  report: ModeReport;
  /** Bytes of the model file plus its external-data file. */
  outputBytes: number;
}

/** Output size in bytes as the report states it. */
export function reportOutputBytes(r: ModeReport): number {
  return r.mode === 'int8' ? r.quantizedBytes : r.convertedBytes;
}

/**
 * Plans the output of `req` for `model`: the graph is rewritten and every output byte is accounted for, but tensor
 * work (quantizing, converting) happens when the pieces are written (writeOutput). Throws the mode's refusal
 * errors (Int8Refusal, Fp16OptionError, OnnxFormatError) before anything is written.
 */
export async function runMode(
  model: ModelView,
  req: ModeRequest,
  onProgress?: (p: ModeProgress) => void,
  signal?: AbortSignal,
): Promise<ModeResult> {
  checkTensorData(model);
  let parts: Piece[];
  let data: ModelOutput['data'] = null;
  let report: ModeReport;
  if (req.mode === 'int8') {
    ({ parts, data, report } = await quantizeInt8(model, req.options, (p) =>
      onProgress?.({ fraction: p.total ? p.done / p.total : 1, done: p.done, total: p.total, item: p.tensor }),
    signal));
  } else {
    // FP16 reports three phases, each 0..1: fold them into one fraction (analyze 10%, convert 80%, write 10%).
    const span = { analyze: [0, 0.1], convert: [0.1, 0.9], write: [0.9, 1] } as const;
    ({ parts, data, report } = await convertFp16(model, req.options, (p) => {
      const [a, b] = span[p.phase];
      onProgress?.({ fraction: a + (b - a) * p.fraction, ...(p.done !== undefined ? { done: p.done, total: p.total } : {}), ...(p.message ? { item: p.message } : {}) });
    }, signal));
  }
  const outputBytes = piecesSize(parts) + (data?.bytes ?? 0);
  if (outputBytes !== reportOutputBytes(report))
    throw new Error(`internal error: the ${req.mode} output is ${outputBytes} bytes but its report says ${reportOutputBytes(report)}`);
  return { parts, data, report, outputBytes };
}

/**
 * Streams a planned output to `sink` (see io/write.ts), and its external-data file to `dataSink()` when it has one
 * (asked for only then); the report's duration then covers the work done while writing. Progress counts the bytes
 * of both files.
 */
export async function writeOutput(
  result: ModeResult,
  sink: ByteSink,
  opts: {
    signal?: AbortSignal;
    onProgress?: (done: number, total: number, label?: string) => void;
    startedAt?: number;
    dataSink?: () => Promise<ByteSink>;
  } = {},
): Promise<void> {
  const total = result.outputBytes;
  let before = 0;
  const progress = opts.onProgress ? (done: number, _t: number, label?: string) => opts.onProgress!(before + done, total, label) : undefined;
  const w = { ...(opts.signal ? { signal: opts.signal } : {}), ...(progress ? { onProgress: progress } : {}) };
  if (result.data) {
    if (!opts.dataSink) throw new Error(`internal error: the output needs an external-data file (${result.data.location}) but no sink was given`);
    before = await writePieces(result.data.pieces, await opts.dataSink(), w);
  }
  await writePieces(result.parts, sink, w);
  if (opts.startedAt !== undefined) {
    const ms = Date.now() - opts.startedAt;
    if (result.report.mode === 'int8') result.report.durationMs = ms;
    else result.report.timeMs = ms;
  }
}
