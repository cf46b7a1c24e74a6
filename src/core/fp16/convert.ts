/**
 * FP16 conversion ("conservative" mode): float32 weights and activations become float16, graph inputs and
 * outputs stay float32 by default, and the output graph always type-checks.
 *
 * How validity is guaranteed: types are decided per value, never per node in isolation.
 *  1. Element types of every value in the model are inferred (types.ts).
 *  2. Each node gets a mode from its ONNX signature: `convert` when every type variable bound to float32
 *     accepts float16 (then those positions become float16; fixed-type positions such as Resize's `scales`
 *     stay float32), otherwise `keep` (float32, with a reason). Blocked ops, custom domains, unknown ops and
 *     nodes touching values of unknown type are kept as they are.
 *  3. Every consumer states the type it wants for each input; sources (initializers, Constant, Cast) become
 *     float16 only if some consumer wants float16. A consumer whose wanted type differs from the value's
 *     final type reads it through one shared Cast. So types agree at every edge by construction; no Cast
 *     pair is ever inserted back to back, and Casts made no-ops by the conversion are removed.
 *  4. Nodes are re-emitted in topological order; everything not touched (unknown fields, doc strings,
 *     metadata) is carried through byte for byte.
 */
import { DT } from '../onnx/dtypes.js';
import { type AttrValue, encodeAttribute, encodeNode, encodeStringEntry, encodeTensor } from '../onnx/encode.js';
import {
  type ClampOptions,
  type ConvertStats,
  addStats,
  emptyStats,
  float32BytesToFloat16,
  float32ArrayToFloat16,
} from '../onnx/float16.js';
import {
  ATTR,
  type AttributeView,
  GRAPH,
  type GraphView,
  MODEL,
  type ModelView,
  NODE,
  type NodeView,
  TENSOR,
  type TensorView,
  type ValueInfoView,
} from '../onnx/model.js';
import { topoSort } from '../onnx/toposort.js';
import { type Field, WT_I32, WT_LEN, fieldString, pushInts, readFields } from '../onnx/wire.js';
import { type Part, type Piece, lenField, rebuild, varintBytes, writeModel } from '../onnx/writer.js';
import { metadataEntry } from '../provenance.js';
import {
  DEFAULT_OP_BLOCK_LIST,
  SENTINEL_MAGNITUDE,
  type Fp16Options,
  type Fp16Progress,
  type Fp16Report,
  type KeptOp,
  type ResolvedFp16Options,
  resolveOptions,
} from './options.js';
import { formalAt, isFixed, signatureOf } from './schema.js';
import {
  type TypeInfo,
  type TypeScope,
  UNKNOWN,
  attr,
  defaultOpset,
  dependencyOrder,
  inferTypes,
  castTarget,
  isDefaultDomain,
  subgraphsOf,
} from './types.js';

const FLOAT = DT.FLOAT;
const FLOAT16 = DT.FLOAT16;
/** A wanted type meaning "any type is fine" (Cast's input). */
const ANY = -1;

const f2h = (t: number): number => (t === FLOAT ? FLOAT16 : t);

/**
 * Nodes whose ONNX signature accepts float16 but that onnxruntime cannot run in float16 on the CPU (found by
 * converting the ONNX backend node tests; see tests/fp16/node-tests.test.ts). Kept in float32.
 */
function ortNoFp16(n: NodeView): string | null {
  if (n.opType === 'MeanVarianceNormalization') return 'onnxruntime has no float16 path for it (its function body mixes in float32 constants)';
  if (n.opType === 'ScatterElements' || n.opType === 'ScatterND') {
    const r = attr(n, 'reduction')?.s;
    const red = r ? new TextDecoder().decode(r) : 'none';
    if (red !== 'none') return `onnxruntime's CPU kernel has no float16 ${n.opType} with reduction '${red}'`;
  }
  return null;
}

export const CONVERSION_METADATA_KEY = 'ava.conversion';

interface VRec {
  name: string;
  ctx: GCtx;
  orig: number;
  ct: number;
  kind: 'input' | 'init' | 'node' | 'sparse';
  /** Types consumers want (ANY is not recorded). */
  wants: Set<number>;
  /** The name its producer writes (differs for renamed main-graph outputs). */
  stored: string;
  /** Removed no-op Cast: consumers read this value instead. */
  alias: VRec | null;
  tensor?: TensorView;
  producer?: NPlan;
}

type Mode = 'convert' | 'keep' | 'neutral' | 'cast' | 'source' | 'container';

interface NPlan {
  n: NodeView;
  ctx: GCtx;
  index: number;
  mode: Mode;
  reason?: string;
  /** Type wanted for each input (0 = leave as is, ANY = no cast needed). */
  inWant: number[];
  /** Final type of each output. */
  outCt: number[];
  /** Float tensors involved (for the report: a kept node with float tensors stays in float32). */
  hasFloat: boolean;
  subs: GCtx[];
  removed: boolean;
  /** Attribute rewrites decided for convert/cast/source modes. */
  retype: boolean;
}

interface GCtx {
  g: GraphView;
  parent: GCtx | null;
  scope: TypeScope;
  recs: Map<string, VRec>;
  plans: NPlan[];
  kind: 'main' | 'branch' | 'body' | 'other';
  /** Set when an enclosing container node is blocked: every node inside stays as it is. */
  blockAll: string | null;
  /** The node holding this subgraph. */
  owner: NPlan | null;
  /** Final type of each graph output. */
  outWant: number[];
  /** Output names after emission (subgraph outputs may be renamed to a Cast's output). */
  outNames: string[];
  /** `${value id}|${type}` -> Cast output name, for Casts emitted in this graph. */
  casts: Map<string, string>;
  extra: Emitted[];
  /** Main-graph outputs whose producer was renamed (value name -> output type). */
  renamedOutputs: Map<string, number>;
  /** Output indices that must stay float32 (they may carry values beyond the float16 range). */
  fp32Outputs: Set<number>;
}

interface Emitted {
  parts: Part[];
  reads: string[];
  writes: string[];
  order: number;
}

