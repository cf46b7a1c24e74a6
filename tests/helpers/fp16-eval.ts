/**
 * A small per-node evaluator of ONNX graphs for tests, with the element types of the graph as arithmetic: every
 * float16 tensor an op produces is rounded to float16 (round to nearest even; beyond 65504 it is ±inf, as on a
 * GPU computing in float16), every float32 tensor to float32. Each op computes in float64 from its (already
 * rounded) inputs, then rounds its outputs: "float16 per node". onnxruntime's CPU upcasts float16 internally and
 * hides overflow in intermediate results, so tests of float16 range (normalisation statistics) use this instead.
 *
 * Supports the ops of all-MiniLM-L6-v2 and the tests' small graphs (default domain, main graph only, opset 11+):
 * elementwise unary / binary with numpy broadcasting, Cast, Constant, ConstantOfShape, Shape, Gather, Unsqueeze,
 * Squeeze, Slice, Concat, Reshape, Transpose, Expand, Where, MatMul, Softmax, ReduceMean / ReduceSum.
 * Unknown ops throw. Values are kept as Float64Array whatever the element type (int64 as numbers: fine for shapes
 * and indices).
 */
import { f16BitsToNumber, numberToF16Bits } from '../../src/core/onnx/float16.js';
import { type AttributeView, type ModelView, type NodeView, type TensorView } from '../../src/core/onnx/model.js';
import { pushFloats, pushInts } from '../../src/core/onnx/wire.js';

export const FLOAT = 1;
export const FLOAT16 = 10;
const INT64 = 7;
const BOOL = 9;

export interface Tensor {
  type: number;
  dims: number[];
  data: Float64Array;
}

const F16_TABLE = (() => {
  const t = new Float64Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = f16BitsToNumber(i);
  return t;
})();

/** Rounds to the element type: float16 (nearest even, overflow to ±inf), float32, integers (truncation), bool. */
function roundTo(type: number, v: number): number {
  if (type === FLOAT16) return F16_TABLE[numberToF16Bits(v)]!;
  if (type === FLOAT) return Math.fround(v);
  if (type === BOOL) return v ? 1 : 0;
  if (type === 11) return v; // double
  return Number.isFinite(v) ? Math.trunc(v) : v;
}

export function tensor(type: number, dims: number[], values: ArrayLike<number>): Tensor {
  const data = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = roundTo(type, values[i]!);
  return { type, dims: [...dims], data };
}

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** A TensorProto stored in the model (raw_data or typed fields) as a Tensor. */
export function fromTensorProto(t: TensorView): Tensor {
  const n = size(t.dims);
  const data = new Float64Array(n);
  if (t.rawData) {
    const raw = t.rawData;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      switch (t.dataType) {
        case FLOAT:
          data[i] = dv.getFloat32(i * 4, true);
          break;
        case FLOAT16:
          data[i] = F16_TABLE[dv.getUint16(i * 2, true)]!;
          break;
        case INT64:
          data[i] = Number(dv.getBigInt64(i * 8, true));
          break;
        case 6:
          data[i] = dv.getInt32(i * 4, true);
          break;
        case 11:
          data[i] = dv.getFloat64(i * 8, true);
          break;
        case BOOL:
        case 2:
          data[i] = raw[i]!;
          break;
        case 3:
          data[i] = dv.getInt8(i);
          break;
        default:
          throw new Error(`fp16-eval: tensor '${t.name}' of type ${t.dataType}`);
      }
    }
  } else {
    const vals: number[] = [];
    for (const f of t.typedFields) {
      if (f.no === 4) pushFloats(t.buf, f, vals);
      else if (f.no === 5 || f.no === 7) pushInts(t.buf, f, vals);
      else throw new Error(`fp16-eval: tensor '${t.name}' stores its values in field ${f.no}`);
    }
    // int32_data holds float16 bit patterns for FLOAT16 tensors
    vals.forEach((v, i) => (data[i] = t.dataType === FLOAT16 ? F16_TABLE[v & 0xffff]! : v));
  }
  return { type: t.dataType, dims: [...t.dims], data };
}

