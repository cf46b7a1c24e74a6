/**
 * The ONNX `TypeProto` as shape inference sees it: a mutable mirror of the protobuf message (onnx/onnx.proto) with
 * the same field presence rules, so the inference code can follow onnx's C++ (onnx/shape_inference/implementation.cc,
 * onnx/defs/shape_inference.{h,cc}) statement by statement. Plus decoding from and encoding to the wire format.
 *
 * Presence matters: a `Dim` with neither `value` nor `param` is an unknown dimension (encoded as an empty message),
 * `shape: []` is a scalar, `shape` absent is an unknown rank; a `TypeProto` with no member set is "type present but
 * value not set" (onnx writes it as an empty message).
 */
import protobuf from 'protobufjs/minimal.js';
import { type Field, WT_LEN, WT_VARINT, fieldInt, fieldString, readFields, tagOf } from '../wire.js';
import { FIELD } from '../schema.generated.js';
import { concatBytes } from '../../io/bytes.js';

// TypeProto.Tensor and TypeProto.SparseTensor share field numbers, as do TypeProto.Sequence and TypeProto.Optional.
const {
  TypeProto: TP,
  TypeProto_Tensor: TT,
  TypeProto_Sequence: SEQ,
  TypeProto_Map: MAP,
  TensorShapeProto: SHAPE,
  TensorShapeProto_Dimension: DIM,
  ValueInfoProto: VI,
} = FIELD;

const { Writer } = protobuf;

export interface Dim {
  value?: number;
  param?: string;
}

export interface TensorTypeProto {
  /** TensorProto.DataType; 0 = UNDEFINED. */
  elem: number;
  /** Absent: rank unknown. */
  shape?: Dim[];
}

export interface TypeProto {
  tensor?: TensorTypeProto;
  sparse?: TensorTypeProto;
  sequence?: { elem?: TypeProto };
  optional?: { elem?: TypeProto };
  map?: { key: number; value?: TypeProto };
  /** opaque_type: kept only as "present" (no inference looks inside). */
  opaque?: Uint8Array;
}

export type ValueCase = 'tensor' | 'sparse' | 'sequence' | 'optional' | 'map' | 'opaque' | 'none';

export function valueCase(t: TypeProto): ValueCase {
  if (t.tensor) return 'tensor';
  if (t.sparse) return 'sparse';
  if (t.sequence) return 'sequence';
  if (t.optional) return 'optional';
  if (t.map) return 'map';
  if (t.opaque) return 'opaque';
  return 'none';
}

/** Clears every member (protobuf oneof semantics before setting another one). */
function clearCase(t: TypeProto): void {
  delete t.tensor;
  delete t.sparse;
  delete t.sequence;
  delete t.optional;
  delete t.map;
  delete t.opaque;
}

/** `mutable_tensor_type()`: the tensor member, created (and any other member cleared) if it is not the set one. */
export function mutableTensor(t: TypeProto): TensorTypeProto {
  if (!t.tensor) {
    clearCase(t);
    t.tensor = { elem: 0 };
  }
  return t.tensor;
}

export function mutableSparse(t: TypeProto): TensorTypeProto {
  if (!t.sparse) {
    clearCase(t);
    t.sparse = { elem: 0 };
  }
  return t.sparse;
}

export function mutableSequence(t: TypeProto): { elem?: TypeProto } {
  if (!t.sequence) {
    clearCase(t);
    t.sequence = {};
  }
  return t.sequence;
}

export function mutableOptional(t: TypeProto): { elem?: TypeProto } {
  if (!t.optional) {
    clearCase(t);
    t.optional = {};
  }
  return t.optional;
}

export function mutableMap(t: TypeProto): { key: number; value?: TypeProto } {
  if (!t.map) {
    clearCase(t);
    t.map = { key: 0 };
  }
  return t.map;
}

/** `mutable_shape()` of a tensor type: created empty (rank 0) when absent. */
export function mutableShape(tt: TensorTypeProto): Dim[] {
  return (tt.shape ??= []);
}

