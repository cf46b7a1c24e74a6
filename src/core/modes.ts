/**
 * The output modes, behind one call: the worker, the CLI's quantize and batch commands all go through runMode,
 * so the same request gives the same bytes everywhere.
 */
import { convertFp16, type Fp16Options, type Fp16Report } from './fp16/index.js';
import { quantizeInt8, type Int8Report, type QuantizeInt8Options } from './int8/index.js';
import type { ModelView } from './onnx/model.js';

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
  parts: Uint8Array[];
  report: ModeReport;
  outputBytes: number;
}

/** Output size in bytes as the report states it. */
export function reportOutputBytes(r: ModeReport): number {
  return r.mode === 'int8' ? r.quantizedBytes : r.convertedBytes;
}

export async function runMode(
  model: ModelView,
  req: ModeRequest,
  onProgress?: (p: ModeProgress) => void,
  signal?: AbortSignal,
): Promise<ModeResult> {
  let parts: Uint8Array[];
  let report: ModeReport;
  if (req.mode === 'int8') {
    ({ parts, report } = await quantizeInt8(model, req.options, (p) =>
      onProgress?.({ fraction: p.total ? p.done / p.total : 1, done: p.done, total: p.total, item: p.tensor }),
    signal));
  } else {
    // FP16 reports three phases, each 0..1: fold them into one fraction (analyze 10%, convert 80%, write 10%).
    const span = { analyze: [0, 0.1], convert: [0.1, 0.9], write: [0.9, 1] } as const;
    ({ parts, report } = await convertFp16(model, req.options, (p) => {
      const [a, b] = span[p.phase];
      onProgress?.({ fraction: a + (b - a) * p.fraction, ...(p.done !== undefined ? { done: p.done, total: p.total } : {}), ...(p.message ? { item: p.message } : {}) });
    }, signal));
  }
  let outputBytes = 0;
  for (const p of parts) outputBytes += p.length;
  if (outputBytes !== reportOutputBytes(report))
    throw new Error(`internal error: the ${req.mode} output is ${outputBytes} bytes but its report says ${reportOutputBytes(report)}`);
  return { parts, report, outputBytes };
}
