/**
 * Fuzz cases: seeded, reproducible hostile inputs made from the real fixtures. `makeCase(seed, index, catalog)`
 * always gives the same bytes for the same arguments and base files. Families (one per case, in rotation so any
 * run of at least FAMILIES.length cases covers them all):
 *
 *  - byte level, on any base model: truncation (anywhere, or at a field boundary), bit flips (mostly in structure,
 *    not weights), runs of zero / 0xff bytes, huge / negative / off-by-a-few varint lengths, wrong wire types;
 *  - files that are not models: zip, gzip, HTML, JSON, PNG, PDF, GGUF, safetensors, LFS pointers, text, empty and
 *    random bytes, all named `.onnx`; valid protobuf that is not a ModelProto (a lone tensor, graph or node, random
 *    well-formed messages, a model whose graph is garbage or whose ir_version is absurd);
 *  - deep nesting: If nodes nested tens to thousands of levels;
 *  - graph level, on a valid base re-encoded with one edit (in the main graph or a subgraph): cycles, names nothing
 *    defines, names defined twice, unknown ops / domains / opset versions, absurd dims and element types;
 *  - external data: the base's weights moved to a sibling file, then one reference out of range (offset or length
 *    past the end, negative, not a number, overflowing), outside the folder (`..`, absolute, UNC, drive letters, NUL),
 *    or naming a file not given;
 *  - control: the base unchanged (every stage must succeed or refuse by design).
 */
import {
  type GraphView,
  type NodeView,
  type TensorView,
  GRAPH,
  NODE,
  ATTR,
  TENSOR,
  parseModel,
  type ModelView,
} from '../../src/core/onnx/model.js';
import { encodeNode, encodeOpset, encodeValueInfo } from '../../src/core/onnx/encode.js';
import { type Part, concatParts, flatten, lenField, rebuild, writeModel } from '../../src/core/onnx/writer.js';
import { type Field, readFields } from '../../src/core/onnx/wire.js';
import { Rng } from './rng.js';
import { type LocatedField, locateFields, structureRanges } from './structure.js';

export const FAMILIES = [
  'control',
  'truncate',
  'bitflip',
  'varint-length',
  'foreign-file',
  'cycle',
  'dangling-name',
  'wire-type',
  'external-data-range',
  'duplicate-name',
  'not-a-model',
  'unknown-op',
  'zero-run',
  'absurd-dims',
  'external-data-path',
  'deep-nesting',
] as const;
export type Family = (typeof FAMILIES)[number];

/** Base models by cost: ONNX node tests (tiny), small real models (< 3 MB), medium (< 16 MB), large (MiniLM-sized). */
export type Tier = 'node-test' | 'small' | 'medium' | 'large';

export interface Catalog {
  /** Base model ids per tier, in a fixed order. */
  tiers: Record<Tier, readonly string[]>;
  /** The bytes of a base model (callers must not modify them). */
  load(id: string): Uint8Array;
}

export interface FuzzCase {
  /** `<seed>-<index>`. */
  id: string;
  seed: number;
  index: number;
  family: Family;
  /** The base model's id ('' for synthetic cases). */
  base: string;
  /** What was done, for humans. */
  note: string;
  /** File name of the model as the user would give it. */
  modelName: string;
  model: Uint8Array;
  /** Files given with the model, by path relative to its folder. */
  siblings: Record<string, Uint8Array>;
}

const utf8 = new TextEncoder();
const cat = (...xs: Uint8Array[]) => concatParts(xs);
const bytesOf = (parts: Part[]): Uint8Array => concatParts(flatten(parts));

function varint(n: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Uint8Array.from(out);
}
const tag = (no: number, wt: number) => varint(no * 8 + wt);
const strField = (no: number, s: string | Uint8Array) => {
  const b = typeof s === 'string' ? utf8.encode(s) : s;
  return cat(tag(no, 2), varint(b.length), b);
};
const intField = (no: number, v: number | bigint) => cat(tag(no, 0), varint(v));
const splice = (b: Uint8Array, start: number, end: number, insert: Uint8Array) => cat(b.subarray(0, start), insert, b.subarray(end));

// ---- graph editing ------------------------------------------------------------------------------------------------

/** A graph of the model: the main graph (path []) or a subgraph reached by (node index, attribute index) steps. */
interface GraphAt {
  graph: GraphView;
  path: { node: number; attr: number; graphIndex: number | null }[];
}

function allGraphs(m: ModelView): GraphAt[] {
  const out: GraphAt[] = [];
  const walk = (g: GraphView, path: GraphAt['path']) => {
    out.push({ graph: g, path });
    if (path.length > 8) return;
    g.nodes.forEach((n, ni) =>
      n.attributes.forEach((a, ai) => {
        if (a.g) walk(a.g, [...path, { node: ni, attr: ai, graphIndex: null }]);
        a.graphs?.forEach((sg, gi) => walk(sg, [...path, { node: ni, attr: ai, graphIndex: gi }]));
      }),
    );
  };
  walk(m.graph, []);
  return out;
}

/** Replacement of a graph's fields: by (field number, index among fields of that number) -> parts ([] drops). */
type GraphEdit = (no: number, i: number, f: Field) => Part[] | undefined;

