// Quality check in the browser on the real all-MiniLM-L6-v2 + its tokenizer: quantize, run the check in the quality
// worker (onnxruntime-web WASM, and WebGPU on the headless SwiftShader adapter), and compare the page's numbers with
// an independent run of the same core on onnxruntime-node over the same bytes, tokenizer and probe selection.
// WebGPU on SwiftShader is ~100x slower than WASM here, so it runs on the seed 4-doc set only.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { collectPieces, openBytes, openModel, parseModel } from '../src/core/onnx/index.js';
import { emitModel } from '../src/core/onnx/writer.js';
import { bytesSource } from '../src/core/io/source.js';
import { modelFilesOf } from '../src/node/files.js';
import { quantizeInt8 } from '../src/core/int8/index.js';
import { convertFp16 } from '../src/core/fp16/index.js';
import { loadProbes, runQualityCheck, type OrtModule, type QualityReport } from '../src/core/quality/index.js';
import { DEFAULT_PRESET } from '../src/core/int8/presets.js';
import { PROBE_CHOICES } from '../src/app/quality/selection.js';
import { modelDigest, modelFilesDigest } from '../src/core/quality/digest.js';
import { devPort } from '../playwright.config.js';
import { card, expect, minilmFiles, test } from './helpers.js';
import { DIST, serveDist, type StaticDist } from './static-dist.js';

const TOL = 1e-4;
const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

/**
 * The same check in Node, on the same bytes, tokenizer files and probe selection: on onnxruntime-node (native CPU
 * kernels) by default, or on onnxruntime-web's WASM backend in Node ('web-wasm': the page's kernels, another runtime).
 */
async function nodeCheck(
  quantized: Uint8Array,
  probes: string[],
  withTokenizer = true,
  runtime: 'node' | 'web-wasm' = 'node',
): Promise<QualityReport> {
  const f = minilmFiles();
  const p = await loadProbes(async (file) => JSON.parse(await readFile(join('public', 'probes', file), 'utf8')), probes);
  ortWeb.env.wasm.numThreads = 1;
  return runQualityCheck({
    original: { bytes: new Uint8Array(readFileSync(f.model)), name: 'model.onnx' },
    quantized: { bytes: quantized, name: 'quantized.onnx' },
    tokenizer: withTokenizer ? { tokenizerJson: json(f.tokenizer), tokenizerConfig: json(f.tokenizerConfig) } : null,
    pooling: withTokenizer ? json(f.pooling) : null,
    sentenceSets: p.sentenceSets,
    retrievalSets: p.retrievalSets,
    threshold: 0.95,
    ...(runtime === 'node'
      ? { ort, sessionOptions: { executionProviders: ['cpu'] }, backend: 'onnxruntime-node cpu' }
      : { ort: ortWeb as unknown as OrtModule, sessionOptions: { executionProviders: ['wasm'] }, backend: 'onnxruntime-web wasm (Node)' }),
  });
}

async function quantizedInNode(mode: 'int8' | 'fp16'): Promise<Uint8Array> {
  const input = new Uint8Array(readFileSync(minilmFiles().model));
  const { parts } =
    mode === 'int8' ? await quantizeInt8(parseModel(input), { preset: DEFAULT_PRESET }) : await convertFp16(parseModel(input), {});
  return collectPieces(parts);
}

/** The quantized model the page made, through its download link: the exact bytes the page checks. */
async function downloaded(page: Page, panel: Locator): Promise<Uint8Array> {
  const pending = page.waitForEvent('download');
  await panel.locator('xpath=ancestor::*[@data-testid="quantize-panel"]').getByTestId('download').click();
  return new Uint8Array(readFileSync(await (await pending).path()));
}

/** Opens the app, drops the model with its tokenizer files, quantizes, and returns the quality panel. */
async function quantizeWithTokenizer(page: Page, mode: 'int8' | 'fp16'): Promise<Locator> {
  const f = minilmFiles();
  await page.goto('./');
  await page.getByLabel('Choose model files').setInputFiles([f.model, f.tokenizer, f.tokenizerConfig, f.pooling]);
  const c = card(page, basename(f.model));
  await expect(c).toBeVisible();
  if (mode === 'fp16') await c.getByRole('radio', { name: 'FP16' }).check();
  await c.getByTestId('quantize').click();
  const panel = c.getByTestId('quality-panel');
  await expect(panel).toBeVisible({ timeout: 90_000 });
  return panel;
}

