/**
 * Encoders for the new messages a rewriter emits (nodes, attributes, tensors, value infos). Small messages go
 * through protobufjs' Writer; tensor payloads stay as separate Parts so large data is never copied.
 */
import protobuf from 'protobufjs/minimal.js';
import { ATTR, GRAPH, NODE, TENSOR } from './model.js';
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

// AttributeProto.AttributeType
const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7 } as const;

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
  for (const i of n.inputs) w.uint32((NODE.input << 3) | 2).string(i);
  for (const o of n.outputs) w.uint32((NODE.output << 3) | 2).string(o);
  if (n.name) w.uint32((NODE.name << 3) | 2).string(n.name);
  w.uint32((NODE.opType << 3) | 2).string(n.opType);
  const parts: Part[] = [bytes(w)];
  for (const [name, v] of Object.entries(n.attributes ?? {})) parts.push(lenField(NODE.attribute, encodeAttribute(name, v)));
  if (n.domain) parts.push(bytes(Writer.create().uint32((NODE.domain << 3) | 2).string(n.domain)));
  return parts;
}

export function encodeAttribute(name: string, v: AttrValue): Part[] {
  const w = Writer.create().uint32((ATTR.name << 3) | 2).string(name);
  const tail = () => bytes(Writer.create().uint32(ATTR.type << 3).int32(ATTR_TYPE[v.kind]));
  switch (v.kind) {
    case 'int':
      w.uint32(ATTR.i << 3).int64(v.value);
      break;
    case 'float':
      w.uint32((ATTR.f << 3) | 5).float(v.value);
      break;
    case 'string':
      w.uint32((ATTR.s << 3) | 2).string(v.value);
      break;
    case 'floats':
      for (const x of v.value) w.uint32((ATTR.floats << 3) | 5).float(x);
      break;
    case 'ints':
      for (const x of v.value) w.uint32(ATTR.ints << 3).int64(x);
      break;
    case 'tensor':
      return [bytes(w), lenField(ATTR.t, v.value), tail()];
    case 'graph':
      return [bytes(w), lenField(ATTR.g, v.value), tail()];
  }
  w.uint32(ATTR.type << 3).int32(ATTR_TYPE[v.kind]);
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
  for (const d of t.dims) w.uint32(TENSOR.dims << 3).int64(d);
  w.uint32(TENSOR.dataType << 3).int32(t.dataType);
  w.uint32((TENSOR.name << 3) | 2).string(t.name);
  const parts: Part[] = [bytes(w)];
  if (t.raw) parts.push(rawDataField(t.raw));
  if (t.external) {
    const e = t.external;
    const entries: [string, string][] = [['location', e.location]];
    if (e.offset !== undefined) entries.push(['offset', String(e.offset)]);
    if (e.length !== undefined) entries.push(['length', String(e.length)]);
    for (const [k, v] of entries) parts.push(lenField(TENSOR.externalData, encodeStringEntry(k, v)));
    parts.push(bytes(Writer.create().uint32(TENSOR.dataLocation << 3).int32(1)));
  }
  return parts;
}

export function encodeStringEntry(key: string, value: string): Part[] {
  return [bytes(Writer.create().uint32(10).string(key).uint32(18).string(value))];
}

/** ValueInfoProto for a tensor: name, type { tensor_type { elem_type, shape } }. shape null = unknown rank. */
export function encodeValueInfo(name: string, elemType: number, shape: (number | string | null)[] | null): Part[] {
  const tt: Part[] = [bytes(Writer.create().uint32(8).int32(elemType))];
  if (shape) {
    const dims: Part[] = shape.map((d) => {
      const w = Writer.create();
      if (typeof d === 'number') w.uint32(8).int64(d);
      else if (typeof d === 'string') w.uint32(18).string(d);
      return lenField(1, [bytes(w)]);
    });
    tt.push(lenField(2, dims));
  }
  return [bytes(Writer.create().uint32(10).string(name)), lenField(2, [lenField(1, tt)])];
}

/** OperatorSetIdProto. */
export function encodeOpset(domain: string, version: number): Part[] {
  const w = Writer.create();
  if (domain) w.uint32(10).string(domain);
  w.uint32(16).int64(version);
  return [bytes(w)];
}

export { GRAPH };