function fieldIndexer(): (f: Field) => number {
  const counts = new Map<number, number>();
  return (f) => {
    const i = counts.get(f.no) ?? 0;
    counts.set(f.no, i + 1);
    return i;
  };
}

/** The graph body with `edit` applied, at `path` inside `g` (rebuilding the nodes and attributes on the way). */
function rebuildGraph(g: GraphView, path: GraphAt['path'], edit: GraphEdit, append: Part[] = []): Part[] {
  const idx = fieldIndexer();
  if (!path.length) return rebuild(g, (f) => edit(f.no, idx(f), f), append);
  const [step, ...rest] = path;
  return rebuild(g, (f) => {
    const i = idx(f);
    if (f.no !== GRAPH.node || i !== step!.node) return undefined;
    const node = g.nodes[i]!;
    const aidx = fieldIndexer();
    const nodeBody = rebuild(node, (nf) => {
      if (nf.no !== NODE.attribute) return undefined;
      const ai = aidx(nf);
      if (ai !== step!.attr) return undefined;
      const a = node.attributes[ai]!;
      const gidx = fieldIndexer();
      const attrBody = rebuild(a, (af) => {
        if (af.no === ATTR.g && step!.graphIndex === null) return [lenField(ATTR.g, rebuildGraph(a.g!, rest, edit, append))];
        if (af.no === ATTR.graphs) {
          const gi = gidx(af);
          if (gi === step!.graphIndex) return [lenField(ATTR.graphs, rebuildGraph(a.graphs![gi]!, rest, edit, append))];
        }
        return undefined;
      });
      return [lenField(NODE.attribute, attrBody)];
    });
    return [lenField(GRAPH.node, nodeBody)];
  });
}

function emitWithGraph(m: ModelView, graphBody: Part[]): Uint8Array {
  return concatParts(writeModel(m, { graph: graphBody }));
}

/** A node re-encoded with new inputs / outputs / op type / domain (other fields kept in place). */
function editedNode(n: NodeView, e: { inputs?: string[]; outputs?: string[]; opType?: string; domain?: string }): Part[] {
  let doneIn = false;
  let doneOut = false;
  let doneDomain = false;
  const parts = rebuild(n, (f) => {
    if (f.no === NODE.input && e.inputs) {
      if (doneIn) return [];
      doneIn = true;
      return e.inputs.map((s) => strField(NODE.input, s));
    }
    if (f.no === NODE.output && e.outputs) {
      if (doneOut) return [];
      doneOut = true;
      return e.outputs.map((s) => strField(NODE.output, s));
    }
    if (f.no === NODE.opType && e.opType !== undefined) return [strField(NODE.opType, e.opType)];
    if (f.no === NODE.domain && e.domain !== undefined) {
      doneDomain = true;
      return [strField(NODE.domain, e.domain)];
    }
    return undefined;
  });
  if (e.inputs && !doneIn) parts.unshift(...e.inputs.map((s) => strField(NODE.input, s)));
  if (e.outputs && !doneOut) parts.push(...e.outputs.map((s) => strField(NODE.output, s)));
  if (e.domain !== undefined && !doneDomain) parts.push(strField(NODE.domain, e.domain));
  return parts;
}

/** A tensor re-encoded with new dims and/or data type. */
function editedTensor(t: TensorView, e: { dims?: (number | bigint)[]; dataType?: number; name?: string }): Part[] {
  let doneDims = false;
  let doneType = false;
  const parts = rebuild(t, (f) => {
    if (f.no === TENSOR.dims && e.dims) {
      if (doneDims) return [];
      doneDims = true;
      return e.dims.map((d) => intField(TENSOR.dims, d));
    }
    if (f.no === TENSOR.dataType && e.dataType !== undefined) {
      doneType = true;
      return [intField(TENSOR.dataType, e.dataType)];
    }
    if (f.no === TENSOR.name && e.name !== undefined) return [strField(TENSOR.name, e.name)];
    return undefined;
  });
  if (e.dims && !doneDims) parts.unshift(...e.dims.map((d) => intField(TENSOR.dims, d)));
  if (e.dataType !== undefined && !doneType) parts.push(intField(TENSOR.dataType, e.dataType));
  return parts;
}

/** Names the graph defines (inputs, initializers, node outputs). */
function definedNames(g: GraphView): string[] {
  return [...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name), ...g.nodes.flatMap((n) => n.outputs)].filter(Boolean);
}

/** Node indices reachable downstream from node i (through its outputs). */
function downstream(g: GraphView, i: number): number[] {
  const consumers = new Map<string, number[]>();
  g.nodes.forEach((n, k) => n.inputs.forEach((x) => x && consumers.set(x, [...(consumers.get(x) ?? []), k])));
  const seen = new Set<number>();
  const stack = [i];
  while (stack.length) {
    const k = stack.pop()!;
    for (const o of g.nodes[k]!.outputs)
      for (const c of consumers.get(o) ?? [])
        if (!seen.has(c)) {
          seen.add(c);
          stack.push(c);
        }
  }
  seen.delete(i);
  return [...seen];
}

// ---- families -------------------------------------------------------------------------------------------------------

type Made = { model: Uint8Array; note: string; siblings?: Record<string, Uint8Array>; modelName?: string };

function pickGraph(r: Rng, m: ModelView, needNodes = 1): GraphAt | null {
  const gs = allGraphs(m).filter((g) => g.graph.nodes.length >= needNodes);
  if (!gs.length) return null;
  const main = gs.find((g) => g.path.length === 0);
  return main && r.chance(0.6) ? main : r.pick(gs);
}

