/**
 * Op type -> Q4 rewriter, as onnxruntime 1.32 `DefaultWeightOnlyQuantizer.quantize` dispatches (matmul_nbits_quantizer.py):
 * MatMul -> MatMulNBits, Gather -> GatherBlockQuantized. Which of them run is the `opTypes` option (default MatMul).
 */
import { gather } from './ops/gather.js';
import { matmul } from './ops/matmul.js';
import type { Q4Rewriter } from './quantizer.js';

export const Q4_REGISTRY: ReadonlyMap<string, Q4Rewriter> = new Map<string, Q4Rewriter>([
  ['MatMul', matmul],
  ['Gather', gather],
]);
