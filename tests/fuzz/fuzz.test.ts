/**
 * The fuzz suite in CI (issue 15): a bounded, seeded run of hostile inputs made from the real fixtures through
 * every reader and mode (run-case.ts), each case in a child process with a time and memory bound (harness.ts);
 * every saved reproducer (tests/fuzz/reproducers/) as a regression test; and the harness's own bounds shown to
 * work (a hang, a crash, a full V8 heap and runaway native memory are each caught and named).
 *
 * Longer runs: `npm run fuzz -- --minutes 30 --seed 123`. A failing case here is saved as a reproducer too.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FAMILIES, makeCase, nestedIfModel } from './cases.js';
import { fixtureCatalog } from './catalog.js';
import { type Outcome, REPO, Runner, runReproducers, runSeeded, tally, tallyTable } from './harness.js';
import { FUZZ_MODES } from './run-case.js';
import { reproducerFiles, saveReproducer } from './reproducers.js';
import { openBytes } from '../../src/core/onnx/open.js';
import { OnnxFormatError } from '../../src/core/onnx/errors.js';
import { parseModel } from '../../src/core/onnx/model.js';
import * as ort from 'onnxruntime-node';

/** The CI run: sized to take about three minutes on the 2-core CI machine (README, "What is guaranteed"). */
export const CI_SEED = 20261130;
export const CI_CASES = 1200;
const DIR = join(REPO, 'tests', 'fuzz', 'reproducers');

const explain = (o: Outcome) =>
  `${o.result.id} ${o.result.family} on ${o.result.base || 'a synthetic file'} (${o.result.note}):\n  - ${o.problems.join('\n  - ')}`;

describe('fuzz: hostile files through every reader and mode', () => {
  it(
    `${CI_CASES} seeded cases (seed ${CI_SEED}) end in a result or a named refusal, within bounds, input untouched, modes agreeing`,
    async () => {
      const outcomes = await runSeeded({ seed: CI_SEED, count: CI_CASES });
      const failed = outcomes.filter((o) => o.problems.length);
      if (failed.length) {
        const catalog = fixtureCatalog();
        for (const o of failed.slice(0, 20))
          if (o.job.type === 'run') saveReproducer(DIR, makeCase(o.job.seed, o.job.index, catalog), o.problems, catalog);
      }
      console.log(`fuzz: ${outcomes.length} cases, ${failed.length} failed\n${tallyTable(outcomes)}`);
      expect(outcomes).toHaveLength(CI_CASES);
      expect(failed.map(explain), `failing cases (saved as reproducers in ${DIR})`).toEqual([]);

      // The run reached what it claims to reach: every family, models our readers accept and refuse, every mode
      // succeeding and refusing, onnxruntime loading inputs and mode outputs.
      expect(new Set(outcomes.map((o) => o.result.family))).toEqual(new Set(FAMILIES));
      const t = tally(outcomes);
      expect(t.open.ok).toBeGreaterThan(CI_CASES / 4);
      expect(t.open.OnnxFormatError).toBeGreaterThan(CI_CASES / 4);
      for (const mode of FUZZ_MODES) {
        expect(t[mode].ok, mode).toBeGreaterThan(CI_CASES / 10);
        expect(t[mode].OnnxFormatError, mode).toBeGreaterThan(CI_CASES / 20);
        expect(t[`${mode}Loads`].ok, `${mode} outputs loaded in onnxruntime`).toBeGreaterThan(CI_CASES / 20);
      }
      expect(t.quality.OrtRefused).toBeGreaterThan(0);
      expect(outcomes.filter((o) => o.result.deterministic === true).length).toBeGreaterThan(CI_CASES / 40);
    },
    30 * 60_000,
  );

  const files = reproducerFiles(DIR);
  it('reproducers are committed for the failures found so far', () => expect(files.length).toBeGreaterThan(0));
  it.each(files.map((f) => [f.slice(DIR.length + 1), f]))('reproducer %s passes', async (_name, file) => {
    const [o] = await runReproducers([file]);
    expect(o!.problems, explain(o!)).toEqual([]);
  });
});

describe('fuzz: the generator', () => {
  it('is reproducible: the same seed and index give the same bytes', () => {
    const catalog = fixtureCatalog();
    for (let i = 0; i < FAMILIES.length * 2; i++) {
      const a = makeCase(99, i, catalog);
      const b = makeCase(99, i, catalog);
      expect(Buffer.compare(a.model, b.model), a.id).toBe(0);
      expect(a.note).toBe(b.note);
      expect(Object.keys(a.siblings)).toEqual(Object.keys(b.siblings));
      for (const k of Object.keys(a.siblings)) expect(Buffer.compare(a.siblings[k]!, b.siblings[k]!)).toBe(0);
    }
    expect(Buffer.compare(makeCase(99, 1, catalog).model, makeCase(100, 1, catalog).model)).not.toBe(0);
  });

  it('nesting: 31 levels of If load here and in onnxruntime; 32 are refused by both, 30,000 with a message (not a stack overflow)', async () => {
    const ok = nestedIfModel(31);
    expect((await openBytes(ok)).model.graph.nodes[0]!.opType).toBe('If');
    await (await ort.InferenceSession.create(ok)).release();
    for (const depth of [32, 30_000]) {
      const b = nestedIfModel(depth);
      await expect(openBytes(b)).rejects.toThrow(OnnxFormatError);
      await expect(openBytes(b)).rejects.toThrow(/subgraphs are nested more than 31 levels deep/);
      expect(() => parseModel(b)).toThrow(/subgraphs are nested more than 31 levels deep/);
      await expect(ort.InferenceSession.create(b)).rejects.toThrow();
    }
  });
});

describe('fuzz: the harness enforces its bounds', () => {
  const limits = (what: string) => ({ heapMb: 192, rssMb: 700, timeoutMs: () => (what === 'hang' ? 3_000 : 60_000) });
  it.each([
    ['hang', 'timeout'],
    ['crash', 'crash'],
    ['heap', 'out-of-memory'],
    ['rss', 'out-of-memory'],
  ] as const)(
    'a case that does "%s" ends as %s, and the next case runs in a fresh runner',
    async (what, cls) => {
      const runner = new Runner(limits(what));
      try {
        const r = await runner.run({ type: 'selftest', what });
        expect(r.harness?.class, r.harness?.message).toBe(cls);
        const next = await runner.run({ type: 'run', seed: 1, index: FAMILIES.indexOf('foreign-file') });
        expect(next.harness).toBeUndefined();
        expect(next.stages.open.class).toBe('OnnxFormatError');
      } finally {
        runner.stop();
      }
    },
    120_000,
  );
});