const where = (g: GraphAt) => (g.path.length ? `subgraph '${g.graph.name}' (depth ${g.path.length})` : 'the main graph');

function truncate(r: Rng, b: Uint8Array, fields: LocatedField[]): Made {
  let at: number;
  if (fields.length && r.chance(0.5)) {
    const f = r.pick(fields);
    at = Math.max(0, Math.min(b.length - 1, r.pick([f.start, f.lenAt, f.vstart, f.end]) + r.range(-2, 2)));
  } else at = r.int(b.length);
  return { model: b.slice(0, at), note: `truncated at byte ${at} of ${b.length}` };
}

function structureOffset(r: Rng, b: Uint8Array, ranges: [number, number][]): number {
  if (!ranges.length || r.chance(0.2)) return r.int(b.length);
  const total = ranges.reduce((a, [s, e]) => a + e - s, 0);
  let k = r.int(total);
  for (const [s, e] of ranges) {
    if (k < e - s) return s + k;
    k -= e - s;
  }
  return r.int(b.length);
}

function bitflip(r: Rng, b: Uint8Array, ranges: [number, number][]): Made {
  const out = b.slice();
  const n = r.pick([1, 1, 2, 4, 8, 16]);
  const at: number[] = [];
  for (let k = 0; k < n; k++) {
    const p = structureOffset(r, b, ranges);
    out[p]! ^= 1 << r.int(8);
    at.push(p);
  }
  return { model: out, note: `${n} bit flip(s) at bytes ${at.slice(0, 8).join(', ')}` };
}

function zeroRun(r: Rng, b: Uint8Array, ranges: [number, number][]): Made {
  const out = b.slice();
  const p = structureOffset(r, b, ranges);
  const len = Math.min(b.length - p, r.pick([1, 4, 16, 64, 256, 4096]));
  const v = r.pick([0, 0, 0xff, 0x80]);
  out.fill(v, p, p + len);
  return { model: out, note: `${len} bytes set to 0x${v.toString(16)} at byte ${p}` };
}

function varintLength(r: Rng, b: Uint8Array, fields: LocatedField[]): Made | null {
  const lens = fields.filter((f) => f.wt === 2);
  if (!lens.length) return null;
  const f = r.pick(lens);
  const len = f.end - f.vstart;
  const choice = r.pick(['huge', 'huge', 'negative', 'max', 'off', 'off', 'zero', '2^31', '2^32']);
  const v: bigint =
    choice === 'huge'
      ? BigInt(r.range(2 ** 20, 2 ** 30)) * 1024n
      : choice === 'negative'
        ? BigInt(-r.range(1, 1 << 20))
        : choice === 'max'
          ? (1n << 64n) - 1n
          : choice === 'zero'
            ? 0n
            : choice === '2^31'
              ? 2n ** 31n
              : choice === '2^32'
                ? 2n ** 32n + BigInt(len)
                : BigInt(Math.max(0, len + r.pick([-16, -3, -1, 1, 2, 7, 100])));
  return {
    model: splice(b, f.lenAt, f.vstart, varint(v)),
    note: `length of field ${f.no} (${f.parent}, depth ${f.depth}, at byte ${f.start}) ${len} -> ${BigInt.asIntN(64, v)} (${choice})`,
  };
}

function wireType(r: Rng, b: Uint8Array, fields: LocatedField[]): Made | null {
  const nonPayload = fields.filter((f) => !f.payload);
  if (!nonPayload.length) return null;
  const f = r.pick(nonPayload);
  const wt = r.pick([0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== f.wt));
  return {
    model: splice(b, f.start, f.lenAt === f.vstart && f.wt !== 2 ? tagEnd(b, f.start) : f.lenAt, tag(f.no, wt)),
    note: `field ${f.no} (${f.parent}, at byte ${f.start}) wire type ${f.wt} -> ${wt}`,
  };
}

function tagEnd(b: Uint8Array, start: number): number {
  let p = start;
  while (p < b.length && b[p]! & 0x80) p++;
  return p + 1;
}

function foreignFile(r: Rng): Made {
  const text = (s: string) => utf8.encode(s);
  const kind = r.pick([
    'zip',
    'gzip',
    'html',
    'json',
    'png',
    'pdf',
    'gguf',
    'safetensors',
    'lfs',
    'text',
    'empty',
    'random',
    'random-small',
    'utf16',
    'elf',
    'ff',
  ]);
  const rnd = (n: number) => r.bytes(n);
  const body: Record<string, () => Uint8Array> = {
    zip: () => cat(Uint8Array.from([0x50, 0x4b, 3, 4]), rnd(r.range(0, 4000))),
    gzip: () => cat(Uint8Array.from([0x1f, 0x8b, 8, 0]), rnd(r.range(0, 4000))),
    html: () => text(`<!DOCTYPE html><html><head><title>404</title></head><body><script>window.__pwned=1</script>Not found</body></html>`),
    json: () => text(JSON.stringify({ version: '1.0', model: { type: 'WordPiece', vocab: { '[PAD]': 0 } } })),
    png: () => cat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), rnd(r.range(0, 2000))),
    pdf: () => cat(text('%PDF-1.7\n'), rnd(500)),
    gguf: () => cat(text('GGUF'), Uint8Array.from([3, 0, 0, 0]), rnd(200)),
    safetensors: () => {
      const hdr = text('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
      return cat(Uint8Array.from([hdr.length, 0, 0, 0, 0, 0, 0, 0]), hdr, new Uint8Array(8));
    },
    lfs: () => text('version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 90000000\n'),
    text: () => text('This file was renamed to model.onnx by mistake. '.repeat(r.range(1, 40))),
    empty: () => new Uint8Array(0),
    random: () => rnd(r.range(1, 65536)),
    'random-small': () => rnd(r.range(1, 16)),
    utf16: () => cat(Uint8Array.from([0xff, 0xfe]), ...[...'model'].map((c) => Uint8Array.from([c.charCodeAt(0), 0]))),
    elf: () => cat(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]), rnd(300)),
    ff: () => new Uint8Array(r.range(1, 5000)).fill(0xff),
  };
  return { model: body[kind]!(), note: `a ${kind} file named .onnx` };
}

