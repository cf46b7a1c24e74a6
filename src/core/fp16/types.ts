/**
 * Element-type propagation (no shapes) over a model and its subgraphs, enough to know which tensors are
 * float. Sources: graph inputs, initializers, value_info declarations; per node: the operator's signature
 * (type variables bound by its inputs, fixed types), plus rules for ops whose output type comes from an
 * attribute (Cast, Constant, ConstantOfShape, ...) or a subgraph (If, Loop, Scan).
 *
 * A declared type (value_info, graph outputs) wins over the rule: onnxruntime checks declarations against
 * its own inference, so for a model that loads they are right. A value whose type neither gives is
 * UNKNOWN (0); the converter never touches a node that reads or writes such a value.
 */
import type { AttributeView, GraphView, ModelView, NodeView } from '../onnx/model.js';
import { subgraphsOf } from '../onnx/model.js';
import { topoSort } from '../onnx/toposort.js';
import { formalAt, isFixed, signatureOf } from './schema.js';
import { DT } from '../onnx/dtypes.js';
import { decodeUtf8 } from '../onnx/wire.js';

export const UNKNOWN = DT.UNDEFINED;
const { FLOAT, INT32, INT64, STRING, BOOL, UINT8 } = DT;

export class TypeScope {
  readonly types = new Map<string, number>();
  constructor(readonly parent: TypeScope | null) {}
  /** The type of a name visible here (this graph, then enclosing graphs); undefined if not defined. */
  get(name: string): number | undefined {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking up the parent chain from this scope
    for (let s: TypeScope | null = this; s; s = s.parent) {
      const t = s.types.get(name);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  /** True when `name` is defined in this very graph. */
  owns(name: string): boolean {
    return this.types.has(name);
  }
}

export interface TypeInfo {
  scopes: Map<GraphView, TypeScope>;
  /** Opset versions of the non-default domains the model imports (com.microsoft signatures are looked up by it). */
  domainOpsets?: Map<string, number>;
  /** Values whose rule-inferred type disagreed with the declaration (the declaration was used). */
  mismatches: string[];
}

export function defaultOpset(model: ModelView): number {
  const o = model.opsets.find((x) => x.domain === '' || x.domain === 'ai.onnx');
  return o ? o.version : 1;
}

export const isDefaultDomain = (d: string): boolean => d === '' || d === 'ai.onnx';

export function attr(n: NodeView, name: string): AttributeView | undefined {
  return n.attributes.find((a) => a.name === name);
}

export { subgraphsOf };

const outerCache = new WeakMap<GraphView, string[]>();

/** Names a graph (with its nested subgraphs) reads but does not define: its outer-scope references. */
export function outerReads(g: GraphView): string[] {
  const hit = outerCache.get(g);
  if (hit) return hit;
  const defined = new Set<string>();
  for (const i of g.inputs) defined.add(i.name);
  for (const t of g.initializers) defined.add(t.name);
  for (const n of g.nodes) for (const o of n.outputs) if (o) defined.add(o);
  const reads = new Set<string>();
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i && !defined.has(i)) reads.add(i);
    for (const sg of subgraphsOf(n)) for (const r of outerReads(sg)) if (!defined.has(r)) reads.add(r);
  }
  for (const o of g.outputs) if (!defined.has(o.name)) reads.add(o.name);
  const out = [...reads];
  outerCache.set(g, out);
  return out;
}

/** Node order that respects data dependencies, including subgraph outer-scope reads. */
export function dependencyOrder(g: GraphView): number[] {
  return topoSort(g.nodes.map((n) => ({ reads: [...n.inputs, ...subgraphsOf(n).flatMap(outerReads)], writes: n.outputs }))).order;
}

export function inferTypes(model: ModelView): TypeInfo {
  const info: TypeInfo = {
    scopes: new Map(),
    mismatches: [],
    domainOpsets: new Map(model.opsets.filter((o) => !isDefaultDomain(o.domain)).map((o) => [o.domain, o.version])),
  };
  inferGraph(model.graph, null, defaultOpset(model), info, null);
  return info;
}

/** Declared tensor element types in a graph (inputs, outputs, value_info); non-tensor kinds count as unknown. */
function declaredTypes(g: GraphView): Map<string, number> {
  const d = new Map<string, number>();
  for (const v of [...g.valueInfo, ...g.outputs, ...g.inputs]) d.set(v.name, v.kind === 'tensor' ? v.elemType : UNKNOWN);
  return d;
}

/**
 * Infers one graph. `inputTypes` overrides the declared types of the graph's inputs when the declaration
 * is missing (Loop/Scan bodies whose inputs are untyped).
 */
function inferGraph(g: GraphView, parent: TypeScope | null, opset: number, info: TypeInfo, inputTypes: number[] | null): TypeScope {
  const scope = new TypeScope(parent);
  info.scopes.set(g, scope);
  const declared = declaredTypes(g);
  g.inputs.forEach((v, i) => {
    const d = v.kind === 'tensor' ? v.elemType : UNKNOWN;
    scope.types.set(v.name, d || inputTypes?.[i] || UNKNOWN);
  });
  // Initializers define (or, for IR < 4 models, back) a name: their data type is authoritative.
  for (const t of g.initializers) scope.types.set(t.name, t.dataType);
  for (const idx of dependencyOrder(g)) {
    const n = g.nodes[idx]!;
    const ins = n.inputs.map((x) => (x ? (scope.get(x) ?? UNKNOWN) : UNKNOWN));
    const rule = nodeOutputTypes(n, ins, opset, scope, info);
    n.outputs.forEach((o, i) => {
      if (!o) return;
      const r = rule[i] ?? UNKNOWN;
      const d = declared.get(o) ?? UNKNOWN;
      if (d && r && d !== r) info.mismatches.push(`${o}: declared ${d}, inferred ${r} (${n.opType})`);
      scope.types.set(o, d || r);
    });
  }
  return scope;
}

