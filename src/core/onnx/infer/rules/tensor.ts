/**
 * Shape-manipulating and generator operators (onnx/defs/tensor/defs.cc, tensor/old.cc, generator/defs.cc).
 * Constant inputs are used only where onnx's own inference reads them (an initializer or a Constant node output;
 * no data propagation, as `onnx.shape_inference.infer_shapes` runs by default).
 */
import {
  type InferAttr,
  type InferContext,
  adjustNegativeAxes,
  appendSingleDimCopiedFromInputTypeToOutputType,
  bidirectionalBroadcastShapeInference,
  checkAxesRange,
  checkDuplicateAxes,
  checkInputRank,
  divDimInt,
  getAttrInt,
  getAttrInts,
  getInputShape,
  getOutputShape,
  getShapeInput,
  hasInputShape,
  hasNInputShapes,
  inputDims,
  inputTensorType,
  mergeInDimensionInfo,
  mulDimInt,
  multiplyDims,
  outputTensorShape,
  type TensorSource,
  parseData,
  propagateElemTypeFromInputToOutput,
  propagateShapeFromInputToOutput,
  updateOutputElemType,
  updateOutputShape,
} from '../context.js';
import { type Dim, cloneDim, failShape, failType, mutableSparse, mutableTensor } from '../types.js';
import { FLOAT, INT32, INT64 } from './math.js';
import { DT } from '../../dtypes.js';
import { decodeUtf8 } from '../../wire.js';

const { DOUBLE, STRING } = DT;

/** Reshape opset 13+ (allowzero from 14): a constant shape, else the rank from the shape input's length. */
export function reshape(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const target = getShapeInput(ctx, 1);
  if (!target) return;
  reshapeTo(ctx, target);
}

/** Reshape opset 5: only a constant shape. */
export function reshape5(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const data = ctx.getInputData(1);
  if (!data) return;
  reshapeTo(
    ctx,
    parseData(data, INT64).map((v) => ({ value: v })),
  );
}

function reshapeTo(ctx: InferContext, target: Dim[]): void {
  const allowzero = getAttrInt(ctx, 'allowzero', 0);
  const out = outputTensorShape(ctx, 0);
  const data = inputTensorType(ctx, 0);
  let negIndex = -1;
  const unresolvedZeros = new Array<boolean>(target.length).fill(false);
  let outputProduct = 1;
  let outputProductValid = true;
  for (let i = 0; i < target.length; i++) {
    const nd: Dim = {};
    out.push(nd);
    const t = target[i]!;
    if (t.param !== undefined) {
      nd.param = t.param;
      outputProductValid = false;
      continue;
    }
    if (t.value === undefined) {
      outputProductValid = false;
      continue;
    }
    const v = t.value;
    if (v === -1) {
      if (negIndex >= 0) failShape('Target shape may not have multiple -1 dimensions.');
      negIndex = out.length - 1;
    } else if (v === 0) {
      if (allowzero === 0) {
        unresolvedZeros[i] = true;
        if (data.shape) {
          if (i >= data.shape.length) failShape('Invalid position of 0.');
          const d = data.shape[i]!;
          if (d.value !== undefined) {
            nd.value = d.value;
            outputProduct *= d.value;
            unresolvedZeros[i] = false;
          } else if (d.param !== undefined) nd.param = d.param;
        }
      } else {
        nd.value = v;
        outputProduct *= v;
      }
    } else if (v > 0) {
      nd.value = v;
      outputProduct *= v;
    } else failShape(`Invalid dimension value: ${v}`);
  }
  if (negIndex >= 0 && outputProductValid) {
    if (!outputProduct) failShape('Invalid Target shape product of 0. Product cannot be 0 in combination with -1');
    let inputProduct = 1;
    let valid = true;
    if (!data.shape) valid = false;
    else
      for (let i = 0; i < data.shape.length; i++) {
        const d = data.shape[i]!;
        if (d.value !== undefined) inputProduct *= d.value;
        else if (i >= unresolvedZeros.length || !unresolvedZeros[i]) {
          valid = false;
          break;
        }
      }
    if (valid) {
      if (inputProduct % outputProduct !== 0) failShape('Dimension could not be inferred: incompatible shapes');
      out[negIndex] = { value: inputProduct / outputProduct };
    }
  }
}

/** Shape opset 1 / 13. */
export function shape1(ctx: InferContext): void {
  const out = mutableTensor(ctx.getOutputType(0));
  out.elem = INT64;
  const len: Dim = {};
  (out.shape ??= []).push(len);
  if (hasNInputShapes(ctx, 1)) len.value = inputDims(ctx, 0).length;
}

/** Shape opset 15+ (start / end). */
export function shape15(ctx: InferContext): void {
  const out = mutableTensor(ctx.getOutputType(0));
  out.elem = INT64;
  const len: Dim = {};
  (out.shape ??= []).push(len);
  if (!hasNInputShapes(ctx, 1)) return;
  const rank = inputDims(ctx, 0).length;
  const clampR = (v: number) => (v < 0 ? 0 : v > rank ? rank : v);
  let start = getAttrInt(ctx, 'start', 0);
  if (start < 0) start += rank;
  start = clampR(start);
  let end = getAttrInt(ctx, 'end', rank);
  if (end < 0) end += rank;
  end = clampR(end);
  len.value = end - start < 0 ? 0 : end - start;
}

