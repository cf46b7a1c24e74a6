/**
 * The structural check every output mode runs on a model before any work (INT8 `quantizeInt8`, FP16
 * `convertFp16`), so that a damaged graph is refused with the same message whatever the mode, instead of one mode
 * writing a file that fails to load. Checked in the main graph and every subgraph (If / Loop / Scan bodies, any
 * graph attribute):
 *  - every tensor a node reads, and every graph output, is defined: a graph input, an initializer (dense or
 *    sparse), a node output of the same graph, or a name visible from an enclosing graph (ONNX IR: "Names of
 *    nodes, inputs, outputs, initializers, and attributes … outer scope");
 *  - no name is defined twice in one graph (two node outputs, or a node output that is also a graph input or an
 *    initializer; an initializer may back a graph input of the same name, as IR < 4 requires);
 *  - the nodes of each graph have no cycle (counting the outer-scope names their subgraphs read).
 * onnxruntime refuses all three at load time ("Node input 'x' is not a graph input, initializer, or output of a
 * previous node", "Duplicate definition of name", "This is an invalid model. Graph has cycles").
 */
import { OnnxFormatError } from './errors.js';
import { type GraphView, type ModelView, type NodeView, sparseInitializerName, subgraphsOf } from './model.js';
import { topoSort } from './toposort.js';

/**
 * A model whose graph is structurally broken (see validateModel). An OnnxFormatError (kind 'format'), so the CLI
 * (exit 4) and the page treat it as a bad input file.
 */
export class InvalidGraphError extends OnnxFormatError {
  constructor(
    readonly problem: 'undefined-tensor' | 'duplicate-definition' | 'cycle',
    message: string,
  ) {
    super(message);
  }
}

const MAX_LISTED = 5;

function sparseNames(g: GraphView): string[] {
  const names: string[] = [];
  for (const s of g.sparseInitializers) {
    const name = sparseInitializerName(s);
    if (name !== null) names.push(name);
  }
  return names;
}

const nodeLabel = (n: NodeView) => `${n.opType} node '${n.name || n.outputs.find((o) => o) || '?'}'`;
const graphLabel = (g: GraphView, depth: number) => (depth === 0 ? `graph '${g.name}'` : `subgraph '${g.name}'`);
const list = (items: string[]) => items.slice(0, MAX_LISTED).join(', ') + (items.length > MAX_LISTED ? `, … (${items.length} in all)` : '');

interface Found {
  undefinedReads: string[];
  duplicates: string[];
  cycles: string[];
}

/** Names a graph (with its nested subgraphs) reads from enclosing graphs. */
function outerReads(g: GraphView, cache: Map<GraphView, string[]>): string[] {
  const hit = cache.get(g);
  if (hit) return hit;
  const defined = new Set<string>([...g.inputs.map((v) => v.name), ...g.initializers.map((t) => t.name), ...sparseNames(g)]);
  for (const n of g.nodes) for (const o of n.outputs) if (o) defined.add(o);
  const reads = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i && !defined.has(i)) reads.add(i);
    for (const sg of subgraphsOf(n)) for (const r of outerReads(sg, cache)) if (!defined.has(r)) reads.add(r);
  }
  for (const o of g.outputs) if (o.name && !defined.has(o.name)) reads.add(o.name);
  const out = [...reads];
  cache.set(g, out);
  return out;
}

function checkGraph(g: GraphView, outer: ReadonlySet<string>, depth: number, found: Found, cache: Map<GraphView, string[]>): void {
  const where = graphLabel(g, depth);
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (!name) return;
    if (defined.has(name)) found.duplicates.push(`'${name}' (${what} in ${where})`);
    defined.add(name);
  };
  const inputs = new Set<string>();
  for (const v of g.inputs) {
    if (inputs.has(v.name)) found.duplicates.push(`'${v.name}' (graph input in ${where})`);
    inputs.add(v.name);
    defined.add(v.name);
  }
  const inits = new Set<string>();
  for (const name of [...g.initializers.map((t) => t.name), ...sparseNames(g)]) {
    if (inits.has(name)) found.duplicates.push(`'${name}' (initializer in ${where})`);
    inits.add(name);
    defined.add(name); // an initializer may share its name with a graph input
  }
  for (const n of g.nodes) for (const o of n.outputs) define(o, `output of ${nodeLabel(n)}`);

  const visible = new Set<string>([...outer, ...defined]);
  for (const n of g.nodes)
    for (const i of n.inputs) if (i && !visible.has(i)) found.undefinedReads.push(`'${i}' (read by ${nodeLabel(n)} in ${where})`);
  for (const o of g.outputs) if (o.name && !visible.has(o.name)) found.undefinedReads.push(`'${o.name}' (output of ${where})`);

  const sorted = topoSort(
    g.nodes.map((n) => ({ reads: [...n.inputs, ...subgraphsOf(n).flatMap((sg) => outerReads(sg, cache))], writes: n.outputs })),
  );
  const selfReads = g.nodes.filter((n) => n.inputs.some((i) => i && n.outputs.includes(i)));
  const cyclic = [...new Set([...sorted.cyclic.map((i) => g.nodes[i]!), ...selfReads])];
  if (cyclic.length) found.cycles.push(`${list(cyclic.map(nodeLabel))} in ${where}`);

  for (const n of g.nodes) for (const sg of subgraphsOf(n)) checkGraph(sg, visible, depth + 1, found, cache);
}

/**
 * Checks that the model's graphs are well formed (see the module comment). Cheap: one pass over names, no tensor
 * data. Throws InvalidGraphError naming the first few offending tensors or nodes and where they are.
 */
export function validateModel(model: ModelView): void {
  const found: Found = { undefinedReads: [], duplicates: [], cycles: [] };
  checkGraph(model.graph, new Set(), 0, found, new Map());
  if (found.undefinedReads.length)
    throw new InvalidGraphError(
      'undefined-tensor',
      `the model reads tensors nothing defines: ${list(found.undefinedReads)}. The file is damaged or was edited; it cannot load in onnxruntime`,
    );
  if (found.duplicates.length)
    throw new InvalidGraphError(
      'duplicate-definition',
      `the model defines tensors more than once: ${list(found.duplicates)}. The file is damaged or was edited; it cannot load in onnxruntime`,
    );
  if (found.cycles.length)
    throw new InvalidGraphError('cycle', `the model's graph has a cycle: ${list(found.cycles)}. It cannot load in onnxruntime`);
}
