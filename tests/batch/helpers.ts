/** Real quantizer and converter runs on a small real model, shared by the batch tests. */
import { readFileSync } from 'node:fs';
import { convertFp16, type Fp16Report } from '../../src/core/fp16/index.js';
import { quantizeInt8, type Int8Report } from '../../src/core/int8/index.js';
import { collectPieces, inspectModel, parseModel, type ModelSummary, type Piece } from '../../src/core/onnx/index.js';
import { fixture, pathOf } from '../helpers/fixtures.js';

export { TOOL } from '../../src/core/tool.js';

export interface Run<R> {
  /** The output in memory (one piece). */
  parts: Uint8Array[];
  report: R;
  summary: ModelSummary;
}

export interface SmallRuns {
  name: string;
  bytes: Uint8Array;
  summary: ModelSummary;
  int8: Run<Int8Report>;
  fp16: Run<Fp16Report>;
}

let cached: Promise<SmallRuns> | null = null;

/** openWakeWord "hello deepa" (300 kB, MatMul + Conv): INT8 with the tjs-q8 preset and FP16 with defaults. */
export function smallRuns(): Promise<SmallRuns> {
  cached ??= (async () => {
    const f = fixture('openwakeword-hello-deepa');
    const bytes = new Uint8Array(readFileSync(pathOf(f)));
    const name = pathOf(f).split('/').pop()!;
    const q = await quantizeInt8(parseModel(bytes), { preset: 'tjs-q8' });
    const h = await convertFp16(parseModel(bytes));
    const look = async (parts: Piece[], fileName: string) => {
      const out = await collectPieces(parts);
      return { parts: [out], summary: inspectModel(out, { fileName }) };
    };
    return {
      name,
      bytes,
      summary: inspectModel(bytes, { fileName: name }),
      int8: { ...q, ...(await look(q.parts, 'int8.onnx')) },
      fp16: { ...h, ...(await look(h.parts, 'fp16.onnx')) },
    };
  })();
  return cached;
}
