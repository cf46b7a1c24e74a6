/**
 * Helpers for the Q4 tests: the goldens of scripts/parity/make_golden_q4.py and a describer that turns one of our
 * output models into the golden's shape (int4 / uint4 tensors unpacked one element per byte, as
 * numpy_helper.to_array(t).tobytes() gives them with ml_dtypes).
 */
import path from 'node:path';
import { DT } from '../../src/core/onnx/dtypes.js';
import type { ModelView, TensorView, GraphView } from '../../src/core/onnx/model.js';
import {
  type Golden,
  type GoldenNode,
  type GoldenTensor,
  type OutputSummary,
  REPO,
  describeModel,
  loadGoldens,
  sha256,
} from '../int8/helpers.js';

export const Q4_GOLDEN_DIR = path.join(REPO, 'tests', 'golden', 'q4');

type Outputs = NonNullable<Golden['outputs']>;
export interface Q4Golden extends Omit<Golden, 'nodes' | 'initializers' | 'reference'> {
  reference: {
    preset: string;
    onnxruntime: string;
    args: { block_size: number; is_symmetric: boolean; op_types_to_quantize: string[] | null; bits: number };
  };
  nodes?: GoldenNode[] | { same_as_preset: string };
  initializers?: Record<string, GoldenTensor> | { same_as_preset: string };
  outputs_default?: Outputs;
  outputs_opset_kept?: Outputs;
  outputs_default_opset_kept?: Outputs;
}

export function loadQ4Goldens(): Q4Golden[] {
  return loadGoldens<Q4Golden>(Q4_GOLDEN_DIR, ['kernel-cases.json']);
}

/** The golden's node list, following a same_as_preset reference to another golden of the fixture. */
export function goldenNodes(g: Q4Golden, all: Q4Golden[]): GoldenNode[] {
  const n = g.nodes!;
  if (Array.isArray(n)) return n;
  return goldenNodes(
    all.find((x) => x.fixture.name === g.fixture.name && x.reference.preset === n.same_as_preset)!,
    all,
  );
}
export function goldenInits(g: Q4Golden, all: Q4Golden[]): Record<string, GoldenTensor> {
  const i = g.initializers!;
  if ('same_as_preset' in i && typeof i.same_as_preset === 'string')
    return goldenInits(
      all.find((x) => x.fixture.name === g.fixture.name && x.reference.preset === i.same_as_preset)!,
      all,
    );
  return i as Record<string, GoldenTensor>;
}

function unpack4(b: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (b[i >>> 1]! >> ((i & 1) * 4)) & 0xf;
  return out;
}

function int4Fix(g: GraphView, prefix: string, inits: Record<string, GoldenTensor>): void {
  for (const t of g.initializers)
    if (t.dataType === DT.INT4 || t.dataType === DT.UINT4) inits[(prefix ? `${prefix}/` : '') + t.name] = describeInt4(t);
  g.nodes.forEach((n, idx) => {
    for (const a of n.attributes) {
      const key = `${prefix ? `${prefix}/` : ''}${n.name || `${n.opType}#${idx}`}:${a.name}`;
      if (a.g) int4Fix(a.g, key, inits);
      a.graphs?.forEach((sg, i) => int4Fix(sg, `${key}:${i}`, inits));
    }
  });
}

function describeInt4(t: TensorView): GoldenTensor {
  const count = t.dims.reduce((a, b) => a * b, 1);
  const v = unpack4(t.rawData!, count);
  const first8 = [...v.slice(0, 8)].map((x) => String(t.dataType === DT.INT4 && x >= 8 ? x - 16 : x));
  return { dtype: t.dataType, dims: t.dims, sha256: sha256(v), first8 };
}

/** describeModel (int8 helpers) with int4 / uint4 initializers described as numpy sees them. */
export function describeQ4Model(m: ModelView) {
  const d = describeModel(m);
  int4Fix(m.graph, '', d.initializers);
  return d;
}

export type { OutputSummary };

// ---- synthetic models (make_golden_q4.py SYNTHETIC): built here from the golden's spec ----------------------------

import ort from 'onnxruntime-node';
import protobuf from 'protobufjs/minimal.js';
import { graphParts, type TensorSpec } from '../helpers/tiny-model.js';
import { encodeOpset } from '../../src/core/onnx/encode.js';
import { MODEL } from '../../src/core/onnx/model.js';
import { concatParts, flatten, lenField, type Part } from '../../src/core/onnx/writer.js';
import type { NewNode } from '../../src/core/onnx/encode.js';
import { type GoldenInput, goldenFeeds, hashU32 } from '../int8/helpers.js';
import { float16Bits } from '../../src/core/int8/numerics.js';

