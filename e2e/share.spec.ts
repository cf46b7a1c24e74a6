// Share links: a result's Share button makes a #r1.… link; a fresh browser context opening it sees the same numbers
// read-only, exports JSON / Markdown and verifies its own copies; damaged links and hostile names never break the page.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { hashBytes } from '../src/core/batch/index.js';
import { quantizeInt8 } from '../src/core/int8/index.js';
import { collectPieces, parseModel } from '../src/core/onnx/index.js';
import {
  buildShareableReport,
  decodeReport,
  encodeReport,
  reportToJson,
  reportToMarkdown,
  ShareLinkError,
  validateReport,
  type ShareableReport,
} from '../src/core/share/index.js';
import { DEFAULT_PRESET } from '../src/core/int8/presets.js';
import { formatSavings, outputFileName } from '../src/app/format.js';
import { fixture, pathOf } from '../tests/helpers/fixtures.js';
import { card, expect, fixClock, pageProvenance, test } from './helpers.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const MODEL = pathOf(fixture('openwakeword-hello-deepa'));
const TOOL = { name: 'ava-quantizer', version: JSON.parse(readFileSync('package.json', 'utf8')).version as string };

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-share-'));
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A page in a new browser context (no storage shared with the sharer), failing the test on console errors. */
async function freshPage(
  browser: Browser,
  baseURL: string | undefined,
): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ baseURL, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
  page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
  return { page, errors, close: () => context.close() };
}

async function nodeReport(name: string, sourceName = basename(MODEL)): Promise<{ report: ShareableReport; out: Uint8Array }> {
  const bytes = new Uint8Array(readFileSync(MODEL));
  const q = await quantizeInt8(parseModel(bytes), { preset: DEFAULT_PRESET });
  const out = await collectPieces(q.parts);
  const [i, o] = await Promise.all([hashBytes(bytes), hashBytes(out)]);
  return {
    out,
    report: buildShareableReport({
      tool: TOOL,
      source: { name: sourceName, ...i },
      output: { name, sha256: o.sha256, md5: o.md5 },
      report: q.report,
    }),
  };
}

