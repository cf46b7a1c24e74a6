/**
 * Rule `out-of-range-weights` (policy.ts): with outOfRange 'keep-fp32', float weights holding genuine values
 * beyond maxFinite stay float32, and so does every node that reads them, transitively through ops that pass large
 * values on, up to and including the first range-reducing op. If-branch / loop-body outputs carry the property out
 * to the enclosing graph. Clamping such weights as the reference converters do changes results (PP-OCRv4-det's
 * BatchNormalization variance of 9.8e7 moves its output by 1.0).
 */
import { FLOAT, type GCtx, type VRec, demote, forEachCtx, resolve } from '../graph.js';
import type { GraphPass, KeepRuleId } from '../policy.js';
import { UNKNOWN, isDefaultDomain } from '../types.js';

/**
 * Ops after which values beyond the float16 range are back in range (or not float): propagation of
 * "may be out of range" stops at them. Every other op is assumed to pass large values on.
 */
export const RANGE_REDUCING: ReadonlySet<string> = new Set([
  'Log',
  'Sigmoid',
  'Tanh',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'Erf',
  'Sin',
  'Cos',
  'Atan',
  'Asin',
  'Acos',
  'HardSigmoid',
  'Softsign',
  'Sign',
  'BatchNormalization',
  'LayerNormalization',
  'InstanceNormalization',
  'GroupNormalization',
  'LpNormalization',
  'MeanVarianceNormalization',
  'RMSNormalization',
  'Shape',
  'Size',
  'ArgMax',
  'ArgMin',
  'IsNaN',
  'IsInf',
  'NonZero',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
]);

export function keepOutOfRange(pass: GraphPass, rule: KeepRuleId): void {
  const { run, main, consumers, facts } = pass;
  if (run.opts.outOfRange !== 'keep-fp32') return;
  const large = new Map<VRec, string>(); // value -> the weight it comes from
  const queue: VRec[] = [];
  const mark = (r: VRec | undefined | null, origin: string) => {
    if (!r || large.has(r) || r.orig !== FLOAT) return;
    large.set(r, origin);
    queue.push(r);
  };
  const outputUses = new Map<VRec, { ctx: GCtx; i: number }[]>();
  forEachCtx(main, (ctx) => {
    for (const r of ctx.recs.values()) {
      if (r.kind !== 'init' || !r.tensor || r.tensor.dataType !== FLOAT || (r.tensor.external && !r.tensor.data)) continue;
      const sc = facts.ranges.get(r);
      if (sc?.genuine) {
        run.report.weights.outOfRange.push({ name: r.name, largestMagnitude: sc.maxAbs });
        mark(r, r.name);
      }
    }
    for (const p of ctx.plans) {
      const out = p.n.outputs[0];
      if (p.mode !== 'source' || !out) continue;
      const r = ctx.recs.get(out);
      const sc = r ? facts.ranges.get(r) : undefined;
      if (sc?.genuine) {
        run.report.weights.outOfRange.push({ name: out, largestMagnitude: sc.maxAbs });
        mark(r, out);
      }
    }
    ctx.g.outputs.forEach((o, i) => {
      const r = resolve(ctx, o.name);
      if (!r) return;
      const list = outputUses.get(r) ?? [];
      list.push({ ctx, i });
      outputUses.set(r, list);
    });
  });
  while (queue.length) {
    const r = queue.shift()!;
    const origin = large.get(r)!;
    for (const p of consumers.get(r) ?? []) {
      const reduces = RANGE_REDUCING.has(p.n.opType) && isDefaultDomain(p.n.domain);
      if (p.mode === 'convert') demote(p, { rule, reason: `reads values beyond the float16 range (from '${origin}')` });
      if (!reduces) for (const o of p.n.outputs) if (o) mark(p.ctx.recs.get(o), origin);
    }
    for (const { ctx, i } of outputUses.get(r) ?? []) {
      ctx.fp32Outputs.add(i);
      const owner = ctx.owner;
      if (!owner) continue;
      const op = owner.n.opType;
      const j = op === 'Loop' ? i - 1 : i;
      if (op === 'If') owner.outCt[i] = owner.ctx.scope.get(owner.n.outputs[i] ?? '') ?? UNKNOWN;
      const out = owner.n.outputs[j];
      if (j >= 0 && out) mark(owner.ctx.recs.get(out), origin);
    }
  }
}