export const cloneDim = (d: Dim): Dim => (d.value !== undefined ? { value: d.value } : d.param !== undefined ? { param: d.param } : {});

export function cloneTensorType(tt: TensorTypeProto): TensorTypeProto {
  const o: TensorTypeProto = { elem: tt.elem };
  if (tt.shape) o.shape = tt.shape.map(cloneDim);
  return o;
}

export function cloneType(t: TypeProto): TypeProto {
  const o: TypeProto = {};
  if (t.tensor) o.tensor = cloneTensorType(t.tensor);
  else if (t.sparse) o.sparse = cloneTensorType(t.sparse);
  else if (t.sequence) o.sequence = t.sequence.elem ? { elem: cloneType(t.sequence.elem) } : {};
  else if (t.optional) o.optional = t.optional.elem ? { elem: cloneType(t.optional.elem) } : {};
  else if (t.map) o.map = t.map.value ? { key: t.map.key, value: cloneType(t.map.value) } : { key: t.map.key };
  else if (t.opaque) o.opaque = t.opaque;
  return o;
}

/** `*to = from` (protobuf CopyFrom). */
export function assignType(to: TypeProto, from: TypeProto): void {
  clearCase(to);
  Object.assign(to, cloneType(from));
}

/** The tensor or sparse-tensor member, whichever is set. */
export function tensorLike(t: TypeProto): TensorTypeProto | undefined {
  return t.tensor ?? t.sparse;
}

// ---- errors ----------------------------------------------------------------------------------------------------

/**
 * onnx's `InferenceError` (fail_type_inference / fail_shape_inference): the node's inferred outputs are discarded
 * and inference goes on with the next node.
 */
export class InferenceError extends Error {
  override name = 'InferenceError';
}

export function failType(...parts: unknown[]): never {
  throw new InferenceError(`[TypeInferenceError] ${parts.join('')}`);
}

export function failShape(...parts: unknown[]): never {
  throw new InferenceError(`[ShapeInferenceError] ${parts.join('')}`);
}

/**
 * A `std::runtime_error` outside the per-node catch in onnx (a declared type contradicting an inferred one, an
 * initializer contradicting its declaration): onnx's whole `infer_shapes` call fails with it.
 */
export class InferenceFailure extends Error {
  override name = 'InferenceFailure';
}

// ---- merge / check (onnx/shape_inference/implementation.cc) -----------------------------------------------------

const caseName: Record<ValueCase, string> = {
  tensor: 'tensor_type',
  sparse: 'sparse_tensor_type',
  sequence: 'sequence_type',
  optional: 'optional_type',
  map: 'map_type',
  opaque: 'opaque_type',
  none: 'NOT_SET',
};

function checkTensor(inferred: TensorTypeProto, existing: TensorTypeProto): void {
  if (inferred.elem !== 0 && existing.elem !== 0 && existing.elem !== inferred.elem)
    failType(`Inferred elem type differs from existing elem type: (${inferred.elem}) vs (${existing.elem})`);
  if (!inferred.shape || !existing.shape) return;
  if (inferred.shape.length !== existing.shape.length)
    failShape(`Inferred shape and existing shape differ in rank: (${inferred.shape.length}) vs (${existing.shape.length})`);
  for (let i = 0; i < inferred.shape.length; i++) {
    const a = inferred.shape[i]!;
    const b = existing.shape[i]!;
    if (a.value !== undefined && b.value !== undefined && a.value !== b.value)
      failShape(`Inferred shape and existing shape differ in dimension ${i}: (${a.value}) vs (${b.value})`);
  }
}

