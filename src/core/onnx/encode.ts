/**
 * Encoders for the new messages a rewriter emits (nodes, attributes, tensors, value infos). Small messages go
 * through protobufjs' Writer; tensor payloads stay as separate Parts so large data is never copied.
 */
import protobuf from 'protobufjs/minimal.js';
import { ATTR, GRAPH, NODE, TENSOR } from './model.js';
import { ENUM, FIELD } from './schema.generated.js';
import { WT_I32, WT_LEN, WT_VARINT, tagOf } from './wire.js';
import { type LazyPart, type Part, lenField, rawDataField } from './writer.js';

const { Writer } = protobuf;

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'tensor'; value: Part[] }
  | { kind: 'graph'; value: Part[] };

const AT = ENUM.AttributeProto_AttributeType;
/** AttributeProto.AttributeType of each kind. */
const ATTR_TYPE = {
  float: AT.FLOAT,
  int: AT.INT,
  string: AT.STRING,
  tensor: AT.TENSOR,
  graph: AT.GRAPH,
  floats: AT.FLOATS,
  ints: AT.INTS,
} as const;
const {
  StringStringEntryProto: ENTRY,
  ValueInfoProto: VI,
  TypeProto: TP,
  TypeProto_Tensor: TT,
  TensorShapeProto: SHAPE,
  TensorShapeProto_Dimension: DIM,
  OperatorSetIdProto: OPSET,
} = FIELD;

export interface NewNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttrValue>;
}

function bytes(w: protobuf.Writer): Uint8Array {
  return w.finish();
}

/** NodeProto body, fields in the order onnx's serializer writes them (input, output, name, op_type, attribute, domain). */
export function encodeNode(n: NewNode): Part[] {
  const w = Writer.create();
  for (const i of n.inputs) w.uint32(tagOf(NODE.input, WT_LEN)).string(i);
  for (const o of n.outputs) w.uint32(tagOf(NODE.output, WT_LEN)).string(o);
  if (n.name) w.uint32(tagOf(NODE.name, WT_LEN)).string(n.name);
  w.uint32(tagOf(NODE.opType, WT_LEN)).string(n.opType);
  const parts: Part[] = [bytes(w)];
  for (const [name, v] of Object.entries(n.attributes ?? {})) parts.push(lenField(NODE.attribute, encodeAttribute(name, v)));
  if (n.domain) parts.push(bytes(Writer.create().uint32(tagOf(NODE.domain, WT_LEN)).string(n.domain)));
  return parts;
}

export function encodeAttribute(name: string, v: AttrValue): Part[] {
  const w = Writer.create().uint32(tagOf(ATTR.name, WT_LEN)).string(name);
  const tail = () => bytes(Writer.create().uint32(tagOf(ATTR.type, WT_VARINT)).int32(ATTR_TYPE[v.kind]));
  switch (v.kind) {
    case 'int':
      w.uint32(tagOf(ATTR.i, WT_VARINT)).int64(v.value);
      break;
    case 'float':
      w.uint32(tagOf(ATTR.f, WT_I32)).float(v.value);
      break;
    case 'string':
      w.uint32(tagOf(ATTR.s, WT_LEN)).string(v.value);
      break;
    case 'floats':
      for (const x of v.value) w.uint32(tagOf(ATTR.floats, WT_I32)).float(x);
      break;
    case 'ints':
      for (const x of v.value) w.uint32(tagOf(ATTR.ints, WT_VARINT)).int64(x);
      break;
    case 'tensor':
      return [bytes(w), lenField(ATTR.t, v.value), tail()];
    case 'graph':
      return [bytes(w), lenField(ATTR.g, v.value), tail()];
  }
  w.uint32(tagOf(ATTR.type, WT_VARINT)).int32(ATTR_TYPE[v.kind]);
  return [bytes(w)];
}

export interface NewTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** Little-endian element bytes (raw_data), in memory or produced when written. */
  raw?: Uint8Array | LazyPart;
  /** External storage instead of raw data. */
  external?: { location: string; offset?: number; length?: number };
}

/** TensorProto body: dims, data_type, name, raw_data (the order onnx.helper / numpy_helper produce). */
export function encodeTensor(t: NewTensor): Part[] {
  const w = Writer.create();
  for (const d of t.dims) w.uint32(tagOf(TENSOR.dims, WT_VARINT)).int64(d);
  w.uint32(tagOf(TENSOR.dataType, WT_VARINT)).int32(t.dataType);
  w.uint32(tagOf(TENSOR.name, WT_LEN)).string(t.name);
  const parts: Part[] = [bytes(w)];
  if (t.raw) parts.push(rawDataField(t.raw));
  if (t.external) {
    const e = t.external;
    const entries: [string, string][] = [['location', e.location]];
    if (e.offset !== undefined) entries.push(['offset', String(e.offset)]);
    if (e.length !== undefined) entries.push(['length', String(e.length)]);
    for (const [k, v] of entries) parts.push(lenField(TENSOR.externalData, encodeStringEntry(k, v)));
    parts.push(bytes(Writer.create().uint32(tagOf(TENSOR.dataLocation, WT_VARINT)).int32(ENUM.TensorProto_DataLocation.EXTERNAL)));
  }
  return parts;
}

export function encodeStringEntry(key: string, value: string): Part[] {
  return [bytes(Writer.create().uint32(tagOf(ENTRY.key, WT_LEN)).string(key).uint32(tagOf(ENTRY.value, WT_LEN)).string(value))];
}

/** ValueInfoProto for a tensor: name, type { tensor_type { elem_type, shape } }. shape null = unknown rank. */
export function encodeValueInfo(name: string, elemType: number, shape: (number | string | null)[] | null): Part[] {
  const tt: Part[] = [bytes(Writer.create().uint32(tagOf(TT.elemType, WT_VARINT)).int32(elemType))];
  if (shape) {
    const dims: Part[] = shape.map((d) => {
      const w = Writer.create();
      if (typeof d === 'number') w.uint32(tagOf(DIM.dimValue, WT_VARINT)).int64(d);
      else if (typeof d === 'string') w.uint32(tagOf(DIM.dimParam, WT_LEN)).string(d);
      return lenField(SHAPE.dim, [bytes(w)]);
    });
    tt.push(lenField(TT.shape, dims));
  }
  return [bytes(Writer.create().uint32(tagOf(VI.name, WT_LEN)).string(name)), lenField(VI.type, [lenField(TP.tensorType, tt)])];
}

/** OperatorSetIdProto. */
export function encodeOpset(domain: string, version: number): Part[] {
  const w = Writer.create();
  if (domain) w.uint32(tagOf(OPSET.domain, WT_LEN)).string(domain);
  w.uint32(tagOf(OPSET.version, WT_VARINT)).int64(version);
  return [bytes(w)];
}

export { GRAPH };