interface Run {
  model: ModelView;
  opts: ResolvedFp16Options;
  opset: number;
  info: TypeInfo;
  blockOps: Set<string>;
  userOps: Set<string>;
  blockNodes: Set<string>;
  names: Set<string>;
  clamp: ClampOptions;
  stats: ConvertStats;
  report: Fp16Report;
  recId: Map<VRec, number>;
  floatBytesTotal: number;
  floatBytesDone: number;
  onProgress?: (p: Fp16Progress) => void;
  signal?: AbortSignal;
  unknownTypeValues: Set<string>;
}

export interface Fp16Result {
  parts: Piece[];
  report: Fp16Report;
}

/**
 * Converts a model to float16. Returns the output as byte parts (large tensor payloads are separate
 * arrays: write them in order to a Blob or a stream) and a report. Throws Fp16OptionError for bad options,
 * the AbortSignal's reason when aborted.
 */
export function convertFp16(model: ModelView, options: Fp16Options = {}, onProgress?: (p: Fp16Progress) => void, signal?: AbortSignal): Fp16Result {
  const t0 = performance.now();
  const opts = resolveOptions(options);
  signal?.throwIfAborted();
  onProgress?.({ phase: 'analyze', fraction: 0, message: 'inferring element types' });
  const info = inferTypes(model);
  const run: Run = {
    model,
    opts,
    opset: defaultOpset(model),
    info,
    blockOps: new Set([...DEFAULT_OP_BLOCK_LIST, ...opts.opBlockList]),
    userOps: new Set(opts.opBlockList),
    blockNodes: new Set(opts.nodeBlockList),
    names: collectNames(model),
    clamp: { minPositive: opts.minPositive, maxFinite: opts.maxFinite },
    stats: emptyStats(),
    report: emptyReport(opts, model.fileBytes + model.externalBytes),
    recId: new Map(),
    floatBytesTotal: 0,
    floatBytesDone: 0,
    ...(onProgress ? { onProgress } : {}),
    ...(signal ? { signal } : {}),
    unknownTypeValues: new Set(),
  };
  for (const m of info.mismatches.slice(0, 5)) run.report.notes.push(`declared type used over inferred: ${m}`);

  // Cast-1 (opset < 6) names its target type with a string that onnxruntime does not type-infer: no Cast can
  // be inserted reliably, so such models keep every node as it is.
  const ancient = run.opset < 6 ? `opset ${run.opset} (< 6): Casts cannot be inserted reliably, nothing converted` : null;
  if (ancient) run.report.notes.push(ancient);
  const main = buildCtx(run, model.graph, null, 'main', ancient, null);
  keepSquares(main);
  if (opts.outOfRange === 'keep-fp32') keepOutOfRange(run, main);
  collectWants(run, main);
  decideSources(run, main);
  decideOutputs(run, main);
  removeNoopCasts(run, main);
  onProgress?.({ phase: 'analyze', fraction: 1 });

  run.floatBytesTotal = countFloatBytes(main);
  const graphParts = emitGraph(run, main).parts;
  signal?.throwIfAborted();
  onProgress?.({ phase: 'write', fraction: 0 });

  const meta = {
    mode: 'fp16',
    tool: 'ava-quantizer',
    options: {
      keepIoTypes: opts.keepIoTypes,
      opBlockList: opts.opBlockList,
      nodeBlockList: opts.nodeBlockList,
      minPositive: opts.minPositive,
      maxFinite: opts.maxFinite,
      outOfRange: opts.outOfRange,
    },
    defaultOpBlockList: 'onnxconverter-common 1.16 + TreeEnsemble',
  };
  const parts = writeModel(model, {
    graph: graphParts,
    replace: (f) => (f.no === MODEL.metadataProps && metadataKey(model, f) === CONVERSION_METADATA_KEY ? [] : undefined),
    append: [metadataEntry(CONVERSION_METADATA_KEY, meta, options.provenance)],
  });

  finishReport(run, main, parts);
  run.report.timeMs = Math.round(performance.now() - t0);
  onProgress?.({ phase: 'write', fraction: 1 });
  return { parts, report: run.report };
}

// ---------------------------------------------------------------------------------------------------------
// Planning

function buildCtx(run: Run, g: GraphView, parent: GCtx | null, kind: GCtx['kind'], blockAll: string | null, owner: NPlan | null): GCtx {
  const scope = run.info.scopes.get(g);
  if (!scope) throw new Error(`internal: graph '${g.name}' was not typed`);
  const ctx: GCtx = {
    g,
    parent,
    scope,
    recs: new Map(),
    plans: [],
    kind,
    blockAll,
    owner,
    outWant: [],
    outNames: g.outputs.map((o) => o.name),
    casts: new Map(),
    extra: [],
    renamedOutputs: new Map(),
    fp32Outputs: new Set(),
  };
  const typeOf = (name: string) => scope.get(name) ?? UNKNOWN;
  const add = (name: string, kind: VRec['kind'], extra: Partial<VRec> = {}) => {
    const r: VRec = { name, ctx, orig: typeOf(name), ct: typeOf(name), kind, wants: new Set(), stored: name, alias: null, ...extra };
    ctx.recs.set(name, r);
    run.recId.set(r, run.recId.size);
    return r;
  };
  for (const v of g.inputs) add(v.name, 'input');
  for (const t of g.initializers) add(t.name, 'init', { tensor: t }); // an initializer backing an input wins
  for (const s of g.sparseInitializers) {
    const nameField = s.fields.find((f) => f.no === 1 && f.wt === WT_LEN); // SparseTensorProto.values
    if (nameField) {
      const vals = readFields(s.buf, nameField.vstart, nameField.end).find((f) => f.no === TENSOR.name && f.wt === WT_LEN);
      if (vals) add(fieldString(s.buf, vals), 'sparse');
    }
  }
  g.nodes.forEach((n, index) => {
    const p = planNode(run, ctx, n, index);
    ctx.plans.push(p);
    n.outputs.forEach((o) => {
      if (o) add(o, 'node', { producer: p });
    });
  });
  return ctx;
}

function keep(p: NPlan, reason: string): void {
  p.mode = 'keep';
  p.reason = reason;
}

