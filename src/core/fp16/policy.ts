/**
 * Phase 2, the policy: every reason FP16 keeps an operation in float32, as ONE table of named rules
 * (`KEEP_RULES`). The report names the rule and shows its reason for every node kept (`Fp16Report.keptOps`),
 * and the README's rules table is this table (tests/fp16/policy.test.ts checks they agree).
 *
 * Rules are tried in table order; the first that applies gives the node its reason. Scopes:
 *  - `model`: decided once for the whole model;
 *  - `node`: from the node alone (its op, domain, name, the block lists), before anything else;
 *  - `container`: a node holding subgraphs that the converter does not enter;
 *  - `signature`: from the node's ONNX signature bound to its float32-model types;
 *  - `graph`: passes over the planned model that follow values from node to node (rules/*.ts); they move
 *    nodes planned for float16 back to float32 and mark values that must be produced in float32.
 */
import type { NodeView, TensorView } from '../onnx/model.js';
import pLimit from 'p-limit';
import { offloadThreads } from '../offload.js';
import { type Binding, FLOAT, FLOAT16, type GCtx, type NPlan, type Run, type VRec, type Verdict, forEachCtx, resolve } from './graph.js';
import { type RangeScan, scalarValue, scanFloat32Range, scanFloatValues } from './payload.js';
import { keepNormalisationStatistics } from './rules/normalisation.js';
import { keepOutOfRange } from './rules/out-of-range.js';
import { keepShapeArithmetic } from './rules/shape-arithmetic.js';
import { type OpSignature, hasSignatureTable } from './schema.js';
import { attr, isDefaultDomain } from './types.js';
import { DT } from '../onnx/dtypes.js';
import { decodeUtf8 } from '../onnx/wire.js';

export type KeepRuleId =
  | 'opset-below-6'
  | 'blocked-container'
  | 'node-block-list'
  | 'op-block-list'
  | 'default-op-block-list'
  | 'unknown-domain'
  | 'ort-no-float16'
  | 'subgraphs-not-converted'
  | 'no-signature'
  | 'unknown-type'
  | 'signature-mismatch'
  | 'no-float16-in-signature'
  | 'output-type-attribute'
  | 'normalisation-statistics'
  | 'out-of-range-weights'
  | 'shape-arithmetic';

export type RuleScope = 'model' | 'node' | 'container' | 'signature' | 'graph';

/** What a node rule sees. `sig`/`binding` are set for `signature` rules (null when the op has no signature). */
export interface NodeFacts {
  n: NodeView;
  run: Run;
  /** The verdict of a blocked enclosing container (or of the model), if any. */
  blockAll: Verdict | null;
  inT: number[];
  outT: number[];
  sig: OpSignature | null;
  binding: Binding | null;
}

/** Values read from tensor payloads before the graph rules run (payload.ts is the only reader). */
export interface TensorFacts {
  /** One-element initializers and Constant outputs (float32, int32, int64). */
  scalars: Map<VRec, number>;
  /** Float32 initializers and Constant outputs, scanned against maxFinite (only with outOfRange 'keep-fp32'). */
  ranges: Map<VRec, RangeScan>;
}

/** What a graph rule works with. */
export interface GraphPass {
  run: Run;
  main: GCtx;
  /** Every node reading each value (any graph). */
  consumers: Map<VRec, NPlan[]>;
  facts: TensorFacts;
  /** True when the value is data: it depends on the contents of a float graph input or is computed with a weight (dataDependence). */
  dataDependent(r: VRec): boolean;
}

export interface KeepRule {
  id: KeepRuleId;
  scope: RuleScope;
  /** Which ops stay float32 and why, in one sentence (the README's rules table). */
  summary: string;
  /** model rules: the reason for every node of the model, or null when the rule does not apply. */
  modelCheck?: (run: Run) => string | null;
  /** node / container / signature rules: the reason for this node, or null when the rule does not apply. */
  check?: (f: NodeFacts) => string | Verdict | null;
  /** graph rules: demotes nodes / marks values, with reasons built by the rule. */
  apply?: (pass: GraphPass, rule: KeepRuleId) => void;
}

const inBlockList = (f: NodeFacts) => f.run.blockOps.has(f.n.opType) && (isDefaultDomain(f.n.domain) || f.n.domain === 'ai.onnx.ml');

