/**
 * Phase 4, emission: the float32 weights the plan converts are converted (asynchronously, through payload.ts,
 * with progress and cancellation), then every graph is re-emitted from the plan: nodes in topological order with
 * their inputs renamed to the Casts placed by casts.ts, converted initializers and Constant values, retyped
 * value_info / inputs / outputs. Everything not touched (unknown fields, doc strings, metadata) is carried
 * through byte for byte.
 */
import { encodeAttribute, encodeTensor } from '../onnx/encode.js';
import { addStats, emptyStats, float32ArrayToFloat16 } from '../onnx/float16.js';
import { ATTR, type AttributeView, GRAPH, NODE, TENSOR, type TensorView, type ValueInfoView } from '../onnx/model.js';
import { topoSort } from '../onnx/toposort.js';
import { type Field, WT_LEN, readFields, tagOf } from '../onnx/wire.js';
import { type LazyPart, type Part, lazyComputed, lenField, rawDataField, rebuild, varintBytes } from '../onnx/writer.js';
import { castTo, readName } from './casts.js';
import { finishWeightStats } from './report.js';
import { HOLE_FIELD } from '../onnx/skeleton.js';
import { type Emitted, FLOAT, FLOAT16, type GCtx, type NPlan, type Run, resolve } from './graph.js';
import { convertToFloat16, float16ByteLength, float16Chunks, float32ByteLength } from './payload.js';
import { UNKNOWN, attr } from './types.js';
import { FIELD } from '../onnx/schema.generated.js';
import { recycle } from '../io/pool.js';

/** The float32 tensors the plan converts, in emission order: per graph, its nodes' tensors (subgraphs first), then its initializers. */
function tensorsToConvert(ctx: GCtx, out: TensorView[] = []): TensorView[] {
  for (const p of ctx.plans) {
    if (p.removed) continue;
    let sub = 0;
    for (const a of p.n.attributes) {
      if (a.g || a.graphs) {
        for (let k = 0; k < (a.g ? 1 : (a.graphs?.length ?? 0)); k++) tensorsToConvert(p.subs[sub++]!, out);
      } else if (p.retype && convertsValueTensor(p, a)) out.push(a.t!);
    }
  }
  for (const t of ctx.g.initializers) if (initializerConverts(ctx, t)) out.push(t);
  return out;
}

const convertsValueTensor = (p: NPlan, a: AttributeView): boolean =>
  (p.n.opType === 'Constant' || p.n.opType === 'ConstantOfShape') && a.name === 'value' && !!a.t && a.t.dataType === FLOAT;

function initializerConverts(ctx: GCtx, t: TensorView): boolean {
  const r = ctx.recs.get(t.name);
  return !!r && r.kind === 'init' && r.ct === FLOAT16 && t.dataType === FLOAT;
}

/**
 * Plans the conversion of every float32 tensor the plan turns into float16 (initializers and Constant /
 * ConstantOfShape values): each becomes a lazy payload converted when the writer reaches it (one tensor in memory at
 * a time), adding its value counts to run.stats and reporting progress by input bytes. Sizes are known up front.
 */
export function convertWeights(run: Run, main: GCtx): void {
  const list = tensorsToConvert(main).filter((t, i, a) => a.indexOf(t) === i);
  const total = list.reduce((a, t) => a + float32ByteLength(t), 0);
  let done = 0;
  const w = run.report.weights;
  for (const t of list) {
    if (run.converted.has(t)) continue;
    const before = float32ByteLength(t);
    w.tensorsConverted++;
    w.bytesBefore += before;
    w.bytesAfter += float16ByteLength(t);
    const finish = (st: ReturnType<typeof emptyStats>) => {
      addStats(run.stats, st);
      finishWeightStats(run);
      done += before;
      run.onProgress?.({ phase: 'convert', fraction: total ? Math.min(1, done / total) : 1, done, total, message: t.name });
    };
    const lazy: LazyPart = lazyComputed(
      float16ByteLength(t),
      async (signal) => {
        const st = emptyStats();
        const half = await convertToFloat16(t, run.clamp, st, signal);
        finish(st);
        return half;
      },
      t.name,
      recycle, // the converted array is this read's alone: the writer gives it back once written
    );
    // A big weight on disk is also offered chunk by chunk, so the writer writes it while the rest converts.
    const big = float16Chunks(t, run.clamp);
    run.converted.set(
      t,
      big
        ? {
            ...lazy,
            async *chunks(signal) {
              const st = emptyStats();
              yield* big(st, signal);
              finish(st);
            },
          }
        : lazy,
    );
  }
}