export function size(ctx: InferContext): void {
  updateOutputElemType(ctx, 0, INT64);
  mutableTensor(ctx.getOutputType(0)).shape ??= [];
}

/** Gather (all versions). */
export function gather(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 2)) return;
  const data = inputDims(ctx, 0);
  const indices = inputDims(ctx, 1);
  const r = data.length;
  if (r < 1) failShape('data tensor must have rank >= 1');
  const q = indices.length;
  let axis = getAttrInt(ctx, 'axis', 0);
  if (axis < -r || axis >= r) failShape('axis must be in [-r, r-1]');
  if (axis < 0) axis += r;
  const outRank = q + r - 1;
  const out = outputTensorShape(ctx, 0);
  for (let i = 0; i < outRank; i++) out.push(cloneDim(i < axis ? data[i]! : i < axis + q ? indices[i - axis]! : data[i - q + 1]!));
}

export function gatherElements(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (hasNInputShapes(ctx, 2)) propagateShapeFromInputToOutput(ctx, 1, 0);
}

function unsqueezeWith(ctx: InferContext, axesIn: number[]): void {
  const input = inputDims(ctx, 0);
  const axes = [...axesIn];
  const outRank = input.length + axes.length;
  checkAxesRange(axes, outRank);
  adjustNegativeAxes(axes, outRank);
  checkDuplicateAxes(axes, outRank);
  axes.sort((a, b) => a - b);
  const out = outputTensorShape(ctx, 0);
  let j = 0;
  for (let i = 0; i < input.length; i++) {
    while (j < axes.length && axes[j] === out.length) {
      out.push({ value: 1 });
      j++;
    }
    out.push(cloneDim(input[i]!));
  }
  while (j < axes.length && axes[j] === out.length) {
    out.push({ value: 1 });
    j++;
  }
}

/** Unsqueeze opset 1 / 11: `axes` attribute. */
export function unsqueeze11(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const axes = getAttrInts(ctx, 'axes');
  if (!axes) return;
  unsqueezeWith(ctx, axes);
}

/** Unsqueeze opset 13+: `axes` input, used when constant. */
export function unsqueeze13(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const data = ctx.getInputData(1);
  if (!data) return;
  unsqueezeWith(ctx, parseData(data, INT64));
}

function squeezeWith(ctx: InferContext, axesIn: number[] | null): void {
  const input = inputDims(ctx, 0);
  const n = input.length;
  const out = outputTensorShape(ctx, 0);
  if (axesIn === null) {
    for (let i = 0; i < n; i++) {
      if (input[i]!.value === undefined) {
        // Squeeze without axes removes every dimension of size 1: unknown when a dimension is unknown.
        delete mutableTensor(ctx.getOutputType(0)).shape;
        return;
      }
      if (input[i]!.value === 1) continue;
      out.push(cloneDim(input[i]!));
    }
    return;
  }
  const axes = [...axesIn];
  checkAxesRange(axes, n);
  adjustNegativeAxes(axes, n);
  for (let i = 0; i < n; i++) {
    if (axes.includes(i)) {
      const d = input[i]!;
      if (d.value !== undefined && d.value !== 1) failShape(`Dimension of input ${i} must be 1 instead of ${d.value}`);
      continue;
    }
    out.push(cloneDim(input[i]!));
  }
}

/** Squeeze opset 1 / 11: optional `axes` attribute. */
export function squeeze11(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  squeezeWith(ctx, getAttrInts(ctx, 'axes'));
}

/** Squeeze opset 13+: optional `axes` input (constant needed). */
export function squeeze13(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  let axes: number[] | null = null;
  if (ctx.getNumInputs() === 2 && ctx.getInputType(1)) {
    const data = ctx.getInputData(1);
    if (!data) return;
    axes = parseData(data, INT64);
  }
  squeezeWith(ctx, axes);
}

/** Concat opset 4+. */
export function concat(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const num = ctx.getNumInputs();
  if (num < 1 || !hasNInputShapes(ctx, num)) return;
  const rank = inputDims(ctx, 0).length;
  const axisAttr = ctx.getAttribute('axis');
  if (!axisAttr) failShape('Required attribute axis is missing');
  let axis = axisAttr.i ?? 0;
  if (rank <= axis || axis < -rank) failShape('axis must be in [-rank, rank)');
  if (axis < 0) axis += rank;
  if (num === 1) {
    propagateShapeFromInputToOutput(ctx, 0, 0);
    return;
  }
  let allKnown = true;
  let total = 0;
  const out = outputTensorShape(ctx, 0);
  for (let i = 0; i < rank; i++) out.push({});
  for (let i = 0; i < num; i++) {
    const s = inputDims(ctx, i);
    if (s.length !== rank) failShape(`All inputs to Concat must have same rank. Input ${i} has rank ${s.length} != ${rank}`);
    for (let j = 0; j < rank; j++) {
      if (j === axis) {
        if (s[j]!.value !== undefined) total += s[j]!.value!;
        else allKnown = false;
      } else mergeInDimensionInfo(s[j]!, out[j]!, j);
    }
  }
  if (allKnown) out[axis] = { value: total };
}