/** Waits for the quick check (it runs by itself after a quantize), then opens the settings and picks probes and backends. */
async function choose(panel: Locator, probes: string[], webgpu: boolean): Promise<void> {
  await expect(panel).toHaveAttribute('data-busy', 'false', { timeout: 120_000 });
  await openSettings(panel);
  for (const p of PROBE_CHOICES) await panel.getByTestId(`probe-${p.file}`).setChecked(probes.includes(p.file));
  const gpu = panel.getByTestId('use-webgpu');
  if (webgpu) await gpu.check();
  else if (await gpu.count()) await gpu.uncheck();
}

async function openSettings(panel: Locator): Promise<void> {
  const settings = panel.getByTestId('quality-settings');
  if ((await settings.getAttribute('open')) === null) await settings.locator('summary').click();
}

/** Opens "Details" (every measurement per backend). */
async function openDetails(panel: Locator): Promise<void> {
  const d = panel.getByTestId('quality-details');
  if ((await d.getAttribute('open')) === null) await d.locator('summary').first().click();
}

async function runAndWait(panel: Locator, timeout: number): Promise<void> {
  await expect(panel.getByTestId('quality-run')).toBeEnabled();
  await panel.getByTestId('quality-run').click();
  await expect(panel).toHaveAttribute('data-busy', 'true');
  await expect(panel).toHaveAttribute('data-busy', 'false', { timeout });
}

const column = (panel: Locator, backend: string) => panel.locator(`[data-testid="quality-backend"][data-backend="${backend}"]`);
/** A summary cell of one backend's column, by its data-testid. */
const cell = (panel: Locator, testId: string, backend: string) => panel.locator(`[data-testid="${testId}"][data-backend="${backend}"]`);
const details = (panel: Locator, backend: string) => panel.locator(`[data-testid="backend-details"][data-backend="${backend}"]`);

/** Per-text cosines the page shows for one backend: "set/id" -> cosine. */
async function pageItems(panel: Locator, backend: string): Promise<Map<string, number>> {
  const rows = await details(panel, backend)
    .getByTestId('quality-item')
    .evaluateAll((els) =>
      els.map((e) => [`${e.getAttribute('data-set')}/${e.getAttribute('data-id')}`, Number(e.getAttribute('data-cosine'))] as const),
    );
  return new Map(rows);
}

/** The page's mean and every per-text cosine agree with Node's within `tol`. */
async function expectAgreesWithNode(
  panel: Locator,
  backend: string,
  node: QualityReport,
  tol: number,
  itemTol = tol,
): Promise<{ mean: number; maxDelta: number }> {
  const mean = Number(await cell(panel, 'cosine-mean', backend).getAttribute('data-value'));
  expect(Math.abs(mean - node.cosine!.mean!), `${backend} mean cosine ${mean} vs Node ${node.cosine!.mean}`).toBeLessThanOrEqual(tol);
  const items = await pageItems(panel, backend);
  expect(items.size).toBe(node.items.length);
  let maxDelta = 0;
  let worst = '';
  for (const it of node.items) {
    const got = items.get(`${it.set}/${it.id}`);
    expect(got, `${it.set}/${it.id} on the page`).toBeDefined();
    const d = Math.abs(got! - it.cosine!);
    if (d > maxDelta) [maxDelta, worst] = [d, `${it.set}/${it.id}: page ${got}, Node ${it.cosine}`];
  }
  expect(maxDelta, `largest per-text |Δ cosine| ${backend} vs Node (${worst})`).toBeLessThanOrEqual(itemTol);
  return { mean, maxDelta };
}

async function expectSeedCasePasses(panel: Locator, backend: string): Promise<void> {
  const rule = cell(panel, 'retrieval-rule', backend).and(panel.locator('[data-set="seed-4doc"]'));
  await expect(rule).toHaveAttribute('data-pass-original', 'true');
  await expect(rule).toHaveAttribute('data-pass-quantized', 'true');
  await expect(rule).not.toContainText('quantized: doc-weather');
}

