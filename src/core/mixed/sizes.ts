/**
 * Size of each layer group under each precision, predicted from its initializers before any work (the same idea
 * as the model card's predicted INT8 / FP16 sizes). Bytes are tensor payloads; node and name overhead (a few hundred
 * bytes per rewritten node) is left out, so a mix's prediction is within a fraction of a percent of the real file
 * (tests/mixed/compose.test.ts checks it against real outputs).
 *
 * The rules, per weight the group owns (GroupWeight.role), each from the mode that makes the precision (the same
 * functions as the model card's predictions: src/core/modes/<mode>/predict.ts):
 *  - fp32: as stored.
 *  - fp16: every float32 initializer at 2 bytes per element (src/core/fp16: weights of converted nodes become
 *    float16; a weight the converter keeps in float32 for range reasons makes the prediction slightly low).
 *  - int8 (src/core/int8, onnxruntime quantize_dynamic): a MatMul / Gemm weight [K, N] (2-D) -> K·N bytes plus a
 *    float32 scale and an 8-bit zero point per output channel with per_channel (N of each), else one of each
 *    (ops/matmul.ts, gemm.ts; a Gemm B counts when MatMul is an INT8 op type, as Gemm becomes MatMul); a Gather table -> 1 byte per element plus one scale and zero point (ops/gather.ts, the
 *    table is quantized like an activation, per tensor); a Conv weight -> 1 byte per element plus one scale / zero
 *    point (ConvInteger, per tensor). Only when the op type is in the INT8 op types. Other tensors as stored.
 *  - q4 (src/core/q4, MatMulNBitsQuantizer): a 2-D MatMul weight [K, N] -> N·ceil(K/bs)·bs/2 packed bytes,
 *    N·ceil(K/bs) scales in the weight's float type, and with zero points N·ceil(ceil(K/bs)/2) bytes (ops/matmul.ts);
 *    a Gather table (when Gather is a Q4 op type) -> ceil(elements/2) bytes, one scale per block along the quantize
 *    axis, and with zero points half a byte per scale (ops/gather.ts). Gemm and Conv stay float.
 */
import { fp16WeightBytes } from '../modes/fp16/predict.js';
import { int8WeightBytes } from '../modes/int8/predict.js';
import { q4WeightBytes } from '../modes/q4/predict.js';
import type { GroupWeight, LayerGroup } from './groups.js';
import type { Precision, ResolvedMixOptions } from './options.js';

/** Bytes of one weight under a precision: the modes' own rules (src/core/modes/<mode>/predict.ts). */
export function weightBytes(w: GroupWeight, p: Precision, o: ResolvedMixOptions): number {
  if (p === 'fp32') return w.bytes;
  if (p === 'fp16') return fp16WeightBytes(w);
  if (p === 'int8') return int8WeightBytes(w, { perChannel: o.int8.perChannel, opTypes: o.int8.opTypes, enableSubgraph: true });
  return (
    q4WeightBytes(w, {
      blockSize: o.q4.blockSize,
      symmetric: o.q4.symmetric,
      opTypes: o.q4.opTypes,
      gatherQuantizeAxis: o.q4.gatherQuantizeAxis,
    }) ?? w.bytes
  );
}

/** Predicted payload bytes of a group under each precision (fp32 = as stored). */
export function predictGroupBytes(g: LayerGroup, o: ResolvedMixOptions): Record<Precision, number> {
  const sum = (p: Precision) => g.weights.reduce((a, w) => a + weightBytes(w, p, o), 0);
  return { fp32: sum('fp32'), fp16: sum('fp16'), int8: sum('int8'), q4: sum('q4') };
}

/**
 * Predicted size of the whole file with `assignment` (group id -> precision; missing = fp32): the input's size
 * plus, per group, the change of its payload bytes.
 */
export function predictMixBytes(
  fileBytes: number,
  groups: readonly LayerGroup[],
  assignment: Readonly<Record<string, Precision>>,
  o: ResolvedMixOptions,
): number {
  let total = fileBytes;
  for (const g of groups) {
    const p = assignment[g.id] ?? 'fp32';
    if (p === 'fp32') continue;
    const b = predictGroupBytes(g, o);
    total += b[p] - b.fp32;
  }
  return total;
}