/** processSliceInputs (tensor/utils.cc). */
function processSliceInputs(dim: number, s: number, e: number, step: number): [number, number] {
  const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
  if (step === 0) failShape("'step' cannot be 0 for Slice");
  if (s < 0) s += dim;
  s = step < 0 ? clamp(s, 0, dim - 1) : clamp(s, 0, dim);
  if (e < 0) e += dim;
  e = step < 0 ? clamp(e, -1, dim - 1) : clamp(e, 0, dim);
  return [s, e];
}

function intData(t: NonNullable<ReturnType<InferContext['getInputData']>>): number[] {
  if (t.dataType === INT64) return parseData(t, INT64);
  if (t.dataType === INT32) return parseData(t, INT32);
  failShape('Only supports `int32_t` or `int64_t` inputs for starts/ends/axes/steps');
}

/** Slice opset 10+ (starts/ends/axes/steps inputs). */
export function slice10(ctx: InferContext): void {
  const num = ctx.getNumInputs();
  if (num !== 3 && num !== 4 && num !== 5) failType('Slice op must have either three, four or five inputs.');
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const startsT = ctx.getInputData(1);
  const endsT = ctx.getInputData(2);
  const axesT = hasInputShape(ctx, 3) ? ctx.getInputData(3) : null;
  const stepsT = hasInputShape(ctx, 4) ? ctx.getInputData(4) : null;
  const input = inputDims(ctx, 0);
  const rank = input.length;
  const out = outputTensorShape(ctx, 0);
  if (!startsT || !endsT || (hasInputShape(ctx, 3) && !ctx.getInputData(3)) || (hasInputShape(ctx, 4) && !ctx.getInputData(4))) {
    for (let i = 0; i < rank; i++) out.push({});
    return;
  }
  if (!startsT.dataType) return;
  const starts = intData(startsT);
  const ends = intData(endsT);
  if (starts.length !== ends.length) failShape('Incorrect or missing input value for starts and ends');
  let axes: number[];
  if (!axesT) axes = starts.map((_, i) => i);
  else {
    axes = intData(axesT);
    if (axes.length !== starts.length) failShape('Input axes has incorrect length');
  }
  checkAxesRange(axes, rank);
  adjustNegativeAxes(axes, rank);
  checkDuplicateAxes(axes, rank);
  let steps: number[];
  if (!stepsT) steps = starts.map(() => 1);
  else {
    steps = intData(stepsT);
    if (steps.length !== axes.length) failShape('Input steps has incorrect length');
  }
  for (let i = 0; i < rank; i++) out.push(cloneDim(input[i]!));
  for (let k = 0; k < axes.length; k++) {
    const axis = axes[k]! < 0 ? axes[k]! + rank : axes[k]!;
    const d = input[axis]!;
    if (d.value === undefined) {
      delete out[axis]!.param;
      continue;
    }
    const [s, e] = processSliceInputs(d.value, starts[k]!, ends[k]!, steps[k]!);
    let len = Math.ceil((1.0 * (e - s)) / steps[k]!);
    if (len < 0) len = 0;
    out[axis] = { value: len };
  }
}

/** Slice opset 1 (attributes): a dimension is known when start and end are non-negative after adding the size. */
export function slice1(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const starts = getAttrInts(ctx, 'starts');
  const ends = getAttrInts(ctx, 'ends');
  if (!starts || !ends) return;
  if (starts.length !== ends.length) failShape('Incorrect or missing attribute value for starts and ends');
  let axes = getAttrInts(ctx, 'axes');
  if (!axes) axes = starts.map((_, i) => i);
  else if (axes.length !== starts.length) failShape('Attribute axes has incorrect length');
  else if (!axes.every((a, i) => i === 0 || axes![i - 1]! <= a)) return;
  const input = inputDims(ctx, 0);
  const out = outputTensorShape(ctx, 0);
  for (let i = 0, j = 0; i < input.length; i++) {
    const nd: Dim = {};
    out.push(nd);
    if (j < axes.length && axes[j] === i) {
      const d = input[i]!;
      if (d.value !== undefined) {
        let s = starts[j]!;
        let e = ends[j]!;
        if (s < 0) s += d.value;
        if (e < 0) e += d.value;
        if (s >= 0 && e >= 0) {
          const v = Math.min(d.value, e) - s;
          if (v >= 0) nd.value = v;
        }
      }
      j++;
    } else Object.assign(nd, cloneDim(input[i]!));
  }
}

/** Transpose (all versions). */
export function transpose(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const shape = inputDims(ctx, 0);
  let perm = getAttrInts(ctx, 'perm');
  if (!perm) perm = shape.map((_, i) => shape.length - 1 - i);
  else if (perm.length) {
    const seen = new Array<boolean>(shape.length).fill(false);
    for (const p of perm) {
      if (!(p >= 0 && p < shape.length))
        failType(`Invalid attribute perm {${perm.join(', ')}}, input shape = {${shape.map((d) => d.value ?? 0).join(', ')}}`);
      if (seen[p]) failType(`Attribute perm for Transpose has repeated value: ${p}`);
      seen[p] = true;
    }
  }
  getOutputShape(ctx, 0);
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  for (const p of perm) appendSingleDimCopiedFromInputTypeToOutputType(ctx, 0, 0, p);
}

