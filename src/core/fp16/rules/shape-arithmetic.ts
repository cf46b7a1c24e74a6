/**
 * Rule `shape-arithmetic` (policy.ts): float computations whose result ends in a shape or an integer stay float32.
 * float16 stores 1.1 as 1.0996, so a Resize whose `scales` are Concat([1, 1], Mul([1.1, 1.1], [1.0])) gives
 * 10×10 → 10×10 instead of 11×11 and a later Add with an 11×11 tensor fails at run time.
 *
 * Consumers (where shape arithmetic ends), from the op schemas rather than a hand list:
 *  - a Cast to an integer type: every integer-only input of the ONNX schemas (Reshape `shape`, Expand, Tile,
 *    Slice, Pad, TopK `K`, ConstantOfShape, Resize `sizes`, Gather indices, …) can read a float value only through
 *    one, and Floor / Ceil / Round feeding it are part of the chain;
 *  - a float input whose values set an output's shape, as ONNX's own shape inference reads them
 *    (shape-inputs.generated.ts: Resize / Upsample `scales`, Range `start` / `limit` / `delta`).
 * From each consumer the float value is followed back to its producers, through any float op, as long as it is
 * computed from constants and tensor shapes only (Shape / Size cut the dependence on contents); a value computed
 * from the contents of a graph input is data, not shape arithmetic, and is left as it is. Every node on the way is
 * computed in float32, and every value on it is produced in float32: its initializers and Constants stay float32
 * and a Cast of shape data to float is not retargeted to float16 (float16 readers get their own Cast).
 */
import { DT } from '../../onnx/dtypes.js';
import { FLOAT, type NPlan, type VRec, demote, forEachCtx, resolve } from '../graph.js';
import type { GraphPass, KeepRuleId } from '../policy.js';
import { SHAPE_INPUTS } from '../shape-inputs.generated.js';
import { castTarget, isDefaultDomain } from '../types.js';

/** Integer element types (ONNX TensorProto.DataType). */
export const INTEGER_TYPES: ReadonlySet<number> = new Set([
  DT.UINT8,
  DT.INT8,
  DT.UINT16,
  DT.INT16,
  DT.INT32,
  DT.INT64,
  DT.UINT32,
  DT.UINT64,
  DT.UINT4,
  DT.INT4,
  DT.UINT2,
  DT.INT2,
]);

/** Inputs of `op` (default domain, at `opset`) whose float values set an output shape. */
export function shapeInputs(op: string, opset: number): number[] {
  const versions = Object.prototype.hasOwnProperty.call(SHAPE_INPUTS, op) ? SHAPE_INPUTS[op]! : [];
  let pick: [number, string][] = [];
  for (const [since, inputs] of versions) if (since <= opset) pick = inputs;
  return pick.map(([i]) => i);
}

export const SHAPE_REASON = 'shape arithmetic: the result sets a shape or an integer, which float16 rounding would change';

/** The float inputs of `p` that are shape or integer consumers. */
function consumedAsShape(p: NPlan, opset: number): number[] {
  if (!isDefaultDomain(p.n.domain)) return [];
  if (p.n.opType === 'Cast') return INTEGER_TYPES.has(castTarget(p.n)) ? [0] : [];
  return shapeInputs(p.n.opType, opset);
}

export function keepShapeArithmetic(pass: GraphPass, rule: KeepRuleId): void {
  const { run, main } = pass;
  const verdict = { rule, reason: SHAPE_REASON };
  const visit = (r: VRec | null) => {
    if (!r || r.orig !== FLOAT || r.keepFp32 || pass.dataDependent(r)) return;
    r.keepFp32 = verdict;
    const p = r.producer;
    if (!p || p.mode === 'container') return;
    if (p.mode === 'convert') demote(p, verdict);
    for (const name of p.n.inputs) if (name) visit(resolve(p.ctx, name));
  };
  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans) for (const i of consumedAsShape(p, run.opset)) if (p.n.inputs[i]) visit(resolve(ctx, p.n.inputs[i]!));
  });
}
