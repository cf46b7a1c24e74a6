/**
 * The knapsack search (src/core/mixed/search.ts) against brute force on random instances: its answer is within the
 * budget by its exact summed losses, never smaller than the true optimum, and at most as big as the optimum under the
 * budget minus the rounding it may lose (one bin per group).
 */
import { describe, expect, it } from 'vitest';
import { cheapestMix, type GroupOption, type SearchBudget, type SearchGroup } from '../../src/core/mixed/index.js';
import type { Precision } from '../../src/core/mixed/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function instance(seed: number, n: number): SearchGroup[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const base = 1000 + Math.floor(r() * 9000);
    const options: GroupOption[] = [{ precision: 'fp32', deltaBytes: 0, cosLoss: 0, top5Loss: 0 }];
    (['fp16', 'int8', 'q4'] as Precision[]).forEach((p, k) => {
      options.push({
        precision: p,
        deltaBytes: -Math.round(base * [0.5, 0.75, 0.86][k]!),
        cosLoss: r() * 0.002 * (k + 1) ** 2 * (k ? 1 : 0.01),
        top5Loss: r() * 0.03 * k,
      });
    });
    return { id: `g${i}`, options };
  });
}

function brute(groups: SearchGroup[], b: SearchBudget): { bytes: number } | null {
  let best: number | null = null;
  const walk = (i: number, bytes: number, cos: number, top5: number) => {
    if ((b.cos !== null && cos > b.cos + 1e-15) || (b.top5 !== null && top5 > b.top5 + 1e-15)) return;
    if (i === groups.length) {
      if (best === null || bytes < best) best = bytes;
      return;
    }
    for (const o of groups[i]!.options) walk(i + 1, bytes + o.deltaBytes, cos + o.cosLoss, top5 + o.top5Loss);
  };
  walk(0, 0, 0, 0);
  return best === null ? null : { bytes: best };
}

describe('cheapestMix', () => {
  const budgets: [string, SearchBudget][] = [
    ['cosine only', { cos: 0.005, top5: null }],
    ['top-5 only', { cos: null, top5: 0.05 }],
    ['both', { cos: 0.006, top5: 0.06 }],
  ];
  for (const [label, b] of budgets)
    it(`${label}: feasible, and optimal up to one rounding bin per group (40 random 7-group instances vs brute force)`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const groups = instance(seed * 7919, 7);
        const R = b.cos !== null && b.top5 !== null ? 300 : 4000;
        const got = cheapestMix(groups, b)!;
        expect(got).not.toBeNull();
        // Its exact losses (recomputed from the assignment) are within the budget.
        const pick = (g: SearchGroup) => g.options.find((o) => o.precision === got.assignment[g.id])!;
        const cos = groups.reduce((a, g) => a + pick(g).cosLoss, 0);
        const top5 = groups.reduce((a, g) => a + pick(g).top5Loss, 0);
        const bytes = groups.reduce((a, g) => a + pick(g).deltaBytes, 0);
        expect(bytes).toBe(got.deltaBytes);
        expect(cos).toBeCloseTo(got.cosLoss, 12);
        if (b.cos !== null) expect(cos).toBeLessThanOrEqual(b.cos + 1e-12);
        if (b.top5 !== null) expect(top5).toBeLessThanOrEqual(b.top5 + 1e-12);
        const opt = brute(groups, b)!;
        expect(bytes).toBeGreaterThanOrEqual(opt.bytes);
        const shrink = (x: number | null) => (x === null ? null : x * (1 - groups.length / R));
        const tight = brute(groups, { cos: shrink(b.cos), top5: shrink(b.top5) })!;
        expect(bytes).toBeLessThanOrEqual(tight.bytes);
      }
    });

  it('a zero budget allows only lossless options; a huge one takes the smallest of every group', () => {
    const groups = instance(3, 6);
    groups[2]!.options[1]!.cosLoss = 0; // a lossless fp16 for one group
    const zero = cheapestMix(groups, { cos: 0, top5: null })!;
    expect(Object.values(zero.assignment).filter((p) => p !== 'fp32')).toEqual(['fp16']);
    expect(zero.assignment['g2']).toBe('fp16');
    const huge = cheapestMix(groups, { cos: 10, top5: null })!;
    expect(Object.values(huge.assignment).every((p) => p === 'q4')).toBe(true);
  });

  it('null when even the least lossy option of a group exceeds the budget', () => {
    const groups: SearchGroup[] = [{ id: 'a', options: [{ precision: 'int8', deltaBytes: -5, cosLoss: 0.01, top5Loss: 0 }] }];
    expect(cheapestMix(groups, { cos: 0.005, top5: null })).toBeNull();
  });
});
