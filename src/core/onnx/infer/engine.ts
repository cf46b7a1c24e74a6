/**
 * Graph-level shape inference, mirroring onnx's `ShapeInferenceImplBase` (onnx/shape_inference/implementation.cc)
 * as `onnx.shape_inference.infer_shapes(model)` runs it by default (check_type off, strict_mode off: node errors are
 * collected, not raised; data propagation off).
 *
 * Per graph: the types declared by value_info, inputs and outputs are the starting point (a declaration without a
 * type gets an empty one, as onnx's `mutable_type()` does); initializers give types (IR >= 4) and constant data;
 * nodes are visited in file order. For each node the operator's rule runs; an `InferenceError` drops that node's
 * outputs and inference goes on. Each inferred output gets fresh `unk__<n>` names for its unknown dimensions, then is
 * merged into the declared type (a graph output or an existing value_info: values and names already there win) or,
 * when the name is not declared, appended to value_info in node order. A Constant node's value becomes constant data
 * for later nodes. If / Loop bodies are inferred when their node is, seeing the enclosing graph's types.
 *
 * A declared type that contradicts an inferred one is a node error too (the declaration stays, the node's later
 * outputs are not updated). An initializer that contradicts its declaration, or a node of a domain the model does
 * not import, makes onnx's whole call fail; `inferShapes` then returns `failure` with onnx's message.
 */
import { type GraphInferencer, InferContext, type InferAttr, type TensorSource } from './context.js';
import { resolveRule, schemaElemTypes } from './rules/index.js';
import {
  InferenceError,
  SymbolTable,
  type TypeProto,
  assignType,
  cloneType,
  materializeSymbolicShape,
  mergeShapesAndTypes,
  checkShapesAndTypes,
  mutableTensor,
  tensorLike,
  valueCase,
} from './types.js';
import { ENUM } from '../schema.generated.js';
import { DT } from '../dtypes.js';

/** A graph input / output / value_info entry. `type` absent: the ValueInfoProto has no type field. */
export interface ValueSlot {
  name: string;
  type?: TypeProto;
  /** Other fields of the original ValueInfoProto (doc_string, metadata_props), raw, re-emitted after name and type. */
  extra?: Uint8Array[];
}

export interface InferNode {
  opType: string;
  domain: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Attributes; a GRAPH attribute's `g` is an InferGraph. */
  attributes: readonly InferAttr[];
}

export interface InferGraph {
  inputs: readonly ValueSlot[];
  outputs: readonly ValueSlot[];
  valueInfo: readonly ValueSlot[];
  initializers: readonly TensorSource[];
  nodes: readonly InferNode[];
}

export interface InferModel {
  irVersion: number;
  opsets: readonly { domain: string; version: number }[];
  graph: InferGraph;
}

/** The declarations of one graph after inference (new objects; the input graph is not modified). */
export interface GraphDecls {
  inputs: ValueSlot[];
  outputs: ValueSlot[];
  valueInfo: ValueSlot[];
}

export interface InferResult {
  /** Every graph inference visited (the main graph first), with its declarations after inference. */
  graphs: Map<InferGraph, GraphDecls>;
  /** Node-level errors onnx would have collected (and, in its default mode, ignored). */
  errors: string[];
  /** Operators onnx has a schema for but AVA has no shape rule for: op -> node count (element types only). */
  noRule: Map<string, number>;
  /** Operators onnx has no schema for (other domains, unknown ops): op -> node count. Nothing is inferred for them. */
  unsupported: Map<string, number>;
  /** Set when onnx's whole call would fail (its message); `graphs` then holds the partial state. */
  failure?: string;
}

const IR_LATEST = 11;

function cloneSlot(s: ValueSlot): ValueSlot {
  const o: ValueSlot = { name: s.name };
  if (s.type) o.type = cloneType(s.type);
  if (s.extra) o.extra = s.extra;
  return o;
}

class Engine {
  readonly symbols = new SymbolTable();
  readonly graphs = new Map<InferGraph, GraphDecls>();
  readonly errors: string[] = [];
  readonly noRule = new Map<string, number>();
  readonly unsupported = new Map<string, number>();
  readonly opsets = new Map<string, number>();

  constructor(readonly model: InferModel) {
    for (const o of model.opsets) this.opsets.set(o.domain, o.version);
  }

  decls(g: InferGraph): GraphDecls {
    let d = this.graphs.get(g);
    if (!d) {
      d = { inputs: g.inputs.map(cloneSlot), outputs: g.outputs.map(cloneSlot), valueInfo: g.valueInfo.map(cloneSlot) };
      this.graphs.set(g, d);
    }
    return d;
  }

