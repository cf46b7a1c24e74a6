/**
 * The inference context one operator rule sees (onnx's `InferenceContextImpl`) and the helpers of
 * onnx/defs/shape_inference.{h,cc} the rules are written with. Names and semantics follow onnx so a rule reads like
 * the C++ it mirrors; every helper throws `InferenceError` where onnx's does.
 */
import {
  type Dim,
  type TensorTypeProto,
  type TypeProto,
  assignType,
  cloneDim,
  cloneType,
  failShape,
  failType,
  mutableShape,
  mutableSparse,
  mutableTensor,
  tensorLike,
  valueCase,
} from './types.js';
import type { AttributeView } from '../model.js';
import { DT } from '../dtypes.js';
import { decodeUtf8 } from '../wire.js';

/** A constant tensor a rule may read (an initializer, or a Constant node's value). */
export interface TensorSource {
  name: string;
  dataType: number;
  dims: readonly number[];
  /** True when the data lives outside the model bytes (onnx cannot parse it: "Cannot parse data from external tensors"). */
  external: boolean;
  /** Element values (int64 as numbers) or null when they cannot be read here. */
  values(): number[] | null;
}

/**
 * An attribute as the rules read it (onnx AttributeProto): the scalar and list fields of the parsed attribute
 * (`type` is AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, ...), a
 * tensor as a TensorSource, a subgraph opaque to the rules (the engine resolves it).
 */
export interface InferAttr extends Pick<AttributeView, 'name' | 'type' | 'i' | 'f' | 's' | 'ints' | 'floats'> {
  t?: TensorSource;
  g?: unknown;
}

export interface GraphInferencer {
  /** Infers the subgraph with these input types; returns its output types (onnx GraphInferencerImpl::doInferencing). */
  doInferencing(inputTypes: (TypeProto | null)[], inputData: (TensorSource | null)[]): TypeProto[];
}

export class InferContext {
  private readonly outputs: TypeProto[];
  constructor(
    readonly opType: string,
    /** Version of the operator's domain imported by the model (the schema in force was chosen with it). */
    readonly opsetVersion: number,
    private readonly inputTypes: (TypeProto | null)[],
    private readonly inputData: (TensorSource | null)[],
    private readonly attrs: Map<string, InferAttr>,
    numOutputs: number,
    private readonly graphs: (name: string) => GraphInferencer | null,
  ) {
    this.outputs = Array.from({ length: numOutputs }, () => ({}));
  }

  getAttribute(name: string): InferAttr | undefined {
    return this.attrs.get(name);
  }
  getNumInputs(): number {
    return this.inputTypes.length;
  }
  /** null for a missing optional input and for an input whose type is not known. */
  getInputType(i: number): TypeProto | null {
    return this.inputTypes[i] ?? null;
  }
  hasInput(i: number): boolean {
    return i < this.getNumInputs() && this.getInputType(i) !== null;
  }
  getInputData(i: number): TensorSource | null {
    return this.inputData[i] ?? null;
  }
  getNumOutputs(): number {
    return this.outputs.length;
  }
  getOutputType(i: number): TypeProto {
    const t = this.outputs[i];
    if (!t) failType(`Output ${i} is out of bounds`);
    return t;
  }
  getGraphAttributeInferencer(name: string): GraphInferencer | null {
    return this.graphs(name);
  }
}

// ---- attributes ---------------------------------------------------------------------------------------------------

export function getAttrInt(ctx: InferContext, name: string, def: number): number {
  const a = ctx.getAttribute(name);
  return a && a.i !== undefined ? a.i : def;
}

export function getAttrFloat(ctx: InferContext, name: string, def: number): number {
  const a = ctx.getAttribute(name);
  return a && a.f !== undefined ? a.f : def;
}

export function getAttrString(ctx: InferContext, name: string, def: string): string {
  const a = ctx.getAttribute(name);
  return a && a.s !== undefined ? decodeUtf8(a.s) : def;
}

/** getRepeatedAttribute: the ints of an attribute, or null when absent. */
export function getAttrInts(ctx: InferContext, name: string): number[] | null {
  const a = ctx.getAttribute(name);
  if (!a) return null;
  return [...(a.ints ?? [])];
}

