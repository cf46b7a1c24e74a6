/**
 * Rule `normalisation-statistics` (policy.ts): a normalisation's statistic stays float32 from the squares until
 * the value is back in float16's range. Sums of squares overflow float16 as soon as one |x| exceeds 256 (a
 * decomposed LayerNorm's variance of 224,321 is inf in float16, the output collapses to beta) and a small
 * epsilon (BERT's 1e-12) vanishes next to it; on backends that compute in float16 (WebGPU with shader-f16, CUDA)
 * that is inf / NaN, while onnxruntime's CPU upcasts and hides it (onnxconverter-common #323).
 *
 * The statistic is followed from its squares through stages, each op moving it to the next:
 *   square   Pow(x, 2) / Mul(x, x) feeding ReduceMean / ReduceSum, or ReduceSumSquare; then ReduceMean,
 *            ReduceSum, Add / Sub (epsilon, E[x²] − E[x]²), Mul / Div by a constant stay `square`;
 *            Sqrt / Pow(·, 0.5) → root; Pow(·, −0.5) → inverse.      ReduceL2 starts at `root`.
 *   root     Add / Sub (std + eps), Mul / Div by a constant stay `root`; Reciprocal / Div(constant, ·) → inverse;
 *            Div(data, ·) or Mul(data, ·) ends the chain.
 *   inverse  Mul by a constant stays `inverse`; Mul(data, ·) ends the chain.
 * Reshape-like ops and Clip / Max / Min (a floor on the statistic) keep the stage. Every node on the chain,
 * including the Div or Mul that ends it, is computed in float32; anything else reading the statistic gets it cast
 * to float16 as before.
 */
import { type NPlan, type VRec, demote, forEachCtx, resolve } from '../graph.js';
import type { GraphPass, KeepRuleId } from '../policy.js';
import { isDefaultDomain } from '../types.js';

type Stage = 'square' | 'root' | 'inverse';

const REDUCERS = new Set(['ReduceMean', 'ReduceSum']);
/** Ops that move or reshape values without changing them. */
const PASS_THROUGH = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Expand', 'Transpose', 'Identity', 'Flatten']);
/** Ops that put a floor (or ceiling) on a statistic: the stage is unchanged. */
const BOUNDS = new Set(['Clip', 'Max', 'Min']);

export const NORMALISATION_REASON =
  'normalisation statistic: float32 from the squares until divided back into range (squares overflow float16 once |x| > 256)';

export function keepNormalisationStatistics(pass: GraphPass, rule: KeepRuleId): void {
  const { main, consumers, facts } = pass;
  const verdict = { rule, reason: NORMALISATION_REASON };
  const chain = new Set<NPlan>();
  const seen = new Set<string>();

  const valueOf = (p: NPlan, i: number): VRec | null => (p.n.inputs[i] ? resolve(p.ctx, p.n.inputs[i]!) : null);
  const scalarAt = (p: NPlan, i: number): number | null => {
    const r = valueOf(p, i);
    return r ? (facts.scalars.get(r) ?? null) : null;
  };
  const isSquare = (p: NPlan): boolean => {
    if (!isDefaultDomain(p.n.domain) || !p.n.outputs[0]) return false;
    if (p.n.opType === 'Pow') return scalarAt(p, 1) === 2;
    return p.n.opType === 'Mul' && !!p.n.inputs[0] && p.n.inputs[0] === p.n.inputs[1];
  };
  const constant = (r: VRec | null): boolean => !!r && !pass.dataDependent(r);

  /** The stage after consumer `u` reads the statistic at input `at`, 'end' when `u` completes it, null when it is not part. */
  const next = (stage: Stage, u: NPlan, at: number): Stage | 'end' | null => {
    if (!isDefaultDomain(u.n.domain)) return null;
    const op = u.n.opType;
    if ((PASS_THROUGH.has(op) || op === 'Clip') && at === 0) return stage;
    if (BOUNDS.has(op) && op !== 'Clip') return stage;
    const other = u.n.inputs.length === 2 ? valueOf(u, 1 - at) : null;
    const otherConst = constant(other);
    switch (stage) {
      case 'square':
        if (REDUCERS.has(op) && at === 0) return 'square';
        if (op === 'Add' || op === 'Sub') return 'square';
        if ((op === 'Mul' || (op === 'Div' && at === 0)) && otherConst) return 'square';
        if (op === 'Sqrt') return 'root';
        if (op === 'Pow' && at === 0) {
          const e = scalarAt(u, 1);
          return e === 0.5 ? 'root' : e === -0.5 ? 'inverse' : null;
        }
        return null;
      case 'root':
        if (op === 'Add' || op === 'Sub') return 'root';
        if ((op === 'Mul' || (op === 'Div' && at === 0)) && otherConst) return 'root';
        if (op === 'Reciprocal') return 'inverse';
        if (op === 'Div' && at === 1) return otherConst ? 'inverse' : 'end';
        if (op === 'Mul') return 'end';
        return null;
      case 'inverse':
        if (op === 'Mul') return otherConst ? 'inverse' : 'end';
        return null;
    }
  };

  const follow = (r: VRec | undefined, stage: Stage) => {
    if (!r) return;
    const key = `${pass.run.recId.get(r)}|${stage}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const u of consumers.get(r) ?? []) {
      if (u.mode === 'neutral' || u.mode === 'container' || u.mode === 'source') continue;
      u.n.inputs.forEach((name, at) => {
        if (!name || resolve(u.ctx, name) !== r) return;
        const s = next(stage, u, at);
        if (s === null) return;
        chain.add(u);
        if ((u.n.opType === 'Add' || u.n.opType === 'Sub') && stage === 'square') {
          // E[x²] − E[x]²: the other square is part of the statistic too.
          const o = valueOf(u, 1 - at)?.producer;
          if (o && isSquare(o)) chain.add(o);
        }
        if (s !== 'end') for (const o of u.n.outputs) if (o) follow(u.ctx.recs.get(o), s);
      });
    }
  };

  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans) {
      if (!isDefaultDomain(p.n.domain) || !p.n.outputs[0]) continue;
      const out = ctx.recs.get(p.n.outputs[0]);
      if (!out) continue;
      if (p.n.opType === 'ReduceSumSquare' || p.n.opType === 'ReduceL2') {
        if (p.mode === 'neutral' || p.mode === 'container') continue;
        chain.add(p);
        follow(out, p.n.opType === 'ReduceL2' ? 'root' : 'square');
      } else if (isSquare(p) && p.mode !== 'neutral') {
        const reducers = (consumers.get(out) ?? []).filter(
          (u) => REDUCERS.has(u.n.opType) && isDefaultDomain(u.n.domain) && u.n.inputs[0] === p.n.outputs[0],
        );
        if (!reducers.length) continue;
        chain.add(p);
        for (const u of reducers) {
          chain.add(u);
          for (const o of u.n.outputs) if (o) follow(u.ctx.recs.get(o), 'square');
        }
      }
    }
  });
  for (const p of chain) if (p.mode === 'convert') demote(p, verdict);
}
