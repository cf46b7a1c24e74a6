/**
 * A small mutable working copy of the graph tree for the rewriter. Original nodes and initializers keep a
 * reference to their wire spans and are re-emitted verbatim (or with only inputs/outputs/attribute order
 * changed); new ones are encoded from scratch. Big payloads stay separate byte views.
 */
import { encodeAttribute, encodeTensor, type AttrValue } from '../onnx/encode.js';
import { ATTR, GRAPH, NODE, type AttributeView, type GraphView, type NodeView, type TensorView } from '../onnx/model.js';
import { WT_LEN, tagOf } from '../onnx/wire.js';
import { lazyComputed, lenField, rawField, rebuild, type Part } from '../onnx/writer.js';
import { recycle } from '../io/pool.js';
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

export interface WInit {
  name: string;
  dataType: number;
  dims: number[];
  /** Original initializer: emitted as it was. */
  src?: TensorView;
  /** New initializer's little-endian element bytes: given up front (small constants) or filled by its job. */
  raw?: Uint8Array;
  /** Byte length of `raw` for an initializer filled by a job (known before the job runs). */
  rawLength?: number;
  /** For a new float initializer that is a transpose of another (Gemm transB): where its values come from. */
  transposeOf?: WInit;
  /** Runs the (deferred) computation that fills `raw` of this initializer and its siblings. */
  job?: Job;
  /**
   * Set when planned: the job fills `stream` instead of `raw` (a big weight quantized chunk by chunk as it is
   * written, src/core/int8/numerics.ts quantizeTensorStreamed), so its bytes are never all in memory.
   */
  streamed?: boolean;
  /** Filled by the job of a `streamed` initializer: its bytes in order (arrays valid as quantizeTensorStreamed says). */
  stream?: () => AsyncIterable<Uint8Array>;
}

/**
 * A deferred tensor computation (quantization or transpose) that fills `raw` of its output initializers. It runs
 * when the writer reaches the first of its outputs; each output's bytes are released once written, so only the
 * tensors being written are in memory. `bytes` is its input size, for progress.
 */
export interface Job {
  kind: 'quantize' | 'transpose';
  label: string;
  bytes: number;
  outputs: WInit[];
  run: (signal?: AbortSignal) => Promise<void>;
  /** Called once per completed run (progress). */
  onDone?: (job: Job) => void;
  /** The run in progress or done whose outputs are not all taken yet. */
  pending?: Promise<void> | null;
  taken?: number;
}