function planNode(run: Run, ctx: GCtx, n: NodeView, index: number): NPlan {
  const typeOf = (name: string) => (name ? (ctx.scope.get(name) ?? UNKNOWN) : UNKNOWN);
  const inT = n.inputs.map(typeOf);
  const outT = n.outputs.map(typeOf);
  const hasFloat = [...inT, ...outT].includes(FLOAT);
  const p: NPlan = { n, ctx, index, mode: 'neutral', inWant: [...inT], outCt: [...outT], hasFloat, subs: [], removed: false, retype: false };
  const op = n.opType;
  const defaultDomain = isDefaultDomain(n.domain);
  const subgraphAttrs = n.attributes.filter((a) => a.g || a.graphs);

  for (const [i, name] of n.inputs.entries()) if (name && !inT[i]) run.unknownTypeValues.add(name);
  for (const [i, name] of n.outputs.entries()) if (name && !outT[i]) run.unknownTypeValues.add(name);

  // Why this node may not change, if it may not.
  let block: string | null = null;
  if (ctx.blockAll) block = ctx.blockAll;
  else if (run.blockNodes.has(n.name)) block = 'in the node block list';
  else if (run.blockOps.has(op) && (defaultDomain || n.domain === 'ai.onnx.ml'))
    block = run.userOps.has(op) ? 'in the op block list' : 'in the default op block list';
  else if (!defaultDomain) block = `operator domain '${n.domain}': no known signature`;
  else block = ortNoFp16(n);

  // Subgraph bodies.
  if (subgraphAttrs.length) {
    const label = `inside ${op} node '${n.name || n.outputs[0] || '?'}'`;
    const containerBlocked = block ?? (defaultDomain && (op === 'If' || op === 'Loop' || op === 'Scan') ? null : `${op}: subgraphs of this op are not converted`);
    for (const a of subgraphAttrs) {
      const kind: GCtx['kind'] = op === 'If' && defaultDomain ? 'branch' : (op === 'Loop' || op === 'Scan') && defaultDomain ? 'body' : 'other';
      for (const sg of a.g ? [a.g] : (a.graphs ?? []))
        p.subs.push(buildCtx(run, sg, ctx, kind, containerBlocked ? (ctx.blockAll ?? `${label} (${containerBlocked})`) : null, p));
    }
    if (containerBlocked) {
      keep(p, containerBlocked);
      return p;
    }
    if (op === 'If') {
      // Float outputs become float16; both branches are made to produce float16 for them.
      p.mode = 'container';
      p.outCt = outT.map(f2h);
      return p;
    }
    // Loop / Scan: the interface (carried and scanned values) stays as it is; the body's inside is converted.
    p.mode = 'container';
    return p;
  }
  if (block) {
    keep(p, block);
    return p;
  }
  if (op === 'Constant') {
    p.mode = 'source';
    return p;
  }
  if (op === 'Cast') {
    // Any input type is fine for a Cast; its output type is decided once we know what its consumers want.
    p.mode = 'cast';
    p.inWant = [ANY];
    return p;
  }
  if (!hasFloat) return p; // neutral: no float tensor involved
  const sig = signatureOf(op, run.opset);
  if (!sig) {
    keep(p, `no ONNX signature for ${op} at opset ${run.opset}`);
    return p;
  }
  const unknownIn = n.inputs.findIndex((x, i) => x && !inT[i]);
  const unknownOut = n.outputs.findIndex((x, i) => x && !outT[i]);
  if (unknownIn >= 0 || unknownOut >= 0) {
    keep(p, `element type of '${unknownIn >= 0 ? n.inputs[unknownIn] : n.outputs[unknownOut]}' unknown`);
    return p;
  }
  // Bind type variables (inputs and outputs) to their float32-model types.
  const bound = new Map<string, number>();
  const fromInput = new Set<string>();
  const bind = (list: typeof sig.inputs, names: string[], types: number[], isInput: boolean): string | null => {
    for (let i = 0; i < names.length; i++) {
      if (!names[i]) continue;
      const f = formalAt(list, i);
      if (!f) return `${op} has more ${isInput ? 'inputs' : 'outputs'} than its signature`;
      if (isFixed(f.formal.v)) continue;
      const t = types[i]!;
      const prev = bound.get(f.key);
      if (prev !== undefined && prev !== t) return `inconsistent types for ${f.formal.v}`;
      bound.set(f.key, t);
      if (isInput) fromInput.add(f.key);
    }
    return null;
  };
  const err = bind(sig.inputs, n.inputs, inT, true) ?? bind(sig.outputs, n.outputs, outT, false);
  if (err) {
    keep(p, err);
    return p;
  }
  let anyFloat = false;
  for (const [key, t] of bound) {
    if (t !== FLOAT) continue;
    const v = key.split('#')[0]!;
    const tv = sig.vars.get(v);
    if (!tv || !tv.types.has(FLOAT16)) {
      keep(p, `${op}-${sig.since} does not accept float16 for ${v}`);
      return p;
    }
    if (!fromInput.has(key)) {
      // Output type set by an attribute: only ConstantOfShape's value is rewritten (EyeLike, Random*, ... have
      // no float16 CPU kernel in onnxruntime and no float input for it to cast around).
      if (op === 'ConstantOfShape') p.retype = true;
      else {
        keep(p, `${op}: output type set by an attribute (kept float32)`);
        return p;
      }
    }
    anyFloat = true;
  }
  if (!anyFloat) return p; // float only at fixed positions (e.g. Resize scales): types unchanged
  const map = (list: typeof sig.inputs, i: number, t: number) => {
    const f = formalAt(list, i)!;
    return isFixed(f.formal.v) ? t : f2h(bound.get(f.key) ?? t);
  };
  p.mode = 'convert';
  p.inWant = inT.map((t, i) => (n.inputs[i] ? map(sig.inputs, i, t) : t));
  p.outCt = outT.map((t, i) => (n.outputs[i] ? map(sig.outputs, i, t) : t));
  return p;
}

/**
 * Ops after which values beyond the float16 range are back in range (or not float): propagation of
 * "may be out of range" stops at them. Every other op is assumed to pass large values on.
 */
const RANGE_REDUCING = new Set([
  'Log', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'Hardmax', 'Erf', 'Sin', 'Cos', 'Atan', 'Asin', 'Acos', 'HardSigmoid',
  'Softsign', 'Sign', 'BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization',
  'LpNormalization', 'MeanVarianceNormalization', 'RMSNormalization', 'Shape', 'Size', 'ArgMax', 'ArgMin', 'IsNaN',
  'IsInf', 'NonZero', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual',
]);

