/**
 * Phase 1, the type plan: one record per value (VRec) and per node (NPlan), for the main graph and every
 * subgraph (GCtx). Each node gets a mode from its ONNX signature: `convert` when every type variable bound to
 * float32 accepts float16 (those positions become float16; fixed-type positions such as Resize's `scales` stay
 * float32), `keep` when a rule of the policy says so (policy.ts: the reason is recorded), or `neutral`, `cast`,
 * `source`, `container` for nodes whose type follows from others. Graph-wide policy rules and the Cast
 * placement (casts.ts) then refine these records; emission (emit.ts) reads them.
 */
import { type GraphView, type NodeView, sparseInitializerName } from '../onnx/model.js';
import { ANY, type Binding, FLOAT, type GCtx, type NPlan, type Run, type VRec, type Verdict, f2h, keep } from './graph.js';
import { type NodeFacts, firstRule } from './policy.js';
import { formalAt, isFixed, signatureOf } from './schema.js';
import { UNKNOWN, isDefaultDomain } from './types.js';

/** Builds the plan of a graph and, recursively, of its subgraphs. */
export function buildCtx(
  run: Run,
  g: GraphView,
  parent: GCtx | null,
  kind: GCtx['kind'],
  blockAll: Verdict | null,
  owner: NPlan | null,
): GCtx {
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
    const r: VRec = {
      name,
      ctx,
      orig: typeOf(name),
      ct: typeOf(name),
      kind,
      wants: new Set(),
      stored: name,
      alias: null,
      keepFp32: null,
      ...extra,
    };
    ctx.recs.set(name, r);
    run.recId.set(r, run.recId.size);
    return r;
  };
  for (const v of g.inputs) add(v.name, 'input');
  for (const t of g.initializers) add(t.name, 'init', { tensor: t }); // an initializer backing an input wins
  for (const s of g.sparseInitializers) {
    const name = sparseInitializerName(s);
    if (name !== null) add(name, 'sparse');
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

function bindSignature(n: NodeView, sig: NonNullable<ReturnType<typeof signatureOf>>, inT: number[], outT: number[]): Binding {
  const bound = new Map<string, number>();
  const fromInput = new Set<string>();
  const bind = (list: typeof sig.inputs, names: string[], types: number[], isInput: boolean): string | null => {
    for (let i = 0; i < names.length; i++) {
      if (!names[i]) continue;
      const f = formalAt(list, i);
      if (!f) return `${n.opType} has more ${isInput ? 'inputs' : 'outputs'} than its signature`;
      if (isFixed(f.formal.v)) continue;
      const t = types[i]!;
      const prev = bound.get(f.key);
      if (prev !== undefined && prev !== t) return `inconsistent types for ${f.formal.v}`;
      bound.set(f.key, t);
      if (isInput) fromInput.add(f.key);
    }
    return null;
  };
  const error = bind(sig.inputs, n.inputs, inT, true) ?? bind(sig.outputs, n.outputs, outT, false);
  return { error, bound, fromInput };
}

function planNode(run: Run, ctx: GCtx, n: NodeView, index: number): NPlan {
  const typeOf = (name: string) => (name ? (ctx.scope.get(name) ?? UNKNOWN) : UNKNOWN);
  const inT = n.inputs.map(typeOf);
  const outT = n.outputs.map(typeOf);
  const hasFloat = [...inT, ...outT].includes(FLOAT);
  const p: NPlan = {
    n,
    ctx,
    index,
    mode: 'neutral',
    inWant: [...inT],
    outCt: [...outT],
    hasFloat,
    subs: [],
    removed: false,
    retype: false,
  };
  const op = n.opType;
  const defaultDomain = isDefaultDomain(n.domain);
  const subgraphAttrs = n.attributes.filter((a) => a.g || a.graphs);

  for (const [i, name] of n.inputs.entries()) if (name && !inT[i]) run.unknownTypeValues.add(name);
  for (const [i, name] of n.outputs.entries()) if (name && !outT[i]) run.unknownTypeValues.add(name);

  const facts: NodeFacts = { n, run, blockAll: ctx.blockAll, inT, outT, sig: null, binding: null };
  // Why this node may not change, if it may not (the policy's node rules, in table order).
  const block = firstRule(facts, 'node');

  // Subgraph bodies.
  if (subgraphAttrs.length) {
    const containerBlocked = block ?? firstRule(facts, 'container');
    const label = `inside ${op} node '${n.name || n.outputs[0] || '?'}'`;
    for (const a of subgraphAttrs) {
      const kind: GCtx['kind'] =
        op === 'If' && defaultDomain ? 'branch' : (op === 'Loop' || op === 'Scan') && defaultDomain ? 'body' : 'other';
      const inner: Verdict | null = containerBlocked
        ? (ctx.blockAll ?? { rule: 'blocked-container', reason: `${label} (${containerBlocked.reason})` })
        : null;
      for (const sg of a.g ? [a.g] : (a.graphs ?? [])) p.subs.push(buildCtx(run, sg, ctx, kind, inner, p));
    }
    if (containerBlocked) {
      keep(p, containerBlocked);
      return p;
    }
    // If: float outputs become float16; both branches are made to produce float16 for them.
    // Loop / Scan: the interface (carried and scanned values) stays as it is; the body's inside is converted.
    p.mode = 'container';
    if (op === 'If') p.outCt = outT.map(f2h);
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
  facts.sig = defaultDomain ? signatureOf(op, run.opset) : signatureOf(op, run.info.domainOpsets?.get(n.domain) ?? 1, n.domain);
  if (facts.sig) facts.binding = bindSignature(n, facts.sig, inT, outT);
  const sigBlock = firstRule(facts, 'signature');
  if (sigBlock) {
    keep(p, sigBlock);
    return p;
  }
  const sig = facts.sig!;
  const { bound } = facts.binding!;
  let anyFloat = false;
  for (const [key, t] of bound) {
    if (t !== FLOAT) continue;
    // Output type set by an attribute: only ConstantOfShape's value is rewritten (the policy keeps the others).
    if (!facts.binding!.fromInput.has(key)) p.retype = true;
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