/** A random well-formed protobuf message (field numbers 1..40, every wire type, nested up to `depth`). */
function randomMessage(r: Rng, depth: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const n = r.range(1, 8);
  for (let k = 0; k < n; k++) {
    const no = r.range(1, 40);
    const wt = r.pick([0, 1, 2, 5]);
    if (wt === 0) parts.push(intField(no, r.int(2 ** 32)));
    else if (wt === 1) parts.push(cat(tag(no, 1), r.bytes(8)));
    else if (wt === 5) parts.push(cat(tag(no, 5), r.bytes(4)));
    else parts.push(strField(no, depth > 0 && r.chance(0.5) ? randomMessage(r, depth - 1) : r.bytes(r.range(0, 40))));
  }
  return cat(...parts);
}

function notAModel(r: Rng, base: Uint8Array | null, fields: LocatedField[]): Made {
  const kind = r.pick([
    'tensor',
    'graph',
    'node',
    'random',
    'random',
    'garbage-graph',
    'ir-only',
    'ir-absurd',
    'unknown-fields',
    'opset-only',
  ]);
  const pickField = (parent: string, no: number) => {
    const fs = fields.filter((f) => f.parent === parent && f.no === no && f.wt === 2);
    return fs.length ? r.pick(fs) : null;
  };
  const valueOf = (f: LocatedField | null) => (f && base ? base.slice(f.vstart, f.end) : null);
  switch (kind) {
    case 'tensor': {
      const v = valueOf(pickField('graph', GRAPH.initializer));
      if (v) return { model: v, note: 'a lone TensorProto (an initializer of the base)' };
      break;
    }
    case 'graph': {
      const v = valueOf(pickField('model', 7));
      if (v) return { model: v, note: 'a lone GraphProto (the base graph without its ModelProto)' };
      break;
    }
    case 'node': {
      const v = valueOf(pickField('graph', GRAPH.node));
      if (v) return { model: v, note: 'a lone NodeProto' };
      break;
    }
    case 'garbage-graph':
      return {
        model: cat(intField(1, 8), strField(7, r.bytes(r.range(1, 300))), strField(8, bytesOf(encodeOpset('', 17)))),
        note: 'a ModelProto whose graph field holds random bytes',
      };
    case 'ir-only':
      return { model: intField(1, r.range(1, 12)), note: 'a ModelProto with only ir_version' };
    case 'ir-absurd': {
      const ir = r.pick([0n, -1n, 2n ** 40n, 1000n]);
      const graph = bytesOf([
        lenField(GRAPH.node, encodeNode({ opType: 'Relu', inputs: ['x'], outputs: ['y'] })),
        lenField(GRAPH.input, encodeValueInfo('x', 1, [1])),
        lenField(GRAPH.output, encodeValueInfo('y', 1, [1])),
      ]);
      return {
        model: cat(intField(1, ir), strField(7, graph), strField(8, bytesOf(encodeOpset('', 17)))),
        note: `a tiny model with ir_version ${ir}`,
      };
    }
    case 'unknown-fields':
      return {
        model: cat(intField(1000, 5), strField(2000, r.bytes(20)), intField(30000, 1)),
        note: 'a protobuf with only unknown fields',
      };
    case 'opset-only':
      return { model: cat(intField(1, 8), strField(8, bytesOf(encodeOpset('', 17)))), note: 'a ModelProto with an opset but no graph' };
  }
  return { model: randomMessage(r, r.range(0, 4)), note: 'a random well-formed protobuf message' };
}

function deepNesting(r: Rng): Made {
  const depth = r.pick([33, 40, 120, 1000, 5000, 30000]);
  return { model: nestedIfModel(depth), note: `If subgraphs nested ${depth} deep` };
}