  /** TraverseGraphsToAddExistingSymbols. */
  addSymbols(g: InferGraph): void {
    const d = this.decls(g);
    for (const s of [...d.inputs, ...d.outputs, ...d.valueInfo]) this.symbols.addType(s.type);
    for (const n of g.nodes) for (const a of n.attributes) if (a.g) this.addSymbols(a.g as InferGraph);
  }
}

class GraphRun {
  readonly valueTypes: Map<string, TypeProto>;
  readonly undefinedTypes = new Map<string, ValueSlot>();
  readonly inputData = new Map<string, TensorSource>();
  readonly d: GraphDecls;

  constructor(
    readonly e: Engine,
    readonly g: InferGraph,
    outer: Map<string, TypeProto>,
    readonly irVersion: number,
  ) {
    this.valueTypes = new Map(outer);
    this.d = e.decls(g);
  }

  private declare(s: ValueSlot): void {
    if (s.type) this.valueTypes.set(s.name, s.type);
    else {
      s.type = {};
      this.undefinedTypes.set(s.name, s);
    }
  }

  run(): void {
    this.e.addSymbols(this.g);
    for (const s of this.d.valueInfo) this.declare(s);
    for (const s of this.d.inputs) this.declare(s);
    for (const s of this.d.outputs) this.declare(s);
    for (const t of this.g.initializers) {
      const type: TypeProto = { tensor: { elem: t.dataType, shape: t.dims.map((v) => ({ value: v })) } };
      this.inputData.set(t.name, t);
      const existing = this.valueTypes.get(t.name);
      if (existing) checkShapesAndTypes(type, existing);
      else if (this.irVersion >= 4) this.valueTypes.set(t.name, type);
    }
    for (const n of this.g.nodes) this.process(n);
  }

  private process(n: InferNode): void {
    let version = this.e.opsets.get(n.domain);
    if (version === undefined && n.domain === '') version = this.e.opsets.get('ai.onnx');
    if (version === undefined)
      throw new InferenceError(
        `[TypeInferenceError] Cannot infer type and shape for node name ${n.name}. No opset import for domain ${n.domain} optype ${n.opType}`,
      );
    const res = resolveRule(n.domain, n.opType, version);
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    if (res.kind === 'no-schema') {
      this.e.unsupported.set(key, (this.e.unsupported.get(key) ?? 0) + 1);
      return;
    }
    const attrs = new Map<string, InferAttr>();
    for (const a of n.attributes) attrs.set(a.name, a);
    const inputTypes = n.inputs.map((i) => this.valueTypes.get(i) ?? null);
    const inputData = n.inputs.map((i) => this.inputData.get(i) ?? null);
    const inferencers = new Map<string, GraphInferencer>();
    const ctx = new InferContext(n.opType, version, inputTypes, inputData, attrs, n.outputs.length, (name) => {
      const a = attrs.get(name);
      if (!a || !a.g) return null;
      let gi = inferencers.get(name);
      if (!gi) {
        gi = this.subgraphInferencer(a.g as InferGraph);
        inferencers.set(name, gi);
      }
      return gi;
    });
    try {
      if (res.kind === 'rule') res.rule(ctx);
      else {
        this.e.noRule.set(key, (this.e.noRule.get(key) ?? 0) + 1);
        const elems = schemaElemTypes(
          n.opType,
          version,
          inputTypes.map((t) => (t ? (tensorLike(t)?.elem ?? 0) : 0)),
          n.outputs.length,
        );
        elems.forEach((el, i) => {
          if (el) mutableTensor(ctx.getOutputType(i)).elem = el;
        });
      }
    } catch (err) {
      if (!(err instanceof InferenceError)) throw err;
      this.e.errors.push(`(op_type:${n.opType}${n.name ? `, node name: ${n.name}` : ''}): ${err.message}`);
      return;
    }
    try {
      // A declared type contradicting the inferred one stops this node here (outputs before it are kept).
      for (let i = 0; i < n.outputs.length; i++) if (n.outputs[i]) this.updateType(n.outputs[i]!, ctx.getOutputType(i));
    } catch (err) {
      if (!(err instanceof InferenceError)) throw err;
      this.e.errors.push(`(op_type:${n.opType}${n.name ? `, node name: ${n.name}` : ''}): ${err.message}`);
      return;
    }
    this.preprocess(n);
  }

