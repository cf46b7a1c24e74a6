/**
 * Q4F16: 4-bit weights with the rest in float16, as transformers.js makes `model_q4f16.onnx` (scripts/quantize.py:
 * `quantize_q4` -> MatMul4BitsQuantizer(block_size = 32, is_symmetric = True), then `quantize_fp16` on that model:
 * its float16.py `convert_float_to_float16(keep_io_types = True, op_block_list = DEFAULT_OP_BLOCK_LIST)`, then
 * onnxslim). onnxruntime itself has no q4f16 recipe; its quantizer takes float16 weights directly (scales stay
 * float16).
 *
 * Here (order 'q4-first', the default, transformers.js's order): quantizeQ4 (same options, default preset tjs-q4),
 * then the project's FP16 converter (`convertFp16`, with its own defaults: float32 graph inputs / outputs,
 * onnxruntime's clamping) on the Q4 output. The FP16 converter knows MatMulNBits' and GatherBlockQuantized's
 * signatures (src/core/fp16/schema.ts CONTRIB_SCHEMAS): MatMulNBits runs in float16 with float16 scales (input A,
 * scales, bias, output), GatherBlockQuantized with float16 scales and output, as in transformers.js's file. Whatever
 * the converter cannot type or convert stays float32 with Casts around it and a reason in `report.fp16.keptOps`.
 * Order 'fp16-first': convertFp16, then quantizeQ4 on the float16 model, i.e. onnxruntime's MatMulNBitsQuantizer
 * on an FP16 model: MatMulNBits then runs in float16 with float16 scales, as in transformers.js's file (the 4-bit
 * values come from the float16-rounded weights).
 */
import { convertFp16, type Fp16Options, type Fp16Report } from '../fp16/index.js';
import type { ModelView } from '../onnx/model.js';
import { openPieces } from '../onnx/pieces-source.js';
import type { ModelOutput, Piece } from '../onnx/writer.js';
import type { ModeReportBase } from '../modes/types.js';
import type { ResolvedQ4Options } from './options.js';
import { type Q4Progress, type Q4Report, type QuantizeQ4Options, quantizeQ4 } from './quantize.js';

/**
 * The report base every mode shares (src/core/modes/types.ts) — `rewritten` and `keptInFloat` are the two steps'
 * together — and the two steps' own reports beside it.
 */
export interface Q4F16Report extends ModeReportBase<'q4f16'> {
  options: ResolvedQ4Options & { order: Q4F16Order };
  order: Q4F16Order;
  /** The Q4 step (its sizes are those of its input and output: the intermediate model on one side). */
  q4: Q4Report;
  /**
   * The FP16 step. Its weight statistics are complete once the output is written, as FP16's own are (in either order:
   * the step's tensors are converted when the output's writer reaches them).
   */
  fp16: Fp16Report;
}

export type Q4F16Order = 'q4-first' | 'fp16-first';

/**
 * Quantizes `model` to Q4 and converts the rest to float16, in `order` (default 'q4-first'). `fp16` options go to
 * convertFp16 unchanged. Progress reports the Q4 weights. The intermediate model is never held whole: the second
 * stage reads the first stage's output pieces through a source over them (openPieces), so tensors carried through
 * are read from the input by range and the first stage computes each tensor when the second reads it (q4-first: the
 * 4-bit weights and scales, held from the FP16 stage's range scan until written, at most about the 4-bit weights'
 * size; fp16-first: one float16 tensor at a time). Returns the output as pieces and, when `layout` splits it (over 2 GiB, or asked),
 * the external-data file (`data`), as the last stage lays it out.
 * Throws what quantizeQ4 and convertFp16 throw, and an AbortError DOMException when `signal` aborts.
 */
export async function quantizeQ4F16(
  model: ModelView,
  opts: QuantizeQ4Options & { fp16?: Fp16Options; order?: Q4F16Order } = {},
  onProgress?: (p: Q4Progress) => void,
  signal?: AbortSignal,
): Promise<{ parts: Piece[]; data: ModelOutput['data']; report: Q4F16Report }> {
  const t0 = Date.now();
  const { fp16: fp16Options, layout, order = 'q4-first', ...q4Options } = opts;
  let q4: Awaited<ReturnType<typeof quantizeQ4>>;
  let f: { parts: Piece[]; report: Fp16Report };
  let parts: Piece[];
  let data: ModelOutput['data'];
  // The first stage's output stays one piece list (the second reads it); the layout splits the final output.
  const last = layout ? { layout } : {};
  // The first stage's output is never collected: the second stage opens its pieces (structure only) and reads each
  // tensor from where it is (src/core/onnx/pieces-source.ts); the first stage's tensor work runs when the second
  // reads those tensors.
  if (order === 'fp16-first') {
    f = await convertFp16(model, fp16Options ?? {}, undefined, signal);
    const mid = await openPieces(f.parts, 'the FP16 stage output', signal);
    q4 = await quantizeQ4(mid.model, { ...q4Options, ...last }, onProgress, signal);
    mid.source.writing();
    ({ parts, data } = q4);
  } else {
    q4 = await quantizeQ4(model, q4Options, onProgress, signal);
    const mid = await openPieces(q4.parts, 'the Q4 stage output', signal);
    const last16 = await convertFp16(mid.model, { ...fp16Options, ...last }, undefined, signal);
    f = last16;
    mid.source.writing();
    ({ parts, data } = last16);
  }
  const quantizedBytes = parts.reduce((a, p) => a + p.length, 0) + (data?.bytes ?? 0);
  const notes: string[] = [];
  const keptContrib = f.report.keptOps.filter((k) => /(^|:)(MatMulNBits|GatherBlockQuantized)$/.test(k.op));
  if (order === 'fp16-first')
    notes.push(
      'MatMulNBits runs in float16 with float16 scales (MatMulNBitsQuantizer on the FP16 model): the 4-bit values come from the float16-rounded weights',
    );
  if (keptContrib.length && order === 'q4-first')
    notes.push(
      `${keptContrib.reduce((a, k) => a + k.count, 0)} MatMulNBits/GatherBlockQuantized nodes stay float32 (Casts around them): ${keptContrib.flatMap((k) => k.reasons.map((r) => r.reason)).join('; ')}`,
    );
  const rewritten: Record<string, number> = { ...q4.report.rewritten };
  for (const [op, n] of Object.entries(f.report.rewritten)) rewritten[op] = (rewritten[op] ?? 0) + n;
  const keptInFloat = [...q4.report.keptInFloat, ...f.report.keptInFloat].sort(
    (a, b) => b.count - a.count || (a.opType < b.opType ? -1 : a.opType > b.opType ? 1 : 0),
  );
  return {
    parts,
    data,
    report: {
      mode: 'q4f16',
      options: { ...q4.report.options, order },
      inputBytes: model.fileBytes + model.externalBytes,
      outputBytes: quantizedBytes,
      durationMs: Date.now() - t0,
      rewritten,
      keptInFloat,
      notes,
      order,
      q4: q4.report,
      fp16: f.report,
    },
  };
}
