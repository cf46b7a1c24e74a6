// Loading by Hugging Face id or URL in the page, with every request to the Hub intercepted (page.route) and served
// from the fixtures in the Hub's layout (tests/helpers/fake-hub.ts): API listing with Link pages, resolve URLs, the
// Hub's error codes. No real network. Limits of page.route that shape these tests: it does not see redirected
// requests (the real Hub redirects big files to a CDN host; here they are served directly, the Node tests cover the
// redirect), it cannot carry a body as large as MiniLM's 86 MB (the browser connection drops; 64 MB works), so the
// full download → quantize path uses a small real model (tests/hub/repos.ts 'test/small'; MiniLM by id is in the
// Node tests), and its responses pass the browser's CORS check even without Access-Control-Allow-Origin, so the CORS
// case is a real local server on another origin.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import type { Page, Route } from '@playwright/test';
import { collectPieces, parseModel, type ModelView } from '../src/core/onnx/index.js';
import { quantizeInt8 } from '../src/core/int8/index.js';
import { DEFAULT_PRESET } from '../src/core/int8/presets.js';
import type { OutputProvenance } from '../src/core/provenance.js';
import { formatBytes } from '../src/app/format.js';
import type { FakeHub } from '../tests/helpers/fake-hub.js';
import { MINILM_REPO, makeHub } from '../tests/hub/repos.js';
import { fixture, pathOf } from '../tests/helpers/fixtures.js';
import { card, expect, minilm, test } from './helpers.js';

const HUB = 'https://huggingface.co';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Served {
  hub: FakeHub;
  /** Every request the page made to a host other than the app's own. */
  external: string[];
  /** Requests held back (not answered) while `hold` matches. */
  held: Route[];
}

/**
 * Serves the fake Hub on huggingface.co and its CDN host. `tamper` may change a response (e.g. drop CORS headers)
 * or return 'abort' / 'hold' for a URL.
 */
async function serveHub(page: Page, tamper: (url: URL) => 'abort' | 'hold' | null = () => null): Promise<Served> {
  const served: Served = { hub: makeHub('none'), external: [], held: [] };
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.hostname !== 'localhost' && u.protocol !== 'blob:' && u.protocol !== 'data:') served.external.push(req.url());
  });
  const handler = async (route: Route) => {
    const url = new URL(route.request().url());
    const what = tamper(url);
    if (what === 'abort') return route.abort('failed');
    if (what === 'hold') return void served.held.push(route);
    const r = served.hub.respond(url);
    await route.fulfill({ status: r.status, headers: r.headers, body: Buffer.from(r.body) });
  };
  await page.route(`${HUB}/**`, handler);
  return served;
}

async function openPage(page: Page): Promise<void> {
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 1, name: 'AVA Quantizer' })).toBeVisible();
}

/** Types an id and submits it with the keyboard. */
async function loadId(page: Page, id: string): Promise<void> {
  const field = page.getByLabel('Hugging Face model id or .onnx URL');
  await field.fill(id);
  await field.press('Enter');
}