/** The first float32-typed key of a signature binding that float16 cannot take, and why. */
function firstUnconvertible(f: NodeFacts): { kind: 'type' | 'attribute'; v: string } | null {
  const sig = f.sig;
  if (!sig || !f.binding) return null;
  for (const [key, t] of f.binding.bound) {
    if (t !== FLOAT) continue;
    const v = key.split('#')[0]!;
    const tv = sig.vars.get(v);
    if (!tv || !tv.types.has(FLOAT16)) return { kind: 'type', v };
    // Output type set by an attribute: only ConstantOfShape's value is rewritten (EyeLike, Random*, ... have no
    // float16 CPU kernel in onnxruntime and no float input for it to cast around).
    if (!f.binding.fromInput.has(key) && f.n.opType !== 'ConstantOfShape') return { kind: 'attribute', v };
  }
  return null;
}

/** The keep-in-float32 rules, in the order they are tried. */
export const KEEP_RULES: readonly KeepRule[] = [
  {
    id: 'opset-below-6',
    scope: 'model',
    summary:
      'Models below opset 6: Cast-1 names its target type with a string onnxruntime does not type-infer, so no Cast can be inserted reliably; nothing is converted.',
    modelCheck: (run) => (run.opset < 6 ? `opset ${run.opset} (< 6): Casts cannot be inserted reliably, nothing converted` : null),
  },
  {
    id: 'blocked-container',
    scope: 'node',
    summary: 'Nodes inside the subgraphs of a node kept in float32 (If/Loop/Scan bodies stay as they are).',
    check: (f) => f.blockAll,
  },
  {
    id: 'node-block-list',
    scope: 'node',
    summary: 'Nodes named in the `nodeBlockList` option (CLI `--node-block-list`).',
    check: (f) => (f.run.blockNodes.has(f.n.name) ? 'in the node block list' : null),
  },
  {
    id: 'op-block-list',
    scope: 'node',
    summary: 'Op types in the `opBlockList` option (CLI `--op-block-list`), default and `ai.onnx.ml` domains.',
    check: (f) => (inBlockList(f) && f.run.userOps.has(f.n.opType) ? 'in the op block list' : null),
  },
  {
    id: 'default-op-block-list',
    scope: 'node',
    summary:
      'Op types in `DEFAULT_OP_BLOCK_LIST` (options.ts: onnxconverter-common 1.16 + TreeEnsemble): ML ops, NonMaxSuppression, TopK, RoiAlign, Resize, Range, CumSum, Min, Max, Upsample.',
    check: (f) => (inBlockList(f) ? 'in the default op block list' : null),
  },
  {
    id: 'unknown-domain',
    scope: 'node',
    summary:
      'Ops of other domains (custom ops, com.microsoft ops other than MatMulNBits and GatherBlockQuantized, whose signatures schema.ts carries): no known signature, so no type can be changed safely.',
    check: (f) =>
      isDefaultDomain(f.n.domain) || hasSignatureTable(f.n.domain, f.n.opType)
        ? null
        : `operator domain '${f.n.domain}': no known signature`,
  },
  {
    id: 'ort-no-float16',
    scope: 'node',
    summary:
      "Ops whose ONNX signature accepts float16 but onnxruntime's CPU kernels do not: MeanVarianceNormalization, ScatterElements / ScatterND with a reduction (found by converting the ONNX backend node tests, tests/fp16/node-tests.test.ts).",
    check: (f) => ortNoFloat16(f.n),
  },
  {
    id: 'subgraphs-not-converted',
    scope: 'container',
    summary: 'Nodes with subgraphs other than If, Loop and Scan (and everything inside them).',
    check: (f) =>
      isDefaultDomain(f.n.domain) && (f.n.opType === 'If' || f.n.opType === 'Loop' || f.n.opType === 'Scan')
        ? null
        : `${f.n.opType}: subgraphs of this op are not converted`,
  },
  {
    id: 'no-signature',
    scope: 'signature',
    summary: "Default-domain ops with no schema at the model's opset (schema.generated.ts).",
    check: (f) => (f.sig ? null : `no ONNX signature for ${f.n.opType} at opset ${f.run.opset}`),
  },
  {
    id: 'unknown-type',
    scope: 'signature',
    summary:
      'Nodes reading or writing a value whose element type is unknown (types.ts could not infer it; listed in `report.unknownTypes`).',
    check: (f) => {
      const i = f.n.inputs.findIndex((x, k) => x && !f.inT[k]);
      const o = f.n.outputs.findIndex((x, k) => x && !f.outT[k]);
      return i >= 0 || o >= 0 ? `element type of '${i >= 0 ? f.n.inputs[i] : f.n.outputs[o]}' unknown` : null;
    },
  },
  {
    id: 'signature-mismatch',
    scope: 'signature',
    summary: 'Nodes whose inputs and outputs do not fit their signature (more of them than formals, one type variable bound to two types).',
    check: (f) => f.binding?.error ?? null,
  },
  {
    id: 'no-float16-in-signature',
    scope: 'signature',
    summary: 'Ops whose signature does not allow float16 for a type variable bound to float32 (e.g. older opsets of some ops).',
    check: (f) => {
      const u = firstUnconvertible(f);
      return u?.kind === 'type' ? `${f.n.opType}-${f.sig!.since} does not accept float16 for ${u.v}` : null;
    },
  },
  {
    id: 'output-type-attribute',
    scope: 'signature',
    summary:
      'Ops whose float output type is set by an attribute (EyeLike, RandomNormal, RandomUniform, Bernoulli, …); ConstantOfShape is retyped instead.',
    check: (f) => (firstUnconvertible(f)?.kind === 'attribute' ? `${f.n.opType}: output type set by an attribute (kept float32)` : null),
  },
  {
    id: 'normalisation-statistics',
    scope: 'graph',
    summary:
      'Normalisation statistics (decomposed LayerNorm, RMSNorm, …): from the squares (Pow(x, 2), Mul(x, x), ReduceSumSquare) through their reduction, + epsilon, Sqrt / Reciprocal, up to the Div or Mul that brings the data back into range. Squares overflow float16 once a value exceeds 256 in magnitude, and a small epsilon vanishes next to them.',
    apply: keepNormalisationStatistics,
  },
  {
    id: 'out-of-range-weights',
    scope: 'graph',
    summary:
      "With `outOfRange: 'keep-fp32'` (default): weights with values beyond maxFinite that are not infinity stand-ins (magnitude below 1e9), every node reading them and everything downstream up to a range-reducing op (Log, Softmax, a normalization, …).",
    apply: keepOutOfRange,
  },
  {
    id: 'shape-arithmetic',
    scope: 'graph',
    summary:
      'Shape arithmetic: float computations on constants, tensor shapes and integer inputs whose result ends in an integer or shape consumer (a Cast to an integer type, or an input whose values set an output shape: Resize/Upsample `scales`, Range; shape-inputs.generated.ts). Their constants stay float32 and a Cast of shape data to float is not retargeted to float16.',
    apply: keepShapeArithmetic,
  },
];