/** Flatten (all versions). */
export function flatten(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasInputShape(ctx, 0)) return;
  const s = getInputShape(ctx, 0);
  const rank = s.length;
  let axis = getAttrInt(ctx, 'axis', 1);
  if (axis < 0) axis += rank;
  if (axis > rank || axis < 0) failShape(`Invalid value(${axis}) for attribute 'axis'`);
  updateOutputShape(ctx, 0, [multiplyDims(s, 0, axis), multiplyDims(s, axis, rank)]);
}

/** Expand opset 8 / 13. */
export function expand(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasInputShape(ctx, 0)) return;
  const second = getShapeInput(ctx, 1);
  if (!second) return;
  bidirectionalBroadcastShapeInference(inputDims(ctx, 0), second, getOutputShape(ctx, 0));
}

/** Tile opset 6+. */
export function tile(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const input = inputDims(ctx, 0);
  const rank = input.length;
  const repeats = ctx.getInputType(1);
  const out = outputTensorShape(ctx, 0);
  if (repeats && hasNInputShapes(ctx, 2)) {
    const rs = inputDims(ctx, 1);
    if (rs.length !== 1 || repeats.tensor?.elem !== INT64) failShape("'Repeats' input must be 1D tensor of type int64");
    const data = ctx.getInputData(1);
    if (data) {
      const r = parseData(data, INT64);
      if (r.length !== rank)
        failShape(
          `'Repeats' input has incorrect number of values. The number of values in 'repeats' must be equal to the number of input dimensions.`,
        );
      for (let i = 0; i < rank; i++) {
        const d = input[i]!;
        out.push(d.value !== undefined ? { value: d.value * r[i]! } : {});
      }
    } else for (let i = 0; i < rank; i++) out.push({});
  }
}

/** Pad opset 2 (pads attribute). */
export function pad2(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const pads = getAttrInts(ctx, 'pads');
  if (!pads) failShape('Attribute value for pads is required');
  const input = inputDims(ctx, 0);
  const rank = input.length;
  if (pads.length !== rank * 2) failShape('Attribute pads has incorrect length');
  const out = outputTensorShape(ctx, 0);
  for (let i = 0; i < rank; i++) {
    const d = input[i]!;
    const total = pads[i]! + pads[rank + i]!;
    out.push(d.value !== undefined ? { value: d.value + total } : total === 0 ? cloneDim(d) : {});
  }
}

/** Pad opset 11+ (pads input; axes input from 18). */
export function pad11(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const input = inputDims(ctx, 0);
  const rank = input.length;
  let axes: number[];
  if (hasInputShape(ctx, 3)) {
    const a = ctx.getInputData(3);
    if (!a) return;
    axes = a.dataType === INT32 ? parseData(a, INT32) : parseData(a, INT64);
    checkAxesRange(axes, rank);
    adjustNegativeAxes(axes, rank);
  } else axes = input.map((_, i) => i);
  const n = axes.length;
  const out = outputTensorShape(ctx, 0);
  const dims: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const d: Dim = {};
    out.push(d);
    dims.push(d);
  }
  const padsT = ctx.getInputData(1);
  if (!padsT) return;
  if (padsT.dims.length !== 1 || padsT.dataType !== INT64)
    failShape("'pads' input must be a 1D (shape: [2 * n_axes]) tensor of type int64");
  const pads = parseData(padsT, INT64);
  if (pads.length !== 2 * n) failShape(`Pads has incorrect number of values. Expected 2 * ${n} values. Got ${pads.length} values.`);
  for (let i = 0; i < rank; i++) {
    const k = axes.indexOf(i);
    const d = input[i]!;
    if (k < 0) {
      // A dimension not padded keeps its value; a named one becomes unknown (as onnx does).
      if (d.value !== undefined) dims[i]!.value = d.value;
      continue;
    }
    const total = pads[k]! + pads[n + k]!;
    if (d.value !== undefined) dims[i]!.value = d.value + total;
    else if (total === 0) Object.assign(dims[i]!, cloneDim(d));
  }
}

/** ConstantOfShape. */
export function constantOfShape(ctx: InferContext): void {
  const v = ctx.getAttribute('value');
  if (v) {
    if (v.t) {
      if (v.t.dims.length !== 1) failType('Attribute expected to have a one-dim tensor');
      updateOutputElemType(ctx, 0, v.t.dataType);
    } else failType('Attribute expected to have tensor or sparse tensor type');
  } else updateOutputElemType(ctx, 0, FLOAT);
  const s = getShapeInput(ctx, 0);
  if (s) {
    for (const d of s) if (d.value !== undefined && d.value < 0) failShape(`Invalid shape value: ${d.value}`);
    mutableTensor(ctx.getOutputType(0)).shape = s;
  }
}

