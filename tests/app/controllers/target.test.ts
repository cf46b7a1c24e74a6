/**
 * The page side of issue 13 without a DOM: "Where will it run?" on the quantize controller (the target picks INT8's
 * preset, the request carries it, the result carries the check of the written output), the findings as the result
 * panel words them, and the target-mode controller driving the target worker's job (workers/target-job.ts) on
 * onnxruntime-node with a small budget: report, plot, per-group table, the cache, cancel.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { QuantizeController, webgpuChoiceFor, type QuantizeDeps } from '../../../src/app/controllers/quantize.svelte.js';
import {
  TargetController,
  barText,
  defaultTargetForm,
  groupRows,
  parseTargetForm,
  plotOf,
  qualityRunOf,
  readStoredForm,
  type TargetDeps,
} from '../../../src/app/controllers/target.svelte.js';
import { modelName } from '../../../src/app/names.js';
import { findCompanions, withRelativePath } from '../../../src/app/quality/companions.js';
import { WHERE_OPTIONS, findingsView, whereOption } from '../../../src/app/target/where.js';
import type { TargetReport } from '../../../src/core/mixed/index.js';
import { withPreset } from '../../../src/core/modes/options.js';
import { modeMeta } from '../../../src/core/modes/registry.js';
import { inspectModel } from '../../../src/core/onnx/index.js';
import { DEFAULT_TARGET, TARGETS, WHERE_CHOICES } from '../../../src/core/targets/index.js';
import { runTargetJob } from '../../../workers/target-job.js';
import type { TargetRequest, TargetResult } from '../../../workers/target-protocol.js';
import { MINILM, fixture, manifest, pathOf } from '../../helpers/fixtures.js';
import { nodeQuantize } from './node-deps.js';

const asFile = (path: string, rel: string) => withRelativePath(new File([readFileSync(path)], rel.split('/').pop()!), rel);

function quantizeSource(path: string, rel = basename(path)) {
  const bytes = readFileSync(path);
  return {
    file: asFile(path, rel),
    externalFiles: [],
    name: modelName(rel),
    summary: inspectModel(new Uint8Array(bytes), { fileName: basename(rel) }),
  };
}

function quantizeDeps(): QuantizeDeps {
  let n = 0;
  return {
    quantize: nodeQuantize,
    newJobId: () => `job-${++n}`,
    removeJobFiles: async () => undefined,
    now: () => new Date('2026-11-30T12:00:00.000Z'),
  };
}

/** libonnx's pytorch-converted Conv2d: INT8 with int8 weights gives a ConvInteger ARM64's onnxruntime 1.22 cannot run. */
const conv = () => {
  const f = manifest().fixtures.find((x) => x.kind === 'onnx-node-test')!;
  return pathOf(`${f.path}/pytorch-converted/test_Conv2d/model.onnx`);
};