function attrInt(n: NodeView, name: string): number | undefined {
  return attr(n, name)?.i;
}

const DTYPE_NAMES: Record<string, number> = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
};

/** Cast's target type: an int (opset >= 6) or a type name string (Cast-1). */
export function castTarget(n: NodeView): number {
  const a = attr(n, 'to');
  if (!a) return UNKNOWN;
  if (a.i !== undefined) return a.i;
  if (a.s) return DTYPE_NAMES[decodeUtf8(a.s).toUpperCase()] ?? UNKNOWN;
  return UNKNOWN;
}

/** Output element types of one node by rule (UNKNOWN where the rule cannot tell). */
function nodeOutputTypes(n: NodeView, ins: number[], opset: number, scope: TypeScope, info: TypeInfo): number[] {
  const out = n.outputs.map(() => UNKNOWN);
  const defaultDomain = isDefaultDomain(n.domain);
  const op = defaultDomain ? n.opType : '';

  // Subgraph-bearing ops first: their bodies must be inferred whatever happens.
  if (op === 'If') {
    const thenG = attr(n, 'then_branch')?.g;
    const elseG = attr(n, 'else_branch')?.g;
    const ts = thenG ? inferGraph(thenG, scope, opset, info, null) : null;
    const es = elseG ? inferGraph(elseG, scope, opset, info, null) : null;
    return out.map((_, i) => branchOutType(thenG, ts, i) || branchOutType(elseG, es, i));
  }
  if (op === 'Loop') {
    const body = attr(n, 'body')?.g;
    if (!body) return out;
    const carried = ins.slice(2);
    const bs = inferGraph(body, scope, opset, info, [INT64, BOOL, ...carried]);
    return out.map((_, i) => branchOutType(body, bs, i + 1));
  }
  if (op === 'Scan') {
    const body = attr(n, 'body')?.g;
    if (!body) return out;
    const bodyIns = opset >= 9 ? ins : ins.slice(1); // Scan-8 has a leading sequence_lens input
    const bs = inferGraph(body, scope, opset, info, bodyIns);
    return out.map((_, i) => branchOutType(body, bs, i));
  }
  for (const sg of subgraphsOf(n)) inferGraph(sg, scope, opset, info, null);
  if (!defaultDomain) {
    // com.microsoft ops with a known signature (schema.ts CONTRIB_SCHEMAS: MatMulNBits, GatherBlockQuantized).
    const sig = signatureOf(n.opType, info.domainOpsets?.get(n.domain) ?? 1, n.domain);
    return sig ? outputsFromSignature(n, ins, sig) : out;
  }

  switch (op) {
    case 'Constant': {
      const a = n.attributes[0];
      if (!a) return out;
      const t =
        a.name === 'value'
          ? (a.t?.dataType ?? UNKNOWN)
          : a.name === 'value_float' || a.name === 'value_floats'
            ? FLOAT
            : a.name === 'value_int' || a.name === 'value_ints'
              ? INT64
              : a.name === 'value_string' || a.name === 'value_strings'
                ? STRING
                : UNKNOWN;
      return [t];
    }
    case 'Cast':
      return [castTarget(n)];
    case 'CastLike':
      return [ins[1] ?? UNKNOWN];
    case 'ConstantOfShape':
      return [attr(n, 'value')?.t?.dataType ?? FLOAT];
    case 'EyeLike':
    case 'RandomNormalLike':
    case 'RandomUniformLike':
    case 'Bernoulli':
      return [attrInt(n, 'dtype') || ins[0] || UNKNOWN];
    case 'RandomNormal':
    case 'RandomUniform':
      return [attrInt(n, 'dtype') || FLOAT];
    case 'Multinomial':
      return [attrInt(n, 'dtype') || INT32];
    case 'QuantizeLinear': {
      const od = attrInt(n, 'output_dtype');
      return [od || ins[2] || UINT8];
    }
    default:
      break;
  }

  const sig = signatureOf(op, opset);
  if (!sig) return out;
  return outputsFromSignature(n, ins, sig);
}

/** Output types from a signature: type variables bound by the inputs, fixed types, single-type variables. */
function outputsFromSignature(n: NodeView, ins: number[], sig: NonNullable<ReturnType<typeof signatureOf>>): number[] {
  // Bind type variables from the inputs.
  const bound = new Map<string, number>();
  ins.forEach((t, i) => {
    if (!t || !n.inputs[i]) return;
    const f = formalAt(sig.inputs, i);
    if (f && !isFixed(f.key) && !bound.has(f.key)) bound.set(f.key, t);
  });
  return n.outputs.map((_, i) => {
    const f = formalAt(sig.outputs, i);
    if (!f) return UNKNOWN;
    if (isFixed(f.formal.v)) return Number(f.formal.v.slice(1));
    const b = bound.get(f.key);
    if (b) return b;
    const tv = sig.vars.get(f.formal.v);
    if (tv && tv.types.size === 1 && !tv.nonTensor) return [...tv.types][0]!;
    return UNKNOWN;
  });
}

function branchOutType(g: GraphView | undefined, s: TypeScope | null, i: number): number {
  const o = g?.outputs[i];
  if (!o || !s) return UNKNOWN;
  if (o.kind !== 'tensor' && o.kind !== 'unknown') return UNKNOWN;
  return (o.kind === 'tensor' ? o.elemType : UNKNOWN) || (s.get(o.name) ?? UNKNOWN);
}