interface RangeScan {
  maxAbs: number;
  /** Some finite value beyond maxFinite is below SENTINEL_MAGNITUDE (a genuine weight, not an infinity stand-in). */
  genuine: boolean;
}

function scanRange(src: Uint8Array, maxFinite: number): RangeScan {
  const n = src.length >>> 2;
  const v = src.byteOffset % 4 === 0 ? new Float32Array(src.buffer, src.byteOffset, n) : new Float32Array(src.slice(0, n * 4).buffer);
  let maxAbs = 0;
  let genuine = false;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(v[i]!);
    if (a > maxAbs && a !== Infinity) maxAbs = a;
    if (a > maxFinite && a < SENTINEL_MAGNITUDE) genuine = true;
  }
  return { maxAbs, genuine };
}

function floatPayload(t: TensorView): Uint8Array {
  if (t.rawData) return t.rawData;
  const chunks: Uint8Array[] = [];
  for (const f of t.typedFields) {
    if (f.no !== TENSOR.floatData) continue;
    if (f.wt === WT_LEN) chunks.push(t.buf.subarray(f.vstart, f.end));
    else if (f.wt === WT_I32) chunks.push(t.buf.subarray(f.vstart, f.vstart + 4));
  }
  return chunks.length === 1 ? chunks[0]! : concat(chunks);
}

/** The float32 payload of a Constant node, if it has one. */
function constantPayload(n: NodeView): Uint8Array | null {
  const a = n.attributes[0];
  if (!a) return null;
  if (a.name === 'value' && a.t && a.t.dataType === FLOAT && !a.t.external) return floatPayload(a.t);
  if (a.name === 'value_float' || a.name === 'value_floats') return new Uint8Array(Float32Array.from(a.name === 'value_float' ? [a.f ?? 0] : (a.floats ?? [])).buffer);
  return null;
}

/** A converted node goes back to float32 (its original types everywhere). */
function demote(p: NPlan, reason: string): void {
  p.mode = 'keep';
  p.reason = reason;
  p.inWant = p.n.inputs.map((x) => (x ? (p.ctx.scope.get(x) ?? UNKNOWN) : UNKNOWN));
  p.outCt = p.n.outputs.map((x) => (x ? (p.ctx.scope.get(x) ?? UNKNOWN) : UNKNOWN));
  p.retype = false;
}

/** Every node reading each value (in any graph). */
function consumersOf(main: GCtx): Map<VRec, NPlan[]> {
  const consumers = new Map<VRec, NPlan[]>();
  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans)
      for (const name of p.n.inputs) {
        const r = name ? resolve(ctx, name) : null;
        if (!r) continue;
        const list = consumers.get(r) ?? [];
        if (!list.includes(p)) list.push(p);
        consumers.set(r, list);
      }
  });
  return consumers;
}

/** A scalar (one-element) float32/int64/int32 constant value: an initializer or a Constant node's output. */
function scalarConstant(r: VRec | null): number | null {
  if (!r) return null;
  let t: TensorView | undefined;
  if (r.kind === 'init') t = r.tensor;
  else if (r.kind === 'node' && r.producer?.n.opType === 'Constant') {
    const a = r.producer.n.attributes[0];
    if (a?.name === 'value_float') return a.f ?? null;
    if (a?.name === 'value_int') return a.i ?? null;
    t = a?.name === 'value' ? a.t : undefined;
  }
  if (!t || t.external || t.dims.reduce((x, y) => x * y, 1) !== 1) return null;
  const raw = t.dataType === FLOAT ? floatPayload(t) : t.rawData;
  if (!raw) {
    const nums: number[] = [];
    for (const f of t.typedFields) if (f.no === TENSOR.int64Data || f.no === TENSOR.int32Data) pushInts(t.buf, f, nums);
    return nums.length === 1 ? nums[0]! : null;
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (t.dataType === FLOAT && raw.length === 4) return dv.getFloat32(0, true);
  if (t.dataType === DT.INT64 && raw.length === 8) return Number(dv.getBigInt64(0, true));
  if (t.dataType === DT.INT32 && raw.length === 4) return dv.getInt32(0, true);
  return null;
}

const SQUARE_REDUCERS = new Set(['ReduceMean', 'ReduceSum']);

/**
 * Sums of squares overflow float16 as soon as one |x| exceeds 256 (e.g. the variance in a LayerNorm that
 * an exporter decomposed into Pow(x - mean, 2) -> ReduceMean; onnxconverter-common #323). On backends that
 * compute in float16 (WebGPU with shader-f16) that is inf and then NaN. Pow(x, 2) feeding ReduceMean /
 * ReduceSum, and ReduceSumSquare / ReduceL2, stay float32.
 */
function keepSquares(main: GCtx): void {
  const consumers = consumersOf(main);
  const reason = 'squares can overflow float16 (sum of squares, e.g. a LayerNorm variance)';
  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans) {
      if (p.mode !== 'convert' || !isDefaultDomain(p.n.domain)) continue;
      if (p.n.opType === 'ReduceSumSquare' || p.n.opType === 'ReduceL2') {
        demote(p, reason);
        continue;
      }
      if (p.n.opType !== 'Pow' || !p.n.outputs[0] || scalarConstant(resolve(ctx, p.n.inputs[1] ?? '')) !== 2) continue;
      const users = consumers.get(ctx.recs.get(p.n.outputs[0])!) ?? [];
      const reducers = users.filter((u) => SQUARE_REDUCERS.has(u.n.opType) && u.mode === 'convert');
      if (!reducers.length) continue;
      demote(p, reason);
      for (const u of reducers) demote(u, reason);
    }
  });
}

/**
 * outOfRange 'keep-fp32': float weights holding genuine values beyond maxFinite stay float32, and so does
 * every node that reads them, transitively through ops that pass large values on, up to and including the
 * first range-reducing op. If-branch / loop-body outputs carry the property out to the enclosing graph.
 */
