/**
 * Target mode (src/core/mixed/target.ts) on all-MiniLM-L6-v2 with the bar "mean cosine ≥ 0.995", the issue's proof:
 * the answer meets the bar on the FULL probe set (en + multi, checked by runQualityCheck itself) and is smaller than
 * plain INT8 with the default preset, or the report says that no smaller mix met it, and then that statement is
 * true (checked independently: plain INT8 made by quantizeInt8 and measured by runQualityCheck misses the bar, or
 * every measured model smaller than it missed it). Sensitivity runs on a 12-sentence subset (+ the retrieval sets) to
 * keep the time bounded; the wall time is printed.
 *
 * The one heavy run goes through the Node entry the CLI uses (src/node/target.ts runTargetModeOnFiles: the fixture's
 * file, its tokenizer and pooling config found beside it, a cache folder, the CLI's provenance); the CLI tests below
 * then run `ava-quant quantize … target` with the same settings and take that cached report (no second search).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { quantizeInt8 } from '../../src/core/int8/index.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { encodeStringEntry } from '../../src/core/onnx/encode.js';
import { MODEL } from '../../src/core/onnx/model.js';
import { collectPieces, concatParts, lenField, writeModel } from '../../src/core/onnx/writer.js';
import { lineageFacts } from '../../src/core/quality/lineage.js';
import {
  modelDigest,
  quickSelection,
  runQualityCheck,
  type OrtModule,
  type ProbeBundle,
  type QualityReport,
} from '../../src/core/quality/index.js';
import {
  buildMix,
  resolveMixOptions,
  runTargetMode,
  targetCacheKey,
  targetCacheKeyFor,
  top5Overlap,
  type TargetProgress,
  type TargetReport,
  type TargetResult,
} from '../../src/core/mixed/index.js';
import { miniLM, probes, withInitializer, type MiniLM } from '../quality/helpers.js';
import { runTargetModeOnFiles, shippedProbes } from '../../src/node/target.js';
import { TOOL } from '../../src/core/tool.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { cacheEntryKey, runTargetJob } from '../../workers/target-job.js';
import type { TargetRequest } from '../../workers/target-protocol.js';
import { runCli } from '../helpers/cli.js';

/** The date the CLI records with SOURCE_DATE_EPOCH=EPOCH (src/cli/pipeline.ts provenanceDate). */
const EPOCH = 1_767_225_600;
let work: string;