describe('"Where will it run?" in the quantize controller', () => {
  it('lists the core targets with the core words, Android ARM64 first and the default', () => {
    expect(WHERE_OPTIONS.map((o) => o.id)).toEqual([...WHERE_CHOICES]);
    expect(WHERE_OPTIONS.filter((o) => o.isDefault).map((o) => o.id)).toEqual([DEFAULT_TARGET]);
    for (const o of WHERE_OPTIONS) {
      expect(o.label).toBe(TARGETS[o.id].label);
      expect(o.advice).toBe(TARGETS[o.id].advice);
      expect(o.int8Preset).toBe(TARGETS[o.id].int8Preset);
    }
    expect(whereOption('browser-webgpu').quality).toEqual({ backend: 'webgpu', note: null });
    expect(whereOption('android-arm64').quality.backend).toBe('wasm');
    expect(whereOption('android-arm64').quality.note).toMatch(/approximates/);
  });

  it("picking a target sets INT8's preset unless the user chose one; the request carries the target", async () => {
    const c = new QuantizeController(quantizeSource(conv(), 'conv/model.onnx'), quantizeDeps());
    const meta = modeMeta('int8');
    expect(c.target).toBe('android-arm64');
    expect(c.targetPicked).toBe(false);
    expect(c.forms.int8.preset).toBe(meta.defaultPreset); // as the CLI without --target
    expect(c.targetInt8Preset).toBeNull();
    c.chooseTarget('x86-avx2');
    expect(c.forms.int8.preset).toBe('avx2');
    expect(c.forms.int8.values.weightType).toBe('quint8');
    expect(c.targetInt8Preset).toBe('avx2');
    c.chooseTarget('android-arm64');
    expect(c.forms.int8.preset).toBe('arm64');
    // The user's own preset stays.
    c.forms.int8 = withPreset(meta, c.forms.int8, 'ort-default'); // what the preset select does
    c.chooseTarget('x86-vnni');
    expect(c.forms.int8.preset).toBe('ort-default');
    expect(c.target).toBe('x86-vnni');

    // ort-default makes int8 Conv weights: ConvInteger, which ARM64's onnxruntime 1.22 cannot run.
    c.chooseTarget('android-arm64');
    await c.start();
    const r = c.resultFor('int8')!;
    expect(r.targetRequested).toBe(true);
    expect(r.targetCheck.target).toBe('android-arm64');
    expect(r.targetCheck.ok).toBe(false);
    const v = findingsView(r.targetCheck);
    expect(v.ok).toBe(false);
    expect(v.headline).toMatch(
      /^Will not run on Android \/ iOS, ONNX Runtime on ARM64: 1 node cannot run in .* 1\.22\.0 \(ConvInteger\)\.$/,
    );
    expect(v.blocking.map((b) => b.op)).toEqual(['ConvInteger']);
    expect(v.blocking[0]!.holdsFor).toMatch(/before 1\.24/);
    expect(v.blocking[0]!.sources.map((s) => s.where).join(' ')).toMatch(/conv_integer\.cc/);
    expect(webgpuChoiceFor(r, null)).toBeNull();

    // The same with uint8 weights (x86-avx2's preset) runs there: a clean pass in one line.
    c.chooseTarget('x86-avx2');
    c.forms.int8 = withPreset(meta, c.forms.int8, 'avx2');
    await c.start();
    const ok = c.resultFor('int8')!;
    expect(ok.targetCheck.ok, ok.targetCheck.summary).toBe(true);
    expect(findingsView(ok.targetCheck).headline).toMatch(
      /^Runs on x86 desktop \(AVX2, no VNNI\): every node has a kernel in onnxruntime 1\.22\.0/,
    );
  });

  it('a WebGPU target turns the quality check to WebGPU; others keep the saved choice', () => {
    expect(webgpuChoiceFor({ qualityBackend: { backend: 'webgpu', exact: true, note: null } }, false)).toBe(true);
    expect(webgpuChoiceFor({ qualityBackend: { backend: 'wasm', exact: true, note: null } }, false)).toBe(false);
  });
});

describe('the target-mode form', () => {
  it('needs a bar, a probe set, a candidate; says what is wrong', () => {
    const f = defaultTargetForm();
    expect(parseTargetForm(f)).toMatchObject({
      ok: true,
      bar: { minCosine: 0.99 },
      probes: ['en', 'multi'],
      subset: 24,
      candidates: ['fp16', 'int8', 'q4'],
      maxVerifications: 6,
      uniform: true,
    });
    expect(parseTargetForm({ ...f, useCosine: false })).toEqual({ ok: false, error: expect.stringMatching(/choose a bar/) });
    // The range and its wording are the CLI flags' and the engine's (COSINE_BAR_RANGE, OVERLAP_BAR_RANGE).
    expect(parseTargetForm({ ...f, minCosine: '1.5' })).toEqual({
      ok: false,
      error: 'Minimum mean cosine must be above -1 and at most 1 (got 1.5)',
    });
    expect(parseTargetForm({ ...f, minCosine: '-1' })).toEqual({
      ok: false,
      error: 'Minimum mean cosine must be above -1 and at most 1 (got -1)',
    });
    expect(parseTargetForm({ ...f, minCosine: 'high' })).toEqual({ ok: false, error: 'Minimum mean cosine must be a number (got "high")' });
    expect(parseTargetForm({ ...f, useTop5: true, minTop5: '95' })).toEqual({
      ok: false,
      error: 'Minimum top-5 overlap must be at least 0 and at most 1 (got 95)',
    });
    expect(parseTargetForm({ ...f, probes: [] })).toMatchObject({ ok: false });
    expect(parseTargetForm({ ...f, candidates: [] })).toMatchObject({ ok: false });
    expect(parseTargetForm({ ...f, subset: '2.5' })).toMatchObject({ ok: false, error: expect.stringMatching(/whole number/) });
    expect(barText({ minCosine: 0.99, minTop5Overlap: 0.95 })).toBe('mean cosine ≥ 0.99 and top-5 overlap ≥ 0.95');
    // The remembered form is untrusted JSON: known fields of the right type, defaults for the rest.
    expect(readStoredForm(null)).toEqual(f);
    expect(
      readStoredForm({ minCosine: '0.995', probes: ['en', 'klingon'], candidates: ['q4', 'int4'], uniform: 'yes', subset: 6 }),
    ).toEqual({ ...f, minCosine: '0.995', probes: ['en'], candidates: ['q4'] });
  });
});