/** Constant opset 1 / 9 / 11 (value, sparse_value). */
export function constant1(ctx: InferContext): void {
  constantFromTensor(ctx, ctx.getAttribute('value'));
}

/** A Constant's `value` tensor: the output's element type and dims. */
function constantFromTensor(ctx: InferContext, a: InferAttr | undefined): void {
  if (!a || !a.t) failShape("Attribute 'value' of Constant node must exist with 'Tensor' data.");
  updateOutputElemType(ctx, 0, a.t.dataType);
  updateOutputShape(
    ctx,
    0,
    a.t.dims.map((v) => ({ value: v })),
  );
}

/**
 * Constant's value_* attributes (opset 12+): the output's element type; a list attribute gives a 1-D output of its
 * length (`length`), a single value a scalar (`missing`: the error when the attribute holds no value).
 */
const CONSTANT_VALUE_ATTRS: Record<
  string,
  { elemType: number; length?: (a: InferAttr) => number; missing?: [(a: InferAttr) => boolean, string] }
> = {
  value_int: { elemType: INT64, missing: [(a) => a.i === undefined, "Attribute 'value_int' expect an integer."] },
  value_ints: { elemType: INT64, length: (a) => a.ints?.length ?? 0 },
  value_float: { elemType: FLOAT, missing: [(a) => a.f === undefined, "Attribute 'value_float' expect a float."] },
  value_floats: { elemType: FLOAT, length: (a) => a.floats?.length ?? 0 },
  value_string: { elemType: STRING },
  value_strings: { elemType: STRING, length: (a) => (a as { strings?: unknown[] }).strings?.length ?? 0 },
};

/** Constant opset 12+ (value, sparse_value, value_int(s), value_float(s), value_string(s)). */
export function constant12(ctx: InferContext): void {
  const names = ['value', ...Object.keys(CONSTANT_VALUE_ATTRS), 'sparse_value'];
  const present = names.filter((n) => ctx.getAttribute(n));
  if (present.length !== 1)
    failShape("One and only one of the attributes 'value', 'value_*' or 'sparse_value' must be specified for a Constant node.");
  const name = present[0]!;
  const a = ctx.getAttribute(name)!;
  if (name === 'value') return constantFromTensor(ctx, a);
  const kind = CONSTANT_VALUE_ATTRS[name];
  if (!kind) {
    // sparse_value: a sparse tensor type; its dims are not decoded here.
    mutableSparse(ctx.getOutputType(0));
    failShape('sparse_value constants are not supported by AVA shape inference');
  }
  if (kind.missing?.[0](a)) failShape(kind.missing[1]);
  updateOutputElemType(ctx, 0, kind.elemType);
  if (kind.length) getOutputShape(ctx, 0).push({ value: kind.length(a) });
  else updateOutputShape(ctx, 0, []);
}

/** Range opset 11. */
export function range(ctx: InferContext): void {
  checkInputRank(ctx, 0, 0);
  checkInputRank(ctx, 1, 0);
  checkInputRank(ctx, 2, 0);
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const s = ctx.getInputData(0);
  const l = ctx.getInputData(1);
  const d = ctx.getInputData(2);
  const dim: Dim = {};
  outputTensorShape(ctx, 0).push(dim);
  if (!s || !l || !d) return;
  if (s.dataType !== l.dataType || s.dataType !== d.dataType) failShape("All inputs to 'Range' op must be of the same type");
  const dt = s.dataType;
  if (dt !== FLOAT && dt !== INT32 && dt !== INT64 && dt !== DOUBLE) return;
  for (const t of [s, l, d])
    if (t.dims.length !== 0) failShape("Input to 'Range' op should be scalars (Tensor with only one element and shape empty)");
  const [a] = parseData(s, dt);
  const [b] = parseData(l, dt);
  const [c] = parseData(d, dt);
  if (a === undefined || b === undefined || c === undefined)
    failShape("Input to 'Range' op should be scalars (Tensor with only one element and shape empty)");
  let n = dt === FLOAT ? Math.ceil(Math.fround(Math.fround(b - a) / c)) : Math.ceil((1.0 * (b - a)) / c);
  if (n < 0) n = 0;
  dim.value = n;
}

/**
 * The start of every Split version: each output gets the input's element type; then, when the input's shape is known,
 * its dims and the normalized `axis` attribute (null without the shape).
 */
function splitAxis(ctx: InferContext): { shape: Dim[]; axis: number } | null {
  for (let i = 0; i < ctx.getNumOutputs(); i++) propagateElemTypeFromInputToOutput(ctx, 0, i);
  if (!hasNInputShapes(ctx, 1)) return null;
  const shape = inputDims(ctx, 0);
  const rank = shape.length;
  let axis = getAttrInt(ctx, 'axis', 0);
  if (axis < -rank || axis >= rank) failType(`Invalid value of attribute 'axis'. Rank=${rank} Value=${axis}`);
  if (axis < 0) axis += rank;
  return { shape, axis };
}

/** Output i of a Split: the input's dims with `sizes[i]` on the split axis (unknown where undefined). */
function setSplitOutputs(ctx: InferContext, shape: Dim[], axis: number, sizes: readonly (number | undefined)[]): void {
  for (let i = 0; i < sizes.length; i++) {
    const o = outputTensorShape(ctx, i);
    o.length = 0;
    o.push(...shape.map(cloneDim));
    o[axis] = sizes[i] === undefined ? {} : { value: sizes[i]! };
  }
}