/**
 * Nodes whose ONNX signature accepts float16 but that onnxruntime cannot run in float16 on the CPU (found by
 * converting the ONNX backend node tests; see tests/fp16/node-tests.test.ts).
 */
function ortNoFloat16(n: NodeView): string | null {
  if (n.opType === 'MeanVarianceNormalization')
    return 'onnxruntime has no float16 path for it (its function body mixes in float32 constants)';
  if (n.opType === 'ScatterElements' || n.opType === 'ScatterND') {
    const r = attr(n, 'reduction')?.s;
    const red = r ? decodeUtf8(r) : 'none';
    if (red !== 'none') return `onnxruntime's CPU kernel has no float16 ${n.opType} with reduction '${red}'`;
  }
  return null;
}

const byScope = (scope: RuleScope) => KEEP_RULES.filter((r) => r.scope === scope);
const SCOPES: Record<RuleScope, readonly KeepRule[]> = {
  model: byScope('model'),
  node: byScope('node'),
  container: byScope('container'),
  signature: byScope('signature'),
  graph: byScope('graph'),
};

/** The model-wide verdict (every node keeps its types), or null. */
export function modelVerdict(run: Run): Verdict | null {
  for (const r of SCOPES.model) {
    const reason = r.modelCheck!(run);
    if (reason) return { rule: r.id, reason };
  }
  return null;
}

/** The first rule of `scope` that applies to the node (table order), as a verdict; null when none does. */
export function firstRule(f: NodeFacts, scope: RuleScope): Verdict | null {
  for (const r of SCOPES[scope]) {
    const v = r.check!(f);
    if (v) return typeof v === 'string' ? { rule: r.id, reason: v } : v;
  }
  return null;
}

/** Runs the graph rules in table order. */
export function applyGraphRules(pass: GraphPass): void {
  for (const r of SCOPES.graph) r.apply!(pass, r.id);
}

/**
 * Range scans run this many at a time, so one tensor is read while another is scanned (I/O overlaps the work), and
 * two more per thread that takes tensor work (src/core/offload.ts), so each has one to scan and one waiting.
 */
const scansInFlight = () => 2 + 2 * offloadThreads();

/**
 * Reads what the graph rules need from tensor payloads, once, before they run: the value of every one-element
 * initializer / Constant (e.g. Pow exponents) and, with outOfRange 'keep-fp32', the range of every float32
 * initializer / Constant stored in the model (scansInFlight() at a time; big tensors in chunks, so memory holds at
 * most that many small tensors or chunk buffers). Cancellable between tensors.
 */