type VI = [string, number, number[]];
export interface SpecGraph {
  inputs: VI[];
  outputs: VI[];
  inits: { name: string; dims: number[]; dtype: number; amp: number }[];
  nodes: {
    op: string;
    inputs: string[];
    outputs: string[];
    name: string;
    attrs?: Record<string, number>;
    graphs?: Record<string, SpecGraph>;
  }[];
}
const { Writer } = protobuf;

export interface Spec extends SpecGraph {
  opset: number;
  ir: number;
}

/** make_golden_q4.spec_values: float(amp * (u / 2^32 * 2 - 1)), u = hash_u32(n, 0, name). */
export function specValues(i: { name: string; dims: number[]; amp: number }): number[] {
  const n = i.dims.reduce((a, b) => a * b, 1);
  const u = hashU32(n, 0, i.name);
  return Array.from(u, (x) => i.amp * ((x / 2 ** 32) * 2 - 1));
}

function specGraphParts(g: SpecGraph, name: string) {
  const nodes: NewNode[] = g.nodes.map((n) => {
    const attributes: NewNode['attributes'] = {};
    for (const [k, v] of Object.entries(n.attrs ?? {})) attributes[k] = { kind: 'int', value: v };
    for (const [k, sg] of Object.entries(n.graphs ?? {})) attributes[k] = { kind: 'graph', value: specGraphParts(sg, k) };
    return { opType: n.op, inputs: n.inputs, outputs: n.outputs, name: n.name, attributes };
  });
  const inits: TensorSpec[] = g.inits.map((i) => ({ name: i.name, dims: i.dims, dataType: i.dtype, values: specValues(i) }));
  return graphParts({ nodes, inits, inputs: g.inputs, outputs: g.outputs }, name);
}

/** The synthetic model as bytes (ir_version, graph, opset_import, producer), the same content make_golden_q4.py saves. */
export function buildSpec(s: Spec): Uint8Array {
  const parts: Part[] = [
    Writer.create()
      .uint32(MODEL.irVersion << 3)
      .int64(s.ir)
      .uint32((MODEL.producerName << 3) | 2)
      .string('ava-q4-synthetic')
      .finish(),
  ];
  parts.push(lenField(MODEL.graph, specGraphParts(s, 'g')));
  parts.push(lenField(MODEL.opsetImport, encodeOpset('', s.opset)));
  return concatParts(flatten(parts));
}

/** goldenFeeds plus boolean inputs (stored in full in the golden) and float16 inputs (make_golden's float recipe). */
export function feedsFor(inputs: GoldenInput[], k: number): Record<string, ort.Tensor> {
  const plain = inputs.filter((d) => d.dtype !== 'bool' && d.dtype !== 'float16');
  const feeds = goldenFeeds(plain, k);
  for (const d of inputs) {
    if (d.dtype === 'bool') feeds[d.name] = new ort.Tensor('bool', Uint8Array.from(d.values!.map((v) => (v ? 1 : 0))), d.shape);
    if (d.dtype === 'float16') {
      const m = /^hash float amp=([\d.]+)$/.exec(d.recipe);
      if (!m) throw new Error(`unknown float16 recipe ${d.recipe}`);
      const n = d.shape.reduce((a, b) => a * b, 1);
      const u = hashU32(n, k, d.name);
      const bits = Uint16Array.from(u, (x) => float16Bits(Number(m[1]) * ((x / 2 ** 32) * 2 - 1)));
      if (sha256(new Uint8Array(bits.buffer)) !== d.sha256)
        throw new Error(`input '${d.name}' (set ${k}) does not match the golden's sha256`);
      feeds[d.name] = new ort.Tensor('float16', bits, d.shape);
    }
  }
  return feeds;
}

/** Nodes of an op type in a golden node list, subgraphs included. */
export function countOps(nodes: GoldenNode[], op: string): number {
  let c = 0;
  for (const n of nodes) {
    if (n[0] === op) c++;
    for (const v of Object.values(n[5])) {
      if (!Array.isArray(v)) continue;
      if (v.length && Array.isArray(v[0]) && typeof v[0][0] === 'string') c += countOps(v as GoldenNode[], op);
      else for (const g of v) if (Array.isArray(g) && g.length && Array.isArray(g[0])) c += countOps(g as GoldenNode[], op);
    }
  }
  return c;
}