  private updateType(name: string, inferred: TypeProto): void {
    if (valueCase(inferred) === 'none') return;
    materializeSymbolicShape(inferred, this.e.symbols);
    let existing = this.valueTypes.get(name);
    if (!existing) {
      const vi: ValueSlot = { name, type: {} };
      this.d.valueInfo.push(vi);
      existing = vi.type!;
      const u = this.undefinedTypes.get(name);
      if (u) u.type = cloneType(inferred);
    }
    mergeShapesAndTypes(inferred, existing);
    this.valueTypes.set(name, existing);
  }

  /** Constant nodes give constant data to the nodes after them (value, value_int(s), value_float(s)). */
  private preprocess(n: InferNode): void {
    if (n.opType !== 'Constant' || (n.domain !== '' && n.domain !== 'ai.onnx') || n.outputs.length !== 1) return;
    const out = n.outputs[0]!;
    for (const a of n.attributes) {
      if (a.name === 'value') {
        if (a.t) this.inputData.set(out, a.t);
        continue;
      }
      const AT = ENUM.AttributeProto_AttributeType;
      if (a.type === AT.INTS) this.inputData.set(out, constTensor(out, DT.INT64, a.ints ?? []));
      else if (a.type === AT.INT && a.i !== undefined) this.inputData.set(out, constTensor(out, DT.INT64, [a.i]));
      else if (a.type === AT.FLOATS) this.inputData.set(out, constTensor(out, DT.FLOAT, a.floats ?? []));
      else if (a.type === AT.FLOAT && a.f !== undefined) this.inputData.set(out, constTensor(out, DT.FLOAT, [a.f]));
    }
  }

  /** GraphInferencerImpl for a GRAPH attribute of a node of this graph. */
  private subgraphInferencer(sub: InferGraph): GraphInferencer {
    return {
      doInferencing: (inputTypes) => {
        const d = this.e.decls(sub);
        const inits = new Set(sub.initializers.map((t) => t.name));
        const n = inputTypes.length;
        if (this.irVersion >= 4) {
          if (d.inputs.length !== n)
            throw new InferenceError(`[ShapeInferenceError] Graph has ${d.inputs.length} inputs but ${n} were provided`);
          for (const i of d.inputs)
            if (inits.has(i.name))
              throw new InferenceError(
                `[ShapeInferenceError] Cannot use the same name as both a subgraph initializer and subgraph input: ${i.name}`,
              );
        } else if (n > d.inputs.length) {
          throw new InferenceError(`[ShapeInferenceError] Graph has ${d.inputs.length} inputs but ${n} were provided.`);
        }
        for (let i = 0; i < n; i++) {
          const t = inputTypes[i];
          if (!t) continue;
          const slot = d.inputs[i]!;
          slot.type ??= {};
          mergeShapesAndTypes(t, slot.type);
          materializeSymbolicShape(slot.type, this.e.symbols);
        }
        new GraphRun(this.e, sub, this.valueTypes, IR_LATEST).run();
        return d.outputs.map((o) => o.type ?? {});
      },
    };
  }
}

function constTensor(name: string, dataType: number, values: number[]): TensorSource {
  return { name, dataType, dims: [values.length], external: false, values: () => values };
}

/**
 * Runs onnx-equivalent shape inference over a model (one `onnx.shape_inference.infer_shapes` call). The input is
 * not modified; the result holds every visited graph's declarations (value_info in onnx's order, graph inputs /
 * outputs with their merged types).
 */
export function inferShapes(model: InferModel): InferResult {
  const e = new Engine(model);
  const res: InferResult = { graphs: e.graphs, errors: e.errors, noRule: e.noRule, unsupported: e.unsupported };
  try {
    new GraphRun(e, model.graph, new Map(), model.irVersion).run();
  } catch (err) {
    if (!(err instanceof InferenceError)) throw err;
    res.failure = err.message;
  }
  return res;
}

/**
 * The graph as the next inference pass sees it: the same nodes and initializers, with the declarations a previous
 * pass produced (as when onnx's output is saved and inferred again). Subgraphs are mapped the same way.
 */
export function withInferred(g: InferGraph, res: InferResult): InferGraph {
  const d = res.graphs.get(g);
  const nodes = g.nodes.map((n) =>
    n.attributes.some((a) => a.g)
      ? { ...n, attributes: n.attributes.map((a) => (a.g ? { ...a, g: withInferred(a.g as InferGraph, res) } : a)) }
      : n,
  );
  return d ? { ...g, inputs: d.inputs, outputs: d.outputs, valueInfo: d.valueInfo, nodes } : { ...g, nodes };
}

export { assignType };
