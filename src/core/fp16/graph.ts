/**
 * The records the FP16 phases share: one per value (VRec), per node (NPlan) and per graph (GCtx), the state of
 * one run (Run), and small helpers over them. Built by plan.ts, refined by the policy (policy.ts, rules/) and the
 * Cast placement (casts.ts), read by emission (emit.ts) and the report (report.ts).
 */
import { DT } from '../onnx/dtypes.js';
import type { ClampOptions, ConvertStats } from '../onnx/float16.js';
import type { GraphView, ModelView, NodeView, TensorView } from '../onnx/model.js';
import type { LazyPart, Part } from '../onnx/writer.js';
import type { Fp16Progress, Fp16Report, ResolvedFp16Options } from './options.js';
import type { KeepRuleId } from './policy.js';
import type { TypeInfo, TypeScope } from './types.js';
import { UNKNOWN } from './types.js';

/** Why a node or value stays float32: the policy rule (policy.ts KEEP_RULES) and the reason the report shows. */
export interface Verdict {
  rule: KeepRuleId;
  reason: string;
}

export const FLOAT = DT.FLOAT;
export const FLOAT16 = DT.FLOAT16;
/** A wanted type meaning "any type is fine" (Cast's input). */
export const ANY = -1;

export const f2h = (t: number): number => (t === FLOAT ? FLOAT16 : t);

/** One value (graph input, initializer, sparse initializer or node output) as seen from its graph. */
export interface VRec {
  name: string;
  ctx: GCtx;
  /** Element type in the float32 model. */
  orig: number;
  /** Element type after conversion. */
  ct: number;
  kind: 'input' | 'init' | 'node' | 'sparse';
  /** Types consumers want (ANY is not recorded). */
  wants: Set<number>;
  /** The name its producer writes (differs for renamed main-graph outputs). */
  stored: string;
  /** Removed no-op Cast: consumers read this value instead. */
  alias: VRec | null;
  /** Set by a policy rule: this value must be produced in float32 (a source is not converted, a Cast not retargeted). */
  keepFp32: Verdict | null;
  tensor?: TensorView;
  producer?: NPlan;
}

export type Mode = 'convert' | 'keep' | 'neutral' | 'cast' | 'source' | 'container';

/** One node's plan. */
export interface NPlan {
  n: NodeView;
  ctx: GCtx;
  index: number;
  mode: Mode;
  /** Why the node stays float32 (mode 'keep'), and the policy rule that said so. */
  verdict?: Verdict;
  /** Type wanted for each input (0 = leave as is, ANY = no cast needed). */
  inWant: number[];
  /** Final type of each output. */
  outCt: number[];
  /** Float tensors involved (for the report: a kept node with float tensors stays in float32). */
  hasFloat: boolean;
  subs: GCtx[];
  removed: boolean;
  /** Attribute rewrites decided for convert/cast/source modes. */
  retype: boolean;
}

/** One graph (main or subgraph) with its values and node plans. */
export interface GCtx {
  g: GraphView;
  parent: GCtx | null;
  scope: TypeScope;
  recs: Map<string, VRec>;
  plans: NPlan[];
  kind: 'main' | 'branch' | 'body' | 'other';
  /** Set when an enclosing container node is blocked (or the opset is too old): every node inside stays as it is. */
  blockAll: Verdict | null;
  /** The node holding this subgraph. */
  owner: NPlan | null;
  /** Final type of each graph output. */
  outWant: number[];
  /** Output names after emission (subgraph outputs may be renamed to a Cast's output). */
  outNames: string[];
  /** `${value id}|${type}` -> Cast output name, for Casts emitted in this graph. */
  casts: Map<string, string>;
  extra: Emitted[];
  /** Main-graph outputs whose producer was renamed (value name -> output type). */
  renamedOutputs: Map<string, number>;
  /** Output indices that must stay float32 (they may carry values beyond the float16 range). */
  fp32Outputs: Set<number>;
}

/** A node ready to be written: its bytes and the names it reads and writes (for ordering). */
export interface Emitted {
  parts: Part[];
  reads: string[];
  writes: string[];
  order: number;
}

/** The state of one conversion, shared by the phases. */
export interface Run {
  model: ModelView;
  opts: ResolvedFp16Options;
  opset: number;
  info: TypeInfo;
  blockOps: Set<string>;
  userOps: Set<string>;
  blockNodes: Set<string>;
  /** Every name in the model (node names and value names), for fresh names. */
  names: Set<string>;
  clamp: ClampOptions;
  stats: ConvertStats;
  report: Fp16Report;
  recId: Map<VRec, number>;
  onProgress?: (p: Fp16Progress) => void;
  signal?: AbortSignal;
  unknownTypeValues: Set<string>;
  /** Float16 payloads of the tensors to convert, produced when the writer reaches them (emit.ts convertWeights). */
  converted: Map<TensorView, LazyPart>;
}

export function keep(p: NPlan, verdict: Verdict): void {
  p.mode = 'keep';
  p.verdict = verdict;
}

/** A node planned for float16 goes back to float32 (its original types everywhere). */
export function demote(p: NPlan, verdict: Verdict): void {
  keep(p, verdict);
  p.inWant = p.n.inputs.map((x) => (x ? (p.ctx.scope.get(x) ?? UNKNOWN) : UNKNOWN));
  p.outCt = p.n.outputs.map((x) => (x ? (p.ctx.scope.get(x) ?? UNKNOWN) : UNKNOWN));
  p.retype = false;
}

/** The signature binding of a node with float tensors: which type variables hold which float32-model types. */
export interface Binding {
  /** Why the node cannot be bound (more actuals than formals, inconsistent types). */
  error: string | null;
  bound: Map<string, number>;
  /** Keys bound by an input (others are set by attributes). */
  fromInput: Set<string>;
}

/** The value a name refers to from ctx (this graph or an enclosing one), following removed-Cast aliases. */
export function resolve(ctx: GCtx, name: string): VRec | null {
  for (let c: GCtx | null = ctx; c; c = c.parent) {
    const r = c.recs.get(name);
    if (r) {
      let x = r;
      while (x.alias) x = x.alias;
      return x;
    }
  }
  return null;
}

export function forEachCtx(ctx: GCtx, fn: (c: GCtx) => void): void {
  fn(ctx);
  for (const p of ctx.plans) for (const s of p.subs) forEachCtx(s, fn);
}

/** Every node reading each value (in any graph). */
export function consumersOf(main: GCtx): Map<VRec, NPlan[]> {
  const consumers = new Map<VRec, NPlan[]>();
  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans)
      for (const name of p.n.inputs) {
        const r = name ? resolve(ctx, name) : null;
        if (!r) continue;
        const list = consumers.get(r) ?? [];
        if (!list.includes(p)) list.push(p);
        consumers.set(r, list);
      }
  });
  return consumers;
}
