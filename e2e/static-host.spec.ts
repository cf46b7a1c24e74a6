// The built app (dist/) served as plain static files from a sub-path, WITHOUT the COOP/COEP isolation headers (as on
// GitHub Pages or a bucket): it loads, its workers start, a real model quantizes and downloads byte-identical to the
// Node output, and share links point back to the sub-path.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Page } from '@playwright/test';
import { quantizeInt8 } from '../src/core/int8/index.js';
import { collectPieces, parseModel } from '../src/core/onnx/index.js';
import { decodeReport } from '../src/core/share/index.js';
import { DEFAULT_PRESET } from '../src/core/int8/presets.js';
import { outputFileName } from '../src/app/format.js';
import { fixture, pathOf } from '../tests/helpers/fixtures.js';
import { card, expect, fixClock, minilm, pageProvenance, test } from './helpers.js';
import { DIST, serveDist, type StaticDist } from './static-dist.js';

const SUB = '/some/sub/path/';

let dist: StaticDist;
let base: string;
/** Every request the server saw, with the status it answered. */
let seen: StaticDist['seen'];

test.beforeAll(async () => {
  expect(existsSync(join(DIST, 'index.html')), 'dist/ is built (the e2e web server runs `npm run build`)').toBe(true);
  dist = await serveDist(SUB);
  ({ base, seen } = dist);
});

test.afterAll(() => dist.close());

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The Node output for what the page makes at the fixed clock (fixClock). */
async function nodeInt8(path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(readFileSync(path));
  const q = await quantizeInt8(parseModel(bytes), { preset: DEFAULT_PRESET, provenance: pageProvenance(basename(path), bytes) });
  return collectPieces(q.parts);
}

async function openStatic(page: Page): Promise<void> {
  seen.length = 0;
  await fixClock(page);
  await page.goto(base.slice(0, -1)); // without the trailing slash: redirected, as static hosts do
  await expect(page.getByRole('heading', { level: 1, name: 'AVA Quantizer' })).toBeVisible();
  expect(page.url()).toBe(base);
  expect(await page.evaluate(() => crossOriginIsolated), 'served without COOP/COEP').toBe(false);
}

async function quantizeAndDownload(page: Page, path: string): Promise<Uint8Array> {
  await page.getByLabel('Choose model files').setInputFiles(path);
  const panel = card(page, basename(path)).getByTestId('quantize-panel');
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const link = panel.getByTestId('quantize-result').getByTestId('download');
  await expect(link).toHaveAttribute('download', outputFileName(basename(path), 'int8'));
  const pending = page.waitForEvent('download');
  await link.click();
  return new Uint8Array(readFileSync(await (await pending).path()));
}

function expectOnlySubPathRequests(): void {
  expect(seen.length).toBeGreaterThan(0);
  expect(
    seen.filter((r) => r.status >= 400),
    'no request failed',
  ).toEqual([]);
  expect(
    seen.filter((r) => !r.url.startsWith(SUB.slice(0, -1))),
    'every request stays under the sub-path',
  ).toEqual([]);
}

test('from a sub-path without isolation headers: quantize a small real model, download it, share it', async ({ page }) => {
  const path = pathOf(fixture('openwakeword-hello-deepa'));
  const expected = nodeInt8(path);
  await openStatic(page);
  const got = await quantizeAndDownload(page, path);
  const want = await expected;
  expect(got.length).toBe(want.length);
  expect(sha256(got), 'byte-identical to the Node output').toBe(sha256(want));

  // The hash worker runs too, and the share link points back to this sub-path.
  const integrity = card(page, basename(path)).getByTestId('result-integrity');
  await expect(integrity.getByTestId('output-sha256')).toHaveText(sha256(want));
  await integrity.getByTestId('share-button').click();
  const link = (await integrity.getByTestId('share-link').textContent())!;
  expect(link.startsWith(`${base}#r1.`), link).toBe(true);
  await page.goto(link);
  await expect(page.getByTestId('report-view')).toBeVisible();
  await expect(page.getByTestId('report-output-sha256')).toHaveText(sha256(want));
  expect(decodeReport(link).output.sha256).toBe(sha256(want));
  expectOnlySubPathRequests();
});

test('from a sub-path without isolation headers: all-MiniLM-L6-v2 to INT8, same bytes as Node', async ({ page }) => {
  const { path } = minilm();
  const expected = nodeInt8(path);
  await openStatic(page);
  const got = await quantizeAndDownload(page, path);
  const want = await expected;
  expect(got.length).toBe(want.length);
  expect(sha256(got)).toBe(sha256(want));
  expect(got.length / statSync(path).size).toBeLessThanOrEqual(0.26);
  expectOnlySubPathRequests();
});
