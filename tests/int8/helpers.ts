/**
 * Shared helpers for the int8 tests: golden files, a describer that turns one of our output models into the
 * golden's shape (same fields make_golden.py writes), the deterministic golden inputs, onnxruntime-node sessions.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { type Piece, collectPieces } from '../../src/core/onnx/writer.js';
import { DT } from '../../src/core/onnx/dtypes.js';
import {
  type AttributeView,
  type GraphView,
  type ModelView,
  TENSOR,
  type TensorView,
  type ValueInfoView,
} from '../../src/core/onnx/model.js';
import { WT_I32, WT_I64, WT_LEN, readVarintSigned } from '../../src/core/onnx/wire.js';
import { float16BitsToNumber } from '../../src/core/int8/numerics.js';
import { type CompactType, compactType, valueSlot } from '../../src/core/onnx/infer/index.js';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const GOLDEN_DIR = path.join(REPO, 'tests', 'golden', 'int8');

export type GoldenNode = [string, string, string, string[], string[], Record<string, unknown>];
export interface GoldenTensor {
  dtype: number;
  dims: number[];
  sha256?: string;
  first8?: unknown[];
  error?: string;
}
export interface OutputSummary {
  shape: number[];
  first64: (number | string)[];
  sum: number | string;
  sum_abs: number | string;
}
export interface GoldenInput {
  name: string;
  dtype: string;
  shape: number[];
  recipe: string;
  sha256: string;
  values?: (number | boolean)[];
}
export interface Golden {
  file: string;
  reference: { preset: string; onnxruntime: string };
  fixture: { name: string; kind: string; path: string };
  input_sha256: string;
  error?: string;
  output?: {
    ir_version: number;
    opsets: Record<string, number>;
    producer_name: string;
    producer_version: string;
    metadata_props: [string, string][];
    graph_name: string;
    graph_inputs: string[];
    graph_outputs: string[];
    value_info_count: number;
    /** sha256 over the main graph's serialized ValueInfoProtos, in order. */
    value_info_sha256: string;
  };
  nodes?: GoldenNode[];
  initializers?: Record<string, GoldenTensor>;
  /** The reference output's value_info per graph ("" main, "<node>:<attr>" nested with "/"), compact types. */
  value_info?: Record<string, [string, CompactType][]>;
  graph_io?: Record<string, { inputs: [string, CompactType][]; outputs: [string, CompactType][] }>;
  outputs?: {
    error?: unknown;
    inputs: GoldenInput[][];
    fp32: (Record<string, OutputSummary> | { error: string })[];
    quantized: (Record<string, OutputSummary> | { error: string })[];
    max_abs_diff: (Record<string, number | null> | null)[];
    /** Reference-quantized outputs under default session options (graph optimizations on, 1 intra-op thread). */
    quantized_default?: (Record<string, OutputSummary> | { error: string })[];
    /** Op histogram of the graph that default session runs. */
    optimized_ops?: [string, number][];
  };
}

/** The goldens in `dir` (tests/golden/int8 by default), by file name, except the non-golden files named in `except`. */
export function loadGoldens<G extends { file: string } = Golden>(dir = GOLDEN_DIR, except: readonly string[] = []): G[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !except.includes(f))
      .sort();
  } catch {
    return [];
  }
  return files.map((f) => ({ file: f, ...(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Omit<G, 'file'>) }) as G);
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function joinParts(parts: readonly Piece[]): Promise<Uint8Array> {
  return collectPieces(parts);
}

// ---- tensors as numpy would see them ------------------------------------------------------------------------