function attr(n: NodeView, name: string): AttributeView | undefined {
  return n.attributes.find((a) => a.name === name);
}
const attrInt = (n: NodeView, name: string, d: number) => attr(n, name)?.i ?? d;
const attrInts = (n: NodeView, name: string) => attr(n, name)?.ints;

function strides(dims: number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

function broadcastDims(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x !== 1) {
        if (d !== 1 && d !== x) throw new Error(`fp16-eval: cannot broadcast ${JSON.stringify(shapes)}`);
        d = x;
      }
    }
    out.push(d);
  }
  return out;
}

/** Index maps from an output of shape `out` into each input (numpy broadcasting). */
function broadcastIndex(out: number[], ins: number[][]): Int32Array[] {
  const n = size(out);
  const rank = out.length;
  const maps = ins.map((s) => {
    const st = strides(s);
    const eff = out.map((_, k) => {
      const j = k - (rank - s.length);
      return j >= 0 && s[j] !== 1 ? st[j]! : 0;
    });
    const m = new Int32Array(n);
    const idx = new Array<number>(rank).fill(0);
    let off = 0;
    for (let i = 0; i < n; i++) {
      m[i] = off;
      for (let k = rank - 1; k >= 0; k--) {
        idx[k]!++;
        off += eff[k]!;
        if (idx[k]! < out[k]!) break;
        off -= eff[k]! * out[k]!;
        idx[k] = 0;
      }
    }
    return m;
  });
  return maps;
}

function elementwise(inputs: Tensor[], type: number, f: (...v: number[]) => number): Tensor {
  const dims = broadcastDims(inputs.map((t) => t.dims));
  const maps = broadcastIndex(
    dims,
    inputs.map((t) => t.dims),
  );
  const n = size(dims);
  const data = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k]!.data[maps[k]![i]!]!;
    data[i] = roundTo(type, f(...args));
  }
  return { type, dims, data };
}

/** erf to ~1e-15 (series below 2.5, continued fraction above). */
function erf(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let k = 1; k < 200; k++) {
      term *= (-a * a) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc continued fraction (Lentz)
    let f = a;
    let c = a;
    let d = 0;
    for (let k = 1; k < 200; k++) {
      const an = k / 2;
      d = a + an * d;
      d = 1 / d;
      c = a + an / c;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = 1 - Math.exp(-a * a) / (f * Math.sqrt(Math.PI));
  }
  return x < 0 ? -r : r;
}

const UNARY: Record<string, (x: number) => number> = {
  Identity: (x) => x,
  Neg: (x) => -x,
  Abs: Math.abs,
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Exp: Math.exp,
  Log: Math.log,
  Tanh: Math.tanh,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Relu: (x) => Math.max(0, x),
  Erf: erf,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // half to even
  },
};
const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Max: Math.max,
  Min: Math.min,
};
const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  Equal: (a, b) => a === b,
  Less: (a, b) => a < b,
  Greater: (a, b) => a > b,
};

const normAxis = (a: number, rank: number) => (a < 0 ? a + rank : a);

function transpose(t: Tensor, perm: number[]): Tensor {
  const dims = perm.map((p) => t.dims[p]!);
  const st = strides(t.dims);
  const pst = perm.map((p) => st[p]!);
  const n = size(dims);
  const data = new Float64Array(n);
  const idx = new Array<number>(dims.length).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    data[i] = t.data[off]!;
    for (let k = dims.length - 1; k >= 0; k--) {
      idx[k]!++;
      off += pst[k]!;
      if (idx[k]! < dims[k]!) break;
      off -= pst[k]! * dims[k]!;
      idx[k] = 0;
    }
  }
  return { type: t.type, dims, data };
}

