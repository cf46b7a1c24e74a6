import { describe, expect, it } from 'vitest';
import {
  basicStats,
  clsPool,
  cosine,
  halfToFloat,
  histogram,
  l2Norm,
  l2Normalize,
  meanPool,
  mulberry32,
  percentile,
  ranksDescending,
  spearman,
  topK,
  topKOverlap,
} from '../../src/core/quality/math.js';

describe('pooling', () => {
  // One sentence, 3 positions x 2 dims; the third position is padding.
  const hidden = [1, 2, 3, 4, 100, 100];
  it('mean pooling averages only unmasked tokens', () => {
    expect([...meanPool(hidden, [1, 1, 0], 3, 2)]).toEqual([2, 3]);
    expect([...meanPool(hidden, [1n, 0n, 0n], 3, 2)]).toEqual([1, 2]);
    expect([...meanPool(hidden, [1, 1, 1], 3, 2)]).toEqual([104 / 3, 106 / 3].map(Math.fround));
  });
  it('mean pooling of an all-masked row is zeros, not NaN', () => {
    expect([...meanPool(hidden, [0, 0, 0], 3, 2)]).toEqual([0, 0]);
  });
  it('CLS pooling takes the first token', () => {
    expect([...clsPool(hidden, 2)]).toEqual([1, 2]);
  });
});

describe('vectors', () => {
  it('L2 norm and normalisation (3-4-5 triangle)', () => {
    expect(l2Norm([3, 4])).toBe(5);
    const n = l2Normalize([3, 4]);
    expect(n[0]).toBeCloseTo(0.6, 7);
    expect(n[1]).toBeCloseTo(0.8, 7);
    expect([...l2Normalize([0, 0])]).toEqual([0, 0]);
  });
  it('cosine', () => {
    expect(cosine([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [-1, 0])).toBe(-1);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([0, 0], [1, 1])).toBe(0);
    expect(() => cosine([1], [1, 2])).toThrow(RangeError);
  });
  it('half floats decode', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
  });
});

describe('statistics', () => {
  it('percentile interpolates linearly between closest ranks (numpy default)', () => {
    expect(percentile([5, 1, 4, 2, 3], 5)).toBeCloseTo(1.2, 12); // position 4 * 0.05 = 0.2
    expect(percentile([10, 20, 30, 40], 50)).toBe(25);
    expect(percentile([10, 20, 30, 40], 0)).toBe(10);
    expect(percentile([10, 20, 30, 40], 100)).toBe(40);
    expect(percentile([7], 5)).toBe(7);
    expect(percentile([], 5)).toBeNaN();
  });
  it('histogram: half-open bins, last bin closed, outliers clamped', () => {
    const h = histogram([0, 0.1, 0.5, 0.99, 1.0, -5, 0.25], 4, 0, 1);
    expect(h).toEqual({ lo: 0, hi: 1, counts: [3, 1, 1, 2] });
    expect(() => histogram([1], 0, 0, 1)).toThrow(RangeError);
  });
  it('basic stats', () => {
    expect(basicStats([2, 4, 9])).toEqual({ count: 3, mean: 5, min: 2, max: 9 });
    expect(basicStats([]).count).toBe(0);
  });
  it('seeded PRNG is deterministic and in [0, 1)', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

describe('retrieval metrics', () => {
  it('top-k: best first, ties to the lower index', () => {
    expect(topK([0.1, 0.9, 0.5, 0.9], 2)).toEqual([1, 3]);
    expect(topK([0.1, 0.9, 0.5, 0.9], 10)).toEqual([1, 3, 2, 0]);
  });
  it('top-k overlap', () => {
    expect(topKOverlap([1, 2, 3], [3, 4, 1])).toBeCloseTo(2 / 3, 12);
    expect(topKOverlap([0], [0])).toBe(1);
    expect(topKOverlap([0], [1])).toBe(0);
    expect(topKOverlap([], [])).toBe(1);
  });
  it('ranks with ties averaged', () => {
    expect(ranksDescending([5, 6, 7, 8, 7])).toEqual([5, 4, 2.5, 1, 2.5]);
  });
  it("Spearman's rho: classic formula without ties", () => {
    // ranks [4,3,2,1] vs [4,2,3,1]: sum d^2 = 2, rho = 1 - 6*2 / (4*(16-1)) = 0.8
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 2, 3], [10, 20, 30])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });
  it("Spearman's rho with ties = Pearson of average ranks", () => {
    // ranks a [5,4,3,2,1], b [5,4,2.5,1,2.5]: centred dot 8, norms^2 10 and 9.5
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 12);
    expect(spearman([1], [2])).toBe(1);
    expect(spearman([1, 1], [1, 1])).toBe(1);
    expect(spearman([1, 1], [1, 2])).toBe(0);
  });
});