const WIDTH: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** The bytes numpy_helper.to_array(t).tobytes() gives (raw_data, or typed fields normalised to the dtype). */
export function tensorNumpyBytes(t: TensorView): Uint8Array {
  if (t.rawData) return t.rawData;
  const w = WIDTH[t.dataType];
  if (!w) throw new Error(`tensor '${t.name}': dtype ${t.dataType} not handled by the test describer`);
  const n = t.dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(n * w);
  const dv = new DataView(out.buffer);
  let k = 0;
  const put = (v: number | bigint) => {
    if (k >= n) return;
    const o = k * w;
    switch (t.dataType) {
      case DT.FLOAT:
        dv.setFloat32(o, Number(v), true);
        break;
      case DT.DOUBLE:
        dv.setFloat64(o, Number(v), true);
        break;
      case DT.INT64:
      case DT.UINT64:
        dv.setBigInt64(o, BigInt(v), true);
        break;
      default:
        for (let i = 0; i < w; i++) out[o + i] = Number((BigInt(v) >> BigInt(8 * i)) & 0xffn);
    }
    k++;
  };
  for (const f of t.typedFields) {
    if (f.no === TENSOR.floatData || f.no === TENSOR.doubleData) {
      const isF = f.no === TENSOR.floatData;
      if (f.wt === WT_LEN) {
        const dvf = new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, f.end - f.vstart);
        const step = isF ? 4 : 8;
        for (let i = 0; i + step <= dvf.byteLength; i += step) put(isF ? dvf.getFloat32(i, true) : dvf.getFloat64(i, true));
      } else if (f.wt === WT_I32) put(new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, 4).getFloat32(0, true));
      else if (f.wt === WT_I64) put(new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, 8).getFloat64(0, true));
    } else if (f.no === TENSOR.int32Data || f.no === TENSOR.int64Data || f.no === TENSOR.uint64Data) {
      const push = (p: number, end: number) => {
        const [v, next] = readVarintSigned(t.buf, p, end);
        put(BigInt(v));
        return next;
      };
      if (f.wt === WT_LEN) for (let p = f.vstart; p < f.end;) p = push(p, f.end);
      else push(f.vstart, f.end);
    }
  }
  return out;
}

/** The first values numpy shows for the dtypes the goldens list them for: [bytes per element, reader at a byte offset]. */
const VALUE_READERS: Record<number, [number, (dv: DataView, at: number) => unknown]> = {
  [DT.FLOAT]: [4, (dv, at) => dv.getFloat32(at, true)],
  [DT.FLOAT16]: [2, (dv, at) => float16BitsToNumber(dv.getUint16(at, true))],
  [DT.INT8]: [1, (dv, at) => dv.getInt8(at)],
  [DT.UINT8]: [1, (dv, at) => dv.getUint8(at)],
  [DT.INT32]: [4, (dv, at) => dv.getInt32(at, true)],
  [DT.INT64]: [8, (dv, at) => Number(dv.getBigInt64(at, true))],
  [DT.BOOL]: [1, (dv, at) => dv.getUint8(at) !== 0],
};

function tensorValues(t: TensorView, bytes: Uint8Array, count: number): unknown[] {
  const reader = VALUE_READERS[t.dataType];
  if (!reader) return [];
  const [width, read] = reader;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return Array.from({ length: count }, (_, i) => read(dv, i * width));
}

export function describeTensor(t: TensorView): GoldenTensor {
  const b = tensorNumpyBytes(t);
  const n = t.dims.reduce((a, c) => a * c, 1);
  return { dtype: t.dataType, dims: t.dims, sha256: sha256(b), first8: tensorValues(t, b, Math.min(8, n)) };
}

function attrValue(a: AttributeView, key: string, inits: Record<string, GoldenTensor>): unknown {
  switch (a.type) {
    case 1:
      return a.f;
    case 2:
      return a.i;
    case 3:
      return new TextDecoder().decode(a.s);
    case 6:
      return a.floats ?? [];
    case 7:
      return a.ints ?? [];
    case 4:
      return describeTensor(a.t!);
    case 5:
      return describeGraphNodes(a.g!, key, inits);
    case 10:
      return (a.graphs ?? []).map((g, i) => describeGraphNodes(g, `${key}:${i}`, inits));
    default:
      return { unsupported_attribute_type: a.type };
  }
}

/** Node list in the golden's format; subgraph initializers go into `inits` with the golden's key prefixes. */
export function describeGraphNodes(g: GraphView, prefix: string, inits: Record<string, GoldenTensor>): GoldenNode[] {
  for (const t of g.initializers) inits[(prefix ? `${prefix}/` : '') + t.name] = describeTensor(t);
  return g.nodes.map((n, idx) => {
    const attrs: Record<string, unknown> = {};
    for (const a of n.attributes) {
      const key = `${prefix ? `${prefix}/` : ''}${n.name || `${n.opType}#${idx}`}:${a.name}`;
      attrs[a.name] = attrValue(a, key, inits);
    }
    return [n.opType, n.domain, n.name, n.inputs, n.outputs, attrs];
  });
}

/** value_info and graph input / output types of every graph, keyed as the golden (make_golden.py describe_graph). */
export function describeDeclarations(m: ModelView): Pick<Required<Golden>, 'value_info' | 'graph_io'> {
  const value_info: Required<Golden>['value_info'] = {};
  const graph_io: Required<Golden>['graph_io'] = {};
  const slot = (v: ValueInfoView): [string, CompactType] => [v.name, compactType(valueSlot(v).type)];
  const walk = (g: GraphView, prefix: string) => {
    value_info[prefix] = g.valueInfo.map(slot);
    graph_io[prefix] = { inputs: g.inputs.map(slot), outputs: g.outputs.map(slot) };
    g.nodes.forEach((n, idx) => {
      for (const a of n.attributes) {
        const key = `${prefix ? `${prefix}/` : ''}${n.name || `${n.opType}#${idx}`}:${a.name}`;
        if (a.g) walk(a.g, key);
        a.graphs?.forEach((sg, i) => walk(sg, `${key}:${i}`));
      }
    });
  };
  walk(m.graph, '');
  return { value_info, graph_io };
}

