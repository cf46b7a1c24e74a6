/**
 * Op type -> rewriter, mirroring onnxruntime/quantization/registry.py IntegerOpsRegistry (IntegerOps =
 * Conv, MatMul, Attention, LSTM + the common Gather, Transpose, EmbedLayerNormalization). Gemm is not in the
 * registry: it is turned into MatMul (+Add) beforehand (see gemm.ts), as the reference does in dynamic mode.
 */
import { attention } from './ops/attention.js';
import { conv } from './ops/conv.js';
import { embedLayerNorm } from './ops/embedlayernorm.js';
import { gather } from './ops/gather.js';
import { lstm } from './ops/lstm.js';
import { matmul } from './ops/matmul.js';
import { transpose } from './ops/transpose.js';
import type { OpRewriter } from './quantizer.js';

export const INTEGER_OPS_REGISTRY: ReadonlyMap<string, OpRewriter> = new Map<string, OpRewriter>([
  ['Conv', conv],
  ['MatMul', matmul],
  ['Attention', attention],
  ['LSTM', lstm],
  ['Gather', gather],
  ['Transpose', transpose],
  ['EmbedLayerNormalization', embedLayerNorm],
]);

/** The reference's default op_types_to_quantize: every registry key. */
export const DEFAULT_OP_TYPES: readonly string[] = [...INTEGER_OPS_REGISTRY.keys()];
