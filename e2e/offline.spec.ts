// Offline use (issue 15): after one visit, the service worker (Workbox, vite.config.ts) has every built asset, so with
// the network gone the app reloads, opens a dropped model, quantizes it and runs the quality check on onnxruntime-web's
// WebAssembly. Both as `vite preview` serves it (cross-origin isolated) and from a sub-path of a plain static host
// without COOP/COEP.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { pathOf } from '../tests/helpers/fixtures.js';
import { type ConsoleGuard, card, expect, minilm, test, chooseProbes } from './helpers.js';

const SUB = '/offline/sub/path/';
const DIST = resolve('dist');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

let server: Server;
let staticBase: string;
/** Requests the static server answered (it must see none while offline). */
const served: string[] = [];

test.beforeAll(async () => {
  expect(existsSync(join(DIST, 'sw.js')), 'dist/ is built with its service worker').toBe(true);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    served.push(url.pathname);
    if (!url.pathname.startsWith(SUB)) return void res.writeHead(404).end();
    let rel = decodeURIComponent(url.pathname.slice(SUB.length)) || 'index.html';
    if (rel.endsWith('/')) rel += 'index.html';
    const abs = resolve(DIST, normalize(rel));
    if (!abs.startsWith(DIST + sep) || !existsSync(abs) || !statSync(abs).isFile()) return void res.writeHead(404).end();
    // No COOP / COEP, as on most static hosts.
    res.writeHead(200, { 'Content-Type': TYPES[extname(abs)] ?? 'application/octet-stream', 'Content-Length': statSync(abs).size });
    createReadStream(abs).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  staticBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}${SUB}`;
});

test.afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
});

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

  const { fixture: f, path } = minilm();
  const extra = f.extra as Record<string, string>;
  await page
    .getByLabel('Choose model files')
    .setInputFiles([path, pathOf(f, f.tokenizer!), pathOf(f, extra.tokenizerConfig!), pathOf(f, extra.poolingConfig!)]);
  const c = card(page, basename(path));
  await expect(c).toBeVisible();
  await c.getByTestId('quantize').click();
  await expect(c.getByTestId('quantize-result')).toBeVisible({ timeout: 120_000 });
  const quality = c.getByTestId('quality-panel');
  await chooseProbes(quality, ['seed-4doc.json']);
  await quality.getByTestId('quality-run').click();
  await expect(quality).toHaveAttribute('data-busy', 'true');
  await expect(quality).toHaveAttribute('data-busy', 'false', { timeout: 180_000 });
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
  await visitAndInstall(page, staticBase);
  const before = served.length;
  await workOffline(page, context, false, consoleGuard);
  // Chromium's own service-worker update check (sw.js and the script it imports, fetched by the browser on navigation)
  // is not covered by Playwright's offline emulation; really offline it fails and the installed worker keeps serving.
  const seen = served.slice(before).filter((u) => !/\/(sw|workbox-[\w-]+)\.js$/.test(u));
  expect(seen, 'the static server saw nothing from the page or its workers while offline').toEqual([]);
});
