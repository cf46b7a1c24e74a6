/**
 * `npm run screenshots`: the README's pictures of the page, made from the built app so they stay current.
 *
 * Builds nothing itself (the npm script runs `vite build` first), serves dist/ with `vite preview` on
 * SCREENSHOT_PORT (default 4599), drives Debian's Chromium (CHROMIUM_PATH) through the main flow on the
 * all-MiniLM-L6-v2 fixture laid out like its Hugging Face repository, and writes palette PNGs (256 colours, UPNG)
 * to docs/screenshots/. Needs the fixtures (`npm run fixtures`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Locator, type Page } from '@playwright/test';
import UPNG from 'upng-js';
import { fixture, MINILM, pathOf } from '../tests/helpers/fixtures.js';

const OUT = resolve('docs/screenshots');
const PORT = Number(process.env.SCREENSHOT_PORT ?? 4599);
const BASE = `http://localhost:${PORT}/`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium';

/** The fixture as a Hugging Face repository folder: all-MiniLM-L6-v2/{onnx/model.onnx, tokenizer.json, …}. */
function repoFolder(): string {
  const f = fixture(MINILM);
  const extra = f.extra as Record<string, string>;
  const root = join(mkdtempSync(join(tmpdir(), 'ava-shots-')), 'all-MiniLM-L6-v2');
  mkdirSync(join(root, 'onnx'), { recursive: true });
  mkdirSync(join(root, '1_Pooling'), { recursive: true });
  copyFileSync(pathOf(f), join(root, 'onnx', 'model.onnx'));
  copyFileSync(pathOf(f, f.tokenizer!), join(root, 'tokenizer.json'));
  copyFileSync(pathOf(f, extra.tokenizerConfig!), join(root, 'tokenizer_config.json'));
  copyFileSync(pathOf(f, extra.poolingConfig!), join(root, '1_Pooling', 'config.json'));
  return root;
}

async function serve(): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['node_modules/vite/bin/vite.js', 'preview', '--port', String(PORT), '--strictPort'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(BASE)).ok) return p;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  p.kill();
  throw new Error(`vite preview did not start on ${BASE}`);
}

/** Writes a palette PNG (256 colours): a fraction of the browser's size, still sharp for text. */
function save(name: string, png: Buffer): void {
  const img = UPNG.decode(png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength) as ArrayBuffer);
  const rgba = UPNG.toRGBA8(img)[0]!;
  const small = Buffer.from(UPNG.encode([rgba], img.width, img.height, 256));
  writeFileSync(join(OUT, name), small);
  console.log(`${name}: ${img.width}×${img.height}, ${(png.length / 1024).toFixed(0)} KiB -> ${(small.length / 1024).toFixed(0)} KiB`);
}

async function shot(name: string, target: Page | Locator): Promise<void> {
  save(name, await target.screenshot({ animations: 'disabled' }));
}

async function main(): Promise<void> {
  statSync('dist/index.html');
  mkdirSync(OUT, { recursive: true });
  const folder = repoFolder();
  const server = await serve();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
    const page = await ctx.newPage();
    await page.goto(BASE);
    await shot('1-start.png', page);

    // The repository folder: one card named after it, INT8 then FP16 side by side with their quick checks.
    await page.getByLabel('Choose a folder', { exact: true }).setInputFiles(folder);
    const card = page.locator('[data-testid="model-card"][aria-label="all-MiniLM-L6-v2"]');
    await card.waitFor();
    const panel = card.getByTestId('quantize-panel');
    await panel.getByTestId('quantize').click();
    await panel.locator('[data-testid="result-answer"][data-state="quick"]').waitFor({ timeout: 120_000 });
    await panel.getByRole('radio', { name: 'FP16' }).check();
    await panel.getByTestId('quantize').click();
    await panel
      .locator('[data-testid="quantize-result"][data-mode="fp16"] [data-testid="result-answer"][data-state="quick"]')
      .waitFor({ timeout: 120_000 });
    await panel.locator('[data-testid="column-show"][data-mode="int8"]').click();
    await page.locator('[data-testid="quantize-panel"] [data-testid="quality-panel"]').waitFor();
    await card.evaluate((el) => el.scrollIntoView());
    await shot('2-result.png', panel.locator('[data-testid="results"], [data-testid="quantize-result"]').first());
    await shot('3-answer.png', panel.getByTestId('quantize-result'));

    // The full check on English + the seed's case, its answer and charts; then its details.
    const quality = panel.getByTestId('quality-panel');
    await quality.getByTestId('quality-settings').locator('summary').click();
    for (const f of ['multi.json', 'retrieval.json']) await quality.getByTestId(`probe-${f}`).uncheck();
    if (await quality.getByTestId('use-webgpu').count()) await quality.getByTestId('use-webgpu').uncheck();
    await quality.getByTestId('quality-settings').locator('summary').click();
    await quality.getByTestId('quality-run').click();
    await quality.locator('[data-testid="quality-report"][data-kind="full"]').waitFor({ timeout: 180_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="quality-panel"]')?.getAttribute('data-busy') === 'false');
    await shot('4-report.png', quality);

    // The same answer in dark mode, and on a 390 px phone.
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('5-report-dark.png', quality.getByTestId('quality-answer').locator('xpath=..'));
    await page.setViewportSize({ width: 390, height: 844 });
    await panel.getByTestId('results').scrollIntoViewIfNeeded();
    await shot('6-phone-dark.png', page);
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.emulateMedia({ colorScheme: 'light' });

    // The shared report a teammate opens from the link.
    const integrity = panel.getByTestId('result-integrity');
    await integrity.getByTestId('output-sha256').waitFor({ timeout: 60_000 });
    await integrity.getByTestId('share-button').click();
    const link = (await integrity.getByTestId('share-link').textContent())!;
    const other = await ctx.newPage();
    await other.goto(link);
    await other.getByTestId('report-view').waitFor();
    await shot('7-shared.png', other);
    await ctx.close();
  } finally {
    await browser.close();
    server.kill();
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
  const total = ['1-start', '2-result', '3-answer', '4-report', '5-report-dark', '6-phone-dark', '7-shared'].reduce(
    (a, n) => a + readFileSync(join(OUT, `${n}.png`)).length,
    0,
  );
  console.log(`docs/screenshots/: ${(total / 1024).toFixed(0)} KiB in all`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