test('Share a result: a fresh context opens the link and sees the same numbers, exports them, verifies its copies', async ({
  page,
  browser,
  baseURL,
}) => {
  const input = new Uint8Array(readFileSync(MODEL));
  // The page records source, tool version and date in the output: fix its clock so Node makes the same bytes.
  const q = await quantizeInt8(parseModel(input), { preset: DEFAULT_PRESET, provenance: pageProvenance(basename(MODEL), input) });
  const output = await collectPieces(q.parts);
  const name = outputFileName(basename(MODEL), 'int8');

  await fixClock(page);
  await page.goto('./');
  await page.getByLabel('Choose model files').setInputFiles(MODEL);
  const panel = card(page, basename(MODEL)).getByTestId('quantize-panel');
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const integrity = panel.getByTestId('result-integrity');
  await expect(integrity.getByTestId('input-sha256')).toHaveText(sha256(input));
  await expect(integrity.getByTestId('input-md5')).toHaveText(md5(input));
  await expect(integrity.getByTestId('output-sha256')).toHaveText(sha256(output));
  await expect(integrity.getByTestId('output-md5')).toHaveText(md5(output));
  await integrity.getByRole('button', { name: `Share ${name}` }).click();
  const link = (await integrity.getByTestId('share-link').textContent())!;
  expect(link.startsWith(new URL('./#r1.', baseURL).href), link).toBe(true);
  await expect(integrity.getByTestId('share-copy')).toBeVisible();
  const report = decodeReport(link);
  expect(report).toMatchObject({
    source: { name: basename(MODEL), bytes: input.length, sha256: sha256(input), md5: md5(input) },
    output: { name, bytes: output.length, sha256: sha256(output), md5: md5(output) },
    mode: 'int8',
    preset: DEFAULT_PRESET,
  });
  // The run is in this browser's history.
  await expect(page.getByTestId('history-entry').first().getByTestId('history-title')).toHaveText(`${basename(MODEL)} → ${name}`);

  const { page: other, errors, close } = await freshPage(browser, baseURL);
  try {
    await other.goto(link);
    const view = other.getByTestId('report-view');
    await expect(view).toBeVisible();
    await expect(other.getByTestId('drop-zone')).toHaveCount(0);
    await expect(other.getByTestId('history')).toHaveCount(0);
    await expect(other.getByRole('heading', { name: 'Shared quantization report' })).toBeFocused();
    await expect(view.getByTestId('report-output-name')).toHaveText(name);
    await expect(view.getByTestId('report-savings')).toHaveText(formatSavings(input.length, output.length));
    await expect(view.getByTestId('report-source-bytes')).toHaveAttribute('data-value', String(input.length));
    await expect(view.getByTestId('report-output-bytes')).toHaveAttribute('data-value', String(output.length));
    await expect(view.getByTestId('report-source-sha256')).toHaveText(sha256(input));
    await expect(view.getByTestId('report-source-md5')).toHaveText(md5(input));
    await expect(view.getByTestId('report-output-sha256')).toHaveText(sha256(output));
    await expect(view.getByTestId('report-output-md5')).toHaveText(md5(output));
    await expect(view.getByTestId('report-preset')).toHaveText(DEFAULT_PRESET);
    await expect(view.getByTestId('report-tensors')).toHaveText(String(q.report.tensorsQuantized));
    await expect(view.getByTestId('report-reduction')).toHaveText(`${report.conversion.reductionPercent.toFixed(2)}%`);
    await expect(view.getByTestId('report-no-quality')).toBeVisible();
    await expect(view.locator('input, textarea, select, [contenteditable]')).toHaveCount(0);

    // Exports: the same report as JSON and Markdown.
    for (const [id, text] of [
      ['export-json', reportToJson(report)],
      ['export-md', reportToMarkdown(report)],
    ] as const) {
      const pending = other.waitForEvent('download');
      await other.getByTestId(id).click();
      const d = await pending;
      expect(d.suggestedFilename()).toBe(`${name.replace(/\.onnx$/, '')}-report.${id === 'export-json' ? 'json' : 'md'}`);
      expect(readFileSync(await d.path(), 'utf8')).toBe(text);
    }

    // The teammate's copies: the original (renamed) and the output match; a different file does not.
    const renamed = join(dir, 'my-copy.onnx');
    const outCopy = join(dir, name);
    writeFileSync(renamed, input);
    writeFileSync(outCopy, output);
    const wrong = join(dir, 'hello_deepa.onnx');
    writeFileSync(wrong, input.subarray(1));
    await other.getByLabel('Choose your copies').setInputFiles([renamed, outCopy, wrong]);
    const checks = other.getByTestId('copy-check');
    await expect(checks).toHaveCount(3);
    await expect(checks.nth(0)).toHaveAttribute('data-ok', 'yes');
    await expect(checks.nth(0).getByTestId('copy-check-message')).toContainText(`matches the source ${basename(MODEL)} (SHA-256 and MD5`);
    await expect(checks.nth(1)).toHaveAttribute('data-ok', 'yes');
    await expect(checks.nth(1).getByTestId('copy-check-message')).toContainText(`matches the output ${name}`);
    await expect(checks.nth(2)).toHaveAttribute('data-ok', 'no');
    await expect(checks.nth(2).getByTestId('copy-check-message')).toContainText(`does not match the source ${basename(MODEL)}: size`);

    // The way back: the drop zone, with the link gone from the address bar.
    await other.getByTestId('report-back').click();
    await expect(other.getByTestId('drop-zone')).toBeVisible();
    expect(new URL(other.url()).hash).toBe('');
    await other.goBack();
    await expect(other.getByTestId('report-view')).toBeVisible();
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
});

test('a damaged or tampered link shows the ShareLinkError message in an alert, and the way back', async ({ page }) => {
  const { report } = await nodeReport('hello_deepa-INT8.onnx');
  const good = encodeReport(report);
  const mid = Math.floor(good.length / 2);
  const flipped = good.slice(0, mid) + (good[mid] === 'A' ? 'B' : 'A') + good.slice(mid + 1);
  const cases = [flipped, good.slice(0, -7), `r2.${good.slice(3)}`, 'hello', `${good.slice(0, 20)}<img src=x onerror=alert(1)>`];
  for (const fragment of cases) {
    let message = '';
    try {
      decodeReport(fragment);
    } catch (e) {
      expect(e).toBeInstanceOf(ShareLinkError);
      message = (e as Error).message;
    }
    expect(message, `the core rejects ${fragment.slice(0, 30)}…`).not.toBe('');
    await page.goto(`./#${fragment}`);
    const alert = page.getByTestId('share-link-error');
    await expect(alert).toHaveAttribute('role', 'alert');
    await expect(alert.getByRole('heading', { name: 'This report link cannot be read' })).toBeFocused();
    await expect(page.getByTestId('share-link-error-message')).toHaveText(message);
    await expect(page.getByTestId('report-view')).toHaveCount(0);
    await expect(page.getByTestId('drop-zone')).toHaveCount(0);
    await expect(page.locator('img')).toHaveCount(0);
  }
  await page.getByTestId('report-back').click();
  await expect(page.getByTestId('drop-zone')).toBeVisible();
  // Pasting a link into the address bar of an open page switches to the report.
  await page.evaluate((f) => (location.hash = f), good);
  await expect(page.getByTestId('report-view')).toBeVisible();
});

test('a report with hostile names renders them as text, and its quality data as charts', async ({ page }) => {
  const hostile = '<img src=x onerror="window.__pwned=1">.onnx';
  const { report: base } = await nodeReport('"><script>window.__pwned=2</script><b>x</b>.onnx', hostile);
  const counts = [0, 0, 1, 2, 3, 5, 9, 14, 20, 26];
  const report = validateReport({
    ...base,
    options: { ...base.options, '<i>key</i>': '<svg onload=alert(1)>' },
    conversion: { ...base.conversion, notes: ['<a href="javascript:alert(1)">click</a>'] },
    quality: {
      verdict: { pass: true, metric: 'mean cosine', value: 0.9871, threshold: 0.95, reasons: [], warnings: ['<marquee>w</marquee>'] },
      cosine: { count: 80, mean: 0.9871, min: 0.9512, p5: 0.9644, median: 0.9893, max: 0.9979 },
      histogram: { lo: 0.95, hi: 1, counts },
      topK: [{ set: '<u>set</u>', k: 5, mean: 0.96, min: 0.8 }],
      backend: 'onnxruntime-web wasm',
      providers: ['wasm'],
      texts: 80,
      tokenization: 'tokenizer',
      errors: [],
      headline: '<b>98.7% similar</b>',
    },
  });
  await page.goto(`./#${encodeReport(report)}`);
  const view = page.getByTestId('report-view');
  await expect(view).toBeVisible();
  await expect(view.getByTestId('report-source-name')).toHaveText(hostile);
  await expect(view.getByTestId('report-output-name')).toHaveText(report.output.name);
  await expect(view).toContainText('<svg onload=alert(1)>');
  await expect(view).toContainText('<a href="javascript:alert(1)">click</a>');
  await expect(view).toContainText('<marquee>w</marquee>');
  for (const tag of ['img', 'svg', 'b', 'i', 'u', 'marquee', 'a[href^="javascript"]'])
    await expect(page.locator(`main ${tag}`)).toHaveCount(0);
  expect(await page.evaluate(() => document.querySelectorAll('script:not([type="module"])').length)).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

  // Quality: verdict, cosine statistics, histogram bars, top-k.
  const q = view.getByTestId('report-quality');
  await expect(q).toHaveAttribute('data-pass', 'yes');
  await expect(q.getByTestId('report-verdict')).toHaveText('PASS: mean cosine 0.9871 (threshold 0.950)');
  await expect(q.getByTestId('report-cosine-mean')).toHaveText('0.9871');
  const bars = q.getByTestId('histogram-bar');
  await expect(bars).toHaveCount(counts.length);
  expect(await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))))).toEqual(counts);
  await expect(q.getByTestId('report-topk')).toContainText('<u>set</u>');

  // The Markdown export escapes it too.
  const pending = page.waitForEvent('download');
  await page.getByTestId('export-md').click();
  const md = readFileSync(await (await pending).path(), 'utf8');
  expect(md).toBe(reportToMarkdown(report));
  expect(md).toContain('&lt;img src=x onerror="window.\\_\\_pwned=1"&gt;');
  expect(md).not.toContain('<img');
});