/** checkShapesAndTypes: throws when an inferred type contradicts an existing one. */
export function checkShapesAndTypes(inferred: TypeProto, existing: TypeProto): void {
  const ic = valueCase(inferred);
  const ec = valueCase(existing);
  if (ic === 'none' || ec === 'none') return;
  if (ic !== ec) failType(`type case mismatch. existing=${caseName[ec]} inferred=${caseName[ic]}`);
  if (ic === 'tensor') checkTensor(inferred.tensor!, existing.tensor!);
  else if (ic === 'sparse') checkTensor(inferred.sparse!, existing.sparse!);
  else if (ic === 'sequence') checkShapesAndTypes(inferred.sequence!.elem ?? {}, existing.sequence!.elem ?? {});
  else if (ic === 'optional') checkShapesAndTypes(inferred.optional!.elem ?? {}, existing.optional!.elem ?? {});
  else if (ic === 'map') {
    if (inferred.map!.key !== existing.map!.key)
      failType(`key type mismatch from MapProto. existing=${existing.map!.key} inferred=${inferred.map!.key}`);
    checkShapesAndTypes(inferred.map!.value ?? {}, existing.map!.value ?? {});
  } else failType(`type case unsupported. existing=${caseName[ec]} inferred=${caseName[ic]}`);
}

function mergeTensor(inferred: TensorTypeProto, existing: TensorTypeProto): void {
  if (existing.elem === 0) existing.elem = inferred.elem;
  if (!inferred.shape) return;
  if (!existing.shape) {
    existing.shape = inferred.shape.map(cloneDim);
    return;
  }
  for (let i = 0; i < inferred.shape.length; i++) {
    const d = inferred.shape[i]!;
    const e = existing.shape[i];
    if (!e) continue; // ranks were checked equal before; defensive
    if ((e.value === undefined && e.param === undefined) || d.value !== undefined) existing.shape[i] = cloneDim(d);
  }
}

/** mergeShapesAndTypes(inferred, existing): existing keeps its values and names, gains what it lacked. */
export function mergeShapesAndTypes(inferred: TypeProto, existing: TypeProto): void {
  checkShapesAndTypes(inferred, existing);
  const c = valueCase(inferred);
  if (c === 'tensor') mergeTensor(inferred.tensor!, mutableTensor(existing));
  else if (c === 'sparse') mergeTensor(inferred.sparse!, mutableSparse(existing));
  else if (c === 'sequence') mergeShapesAndTypes(inferred.sequence!.elem ?? {}, (mutableSequence(existing).elem ??= {}));
  else if (c === 'optional') mergeShapesAndTypes(inferred.optional!.elem ?? {}, (mutableOptional(existing).elem ??= {}));
  else if (c === 'map') {
    const m = mutableMap(existing);
    if (m.key === 0) m.key = inferred.map!.key;
    mergeShapesAndTypes(inferred.map!.value ?? {}, (m.value ??= {}));
  }
}

// ---- symbols ----------------------------------------------------------------------------------------------------

/**
 * SymbolTableImpl: every dim_param already used in the model (graph inputs, outputs, value_info, subgraphs), and
 * fresh names `unk__<n>` for unknown dimensions, the counter skipping names that exist.
 */
export class SymbolTable {
  private readonly existing = new Set<string>();
  private index = 0;

  addType(t: TypeProto | undefined): void {
    if (!t) return;
    const tt = tensorLike(t);
    if (tt) {
      for (const d of tt.shape ?? []) if (d.param !== undefined) this.existing.add(d.param);
    } else if (t.sequence) this.addType(t.sequence.elem);
    else if (t.optional) this.addType(t.optional.elem);
    else if (t.map) this.addType(t.map.value);
  }

  createNew(prefix = 'unk__'): string {
    let s: string;
    do s = `${prefix}${this.index++}`;
    while (this.existing.has(s));
    this.existing.add(s);
    return s;
  }
}

