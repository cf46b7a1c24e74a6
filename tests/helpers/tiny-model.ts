/**
 * The one builder of small ONNX models for tests, in memory with the project's own encoders (src/core/onnx/encode.ts;
 * no Python): tensors (raw_data, typed fields or external data), graphs (nodes, initializers, inputs, outputs,
 * value_info, nested as attributes) and models (ir_version, producer, graph, opset imports), plus small readers of a
 * parsed model (every node, its casts, its op types, topological order).
 */
import { encodeNode, encodeOpset, encodeTensor, encodeValueInfo, type NewNode } from '../../src/core/onnx/encode.js';
import { float16Bits } from '../../src/core/int8/numerics.js';
import { DT } from '../../src/core/onnx/dtypes.js';
import { GRAPH, MODEL, TENSOR, type GraphView, type ModelView, parseModel } from '../../src/core/onnx/model.js';
import { concatParts, flatten, lenField, type Part } from '../../src/core/onnx/writer.js';
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

/** Short names of the TensorProto.DataType values the tests use. */
export const { FLOAT: F32, UINT8: U8, INT32: I32, INT64: I64, BOOL, FLOAT16: F16 } = DT;

export interface TensorSpec {
  name: string;
  dims: number[];
  /** F32 by default; F16 stores the float16 bits of each value (rounded to nearest even), I64/I32/U8/BOOL integers. */
  dataType?: number;
  values: number[];
  /**
   * 'raw' (default), 'typed' (float_data / int32_data), or external data in `file` at `offset` (with its `length`
   * entry unless `noLength`; dims as one packed field with `packedDims`, as some writers do).
   */
  storage?: 'raw' | 'typed' | { file: string; offset: number; noLength?: boolean; packedDims?: boolean };
}

/** Little-endian element bytes of a tensor, as raw_data holds them. */
export function rawBytes(t: TensorSpec): Uint8Array {
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  switch (t.dataType ?? F32) {
    case F32:
      return bytes(Float32Array.from(t.values));
    case F16:
      return bytes(Uint16Array.from(t.values, float16Bits));
    case I64:
      return bytes(BigInt64Array.from(t.values, (v) => BigInt(v)));
    case I32:
      return bytes(Int32Array.from(t.values));
    case U8:
    case BOOL:
      return Uint8Array.from(t.values);
    default:
      throw new Error(`rawBytes: data type ${t.dataType} is not built by the test helper`);
  }
}

/** TensorProto: dims, data_type, name, then the data in the chosen storage. */
export function tensorParts(t: TensorSpec): Part[] {
  const dataType = t.dataType ?? F32;
  const storage = t.storage ?? 'raw';
  if (storage === 'raw') return encodeTensor({ name: t.name, dataType, dims: t.dims, raw: rawBytes(t) });
  if (storage !== 'typed') {
    const parts = encodeTensor({
      name: t.name,
      dataType,
      dims: storage.packedDims ? [] : t.dims,
      external: { location: storage.file, offset: storage.offset, ...(storage.noLength ? {} : { length: rawBytes(t).length }) },
    });
    if (!storage.packedDims) return parts;
    const w = Writer.create()
      .uint32((TENSOR.dims << 3) | 2)
      .fork();
    for (const d of t.dims) w.int64(d);
    return [w.ldelim().finish(), ...parts];
  }
  const w = Writer.create();
  if (dataType === F32) {
    w.uint32((TENSOR.floatData << 3) | 2).fork();
    for (const v of t.values) w.float(v);
  } else {
    w.uint32((TENSOR.int32Data << 3) | 2).fork();
    for (const v of t.values) w.int32(dataType === F16 ? float16Bits(v) : v);
  }
  return [...encodeTensor({ name: t.name, dataType, dims: t.dims }), w.ldelim().finish()];
}

/** A graph input, output or value_info entry: name, element type, shape (null: unknown rank). */
export type Io = [name: string, elemType: number, shape: (number | string)[] | null];

