/**
 * Element-wise, broadcasting, matrix and reduction operators (onnx/defs/math/defs.cc, logical/defs.cc,
 * reduction/utils.cc and their old.cc versions). Each rule mirrors the inference function of the operator version
 * it is registered for in rules/index.ts.
 */
import {
  type InferContext,
  bidirectionalBroadcastShapeInference,
  getAttrInt,
  hasInputShape,
  hasNInputShapes,
  inputDims,
  multidirectionalBroadcastShapeInference,
  outputTensorShape,
  parseData,
  propagateElemTypeFromInputToOutput,
  propagateShapeAndTypeFromFirstInput,
  propagateShapeFromInputToOutput,
  updateOutputElemType,
} from '../context.js';
import { type Dim, cloneDim, failShape, failType } from '../types.js';
import { DT } from '../../dtypes.js';

export const { BOOL, INT64, INT32, FLOAT } = DT;

/** Unary ops and everything whose output is input 0's type and shape. */
export const sameAsInput0 = (ctx: InferContext): void => propagateShapeAndTypeFromFirstInput(ctx);

/** Element type of input 0 only (MeanVarianceNormalization 13: onnx infers it through its function body, no shape). */
export const elemTypeOnly = (ctx: InferContext): void => propagateElemTypeFromInputToOutput(ctx, 0, 0);

/** Add/Sub/Mul/Div/Pow/Mod/BitShift/Bitwise* (opset 7+): numpy broadcasting, type of input 0. */
export function binaryBroadcast(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (hasNInputShapes(ctx, 2)) bidirectionalBroadcastShapeInference(inputDims(ctx, 0), inputDims(ctx, 1), outputTensorShape(ctx, 0));
}

/** Equal/Less/Greater/LessOrEqual/GreaterOrEqual/And/Or/Xor: bool, broadcast shape. */
export function compareBroadcast(ctx: InferContext): void {
  updateOutputElemType(ctx, 0, BOOL);
  if (hasInputShape(ctx, 0) && hasInputShape(ctx, 1))
    bidirectionalBroadcastShapeInference(inputDims(ctx, 0), inputDims(ctx, 1), outputTensorShape(ctx, 0));
}

/** Max/Min/Sum/Mean (opset 8+): multidirectional broadcast over every input. */
export function variadicBroadcast(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const shapes: Dim[][] = [];
  for (let i = 0; i < ctx.getNumInputs(); i++) {
    const t = ctx.getInputType(i);
    if (!t || !t.tensor || !t.tensor.shape) return;
    shapes.push(t.tensor.shape);
  }
  multidirectionalBroadcastShapeInference(shapes, outputTensorShape(ctx, 0));
}

/** Where: type of input 1, broadcast over the three inputs. */
export function where(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 1, 0);
  if (hasNInputShapes(ctx, 3))
    multidirectionalBroadcastShapeInference([inputDims(ctx, 0), inputDims(ctx, 1), inputDims(ctx, 2)], outputTensorShape(ctx, 0));
}

/** IsNaN / IsInf: bool, same shape. */
export function boolSameShape(ctx: InferContext): void {
  updateOutputElemType(ctx, 0, BOOL);
  if (hasNInputShapes(ctx, 1)) propagateShapeFromInputToOutput(ctx, 0, 0);
}

/** Softmax / LogSoftmax / Hardmax opset 13: checks axis, same shape. */
export function softmax13(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const r = inputDims(ctx, 0).length;
  const axis = getAttrInt(ctx, 'axis', -1);
  if (axis < -r || axis >= r) failShape(`'axis' must be in [${-r} , ${r - 1}]. Its actual value is: ${axis}`);
  propagateShapeFromInputToOutput(ctx, 0, 0);
}

/** Softmax family opset 1 / 11: axis (default 1) checked against the rank. */
export function softmax11(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const r = inputDims(ctx, 0).length;
  const axis = getAttrInt(ctx, 'axis', 1);
  if (axis < -r || axis >= r) failShape(`'axis' must be in [${-r} , ${r - 1}]. Its actual value is: ${axis}`);
  propagateShapeFromInputToOutput(ctx, 0, 0);
}

/** matmulShapeInference (math/utils.cc). */
export function matmulShape(ctx: InferContext, a: number, b: number): void {
  if (!hasInputShape(ctx, a) || !hasInputShape(ctx, b)) return;
  const s0 = inputDims(ctx, a);
  const s1 = inputDims(ctx, b);
  if (s0.length === 0 || s1.length === 0) failShape('Input tensors of wrong rank (0).');
  const l: Dim[] = s0.length === 1 ? [{ value: 1 }, s0[0]!] : s0;
  const r: Dim[] = s1.length === 1 ? [s1[0]!, { value: 1 }] : s1;
  const dl = l[l.length - 1]!;
  const dr = r[r.length - 2]!;
  if (dl.value !== undefined && dr.value !== undefined && dl.value !== dr.value)
    failShape('Incompatible dimensions for matrix multiplication');
  const result: Dim[] = [];
  bidirectionalBroadcastShapeInference(l.slice(0, l.length - 2), r.slice(0, r.length - 2), result);
  if (s0.length !== 1) result.push(cloneDim(l[l.length - 2]!));
  if (s1.length !== 1) result.push(cloneDim(r[r.length - 1]!));
  const out = outputTensorShape(ctx, 0);
  out.length = 0;
  out.push(...result);
}

export function matmul(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  matmulShape(ctx, 0, 1);
}

export function matmulInteger(ctx: InferContext): void {
  updateOutputElemType(ctx, 0, INT32);
  matmulShape(ctx, 0, 1);
}