test('INT8: quality check on WASM and WebGPU, numbers agree with onnxruntime-node', async ({ page }) => {
  test.setTimeout(360_000);
  const enSeed = ['en.json', 'seed-4doc.json'];
  const panel = await quantizeWithTokenizer(page, 'int8');
  const int8 = await downloaded(page, panel);
  const nodeEnSeed = nodeCheck(int8, enSeed);
  const webEnSeed = nodeEnSeed.then(() => nodeCheck(int8, enSeed, true, 'web-wasm'));

  await expect(panel.getByTestId('quality-tokenizer')).toHaveAttribute('data-has-tokenizer', 'true');
  await expect(panel.getByTestId('quality-tokenizer')).toContainText('tokenizer.json');
  // The WebGPU adapter is found (SwiftShader here) and named.
  await expect(panel.getByTestId('gpu-adapter')).toContainText(/swiftshader|google/i);

  // 1. English + seed on WASM: the page's numbers are Node's.
  await choose(panel, enSeed, false);
  await runAndWait(panel, 120_000);
  await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done');
  await expect(panel).toHaveAttribute('data-quantized-digest', (await modelDigest(int8)).sha256);
  // Dynamic INT8 quantizes activations at run time, so the native CPU kernels of onnxruntime-node and the WASM kernels
  // round a few activations differently: the mean agrees within 1e-4, single texts within ~5e-3. The same WASM
  // kernels run in Node (onnxruntime-web) agree with the page on every text within 1e-4.
  const node = await nodeEnSeed;
  const wasm = await expectAgreesWithNode(panel, 'wasm', node, TOL, 1e-2);
  await expectAgreesWithNode(panel, 'wasm', await webEnSeed, TOL, TOL);

  await expectSeedCasePasses(panel, 'wasm');
  await expect(column(panel, 'wasm')).toHaveAttribute('data-pass', String(node.verdict.pass));
  await expect(column(panel, 'wasm').getByTestId('result-when')).toContainText('just now');
  // What ran: the WASM build, all nodes on the CPU EP, threads and isolation stated.
  const rt = cell(panel, 'runtime', 'wasm');
  await expect(rt).toContainText('onnxruntime-web/wasm');
  await expect(rt).toContainText(/original: \d+ nodes on CPU \(WASM\)/);
  await expect(rt).toHaveAttribute('data-isolated', 'true');
  expect(Number(await rt.getAttribute('data-threads'))).toBe(Math.min(4, await page.evaluate(() => navigator.hardwareConcurrency)));
  // Load/shape checks, histogram (with its table), worst texts, batch composition.
  await expect(cell(panel, 'shape-checks', 'wasm').getByTestId('dims-equal')).toHaveAttribute('data-value', 'true');
  await expect(cell(panel, 'shape-checks', 'wasm').getByTestId('all-finite')).toContainText('all finite');
  await expect(cell(panel, 'shape-checks', 'wasm').getByTestId('norm-band')).toContainText('norms in band');
  await openDetails(panel);
  await expect(details(panel, 'wasm').getByTestId('cosine-histogram')).toBeVisible();
  await expect(details(panel, 'wasm').getByTestId('histogram-table').locator('tbody tr')).toHaveCount(node.cosine!.histogram.counts.length);
  await expect(details(panel, 'wasm').getByTestId('worst-item').first()).toContainText(node.cosine!.worst[0]!.text.slice(0, 30));
  // The batch-composition measurement (alone vs in one padded batch) is the WASM kernels' own: compare with them.
  const web = await webEnSeed;
  expect(
    Math.abs(Number(await cell(panel, 'batch-effect', 'wasm').getAttribute('data-quantized-min')) - web.batchEffect!.quantized.min!),
  ).toBeLessThanOrEqual(TOL);

  // 2. Seed 4-doc on WASM and WebGPU: both columns, the comparison, what ran on the GPU and what fell back to the CPU.
  const seed = ['seed-4doc.json'];
  const nodeSeed = nodeCheck(int8, seed);
  await choose(panel, seed, true);
  await runAndWait(panel, 240_000);
  await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done');
  await expect(column(panel, 'webgpu')).toHaveAttribute('data-status', /done|error/);
  const ns = await nodeSeed;
  await expectAgreesWithNode(panel, 'wasm', ns, TOL, 1e-2);
  await expectSeedCasePasses(panel, 'wasm');
  const gpuDetails = details(panel, 'webgpu');
  const gpuRuntime = cell(panel, 'runtime', 'webgpu');
  await expect(gpuRuntime.getByTestId('adapter')).toContainText(/swiftshader|google/i);
  await expect(gpuRuntime).toContainText('onnxruntime-web/webgpu');
  if (
    (await gpuDetails.getByTestId('report-errors').count()) > 0 ||
    (await column(panel, 'webgpu').getAttribute('data-status')) === 'error'
  ) {
    // The WebGPU EP failed: the page must say so, in the WebGPU column, as text.
    await expect(column(panel, 'webgpu')).toContainText(/FAIL|ERROR/);
    await expect(gpuDetails.locator('[data-testid="report-errors"], [data-testid="backend-failed"]').first()).toContainText(
      /webgpu|onnxruntime|model/i,
    );
  } else {
    // It ran: nodes on WebGPU, the INT8 ops it lacks reported as CPU fallback, numbers close to Node's, and the
    // backend comparison shown (agree or not, with its reasons).
    await expect(gpuRuntime.getByTestId('placement').first()).toContainText(/nodes on WebGPU/);
    await expect(gpuRuntime.getByTestId('cpu-fallback').last()).toContainText(
      /quantized: \d+ nodes ran on the CPU \(WASM\), not on WebGPU/,
    );
    const gpu = await expectAgreesWithNode(panel, 'webgpu', ns, 2e-2, 2e-2);
    await expectSeedCasePasses(panel, 'webgpu');
    const cmp = panel.getByTestId('backend-comparison');
    await expect(cmp).toBeVisible();
    if ((await cmp.getAttribute('data-agree')) === 'false') await expect(cmp).toContainText('Backends disagree');
    else await expect(cmp).toContainText('Backends agree');
    await panel.getByTestId('quality-report').scrollIntoViewIfNeeded();
    await test.info().attach('quality-panel', { body: await panel.screenshot(), contentType: 'image/png' });
    test.info().annotations.push({
      type: 'cosine',
      description: `INT8 en+seed WASM ${wasm.mean.toFixed(6)} vs Node ${node.cosine!.mean!.toFixed(6)} (max per-text |Δ| ${wasm.maxDelta.toExponential(1)}); seed-only WebGPU ${gpu.mean.toFixed(6)} vs Node ${ns.cosine!.mean!.toFixed(6)} (max |Δ| ${gpu.maxDelta.toExponential(1)})`,
    });
  }
});