export function getAttrFloats(ctx: InferContext, name: string): number[] | null {
  const a = ctx.getAttribute(name);
  if (!a) return null;
  return [...(a.floats ?? [])];
}

// ---- tensor data (onnx/defs/tensor_proto_util.cc ParseData) ---------------------------------------------------

const DT_NAME: Record<number, string> = { 1: 'float', 6: 'int32', 7: 'int64', 11: 'double' };

/** ParseData<T>: the values of a constant of exactly element type `dataType`, or an InferenceError. */
export function parseData(t: TensorSource, dataType: number): number[] {
  if (!t.dataType) failShape(`The type of tensor: ${t.name} is undefined so it cannot be parsed.`);
  if (t.dataType !== dataType)
    failShape(`ParseData type mismatch for tensor: ${t.name}. Expected:${DT_NAME[dataType] ?? dataType} Actual:${t.dataType}`);
  if (t.external) failShape(`Cannot parse data from external tensors. Please load external data into raw data for tensor: ${t.name}`);
  const v = t.values();
  if (!v) failShape(`Cannot parse data of tensor: ${t.name}`);
  return v;
}

// ---- types ----------------------------------------------------------------------------------------------------------

export const getTensorElementType = (t: TypeProto): number => tensorLike(t)?.elem ?? 0;

function setTensorElementType(elem: number, c: 'tensor' | 'sparse', t: TypeProto): void {
  if (c === 'tensor') mutableTensor(t).elem = elem;
  else mutableSparse(t).elem = elem;
}

export function propagateElemTypeFromTensorInputToOutput(ctx: InferContext, inputIndex: number, outputIndex: number): void {
  const it = ctx.getInputType(inputIndex);
  if (!it) failType('Input type was null');
  const ic = valueCase(it);
  if (ic !== 'tensor' && ic !== 'sparse') failType(`Input ${inputIndex} expected to have tensor or sparse tensor type. Got: ${ic}`);
  const elem = getTensorElementType(it);
  if (elem === 0) failType(`Element type of input ${inputIndex} unknown`);
  const ot = ctx.getOutputType(outputIndex);
  const oc = valueCase(ot);
  if (oc === 'tensor' || oc === 'sparse') setTensorElementType(elem, oc, ot);
  else if (oc === 'none') setTensorElementType(elem, ic, ot);
  else failType(`Output ${outputIndex} expected to have tensor or sparse tensor type. Got: ${oc}`);
}

export function propagateElemTypeFromInputToOutput(ctx: InferContext, inputIndex: number, outputIndex: number): void {
  const it = ctx.getInputType(inputIndex);
  if (!it) failType(`Input ${inputIndex} expected to have type but instead is null`);
  const ic = valueCase(it);
  if (ic === 'tensor' || ic === 'sparse') propagateElemTypeFromTensorInputToOutput(ctx, inputIndex, outputIndex);
  else if (ic === 'sequence' || ic === 'optional') {
    const inner = (it.sequence ?? it.optional)!;
    if (!inner.elem) failType(`Element type of ${ic} input ${inputIndex} unknown`);
    const ot = ctx.getOutputType(outputIndex);
    const o = ic === 'sequence' ? (ot.sequence = ot.sequence ?? {}) : (ot.optional = ot.optional ?? {});
    o.elem = cloneType(inner.elem);
  } else if (ic === 'map') {
    const m = it.map!;
    if (!m.key) failType(`Key type of map input ${inputIndex} unknown`);
    if (!m.value) failType(`Value type of map input ${inputIndex} unknown`);
    const ot = ctx.getOutputType(outputIndex);
    ot.map = { key: m.key, value: cloneType(m.value) };
  }
}

