/** Builds small ONNX models in memory for the int8 tests (our own encoders, no Python). */
import protobuf from 'protobufjs/minimal.js';
import { encodeNode, encodeOpset, encodeValueInfo, type NewNode } from '../../src/core/onnx/encode.js';
import { GRAPH, MODEL, TENSOR } from '../../src/core/onnx/model.js';
import { flatten, lenField, type Part } from '../../src/core/onnx/writer.js';
import { concatParts } from '../../src/core/onnx/writer.js';
import { float16Bits } from '../../src/core/int8/numerics.js';

const { Writer } = protobuf;

export interface TensorSpec {
  name: string;
  dims: number[];
  /** FLOAT (1) by default; FLOAT16 (10) stores float16 bits. */
  dataType?: number;
  values: number[];
  /** 'raw' (default), 'typed' (float_data / int32_data), or external data in `file` at `offset`. */
  storage?: 'raw' | 'typed' | { file: string; offset: number };
}

export function rawBytes(t: TensorSpec): Uint8Array {
  if (t.dataType === 10) {
    const b = new Uint8Array(t.values.length * 2);
    const dv = new DataView(b.buffer);
    t.values.forEach((v, i) => dv.setUint16(i * 2, float16Bits(v), true));
    return b;
  }
  if (t.dataType === 7) {
    const b = new Uint8Array(t.values.length * 8);
    const dv = new DataView(b.buffer);
    t.values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
    return b;
  }
  return new Uint8Array(Float32Array.from(t.values).buffer);
}

export function tensorParts(t: TensorSpec): Part[] {
  const w = Writer.create();
  for (const d of t.dims) w.uint32(TENSOR.dims << 3).int64(d);
  w.uint32(TENSOR.dataType << 3).int32(t.dataType ?? 1);
  w.uint32((TENSOR.name << 3) | 2).string(t.name);
  const storage = t.storage ?? 'raw';
  if (storage === 'raw') {
    const raw = rawBytes(t);
    w.uint32((TENSOR.rawData << 3) | 2).bytes(raw);
  } else if (storage === 'typed') {
    if ((t.dataType ?? 1) === 1) {
      w.uint32((TENSOR.floatData << 3) | 2).fork();
      for (const v of t.values) w.float(v);
      w.ldelim();
    } else {
      w.uint32((TENSOR.int32Data << 3) | 2).fork();
      for (const v of t.values) w.int32(t.dataType === 10 ? float16Bits(v) : v);
      w.ldelim();
    }
  } else {
    const len = rawBytes(t).length;
    for (const [k, v] of [['location', storage.file], ['offset', String(storage.offset)], ['length', String(len)]] as const)
      w.uint32((TENSOR.externalData << 3) | 2).fork().uint32(10).string(k).uint32(18).string(v).ldelim();
    w.uint32(TENSOR.dataLocation << 3).int32(1);
  }
  return [w.finish()];
}

export interface ModelSpec {
  opset?: number;
  extraOpsets?: [string, number][];
  irVersion?: number;
  nodes: NewNode[];
  inits?: TensorSpec[];
  inputs: [string, number, (number | string)[] | null][];
  outputs: [string, number, (number | string)[] | null][];
}

export function graphParts(s: Omit<ModelSpec, 'opset' | 'extraOpsets' | 'irVersion'>, name = 'g'): Part[] {
  const g: Part[] = [];
  for (const n of s.nodes) g.push(lenField(GRAPH.node, encodeNode(n)));
  g.push(Writer.create().uint32((GRAPH.name << 3) | 2).string(name).finish());
  for (const t of s.inits ?? []) g.push(lenField(GRAPH.initializer, tensorParts(t)));
  for (const [n, t, shape] of s.inputs) g.push(lenField(GRAPH.input, encodeValueInfo(n, t, shape)));
  for (const [n, t, shape] of s.outputs) g.push(lenField(GRAPH.output, encodeValueInfo(n, t, shape)));
  return g;
}

export function buildModel(s: ModelSpec): Uint8Array {
  const parts: Part[] = [Writer.create().uint32(MODEL.irVersion << 3).int64(s.irVersion ?? 8).finish()];
  parts.push(lenField(MODEL.graph, graphParts(s)));
  parts.push(lenField(MODEL.opsetImport, encodeOpset('', s.opset ?? 13)));
  for (const [d, v] of s.extraOpsets ?? []) parts.push(lenField(MODEL.opsetImport, encodeOpset(d, v)));
  return concatParts(flatten(parts));
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function values(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(Math.fround((s / 2 ** 32) * 2 - 1));
  }
  return out;
}
