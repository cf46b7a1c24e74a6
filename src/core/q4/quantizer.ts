/**
 * The graph walk of onnxruntime 1.32 `MatMulNBitsQuantizer._process_subgraph` (matmul_nbits_quantizer.py): every
 * graph and subgraph (If / Loop / Scan bodies always, there is no switch), nodes in order, a node's subgraphs before
 * the node itself; a node whose name is excluded stays; a node whose op type is selected (or whose name is in
 * nodesToInclude) goes to its rewriter, which returns the nodes that replace it. Weights are looked up in the graph
 * stack, innermost first (`get_initializer`), and new initializers go to the graph that held the weight.
 *
 * Tensor math is deferred: a rewriter creates the output initializers (names, types, shapes) with a Job that fills
 * their bytes when the writer reaches them (see ../int8/graph.ts).
 */
import type { LeftInFloat } from '../int8/quantizer.js';
import type { WGraph, WInit, WNode } from '../int8/graph.js';
import type { ResolvedQ4Options } from './options.js';

/** What one rewriter does with a node: the nodes replacing it, or why it stays ('' = not a candidate, say nothing). */
export type Q4Rewriter = (q: Q4Graph, node: WNode) => WNode[] | string;

/** Shared by every graph of one run. */
export interface Q4Run {
  o: ResolvedQ4Options;
  rewritten: Record<string, number>;
  leftInFloat: LeftInFloat[];
  notes: string[];
  /** An INT4 / UINT4 initializer was written (needs IR version 10). */
  int4: boolean;
  /** Initializers made by this run (each with its job). */
  made: WInit[];
}

export class Q4Graph {
  constructor(
    readonly run: Q4Run,
    readonly g: WGraph,
    readonly parent: Q4Graph | null,
  ) {}

  /** get_initializer: the first initializer of that name in this graph, else in the enclosing ones. */
  findInitializer(name: string): { t: WInit; owner: Q4Graph } | null {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking up the parent chain from this scope
    for (let q: Q4Graph | null = this; q; q = q.parent) {
      const t = q.g.inits.find((x) => x.name === name);
      if (t) return { t, owner: q };
    }
    return null;
  }

  /** Appends an initializer to this graph (graph.initializer.extend: duplicates by name are removed by the final clean). */
  addInit(t: WInit): void {
    this.g.inits.push(t);
    this.run.made.push(t);
  }

  /** Drops the graph input of that name (IR < 4 models list initializers as inputs), as the reference does for weights. */
  removeGraphInput(name: string): void {
    if (this.g.src.inputs.some((i) => i.name === name)) this.g.removedInputs.add(name);
  }

  /**
   * `_get_static_rank`: the rank of a tensor declared (with a shape) in the inputs, value_info or outputs of this graph
   * or an enclosing one (innermost first, first name match wins); null when undeclared or without a shape.
   */
  staticRank(name: string): number | null {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking up the parent chain from this scope
    for (let q: Q4Graph | null = this; q; q = q.parent) {
      const s = q.g.src;
      for (const vi of [...s.inputs, ...s.valueInfo, ...s.outputs])
        if (vi.name === name) return vi.kind === 'tensor' && vi.shape ? vi.shape.length : null;
    }
    return null;
  }

  leave(node: WNode, reason: string): string {
    this.run.leftInFloat.push({
      opType: node.opType,
      node: node.name || `(unnamed, output '${node.outputs[0] ?? ''}')`,
      graph: this.g.path,
      reason,
    });
    return reason;
  }
}

/** Rewrites a graph and its subgraphs in place. */
export function processGraph(run: Q4Run, g: WGraph, parent: Q4Graph | null, registry: ReadonlyMap<string, Q4Rewriter>): void {
  const q = new Q4Graph(run, g, parent);
  const exclude = new Set(run.o.excludeNodes);
  const include = new Set(run.o.nodesToInclude);
  const opTypes = new Set<string>(run.o.opTypes);
  const out: WNode[] = [];
  for (const n of g.nodes) {
    if (n.subgraphs) for (const gs of n.subgraphs.values()) for (const sg of gs) processGraph(run, sg, q, registry);
    const selected = (include.size > 0 && include.has(n.name)) || (isDefaultDomain(n.domain) && opTypes.has(n.opType));
    if (exclude.has(n.name)) {
      if (selected && registry.has(n.opType)) q.leave(n, 'in the exclude list');
      out.push(n);
      continue;
    }
    if (!selected) {
      out.push(n);
      continue;
    }
    const rw = isDefaultDomain(n.domain) ? registry.get(n.opType) : undefined;
    if (!rw) {
      q.leave(n, `only ${[...registry.keys()].join(' and ')} can be 4-bit quantized`);
      out.push(n);
      continue;
    }
    const r = rw(q, n);
    if (typeof r === 'string') {
      if (r) q.leave(n, r);
      out.push(n);
      continue;
    }
    out.push(...r);
    run.rewritten[n.opType] = (run.rewritten[n.opType] ?? 0) + 1;
  }
  g.nodes = out;
}

function isDefaultDomain(d: string): boolean {
  return d === '' || d === 'ai.onnx';
}