/** propagateElemTypeWithValidation (used by Loop/Scan/If helpers). */
export function propagateElemTypeWithValidation(input: TypeProto | null, output: TypeProto): void {
  if (!input) failType('Input type was null');
  const ic = valueCase(input);
  if (ic === 'tensor' || ic === 'sparse') {
    const elem = getTensorElementType(input);
    if (elem === 0) failType('Element type of tensor or sparse tensor input was unknown');
    const oc = valueCase(output);
    if (oc === 'none') setTensorElementType(elem, ic, output);
    else if (oc === 'tensor' || oc === 'sparse') {
      const oe = getTensorElementType(output);
      if (oe !== 0) {
        if (oe !== elem) failType(`Input element type of ${elem} does not match existing output type of ${oe}`);
      } else setTensorElementType(elem, oc, output);
    } else failType(`Output was expected to have tensor type. Got ${oc}`);
  } else if (ic === 'sequence' || ic === 'optional') {
    const inner = (input.sequence ?? input.optional)!;
    if (!inner.elem) failType(`Element type of ${ic} input was unknown`);
    const o = ic === 'sequence' ? (output.sequence = output.sequence ?? {}) : (output.optional = output.optional ?? {});
    propagateElemTypeWithValidation(inner.elem, (o.elem ??= {}));
  } else if (ic === 'map') {
    const m = input.map!;
    if (!m.key) failType('Key type of map input was unknown');
    if (!m.value) failType('Value type of map input was unknown');
    output.map = output.map ?? { key: 0 };
    output.map.key = m.key;
    propagateElemTypeWithValidation(m.value, (output.map.value ??= {}));
  } else failType(`Input was expected to have either tensor, sequence, optional or map type. Got ${ic}`);
}

export function updateOutputElemType(ctx: InferContext, outputIndex: number, elem: number, expected: 'tensor' | 'sparse' = 'tensor'): void {
  const ot = ctx.getOutputType(outputIndex);
  const oc = valueCase(ot);
  if (oc === expected || oc === 'none') setTensorElementType(elem, expected, ot);
  else failType(`Output ${outputIndex} expected to have tensor or sparse tensor type: ${expected}`);
}

/** The element types 1 (FLOAT) … 26 (INT2). */
const VALID_DTYPES = new Set(Array.from({ length: DT.INT2 }, (_, i) => i + 1));

/** propagateElemTypeFromAttributeToOutput(ctx, name, index, default). */
export function propagateElemTypeFromAttributeToOutput(ctx: InferContext, name: string, outputIndex: number, def = 0): void {
  const a = ctx.getAttribute(name);
  if (!a) {
    if (def !== 0) return updateOutputElemType(ctx, outputIndex, def);
    failType(`Value of attribute ${name} not specified`);
  }
  if (a.i === undefined) failType(`Attribute ${name} should be of integer type and specify a type.`);
  if (!VALID_DTYPES.has(a.i)) failType(`Attribute ${name} does not specify a valid type.`);
  updateOutputElemType(ctx, outputIndex, a.i);
}

function hasShapeT(t: TypeProto): boolean {
  if (t.tensor) return t.tensor.shape !== undefined;
  if (t.sparse) return t.sparse.shape !== undefined;
  if (t.sequence?.elem) return hasShapeT(t.sequence.elem);
  if (t.optional?.elem) return hasShapeT(t.optional.elem);
  return false;
}

export function hasShape(t: TypeProto): boolean {
  return hasShapeT(t);
}

export function hasInputShape(ctx: InferContext, n: number): boolean {
  const t = ctx.getNumInputs() > n ? ctx.getInputType(n) : null;
  return !!t && hasShapeT(t);
}

export function hasNInputShapes(ctx: InferContext, n: number): boolean {
  for (let i = 0; i < n; i++) if (!hasInputShape(ctx, i)) return false;
  return true;
}

/** getInputShape: the dims of a tensor / sparse input (empty when it has no shape, as protobuf's default). */
export function getInputShape(ctx: InferContext, n: number): Dim[] {
  const t = ctx.getInputType(n)!;
  const c = valueCase(t);
  if (c !== 'tensor' && c !== 'sparse') failType('Attribute expected to have tensor or sparse tensor type');
  return tensorLike(t)!.shape ?? [];
}

/** `ctx.getInputType(n)->tensor_type()`: the tensor member, or an empty default (protobuf semantics). */
export function inputTensorType(ctx: InferContext, n: number): TensorTypeProto {
  return ctx.getInputType(n)?.tensor ?? { elem: 0 };
}