/** A model whose main graph holds an If whose then-branch holds an If … `depth` levels of subgraphs. */
export function nestedIfModel(depth: number): Uint8Array {
  // Innermost: a graph with an Identity on an outer-scope name; each level: If(c) { then: the deeper graph, else: a
  // one-node graph }. Built inside out as prefix and suffix chunks, so each level costs its own bytes only.
  const inner: Uint8Array = bytesOf([
    lenField(GRAPH.node, encodeNode({ opType: 'Identity', inputs: ['x'], outputs: [`y${depth}`] })),
    strField(GRAPH.name, `g${depth}`),
    lenField(GRAPH.output, encodeValueInfo(`y${depth}`, 1, [1])),
  ]);
  const prefixes: Uint8Array[] = [];
  const suffixes: Uint8Array[] = [];
  let innerLen = inner.length;
  for (let d = depth - 1; d >= 0; d--) {
    const shallow = bytesOf([
      lenField(GRAPH.node, encodeNode({ opType: 'Identity', inputs: ['x'], outputs: [`e${d}`] })),
      strField(GRAPH.name, `e${d}`),
      lenField(GRAPH.output, encodeValueInfo(`e${d}`, 1, [1])),
    ]);
    const elseAttr = strField(NODE.attribute, cat(strField(ATTR.name, 'else_branch'), strField(ATTR.g, shallow), intField(ATTR.type, 5)));
    const pre1 = cat(strField(ATTR.name, 'then_branch'), tag(ATTR.g, 2), varint(innerLen));
    const post1 = intField(ATTR.type, 5);
    const thenLen = pre1.length + innerLen + post1.length;
    const nodePre = cat(
      strField(NODE.input, 'c'),
      strField(NODE.output, `y${d}`),
      strField(NODE.opType, 'If'),
      tag(NODE.attribute, 2),
      varint(thenLen),
    );
    const nodeLen = nodePre.length + thenLen + elseAttr.length;
    const io = d === 0 ? [lenField(GRAPH.input, encodeValueInfo('c', 9, [])), lenField(GRAPH.input, encodeValueInfo('x', 1, [1]))] : [];
    const tail = bytesOf([strField(GRAPH.name, `g${d}`), ...io, lenField(GRAPH.output, encodeValueInfo(`y${d}`, 1, [1]))]);
    const head = cat(tag(GRAPH.node, 2), varint(nodeLen));
    prefixes.push(cat(head, nodePre, pre1));
    suffixes.push(cat(post1, elseAttr, tail));
    innerLen = head.length + nodeLen + tail.length;
  }
  const graph = cat(...prefixes.reverse(), inner, ...suffixes);
  return cat(intField(1, 8), strField(7, graph), strField(8, bytesOf(encodeOpset('', 17))));
}

function cycle(r: Rng, m: ModelView): Made | null {
  const at = pickGraph(r, m, 1);
  if (!at) return null;
  const g = at.graph;
  const i = r.int(g.nodes.length);
  const down = downstream(g, i);
  const j = down.length && r.chance(0.8) ? r.pick(down) : i;
  const src = g.nodes[j]!.outputs.find(Boolean);
  if (!src) return null;
  const n = g.nodes[i]!;
  const inputs = n.inputs.length ? n.inputs.map((x, k) => (k === r.int(n.inputs.length) ? src : x)) : [src];
  if (!inputs.includes(src)) inputs[0] = src;
  const body = rebuildGraph(m.graph, at.path, (no, k) =>
    no === GRAPH.node && k === i ? [lenField(GRAPH.node, editedNode(n, { inputs }))] : undefined,
  );
  return {
    model: emitWithGraph(m, body),
    note: `${where(at)}: node ${i} (${n.opType}) now reads '${src}' from node ${j}${j === i ? ' (itself)' : ' downstream of it'}`,
  };
}

function danglingName(r: Rng, m: ModelView): Made | null {
  const at = pickGraph(r, m, 1);
  if (!at) return null;
  const g = at.graph;
  const kind = r.pick(['input', 'input', 'output-of-graph', 'drop-producer']);
  if (kind === 'output-of-graph' && g.outputs.length) {
    const k = r.int(g.outputs.length);
    const body = rebuildGraph(m.graph, at.path, (no, idx) => {
      if (no !== GRAPH.output || idx !== k) return undefined;
      const vi = g.outputs[k]!;
      return [
        lenField(
          GRAPH.output,
          rebuild(vi, (vf) => (vf.no === 1 ? [strField(1, `${vi.name}__nowhere`)] : undefined)),
        ),
      ];
    });
    return { model: emitWithGraph(m, body), note: `${where(at)}: graph output ${k} renamed to a name nothing defines` };
  }
  if (kind === 'drop-producer') {
    const i = r.int(g.nodes.length);
    const body = rebuildGraph(m.graph, at.path, (no, idx) => (no === GRAPH.node && idx === i ? [] : undefined));
    return { model: emitWithGraph(m, body), note: `${where(at)}: node ${i} (${g.nodes[i]!.opType}) removed, its outputs dangle` };
  }
  const withInputs = g.nodes.map((n, i) => [n, i] as const).filter(([n]) => n.inputs.some(Boolean));
  if (!withInputs.length) return null;
  const [n, i] = r.pick(withInputs);
  const k = r.pick(n.inputs.map((x, idx) => [x, idx] as const).filter(([x]) => x)).at(1) as number;
  const name = r.pick([`${n.inputs[k]}_`, 'undefined', '\u0000', `x${r.int(1e6)}`, n.inputs[k]!.toUpperCase() + 'Z']);
  const inputs = n.inputs.map((x, idx) => (idx === k ? name : x));
  const body = rebuildGraph(m.graph, at.path, (no, idx) =>
    no === GRAPH.node && idx === i ? [lenField(GRAPH.node, editedNode(n, { inputs }))] : undefined,
  );
  return { model: emitWithGraph(m, body), note: `${where(at)}: input ${k} of node ${i} (${n.opType}) renamed to ${JSON.stringify(name)}` };
}

