/**
 * The cheapest mix under a quality budget, from per-group measurements (one group changed at a time).
 *
 * Model: a mix's loss is the sum of its groups' losses (cosine loss = 1 − mean cosine, top-5 loss = 1 − top-5
 * overlap, each measured with only that group changed). For small independent errors the embedding error vectors add
 * and 1 − cos ≈ |error|² / 2 adds with them; interactions are what the verification on the full probe set catches
 * (target.ts tightens the budget by the observed ratio and searches again).
 *
 * Solver: a multiple-choice knapsack by dynamic programming over the groups, the losses rounded UP to 1/resolution of
 * each budget (so a solution's exact predicted loss is within its budget), keeping for every (cosine bin, top-5 bin)
 * the smallest size (ties: the smaller exact cosine loss). Exact for the rounded losses; O(groups × options × bins)
 * with one budget, × bins² with two.
 */
import type { Precision } from './options.js';

export interface GroupOption {
  precision: Precision;
  /** Change of the file size against fp32 (bytes; negative = smaller). */
  deltaBytes: number;
  /** 1 − mean cosine with only this group at this precision (≥ 0). */
  cosLoss: number;
  /** 1 − top-5 overlap with only this group at this precision (≥ 0). */
  top5Loss: number;
}

export interface SearchGroup {
  id: string;
  /** Must include fp32 (delta 0, loss 0) for the all-fp32 fallback to exist. */
  options: GroupOption[];
}

export interface SearchBudget {
  /** Largest total cosine loss allowed (null: not constrained). */
  cos: number | null;
  /** Largest total top-5 loss allowed (null: not constrained). */
  top5: number | null;
}

export interface MixChoice {
  assignment: Record<string, Precision>;
  deltaBytes: number;
  /** Predicted (summed) losses. */
  cosLoss: number;
  top5Loss: number;
}

/**
 * The mix of least size whose summed losses stay within `budget`; null when even the least lossy option of every
 * group exceeds it. `resolution`: bins per budget (default 4000 with one budget, 300 with two); rounding costs at most
 * one bin per group, i.e. a solution may leave up to groups/resolution of the budget unused.
 */
export function cheapestMix(groups: readonly SearchGroup[], budget: SearchBudget, resolution?: number): MixChoice | null {
  const R = Math.max(1, Math.floor(resolution ?? (budget.cos !== null && budget.top5 !== null ? 300 : 4000)));
  const bin = (loss: number, b: number | null): number => {
    if (b === null) return 0;
    const l = Math.max(0, loss);
    if (l === 0) return 0;
    if (b <= 0) return R + 1;
    return Math.ceil((l / b) * R - 1e-9);
  };
  const W = budget.top5 === null ? 1 : R + 1;
  interface State {
    bytes: number;
    cos: number;
    top5: number;
    prev: number;
    pick: number;
  }
  let states = new Map<number, State>([[0, { bytes: 0, cos: 0, top5: 0, prev: -1, pick: -1 }]]);
  const trail: Map<number, State>[] = [];
  for (const g of groups) {
    const next = new Map<number, State>();
    for (const [key, s] of states) {
      const ci = Math.floor(key / W);
      const oi = key % W;
      g.options.forEach((opt, k) => {
        const c = ci + bin(opt.cosLoss, budget.cos);
        const o = oi + bin(opt.top5Loss, budget.top5);
        if (c > R || o > (budget.top5 === null ? 0 : R)) return;
        const nk = c * W + o;
        const cand: State = {
          bytes: s.bytes + opt.deltaBytes,
          cos: s.cos + Math.max(0, opt.cosLoss),
          top5: s.top5 + Math.max(0, opt.top5Loss),
          prev: key,
          pick: k,
        };
        const cur = next.get(nk);
        if (!cur || cand.bytes < cur.bytes || (cand.bytes === cur.bytes && cand.cos < cur.cos)) next.set(nk, cand);
      });
    }
    trail.push(next);
    states = next;
    if (!states.size) return null;
  }
  let bestKey = -1;
  let best: State | null = null;
  for (const [k, s] of states) if (!best || s.bytes < best.bytes || (s.bytes === best.bytes && s.cos < best.cos)) [best, bestKey] = [s, k];
  if (!best) return null;
  const picks: Precision[] = [];
  let key = bestKey;
  for (let i = groups.length - 1; i >= 0; i--) {
    const s = trail[i]!.get(key)!;
    picks[i] = groups[i]!.options[s.pick]!.precision;
    key = s.prev;
  }
  const assignment: Record<string, Precision> = Object.fromEntries(groups.map((g, i) => [g.id, picks[i]!]));
  return { assignment, deltaBytes: best.bytes, cosLoss: best.cos, top5Loss: best.top5 };
}