/** The dims of input n's tensor_type (empty if no shape). */
export function inputDims(ctx: InferContext, n: number): Dim[] {
  return inputTensorType(ctx, n).shape ?? [];
}

/** `ctx.getOutputType(n)->mutable_tensor_type()->mutable_shape()`. */
export function outputTensorShape(ctx: InferContext, n: number): Dim[] {
  return mutableShape(mutableTensor(ctx.getOutputType(n)));
}

/** getOutputShape(ctx, n): the output's tensor (or sparse) shape, created. */
export function getOutputShape(ctx: InferContext, n: number): Dim[] {
  const ot = ctx.getOutputType(n);
  const oc = valueCase(ot);
  if (oc === 'tensor' || oc === 'sparse') return mutableShape(tensorLike(ot)!);
  if (oc === 'none') return mutableShape(mutableTensor(ot));
  failType(`Output ${n} expected to have tensor type`);
}

export function updateOutputShape(ctx: InferContext, n: number, dims: Dim[]): void {
  const s = getOutputShape(ctx, n);
  s.length = 0;
  for (const d of dims) s.push(cloneDim(d));
}

function propagateShape(from: TypeProto, to: TypeProto): void {
  const fc = valueCase(from);
  const tc = valueCase(to);
  if (fc !== tc) failShape(`Mismatch between inferred and declared type. Inferred=${fc} Declared=${tc}`);
  if (fc === 'tensor' || fc === 'sparse') {
    if (hasShapeT(from)) tensorLike(to)!.shape = tensorLike(from)!.shape!.map(cloneDim);
  } else if (fc === 'sequence') propagateShape(from.sequence!.elem ?? {}, (to.sequence!.elem ??= {}));
  else if (fc === 'optional') propagateShape(from.optional!.elem ?? {}, (to.optional!.elem ??= {}));
  else if (fc === 'map') propagateShape(from.map!.value ?? {}, (to.map!.value ??= {}));
  else failShape(`Unsupported Source/Target type=${fc}`);
}

export function propagateShapeFromInputToOutput(ctx: InferContext, inputIndex: number, outputIndex: number): void {
  const it = ctx.getInputType(inputIndex);
  if (!it) failShape('Input type was null');
  propagateShape(it, ctx.getOutputType(outputIndex));
}

export function propagateShapeAndTypeFromFirstInput(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  propagateShapeFromInputToOutput(ctx, 0, 0);
}

export function appendSingleDimCopiedFromInputTypeToOutputType(
  ctx: InferContext,
  inputIndex: number,
  outputIndex: number,
  fromDim: number,
): void {
  const ot = ctx.getOutputType(outputIndex);
  const it = ctx.getInputType(inputIndex)!;
  const oc = valueCase(ot);
  const ic = valueCase(it);
  if (oc !== ic) failType(`Input: ${inputIndex} type: ${ic} does not match type of output: ${outputIndex}type: ${oc}`);
  if (ic !== 'tensor' && ic !== 'sparse')
    failType(`Input ${inputIndex} and Output ${outputIndex} expected to have tensor or sparse tensor type`);
  const d = tensorLike(it)!.shape?.[fromDim] ?? {};
  mutableShape(tensorLike(ot)!).push(cloneDim(d));
}

// ---- dims ---------------------------------------------------------------------------------------------------------

export const dimValue = (v: number): Dim => ({ value: v });
export const hasValue = (d: Dim): d is { value: number } => d.value !== undefined;

/** `Dimension * Dimension` (shape_inference.h). */
export function mulDims(a: Dim, b: Dim): Dim {
  if (a.value !== undefined && b.value !== undefined) return { value: a.value * b.value };
  if (a.value === 1) return cloneDim(b);
  if (b.value === 1) return cloneDim(a);
  return {};
}

/** `Dimension * int64`. */
export function mulDimInt(a: Dim, b: number): Dim {
  if (a.value !== undefined) return { value: a.value * b };
  if (b === 1) return cloneDim(a);
  return {};
}