/** Explicit split sizes: one per output, adding up to the split axis's dimension. */
function checkSplits(splits: number[], nOut: number, dim: number): void {
  if (splits.length !== nOut) failShape(`Mismatch between number of splits (${splits.length}) and outputs (${nOut})`);
  const total = splits.reduce((a, b) => a + b, 0);
  if (total !== dim) failShape(`Mismatch between the sum of 'split' (${total}) and the split dimension of the input (${dim})`);
}

/** Split opset 2 / 11 (split attribute) and 13 (split input). */
export function split(ctx: InferContext): void {
  const at = splitAxis(ctx);
  if (!at) return;
  const { shape, axis } = at;
  const d = shape[axis]!;
  const nOut = ctx.getNumOutputs();
  if (d.value === undefined) return setSplitOutputs(ctx, shape, axis, new Array<undefined>(nOut).fill(undefined));
  let splits: number[] = [];
  const fromInput = ctx.opType === 'Split' && ctx.getNumInputs() === 2 && ctx.getInputType(1) !== null;
  const attr = getAttrInts(ctx, 'split');
  if (fromInput) {
    const data = ctx.getInputData(1);
    if (!data || !data.dataType) return;
    splits = parseData(data, INT64);
  } else if (attr && attr.length) splits = attr;
  if (splits.length) checkSplits(splits, nOut, d.value);
  else {
    if (d.value % nOut !== 0) failShape('The input is not evenly splittable');
    splits = new Array<number>(nOut).fill(d.value / nOut);
  }
  setSplitOutputs(ctx, shape, axis, splits);
}

/** Split opset 18 (split input or num_outputs attribute). */
export function split18(ctx: InferContext): void {
  const at = splitAxis(ctx);
  if (!at) return;
  const { shape, axis } = at;
  const nOut = ctx.getNumOutputs();
  const numOutputsAttr = ctx.getAttribute('num_outputs');
  const hasSplitInput = ctx.getNumInputs() === 2 && ctx.getInputType(1) !== null;
  if (numOutputsAttr && hasSplitInput) failShape("Both 'split' input and 'num_outputs' attribute were given");
  if (numOutputsAttr && numOutputsAttr.i !== nOut) failShape(`Attribute 'num_outputs' must be equal to the number of outputs`);
  const d = shape[axis]!;
  if (d.value === undefined) return setSplitOutputs(ctx, shape, axis, new Array<undefined>(nOut).fill(undefined));
  let splits: number[];
  if (hasSplitInput) {
    const data = ctx.getInputData(1);
    if (!data || !data.dataType) return;
    splits = parseData(data, INT64);
    checkSplits(splits, nOut, d.value);
  } else {
    if (!numOutputsAttr) failShape("Neither 'split' input nor 'num_outputs' attribute has been given");
    const chunk = Math.ceil(d.value / nOut);
    splits = [];
    for (let i = 0; i < nOut - 1; i++) splits.push(chunk);
    splits.push(d.value - chunk * (nOut - 1));
  }
  setSplitOutputs(ctx, shape, axis, splits);
}

/** OneHot opset 9 / 11. */
export function oneHot(ctx: InferContext): void {
  if (ctx.getNumInputs() !== 3) failType('OneHot node must have three inputs.');
  if (hasInputShape(ctx, 1)) {
    const s = getInputShape(ctx, 1);
    if (s.length !== 0 && s.length !== 1) failType("Input 'depth' must be a scalar or rank 1 tensor.");
    if (s.length === 1 && s[0]!.value !== undefined && s[0]!.value !== 1) failType("Input 'depth' must have exactly one element.");
  }
  if (hasInputShape(ctx, 2)) {
    const s = getInputShape(ctx, 2);
    if (s.length !== 1) failType("Input 'values' must be rank 1 tensor.");
    if (s[0]!.value !== undefined && s[0]!.value !== 2) failType("Input 'values' must have exactly two elements.");
  }
  propagateElemTypeFromInputToOutput(ctx, 2, 0);
  if (!hasInputShape(ctx, 0)) return;
  const ind = inputDims(ctx, 0);
  const r = ind.length;
  if (r < 1) failShape('Indices tensor must have rank >= 1');
  const outRank = r + 1;
  let axis = getAttrInt(ctx, 'axis', -1);
  if (axis < -outRank || axis >= outRank) failShape(`'axis' must be in [-rank(indices), rank(indices)-1]`);
  if (axis < 0) axis += outRank;
  const out = getOutputShape(ctx, 0);
  const depthT = ctx.getInputData(1);
  let depth: number | undefined;
  if (depthT && !depthT.external) {
    const v = depthT.values();
    if (v && v.length) depth = Math.trunc(v[0]!);
  }
  for (let i = 0; i < outRank; i++) {
    if (i < axis) out.push(cloneDim(ind[i]!));
    else if (i > axis) out.push(cloneDim(ind[i - 1]!));
    else out.push(depth !== undefined ? { value: depth } : {});
  }
}