function duplicateName(r: Rng, m: ModelView): Made | null {
  const at = pickGraph(r, m, 1);
  if (!at) return null;
  const g = at.graph;
  const kind = r.pick(['copy-node', 'output-clash', 'initializer-clash', 'output-is-input']);
  if (kind === 'copy-node' || g.nodes.length < 2) {
    const i = r.int(g.nodes.length);
    const n = g.nodes[i]!;
    const copy = rebuild(n);
    const body = rebuildGraph(m.graph, at.path, (no, idx) =>
      no === GRAPH.node && idx === i ? [lenField(GRAPH.node, rebuild(n)), lenField(GRAPH.node, copy)] : undefined,
    );
    return { model: emitWithGraph(m, body), note: `${where(at)}: node ${i} (${n.opType}) appears twice` };
  }
  if (kind === 'initializer-clash' && g.initializers.length >= 2) {
    const a = r.int(g.initializers.length);
    let b = r.int(g.initializers.length - 1);
    if (b >= a) b++;
    const t = g.initializers[b]!;
    const body = rebuildGraph(m.graph, at.path, (no, idx) =>
      no === GRAPH.initializer && idx === b ? [lenField(GRAPH.initializer, editedTensor(t, { name: g.initializers[a]!.name }))] : undefined,
    );
    return {
      model: emitWithGraph(m, body),
      note: `${where(at)}: initializer ${b} renamed to '${g.initializers[a]!.name}' (defined twice)`,
    };
  }
  const i = r.int(g.nodes.length);
  const n = g.nodes[i]!;
  const others = kind === 'output-is-input' ? g.inputs.map((v) => v.name) : definedNames(g).filter((x) => !n.outputs.includes(x));
  if (!others.length || !n.outputs.length) return null;
  const name = r.pick(others);
  const outputs = n.outputs.map((o, k) => (k === 0 ? name : o));
  const body = rebuildGraph(m.graph, at.path, (no, idx) =>
    no === GRAPH.node && idx === i ? [lenField(GRAPH.node, editedNode(n, { outputs }))] : undefined,
  );
  return { model: emitWithGraph(m, body), note: `${where(at)}: node ${i} (${n.opType}) now also defines '${name}'` };
}

function unknownOp(r: Rng, m: ModelView): Made | null {
  const kind = r.pick(['op', 'op', 'domain', 'opset-version', 'empty-op']);
  if (kind === 'opset-version') {
    const v = r.pick([0, -3, 99999, 2 ** 40]);
    const model = concatParts(
      writeModel(m, {
        replace: (f) =>
          f.no === 8
            ? [
                lenField(
                  8,
                  rebuild({ buf: m.buf, fields: readFields(m.buf, f.vstart, f.end) }, (sf) => (sf.no === 2 ? [intField(2, v)] : undefined)),
                ),
              ]
            : undefined,
      }),
    );
    return { model, note: `every opset_import version set to ${v}` };
  }
  const at = pickGraph(r, m, 1);
  if (!at) return null;
  const g = at.graph;
  const i = r.int(g.nodes.length);
  const n = g.nodes[i]!;
  const e =
    kind === 'domain'
      ? { domain: r.pick(['com.example.evil', 'ai.onnx.ml', 'com.microsoft', '\u202e']) }
      : { opType: kind === 'empty-op' ? '' : r.pick(['AvaNoSuchOp', `${n.opType}X`, n.opType.toLowerCase(), '<script>']) };
  const body = rebuildGraph(m.graph, at.path, (no, idx) =>
    no === GRAPH.node && idx === i ? [lenField(GRAPH.node, editedNode(n, e))] : undefined,
  );
  return { model: emitWithGraph(m, body), note: `${where(at)}: node ${i} (${n.opType}) -> ${JSON.stringify(e)}` };
}

function absurdDims(r: Rng, m: ModelView): Made | null {
  const at = pickGraph(r, m, 0)!;
  const g = at.graph;
  const huge = () => r.pick<number | bigint>([2 ** 31, 2 ** 32 + 1, 2 ** 40, 2n ** 62n, 2n ** 63n - 1n, -1, -7, 0, 2 ** 53 + 2]);
  const kind = r.pick(['initializer-dims', 'initializer-dims', 'initializer-rank', 'initializer-type', 'input-dims', 'input-type']);
  if (kind.startsWith('initializer') && g.initializers.length) {
    const k = r.int(g.initializers.length);
    const t = g.initializers[k]!;
    const e =
      kind === 'initializer-dims'
        ? { dims: t.dims.length ? t.dims.map((d, i) => (i === r.int(t.dims.length) ? huge() : d)) : [huge()] }
        : kind === 'initializer-rank'
          ? { dims: Array.from({ length: r.pick([9, 64, 1000]) }, () => r.pick([1, 1, 2])) }
          : { dataType: r.pick([0, 8, 12, 17, 23, 99, 999, -1]) };
    const body = rebuildGraph(m.graph, at.path, (no, idx) =>
      no === GRAPH.initializer && idx === k ? [lenField(GRAPH.initializer, editedTensor(t, e))] : undefined,
    );
    return {
      model: emitWithGraph(m, body),
      note: `${where(at)}: initializer '${t.name}' ${JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v)).slice(0, 200)}`,
    };
  }
  const vis = g.inputs.length ? g.inputs : g.outputs;
  if (!vis.length) return null;
  const no = g.inputs.length ? GRAPH.input : GRAPH.output;
  const k = r.int(vis.length);
  const v = vis[k]!;
  const elem = kind === 'input-type' ? r.pick([0, 13, 99, 999, -5]) : v.elemType || 1;
  const dims =
    kind === 'input-type'
      ? (v.shape ?? []).map((d) => d.value ?? d.param ?? null)
      : Array.from({ length: r.range(1, 4) }, () => Number(BigInt.asIntN(53, BigInt(huge()))));
  const body = rebuildGraph(m.graph, at.path, (fno, idx) =>
    fno === no && idx === k ? [lenField(no, encodeValueInfo(v.name, elem, dims))] : undefined,
  );
  return {
    model: emitWithGraph(m, body),
    note: `${where(at)}: ${no === GRAPH.input ? 'input' : 'output'} '${v.name}' type ${elem} shape [${dims.join(', ')}]`,
  };
}