/** `Dimension / int64` (C++ integer division truncates toward zero). */
export function divDimInt(a: Dim, b: number): Dim {
  if (a.value !== undefined) return { value: Math.trunc(a.value / b) };
  if (b === 1) return cloneDim(a);
  return {};
}

export function multiplyDims(shape: Dim[], from: number, upto: number): Dim {
  let d: Dim = { value: 1 };
  for (let i = from; i < upto; i++) d = mulDims(d, shape[i]!);
  return d;
}

export function multidirectionalBroadcastShapeInference(shapes: Dim[][], result: Dim[]): void {
  let rank = 0;
  for (const s of shapes) if (s.length > rank) rank = s.length;
  for (let i = 0; i < rank; i++) {
    let dimValue = 1;
    let symbolic: Dim = {};
    let numSymbolic = 0;
    for (const s of shapes) {
      if (i < rank - s.length) continue;
      const d = s[i - rank + s.length]!;
      if (d.value !== undefined) {
        if (d.value !== 1) {
          if (dimValue !== d.value && dimValue !== 1) failShape('Incompatible dimensions');
          dimValue = d.value;
        }
      } else if (numSymbolic === 0) {
        symbolic = d;
        numSymbolic++;
      } else if ((d.param ?? '') !== (symbolic.param ?? '')) numSymbolic++;
    }
    if (dimValue !== 1 || numSymbolic === 0) result.push({ value: dimValue });
    else if (numSymbolic === 1) result.push(cloneDim(symbolic));
    else result.push({});
  }
}

export function bidirectionalBroadcastShapeInference(a: Dim[], b: Dim[], result: Dim[]): void {
  multidirectionalBroadcastShapeInference([a, b], result);
}

/** mergeInDimensionInfo(source, target): values win, target params win over source params. */
export function mergeInDimensionInfo(source: Dim, target: Dim, index: number): void {
  if (source.value !== undefined) {
    if (target.value !== undefined) {
      if (target.value !== source.value)
        failShape(
          `Can't merge shape info. Both inferred and declared dimension have values but they differ. Inferred=${source.value} Declared=${target.value} Dimension=${index}`,
        );
    } else {
      delete target.param;
      target.value = source.value;
    }
  } else if (target.value !== undefined) {
    // keep
  } else if (target.param !== undefined) {
    // keep
  } else if (source.param !== undefined) target.param = source.param;
}

/** mergeInShapeInfo(source shape, target tensor type). */
export function mergeInShapeInfo(source: Dim[], target: TensorTypeProto): void {
  if (target.shape) {
    if (source.length !== target.shape.length)
      failShape(`Mismatch between number of source and target dimensions. Source=${source.length} Target=${target.shape.length}`);
    source.forEach((d, i) => mergeInDimensionInfo(d, target.shape![i]!, i));
  } else target.shape = source.map(cloneDim);
}

export function checkDimEquality(a: number, b: number): void {
  if (a !== b) failShape(`Dimension mismatch in unification between ${a} and ${b}`);
}

/** unifyDim(source, target): as mergeInDimensionInfo, different message. */
export function unifyDim(source: Dim, target: Dim): void {
  if (source.value !== undefined) {
    if (target.value !== undefined) checkDimEquality(source.value, target.value);
    else {
      delete target.param;
      target.value = source.value;
    }
  } else if (target.value !== undefined || target.param !== undefined) {
    // keep
  } else if (source.param !== undefined) target.param = source.param;
}

/** unifyDim(dim, value). */
export function unifyDimValue(dim: Dim, value: number): void {
  if (dim.value !== undefined) checkDimEquality(dim.value, value);
  else {
    delete dim.param;
    dim.value = value;
  }
}

export function unifyInputDim(ctx: InferContext, inputIndex: number, dimIndex: number, dim: Dim): void {
  if (!hasInputShape(ctx, inputIndex)) return;
  const shape = getInputShape(ctx, inputIndex);
  if (shape.length <= dimIndex) failShape(`Input ${inputIndex} expected to have rank >${dimIndex} but has rank ${shape.length}`);
  unifyDim(shape[dimIndex]!, dim);
}