/** Compress: the axis dimension becomes unknown; without axis the output is 1-D. */
export function compress(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const axisAttr = ctx.getAttribute('axis');
  if (!axisAttr) {
    outputTensorShape(ctx, 0).push({});
    return;
  }
  if (hasInputShape(ctx, 0)) setAxisUnknown(ctx, axisAttr.i ?? 0);
}

/** Output 0: the input's dims with dimension `axis` (checked against the rank, negative from the end) unknown. */
function setAxisUnknown(ctx: InferContext, axis: number): void {
  const input = inputDims(ctx, 0);
  const r = input.length;
  if (axis < -r || axis >= r) failShape(`'axis' must be in [-rank(input), rank(input)-1]`);
  if (axis < 0) axis += r;
  const out = outputTensorShape(ctx, 0);
  input.forEach((d, i) => out.push(i === axis ? {} : cloneDim(d)));
}

/** Unique: Y is 1-D (or the input with the axis dimension unknown); indices / inverse / counts are int64 1-D. */
export function unique(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const axisAttr = ctx.getAttribute('axis');
  if (!axisAttr) outputTensorShape(ctx, 0).push({});
  else if (hasInputShape(ctx, 0)) setAxisUnknown(ctx, axisAttr.i ?? 0);
  for (let o = 1; o < Math.min(ctx.getNumOutputs(), 4); o++) {
    updateOutputElemType(ctx, o, INT64);
    outputTensorShape(ctx, o).push({});
  }
}

/** Einsum: each output label takes the dimension of its first occurrence; `...` the first operand's dimensions. */
export function einsum(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const a = ctx.getAttribute('equation');
  const eq = a?.s ? decodeUtf8(a.s).replace(/ /g, '') : '';
  if (!eq) return;
  const num = ctx.getNumInputs();
  if (num < 1 || !hasNInputShapes(ctx, num)) return;
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  const isLetter = (c: string) => /[a-zA-Z]/.test(c);
  const labelDims = new Map<string, Dim>();
  const counts = new Map<string, number>();
  let ellipsis: Dim[] | null = null;
  terms.forEach((term, k) => {
    if (k >= num) failShape('Number of input tensors does not match the operands in the equation.');
    const shape = inputDims(ctx, k);
    const letters = [...term].filter(isLetter).length;
    const e = term.indexOf('...');
    let dim = 0;
    for (let p = 0; p < term.length; p++) {
      if (p === e) {
        const n = shape.length - letters;
        if (ellipsis === null) ellipsis = shape.slice(dim, dim + n).map(cloneDim);
        else if (ellipsis.length !== n) failShape('Ellipsis represents incompatible dimensions.');
        dim += n;
        p += 2;
        continue;
      }
      const c = term[p]!;
      if (!isLetter(c)) continue;
      if (!labelDims.has(c)) labelDims.set(c, cloneDim(shape[dim] ?? {}));
      counts.set(c, (counts.get(c) ?? 0) + 1);
      dim++;
    }
    if (e < 0 && letters !== shape.length) failShape('Rank of input ', k, ' does not match the equation indices.');
  });
  if (terms.length !== num) failShape('Number of input tensors does not match the operands in the equation.');
  const out = outputTensorShape(ctx, 0);
  if (arrow >= 0) {
    const rhs = eq.slice(arrow + 2);
    for (let p = 0; p < rhs.length; p++) {
      if (rhs.startsWith('...', p)) {
        if (ellipsis) for (const d of ellipsis as Dim[]) out.push(cloneDim(d));
        p += 2;
      } else if (isLetter(rhs[p]!)) {
        const d = labelDims.get(rhs[p]!);
        if (!d) failShape(`Output label ${rhs[p]} is not present in the inputs.`);
        out.push(cloneDim(d));
      }
    }
  } else {
    if (ellipsis) for (const d of ellipsis as Dim[]) out.push(cloneDim(d));
    for (const c of [...labelDims.keys()].sort()) if (counts.get(c) === 1) out.push(cloneDim(labelDims.get(c)!));
  }
}

export function nonZero(ctx: InferContext): void {
  updateOutputElemType(ctx, 0, INT64);
  const d: Dim = {};
  if (hasInputShape(ctx, 0)) d.value = getInputShape(ctx, 0).length;
  updateOutputShape(ctx, 0, [d, {}]);
}

/** TopK opset 10+ (K input). */
export function topK(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  updateOutputElemType(ctx, 1, INT64);
  if (!hasInputShape(ctx, 0)) return;
  const s = getInputShape(ctx, 0);
  const rank = s.length;
  let axis = getAttrInt(ctx, 'axis', -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) failShape('Invalid value for attribute axis');
  const ad = s[axis]!;
  const k = ctx.getInputData(1);
  if (k && ad.value !== undefined) {
    if (k.dims.length !== 1 || k.dims[0] !== 1) failShape('K input must be a one-dimensional tensor of size 1.');
    if (k.dataType !== INT64) failShape('K input must be of type int64.');
    const kv = parseData(k, INT64)[0]!;
    if (ad.value < kv) failShape('Axis has less than the requested k elements.');
    const res = s.map(cloneDim);
    res[axis] = { value: kv };
    updateOutputShape(ctx, 0, res);
    updateOutputShape(ctx, 1, res);
    return;
  }
  const o0 = getOutputShape(ctx, 0);
  const o1 = getOutputShape(ctx, 1);
  for (let i = 0; i < rank; i++) {
    o0.push({});
    o1.push({});
  }
}