test('FP16 vs original on WASM agrees with Node; after a reload the same files show the cached report; WebGPU without shader-f16 is reported', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const enSeed = ['en.json', 'seed-4doc.json'];
  let panel = await quantizeWithTokenizer(page, 'fp16');
  const fp16 = await downloaded(page, panel);
  const nodeReport = nodeCheck(fp16, enSeed);
  await choose(panel, enSeed, false);
  await runAndWait(panel, 150_000);
  await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done');
  const digest = (await modelDigest(fp16)).sha256;
  await expect(panel).toHaveAttribute('data-quantized-digest', digest);
  const node = await nodeReport;
  const wasm = await expectAgreesWithNode(panel, 'wasm', node, TOL);
  expect(wasm.mean).toBeGreaterThan(0.999);
  await expectSeedCasePasses(panel, 'wasm');
  await expect(column(panel, 'wasm').getByTestId('verdict')).toHaveText('PASS');
  test.info().annotations.push({
    type: 'cosine',
    description: `FP16 en+seed WASM ${wasm.mean.toFixed(6)} (max |Δ| vs Node ${wasm.maxDelta.toExponential(1)})`,
  });

  // Reload, drop the same files, convert again: the report comes from IndexedDB at once, dated, with Re-run. (The new
  // output differs in its provenance date only; the cache identifies models without their metadata.)
  const t0 = Date.now();
  await page.reload();
  panel = await quantizeWithTokenizer(page, 'fp16');
  await expect(panel).toHaveAttribute('data-quantized-digest', digest);
  await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done', { timeout: 15_000 });
  await expect(column(panel, 'wasm')).toHaveAttribute('data-cached', 'true');
  const when = column(panel, 'wasm').getByTestId('result-when');
  await expect(when).toContainText('cached from');
  const storedAt = Date.parse((await when.getAttribute('data-stored-at'))!);
  expect(storedAt).toBeLessThan(t0);
  expect(storedAt).toBeGreaterThan(t0 - 10 * 60_000);
  await expect(panel.getByTestId('quality-run')).toHaveText('Re-run');
  await expectAgreesWithNode(panel, 'wasm', node, TOL);
  // Re-run computes it again (not from the cache).
  await runAndWait(panel, 150_000);
  await expect(column(panel, 'wasm')).toHaveAttribute('data-cached', 'false');
  await expect(column(panel, 'wasm').getByTestId('result-when')).toContainText('just now');

  // FP16 on WebGPU (seed only: SwiftShader is slow). Without the adapter feature 'shader-f16' onnxruntime's WebGPU EP
  // cannot run the float16 graph: the page must say so, as text, in the WebGPU column. With it, it agrees with Node.
  const seed = ['seed-4doc.json'];
  const nodeSeed = nodeCheck(fp16, seed);
  await choose(panel, seed, true);
  await runAndWait(panel, 180_000);
  await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done');
  const gpu = column(panel, 'webgpu');
  await expect(gpu).toHaveAttribute('data-status', /done|error/);
  const adapter = (await cell(panel, 'runtime', 'webgpu').getByTestId('adapter').textContent()) ?? '';
  if (/no shader-f16/.test(adapter)) {
    await expect(gpu).toHaveAttribute('data-pass', 'false');
    await expect(gpu.getByTestId('verdict')).toHaveText('FAIL');
    await expect(details(panel, 'webgpu').getByTestId('report-errors')).toContainText(/quantized model failed to run: .*f16/);
    await expect(panel.getByTestId('backend-comparison')).toContainText('Backends not compared');
    await expect(panel.getByTestId('backend-comparison')).toContainText('WebGPU');
  } else {
    await expectAgreesWithNode(panel, 'webgpu', await nodeSeed, 2e-3, 2e-2);
  }
});

