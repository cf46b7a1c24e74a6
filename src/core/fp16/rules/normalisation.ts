/**
 * Rule `normalisation-statistics` (policy.ts): sums of squares overflow float16 as soon as one |x| exceeds 256
 * (e.g. the variance in a LayerNorm that an exporter decomposed into Pow(x - mean, 2) -> ReduceMean;
 * onnxconverter-common #323). On backends that compute in float16 (WebGPU with shader-f16) that is inf and then
 * NaN. Pow(x, 2) feeding ReduceMean / ReduceSum, and ReduceSumSquare / ReduceL2, stay float32.
 */
import { demote, forEachCtx, resolve } from '../graph.js';
import type { GraphPass, KeepRuleId } from '../policy.js';
import { isDefaultDomain } from '../types.js';

const REDUCERS = new Set(['ReduceMean', 'ReduceSum']);

export function keepNormalisationStatistics(pass: GraphPass, rule: KeepRuleId): void {
  const reason = 'squares can overflow float16 (sum of squares, e.g. a LayerNorm variance)';
  forEachCtx(pass.main, (ctx) => {
    for (const p of ctx.plans) {
      if (p.mode !== 'convert' || !isDefaultDomain(p.n.domain)) continue;
      if (p.n.opType === 'ReduceSumSquare' || p.n.opType === 'ReduceL2') {
        demote(p, { rule, reason });
        continue;
      }
      const e = p.n.inputs[1] ? resolve(ctx, p.n.inputs[1]) : null;
      if (p.n.opType !== 'Pow' || !p.n.outputs[0] || (e ? pass.facts.scalars.get(e) : null) !== 2) continue;
      const users = pass.consumers.get(ctx.recs.get(p.n.outputs[0])!) ?? [];
      const reducers = users.filter((u) => REDUCERS.has(u.n.opType) && u.mode === 'convert');
      if (!reducers.length) continue;
      demote(p, { rule, reason });
      for (const u of reducers) demote(u, { rule, reason });
    }
  });
}
