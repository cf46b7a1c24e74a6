// A model over 2 GB in the page: model.onnx + one 2.26 GB model.onnx_data (past Chromium's limit for reading one
// File whole), dropped together. The card counts the external data; INT8 and FP16 run by reading the files in
// slices and writing to the origin-private file system; the downloads are byte-identical to the CLI's outputs (the
// same date: the page's clock is fixed, the CLI gets SOURCE_DATE_EPOCH), self-contained, and load in
// onnxruntime-node; FP16's weights really are float16.
//
// The model is generated (scripts/synthetic.mjs: seeded random weights, never committed), about 50 s the first time.
// The browser runs with an on-disk profile, as a user's does (Playwright's default contexts are private windows,
// whose storage quota is small).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import * as ort from 'onnxruntime-node';
import { openModel } from '../src/core/onnx/open.js';
import { DT } from '../src/core/onnx/dtypes.js';
import { fileSource } from '../src/node/files.js';
import { chromiumPath } from '../playwright.config.js';
import { card, expect, test } from './helpers.js';
// @ts-expect-error plain ESM helper shared with scripts
import { loadSynthetic, syntheticDir } from '../scripts/synthetic-lib.mjs';

const NAME = 'synthetic-e2e-2g-ext';
const DATE = new Date('2026-11-30T12:00:00.000Z');
const port = Number(process.env.E2E_PORT ?? 4173);

test.describe.configure({ mode: 'serial', timeout: 15 * 60_000 });

let dir = '';
let ctx: BrowserContext;
let page: Page;
let work = '';

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 4 << 20 })
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

test.beforeAll(async () => {
  test.setTimeout(15 * 60_000);
  const r = spawnSync(process.execPath, ['scripts/synthetic.mjs', '--only', NAME], { stdio: 'inherit' });
  expect(r.status, 'scripts/synthetic.mjs made the test model').toBe(0);
  const entry = (loadSynthetic().models as { name: string; path: string }[]).find((m) => m.name === NAME)!;
  dir = join(syntheticDir(), entry.path, '..');
  expect(statSync(join(dir, 'model.onnx_data')).size).toBeGreaterThan(2 ** 31);
  work = mkdtempSync(join(tmpdir(), 'ava-big-'));
  ctx = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: chromiumPath,
    headless: true,
    acceptDownloads: true,
    baseURL: `http://localhost:${port}/`,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.clock.setFixedTime(DATE);
});

test.afterAll(async () => {
  await ctx?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The CLI's output for the same input, options and date. */
function cli(mode: 'int8' | 'fp16'): string {
  const out = join(work, `cli-${mode}.onnx`);
  const r = spawnSync(process.execPath, ['bin/ava-quant.mjs', 'quantize', join(dir, 'model.onnx'), out, mode, '--force'], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(DATE.getTime() / 1000) },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

async function quantizeInPage(mode: 'int8' | 'fp16'): Promise<string> {
  const panel = card(page, 'model.onnx').getByTestId('quantize-panel');
  await panel.getByRole('radio', { name: mode === 'int8' ? 'INT8 (recommended)' : 'FP16' }).check();
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  // Results stay side by side: this mode's result, not the one the previous mode left on the card.
  const result = panel.locator(`[data-testid="quantize-result"][data-mode="${mode}"]`);
  await expect(result).toBeVisible({ timeout: 10 * 60_000 });
  await expect(result.getByTestId('download-data')).toHaveCount(0); // under 2 GiB: one self-contained file
  const pending = page.waitForEvent('download', { timeout: 5 * 60_000 });
  await result.getByTestId('download').click();
  const d = await pending;
  const path = join(work, `page-${mode}.onnx`);
  await d.saveAs(path);
  return path;
}

async function embed(path: string): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(path);
  try {
    const t = (v: bigint[]) => new ort.Tensor('int64', BigInt64Array.from(v), [1, v.length]);
    const ids = [0n, 35378n, 2n];
    const out = await s.run({ input_ids: t(ids), attention_mask: t(ids.map(() => 1n)), token_type_ids: t(ids.map(() => 0n)) });
    return out.last_hidden_state!.data as Float32Array;
  } finally {
    await s.release();
  }
}

test('a 2.26 GB external-data model: the card counts it, INT8 and FP16 equal the CLI, load, and FP16 is float16', async () => {
  await page.goto('./');
  await page.getByLabel('Choose model files').setInputFiles([join(dir, 'model.onnx'), join(dir, 'model.onnx_data')]);
  const c = card(page, 'model.onnx');
  await expect(c).toBeVisible({ timeout: 5 * 60_000 });
  const total = statSync(join(dir, 'model.onnx')).size + statSync(join(dir, 'model.onnx_data')).size;
  await expect(c.getByTestId('file-size')).toHaveAttribute('data-value', String(total));
  await expect(c.getByTestId('missing-external')).toHaveCount(0);

  for (const mode of ['int8', 'fp16'] as const) {
    const got = await quantizeInPage(mode);
    const want = cli(mode);
    expect(await sha256File(got), `${mode}: the page's download is byte-identical to the CLI's output`).toBe(await sha256File(want));
    rmSync(want);
    // Self-contained: no external reference, loads from its own folder, gives finite embeddings.
    const src = fileSource(got);
    const { model } = await openModel(src);
    let external = 0;
    let float16 = 0;
    for (const t of model.graph.initializers) {
      if (t.external) external++;
      if (t.dataType === DT.FLOAT16) float16 += t.data?.length ?? t.rawData?.length ?? 0;
    }
    await src.close();
    expect(external).toBe(0);
    if (mode === 'fp16') expect(float16, 'FP16: the weights are float16').toBeGreaterThan(statSync(got).size * 0.95);
    const v = await embed(got);
    expect(v.length).toBe(3 * 1024);
    expect(v.every(Number.isFinite)).toBe(true);
    rmSync(got);
  }
  expect(readFileSync(join(dir, 'model.onnx')).length).toBeGreaterThan(0);
});
