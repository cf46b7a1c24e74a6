// Offline use (issue 15): after one visit, the service worker (Workbox, vite.config.ts) has every built asset, so with
// the network gone the app reloads, opens a dropped model, quantizes it and runs the quality check on onnxruntime-web's
// WebAssembly. Both as `vite preview` serves it (cross-origin isolated) and from a sub-path of a plain static host
// without COOP/COEP.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { type ConsoleGuard, expect, quantizeMinilmAndCheck, test } from './helpers.js';
import { DIST, serveDist, type StaticDist } from './static-dist.js';

const SUB = '/offline/sub/path/';

let dist: StaticDist;
/** Requests the static server answered (it must see none while offline). */
let served: StaticDist['seen'];

test.beforeAll(async () => {
  expect(existsSync(join(DIST, 'sw.js')), 'dist/ is built with its service worker').toBe(true);
  dist = await serveDist(SUB);
  served = dist.seen;
});

test.afterAll(() => dist.close());

/** Visits `url` and waits until the service worker has precached everything and controls the page. */
async function visitAndInstall(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByRole('heading', { level: 1, name: 'AVA Quantizer' })).toBeVisible();
  const scope = await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready; // active = installed, i.e. the precache is complete
    if (!navigator.serviceWorker.controller)
      await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, { once: true }));
    return reg.scope;
  });
  expect(scope).toBe(new URL('.', page.url()).href);
  const cached = await page.evaluate(async () => {
    const names = await caches.keys();
    const urls: string[] = [];
    for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(r.url);
    return urls;
  });
  // onnxruntime-web's WebAssembly and its .mjs loaders are among the cached assets.
  expect(cached.filter((u) => /ort-wasm-simd-threaded[^/]*\.wasm/.test(u)).length).toBe(2);
  expect(cached.filter((u) => /ort-wasm-simd-threaded[^/]*\.mjs/.test(u)).length).toBe(2);
}

/** Offline: reload, drop all-MiniLM-L6-v2 with its tokenizer, quantize to INT8, run the quality check on WASM. */
async function workOffline(page: Page, context: BrowserContext, isolated: boolean, guard: ConsoleGuard): Promise<void> {
  guard.allow(/net::ERR_INTERNET_DISCONNECTED \(.*not-cached-/); // the probe below, which must fail
  await context.setOffline(true);
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'AVA Quantizer' })).toBeVisible();
  // Really offline: what the service worker does not hold cannot be fetched.
  expect(
    await page.evaluate(() =>
      fetch(`./not-cached-${Date.now()}.txt`).then(
        () => 'reached',
        () => 'offline',
      ),
    ),
  ).toBe('offline');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);

  const quality = (await quantizeMinilmAndCheck(page)).getByTestId('quality-panel');
  const wasm = quality.locator('[data-testid="quality-backend"][data-backend="wasm"]');
  await expect(wasm).toHaveAttribute('data-status', 'done');
  await expect(quality.locator('[data-testid="runtime"][data-backend="wasm"]')).toHaveAttribute('data-isolated', String(isolated));
  expect(
    failed.filter((f) => !/not-cached-/.test(f)),
    'no request failed while offline (but the probe above)',
  ).toEqual([]);
}

test('offline after one visit (vite preview, cross-origin isolated): reload, drop, quantize, quality check', async ({
  page,
  context,
  consoleGuard,
}) => {
  test.setTimeout(300_000);
  await visitAndInstall(page, './');
  await workOffline(page, context, true, consoleGuard);
});

test('offline after one visit from a sub-path of a static host without COOP/COEP', async ({ page, context, consoleGuard }) => {
  test.setTimeout(300_000);
  await visitAndInstall(page, dist.base);
  const before = served.length;
  await workOffline(page, context, false, consoleGuard);
  // Chromium's own service-worker update check (sw.js and the script it imports, fetched by the browser on navigation)
  // is not covered by Playwright's offline emulation; really offline it fails and the installed worker keeps serving.
  const seen = served
    .slice(before)
    .map((r) => r.url)
    .filter((u) => !/\/(sw|workbox-[\w-]+)\.js$/.test(u));
  expect(seen, 'the static server saw nothing from the page or its workers while offline').toEqual([]);
});