describe('TargetController on the target worker job (onnxruntime-node)', () => {
  const f = fixture(MINILM);
  const extra = f.extra as Record<string, string>;
  const model = asFile(pathOf(f), 'all-MiniLM-L6-v2/onnx/model.onnx');
  const companions = [
    asFile(pathOf(f, f.tokenizer!), 'all-MiniLM-L6-v2/tokenizer.json'),
    asFile(pathOf(f, extra.tokenizerConfig!), 'all-MiniLM-L6-v2/tokenizer_config.json'),
    asFile(pathOf(f, extra.poolingConfig!), 'all-MiniLM-L6-v2/1_Pooling/config.json'),
  ];
  const stored = new Map<string, TargetReport>();
  const requests: TargetRequest[] = [];
  const removed: string[] = [];
  let n = 0;
  const jobDeps = {
    ort,
    backendLabel: 'onnxruntime-node cpu',
    sessionOptions: { executionProviders: ['cpu'] },
    cache: { get: async (k: string) => stored.get(k), set: async (k: string, v: TargetReport) => void stored.set(k, v) },
    write: async (bytes: Uint8Array) => ({ file: new Blob([bytes as BlobPart]), storage: 'memory' as const }),
  };
  const runtime = (req: TargetRequest) => ({
    backend: req.backend ?? 'wasm',
    ortBuild: 'onnxruntime-node',
    threads: 1,
    threadsReason: 'test',
  });
  const lookups: TargetRequest[] = [];
  const deps: TargetDeps = {
    run: async (req, opts) => {
      requests.push(req);
      const j = await runTargetJob({ ...req, cacheOnly: false }, jobDeps, opts.onProgress, opts.signal);
      return { ...j, runtime: runtime(req) } satisfies TargetResult;
    },
    lookup: async (req, opts) => {
      lookups.push(req);
      const j = await runTargetJob({ ...req, cacheOnly: true }, jobDeps, undefined, opts.signal);
      return j && { ...j, runtime: runtime(req) };
    },
    newJobId: () => `t-${++n}`,
    removeJobFiles: async (id) => void removed.push(id),
    loadProbeFile: async (file) => JSON.parse(await readFile(join('public', 'probes', file), 'utf8')),
    findCompanions,
    now: () => new Date('2026-11-30T12:00:00.000Z'),
  };
  const small = () => {
    const t = new TargetController(
      { file: model, externalFiles: [], companions: () => companions, name: modelName('all-MiniLM-L6-v2/onnx/model.onnx') },
      deps,
    );
    // A small budget: English only, a 6-sentence subset, int8 or fp32 per group, one verified mix.
    t.form = { ...t.form, minCosine: '0.98', probes: ['en'], subset: '6', candidates: ['int8'], maxVerifications: '1', uniform: false };
    return t;
  };

  it(
    'finds a mix, shows the plot, the table, the report; the same run again comes from the cache; cancel keeps the answer',
    { timeout: 600_000 },
    async () => {
      const t = small();
      await t.start('browser-wasm', 'arm64');
      expect(t.job.status, t.job.error?.message).toBe('done');
      const req = requests.at(-1)!;
      expect(req.bar).toEqual({ minCosine: 0.98 });
      expect(req.target).toEqual({ id: 'browser-wasm' });
      expect(req.backend).toBe('wasm');
      expect(req.int8).toEqual({ preset: 'arm64' });
      expect(req.tokenizer?.tokenizerJson).toBe(companions[0]);
      expect(req.probes.sentenceSets.map((s) => s.id)).toEqual(['en']);
      expect(req.probes.retrievalSets.length).toBeGreaterThan(0);

      const r = t.result!;
      expect(r.fromCache).toBe(false);
      expect(t.fileName).toBe('model-MIXED.onnx');
      const report = r.report;
      expect(report.verdict.statement.length).toBeGreaterThan(0);
      // The plot: every measured point with a mean cosine, plain INT8 marked once, the bar line at 0.98.
      const plot = plotOf(report);
      expect(plot.measure).toBe('meanCosine');
      expect(plot.bar).toBe(0.98);
      expect(plot.points.length + plot.missing).toBe(report.points.length);
      expect(plot.points.filter((p) => p.int8).length).toBeGreaterThanOrEqual(1);
      expect(plot.y.lo).toBeLessThanOrEqual(0.98);
      // The table: one row per layer group, with the answer's precision.
      const rows = groupRows(report);
      expect(rows.map((g) => g.id)).toEqual(report.groups.map((g) => g.id));
      if (report.chosen) {
        expect(plot.points.filter((p) => p.chosen).length).toBeGreaterThanOrEqual(1);
        for (const g of rows) expect(g.precision).toBe(report.chosen.assignment[g.id] ?? 'fp32');
        expect(r.file!.size).toBe(report.chosen.bytes);
        expect(r.targetCheck).toMatchObject({ target: 'browser-wasm' });
        expect(t.url).toMatch(/^blob:/);
        expect(qualityRunOf(r)?.state.status).toBe('done');
      } else {
        expect(r.file).toBeNull();
        expect(report.verdict.statement).toMatch(/nothing smaller|Nothing smaller/i);
      }

      // The same model, bar and budget again: from the cache, the same answer bytes.
      const first = r.file ? new Uint8Array(await r.file.arrayBuffer()) : null;
      await t.start('browser-wasm', 'arm64');
      expect(t.result!.fromCache).toBe(true);
      expect(t.result!.report.cacheKey).toBe(report.cacheKey);
      if (first) expect(Buffer.compare(new Uint8Array(await t.result!.file!.arrayBuffer()), first)).toBe(0);

      // Cancel at once: nothing new, the answer stays, the job's files go.
      const shown = t.result;
      const run = t.start('browser-wasm', 'arm64', { noCache: true });
      t.cancel();
      await run;
      expect(t.job.status).toBe('cancelled');
      expect(t.result).toBe(shown);
      expect(removed).toContain(`t-${n}`);
    },
  );

  it('opening the panel again (a new controller, e.g. after a reload) shows the cached answer at once; another bar finds nothing and measures nothing', async () => {
    const before = requests.length;
    const again = small();
    expect(await again.lookupCached('browser-wasm', 'arm64')).toBe(true);
    expect(again.result?.fromCache).toBe(true);
    expect(again.result?.report.bar).toEqual({ minCosine: 0.98 });
    expect(lookups.at(-1)?.cacheOnly).toBeUndefined(); // the controller asks; the dependency says "cache only"
    const other = small();
    other.form = { ...other.form, minCosine: '0.97' };
    expect(await other.lookupCached('browser-wasm', 'arm64')).toBe(false);
    expect(other.result).toBeNull();
    expect(requests.length).toBe(before);
  });

  it('a top-5 bar without a tokenizer is refused before any work, with the reason', async () => {
    const t = new TargetController({ file: model, externalFiles: [], companions: () => [], name: modelName('model.onnx') }, deps);
    t.form = { ...t.form, useTop5: true };
    const before = requests.length;
    await t.start('android-arm64', null);
    expect(t.job.status).toBe('error');
    expect(t.job.error?.message).toMatch(/top-5 overlap bar needs the tokenizer/);
    expect(requests.length).toBe(before);
  });
});
