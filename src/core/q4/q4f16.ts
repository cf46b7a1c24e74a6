/**
 * Q4F16: 4-bit weights with the rest in float16, as transformers.js makes `model_q4f16.onnx` (scripts/quantize.py:
 * `quantize_q4` -> MatMul4BitsQuantizer(block_size = 32, is_symmetric = True), then `quantize_fp16` on that model:
 * its float16.py `convert_float_to_float16(keep_io_types = True, op_block_list = DEFAULT_OP_BLOCK_LIST)`, then
 * onnxslim). onnxruntime itself has no q4f16 recipe; its quantizer takes float16 weights directly (scales stay
 * float16).
 *
 * Here: quantizeQ4 (same options, default preset tjs-q4), then the project's FP16 converter (`convertFp16`, with its
 * own defaults: float32 graph inputs / outputs, onnxruntime's clamping) on the Q4 output. Whatever the FP16 converter
 * cannot type or convert stays float32 with Casts around it and a reason in `report.fp16.keptOps`.
 */
import { convertFp16, type Fp16Options, type Fp16Report } from '../fp16/index.js';
import { parseModel, type ModelView } from '../onnx/model.js';
import { collectPieces, type Piece } from '../onnx/writer.js';
import { type Q4Progress, type Q4Report, type QuantizeQ4Options, quantizeQ4 } from './quantize.js';

export interface Q4F16Report {
  mode: 'q4f16';
  originalBytes: number;
  quantizedBytes: number;
  /** The Q4 step (its `quantizedBytes` is the intermediate Q4 size). */
  q4: Q4Report;
  /** The FP16 step on the Q4 model. */
  fp16: Fp16Report;
  notes: string[];
  durationMs: number;
}

/**
 * Quantizes `model` to Q4 and converts the result to float16. `fp16` options go to convertFp16 unchanged. Progress
 * reports the Q4 weights, then one final step for the FP16 conversion. The intermediate Q4 model is held in memory
 * (about 1/7 of a float32 model). Throws what quantizeQ4 and convertFp16 throw.
 */
export async function quantizeQ4F16(
  model: ModelView,
  opts: QuantizeQ4Options & { fp16?: Fp16Options } = {},
  onProgress?: (p: Q4Progress) => void,
  signal?: AbortSignal,
): Promise<{ parts: Piece[]; data: null; report: Q4F16Report }> {
  const t0 = Date.now();
  const { fp16: fp16Options, layout: _layout, ...q4Options } = opts;
  const q4 = await quantizeQ4(model, q4Options, onProgress, signal);
  const q4Bytes = await collectPieces(q4.parts, signal);
  const q4Model = parseModel(q4Bytes);
  const f = await convertFp16(q4Model, fp16Options ?? {}, undefined, signal);
  const quantizedBytes = f.parts.reduce((a, p) => a + p.length, 0);
  const notes: string[] = [];
  const keptContrib = f.report.keptOps.filter((k) => /(^|:)(MatMulNBits|GatherBlockQuantized)$/.test(k.op));
  if (keptContrib.length)
    notes.push(
      `${keptContrib.reduce((a, k) => a + k.count, 0)} MatMulNBits/GatherBlockQuantized nodes stay float32 (Casts around them): the FP16 converter has no signature for com.microsoft ops; transformers.js runs them in float16 with float16 scales`,
    );
  return {
    parts: f.parts,
    data: null,
    report: { mode: 'q4f16', originalBytes: q4.report.originalBytes, quantizedBytes, q4: q4.report, fp16: f.report, notes, durationMs: Date.now() - t0 },
  };
}