function strField(no: number, s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  const tag = varintBytes(tagOf(no, WT_LEN));
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

export interface EmittedGraph {
  parts: Part[];
  /** Names the emitted graph reads from enclosing graphs (orders the node that holds it). */
  outerReads: string[];
}

export function emitGraph(run: Run, ctx: GCtx): EmittedGraph {
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
  const pre = [...emitted, ...ctx.extra]
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.order - b.e.order || a.i - b.i)
    .map((x) => x.e);
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
        if (t && initializerConverts(ctx, t)) return [lenField(GRAPH.initializer, float16Tensor(run, t))];
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
        if (name !== v.name || (t && t !== v.elemType))
          return [lenField(GRAPH.output, retypeValueInfo(v, t, name !== v.name ? name : null))];
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
      parts.push(
        lenField(
          NODE.attribute,
          encodeAttribute('value', {
            kind: 'tensor',
            value: encodeTensor({ name: '', dataType: FLOAT16, dims: [1], raw: new Uint8Array(2) }),
          }),
        ),
      );
    if (op === 'Cast') run.report.nodes.castsRetargeted++;
  }
  return { parts, reads, writes, order: p.index };
}

/** Rewrites the attribute that sets a converted node's float output type. Returns null to keep it. */
function retypeAttribute(run: Run, p: NPlan, a: AttributeView): Part[] | null {
  const op = p.n.opType;
  if (op === 'Cast' && a.name === 'to') return encodeAttribute('to', castTo(run, FLOAT16));
  if (convertsValueTensor(p, a)) {
    const t = a.t!;
    return rebuild(a, (f) => (f.no === ATTR.t ? [lenField(ATTR.t, float16Tensor(run, t))] : undefined));
  }
  if (op === 'Constant' && (a.name === 'value_float' || a.name === 'value_floats')) {
    const vals = a.name === 'value_float' ? [a.f ?? 0] : (a.floats ?? []);
    const st = emptyStats();
    const raw = float32ArrayToFloat16(vals, run.clamp, st);
    addStats(run.stats, st);
    run.report.weights.tensorsConverted++;
    run.report.weights.bytesBefore += vals.length * 4;
    run.report.weights.bytesAfter += raw.length;
    return encodeAttribute('value', {
      kind: 'tensor',
      value: encodeTensor({ name: '', dataType: FLOAT16, dims: a.name === 'value_float' ? [] : [vals.length], raw }),
    });
  }
  return null;
}

/** A float32 TensorProto re-emitted as float16: data_type and payload replaced (converted by convertWeights), every other field kept. */
function float16Tensor(run: Run, t: TensorView): Part[] {
  const half = run.converted.get(t);
  if (!half) throw new Error(`internal: tensor '${t.name}' was not planned for conversion before emission`);
  let placed = false;
  const rawField = [rawDataField(half)];
  const parts = rebuild(t, (f) => {
    if (f.no === TENSOR.dataType) return [varintField(TENSOR.dataType, FLOAT16)];
    // The payload: raw_data, float_data, or the placeholder of a payload left on disk (see onnx/open.ts).
    if (f.no === TENSOR.rawData || f.no === TENSOR.floatData || f.no === HOLE_FIELD) {
      if (placed) return [];
      placed = true;
      return rawField;
    }
    return undefined;
  });
  if (!placed) parts.push(...rawField); // empty tensor
  return parts;
}

/** ValueInfoProto with a new tensor elem_type (0 = keep) and/or name; shape, denotation, docs kept. */
function retypeValueInfo(v: ValueInfoView, elem: number, name: string | null): Part[] {
  return rebuild(v, (f) => {
    const { ValueInfoProto: VI, TypeProto: TP, TypeProto_Tensor: TT } = FIELD;
    if (f.no === VI.name && name !== null) return [strField(VI.name, name)];
    if (f.no === VI.type && f.wt === WT_LEN && elem) {
      const typeSpan = { buf: v.buf, fields: readFields(v.buf, f.vstart, f.end) };
      const t = rebuild(typeSpan, (tf) => {
        if (tf.no !== TP.tensorType || tf.wt !== WT_LEN) return undefined;
        const ttSpan = { buf: v.buf, fields: readFields(v.buf, tf.vstart, tf.end) };
        let had = false;
        const tt = rebuild(ttSpan, (xf) => {
          if (xf.no !== TT.elemType) return undefined;
          had = true;
          return [varintField(TT.elemType, elem)];
        });
        if (!had) tt.unshift(varintField(TT.elemType, elem));
        return [lenField(TP.tensorType, tt)];
      });
      return [lenField(VI.type, t)];
    }
    return undefined;
  });
}
