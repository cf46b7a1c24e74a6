import { describe, expect, it } from 'vitest';
import { chartBins } from '../../src/app/quality/chart.js';

describe('chartBins: the histogram the page draws', () => {
  it('re-bins the texts over a range that includes the threshold', () => {
    const cosines = [0.991, 0.995, 0.996, 0.999, 0.9995];
    const c = chartBins({ lo: 0.99, hi: 1, counts: [1, 0, 2, 0, 2] }, 0.95, cosines);
    expect(c.lo).toBeLessThanOrEqual(0.95);
    expect(c.hi).toBe(1);
    expect(c.bins.reduce((a, b) => a + b.count, 0)).toBe(5);
    expect(c.bins.every((b, i) => i === 0 || b.lo === c.bins[i - 1]!.hi)).toBe(true);
    // Labels tell neighbouring bins apart (no "[0.996, 0.996)").
    expect(new Set(c.bins.map((b) => b.label)).size).toBe(c.bins.length);
  });
  it('without the per-text values: the report bins, on a range widened to the threshold', () => {
    const c = chartBins({ lo: 0.99, hi: 1, counts: [1, 2] }, 0.9, null);
    expect([c.lo, c.hi]).toEqual([0.9, 1]);
    expect(c.bins.map((b) => [b.lo, b.count])).toEqual([
      [0.99, 1],
      [0.995, 2],
    ]);
  });
  it('a text below the threshold widens the range to it', () => {
    const c = chartBins({ lo: 0.5, hi: 1, counts: [1, 1] }, 0.95, [0.52, 0.99]);
    expect(c.lo).toBeLessThanOrEqual(0.52);
    expect(c.bins[0]!.count).toBe(1);
  });
});