const BAR = 0.995;
const ortNode = ort as unknown as OrtModule;
let m: MiniLM;
let p: ProbeBundle;
let full: ProbeBundle;
beforeAll(async () => {
  m = await miniLM();
  p = await probes();
  full = { sentenceSets: p.sentenceSets.filter((s) => s.id === 'en' || s.id === 'multi'), retrievalSets: p.retrievalSets };
  work = mkdtempSync(join(tmpdir(), 'ava-target-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { SOURCE_DATE_EPOCH: String(EPOCH), ...env });

async function check(bytes: Uint8Array): Promise<QualityReport> {
  return runQualityCheck({
    ort: ortNode,
    original: { bytes: m.bytes, name: 'model.onnx' },
    quantized: { bytes, name: 'q.onnx' },
    tokenizer: m.tokenizer,
    pooling: m.pooling,
    sentenceSets: full.sentenceSets,
    retrievalSets: full.retrievalSets,
    threshold: BAR,
    batchEffectItems: 0,
  });
}

describe(`target mode on all-MiniLM-L6-v2, bar mean cosine >= ${BAR}`, () => {
  let result: TargetResult;
  const events: TargetProgress[] = [];
  let wallMs = 0;
  let cacheFile: string;
  const source = () => ({ name: 'model.onnx', sha256: createHash('sha256').update(m.bytes).digest('hex') });
  beforeAll(async () => {
    const t0 = performance.now();
    // What `SOURCE_DATE_EPOCH=EPOCH ava-quant quantize model.onnx out.onnx target --min-cosine 0.995 --subset 12
    // --no-uniform --max-verifications 4` does, with AVA_CACHE_DIR=<work>/cache.
    const r = await runTargetModeOnFiles({
      input: pathOf(fixture(MINILM)),
      output: join(work, 'answer.onnx'),
      bar: { minCosine: BAR },
      sensitivitySentences: 12,
      uniform: false,
      maxVerifications: 4,
      cacheDir: join(work, 'cache', 'target'),
      provenance: { source: source(), toolVersion: TOOL.version, date: new Date(EPOCH * 1000).toISOString() },
      onProgress: (e) => events.push(e),
    });
    wallMs = performance.now() - t0;
    expect(r.cached).toBe(false);
    result = r;
    cacheFile = r.cacheFile!;
  }, 600_000);

  it('the answer meets the bar on the full probe set and is smaller than plain INT8, or the report says truthfully that none smaller did', async () => {
    const r = result.report;
    const mib = (b: number) => (b / 2 ** 20).toFixed(2);
    console.info(
      `[target] MiniLM bar ${BAR}: ${r.verdict.statement}\n[target] wall ${(wallMs / 1000).toFixed(1)} s (groups ${r.timings.groupsMs} ms, baseline ${r.timings.baselineMs} ms, ` +
        `sensitivity ${r.timings.sensitivityMs} ms over ${r.points.filter((x) => x.kind === 'sensitivity').length} models, verify ${r.timings.verifyMs} ms, report ${r.timings.reportMs} ms)`,
    );
    // Plain INT8, made and measured independently of the engine.
    const provenance = { source: source(), toolVersion: TOOL.version, date: new Date(EPOCH * 1000).toISOString() };
    const int8Bytes = await collectPieces((await quantizeInt8(parseModel(m.bytes), { provenance })).parts);
    expect(r.int8.bytes).toBe(int8Bytes.length);
    const int8Report = await check(int8Bytes);
    expect(r.int8.meanCosine).toBeCloseTo(int8Report.cosine!.mean!, 10);
    console.info(
      `[target] plain INT8 ${mib(int8Bytes.length)} MiB mean cosine ${int8Report.cosine!.mean!.toFixed(4)}; answer ${r.chosen ? `${mib(r.chosen.bytes)} MiB ${r.chosen.meanCosine!.toFixed(4)}` : 'none'}`,
    );

    if (r.chosen) {
      // The answer, checked by the quality check itself on the full probe set (en + multi).
      expect(result.bytes!.length).toBe(r.chosen.bytes);
      const q = await check(result.bytes!);
      expect(q.cosine!.count).toBe(full.sentenceSets.reduce((a, s) => a + s.sentences.length, 0));
      expect(q.cosine!.mean!).toBeGreaterThanOrEqual(BAR);
      expect(q.verdict.pass).toBe(true);
      expect(q.cosine!.mean!).toBeCloseTo(r.chosen.meanCosine!, 10);
      expect(top5Overlap(q.retrieval)).toBeCloseTo(r.chosen.top5Overlap!, 10);
      expect(r.quality!.cosine!.mean!).toBeCloseTo(q.cosine!.mean!, 10);
      expect(q.lineage!.status).not.toBe('unrelated');
      // Rebuilding from the report gives the same bytes (with the same provenance), and they are the file written.
      expect(
        Buffer.compare((await buildMix(parseModel(m.bytes), r.chosen.assignment, { ...r.mixOptions, provenance })).bytes, result.bytes!),
      ).toBe(0);
      expect(Buffer.compare(readFileSync(join(work, 'answer.onnx')), result.bytes!)).toBe(0);
    }
    if (r.verdict.smallerThanInt8) {
      expect(r.chosen!.bytes).toBeLessThan(int8Bytes.length);
      expect(r.verdict.statement).toMatch(/^Met the bar .* smaller than plain INT8/);
    } else {
      expect(r.verdict.statement).toMatch(/^(No mix smaller than plain INT8|Nothing smaller than the float32 original)/);
      // The statement is true: plain INT8 misses the bar, or (when it meets it) every measured model smaller missed it.
      const int8Misses = int8Report.cosine!.mean! < BAR;
      const smallerMet = r.points.filter((x) => x.probes === 'full' && x.bytes < int8Bytes.length && x.meetsBar);
      expect(int8Misses || smallerMet.length === 0).toBe(true);
      expect(r.verdict.int8MeetsBar).toBe(!int8Misses);
      expect(r.verdict.statement).toContain(int8Misses ? 'plain INT8 misses it' : 'plain INT8 meets it');
    }
  });

  it('sensitivity: every weighted group at fp16, int8 and q4 on the subset; predicted sizes within 0.5% of every real file', () => {
    const r = result.report;
    expect(r.groups.map((g) => g.id)).toEqual(['embeddings', 'layer.0', 'layer.1', 'layer.2', 'layer.3', 'layer.4', 'layer.5', 'rest']);
    const sens = r.points.filter((x) => x.kind === 'sensitivity');
    expect(sens.map((x) => x.label).sort()).toEqual(
      ['embeddings', 'layer.0', 'layer.1', 'layer.2', 'layer.3', 'layer.4', 'layer.5']
        .flatMap((g) => ['fp16', 'int8', 'q4'].map((q) => `${g} ${q}`))
        .sort(),
    );
    expect(sens.every((x) => x.probes === 'subset' && x.meanCosine! > 0.98 && x.meanCosine! <= 1)).toBe(true);
    // fp16 is the least lossy candidate of every group.
    for (const g of r.groups.filter((x) => x.id !== 'rest')) {
      const at = (q: string) => sens.find((x) => x.label === `${g.id} ${q}`)!.meanCosine!;
      expect(at('fp16'), g.id).toBeGreaterThan(Math.max(at('int8'), at('q4')));
    }
    for (const x of r.points) expect(Math.abs(x.predictedBytes - x.bytes) / x.bytes, x.label).toBeLessThan(0.005);
    expect(r.probes.subset).toMatch(/^12 texts: en 6, multi 6/);
    expect(r.probes.full).toMatch(/^219 texts: en 107, multi 112/);
  });

  it('the curve: predicted size falls as the cosine budget grows; searched mixes are verified on the full set', () => {
    const r = result.report;
    expect(r.curve.length).toBeGreaterThan(3);
    for (let i = 1; i < r.curve.length; i++) {
      expect(r.curve[i]!.predictedBytes).toBeLessThan(r.curve[i - 1]!.predictedBytes);
      expect(r.curve[i]!.predictedMeanCosine).toBeLessThanOrEqual(r.curve[i - 1]!.predictedMeanCosine);
    }
    const attempts = r.points.filter((x) => x.kind === 'attempt');
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.length).toBeLessThanOrEqual(4);
    for (const a of attempts) {
      expect(a.probes).toBe('full');
      expect(a.predicted!.cosLoss).toBeLessThanOrEqual(a.predicted!.budget.cos! + 1e-12);
    }
    // After a failed attempt the next one is predicted strictly less lossy (the backoff).
    for (let i = 1; i < attempts.length; i++)
      if (!attempts[i - 1]!.meetsBar) expect(attempts[i]!.predicted!.cosLoss).toBeLessThan(attempts[i - 1]!.predicted!.cosLoss);
    if (r.chosen) expect(r.chosen.bytes).toBe(Math.min(...r.points.filter((x) => x.probes === 'full' && x.meetsBar).map((x) => x.bytes)));
  });

  it('the CLI (`quantize … target`, same settings) takes the cached report: the same file, the precision per group, every point, the verdict, the final report', () => {
    const r = result.report;
    expect(existsSync(cacheFile)).toBe(true);
    expect(cacheFile).toContain(r.cacheKey);
    const out = join(work, 'cli.onnx');
    const args = [
      'quantize',
      pathOf(fixture(MINILM)),
      out,
      'target',
      '--min-cosine',
      String(BAR),
      '--subset',
      '12',
      '--no-uniform',
      '--max-verifications',
      '4',
    ];
    const t0 = performance.now();
    const c = cli(args, { AVA_CACHE_DIR: join(work, 'cache') });
    console.info(`[target] CLI from the cache in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(c.code, c.err).toBe(r.chosen ? 0 : 7);
    // The verdict, honest about plain INT8; the precision chosen per layer group; the plot's points; the report.
    expect(c.out).toContain(`Verdict               ${r.verdict.statement}`);
    expect(c.out).toMatch(
      r.verdict.smallerThanInt8 ? /smaller than plain INT8/ : /No mix smaller than plain INT8|Nothing smaller than the float32 original/,
    );
    for (const g of r.groups)
      expect(c.out).toMatch(new RegExp(`^  ${g.id.replace('.', '\\.')}\\s+${r.chosen?.assignment[g.id] ?? 'fp32'}\\s`, 'm'));
    expect(c.out.match(/^ {2}(sensitivity|attempt|uniform) /gm)).toHaveLength(r.points.length);
    expect(c.out).toMatch(/Quality report of the answer \(full probe set\):\n(PASS|FAIL) {2}mean cosine/);
    expect(c.out).toMatch(/Cache {17}from .*\.node-cpu\.json/);
    expect(c.out).toMatch(/Target check {10}runs: /); // the answer checked against android-arm64 (the default) before it was kept
    if (r.chosen)
      expect(Buffer.compare(readFileSync(out), readFileSync(join(work, 'answer.onnx'))), 'the same bytes as the run that measured it').toBe(
        0,
      );
    // --json: the whole target report (points, groups, chosen assignment, verdict, quality report).
    const j = cli([...args, '--json', '--force'], { AVA_CACHE_DIR: join(work, 'cache') });
    const parsed = JSON.parse(j.out) as {
      cached: boolean;
      written: boolean;
      report: TargetReport;
      target: { target: string; ok: boolean };
    };
    expect(parsed.cached).toBe(true);
    expect(parsed.report.cacheKey).toBe(r.cacheKey);
    expect(parsed.report.points).toEqual(JSON.parse(JSON.stringify(r.points)));
    expect(parsed.target).toMatchObject({ target: 'android-arm64', ok: true });
  });

  it('the CLI: an answer the target cannot run is not kept (exit 9, --force keeps it); a cached "nothing met the bar" exits 7 and writes nothing', async () => {
    const r = result.report;
    const base = ['quantize', pathOf(fixture(MINILM))];
    const same = ['target', '--min-cosine', String(BAR), '--subset', '12', '--no-uniform', '--max-verifications', '4'];
    const env = { AVA_CACHE_DIR: join(work, 'cache') };
    if (r.chosen) {
      // The ORT Mobile package has no float16 kernels and no MatMulNBits: an answer with fp16 / q4 groups cannot run there.
      const needs = Object.values(r.chosen.assignment).some((x) => x === 'fp16' || x === 'q4');
      const mobile = cli(
        [...base, join(work, 'mobile.onnx'), ...same, '--int8-preset', 'avx512-vnni', '--target', 'android-arm64-ort-mobile'],
        env,
      );
      expect(mobile.code, mobile.err).toBe(needs ? 9 : 0);
      expect(existsSync(join(work, 'mobile.onnx'))).toBe(!needs);
      if (needs) {
        expect(mobile.out).toMatch(/Target check {10}CANNOT RUN: Android, ORT Mobile package/);
        expect(mobile.err.trim().split('\n').at(-1)).toMatch(/nothing was written .*--force/);
        expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
        const kept = cli(
          [...base, join(work, 'mobile.onnx'), ...same, '--int8-preset', 'avx512-vnni', '--target', 'android-arm64-ort-mobile', '--force'],
          env,
        );
        expect(kept.code).toBe(0);
        expect(existsSync(join(work, 'mobile.onnx'))).toBe(true);
      }
    }
    // A cached report for another bar whose answer is "none": what the CLI says and does with it.
    const bar = 0.99999;
    const key = await targetCacheKeyFor({
      model: m.bytes,
      tokenizer: m.tokenizer,
      pooling: m.pooling,
      probes: await shippedProbes(),
      sensitivitySentences: 12,
      uniform: false,
      maxVerifications: 4,
      bar: { minCosine: bar },
    });
    const none: TargetReport = {
      ...r,
      cacheKey: key,
      bar: { minCosine: bar },
      chosen: null,
      quality: null,
      verdict: {
        met: false,
        smallerThanInt8: false,
        int8MeetsBar: false,
        statement: `Nothing smaller than the float32 original met the bar (mean cosine ≥ ${bar}); plain INT8 misses it.`,
      },
    };
    writeFileSync(
      join(work, 'cache', 'target', `${key}.node-cpu.json`),
      JSON.stringify({ engineVersion: r.engineVersion, cacheKey: key, backend: 'onnxruntime-node cpu', savedAt: 'test', report: none }),
    );
    const c = cli(
      [
        ...base,
        join(work, 'none.onnx'),
        'target',
        '--min-cosine',
        String(bar),
        '--subset',
        '12',
        '--no-uniform',
        '--max-verifications',
        '4',
      ],
      env,
    );
    expect(c.code, c.err).toBe(7);
    expect(existsSync(join(work, 'none.onnx'))).toBe(false);
    expect(c.out).toContain('none: only the float32 original meets the bar');
    expect(c.err).toMatch(/nothing smaller than the original met the bar; no file was written/);
  });

  it("the page's target worker job (workers/target-job.ts) takes the cached report: the answer rebuilt byte for byte, checked against the target, written", async () => {
    const r = result.report;
    const f = fixture(MINILM);
    const blob = (p: string) => new Blob([readFileSync(p)]);
    const dirOf = pathOf(f).replace(/[\\/][^\\/]+$/, '');
    const req: TargetRequest = {
      model: { blob: blob(pathOf(f)), name: 'model.onnx' },
      tokenizer: {
        tokenizerJson: blob(join(dirOf, 'tokenizer.json')),
        tokenizerConfig: existsSync(join(dirOf, 'tokenizer_config.json')) ? blob(join(dirOf, 'tokenizer_config.json')) : null,
      },
      pooling: existsSync(join(dirOf, '1_Pooling', 'config.json')) ? blob(join(dirOf, '1_Pooling', 'config.json')) : null,
      bar: { minCosine: BAR },
      probes: await shippedProbes(),
      sensitivitySentences: 12,
      uniform: false,
      maxVerifications: 4,
      date: new Date(EPOCH * 1000).toISOString(),
      target: { id: 'browser-wasm' },
    };
    const label = 'onnxruntime-web wasm';
    const stored = new Map<string, TargetReport>([[cacheEntryKey(r.cacheKey, label), r]]);
    const writes: number[] = [];
    const deps = {
      ort: ortNode,
      backendLabel: label,
      sessionOptions: { executionProviders: ['cpu'] },
      cache: { get: async (k: string) => stored.get(k), set: async (k: string, v: TargetReport) => void stored.set(k, v) },
      write: async (bytes: Uint8Array) => (writes.push(bytes.length), { file: new Blob([bytes as BlobPart]), storage: 'memory' as const }),
    };
    const j = await runTargetJob({ ...req, cacheOnly: false }, deps);
    expect(j.fromCache).toBe(true);
    expect(j.report.cacheKey).toBe(r.cacheKey);
    expect(j.fileName).toBe('model-MIXED.onnx');
    expect(j.qualityBackend).toMatchObject({ backend: 'wasm', exact: true });
    if (r.chosen) {
      expect(
        Buffer.compare(new Uint8Array(await j.file!.arrayBuffer()), readFileSync(join(work, 'answer.onnx'))),
        'the bytes the measuring run wrote',
      ).toBe(0);
      expect(j.targetCheck).toMatchObject({ target: 'browser-wasm', ok: true });
      expect(writes).toEqual([r.chosen.bytes]);
    } else expect(j.file).toBeNull();
    // What is the request's fault, said as such (before any measuring).
    await expect(runTargetJob({ ...req, bar: { minCosine: 2 } }, deps)).rejects.toMatchObject({
      kind: 'options',
      message: 'minCosine must be above -1 and at most 1 (got 2)',
    });
    await expect(runTargetJob({ ...req, target: { id: 'pdp11' as never } }, deps)).rejects.toMatchObject({ kind: 'options' });
    await expect(runTargetJob({ ...req, tokenizer: { tokenizerJson: new Blob(['{ not json']) } }, deps)).rejects.toMatchObject({
      kind: 'tokenizer',
    });
  });

  it('progress runs from 0 to 1 through the phases in order', () => {
    const order = ['groups', 'baseline', 'sensitivity', 'search', 'verify', 'report', 'done'];
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.fraction).toBeGreaterThanOrEqual(events[i - 1]!.fraction - 1e-12);
      expect(order.indexOf(events[i]!.phase)).toBeGreaterThanOrEqual(order.indexOf(events[i - 1]!.phase));
    }
    expect(events.at(-1)).toMatchObject({ phase: 'done', fraction: 1 });
  });
});

describe('target mode: cancel, bad bars, cache key', () => {
  it('cancel during the sensitivity phase rejects with an AbortError', async () => {
    const c = new AbortController();
    const run = runTargetMode({
      ort: ortNode,
      model: m.bytes,
      tokenizer: m.tokenizer,
      pooling: m.pooling,
      probes: full,
      sensitivitySentences: 4,
      uniform: false,
      bar: { minCosine: 0.99 },
      signal: c.signal,
      onProgress: (e) => {
        if (e.phase === 'sensitivity' && e.done === 1) c.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a bar is required and checked', async () => {
    const base = { ort: ortNode, model: m.bytes, tokenizer: m.tokenizer, probes: full };
    await expect(runTargetMode({ ...base, bar: {} })).rejects.toThrow(/needs a bar: minCosine and\/or minTop5Overlap/);
    // The wording of the CLI's flags and the page's form (one range: above -1 and at most 1), never an interval.
    await expect(runTargetMode({ ...base, bar: { minCosine: 1.5 } })).rejects.toThrow('minCosine must be above -1 and at most 1 (got 1.5)');
    await expect(runTargetMode({ ...base, bar: { minCosine: -1 } })).rejects.toThrow('minCosine must be above -1 and at most 1 (got -1)');
    await expect(runTargetMode({ ...base, bar: { minTop5Overlap: 1.5 } })).rejects.toThrow(
      'minTop5Overlap must be at least 0 and at most 1 (got 1.5)',
    );
    await expect(runTargetMode({ ...base, bar: { minCosine: Number.NaN } })).rejects.toThrow('minCosine must be a number (got NaN)');
    await expect(runTargetMode({ ...base, tokenizer: null, bar: { minTop5Overlap: 0.9 } })).rejects.toThrow(
      /minTop5Overlap needs a tokenizer/,
    );
  });

  it('the cache key: same inputs, same key; the bar, options, probes or weights change it; metadata does not', async () => {
    const input = async (bytes: Uint8Array) => ({
      modelSha256: (await modelDigest(bytes)).sha256,
      bar: { minCosine: 0.995 },
      candidates: ['fp32', 'fp16', 'int8', 'q4'] as const,
      options: resolveMixOptions(),
      maxVerifications: 6,
      uniform: true,
      probes: full,
      sensitivityProbes: quickSelection(full, 24),
      tokenizer: m.tokenizer,
      pooling: m.pooling,
      outputName: undefined,
    });
    const base = await input(m.bytes);
    const key = await targetCacheKey({ ...base, candidates: [...base.candidates] });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await targetCacheKey({ ...base, candidates: [...base.candidates] })).toBe(key);
    const other = [
      { ...base, bar: { minCosine: 0.99 } },
      { ...base, options: resolveMixOptions({ int8: { preset: 'tjs-q8' } }) },
      { ...base, sensitivityProbes: quickSelection(full, 12) },
      await input(
        withInitializer(
          m.bytes,
          (n) => n.endsWith('LayerNorm.bias'),
          (x) => x + 1e-3,
        ).bytes,
      ),
    ];
    for (const o of other) expect(await targetCacheKey({ ...o, candidates: [...o.candidates] })).not.toBe(key);
    // Our own outputs record a date in metadata_props: the model's digest leaves metadata out.
    const withMeta = concatParts(
      writeModel(parseModel(m.bytes), { append: [lenField(MODEL.metadataProps, encodeStringEntry('note', 'copied on Tuesday'))] }),
    );
    expect(withMeta.length).toBeGreaterThan(m.bytes.length);
    const again = await input(withMeta);
    expect(await targetCacheKey({ ...again, candidates: [...again.candidates] })).toBe(key);
  });

  it('lineage: a mix with 4-bit embedding tables (int4 GatherBlockQuantized) and 4-bit layers counts the same weights as the original', async () => {
    const mix = await buildMix(parseModel(m.bytes), { embeddings: 'q4', 'layer.0': 'int8', 'layer.1': 'fp16', 'layer.2': 'q4' });
    const out = parseModel(mix.bytes);
    expect(out.graph.nodes.some((n) => n.opType === 'GatherBlockQuantized')).toBe(true);
    expect(lineageFacts(out).weights).toBe(lineageFacts(parseModel(m.bytes)).weights);
  });
});
