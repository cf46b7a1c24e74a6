/** Builds tiny ONNX models with the project's own encoders (src/core/onnx/encode.ts), for graph-rule tests. */
import { encodeNode, encodeOpset, encodeTensor, encodeValueInfo, type NewNode } from '../../src/core/onnx/encode.js';
import { numberToF16Bits } from '../../src/core/onnx/float16.js';
import { GRAPH, MODEL, type GraphView, type ModelView, parseModel } from '../../src/core/onnx/model.js';
import { concatParts, flatten, lenField, type Part, varintBytes } from '../../src/core/onnx/writer.js';

export const F32 = 1;
export const F16 = 10;
export const I64 = 7;
export const BOOL = 9;
export const U8 = 2;

export interface TinyTensor {
  name: string;
  dataType?: number; // default float32 (F32, F16, I64, BOOL, U8)
  dims: number[];
  values: number[];
}

export type Io = [name: string, elemType: number, shape: (number | string)[] | null];

export interface TinyGraph {
  name?: string;
  nodes: NewNode[];
  inits?: TinyTensor[];
  inputs: Io[];
  outputs: Io[];
  valueInfo?: Io[];
}

export function rawOf(t: TinyTensor): Uint8Array {
  const dt = t.dataType ?? F32;
  if (dt === F32) return new Uint8Array(Float32Array.from(t.values).buffer);
  if (dt === I64) return new Uint8Array(BigInt64Array.from(t.values.map((v) => BigInt(v))).buffer);
  if (dt === BOOL || dt === U8) return Uint8Array.from(t.values);
  if (dt === F16) return new Uint8Array(Uint16Array.from(t.values.map(numberToF16Bits)).buffer);
  throw new Error(`rawOf: type ${dt}`);
}

export function tensorParts(t: TinyTensor): Part[] {
  return encodeTensor({ name: t.name, dataType: t.dataType ?? F32, dims: t.dims, raw: rawOf(t) });
}

function str(no: number, s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  return concatParts([varintBytes(no * 8 + 2), varintBytes(b.length), b]);
}

export function graphParts(g: TinyGraph): Part[] {
  return [
    ...g.nodes.map((n) => lenField(GRAPH.node, encodeNode(n))),
    str(GRAPH.name, g.name ?? 'g'),
    ...(g.inits ?? []).map((t) => lenField(GRAPH.initializer, tensorParts(t))),
    ...g.inputs.map(([n, t, s]) => lenField(GRAPH.input, encodeValueInfo(n, t, s))),
    ...g.outputs.map(([n, t, s]) => lenField(GRAPH.output, encodeValueInfo(n, t, s))),
    ...(g.valueInfo ?? []).map(([n, t, s]) => lenField(GRAPH.valueInfo, encodeValueInfo(n, t, s))),
  ];
}

export function tinyModel(g: TinyGraph, opset = 17, extraOpsets: [string, number][] = []): Uint8Array {
  const parts: Part[] = [
    concatParts([varintBytes(MODEL.irVersion * 8), varintBytes(8)]),
    str(MODEL.producerName, 'tiny'),
    lenField(MODEL.graph, graphParts(g)),
    lenField(MODEL.opsetImport, encodeOpset('', opset)),
    ...extraOpsets.map(([d, v]) => lenField(MODEL.opsetImport, encodeOpset(d, v))),
  ];
  return concatParts(flatten(parts));
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