function reduce(t: Tensor, axes: number[] | null, keepdims: boolean, mean: boolean, noopWithEmpty = false): Tensor {
  const rank = t.dims.length;
  const ax = new Set((axes && axes.length ? axes : noopWithEmpty ? [] : t.dims.map((_, i) => i)).map((a) => normAxis(a, rank)));
  const outDimsKeep = t.dims.map((d, i) => (ax.has(i) ? 1 : d));
  const n = size(outDimsKeep);
  const sums = new Float64Array(n);
  const outSt = strides(outDimsKeep);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < t.data.length; i++) {
    let o = 0;
    for (let k = 0; k < rank; k++) if (!ax.has(k)) o += idx[k]! * outSt[k]!;
    sums[o]! += t.data[i]!;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]!++;
      if (idx[k]! < t.dims[k]!) break;
      idx[k] = 0;
    }
  }
  const count = t.data.length / n;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = roundTo(t.type, mean ? sums[i]! / count : sums[i]!);
  return { type: t.type, dims: keepdims ? outDimsKeep : t.dims.filter((_, i) => !ax.has(i)), data };
}

function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dims.length < 2 || b.dims.length < 2) throw new Error('fp16-eval: MatMul of rank < 2');
  const [M, K] = a.dims.slice(-2) as [number, number];
  const [K2, N] = b.dims.slice(-2) as [number, number];
  if (K !== K2) throw new Error(`fp16-eval: MatMul ${a.dims} x ${b.dims}`);
  const batch = broadcastDims([a.dims.slice(0, -2), b.dims.slice(0, -2)]);
  const maps = broadcastIndex(batch, [a.dims.slice(0, -2), b.dims.slice(0, -2)]);
  const nb = size(batch);
  const data = new Float64Array(nb * M * N);
  const row = new Float64Array(N);
  for (let bi = 0; bi < nb; bi++) {
    const ao = maps[0]![bi]! * M * K;
    const bo = maps[1]![bi]! * K * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = a.data[ao + i * K + k]!;
        if (av === 0) continue;
        const boff = bo + k * N;
        for (let j = 0; j < N; j++) row[j]! += av * b.data[boff + j]!;
      }
      const oo = (bi * M + i) * N;
      for (let j = 0; j < N; j++) data[oo + j] = roundTo(a.type, row[j]!);
    }
  }
  return { type: a.type, dims: [...batch, M, N], data };
}

function softmax(x: Tensor, axis: number): Tensor {
  const ax = normAxis(axis, x.dims.length);
  const inner = size(x.dims.slice(ax + 1));
  const len = x.dims[ax]!;
  const outer = size(x.dims.slice(0, ax));
  const data = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, x.data[base + k * inner]!);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(x.data[base + k * inner]! - max);
      for (let k = 0; k < len; k++) data[base + k * inner] = roundTo(x.type, Math.exp(x.data[base + k * inner]! - max) / sum);
    }
  return { type: x.type, dims: [...x.dims], data };
}

function slice(x: Tensor, starts: number[], ends: number[], axes: number[], steps: number[]): Tensor {
  const rank = x.dims.length;
  const st = x.dims.map(() => 0);
  const en = [...x.dims];
  const sp = x.dims.map(() => 1);
  axes.forEach((a0, i) => {
    const a = normAxis(a0, rank);
    const d = x.dims[a]!;
    const step = steps[i] ?? 1;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[i]!;
    let e = ends[i]!;
    s = s < 0 ? s + d : s;
    e = e < 0 ? e + d : e;
    if (step > 0) {
      s = clamp(s, 0, d);
      e = clamp(e, 0, d);
    } else {
      s = clamp(s, 0, d - 1);
      e = clamp(e, -1, d - 1);
    }
    st[a] = s;
    en[a] = e;
    sp[a] = step;
  });
  const dims = x.dims.map((_, a) => Math.max(0, Math.ceil((en[a]! - st[a]!) / sp[a]!)));
  const xs = strides(x.dims);
  const n = size(dims);
  const data = new Float64Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < rank; k++) off += (st[k]! + idx[k]! * sp[k]!) * xs[k]!;
    data[i] = x.data[off]!;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]!++;
      if (idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
  return { type: x.type, dims, data };
}