/** The bytes of a job's output initializer `t`: runs the job if needed; releases them once every output took its own. */
export async function takeJobOutput(job: Job, t: WInit, signal?: AbortSignal): Promise<Uint8Array> {
  if (t.streamed) {
    // Someone wants the whole array (not the writer, which takes the chunks): gather them.
    const out = new Uint8Array(t.rawLength ?? 0);
    let at = 0;
    for await (const c of await takeJobStream(job, t, signal)) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  await runJob(job, signal);
  const b = t.raw;
  if (!b) throw new Error(`internal: job '${job.label}' did not fill '${t.name}'`);
  t.raw = undefined;
  taken(job);
  return b;
}

/** The chunks of a job's `streamed` output `t` (runs the job if needed; the chunks are computed as they are taken). */
export async function takeJobStream(job: Job, t: WInit, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
  await runJob(job, signal);
  const s = t.stream;
  if (!s) throw new Error(`internal: job '${job.label}' did not fill '${t.name}'`);
  t.stream = undefined;
  taken(job);
  return s();
}

function runJob(job: Job, signal?: AbortSignal): Promise<void> {
  if (!job.pending) {
    job.taken = 0;
    job.pending = job.run(signal).then(() => {
      signal?.throwIfAborted();
      job.onDone?.(job);
    });
  }
  return job.pending;
}

function taken(job: Job): void {
  job.taken = (job.taken ?? 0) + 1;
  if (job.taken >= job.outputs.length) job.pending = null;
}

export interface WNode {
  opType: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** The original node, when this node is (a possibly edited) original. */
  src?: NodeView;
  /** New node's attributes (emitted sorted by name, as onnx.helper.make_node does). */
  attrs?: [string, AttrValue][];
  /** New node's attributes copied from an original node (raw bytes, emitted sorted by name). */
  copiedAttrs?: AttributeView[];
  /** Rewritten subgraphs of an original node, by attribute (GRAPH: one entry, GRAPHS: several). */
  subgraphs?: Map<AttributeView, WGraph[]>;
  /** Attributes of an original node to leave out (opset upgrade). */
  dropAttrs?: string[];
}

export interface WGraph {
  src: GraphView;
  nodes: WNode[];
  inits: WInit[];
  /** Graph inputs dropped with their initializer (IR < 4 models list initializers as inputs). */
  removedInputs: Set<string>;
  parent: WGraph | null;
  /** Where this graph sits, for messages: "" for the main graph, else "If_0/then_branch". */
  path: string;
  /**
   * Declarations from shape inference (shapes.ts): the value_info to write instead of the file's, and graph inputs /
   * outputs (by index) whose types inference changed. Absent: the file's own are written.
   */
  declared?: { valueInfo: Part[]; inputs: Map<number, Uint8Array>; outputs: Map<number, Uint8Array> };
}

export function hasGraphAttr(n: NodeView): boolean {
  return n.attributes.some((a) => a.g || a.graphs);
}

export function buildGraph(g: GraphView, parent: WGraph | null, path: string): WGraph {
  const wg: WGraph = { src: g, nodes: [], inits: [], removedInputs: new Set(), parent, path };
  for (const t of g.initializers) wg.inits.push({ name: t.name, dataType: t.dataType, dims: [...t.dims], src: t });
  for (const n of g.nodes) {
    const wn: WNode = { opType: n.opType, domain: n.domain, name: n.name, inputs: [...n.inputs], outputs: [...n.outputs], src: n };
    if (hasGraphAttr(n)) {
      wn.subgraphs = new Map();
      const label = n.name || `${n.opType}(${n.outputs[0] ?? ''})`;
      for (const a of n.attributes) {
        if (a.g) wn.subgraphs.set(a, [buildGraph(a.g, wg, `${path ? `${path}/` : ''}${label}:${a.name}`)]);
        else if (a.graphs)
          wn.subgraphs.set(
            a,
            a.graphs.map((sg, i) => buildGraph(sg, wg, `${path ? `${path}/` : ''}${label}:${a.name}:${i}`)),
          );
      }
    }
    wg.nodes.push(wn);
  }
  return wg;
}

/** Visits a working graph and its subgraphs, depth first. */
export function forEachWGraph(g: WGraph, fn: (g: WGraph) => void): void {
  fn(g);
  for (const n of g.nodes) if (n.subgraphs) for (const gs of n.subgraphs.values()) for (const sg of gs) forEachWGraph(sg, fn);
}

export function attrOf(n: WNode, name: string): AttributeView | undefined {
  if (n.dropAttrs?.includes(name)) return undefined;
  return n.src?.attributes.find((a) => a.name === name) ?? n.copiedAttrs?.find((a) => a.name === name);
}

/** An original node's attributes, minus those dropped by the opset upgrade. */
export function keptAttrs(n: WNode): AttributeView[] {
  return (n.src?.attributes ?? []).filter((a) => !n.dropAttrs?.includes(a.name));
}

/** Python's default str ordering (code points), which sorted(kwargs) in make_node uses. */
export function cmpCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

function str(no: number, s: string): Uint8Array {
  return Writer.create().uint32(tagOf(no, WT_LEN)).string(s).finish();
}

function attrParts(n: WNode, a: AttributeView): Part[] {
  const subs = n.subgraphs?.get(a);
  if (!subs) return [lenField(NODE.attribute, rebuild(a))];
  let gi = 0;
  return [
    lenField(
      NODE.attribute,
      rebuild(a, (f) => {
        if (f.no === ATTR.g) return [lenField(ATTR.g, emitGraph(subs[0]!))];
        if (f.no === ATTR.graphs) return [lenField(ATTR.graphs, emitGraph(subs[gi++]!))];
        return undefined;
      }),
    ),
  ];
}

export function emitNode(n: WNode): Part[] {
  if (!n.src) {
    const parts: Part[] = [];
    for (const i of n.inputs) parts.push(str(NODE.input, i));
    for (const o of n.outputs) parts.push(str(NODE.output, o));
    if (n.name) parts.push(str(NODE.name, n.name));
    parts.push(str(NODE.opType, n.opType));
    const entries: [string, Part[]][] = [];
    for (const [k, v] of n.attrs ?? []) entries.push([k, [lenField(NODE.attribute, encodeAttribute(k, v))]]);
    for (const a of n.copiedAttrs ?? []) entries.push([a.name, [lenField(NODE.attribute, rebuild(a))]]);
    entries.sort((x, y) => cmpCodePoints(x[0], y[0]));
    for (const [, p] of entries) parts.push(...p);
    if (n.domain) parts.push(str(NODE.domain, n.domain));
    return parts;
  }
  const src = n.src;
  const same = !n.subgraphs && !n.dropAttrs && sameList(n.inputs, src.inputs) && sameList(n.outputs, src.outputs);
  if (same) return rebuild(src);
  // Edited original: new inputs/outputs first, then the other fields in their order; attributes sorted by name
  // when the node holds subgraphs (the reference rebuilds such nodes with onnx.helper.make_node).
  const parts: Part[] = [];
  for (const i of n.inputs) parts.push(str(NODE.input, i));
  for (const o of n.outputs) parts.push(str(NODE.output, o));
  let attrsDone = false;
  const attrs = src.attributes.filter((a) => !n.dropAttrs?.includes(a.name));
  if (n.subgraphs) attrs.sort((x, y) => cmpCodePoints(x.name, y.name));
  for (const f of src.fields) {
    if (f.no === NODE.input || f.no === NODE.output) continue;
    if (f.no === NODE.attribute) {
      if (!attrsDone) for (const a of attrs) parts.push(...attrParts(n, a));
      attrsDone = true;
      continue;
    }
    parts.push(rawField(src, f));
  }
  return parts;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function emitInit(t: WInit): Part[] {
  if (t.job) {
    const job = t.job;
    if (t.rawLength === undefined) throw new Error(`internal: initializer '${t.name}' has no length`);
    // Job outputs are handed to one read each and never kept (takeJobOutput): the writer may give them back to the pool.
    const lazy = lazyComputed(t.rawLength, (signal) => takeJobOutput(job, t, signal), t.name, recycle);
    return encodeTensor({
      name: t.name,
      dataType: t.dataType,
      dims: t.dims,
      raw: t.streamed
        ? {
            ...lazy,
            async *chunks(signal) {
              yield* await takeJobStream(job, t, signal);
            },
          }
        : lazy,
    });
  }
  if (t.src && !t.raw) return rebuild(t.src);
  if (!t.raw) throw new Error(`internal: initializer '${t.name}' was never computed`);
  return encodeTensor({ name: t.name, dataType: t.dataType, dims: t.dims, raw: t.raw });
}

/**
 * GraphProto body: nodes, then the original fields (name, ...), with the initializers at the place of the first
 * original initializer (or before the first field numbered above 5), dropped inputs removed. With `declared`, the
 * value_info list goes at the place of the first original value_info (or before the first field numbered above
 * 13) and changed inputs / outputs are written re-encoded.
 */
export function emitGraph(g: WGraph): Part[] {
  const parts: Part[] = [];
  for (const n of g.nodes) parts.push(lenField(GRAPH.node, emitNode(n)));
  let initsDone = false;
  const pushInits = () => {
    if (initsDone) return;
    initsDone = true;
    for (const t of g.inits) parts.push(lenField(GRAPH.initializer, emitInit(t)));
  };
  const decl = g.declared;
  let viDone = !decl;
  const pushValueInfo = () => {
    if (viDone) return;
    viDone = true;
    parts.push(...decl!.valueInfo);
  };
  const removed = g.removedInputs;
  let inputIndex = 0;
  let outputIndex = 0;
  for (const f of g.src.fields) {
    if (f.no === GRAPH.node) continue;
    if (f.no === GRAPH.initializer) {
      pushInits();
      continue;
    }
    if (f.no > GRAPH.initializer) pushInits();
    if (decl && f.no === GRAPH.valueInfo) {
      pushValueInfo();
      continue;
    }
    if (f.no > GRAPH.valueInfo) pushValueInfo();
    if (f.no === GRAPH.input) {
      const i = inputIndex++;
      const vi = g.src.inputs[i];
      if (vi && removed.has(vi.name)) continue;
      const r = decl?.inputs.get(i);
      if (r) {
        parts.push(lenField(GRAPH.input, [r]));
        continue;
      }
    }
    if (f.no === GRAPH.output) {
      const r = decl?.outputs.get(outputIndex++);
      if (r) {
        parts.push(lenField(GRAPH.output, [r]));
        continue;
      }
    }
    parts.push(rawField(g.src, f));
  }
  pushInits();
  pushValueInfo();
  return parts;
}