export async function collectTensorFacts(run: Run, main: GCtx): Promise<TensorFacts> {
  const facts: TensorFacts = { scalars: new Map(), ranges: new Map() };
  const scanRanges = run.opts.outOfRange === 'keep-fp32';
  const scans: [VRec, TensorView][] = [];
  const ctxs: GCtx[] = [];
  forEachCtx(main, (c) => ctxs.push(c));
  for (const ctx of ctxs) {
    run.signal?.throwIfAborted();
    for (const r of ctx.recs.values()) {
      const t = r.kind === 'init' ? r.tensor : undefined;
      if (!t) continue;
      const s = await scalarValue(t);
      if (s !== null) facts.scalars.set(r, s);
      if (scanRanges && t.dataType === DT.FLOAT) scans.push([r, t]);
    }
    for (const p of ctx.plans) {
      if (p.n.opType !== 'Constant' || !isDefaultDomain(p.n.domain) || !p.n.outputs[0]) continue;
      const r = ctx.recs.get(p.n.outputs[0]);
      const a = p.n.attributes[0];
      if (!r || !a) continue;
      if (a.name === 'value_float' && a.f !== undefined) facts.scalars.set(r, a.f);
      else if (a.name === 'value_int' && a.i !== undefined) facts.scalars.set(r, a.i);
      else if (a.name === 'value' && a.t) {
        const s = await scalarValue(a.t);
        if (s !== null) facts.scalars.set(r, s);
      }
      if (!scanRanges) continue;
      if (a.name === 'value' && a.t && a.t.dataType === DT.FLOAT && !(a.t.external && !a.t.data)) scans.push([r, a.t]);
      else if (a.name === 'value_float' || a.name === 'value_floats')
        facts.ranges.set(r, scanFloatValues(a.name === 'value_float' ? [a.f ?? 0] : (a.floats ?? []), run.opts.maxFinite));
    }
  }
  const limit = pLimit(scansInFlight());
  await Promise.all(
    scans.map(([r, t]) =>
      limit(async () => {
        run.signal?.throwIfAborted();
        facts.ranges.set(r, await scanFloat32Range(t, run.opts.maxFinite, run.signal));
      }),
    ),
  );
  return facts;
}

/** Element types of activations: a graph input of one of these carries data, an integer input a size or a mask. */
const FLOAT_TYPES: ReadonlySet<number> = new Set([FLOAT, FLOAT16, DT.DOUBLE, DT.BFLOAT16]);

/**
 * A constant with more elements than this is a weight: shape arithmetic works on scalars and shape vectors (one
 * entry per dimension), and what is computed with a weight (a Gather from an embedding table, a MatMul) is data.
 */
export const WEIGHT_ELEMENTS = 16;

/**
 * `dataDependent` for a planned model (memoized): a value is data when it depends on the contents of a float
 * graph input (of any graph; an integer input is a size, a length or a mask) or is computed with a weight (an
 * initializer or Constant with more than WEIGHT_ELEMENTS elements). Shape and Size cut the dependence on contents;
 * outputs of nodes with subgraphs, and values of unknown type, count as data.
 */
export function dataDependence(): (r: VRec) => boolean {
  const memo = new Map<VRec, boolean>();
  const elements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  const isWeight = (r: VRec): boolean => {
    if (r.kind === 'init') return !!r.tensor && elements(r.tensor.dims) > WEIGHT_ELEMENTS;
    const c = r.kind === 'node' && r.producer?.n.opType === 'Constant' ? r.producer.n.attributes[0] : undefined;
    if (!c) return false;
    const n = c.t ? elements(c.t.dims) : (c.floats?.length ?? c.ints?.length ?? 1);
    return n > WEIGHT_ELEMENTS;
  };
  const dep = (r: VRec): boolean => {
    const hit = memo.get(r);
    if (hit !== undefined) return hit;
    memo.set(r, true); // a cycle counts as data
    let d: boolean;
    if (r.kind === 'input') d = !r.orig || FLOAT_TYPES.has(r.orig);
    else if (r.kind === 'init' || r.kind === 'sparse') d = false;
    else {
      const p = r.producer!;
      const op = p.n.opType;
      if (isDefaultDomain(p.n.domain) && (op === 'Shape' || op === 'Size')) d = false;
      else if (p.subs.length) d = true;
      else
        d = p.n.inputs.some((name) => {
          if (!name) return false;
          const x = resolve(p.ctx, name);
          return !x || isWeight(x) || dep(x);
        });
    }
    memo.set(r, d);
    return d;
  };
  return dep;
}