function keepOutOfRange(run: Run, main: GCtx): void {
  const large = new Map<VRec, string>(); // value -> the weight it comes from
  const queue: VRec[] = [];
  const mark = (r: VRec | undefined | null, origin: string) => {
    if (!r || large.has(r) || r.orig !== FLOAT) return;
    large.set(r, origin);
    queue.push(r);
  };
  const consumers = consumersOf(main);
  const outputUses = new Map<VRec, { ctx: GCtx; i: number }[]>();
  forEachCtx(main, (ctx) => {
    for (const r of ctx.recs.values()) {
      if (r.kind !== 'init' || !r.tensor || r.tensor.dataType !== FLOAT || r.tensor.external) continue;
      const sc = scanRange(floatPayload(r.tensor), run.opts.maxFinite);
      if (sc.genuine) {
        run.report.weights.outOfRange.push({ name: r.name, largestMagnitude: sc.maxAbs });
        mark(r, r.name);
      }
    }
    for (const p of ctx.plans) {
      if (p.mode === 'source' && p.n.outputs[0]) {
        const payload = constantPayload(p.n);
        if (payload) {
          const sc = scanRange(payload, run.opts.maxFinite);
          if (sc.genuine) {
            const r = ctx.recs.get(p.n.outputs[0]);
            run.report.weights.outOfRange.push({ name: p.n.outputs[0], largestMagnitude: sc.maxAbs });
            mark(r, p.n.outputs[0]);
          }
        }
      }
    }
    ctx.g.outputs.forEach((o, i) => {
      const r = resolve(ctx, o.name);
      if (!r) return;
      const list = outputUses.get(r) ?? [];
      list.push({ ctx, i });
      outputUses.set(r, list);
    });
  });
  while (queue.length) {
    const r = queue.shift()!;
    const origin = large.get(r)!;
    for (const p of consumers.get(r) ?? []) {
      const reduces = RANGE_REDUCING.has(p.n.opType) && isDefaultDomain(p.n.domain);
      if (p.mode === 'convert') demote(p, `reads values beyond the float16 range (from '${origin}')`);
      if (!reduces) for (const o of p.n.outputs) if (o) mark(p.ctx.recs.get(o), origin);
    }
    for (const { ctx, i } of outputUses.get(r) ?? []) {
      ctx.fp32Outputs.add(i);
      const owner = ctx.owner;
      if (!owner) continue;
      const op = owner.n.opType;
      const j = op === 'Loop' ? i - 1 : i;
      if (op === 'If') owner.outCt[i] = owner.ctx.scope.get(owner.n.outputs[i] ?? '') ?? UNKNOWN;
      const out = owner.n.outputs[j];
      if (j >= 0 && out) mark(owner.ctx.recs.get(out), origin);
    }
  }
}

/** The value a name refers to from ctx (this graph or an enclosing one), following removed-Cast aliases. */
function resolve(ctx: GCtx, name: string): VRec | null {
  for (let c: GCtx | null = ctx; c; c = c.parent) {
    const r = c.recs.get(name);
    if (r) {
      let x = r;
      while (x.alias) x = x.alias;
      return x;
    }
  }
  return null;
}

function forEachCtx(ctx: GCtx, fn: (c: GCtx) => void): void {
  fn(ctx);
  for (const p of ctx.plans) for (const s of p.subs) forEachCtx(s, fn);
}

/** Desired types of graph outputs, then every consumer's wanted input types, recorded on the values. */
function collectWants(run: Run, main: GCtx): void {
  forEachCtx(main, (ctx) => {
    ctx.outWant = ctx.g.outputs.map((o, i) => {
      const t = ctx.scope.get(o.name) ?? UNKNOWN;
      if (ctx.fp32Outputs.has(i)) return t;
      if (ctx.kind === 'main') return run.opts.keepIoTypes || ctx.blockAll ? t : f2h(t);
      // If branches produce what their (converted) If node outputs; Loop/Scan bodies keep their interface.
      if (ctx.kind === 'branch' && ctx.owner?.mode === 'container') return ctx.owner.outCt[i] ?? t;
      return t;
    });
  });
  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans)
      p.n.inputs.forEach((name, i) => {
        const w = p.inWant[i]!;
        if (!name || w <= 0) return;
        resolve(ctx, name)?.wants.add(w);
      });
    ctx.g.outputs.forEach((o, i) => {
      const w = ctx.outWant[i]!;
      if (w > 0) resolve(ctx, o.name)?.wants.add(w);
    });
  });
}

/** Initializers, Constants, Casts and graph inputs: their type follows what consumers want. */
function decideSources(run: Run, main: GCtx): void {
  forEachCtx(main, (ctx) => {
    for (const r of ctx.recs.values()) {
      if (r.kind === 'input') {
        r.ct = ctx.kind === 'main' && !run.opts.keepIoTypes && !ctx.blockAll ? f2h(r.orig) : r.orig;
      } else if (r.kind === 'init') {
        const t = r.tensor!;
        if (t.dataType === FLOAT && r.wants.has(FLOAT16)) {
          if (t.external) {
            run.report.weights.keptFp32.push({ name: t.name, reason: 'stored as external data (not converted)' });
          } else r.ct = FLOAT16;
        } else if (t.dataType === FLOAT) {
          run.report.weights.keptFp32.push({ name: t.name, reason: ctx.blockAll ? 'inside a blocked node' : 'only read as float32' });
        }
      }
    }
    for (const p of ctx.plans) {
      const out = p.n.outputs[0] ? ctx.recs.get(p.n.outputs[0]) : undefined;
      if (p.mode === 'source' && out) {
        if (out.orig === FLOAT && out.wants.has(FLOAT16) && constantConvertible(p.n)) {
          p.outCt = [FLOAT16];
          p.retype = true;
          p.mode = 'convert';
        } else {
          p.mode = 'neutral';
          if (out.orig === FLOAT) run.report.weights.keptFp32.push({ name: out.name, reason: out.wants.has(FLOAT16) ? 'Constant form not convertible' : 'Constant only read as float32' });
        }
      } else if (p.mode === 'cast' && out) {
        const to = castTarget(p.n);
        if (to === FLOAT && out.wants.has(FLOAT16)) {
          p.outCt = [FLOAT16];
          p.retype = true;
        } else p.outCt = [to];
      }
      p.n.outputs.forEach((o, i) => {
        const r = o ? ctx.recs.get(o) : undefined;
        if (r && r.producer === p) r.ct = p.outCt[i] ?? r.orig;
      });
    }
  });
}

function constantConvertible(n: NodeView): boolean {
  const a = n.attributes[0];
  if (!a || n.attributes.length !== 1) return false;
  if (a.name === 'value') return !!a.t && a.t.dataType === FLOAT && !a.t.external;
  return a.name === 'value_float' || a.name === 'value_floats';
}