/** MaterializeSymbolicShape: every unknown dimension of an inferred type gets a fresh symbol. */
export function materializeSymbolicShape(t: TypeProto, symbols: SymbolTable): void {
  const c = valueCase(t);
  if (c === 'tensor' || c === 'sparse') {
    for (const d of tensorLike(t)!.shape ?? []) if (d.value === undefined && d.param === undefined) d.param = symbols.createNew();
  } else if (c === 'sequence') {
    if (t.sequence!.elem) materializeSymbolicShape(t.sequence!.elem, symbols);
    else materializeSymbolicShape((t.sequence!.elem = {}), symbols);
  } else if (c === 'optional') materializeSymbolicShape((t.optional!.elem ??= {}), symbols);
  else if (c === 'map') materializeSymbolicShape((t.map!.value ??= {}), symbols);
  else if (c === 'opaque') throw new InferenceFailure('type case unsupported for symbolic shape inference. inferred=opaque_type');
}

// ---- wire format -------------------------------------------------------------------------------------------------

function decodeDims(buf: Uint8Array, f: Field): Dim[] {
  const dims: Dim[] = [];
  for (const df of readFields(buf, f.vstart, f.end)) {
    if (df.no !== SHAPE.dim || df.wt !== WT_LEN) continue;
    const d: Dim = {};
    for (const x of readFields(buf, df.vstart, df.end)) {
      if (x.no === DIM.dimValue) {
        // A negative size is no size: read as an unknown dimension, as onnxruntime does. (onnx's infer_shapes computes
        // with it and writes value_info that onnxruntime then refuses, so an output would not load where its input
        // does: tests/fuzz/reproducers/absurd-dims-20261130-1197.json.) A deliberate deviation for invalid files only.
        const v = fieldInt(buf, x);
        if (v >= 0) d.value = v;
        else delete d.value;
        delete d.param;
      } else if (x.no === DIM.dimParam && x.wt === WT_LEN) {
        d.param = fieldString(buf, x);
        delete d.value;
      }
    }
    dims.push(d);
  }
  return dims;
}

function decodeTensorType(buf: Uint8Array, f: Field): TensorTypeProto {
  const tt: TensorTypeProto = { elem: 0 };
  for (const x of readFields(buf, f.vstart, f.end)) {
    if (x.no === TT.elemType) tt.elem = fieldInt(buf, x);
    else if (x.no === TT.shape && x.wt === WT_LEN) tt.shape = decodeDims(buf, x);
  }
  return tt;
}

/** Decodes a TypeProto message (the bytes between vstart and end of its field). */
export function decodeTypeProto(buf: Uint8Array, start: number, end: number): TypeProto {
  const t: TypeProto = {};
  for (const f of readFields(buf, start, end)) {
    if (f.wt !== WT_LEN) continue;
    switch (f.no) {
      case TP.tensorType:
        clearCase(t);
        t.tensor = decodeTensorType(buf, f);
        break;
      case TP.sparseTensorType:
        clearCase(t);
        t.sparse = decodeTensorType(buf, f);
        break;
      case TP.sequenceType:
      case TP.optionalType: {
        clearCase(t);
        const inner: { elem?: TypeProto } = {};
        for (const x of readFields(buf, f.vstart, f.end))
          if (x.no === SEQ.elemType && x.wt === WT_LEN) inner.elem = decodeTypeProto(buf, x.vstart, x.end);
        if (f.no === TP.sequenceType) t.sequence = inner;
        else t.optional = inner;
        break;
      }
      case TP.mapType: {
        clearCase(t);
        const m: { key: number; value?: TypeProto } = { key: 0 };
        for (const x of readFields(buf, f.vstart, f.end)) {
          if (x.no === MAP.keyType) m.key = fieldInt(buf, x);
          else if (x.no === MAP.valueType && x.wt === WT_LEN) m.value = decodeTypeProto(buf, x.vstart, x.end);
        }
        t.map = m;
        break;
      }
      case TP.opaqueType:
        clearCase(t);
        t.opaque = buf.subarray(f.vstart, f.end);
        break;
      default:
        break;
    }
  }
  return t;
}