function gather(x: Tensor, ind: Tensor, axis: number): Tensor {
  const ax = normAxis(axis, x.dims.length);
  const outer = size(x.dims.slice(0, ax));
  const inner = size(x.dims.slice(ax + 1));
  const d = x.dims[ax]!;
  const dims = [...x.dims.slice(0, ax), ...ind.dims, ...x.dims.slice(ax + 1)];
  const data = new Float64Array(size(dims));
  let o = 0;
  for (let a = 0; a < outer; a++)
    for (const raw of ind.data) {
      const j = raw < 0 ? raw + d : raw;
      const base = (a * d + j) * inner;
      for (let k = 0; k < inner; k++) data[o++] = x.data[base + k]!;
    }
  return { type: x.type, dims, data };
}

const ints = (t: Tensor | undefined) => (t ? Array.from(t.data) : []);

/** Runs one node. */
function runNode(n: NodeView, ins: (Tensor | undefined)[], opset: number): Tensor[] {
  const op = n.opType;
  const x = ins[0]!;
  if (UNARY[op]) return [elementwise([x], x.type, UNARY[op]!)];
  if (BINARY[op]) return [elementwise(ins as Tensor[], x.type, BINARY[op]!)];
  if (COMPARE[op]) return [elementwise(ins as Tensor[], BOOL, (a, b) => (COMPARE[op]!(a, b) ? 1 : 0))];
  switch (op) {
    case 'Constant': {
      const a = n.attributes[0]!;
      if (a.t) return [fromTensorProto(a.t)];
      if (a.name === 'value_float') return [tensor(FLOAT, [], [a.f!])];
      if (a.name === 'value_floats') return [tensor(FLOAT, [a.floats!.length], a.floats!)];
      if (a.name === 'value_int') return [tensor(INT64, [], [a.i!])];
      if (a.name === 'value_ints') return [tensor(INT64, [a.ints!.length], a.ints!)];
      throw new Error(`fp16-eval: Constant with ${a.name}`);
    }
    case 'Cast': {
      const to = attr(n, 'to')!.i!;
      return [tensor(to, x.dims, x.data)];
    }
    case 'Shape':
      return [tensor(INT64, [x.dims.length], x.dims)];
    case 'ConstantOfShape': {
      const v = attr(n, 'value')?.t;
      const val = v ? fromTensorProto(v) : tensor(FLOAT, [1], [0]);
      const dims = ints(x);
      return [tensor(val.type, dims, new Float64Array(size(dims)).fill(val.data[0]!))];
    }
    case 'Gather':
      return [gather(x, ins[1]!, attrInt(n, 'axis', 0))];
    case 'Unsqueeze': {
      const axes = opset >= 13 ? ints(ins[1]) : (attrInts(n, 'axes') ?? []);
      const rank = x.dims.length + axes.length;
      const ax = new Set(axes.map((a) => normAxis(a, rank)));
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) dims.push(ax.has(i) ? 1 : x.dims[j++]!);
      return [{ ...x, dims }];
    }
    case 'Squeeze': {
      const axes = opset >= 13 ? ints(ins[1]) : (attrInts(n, 'axes') ?? []);
      const ax = new Set(axes.map((a) => normAxis(a, x.dims.length)));
      return [{ ...x, dims: x.dims.filter((d, i) => (ax.size ? !ax.has(i) : d !== 1)) }];
    }
    case 'Slice':
      return [slice(x, ints(ins[1]), ints(ins[2]), ins[3] ? ints(ins[3]) : ints(ins[1]).map((_, i) => i), ints(ins[4]))];
    case 'Concat': {
      const parts = ins.filter((t): t is Tensor => !!t);
      const ax = normAxis(attrInt(n, 'axis', 0), parts[0]!.dims.length);
      const dims = [...parts[0]!.dims];
      dims[ax] = parts.reduce((s, t) => s + t.dims[ax]!, 0);
      const outer = size(dims.slice(0, ax));
      const data = new Float64Array(size(dims));
      let o = 0;
      for (let a = 0; a < outer; a++)
        for (const t of parts) {
          const chunk = size(t.dims.slice(ax));
          data.set(t.data.subarray(a * chunk, (a + 1) * chunk), o);
          o += chunk;
        }
      return [{ type: parts[0]!.type, dims, data }];
    }
    case 'Reshape': {
      const shape = ints(ins[1]).map((d, i) => (d === 0 && !attrInt(n, 'allowzero', 0) ? x.dims[i]! : d));
      const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return [{ ...x, dims: shape.map((d) => (d === -1 ? x.data.length / known : d)) }];
    }
    case 'Flatten': {
      const ax = normAxis(attrInt(n, 'axis', 1), x.dims.length);
      return [{ ...x, dims: [size(x.dims.slice(0, ax)), size(x.dims.slice(ax))] }];
    }
    case 'Transpose':
      return [transpose(x, attrInts(n, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i))];
    case 'Expand': {
      const dims = broadcastDims([x.dims, ints(ins[1])]);
      return [elementwise([x, { type: x.type, dims, data: new Float64Array(size(dims)) }], x.type, (a) => a)];
    }
    case 'Where':
      return [elementwise([ins[0]!, ins[1]!, ins[2]!], ins[1]!.type, (c, a, b) => (c ? a : b))];
    case 'MatMul':
      return [matmul(x, ins[1]!)];
    case 'Softmax':
      if (opset < 13) throw new Error('fp16-eval: Softmax before opset 13');
      return [softmax(x, attrInt(n, 'axis', -1))];
    case 'ReduceMean':
    case 'ReduceSum': {
      const axesFromInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
      const axes = axesFromInput ? (ins[1] ? ints(ins[1]) : null) : (attrInts(n, 'axes') ?? null);
      return [reduce(x, axes, attrInt(n, 'keepdims', 1) === 1, op === 'ReduceMean', attrInt(n, 'noop_with_empty_axes', 0) === 1)];
    }
    default:
      throw new Error(`fp16-eval: op ${op} is not implemented`);
  }
}