/** Main-graph outputs whose value ends in another type: the producer writes a new name, a Cast restores the output. */
function decideOutputs(run: Run, main: GCtx): void {
  main.g.outputs.forEach((o, i) => {
    const r = resolve(main, o.name);
    const want = main.outWant[i]!;
    if (!r || !want || !r.ct || r.ct === want || main.renamedOutputs.has(o.name)) return;
    if (r.ctx !== main || r.kind === 'input') {
      throw new Error(`internal: graph output '${o.name}' would change type but cannot be renamed`);
    }
    r.stored = fresh(run, `${o.name}_fp16`);
    main.renamedOutputs.set(o.name, want);
    main.casts.set(castKey(run, r, want), o.name);
    main.extra.push(castNode(run, r.stored, o.name, want, Number.MAX_SAFE_INTEGER));
  });
}

/** Casts whose input already has the target type: consumers read the input directly. */
function removeNoopCasts(run: Run, main: GCtx): void {
  forEachCtx(main, (ctx) => {
    const outs = new Set(ctx.g.outputs.map((o) => o.name));
    for (const idx of dependencyOrder(ctx.g)) {
      const p = ctx.plans[idx]!;
      if (p.mode !== 'cast') continue;
      const inName = p.n.inputs[0];
      const outName = p.n.outputs[0];
      if (!inName || !outName || outs.has(outName)) continue;
      const src = resolve(ctx, inName);
      const out = ctx.recs.get(outName);
      if (!src || !out || !src.ct || src.ct !== p.outCt[0]) continue;
      p.removed = true;
      out.alias = src;
      run.report.nodes.castsRemoved++;
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Emission

function castKey(run: Run, r: VRec, to: number): string {
  return `${run.recId.get(r)}|${to}`;
}

/** Cast's `to` attribute: an int from opset 6 on, a type name before (Cast-1). */
function castTo(run: Run, to: number): AttrValue {
  return run.opset >= 6 ? { kind: 'int', value: to } : { kind: 'string', value: to === FLOAT16 ? 'FLOAT16' : to === FLOAT ? 'FLOAT' : String(to) };
}

function castNode(run: Run, input: string, output: string, to: number, order: number): Emitted {
  run.report.nodes.castsInserted++;
  const name = fresh(run, `${output}_Cast`);
  return {
    parts: encodeNode({ opType: 'Cast', inputs: [input], outputs: [output], name, attributes: { to: castTo(run, to) } }),
    reads: [input],
    writes: [output],
    order,
  };
}

/** The name a consumer in ctx reads to get `name` as type `want`. */
function readName(run: Run, ctx: GCtx, name: string, want: number, order: number): string {
  const r = resolve(ctx, name);
  if (!r) return name;
  if (want <= 0 || !r.ct || r.ct === want) return r.stored;
  const key = castKey(run, r, want);
  for (let c: GCtx | null = ctx; c; c = c.parent) {
    const hit = c.casts.get(key);
    if (hit) return hit;
  }
  const out = fresh(run, `${r.name}_${want === FLOAT16 ? 'fp16' : want === FLOAT ? 'fp32' : `t${want}`}`);
  ctx.casts.set(key, out);
  ctx.extra.push(castNode(run, r.stored, out, want, order));
  return out;
}

function fresh(run: Run, base: string): string {
  let n = base;
  for (let i = 1; run.names.has(n); i++) n = `${base}_${i}`;
  run.names.add(n);
  return n;
}

function strField(no: number, s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  const tag = varintBytes(no * 8 + 2);
  const len = varintBytes(b.length);
  const out = new Uint8Array(tag.length + len.length + b.length);
  out.set(tag, 0);
  out.set(len, tag.length);
  out.set(b, tag.length + len.length);
  return out;
}

function varintField(no: number, v: number): Uint8Array {
  const tag = varintBytes(no * 8);
  const val = varintBytes(v);
  const out = new Uint8Array(tag.length + val.length);
  out.set(tag, 0);
  out.set(val, tag.length);
  return out;
}

interface EmittedGraph {
  parts: Part[];
  /** Names the emitted graph reads from enclosing graphs (orders the node that holds it). */
  outerReads: string[];
}

function emitGraph(run: Run, ctx: GCtx): EmittedGraph {
  const g = ctx.g;
  const emitted: Emitted[] = [];
  for (const p of ctx.plans) if (!p.removed) emitted.push(emitNode(run, p));
  if (ctx.kind !== 'main') {
    // Subgraph outputs are positional: when the value has another type than the interface needs, a Cast
    // feeds a new output name.
    g.outputs.forEach((o, i) => {
      ctx.outNames[i] = readName(run, ctx, o.name, ctx.outWant[i]!, Number.MAX_SAFE_INTEGER);
    });
  } else {
    g.outputs.forEach((o, i) => {
      const r = resolve(ctx, o.name);
      ctx.outNames[i] = ctx.renamedOutputs.has(o.name) || !r ? o.name : r.stored;
    });
  }
  // Order: original position first (an inserted Cast carries its consumer's position), then data
  // dependencies (topoSort keeps list order among ready nodes).
  const pre = [...emitted, ...ctx.extra].map((e, i) => ({ e, i })).sort((a, b) => a.e.order - b.e.order || a.i - b.i).map((x) => x.e);
  const sorted = topoSort(pre.map((e) => ({ reads: e.reads, writes: e.writes })));
  if (sorted.cyclic.length) run.report.notes.push(`graph '${g.name}': ${sorted.cyclic.length} nodes in a cycle kept in file order`);
  const ordered = sorted.order.map((i) => pre[i]!);
  const nodeParts = ordered.map((e) => lenField(GRAPH.node, e.parts));

  const defined = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name)]);
  for (const e of ordered) for (const w of e.writes) defined.add(w);
  const outer = new Set<string>();
  for (const e of ordered) for (const r of e.reads) if (r && !defined.has(r)) outer.add(r);
  for (const o of ctx.outNames) if (!defined.has(o)) outer.add(o);

  const removedNames = new Set<string>();
  for (const p of ctx.plans) if (p.removed && p.n.outputs[0]) removedNames.add(p.n.outputs[0]);

  let nodesPlaced = false;
  let outIdx = 0;
  let inIdx = 0;
  let initIdx = 0;
  let viIdx = 0;
  const parts = rebuild(g, (f: Field) => {
    switch (f.no) {
      case GRAPH.node:
        if (nodesPlaced) return [];
        nodesPlaced = true;
        return nodeParts;
      case GRAPH.initializer: {
        const t = g.initializers[initIdx++];
        const r = t ? ctx.recs.get(t.name) : undefined;
        if (t && r && r.kind === 'init' && r.ct === FLOAT16 && t.dataType === FLOAT) return [lenField(GRAPH.initializer, convertTensor(run, t))];
        return undefined;
      }
      case GRAPH.input: {
        const v = g.inputs[inIdx++];
        const r = v ? ctx.recs.get(v.name) : undefined;
        if (v && r && v.kind === 'tensor' && r.ct && r.ct !== v.elemType) return [lenField(GRAPH.input, retypeValueInfo(v, r.ct, null))];
        return undefined;
      }
      case GRAPH.output: {
        const i = outIdx++;
        const v = g.outputs[i];
        if (!v) return undefined;
        const name = ctx.outNames[i]!;
        const t = v.kind === 'tensor' ? ctx.outWant[i] || v.elemType : 0;
        if (name !== v.name || (t && t !== v.elemType)) return [lenField(GRAPH.output, retypeValueInfo(v, t, name !== v.name ? name : null))];
        return undefined;
      }
      case GRAPH.valueInfo: {
        const v = g.valueInfo[viIdx++];
        if (!v) return undefined;
        if (removedNames.has(v.name)) return [];
        if (v.kind !== 'tensor') return undefined;
        const renamed = ctx.renamedOutputs.get(v.name);
        const r = ctx.recs.get(v.name) ?? resolve(ctx, v.name);
        const t = renamed ?? (r && !r.alias ? r.ct : UNKNOWN);
        if (t && t !== v.elemType) return [lenField(GRAPH.valueInfo, retypeValueInfo(v, t, null))];
        return undefined;
      }
      default:
        return undefined;
    }
  });
  if (!nodesPlaced && nodeParts.length) parts.unshift(...nodeParts);
  return { parts, outerReads: [...outer] };
}

function emitNode(run: Run, p: NPlan): Emitted {
  const { n, ctx } = p;
  let inI = 0;
  let outI = 0;
  let attrI = 0;
  let subI = 0;
  const reads: string[] = [];
  const writes: string[] = [];
  const parts = rebuild(n, (f: Field) => {
    if (f.no === NODE.input && f.wt === WT_LEN) {
      const name = n.inputs[inI]!;
      const want = p.inWant[inI++]!;
      if (!name) return undefined;
      const nn = readName(run, ctx, name, want, p.index);
      reads.push(nn);
      return nn === name ? undefined : [strField(NODE.input, nn)];
    }
    if (f.no === NODE.output && f.wt === WT_LEN) {
      const name = n.outputs[outI++]!;
      if (!name) return undefined;
      const r = ctx.recs.get(name);
      const nn = r && r.producer === p ? r.stored : name;
      writes.push(nn);
      return nn === name ? undefined : [strField(NODE.output, nn)];
    }
    if (f.no === NODE.attribute && f.wt === WT_LEN) {
      const a = n.attributes[attrI++]!;
      if (a.g || a.graphs) {
        const replaced = rebuild(a, (af) => {
          if (af.no !== ATTR.g && af.no !== ATTR.graphs) return undefined;
          const sub = emitGraph(run, p.subs[subI++]!);
          reads.push(...sub.outerReads);
          return [lenField(af.no, sub.parts)];
        });
        return [lenField(NODE.attribute, replaced)];
      }
      if (p.retype) {
        const r = retypeAttribute(run, p, a);
        if (r) return [lenField(NODE.attribute, r)];
      }
      return undefined;
    }
    return undefined;
  });
  // Attributes a retyped node needs but did not have (ConstantOfShape's default value).
  if (p.retype) {
    const op = n.opType;
    if (op === 'ConstantOfShape' && !attr(n, 'value'))
      parts.push(lenField(NODE.attribute, encodeAttribute('value', { kind: 'tensor', value: encodeTensor({ name: '', dataType: FLOAT16, dims: [1], raw: new Uint8Array(2) }) })));
    if (op === 'Cast') run.report.nodes.castsRetargeted++;
  }
  return { parts, reads, writes, order: p.index };
}

/** Rewrites the attribute that sets a converted node's float output type. Returns null to keep it. */
function retypeAttribute(run: Run, p: NPlan, a: AttributeView): Part[] | null {
  const op = p.n.opType;
  if (op === 'Cast' && a.name === 'to') return encodeAttribute('to', castTo(run, FLOAT16));
  if ((op === 'Constant' || op === 'ConstantOfShape') && a.name === 'value' && a.t && a.t.dataType === FLOAT) {
    const t = a.t;
    return rebuild(a, (f) => (f.no === ATTR.t ? [lenField(ATTR.t, convertTensor(run, t))] : undefined));
  }
  if (op === 'Constant' && (a.name === 'value_float' || a.name === 'value_floats')) {
    const vals = a.name === 'value_float' ? [a.f ?? 0] : (a.floats ?? []);
    const st = emptyStats();
    const raw = float32ArrayToFloat16(vals, run.clamp, st);
    addStats(run.stats, st);
    run.report.weights.tensorsConverted++;
    run.report.weights.bytesBefore += vals.length * 4;
    run.report.weights.bytesAfter += raw.length;
    return encodeAttribute('value', { kind: 'tensor', value: encodeTensor({ name: '', dataType: FLOAT16, dims: a.name === 'value_float' ? [] : [vals.length], raw }) });
  }
  return null;
}

/** A float32 TensorProto re-emitted as float16: data_type and payload replaced, every other field kept. */
function convertTensor(run: Run, t: TensorView): Part[] {
  run.signal?.throwIfAborted();
  const src = floatPayload(t);
  const st = emptyStats();
  const half = float32BytesToFloat16(src, run.clamp, st);
  addStats(run.stats, st);
  const w = run.report.weights;
  w.tensorsConverted++;
  w.bytesBefore += src.length;
  w.bytesAfter += half.length;
  run.floatBytesDone += src.length;
  run.onProgress?.({
    phase: 'convert',
    fraction: run.floatBytesTotal ? Math.min(1, run.floatBytesDone / run.floatBytesTotal) : 1,
    done: run.floatBytesDone,
    total: Math.max(run.floatBytesTotal, run.floatBytesDone),
    message: t.name,
  });
  let placed = false;
  const head = varintBytes(TENSOR.rawData * 8 + 2);
  const len = varintBytes(half.length);
  const rawField = [concat([head, len]), half];
  const parts = rebuild(t, (f) => {
    if (f.no === TENSOR.dataType) return [varintField(TENSOR.dataType, FLOAT16)];
    if (f.no === TENSOR.rawData || f.no === TENSOR.floatData) {
      if (placed) return [];
      placed = true;
      return rawField;
    }
    return undefined;
  });
  if (!placed) parts.push(...rawField); // empty tensor
  return parts;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** ValueInfoProto with a new tensor elem_type (0 = keep) and/or name; shape, denotation, docs kept. */
function retypeValueInfo(v: ValueInfoView, elem: number, name: string | null): Part[] {
  return rebuild(v, (f) => {
    if (f.no === 1 && name !== null) return [strField(1, name)];
    if (f.no === 2 && f.wt === WT_LEN && elem) {
      const typeSpan = { buf: v.buf, fields: readFields(v.buf, f.vstart, f.end) };
      const t = rebuild(typeSpan, (tf) => {
        if (tf.no !== 1 || tf.wt !== WT_LEN) return undefined;
        const ttSpan = { buf: v.buf, fields: readFields(v.buf, tf.vstart, tf.end) };
        let had = false;
        const tt = rebuild(ttSpan, (xf) => {
          if (xf.no !== 1) return undefined;
          had = true;
          return [varintField(1, elem)];
        });
        if (!had) tt.unshift(varintField(1, elem));
        return [lenField(1, tt)];
      });
      return [lenField(2, t)];
    }
    return undefined;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Bookkeeping

function collectNames(model: ModelView): Set<string> {
  const names = new Set<string>();
  const visit = (g: GraphView) => {
    for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) names.add(v.name);
    for (const t of g.initializers) names.add(t.name);
    for (const n of g.nodes) {
      if (n.name) names.add(n.name);
      for (const x of [...n.inputs, ...n.outputs]) if (x) names.add(x);
      for (const sg of subgraphsOf(n)) visit(sg);
    }
  };
  visit(model.graph);
  return names;
}

function metadataKey(model: ModelView, f: Field): string {
  for (const sf of readFields(model.buf, f.vstart, f.end)) if (sf.no === 1 && sf.wt === WT_LEN) return fieldString(model.buf, sf);
  return '';
}

function countFloatBytes(main: GCtx): number {
  let n = 0;
  forEachCtx(main, (ctx) => {
    for (const r of ctx.recs.values()) if (r.kind === 'init' && r.ct === FLOAT16 && r.tensor) n += floatPayload(r.tensor).length;
  });
  return n;
}

function emptyReport(opts: ResolvedFp16Options, originalBytes: number): Fp16Report {
  return {
    mode: 'fp16',
    options: { ...opts, defaultOpBlockList: DEFAULT_OP_BLOCK_LIST },
    originalBytes,
    convertedBytes: 0,
    ratio: 0,
    timeMs: 0,
    weights: {
      tensorsConverted: 0,
      valuesConverted: 0,
      bytesBefore: 0,
      bytesAfter: 0,
      clamped: 0,
      raisedToMinPositive: 0,
      flushedToZero: 0,
      subnormal: 0,
      nonFinite: 0,
      largestMagnitude: 0,
      keptFp32: [],
      outOfRange: [],
    },
    nodes: { total: 0, converted: 0, keptFp32: 0, castsInserted: 0, castsRetargeted: 0, castsRemoved: 0 },
    keptOps: [],
    unknownTypes: { count: 0, examples: [] },
    notes: [],
  };
}

function finishReport(run: Run, main: GCtx, parts: Piece[]): void {
  const r = run.report;
  let size = 0;
  for (const p of parts) size += p.length;
  r.convertedBytes = size;
  r.ratio = r.originalBytes ? size / r.originalBytes : 0;
  const s = run.stats;
  Object.assign(r.weights, {
    valuesConverted: s.count,
    clamped: s.clamped,
    raisedToMinPositive: s.raised,
    flushedToZero: s.flushed,
    subnormal: s.subnormal,
    nonFinite: s.nonFinite,
    largestMagnitude: Math.max(s.maxAbs, ...r.weights.outOfRange.map((o) => o.largestMagnitude)),
  });
  const kept = new Map<string, { count: number; reasons: Map<string, number>; examples: string[] }>();
  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans) {
      r.nodes.total++;
      if (p.mode === 'convert' || (p.mode === 'container' && p.n.opType === 'If' && p.hasFloat)) r.nodes.converted++;
      else if (p.mode === 'cast' && p.retype) r.nodes.converted++;
      else if (p.mode === 'keep' && p.hasFloat) {
        r.nodes.keptFp32++;
        const key = p.n.domain && !isDefaultDomain(p.n.domain) ? `${p.n.domain}:${p.n.opType}` : p.n.opType;
        const k = kept.get(key) ?? { count: 0, reasons: new Map<string, number>(), examples: [] as string[] };
        k.count++;
        k.reasons.set(p.reason ?? '?', (k.reasons.get(p.reason ?? '?') ?? 0) + 1);
        if (k.examples.length < 5) k.examples.push(p.n.name || p.n.outputs[0] || '?');
        kept.set(key, k);
      }
    }
  });
  r.keptOps = [...kept].map(
    ([op, k]): KeptOp => ({ op, count: k.count, reasons: [...k.reasons].map(([reason, count]) => ({ reason, count })), examples: k.examples }),
  );
  r.keptOps.sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
  r.unknownTypes = { count: run.unknownTypeValues.size, examples: [...run.unknownTypeValues].slice(0, 10) };
  if (r.unknownTypes.count) r.notes.push(`${r.unknownTypes.count} values have an unknown element type; nodes reading or writing them were left unchanged`);
  if (r.weights.keptFp32.length > 50) {
    const n = r.weights.keptFp32.length;
    r.weights.keptFp32 = r.weights.keptFp32.slice(0, 50);
    r.notes.push(`${n} float32 tensors kept in float32 (first 50 listed)`);
  }
}
