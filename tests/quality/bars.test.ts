/**
 * One range per quality bar, said one way everywhere: a mean-cosine bar (the check's threshold, target mode's
 * minCosine) is above -1 and at most 1, a top-5 overlap bar at least 0 and at most 1; the engine, the CLI's flags and
 * the page's forms accept the same values and word a refusal as the mode tables do ("above -1 and at most 1"), never
 * in interval notation.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSettings } from '../../src/core/quality/assemble.js';
import { COSINE_BAR_RANGE, OVERLAP_BAR_RANGE } from '../../src/core/quality/index.js';
import { numberRangeProblem, numberRangeText } from '../../src/core/modes/options.js';
import { defaultForm, readForm } from '../../src/app/quality/selection.js';

describe('quality bars', () => {
  it('the ranges, in words', () => {
    expect(numberRangeText(COSINE_BAR_RANGE)).toBe('above -1 and at most 1');
    expect(numberRangeText(OVERLAP_BAR_RANGE)).toBe('at least 0 and at most 1');
    expect(numberRangeProblem(COSINE_BAR_RANGE, 1, 'x')).toBeNull();
    expect(numberRangeProblem(COSINE_BAR_RANGE, -0.999, 'x')).toBeNull();
    expect(numberRangeProblem(OVERLAP_BAR_RANGE, 0, 'x')).toBeNull();
  });

  it("the check's threshold: the engine and the page refuse -1 and 1.5 in the same words", () => {
    expect(() => checkSettings({ threshold: -1 })).toThrow(new RangeError('threshold must be above -1 and at most 1 (got -1)'));
    expect(() => checkSettings({ threshold: 1.5 })).toThrow(new RangeError('threshold must be above -1 and at most 1 (got 1.5)'));
    expect(() => checkSettings({ threshold: Number.NaN })).toThrow(new RangeError('threshold must be a number (got NaN)'));
    expect(checkSettings({ threshold: 1 }).threshold).toBe(1);
    for (const t of ['-1', '1.5', 'abc'])
      expect(readForm({ ...defaultForm(), threshold: t }), t).toEqual({
        ok: false,
        errors: ['Threshold must be a number above -1 and at most 1 (e.g. 0.95).'],
      });
  });

  it('no message in the code says a range in interval notation (the shape-inference messages copied from onnx aside)', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|svelte)$/.test(n)) files.push(p);
      }
    };
    for (const d of ['src', 'workers']) walk(d);
    const hits: string[] = [];
    for (const f of files) {
      if (relative('src/core/onnx/infer', f).split('/')[0] !== '..') continue;
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.trim();
          if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return;
          if (/must be in [([]|\((-?\d+(\.\d+)?), ?(-?\d+(\.\d+)?)\]/.test(code)) hits.push(`${f}:${i + 1}: ${code}`);
        });
    }
    expect(hits).toEqual([]);
  });
});