export interface EvalOptions {
  /** Called after each node with its outputs (e.g. to find where a value first overflows). */
  onNode?: (n: NodeView, outputs: Tensor[]) => void;
}

/**
 * Evaluates the model's main graph on `feeds` (graph inputs by name), node by node in file order (the converter
 * emits topological order), and returns the graph outputs by name.
 */
export function evaluate(model: ModelView, feeds: Record<string, Tensor>, opts: EvalOptions = {}): Record<string, Tensor> {
  const opset = model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
  const values = new Map<string, Tensor>();
  for (const t of model.graph.initializers) values.set(t.name, fromTensorProto(t));
  for (const [k, v] of Object.entries(feeds)) values.set(k, v);
  for (const n of model.graph.nodes) {
    if (n.domain && n.domain !== 'ai.onnx') throw new Error(`fp16-eval: domain ${n.domain}`);
    const ins = n.inputs.map((name) => {
      if (!name) return undefined;
      const v = values.get(name);
      if (!v) throw new Error(`fp16-eval: '${name}' read by ${n.opType} '${n.name}' is not computed yet`);
      return v;
    });
    const outs = runNode(n, ins, opset);
    n.outputs.forEach((o, i) => {
      if (o && outs[i]) values.set(o, outs[i]!);
    });
    opts.onNode?.(n, outs);
  }
  return Object.fromEntries(model.graph.outputs.map((o) => [o.name, values.get(o.name)!]));
}

/** Cosine similarity of two equally long vectors (NaN / inf give NaN). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}