export interface GraphSpec {
  /** 'g' by default. */
  name?: string;
  nodes: NewNode[];
  inits?: TensorSpec[];
  inputs: Io[];
  outputs: Io[];
  valueInfo?: Io[];
}

export interface ModelSpec extends GraphSpec {
  /** The default domain's opset: 13 by default. */
  opset?: number;
  extraOpsets?: [string, number][];
  /** 8 by default. */
  irVersion?: number;
  /** producer_name, written after ir_version when given. */
  producer?: string;
}

/** GraphProto fields: nodes, name, initializers, inputs, outputs, value_info. */
export function graphParts(g: GraphSpec, name = g.name ?? 'g'): Part[] {
  return [
    ...g.nodes.map((n) => lenField(GRAPH.node, encodeNode(n))),
    Writer.create()
      .uint32((GRAPH.name << 3) | 2)
      .string(name)
      .finish(),
    ...(g.inits ?? []).map((t) => lenField(GRAPH.initializer, tensorParts(t))),
    ...g.inputs.map(([n, t, s]) => lenField(GRAPH.input, encodeValueInfo(n, t, s))),
    ...g.outputs.map(([n, t, s]) => lenField(GRAPH.output, encodeValueInfo(n, t, s))),
    ...(g.valueInfo ?? []).map(([n, t, s]) => lenField(GRAPH.valueInfo, encodeValueInfo(n, t, s))),
  ];
}

/** The model's bytes: ir_version, producer_name (if any), graph, the default opset, the extra opsets. */
export function buildModel(s: ModelSpec): Uint8Array {
  const head = Writer.create()
    .uint32(MODEL.irVersion << 3)
    .int64(s.irVersion ?? 8);
  if (s.producer !== undefined) head.uint32((MODEL.producerName << 3) | 2).string(s.producer);
  const parts: Part[] = [head.finish(), lenField(MODEL.graph, graphParts(s))];
  parts.push(lenField(MODEL.opsetImport, encodeOpset('', s.opset ?? 13)));
  for (const [d, v] of s.extraOpsets ?? []) parts.push(lenField(MODEL.opsetImport, encodeOpset(d, v)));
  return concatParts(flatten(parts));
}

/** The graph-rule tests' model: producer 'tiny', opset 17 unless given. */
export function tinyModel(g: GraphSpec, opset = 17, extraOpsets: [string, number][] = []): Uint8Array {
  return buildModel({ ...g, opset, extraOpsets, producer: 'tiny' });
}

/** Deterministic pseudo-random float32 values in [-1, 1) (a linear congruential generator). */
export function values(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(Math.fround((s / 2 ** 32) * 2 - 1));
  }
  return out;
}

/** All nodes of a graph and its subgraphs. */
export function allNodes(g: GraphView): GraphView['nodes'] {
  const out: GraphView['nodes'] = [];
  const visit = (x: GraphView) => {
    for (const n of x.nodes) {
      out.push(n);
      for (const a of n.attributes) {
        if (a.g) visit(a.g);
        for (const sg of a.graphs ?? []) visit(sg);
      }
    }
  };
  visit(g);
  return out;
}

export function castsOf(m: ModelView): { from: string; to: number }[] {
  return allNodes(m.graph)
    .filter((n) => n.opType === 'Cast')
    .map((n) => ({ from: n.inputs[0]!, to: n.attributes.find((a) => a.name === 'to')?.i ?? 0 }));
}

export function opsOf(m: ModelView): string[] {
  return allNodes(m.graph).map((n) => n.opType);
}

/** True when every node reads only names defined before it (graph inputs, initializers, earlier nodes, outer scope). */
export function isTopological(g: GraphView, outer: Set<string> = new Set()): boolean {
  const seen = new Set<string>([...outer, ...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name), '']);
  for (const n of g.nodes) {
    for (const i of n.inputs) if (!seen.has(i)) return false;
    for (const a of n.attributes) for (const sg of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) if (!isTopological(sg, seen)) return false;
    for (const o of n.outputs) seen.add(o);
  }
  return true;
}

export { parseModel };
