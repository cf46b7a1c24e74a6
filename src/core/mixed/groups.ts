/**
 * Layer groups of a transformer encoder: the units target mode gives one precision each. Derived from the graph:
 *
 *  - 'names' (the usual case): a node belongs to `layer.N` when its name (or, for an unnamed or unhelpful name, one
 *    of its initializer inputs) has a layer index, as exporters write them: torch.onnx `/encoder/layer.3/attention/…`,
 *    `/layers.3/`, `/block.3/`, `/h.3/`, initializers `encoder.layer.3.attention.self.query.weight`; a node with no
 *    name or a generic one ("MatMul_12") takes the smallest layer of its consumers (the MatMul before layer 3's bias
 *    Add is in layer 3). A node without a layer index whose name or initializer mentions "embed", or a Gather reading
 *    an initializer table with a graph input as indices (the token embedding), is in `embeddings`. Everything else
 *    (attention-mask arithmetic, a pooler, a final norm) is `rest`. Needs at least two layer indices.
 *  - 'matmul-runs' (fallback for graphs that do not follow the naming): the nodes in graph order, cut into about
 *    eight groups of consecutive weighted MatMul / Gemm / Conv nodes (`block.K`): any other node joins the group of
 *    the last weighted node before it. Embedding Gathers are still `embeddings`.
 *
 * Nodes inside If / Loop / Scan bodies belong to the group of the node that holds the body. Initializers are owned by
 * the group of their first consumer in graph order (subgraph reads count for the holder).
 */
import type { GraphView, ModelView, NodeView } from '../onnx/model.js';
import { type WeightRole, isFloat, tensorBytes, weightRole } from '../modes/predict.js';

export type GroupKind = 'embeddings' | 'layer' | 'block' | 'rest';

/** One initializer a group owns, with how the group's nodes read it (what decides its size under each precision). */
export interface GroupWeight {
  name: string;
  dims: number[];
  dataType: number;
  /** Bytes in the input (elements × element size; what the fp32 model stores). */
  bytes: number;
  /** How it is read: as the weight B of a MatMul, of a Gemm (with transB), as a Gather table, a Conv weight, other. */
  role: WeightRole;
  transB?: boolean;
}

export interface LayerGroup {
  /** 'embeddings', 'layer.0' … 'layer.N', 'block.0' …, 'rest'. */
  id: string;
  kind: GroupKind;
  /** Layer / block index (null for embeddings and rest). */
  index: number | null;
  /** Node names of the main graph in this group, in graph order ('' for unnamed nodes is never listed). */
  nodes: string[];
  /** Names of nodes inside subgraphs of this group's nodes (If / Loop / Scan bodies). */
  subgraphNodes: string[];
  /** Main-graph nodes without a name (node lists cannot reach them: see compose.ts, which names them first). */
  unnamed: number;
  weights: GroupWeight[];
  /** Sum of weights[].bytes. */
  weightBytes: number;
}

export interface GroupPlan {
  method: 'names' | 'matmul-runs';
  /** embeddings first, then layers / blocks by index, then rest (only non-empty groups). */
  groups: LayerGroup[];
  notes: string[];
}

const LAYER_RE = /(?:^|[/.:_])(?:layers?|blocks?|h)[._](\d+)(?=$|[/._:])/i;
const EMBED_RE = /embed/i;
/** A name that is a scope path (torch.onnx "/encoder/layer.0/…/MatMul", "encoder.layer.0.x"): it says where the node is. */
const SCOPE_RE = /\/|\w\.\w+\./;
const WEIGHTED = new Set(['MatMul', 'Gemm', 'Conv']);

function subgraphs(n: NodeView): GraphView[] {
  const out: GraphView[] = [];
  for (const a of n.attributes) {
    if (a.g) out.push(a.g);
    if (a.graphs) out.push(...a.graphs);
  }
  return out;
}

function collectNames(g: GraphView, into: string[], reads: Set<string>): void {
  for (const n of g.nodes) {
    if (n.name) into.push(n.name);
    for (const i of n.inputs) if (i) reads.add(i);
    for (const sg of subgraphs(n)) collectNames(sg, into, reads);
  }
}

function layerIndex(s: string): number | null {
  const m = LAYER_RE.exec(s);
  return m ? Number(m[1]) : null;
}

/**
 * The layer groups of `model` (main graph; subgraph bodies follow their holder). Never throws on a valid model; a
 * graph with neither layer names nor weighted nodes gives one `rest` group (and embeddings when found).
 */
