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
import { encodeAttribute, encodeNode, encodeStringEntry, encodeTensor } from '../onnx/encode.js';
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
import { type Field, WT_I32, WT_LEN, fieldString, readFields } from '../onnx/wire.js';
import { type Part, lenField, rebuild, varintBytes, writeModel } from '../onnx/writer.js';
import {
  DEFAULT_OP_BLOCK_LIST,
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
  isDefaultDomain,
  subgraphsOf,
} from './types.js';

const FLOAT = DT.FLOAT;
const FLOAT16 = DT.FLOAT16;
/** A wanted type meaning "any type is fine" (Cast's input). */
const ANY = -1;

const f2h = (t: number): number => (t === FLOAT ? FLOAT16 : t);

/** Ops whose float output type is set by an attribute we know how to rewrite. */
const DTYPE_ATTR_OPS = new Set(['EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli']);

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
  /** Final type of each graph output. */
  outWant: number[];
  /** Output names after emission (subgraph outputs may be renamed to a Cast's output). */
  outNames: string[];
  /** `${value id}|${type}` -> Cast output name, for Casts emitted in this graph. */
  casts: Map<string, string>;
  extra: Emitted[];
  /** Main-graph outputs whose producer was renamed (value name -> output type). */
  renamedOutputs: Map<string, number>;
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
  parts: Uint8Array[];
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
    report: emptyReport(opts, model.buf.length),
    recId: new Map(),
    floatBytesTotal: 0,
    floatBytesDone: 0,
    ...(onProgress ? { onProgress } : {}),
    ...(signal ? { signal } : {}),
    unknownTypeValues: new Set(),
  };
  for (const m of info.mismatches.slice(0, 5)) run.report.notes.push(`declared type used over inferred: ${m}`);

  const main = buildCtx(run, model.graph, null, 'main', null);
  collectWants(run, main);
  decideSources(run, main);
  decideOutputs(run, main);
  removeNoopCasts(run, main);
  onProgress?.({ phase: 'analyze', fraction: 1 });

  run.floatBytesTotal = countFloatBytes(main);
  const graphParts = emitGraph(run, main).parts;
  signal?.throwIfAborted();
  onProgress?.({ phase: 'write', fraction: 0 });

  const meta = JSON.stringify({
    mode: 'fp16',
    tool: 'ava-quantizer',
    options: {
      keepIoTypes: opts.keepIoTypes,
      opBlockList: opts.opBlockList,
      nodeBlockList: opts.nodeBlockList,
      minPositive: opts.minPositive,
      maxFinite: opts.maxFinite,
    },
    defaultOpBlockList: 'onnxconverter-common 1.16 + TreeEnsemble',
  });
  const parts = writeModel(model, {
    graph: graphParts,
    replace: (f) => (f.no === MODEL.metadataProps && metadataKey(model, f) === CONVERSION_METADATA_KEY ? [] : undefined),
    append: [lenField(MODEL.metadataProps, encodeStringEntry(CONVERSION_METADATA_KEY, meta))],
  });

  finishReport(run, main, parts);
  run.report.timeMs = Math.round(performance.now() - t0);
  onProgress?.({ phase: 'write', fraction: 1 });
  return { parts, report: run.report };
}

// ---------------------------------------------------------------------------------------------------------
// Planning