function resizeFromScales(input: Dim[], scales: number[], out: Dim[]): void {
  for (let i = 0; i < input.length; i++) {
    const d = out[i]!;
    const v = input[i]!.value;
    if (v === undefined) continue;
    const nv = Math.floor(Math.fround(Math.fround(v) * scales[i]!));
    if (d.value !== undefined) {
      if (d.value !== nv) failShape(`Dimension value inferred (${nv}) is not equal to the existing dim value (${d.value}).`);
    } else {
      delete d.param;
      d.value = nv;
    }
  }
}

function resizeFromSizes(input: Dim[], sizes: number[], out: Dim[]): void {
  for (let i = 0; i < input.length; i++) if (sizes[i]! > 0) out[i] = { value: sizes[i]! };
}

/**
 * The start every Resize / Upsample version shares: X's element type; then, when X's shape is known, X's dims and the
 * output's (an existing output rank must equal X's, else one unknown dim per input dim). Null without X's shape.
 */
function resizeShapes(ctx: InferContext): { input: Dim[]; out: Dim[] } | null {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return null;
  const input = getInputShape(ctx, 0);
  const out = getOutputShape(ctx, 0);
  if (out.length > 0) {
    if (out.length !== input.length) failShape(`Ranks inferred (${input.length}) is not equal to the existing rank value (${out.length}).`);
  } else for (let i = 0; i < input.length; i++) out.push({});
  return { input, out };
}

/** Output dims from a constant float `scales` input (one per dim of X). */
function resizeFromScalesInput(scalesT: TensorSource, input: Dim[], out: Dim[]): void {
  if (scalesT.dataType !== FLOAT) failShape("Input 'scales' must have float element type.");
  const scales = parseData(scalesT, FLOAT);
  if (scales.length !== input.length) failShape("Number of elements of input 'scales' must be same as rank of input 'X'");
  resizeFromScales(input, scales, out);
}

/** Resize opset 11 to 18 (roi, scales, sizes inputs; axes / keep_aspect_ratio_policy from 18). */
export function resize11(ctx: InferContext): void {
  const shapes = resizeShapes(ctx);
  if (!shapes) return;
  const { input, out } = shapes;
  const scalesT = ctx.getNumInputs() > 2 ? ctx.getInputData(2) : null;
  const sizesT = ctx.getNumInputs() > 3 ? ctx.getInputData(3) : null;
  if (sizesT) {
    if (sizesT.dataType !== INT64) failShape("Input 'sizes' must have int64 element type.");
    const sizes = parseData(sizesT, INT64);
    if (sizes.length !== input.length) failShape("Number of elements of input 'sizes' must be same as rank of input 'X'");
    resizeFromSizes(input, sizes, out);
  } else if (scalesT) resizeFromScalesInput(scalesT, input, out);
}

/** Resize opset 10 (scales input). */
export function resize10(ctx: InferContext): void {
  const shapes = resizeShapes(ctx);
  const scalesT = ctx.getInputData(1);
  if (shapes && scalesT) resizeFromScalesInput(scalesT, shapes.input, shapes.out);
}

/** Upsample opset 7 (scales attribute). */
export function upsample7(ctx: InferContext): void {
  const shapes = resizeShapes(ctx);
  if (!shapes) return;
  const scales = ctx.getAttribute('scales');
  if (scales) {
    const f = scales.floats ?? [];
    if (f.length !== shapes.input.length) failShape("Number of elements of attribute 'scales' must be same as rank of input 'X'");
    resizeFromScales(shapes.input, f, shapes.out);
  }
}

/** DepthToSpace: [N, C, H, W] -> [N, C / b², H * b, W * b] (b = blocksize). */
export function depthToSpace(ctx: InferContext): void {
  moveBlocks(ctx, divDimInt, mulDimInt);
}

/** SpaceToDepth: [N, C, H, W] -> [N, C * b², H / b, W / b] (b = blocksize). */
export function spaceToDepth(ctx: InferContext): void {
  moveBlocks(ctx, mulDimInt, divDimInt);
}

/** DepthToSpace / SpaceToDepth: the channel dim scaled by `channels` with b², the spatial dims by `spatial` with b. */
function moveBlocks(ctx: InferContext, channels: (d: Dim, k: number) => Dim, spatial: (d: Dim, k: number) => Dim): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  const b = getAttrInt(ctx, 'blocksize', 0);
  if (b <= 0) failShape('Blocksize must be positive');
  if (!hasInputShape(ctx, 0)) return;
  const s = getInputShape(ctx, 0);
  if (s.length !== 4) failShape('Input tensor must be 4-dimensional');
  updateOutputShape(ctx, 0, [cloneDim(s[0]!), channels(s[1]!, b * b), spatial(s[2]!, b), spatial(s[3]!, b)]);
}