export function layerGroups(model: ModelView): GroupPlan {
  const g = model.graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const graphInputs = new Set(g.inputs.map((i) => i.name));
  const notes: string[] = [];

  const isEmbedding = (n: NodeView): boolean => {
    if (EMBED_RE.test(n.name)) return true;
    if (n.inputs.some((i) => inits.has(i) && EMBED_RE.test(i))) return true;
    if (n.opType === 'Gather' && inits.has(n.inputs[0] ?? '') && graphInputs.has(n.inputs[1] ?? '')) {
      const t = inits.get(n.inputs[0]!)!;
      return isFloat(t.dataType) && t.dims.length === 2;
    }
    return false;
  };
  const indexOf = (n: NodeView): number | null => {
    const own = n.name ? layerIndex(n.name) : null;
    if (own !== null) return own;
    for (const i of n.inputs)
      if (inits.has(i)) {
        const k = layerIndex(i);
        if (k !== null) return k;
      }
    return null;
  };

  // Layer index of each main-graph node: its own (name, then initializer inputs); a node whose name is not a scope path
  // (unnamed, or generic like "MatMul_12") and that is not an embedding takes the smallest index among its consumers
  // (resolved in reverse graph order), e.g. a MatMul feeding layer 3's bias Add is in layer 3.
  const byName: (number | null)[] = g.nodes.map(indexOf);
  const consumers = new Map<string, number[]>();
  g.nodes.forEach((n, i) => {
    for (const x of n.inputs) if (x) consumers.set(x, [...(consumers.get(x) ?? []), i]);
  });
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (byName[i] !== null || SCOPE_RE.test(n.name) || isEmbedding(n)) continue;
    let best: number | null = null;
    for (const out of n.outputs)
      for (const c of consumers.get(out) ?? []) if (c > i && byName[c] !== null && (best === null || byName[c]! < best)) best = byName[c]!;
    byName[i] = best;
  }
  const distinct = new Set(byName.filter((x): x is number => x !== null));
  let method: GroupPlan['method'] = 'names';
  let ids: string[];
  if (distinct.size >= 2) {
    ids = g.nodes.map((n, i) => (byName[i] !== null ? `layer.${byName[i]}` : isEmbedding(n) ? 'embeddings' : 'rest'));
  } else {
    method = 'matmul-runs';
    const weighted = new Set(
      g.nodes.filter((n) => WEIGHTED.has(n.opType) && inits.has(n.inputs[1] ?? '') && isFloat(inits.get(n.inputs[1]!)!.dataType)),
    );
    const size = Math.max(1, Math.ceil(weighted.size / 8));
    let seen = 0;
    // A weighted node opens or continues its block; any other node joins the block of the last weighted node before
    // it (nodes before the first one join block 0).
    ids = g.nodes.map((n) => {
      if (isEmbedding(n)) return 'embeddings';
      if (!weighted.size) return 'rest';
      if (weighted.has(n)) seen++;
      return `block.${Math.floor(Math.max(0, seen - 1) / size)}`;
    });
    notes.push(
      weighted.size
        ? `node names carry no layer index: ${weighted.size} weighted MatMul/Gemm/Conv nodes cut into groups of ${size} consecutive ones`
        : 'node names carry no layer index and the graph has no weighted MatMul/Gemm/Conv: one group',
    );
  }

  const groups = new Map<string, LayerGroup>();
  const owner = new Map<string, LayerGroup>();
  g.nodes.forEach((n, i) => {
    const id = ids[i]!;
    let grp = groups.get(id);
    if (!grp) {
      const kind: GroupKind = id === 'embeddings' ? 'embeddings' : id === 'rest' ? 'rest' : id.startsWith('layer.') ? 'layer' : 'block';
      grp = {
        id,
        kind,
        index: kind === 'layer' || kind === 'block' ? Number(id.split('.')[1]) : null,
        nodes: [],
        subgraphNodes: [],
        unnamed: 0,
        weights: [],
        weightBytes: 0,
      };
      groups.set(id, grp);
    }
    if (n.name) grp.nodes.push(n.name);
    else grp.unnamed++;
    const reads = new Set<string>();
    for (const sg of subgraphs(n)) collectNames(sg, grp.subgraphNodes, reads);
    const direct = n.inputs.map((x, k) => [x, k] as const);
    const all = [...direct, ...[...reads].map((x) => [x, -1] as const)];
    for (const [name, k] of all) {
      const t = inits.get(name);
      if (!t || owner.has(name)) continue;
      owner.set(name, grp);
      const w: GroupWeight = {
        name,
        dims: t.dims,
        dataType: t.dataType,
        bytes: tensorBytes(t),
        ...(k >= 0 ? weightRole(n, k, t.dataType) : { role: 'other' as const }),
      };
      grp.weights.push(w);
      grp.weightBytes += w.bytes;
    }
  });
  const rank = (x: LayerGroup) => (x.kind === 'embeddings' ? -1 : x.kind === 'rest' ? Number.MAX_SAFE_INTEGER : x.index!);
  const list = [...groups.values()].sort((a, b) => rank(a) - rank(b));
  const unnamed = list.reduce((a, x) => a + x.unnamed, 0);
  if (unnamed) notes.push(`${unnamed} nodes have no name: they are named (ava_node_<i>) before any node list is applied`);
  return { method, groups: list, notes };
}