function writeTensorType(w: protobuf.Writer, tt: TensorTypeProto): void {
  if (tt.elem !== 0) w.uint32(tagOf(TT.elemType, WT_VARINT)).int32(tt.elem);
  if (tt.shape) {
    w.uint32(tagOf(TT.shape, WT_LEN)).fork();
    for (const d of tt.shape) {
      w.uint32(tagOf(SHAPE.dim, WT_LEN)).fork();
      if (d.value !== undefined) w.uint32(tagOf(DIM.dimValue, WT_VARINT)).int64(d.value);
      else if (d.param !== undefined) w.uint32(tagOf(DIM.dimParam, WT_LEN)).string(d.param);
      w.ldelim();
    }
    w.ldelim();
  }
}

/** Writes the body of a TypeProto, fields in field-number order (as protobuf's serializer does). */
export function writeTypeProto(w: protobuf.Writer, t: TypeProto): void {
  if (t.tensor) {
    w.uint32(tagOf(TP.tensorType, WT_LEN)).fork();
    writeTensorType(w, t.tensor);
    w.ldelim();
  } else if (t.sequence || t.optional) {
    const inner = (t.sequence ?? t.optional)!;
    w.uint32(tagOf(t.sequence ? TP.sequenceType : TP.optionalType, WT_LEN)).fork();
    if (inner.elem) {
      w.uint32(tagOf(SEQ.elemType, WT_LEN)).fork();
      writeTypeProto(w, inner.elem);
      w.ldelim();
    }
    w.ldelim();
  } else if (t.map) {
    w.uint32(tagOf(TP.mapType, WT_LEN)).fork();
    if (t.map.key !== 0) w.uint32(tagOf(MAP.keyType, WT_VARINT)).int32(t.map.key);
    if (t.map.value) {
      w.uint32(tagOf(MAP.valueType, WT_LEN)).fork();
      writeTypeProto(w, t.map.value);
      w.ldelim();
    }
    w.ldelim();
  } else if (t.opaque) {
    w.uint32(tagOf(TP.opaqueType, WT_LEN)).bytes(t.opaque);
  } else if (t.sparse) {
    w.uint32(tagOf(TP.sparseTensorType, WT_LEN)).fork();
    writeTensorType(w, t.sparse);
    w.ldelim();
  }
}

/** A ValueInfoProto: name (1), type (2, when present), then any other fields of the original verbatim. */
export function encodeValueInfo(name: string, type: TypeProto | undefined, extra: Uint8Array[] = []): Uint8Array {
  const w = Writer.create();
  w.uint32(tagOf(VI.name, WT_LEN)).string(name);
  if (type) {
    w.uint32(tagOf(VI.type, WT_LEN)).fork();
    writeTypeProto(w, type);
    w.ldelim();
  }
  const head = w.finish();
  return extra.length ? concatBytes([head, ...extra]) : head;
}

// ---- compact text form (goldens, messages) ---------------------------------------------------------------------

/**
 * A short description: tensor types as `[elem, [dims]]` with a dim as its value, its name, or null when unknown
 * (shape absent: `[elem, null]`); other kinds as a tag. The parity goldens use the same form.
 */
export type CompactType = [number, (number | string | null)[] | null] | string | null;

export function compactType(t: TypeProto | undefined): CompactType {
  if (!t) return null;
  const tt = tensorLike(t);
  if (tt) {
    const dims = tt.shape ? tt.shape.map((d) => (d.value !== undefined ? d.value : d.param !== undefined ? d.param : null)) : null;
    return t.sparse ? `sparse:${JSON.stringify([tt.elem, dims])}` : [tt.elem, dims];
  }
  const c = valueCase(t);
  if (c === 'sequence') return `seq(${JSON.stringify(compactType(t.sequence!.elem))})`;
  if (c === 'optional') return `opt(${JSON.stringify(compactType(t.optional!.elem))})`;
  if (c === 'map') return `map(${t.map!.key},${JSON.stringify(compactType(t.map!.value))})`;
  if (c === 'opaque') return 'opaque';
  return 'none';
}