/** The base with every initializer payload of at least 64 bytes moved to `weights.bin` (as onnx saves external data). */
function externalize(
  m: ModelView,
  location = 'weights.bin',
): { model: Uint8Array; data: Uint8Array; moved: { name: string; offset: number; length: number; index: number }[] } {
  const chunks: Uint8Array[] = [];
  const moved: { name: string; offset: number; length: number; index: number }[] = [];
  let offset = 0;
  const idx = fieldIndexer();
  const body = rebuild(m.graph, (f) => {
    if (f.no !== GRAPH.initializer) return undefined;
    const i = idx(f);
    const t = m.graph.initializers[i]!;
    if (!t.rawData || t.rawData.length < 64) return undefined;
    const pad = (4096 - (offset % 4096)) % 4096;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    moved.push({ name: t.name, offset, length: t.rawData.length, index: i });
    chunks.push(t.rawData);
    const parts = rebuild(t, (tf) =>
      tf.no === TENSOR.rawData
        ? [
            entry('location', location),
            entry('offset', String(offset)),
            entry('length', String(t.rawData!.length)),
            intField(TENSOR.dataLocation, 1),
          ]
        : undefined,
    );
    offset += t.rawData.length;
    return [lenField(GRAPH.initializer, parts)];
  });
  return { model: emitWithGraph(m, body), data: cat(...chunks), moved };
}
const entry = (k: string, v: string) => strField(TENSOR.externalData, cat(strField(1, k), strField(2, v)));

/** Rewrites the external_data entries of one tensor of a model made by externalize(). */
function editExternal(model: Uint8Array, index: number, e: { location?: string; offset?: string; length?: string | null }): Uint8Array {
  const mm = parseModel(model);
  const t = mm.graph.initializers[index]!;
  const parts = rebuild(t, (f) => {
    if (f.no !== TENSOR.externalData) return undefined;
    const s = new TextDecoder().decode(mm.buf.subarray(f.vstart, f.end));
    const key = s.includes('location') ? 'location' : s.includes('offset') ? 'offset' : s.includes('length') ? 'length' : '';
    const v = (e as Record<string, string | null | undefined>)[key];
    if (v === undefined) return undefined;
    return v === null ? [] : [entry(key, v)];
  });
  const idx = fieldIndexer();
  const body = rebuild(mm.graph, (f) =>
    f.no === GRAPH.initializer && idx(f) === index ? [lenField(GRAPH.initializer, parts)] : undefined,
  );
  return emitWithGraph(mm, body);
}

function externalRange(r: Rng, m: ModelView): Made | null {
  const ext = externalize(m);
  if (!ext.moved.length) return null;
  const t = r.pick(ext.moved);
  const size = ext.data.length;
  const kind = r.pick([
    'valid',
    'offset-past-end',
    'length-past-end',
    'negative-offset',
    'negative-length',
    'nan',
    'huge',
    'overflow',
    'no-length',
    'short-file',
    'float',
  ]);
  const e: { offset?: string; length?: string | null } =
    kind === 'valid'
      ? {}
      : kind === 'offset-past-end'
        ? { offset: String(size + r.range(0, 100)) }
        : kind === 'length-past-end'
          ? { length: String(size - t.offset + r.range(1, 1000)) }
          : kind === 'negative-offset'
            ? { offset: String(-r.range(1, 1 << 20)) }
            : kind === 'negative-length'
              ? { length: '-4' }
              : kind === 'nan'
                ? { offset: r.pick(['abc', '', '0x10', ' 12']) }
                : kind === 'huge'
                  ? { length: r.pick(['9007199254740993', '1e400', String(2 ** 62)]) }
                  : kind === 'overflow'
                    ? { offset: String(2 ** 53 - 8), length: '16' }
                    : kind === 'float'
                      ? { offset: '1.5' }
                      : kind === 'no-length'
                        ? { length: null }
                        : {};
  const model = kind === 'valid' ? ext.model : editExternal(ext.model, t.index, e);
  const data = kind === 'short-file' ? ext.data.subarray(0, Math.max(0, size - r.range(1, 64))) : ext.data;
  return {
    model,
    siblings: { 'weights.bin': data },
    note: `external data (${ext.moved.length} tensors in weights.bin, ${size} bytes): '${t.name}' ${kind} ${JSON.stringify(e)}`,
  };
}