function buildCtx(run: Run, g: GraphView, parent: GCtx | null, kind: GCtx['kind'], blockAll: string | null): GCtx {
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
    outWant: [],
    outNames: g.outputs.map((o) => o.name),
    casts: new Map(),
    extra: [],
    renamedOutputs: new Map(),
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

function keep(run: Run, p: NPlan, reason: string): void {
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

  // Subgraph bodies.
  if (subgraphAttrs.length) {
    const label = `inside ${op} node '${n.name || n.outputs[0] || '?'}'`;
    const containerBlocked = block ?? (defaultDomain && (op === 'If' || op === 'Loop' || op === 'Scan') ? null : `${op}: subgraphs of this op are not converted`);
    for (const a of subgraphAttrs) {
      const kind: GCtx['kind'] = op === 'If' && defaultDomain ? 'branch' : (op === 'Loop' || op === 'Scan') && defaultDomain ? 'body' : 'other';
      for (const sg of a.g ? [a.g] : (a.graphs ?? []))
        p.subs.push(buildCtx(run, sg, ctx, kind, containerBlocked ? (ctx.blockAll ?? `${label} (${containerBlocked})`) : null));
    }
    if (containerBlocked) {
      keep(run, p, containerBlocked);
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
    keep(run, p, block);
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
    keep(run, p, `no ONNX signature for ${op} at opset ${run.opset}`);
    return p;
  }
  const unknownIn = n.inputs.findIndex((x, i) => x && !inT[i]);
  const unknownOut = n.outputs.findIndex((x, i) => x && !outT[i]);
  if (unknownIn >= 0 || unknownOut >= 0) {
    keep(run, p, `element type of '${unknownIn >= 0 ? n.inputs[unknownIn] : n.outputs[unknownOut]}' unknown`);
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
    keep(run, p, err);
    return p;
  }
  let anyFloat = false;
  for (const [key, t] of bound) {
    if (t !== FLOAT) continue;
    const v = key.split('#')[0]!;
    const tv = sig.vars.get(v);
    if (!tv || !tv.types.has(FLOAT16)) {
      keep(run, p, `${op}-${sig.since} does not accept float16 for ${v}`);
      return p;
    }
    if (!fromInput.has(key)) {
      if (op === 'ConstantOfShape' || DTYPE_ATTR_OPS.has(op)) p.retype = true;
      else {
        keep(run, p, `${op}: output type set by an attribute that is not rewritten`);
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
    ctx.outWant = ctx.g.outputs.map((o) => {
      const t = ctx.scope.get(o.name) ?? UNKNOWN;
      if (ctx.kind === 'main') return run.opts.keepIoTypes ? t : f2h(t);
      return t; // branches are set by their If below; bodies keep their interface
    });
    for (const p of ctx.plans) {
      if (p.n.opType === 'If' && p.mode === 'container') for (const s of p.subs) s.outWant = [...p.outCt];
    }
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
        r.ct = ctx.kind === 'main' && !run.opts.keepIoTypes ? f2h(r.orig) : r.orig;
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
        const to = attr(p.n, 'to')?.i ?? UNKNOWN;
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

function castNode(run: Run, input: string, output: string, to: number, order: number): Emitted {
  run.report.nodes.castsInserted++;
  const name = fresh(run, `${output}_Cast`);
  return {
    parts: encodeNode({ opType: 'Cast', inputs: [input], outputs: [output], name, attributes: { to: { kind: 'int', value: to } } }),
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
  // Attributes a retyped node needs but did not have (ConstantOfShape's default value, a dtype).
  if (p.retype) {
    const op = n.opType;
    if (op === 'ConstantOfShape' && !attr(n, 'value'))
      parts.push(lenField(NODE.attribute, encodeAttribute('value', { kind: 'tensor', value: encodeTensor({ name: '', dataType: FLOAT16, dims: [1], raw: new Uint8Array(2) }) })));
    if (DTYPE_ATTR_OPS.has(op) && !attr(n, 'dtype')) parts.push(lenField(NODE.attribute, encodeAttribute('dtype', { kind: 'int', value: FLOAT16 })));
    if (op === 'Cast') run.report.nodes.castsRetargeted++;
  }
  return { parts, reads, writes, order: p.index };
}

/** Rewrites the attribute that sets a converted node's float output type. Returns null to keep it. */
function retypeAttribute(run: Run, p: NPlan, a: AttributeView): Part[] | null {
  const op = p.n.opType;
  if (op === 'Cast' && a.name === 'to') return encodeAttribute('to', { kind: 'int', value: FLOAT16 });
  if (DTYPE_ATTR_OPS.has(op) && a.name === 'dtype') return encodeAttribute('dtype', { kind: 'int', value: FLOAT16 });
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
  let src: Uint8Array;
  if (t.rawData) src = t.rawData;
  else {
    const chunks: Uint8Array[] = [];
    for (const f of t.typedFields) {
      if (f.no !== TENSOR.floatData) continue;
      if (f.wt === WT_LEN) chunks.push(t.buf.subarray(f.vstart, f.end));
      else if (f.wt === WT_I32) chunks.push(t.buf.subarray(f.vstart, f.vstart + 4));
    }
    src = chunks.length === 1 ? chunks[0]! : concat(chunks);
  }
  const st = emptyStats();
  const half = float32BytesToFloat16(src, run.clamp, st);
  addStats(run.stats, st);
  const w = run.report.weights;
  w.tensorsConverted++;
  w.bytesBefore += src.length;
  w.bytesAfter += half.length;
  run.floatBytesDone += src.length;
  run.onProgress?.({ phase: 'convert', fraction: run.floatBytesTotal ? Math.min(1, run.floatBytesDone / run.floatBytesTotal) : 1, message: t.name });
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
    for (const r of ctx.recs.values()) if (r.kind === 'init' && r.ct === FLOAT16 && r.tensor) n += r.tensor.rawData?.length ?? 0;
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
    },
    nodes: { total: 0, converted: 0, keptFp32: 0, castsInserted: 0, castsRetargeted: 0, castsRemoved: 0 },
    keptOps: [],
    unknownTypes: { count: 0, examples: [] },
    notes: [],
  };
}

function finishReport(run: Run, main: GCtx, parts: Uint8Array[]): void {
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
    largestMagnitude: s.maxAbs,
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