test("a model dropped with its external-data file: the check runs on it in the page and agrees with the CLI's way (by path)", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'ava-quality-ext-'));
  try {
    // all-MiniLM-L6-v2 as model.onnx (the graph, ~120 KB) + model.onnx_data (the weights), written by the core's writer.
    const f = minilmFiles();
    const opened = await openBytes(new Uint8Array(readFileSync(f.model)), 'model.onnx', {}, { holeThreshold: 1024 });
    const out = emitModel(opened.model, {}, { location: 'model.onnx_data', maxModelBytes: 0 });
    const sub = join(dir, 'minilm-ext');
    mkdirSync(sub);
    const onnx = await collectPieces(out.model);
    const data = await collectPieces(out.data!.pieces);
    writeFileSync(join(sub, 'model.onnx'), onnx);
    writeFileSync(join(sub, 'model.onnx_data'), data);
    expect(data.length).toBeGreaterThan(80_000_000);

    await page.goto('./');
    await page
      .getByLabel('Choose model files')
      .setInputFiles([join(sub, 'model.onnx'), join(sub, 'model.onnx_data'), f.tokenizer, f.tokenizerConfig, f.pooling]);
    const c = card(page, 'model.onnx');
    await expect(c).toBeVisible();
    await c.getByTestId('quantize').click();
    const panel = c.getByTestId('quality-panel');
    await expect(panel).toBeVisible({ timeout: 90_000 });
    const int8 = await downloaded(page, panel);
    const enSeed = ['en.json', 'seed-4doc.json'];
    await choose(panel, enSeed, false);
    await runAndWait(panel, 150_000);
    await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done');
    await expect(details(panel, 'wasm').getByTestId('report-errors')).toHaveCount(0);
    // The original's identity covers its data file.
    await expect(panel).toHaveAttribute('data-original-digest', (await modelFilesDigest(bytesSource(onnx), [bytesSource(data)])).sha256);
    await expect(cell(panel, 'cosine-basis', 'wasm')).toHaveAttribute('data-count', '107');
    // A clean pass: one sentence, no warnings; the INT8 output's provenance links it to the dropped model.onnx.
    await expect(column(panel, 'wasm').getByTestId('verdict-headline')).toContainText(
      /similar · same top result for 1 of 1 search — safe to ship/,
    );
    await expect(details(panel, 'wasm').getByTestId('verdict-warnings')).toHaveCount(0);
    await expect(details(panel, 'wasm').getByTestId('verdict-box')).toHaveAttribute('data-lineage', 'linked');

    // The same check in Node, the CLI's way: the original by path (onnxruntime-node reads model.onnx_data itself).
    const p = await loadProbes(async (file) => JSON.parse(await readFile(join('public', 'probes', file), 'utf8')), enSeed);
    const mf = modelFilesOf(join(sub, 'model.onnx'));
    let node: QualityReport;
    try {
      node = await runQualityCheck({
        ort,
        original: { name: 'model.onnx', structure: async () => (await openModel(mf)).model, load: { path: join(sub, 'model.onnx') } },
        quantized: { bytes: int8, name: 'quantized.onnx' },
        tokenizer: { tokenizerJson: json(f.tokenizer), tokenizerConfig: json(f.tokenizerConfig) },
        pooling: json(f.pooling),
        sentenceSets: p.sentenceSets,
        retrievalSets: p.retrievalSets,
        sessionOptions: { executionProviders: ['cpu'] },
        backend: 'onnxruntime-node cpu',
      });
    } finally {
      await mf.close();
    }
    // Tensor bytes in the data file (it also holds alignment padding), counted alike in the page and in Node.
    expect(node.models.original.externalBytes).toBeGreaterThan(80_000_000);
    expect(node.models.original.externalBytes).toBeLessThanOrEqual(data.length);
    await expect(cell(panel, 'shape-checks', 'wasm').getByTestId('load-original')).toContainText(
      `${node.models.original.externalBytes.toLocaleString('en-US')} bytes of external data`,
    );
    await expectAgreesWithNode(panel, 'wasm', node, TOL, 1e-2);
    await expectSeedCasePasses(panel, 'wasm');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Compare with… a dropped quantized model, without a tokenizer: random ids said clearly; Cancel; storage errors shown', async ({
  page,
  consoleGuard,
}) => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'ava-quality-'));
  try {
    const int8 = await quantizedInNode('int8');
    const int8Path = join(dir, 'model-INT8.onnx');
    writeFileSync(int8Path, int8);
    const nodeReport = nodeCheck(int8, [], false);
    const webReport = nodeReport.then(() => nodeCheck(int8, [], false, 'web-wasm'));
    // Every IndexedDB write fails as if the disk were full: the page must say so.
    await page.addInitScript(() => {
      IDBObjectStore.prototype.put = function () {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    });
    consoleGuard.allow(/QuotaExceededError/);
    await page.goto('./');
    await page.getByLabel('Choose model files').setInputFiles([minilmFiles().model, int8Path]);
    const c = card(page, 'model.onnx');
    await expect(card(page, 'model-INT8.onnx')).toBeVisible();
    const compare = c.getByTestId('compare');
    await compare.getByLabel('Compare with…').selectOption({ label: 'model-INT8.onnx (quantized)' });
    const panel = compare.getByTestId('quality-panel');
    await expect(panel.getByTestId('quality-original')).toHaveText('model.onnx');
    await expect(panel.getByTestId('quality-quantized')).toHaveText('model-INT8.onnx');
    await expect(panel.getByTestId('quality-tokenizer')).toHaveAttribute('data-has-tokenizer', 'false');
    await expect(panel.getByTestId('quality-tokenizer')).toContainText('random token ids');
    // Probe sets need a tokenizer (their checkboxes are disabled); WebGPU stays off.
    await openSettings(panel);
    await expect(panel.getByTestId('probe-en.json')).toBeDisabled();
    if (await panel.getByTestId('use-webgpu').count()) await panel.getByTestId('use-webgpu').uncheck();

    // Cancel stops the worker at once and leaves no result.
    await panel.getByTestId('quality-run').click();
    await expect(panel.getByTestId('quality-progress')).toBeVisible({ timeout: 30_000 });
    await panel.getByRole('button', { name: 'Cancel the quality check of model-INT8.onnx' }).click();
    await expect(panel).toHaveAttribute('data-busy', 'false');
    await expect(panel.getByTestId('quality-report')).toHaveCount(0);
    await expect(panel.getByTestId('quality-run')).toBeFocused();

    await runAndWait(panel, 120_000);
    await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done');
    await expect(cell(panel, 'tokenization', 'wasm')).toHaveAttribute('data-mode', 'random-ids');
    await expect(cell(panel, 'tokenization', 'wasm')).toContainText('No tokenizer: random token ids');
    await expect(details(panel, 'wasm').getByTestId('verdict-warnings')).toContainText('no tokenizer');
    const node = await nodeReport;
    // Random ids are unnatural input: INT8's run-time activation scales flip a few roundings between the WASM and the
    // native CPU kernels (which also fuse more of the graph now that INT8 writes value_info), so single texts move by
    // up to ~1e-2 and the mean by ~2e-4. The same WASM kernels run in Node agree with the page within 1e-4.
    await expectAgreesWithNode(panel, 'wasm', node, 5e-4, 2e-2);
    await expectAgreesWithNode(panel, 'wasm', await webReport, TOL, TOL);
    // The report could not be stored: shown as text, not swallowed.
    await expect(panel.getByTestId('quality-notice')).toContainText('storage quota is full');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.describe('the built app from a sub-path, without isolation headers', () => {
  const SUB = '/ava/quality/';
  let dist: StaticDist;
  let base = '';
  let seen: StaticDist['seen'] = [];

  test.beforeAll(async () => {
    expect(existsSync(join(DIST, 'index.html')), 'dist/ is built (the e2e web server runs `npm run build`)').toBe(true);
    dist = await serveDist(SUB);
    ({ base, seen } = dist);
  });

  test.afterAll(() => dist.close());

  test('Compare with…: onnxruntime-web loads from the app, runs single-threaded and says why', async ({ page }) => {
    const dir = mkdtempSync(join(tmpdir(), 'ava-quality-'));
    try {
      const int8 = await quantizedInNode('int8');
      const int8Path = join(dir, 'model-INT8.onnx');
      writeFileSync(int8Path, int8);
      const seed = ['seed-4doc.json'];
      const reference = nodeCheck(int8, seed, true, 'web-wasm');
      const f = minilmFiles();
      await page.goto(base);
      expect(await page.evaluate(() => crossOriginIsolated), 'served without COOP/COEP').toBe(false);
      await page.getByLabel('Choose model files').setInputFiles([f.model, int8Path, f.tokenizer, f.tokenizerConfig, f.pooling]);
      const compare = card(page, 'model.onnx').getByTestId('compare');
      await expect(card(page, 'model.onnx').getByTestId('card-tokenizer')).toHaveAttribute('data-has-tokenizer', 'true');
      await compare.getByLabel('Compare with…').selectOption({ label: 'model-INT8.onnx (quantized)' });
      const panel = compare.getByTestId('quality-panel');
      await choose(panel, seed, false);
      await runAndWait(panel, 120_000);
      await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done');
      const rt = cell(panel, 'runtime', 'wasm');
      await expect(rt).toHaveAttribute('data-threads', '1');
      await expect(rt).toHaveAttribute('data-isolated', 'false');
      await expect(rt).toContainText('not cross-origin isolated');
      await expectSeedCasePasses(panel, 'wasm');
      await expectAgreesWithNode(panel, 'wasm', await reference, TOL);
      // onnxruntime-web's .wasm / .mjs came from the built app under the sub-path; nothing failed or left it.
      expect(
        seen.some((r) => /ort-wasm-simd-threaded[^/]*\.wasm$/.test(r.url) && r.status === 200),
        'wasm binary served from dist',
      ).toBe(true);
      expect(
        seen.some((r) => /ort-wasm-simd-threaded[^/]*\.mjs$/.test(r.url) && r.status === 200),
        'wasm loader served from dist',
      ).toBe(true);
      expect(
        seen.filter((r) => r.status >= 400 || !r.url.startsWith(SUB)),
        'every request stays under the sub-path and succeeds',
      ).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test.describe('dev server', () => {
  test.use({ baseURL: `http://localhost:${devPort}/` });

  test('"Try a sample model" brings the fixture\'s tokenizer for the quality check', async ({ page }) => {
    await page.goto('./');
    await page.getByRole('button', { name: 'Try a sample model' }).click();
    const c = card(page, 'all-MiniLM-L6-v2.onnx');
    await expect(c).toBeVisible({ timeout: 60_000 });
    await expect(c.getByTestId('card-tokenizer')).toHaveAttribute('data-has-tokenizer', 'true');
    await expect(c.getByTestId('card-tokenizer')).toContainText('tokenizer.json');
  });
});
