/**
 * Control flow (onnx/defs/controlflow/defs.cc, utils.cc): If and Loop run inference on their bodies with the
 * enclosing graph's types visible (outer scope), then take their output types from the bodies' outputs.
 */
import { type InferContext, propagateElemTypeFromInputToOutput, propagateElemTypeWithValidation, unionTypeInfo } from '../context.js';
import { type TypeProto, assignType, cloneDim, failType, valueCase } from '../types.js';
import { INT64 } from './math.js';

/** IfInferenceFunction. */
export function ifRule(ctx: InferContext): void {
  let thenOut: TypeProto[] = [];
  let elseOut: TypeProto[] = [];
  const t = ctx.getGraphAttributeInferencer('then_branch');
  if (t) thenOut = t.doInferencing([], []);
  const e = ctx.getGraphAttributeInferencer('else_branch');
  if (e) elseOut = e.doInferencing([], []);
  const n = ctx.getNumOutputs();
  if (thenOut.length !== elseOut.length)
    failType(`then_branch and else_branch produce different number of outputs. ${thenOut.length} != ${elseOut.length}`);
  if (thenOut.length !== n) failType(`If node has ${n} but subgraphs produce ${thenOut.length}`);
  for (let i = 0; i < thenOut.length; i++) {
    const out = ctx.getOutputType(i);
    assignType(out, thenOut[i]!);
    unionTypeInfo(elseOut[i]!, out);
  }
}

/** LoopInferenceFunction. */
export function loopRule(ctx: InferContext): void {
  const numInputs = ctx.getNumInputs();
  const numStateVars = numInputs - 2;
  const iterNum: TypeProto = { tensor: { elem: INT64 } };
  const bodyInputs: (TypeProto | null)[] = [iterNum, ctx.getInputType(1)];
  for (let i = 2; i < numInputs; i++) {
    propagateElemTypeFromInputToOutput(ctx, i, i - 2);
    const copy: TypeProto = {};
    assignType(copy, ctx.getInputType(i)!);
    if (copy.tensor) delete copy.tensor.shape;
    else if (copy.sequence?.elem?.tensor) delete copy.sequence.elem.tensor.shape;
    bodyInputs.push(copy);
  }
  const g = ctx.getGraphAttributeInferencer('body');
  let bodyOut: TypeProto[] = [];
  if (g) {
    const data = [null, ...Array.from({ length: numInputs - 1 }, (_, i) => ctx.getInputData(i + 1))];
    bodyOut = g.doInferencing(bodyInputs, data);
  }
  if (!bodyOut.length) return;
  const numOutputs = ctx.getNumOutputs();
  if (bodyOut.length !== numOutputs + 1)
    failType(`Graph attribute inferencing returned type information for ${bodyOut.length} outputs. Expected ${numOutputs + 1}`);
  for (let i = 0; i < numOutputs; i++) {
    const sub = bodyOut[i + 1]!;
    const out = ctx.getOutputType(i);
    const c = valueCase(sub);
    if (c !== 'tensor' && c !== 'sequence' && c !== 'optional')
      failType(`Loop 'body' subgraph outputs should all be tensors or sequences or optionals, but output ${i} was ${c}`);
    propagateElemTypeWithValidation(sub, out);
    if (i >= numStateVars && sub.tensor?.shape) {
      const dims = [{}, ...sub.tensor.shape.map(cloneDim)];
      const ot = out.tensor!;
      if (!ot.shape) ot.shape = dims;
      else if (ot.shape.length === dims.length) {
        dims.forEach((d, k) => {
          const tgt = ot.shape![k]!;
          if ((d as { value?: number }).value !== undefined) ot.shape![k] = cloneDim(d);
          else if (tgt.value === undefined && tgt.param === undefined && (d as { param?: string }).param !== undefined)
            ot.shape![k] = cloneDim(d);
        });
      }
    }
  }
}