export function checkInputRank(ctx: InferContext, inputIndex: number, expected: number): void {
  if (hasInputShape(ctx, inputIndex)) {
    const r = getInputShape(ctx, inputIndex).length;
    if (r !== expected) failShape(`Input ${inputIndex} expected to have rank ${expected} but has rank ${r}`);
  }
}

/** UnionShapeInfo / UnionTypeInfo (If branches): dims that disagree become unknown, ranks that disagree drop the shape. */
function unionShape(source: Dim[], target: TensorTypeProto): void {
  if (!target.shape) return;
  if (source.length !== target.shape.length) {
    delete target.shape;
    return;
  }
  for (let i = 0; i < source.length; i++) {
    const s = source[i]!;
    const t = target.shape[i]!;
    let conflict: boolean;
    if (s.value !== undefined) conflict = !(t.value !== undefined && t.value === s.value);
    else if (s.param !== undefined) conflict = !(t.param !== undefined && t.param === s.param);
    else conflict = t.value !== undefined || t.param !== undefined;
    if (conflict && (t.value !== undefined || t.param !== undefined)) target.shape[i] = {};
  }
}

function unionTensor(source: TensorTypeProto, target: TensorTypeProto): void {
  if (source.shape) unionShape(source.shape, target);
  else delete target.shape;
}

export function unionTypeInfo(source: TypeProto, target: TypeProto): void {
  const sc = valueCase(source);
  const tc = valueCase(target);
  if (sc !== tc) failType(`Mismatched type: source=${sc} target=${tc}`);
  if (tc === 'tensor' || tc === 'sparse') {
    const s = tensorLike(source)!;
    const t = tensorLike(target)!;
    if (s.elem !== t.elem) failType(`Mismatched tensor element type: source=${s.elem} target=${t.elem}`);
    unionTensor(s, t);
  } else if (tc === 'sequence' || tc === 'optional') {
    const s = (source.sequence ?? source.optional)!;
    const t = (target.sequence ?? target.optional)!;
    if (!s.elem) failType(`source ${tc} type missing element type.`);
    if (!t.elem) failType(`target ${tc} type missing element type.`);
    unionTypeInfo(s.elem, t.elem);
  } else if (tc === 'map') {
    const s = source.map!;
    const t = target.map!;
    if (!s.key) failType('source map type missing key type.');
    if (!t.key) failType('target map type missing key type.');
    if (s.key !== t.key) failType(`Mismatched map tensor key type: source=${s.key} target=${t.key}`);
    if (!s.value) failType('source map type missing value type.');
    if (!t.value) failType('target map type missing value type.');
    unionTypeInfo(s.value, t.value);
  }
}

export { assignType, cloneType };

// ---- axes helpers (onnx/defs/tensor/utils.h, reduction) ----------------------------------------------------------

export function checkAxesRange(axes: number[], rank: number): void {
  for (const a of axes) if (a < -rank || a > rank - 1) failShape(`Unexpected axis value: ${a}. Expected range [${-rank}, ${rank})`);
}

export function adjustNegativeAxes(axes: number[], rank: number): void {
  for (let i = 0; i < axes.length; i++) if (axes[i]! < 0) axes[i]! += rank;
}

export function checkDuplicateAxes(axes: number[], rank: number): void {
  const seen = new Array<boolean>(rank).fill(false);
  for (const a of axes) {
    const i = a < 0 ? a + rank : a;
    if (seen[i]) failShape(`Axis ${a} is referred to more than once.`);
    seen[i] = true;
  }
}

/** getShapeInput: a shape given as a constant input, else its rank from the input's own shape, else not found. */
export function getShapeInput(ctx: InferContext, inputIndex: number): Dim[] | null {
  const data = ctx.getInputData(inputIndex);
  if (data) return parseData(data, 7).map((v) => ({ value: v }));
  if (hasInputShape(ctx, inputIndex)) {
    const s = getInputShape(ctx, inputIndex);
    if (s.length !== 1) failShape('shape input must be 1D tensor');
    if (s[0]!.value !== undefined) return Array.from({ length: s[0]!.value }, () => ({}));
  }
  return null;
}