function externalPath(r: Rng, m: ModelView): Made | null {
  const ext = externalize(m);
  if (!ext.moved.length) return null;
  const t = r.pick(ext.moved);
  const location = r.pick([
    '../weights.bin',
    '../../etc/passwd',
    '/etc/passwd',
    '/weights.bin',
    'C:\\Windows\\weights.bin',
    'c:weights.bin',
    '\\\\server\\share\\weights.bin',
    'sub/../../weights.bin',
    './../weights.bin',
    'weights.bin\u0000.txt',
    'nothere.bin',
    '',
    'sub/weights.bin',
    'x'.repeat(5000),
    '%2e%2e/weights.bin',
    'file:///etc/passwd',
  ]);
  const siblings: Record<string, Uint8Array> = { 'weights.bin': ext.data };
  if (location === 'sub/weights.bin') siblings['sub/weights.bin'] = ext.data;
  return {
    model: editExternal(ext.model, t.index, { location }),
    siblings,
    note: `external data: '${t.name}' location ${JSON.stringify(location.slice(0, 60))}`,
  };
}

// ---- the case ---------------------------------------------------------------------------------------------------

const TIER_WEIGHTS: [Tier, number][] = [
  ['node-test', 0.4],
  ['small', 0.45],
  ['medium', 0.11],
  ['large', 0.04],
];

function pickBase(r: Rng, c: Catalog, tiers: Tier[]): string | null {
  const avail = TIER_WEIGHTS.filter(([t]) => tiers.includes(t) && c.tiers[t].length);
  if (!avail.length) return null;
  const total = avail.reduce((a, [, w]) => a + w, 0);
  let x = r.next() * total;
  for (const [t, w] of avail) {
    if (x < w) return r.pick(c.tiers[t]);
    x -= w;
  }
  return r.pick(c.tiers[avail[0]![0]]);
}

const ALL: Tier[] = ['node-test', 'small', 'medium', 'large'];
const NO_LARGE: Tier[] = ['node-test', 'small', 'medium'];

/** The family of case `index` (a fixed rotation). */
export const familyOf = (index: number): Family => FAMILIES[index % FAMILIES.length]!;

/** Builds case `index` of run `seed`. Deterministic for the same catalog contents. */
export function makeCase(seed: number, index: number, catalog: Catalog): FuzzCase {
  const family = familyOf(index);
  const r = Rng.forCase(seed, index);
  const synthetic = family === 'foreign-file' || family === 'deep-nesting';
  const tiers = family.startsWith('external') ? NO_LARGE : ALL;
  let base = synthetic ? '' : (pickBase(r, catalog, tiers) ?? '');
  let made: Made | null = null;
  const fallbacks = [...catalog.tiers.small, ...catalog.tiers['node-test']];
  for (let attempt = 0; attempt < 8 + fallbacks.length && !made; attempt++) {
    // Not applicable to this base (no nodes, no weights to move out): another random base, then every cheap one in turn.
    if (attempt > 0 && !synthetic)
      base =
        attempt < 8
          ? (pickBase(r, catalog, family.startsWith('external') ? ['small'] : ['node-test', 'small']) ?? base)
          : fallbacks[attempt - 8]!;
    const b = base ? catalog.load(base) : null;
    const fields = b ? locateFields(b) : [];
    const m =
      b &&
      !['truncate', 'bitflip', 'zero-run', 'varint-length', 'wire-type', 'foreign-file', 'deep-nesting', 'not-a-model', 'control'].includes(
        family,
      )
        ? parseModel(b)
        : null;
    switch (family) {
      case 'control':
        made = { model: b!.slice(), note: 'the base model unchanged' };
        break;
      case 'truncate':
        made = truncate(r, b!, fields);
        break;
      case 'bitflip':
        made = bitflip(r, b!, structureRanges(b!, fields));
        break;
      case 'zero-run':
        made = zeroRun(r, b!, structureRanges(b!, fields));
        break;
      case 'varint-length':
        made = varintLength(r, b!, fields);
        break;
      case 'wire-type':
        made = wireType(r, b!, fields);
        break;
      case 'foreign-file':
        made = foreignFile(r);
        break;
      case 'not-a-model':
        made = notAModel(r, b, fields);
        break;
      case 'deep-nesting':
        made = deepNesting(r);
        break;
      case 'cycle':
        made = cycle(r, m!);
        break;
      case 'dangling-name':
        made = danglingName(r, m!);
        break;
      case 'duplicate-name':
        made = duplicateName(r, m!);
        break;
      case 'unknown-op':
        made = unknownOp(r, m!);
        break;
      case 'absurd-dims':
        made = absurdDims(r, m!);
        break;
      case 'external-data-range':
        made = externalRange(r, m!);
        break;
      case 'external-data-path':
        made = externalPath(r, m!);
        break;
    }
  }
  if (!made) throw new Error(`fuzz case ${seed}-${index} (${family}): no applicable mutation on '${base}'`);
  return {
    id: `${seed}-${index}`,
    seed,
    index,
    family,
    base,
    note: made.note,
    modelName: made.modelName ?? 'model.onnx',
    model: made.model,
    siblings: made.siblings ?? {},
  };
}