async function expectAxeClean(page: Page, selector: string): Promise<void> {
  const r = await new AxeBuilder({ page }).include(selector).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

const networkMessage = (host: string) =>
  `the browser could not reach ${host} (no connection, or the server does not allow this page to read it: CORS); check the connection, or download the files yourself and drop them here`;
const HTTP_ERROR_LOG = /Failed to load resource: the server responded with a status of 40[134]/;
const SMALL = 'openwakeword-hello-deepa';

test('MiniLM by id: keyboard, the list of ONNX files with sizes and companions, axe-clean, nothing fetched before', async ({ page }) => {
  const served = await serveHub(page);
  await openPage(page);
  await expectAxeClean(page, '[data-testid="hub-loader"]');
  expect(served.external, 'nothing is fetched from the Hub before the user asks').toEqual([]);

  await loadId(page, `https://huggingface.co/${MINILM_REPO}`);
  const choices = page.getByTestId('hub-choices');
  await expect(choices.getByRole('group', { name: `ONNX files in ${MINILM_REPO}` })).toBeVisible();
  const only = choices.getByRole('radio', { name: /onnx\/model\.onnx/ });
  await expect(only).toBeChecked();
  await expect(choices.getByTestId('hub-choice-size')).toHaveText(formatBytes(minilm().fixture.bytes));
  await expect(choices).toContainText('tokenizer.json, tokenizer_config.json, config.json, 1_Pooling/config.json');
  await expectAxeClean(page, '[data-testid="hub-loader"]');
  // Listing pages (Link header) only; no file yet.
  expect(served.external.length).toBeGreaterThan(1);
  expect(served.external.every((u) => u.startsWith(`${HUB}/api/models/${MINILM_REPO}/tree/main?recursive=true`))).toBe(true);
  await choices.getByRole('button', { name: 'Close' }).click();
  await expect(choices).toHaveCount(0);
});

test('load by id → model card → quantize INT8 (same bytes as Node); tokenizer and pooling attached', async ({ page }) => {
  const served = await serveHub(page);
  await openPage(page);
  await loadId(page, 'hf:test/small');
  const choices = page.getByTestId('hub-choices');
  await choices.getByRole('button', { name: 'Download and inspect' }).click();
  // Named after the repository it came from, not "model.onnx".
  const c = card(page, 'small');
  await expect(c.getByTestId('file-name')).toHaveText('small/onnx/model.onnx');
  await expect(c).toBeVisible();
  await expect(page.getByTestId('error-card')).toHaveCount(0);
  expect(served.external).toEqual(
    expect.arrayContaining([`${HUB}/test/small/resolve/main/onnx/model.onnx`, `${HUB}/test/small/resolve/main/tokenizer.json`]),
  );
  expect(served.external.every((u) => u.startsWith(`${HUB}/`))).toBe(true);

  const panel = c.getByTestId('quantize-panel');
  await panel.getByRole('radio', { name: 'INT8 (recommended)' }).check();
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const result = panel.getByTestId('quantize-result');
  await expect(result).toBeVisible();
  const pending = page.waitForEvent('download');
  await result.getByTestId('download').click();
  const got = readFileSync(await (await pending).path());

  // Node's bytes for the same input with the provenance the page recorded.
  const m: ModelView = parseModel(new Uint8Array(got));
  const prov = JSON.parse(m.metadata.find((e) => e.key === 'ava.quantization')!.value) as OutputProvenance;
  const input = new Uint8Array(readFileSync(pathOf(fixture(SMALL))));
  expect(prov.source).toEqual({ name: 'model.onnx', sha256: sha256(input) });
  const { parts } = await quantizeInt8(parseModel(input), {
    preset: DEFAULT_PRESET,
    provenance: { source: prov.source, toolVersion: prov.toolVersion, date: prov.date },
  });
  expect(sha256(got)).toBe(sha256(await collectPieces(parts)));

  // The tokenizer and pooling config came with the model, with their repository paths.
  const tok = c.getByTestId('quality-tokenizer');
  await expect(tok).toHaveAttribute('data-has-tokenizer', 'true');
  await expect(tok).toContainText('small/tokenizer.json');
  await expect(tok).toContainText('small/1_Pooling/config.json');
});

test('a repository that does not exist: the 404 message, no card; bad input refused before any request', async ({ page, consoleGuard }) => {
  consoleGuard.allow(HTTP_ERROR_LOG);
  const served = await serveHub(page);
  await openPage(page);
  await loadId(page, 'nobody/nothing');
  const err = page.getByTestId('hub-error');
  await expect(err).toHaveText(
    "no repository 'nobody/nothing' on huggingface.co, or it is private (HTTP 401): check the id; for a private model, download the files yourself and drop them here",
  );
  await expect(page.getByTestId('hub-choices')).toHaveCount(0);
  await expect(page.getByTestId('model-card')).toHaveCount(0);
  await expect(page.getByLabel('Hugging Face model id or .onnx URL')).toHaveAttribute('aria-invalid', 'true');
  await expectAxeClean(page, '[data-testid="hub-loader"]');
  const before = served.external.length;
  await loadId(page, 'not an id');
  await expect(err).toHaveText(/^'not an id' is not a Hugging Face model id/);
  expect(served.external.length).toBe(before);
});

test('an .onnx URL on another host is refused before any request: the page connects to the Hub only (its CSP)', async ({ page }) => {
  // A real server on another origin: it must see nothing (the Content-Security-Policy would block the request anyway).
  let requests = 0;
  const server = createServer((_, res) => {
    requests++;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(Buffer.alloc(64));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await openPage(page);
    await loadId(page, `http://${host}/model.onnx`);
    await expect(page.getByTestId('hub-error')).toHaveText(
      `'http://${host}/model.onnx': the page loads models only from huggingface.co (it may contact no other host); download the file and drop it here, or give the URL to the command line (ava-quant)`,
    );
    await expect(page.getByTestId('error-card')).toHaveCount(0);
    await expect(page.getByTestId('model-card')).toHaveCount(0);
    expect(requests).toBe(0);
  } finally {
    server.close();
  }
});

test('an aborted request: the listing and the download each say network/CORS; the next load works', async ({ page, consoleGuard }) => {
  consoleGuard.allow(/Failed to load resource|net::ERR_FAILED/);
  let fail: 'listing' | 'model' | null = 'listing';
  await serveHub(page, (u) =>
    (fail === 'listing' && u.pathname.startsWith('/api/')) || (fail === 'model' && u.pathname.endsWith('/onnx/model.onnx'))
      ? 'abort'
      : null,
  );
  await openPage(page);
  await loadId(page, 'test/small');
  await expect(page.getByTestId('hub-error')).toHaveText(networkMessage('huggingface.co'));

  fail = 'model';
  await loadId(page, 'test/small');
  await expect(page.getByTestId('hub-error')).toHaveCount(0);
  await page.getByTestId('hub-choices').getByRole('button', { name: 'Download and inspect' }).click();
  const errorCard = page.getByTestId('error-card');
  await expect(errorCard.getByTestId('error-file')).toHaveText('test/small · onnx/model.onnx');
  await expect(errorCard.getByTestId('error-message')).toHaveText(networkMessage('huggingface.co'));

  fail = null;
  await loadId(page, 'test/small');
  await page.getByTestId('hub-choices').getByRole('button', { name: 'Download and inspect' }).click();
  await expect(card(page, 'small')).toBeVisible();
});

test('cancel a download: no card is left, and the next load works', async ({ page, consoleGuard }) => {
  consoleGuard.allow(/Failed to load resource|net::ERR_/);
  let hold = true;
  const served = await serveHub(page, (u) => (hold && u.pathname.endsWith('/onnx/model.onnx') ? 'hold' : null));
  await openPage(page);
  await loadId(page, MINILM_REPO);
  await page.getByTestId('hub-choices').getByRole('button', { name: 'Download and inspect' }).click();
  const progress = page.getByTestId('progress-card');
  await expect(progress).toHaveAttribute('data-phase', 'downloading');
  await expect(progress.getByTestId('progress-label')).toHaveText(/^Downloading/);
  await expect.poll(() => served.held.length).toBe(1);
  const name = `${MINILM_REPO} · onnx/model.onnx`;
  await progress.getByRole('button', { name: `Cancel ${name}` }).click();
  await expect(progress).toHaveCount(0);
  await expect(page.getByTestId('status')).toHaveText(`Cancelled ${name}`);
  await expect(page.getByTestId('model-card')).toHaveCount(0);
  await expect(page.getByTestId('error-card')).toHaveCount(0);
  for (const r of served.held) await r.abort().catch(() => {}); // the page already gave up on it

  hold = false;
  await loadId(page, 'test/small');
  await page.getByTestId('hub-choices').getByRole('button', { name: 'Download and inspect' }).click();
  await expect(card(page, 'small')).toBeVisible();
  await expect(page.getByTestId('model-card')).toHaveCount(1);
});

test('a gated repository; a .onnx file URL with external data beside it', async ({ page, consoleGuard }) => {
  consoleGuard.allow(HTTP_ERROR_LOG);
  await serveHub(page);
  await openPage(page);
  await loadId(page, 'test/gated');
  await page.getByTestId('hub-choices').getByRole('button', { name: 'Download and inspect' }).click();
  await expect(page.getByTestId('error-message')).toHaveText(
    "'test/gated' is gated (HTTP 403); this tool sends no credentials: accept the model's terms on huggingface.co, then download the files yourself and drop them here",
  );
  // A /resolve/ URL names the file: it downloads at once, with the external data the model names (two files).
  await loadId(page, `${HUB}/test/external-data/resolve/main/onnx/model.onnx`);
  const c = card(page, 'external-data');
  await expect(c).toBeVisible();
  await expect(c.locator('[data-testid="external-ref"][data-resolved="yes"]')).toHaveCount(2);
  await expect(c.getByTestId('missing-external')).toHaveCount(0);
});