/** Gemm opset 7+ (and 6, whose extra C-shaped fallback is below). */
export function gemm(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 2)) return;
  const transA = getAttrInt(ctx, 'transA', 0) !== 0;
  const transB = getAttrInt(ctx, 'transB', 0) !== 0;
  const a = inputDims(ctx, 0);
  const b = inputDims(ctx, 1);
  if (a.length !== 2) failShape('First input does not have rank 2');
  if (b.length !== 2) failShape('Second input does not have rank 2');
  const out = outputTensorShape(ctx, 0);
  out.length = 0;
  out.push(cloneDim(a[transA ? 1 : 0]!), cloneDim(b[transB ? 0 : 1]!));
}

export function gemm6(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (hasNInputShapes(ctx, 2)) {
    const transA = getAttrInt(ctx, 'transA', 0) !== 0;
    const transB = getAttrInt(ctx, 'transB', 0) !== 0;
    const a = inputDims(ctx, 0);
    const b = inputDims(ctx, 1);
    const out = outputTensorShape(ctx, 0);
    out.length = 0;
    out.push(cloneDim(a[transA ? 1 : 0] ?? {}), cloneDim(b[transB ? 0 : 1] ?? {}));
  } else if (hasInputShape(ctx, 2) && getAttrInt(ctx, 'broadcast', 0) === 0) {
    const out = outputTensorShape(ctx, 0);
    out.length = 0;
    out.push(...inputDims(ctx, 2).map(cloneDim));
  }
}

/** ReduceXxx (attribute axes before opset 18 / ReduceSum 13; input axes after). */
export function reduce(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const keepdims = getAttrInt(ctx, 'keepdims', 1);
  const noop = getAttrInt(ctx, 'noop_with_empty_axes', 0);
  let axes: number[] = [];
  if (ctx.getNumInputs() > 1 && ctx.getInputType(1)) {
    if (ctx.getAttribute('axes')) failShape('axes as an input and attribute cannot be specified at the same time.');
    const data = ctx.getInputData(1);
    if (!data) return;
    axes = parseData(data, INT64);
  } else {
    const a = ctx.getAttribute('axes');
    if (a) axes = [...(a.ints ?? [])];
  }
  const input = inputDims(ctx, 0);
  if (noop && axes.length === 0) {
    propagateShapeFromInputToOutput(ctx, 0, 0);
    return;
  }
  const n = input.length;
  const out = outputTensorShape(ctx, 0);
  for (let i = 0; i < axes.length; i++) {
    if (axes[i]! < -n || axes[i]! >= n) failShape(`axis must be in [-rank, rank-1]. input rank was ${n}`);
    if (axes[i]! < 0) axes[i]! += n;
  }
  for (let i = 0; i < n; i++) {
    if (axes.length && !axes.includes(i)) out.push(cloneDim(input[i]!));
    else if (keepdims === 1) out.push({ value: 1 });
  }
}

/** ArgMax / ArgMin. */
export function argReduce(ctx: InferContext): void {
  updateOutputElemType(ctx, 0, INT64);
  if (!hasNInputShapes(ctx, 1)) return;
  const input = inputDims(ctx, 0);
  const out = outputTensorShape(ctx, 0);
  const n = input.length;
  let axis = 0;
  const a = ctx.getAttribute('axis');
  if (a) {
    axis = a.i ?? 0;
    if (axis < -n || axis >= n) failShape(`'axis' must be in [-rank(indices), rank(indices)-1]`);
    if (axis < 0) axis += n;
  }
  const keepdims = getAttrInt(ctx, 'keepdims', 1);
  for (let i = 0; i < n; i++) {
    if (i !== axis) out.push(cloneDim(input[i]!));
    else if (keepdims === 1) out.push({ value: 1 });
  }
}

/** Cast (opset 6+): type from `to`, shape of the input. */
export function cast(ctx: InferContext): void {
  const a = ctx.getAttribute('to');
  if (!a) failType('Value of attribute to not specified');
  if (a.i === undefined) failType('Attribute to should be of integer type and specify a type.');
  updateOutputElemType(ctx, 0, a.i);
  if (hasNInputShapes(ctx, 1)) propagateShapeFromInputToOutput(ctx, 0, 0);
}

export function castLike(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 1, 0);
  if (hasNInputShapes(ctx, 1)) propagateShapeFromInputToOutput(ctx, 0, 0);
}

/** Dropout opset 12+: output 0 as input, optional mask bool of the same shape. */
export function dropout12(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (hasInputShape(ctx, 0)) propagateShapeFromInputToOutput(ctx, 0, 0);
  if (ctx.getNumInputs() > 1 && hasInputShape(ctx, 1) && inputDims(ctx, 1).length !== 0) failShape('Ratio of Dropout must be a scalar.');
  if (ctx.getNumInputs() > 2 && hasInputShape(ctx, 2) && inputDims(ctx, 2).length !== 0)
    failShape('training_mode of Dropout must be a scalar.');
  if (ctx.getNumOutputs() === 2) {
    updateOutputElemType(ctx, 1, BOOL);
    if (hasNInputShapes(ctx, 1)) propagateShapeFromInputToOutput(ctx, 0, 1);
  }
}

/** Dropout opset 10 (mask bool) and 7 (mask T). */
export function dropoutOld(maskBool: boolean) {
  return (ctx: InferContext): void => {
    propagateShapeAndTypeFromFirstInput(ctx);
    if (ctx.getNumOutputs() === 2) {
      if (maskBool) updateOutputElemType(ctx, 1, BOOL);
      else propagateElemTypeFromInputToOutput(ctx, 0, 1);
      if (hasNInputShapes(ctx, 1)) propagateShapeFromInputToOutput(ctx, 0, 1);
    }
  };
}