/** Op types (domain-prefixed outside ai.onnx) and counts of a graph, sorted as the golden's optimized_ops. */
export function opHistogram(m: ModelView): [string, number][] {
  const c = new Map<string, number>();
  for (const n of m.graph.nodes) {
    const k = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    c.set(k, (c.get(k) ?? 0) + 1);
  }
  return [...c.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function describeModel(m: ModelView): {
  nodes: GoldenNode[];
  initializers: Record<string, GoldenTensor>;
  opsets: [string, number][];
} {
  const initializers: Record<string, GoldenTensor> = {};
  const nodes = describeGraphNodes(m.graph, '', initializers);
  return { nodes, initializers, opsets: m.opsets.map((o) => [o.domain, o.version]) };
}

// ---- deterministic inputs (make_golden.py hash_u32 / make_inputs) ---------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(s: string): number {
  let c = 0xffffffff;
  for (const b of new TextEncoder().encode(s)) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function hashU32(n: number, k: number, name: string): Uint32Array {
  const seed = (crc32(name) + (k + 1) * 0x9e3779b9) % 2 ** 32;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = (seed + i) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
    out[i] = h >>> 0;
  }
  return out;
}

const ORT_TYPE: Record<string, ort.Tensor.Type> = {
  float32: 'float32',
  int64: 'int64',
  int32: 'int32',
  float16: 'float16',
  uint8: 'uint8',
  int8: 'int8',
  bool: 'bool',
  float64: 'float64',
};

/** Rebuilds input set k of a golden (checked against its sha256 when it has one). */
export function goldenFeeds(inputs: GoldenInput[], k: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const d of inputs) {
    const n = d.shape.reduce((a, b) => a * b, 1);
    let data: Float32Array | BigInt64Array | Int32Array;
    if (d.dtype === 'float32') {
      const a = new Float32Array(n);
      const m = /^hash float amp=([\d.]+)$/.exec(d.recipe);
      if (d.values) d.values.forEach((v, i) => (a[i] = Number(v)));
      else if (m) {
        const amp = Number(m[1]);
        const u = hashU32(n, k, d.name);
        for (let i = 0; i < n; i++) a[i] = amp * ((u[i]! / 2 ** 32) * 2 - 1);
      } else if (d.recipe !== 'zeros') throw new Error(`unknown float recipe ${d.recipe}`);
      data = a;
    } else if (d.dtype === 'int64') {
      const a = new BigInt64Array(n);
      const m = /^hash int mod (\d+)$/.exec(d.recipe);
      if (d.values) d.values.forEach((v, i) => (a[i] = BigInt(Number(v))));
      else if (m) {
        const u = hashU32(n, k, d.name);
        for (let i = 0; i < n; i++) a[i] = BigInt(u[i]! % Number(m[1]));
      } else throw new Error(`unknown int recipe ${d.recipe} for ${d.name}`);
      data = a;
    } else throw new Error(`input dtype ${d.dtype} not handled`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (d.sha256 && sha256(bytes) !== d.sha256) throw new Error(`input '${d.name}' (set ${k}) does not match the golden's sha256`);
    feeds[d.name] = new ort.Tensor(ORT_TYPE[d.dtype]!, data, d.shape);
  }
  return feeds;
}

export async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  });
}

/**
 * A session with onnxruntime's default options (graph optimizations 'all', as users run a model), one intra-op
 * thread as make_golden.py uses; `optimizedModelFilePath` receives the graph it runs.
 */
export async function defaultSession(bytes: Uint8Array, optimizedModelFilePath?: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
    ...(optimizedModelFilePath ? { optimizedModelFilePath } : {}),
  });
}

export function num(v: number | string): number {
  if (typeof v === 'number') return v;
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v);
}

export function sumOf(t: ort.Tensor): { sum: number; sumAbs: number; first64: number[] } {
  const d = t.data as ArrayLike<number | bigint>;
  let sum = 0;
  let sumAbs = 0;
  const first64: number[] = [];
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    sum += v;
    sumAbs += Math.abs(v);
    if (i < 64) first64.push(v);
  }
  return { sum, sumAbs, first64 };
}
