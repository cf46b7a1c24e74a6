// A strict page (issue 15): the Content-Security-Policy is in the built index.html and the preview headers; no
// string from a model, file name or share link ever becomes markup or script; and a whole session (drop, card,
// quantize, quality check, share) makes no request anywhere but the app's own origin.
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import { encodeNode, encodeOpset, encodeStringEntry, encodeTensor, encodeValueInfo } from '../src/core/onnx/encode.js';
import { concatParts, flatten, lenField, type Part } from '../src/core/onnx/writer.js';
import { GRAPH, MODEL } from '../src/core/onnx/model.js';
import { CSP, cspString } from '../csp.config.js';
import { card, dropFiles, expect, quantizeMinilmAndCheck, test } from './helpers.js';

/** Payloads: each would set window.__xss (or open a dialog) if it ever became markup or script. */
const X = {
  img: '<img src=x onerror="window.__xss=1">',
  script: '"><script>window.__xss=2</script>',
  svg: '<svg onload="window.__xss=3"><circle r=1 /></svg>',
  iframe: '<iframe src="javascript:window.top.__xss=4"></iframe>',
  js: 'javascript:window.__xss=5',
  style: '<style>*{display:none!important}</style>',
  alert: '<img src=x onerror=alert(document.domain)>',
  template: '{{constructor.constructor("window.__xss=6")()}}',
  anchor: '<a href="javascript:window.__xss=7">click me</a>',
};

const utf8 = new TextEncoder();
const str = (no: number, s: string): Part => lenField(no, [utf8.encode(s)]);
const varint = (no: number, v: number): Uint8Array => Uint8Array.from([no << 3, v]);

/**
 * A small valid model (y = MatMul(x, W), W constant so INT8 quantizes it) whose every string is a payload: producer,
 * domain, doc strings, graph / node / tensor / input / output names, a symbolic dimension, metadata keys and values.
 */
function hostileModel(): Uint8Array {
  const w = new Float32Array(8).map((_, i) => (i - 3.5) / 4);
  const graph: Part[] = [
    lenField(GRAPH.node, encodeNode({ opType: 'MatMul', inputs: [X.img, X.anchor], outputs: [X.script], name: X.style })),
    str(GRAPH.name, X.svg),
    lenField(GRAPH.initializer, encodeTensor({ name: X.anchor, dataType: 1, dims: [4, 2], raw: new Uint8Array(w.buffer) })),
    str(GRAPH.docString, X.iframe),
    lenField(GRAPH.input, encodeValueInfo(X.img, 1, [X.template, 4])),
    lenField(GRAPH.output, encodeValueInfo(X.script, 1, [X.template, 2])),
  ];
  return concatParts(
    flatten([
      varint(MODEL.irVersion, 8),
      str(MODEL.producerName, X.alert),
      str(MODEL.producerVersion, X.js),
      str(MODEL.domain, X.js),
      str(MODEL.docString, `${X.script}${X.iframe}`),
      lenField(MODEL.graph, graph),
      lenField(MODEL.opsetImport, encodeOpset('', 17)),
      lenField(MODEL.metadataProps, encodeStringEntry(X.anchor, X.svg)),
      lenField(MODEL.metadataProps, encodeStringEntry('note', X.template)),
    ]),
  );
}

/** Records CSP violations, dialogs and the payloads' global flag from the first script on. */
async function watch(page: Page): Promise<{ violations: () => Promise<string[]>; dialogs: string[]; xss: () => Promise<unknown> }> {
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
  });
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return {
    violations: () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
    dialogs,
    xss: () => page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss),
  };
}

/** Nothing from the payloads became an element or an attribute handler. */
async function expectNoMarkupFromPayloads(page: Page): Promise<void> {
  const found = await page.evaluate(() => ({
    handlers: document.querySelectorAll('[onerror],[onload],[onclick],[onmouseover]').length,
    iframes: document.querySelectorAll('iframe').length,
    jsLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
    inlineScripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
    styles: document.querySelectorAll('body style').length,
    imgs: [...document.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length,
    circles: document.querySelectorAll('circle').length,
  }));
  expect(found).toEqual({ handlers: 0, iframes: 0, jsLinks: 0, inlineScripts: 0, styles: 0, imgs: 0, circles: 0 });
}

test('the built index.html carries the policy as its first tag after <meta charset>, and preview sends it as a header', async ({
  page,
  baseURL,
  consoleGuard,
}) => {
  // The two refusals this test provokes on purpose are reported on the console.
  consoleGuard.allow(
    /Executing inline script violates|Connecting to 'https:\/\/example\.com\/' violates|Fetch API cannot load https:\/\/example\.com/,
  );
  const html = readFileSync('dist/index.html', 'utf8');
  const policy = cspString(CSP);
  const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/g)];
  expect(metas.map((m) => m[1])).toEqual([policy]);
  expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<script'));
  expect(html.slice(0, html.indexOf('Content-Security-Policy'))).toMatch(/<meta charset="UTF-8" \/>\s*<meta http-equiv="$/);
  // No inline script in the page, and the policy allows none: script-src has no 'unsafe-inline' / 'unsafe-eval'.
  expect([...html.matchAll(/<script\b[^>]*>/g)].every((m) => / src=/.test(m[0]))).toBe(true);
  expect(CSP['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
  expect(policy).not.toMatch(/unsafe-inline|'unsafe-eval'|\*(?!\.)|data:/);
  // blob: only for connections (onnxruntime-web fetching external data the page made blob: URLs of), never for scripts.
  expect(
    Object.entries(CSP)
      .filter(([, v]) => v.includes('blob:'))
      .map(([k]) => k),
  ).toEqual(['connect-src']);

  const res = await page.goto('./');
  expect(res!.headers()['content-security-policy']).toBe(`${policy}; frame-ancestors 'none'`);
  const origin = new URL(baseURL!).origin;
  // The policy is in force: an inline script injected now is refused and reported.
  const blocked = await page.evaluate(async () => {
    const seen = new Promise<string>((ok) =>
      document.addEventListener('securitypolicyviolation', (e) => ok(e.violatedDirective), { once: true }),
    );
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.append(s);
    return { directive: await seen, ran: (window as unknown as { __inline?: number }).__inline ?? null };
  });
  expect(blocked).toEqual({ directive: 'script-src-elem', ran: null });
  // And a connection to another origin is refused by the browser before it leaves.
  const refused = await page.evaluate(() =>
    fetch('https://example.com/').then(
      () => 'fetched',
      (e: Error) => e.name,
    ),
  );
  expect(refused).toBe('TypeError');
  expect(origin).toMatch(/^http:\/\/localhost:\d+$/);
});

test('a model whose every string is HTML or script: shown literally on the card, the result and the shared report; nothing runs', async ({
  page,
}) => {
  const w = await watch(page);
  const bytes = hostileModel();
  const fileName = `${X.img}.onnx`;
  await page.goto('./');
  await dropFiles(page, [{ name: fileName, bytes }]);
  const c = card(page, fileName);
  await expect(c).toBeVisible();

  await expect(c.getByTestId('file-name')).toHaveText(fileName);
  await expect(c.getByTestId('producer')).toContainText(X.alert);
  await expect(c.getByTestId('graph-name')).toHaveText(X.svg);
  await expect(c.getByTestId('model-domain')).toHaveText(X.js);
  await expect(c.getByTestId('doc-string')).toHaveText(`${X.script}${X.iframe}`);
  await expect(c.getByTestId('inputs').getByTestId('tensor-name')).toHaveText(X.img);
  await expect(c.getByTestId('inputs').getByTestId('tensor-shape')).toContainText(X.template);
  await expect(c.getByTestId('outputs').getByTestId('tensor-name')).toHaveText(X.script);
  await expect(c.locator(`[data-testid="metadata-row"]`).first()).toContainText(X.anchor);
  await expect(c.getByTestId('metadata')).toContainText(X.svg);

  // INT8: the result names the node and tensors it rewrote; the share link carries them.
  const panel = c.getByTestId('quantize-panel');
  await panel.getByTestId('quantize').click();
  const result = panel.getByTestId('quantize-result');
  await expect(result).toBeVisible();
  await expect(result.getByTestId('rewritten-MatMul')).toHaveAttribute('data-value', '1');
  const integrity = panel.getByTestId('result-integrity');
  await integrity.getByTestId('share-button').click();
  const link = (await integrity.getByTestId('share-link').textContent())!;
  expect(link).toContain('#r1.');

  // The quality check cannot fill a float input named with a payload: it says so, as text.
  const quality = c.getByTestId('quality-panel');
  await quality.getByTestId('quality-run').click();
  await expect(quality).toHaveAttribute('data-busy', 'false', { timeout: 90_000 });
  await expect(quality).toContainText(X.img);

  await expectNoMarkupFromPayloads(page);
  expect(await w.xss()).toBeUndefined();

  // The shared report, opened from the link: the same strings, as text.
  await page.goto(link);
  const view = page.getByTestId('report-view');
  await expect(view).toBeVisible();
  await expect(view.getByTestId('report-source-name')).toHaveText(fileName);
  await expect(view.getByTestId('report-output-name')).toHaveText(`${X.img}-INT8.onnx`);
  await expectNoMarkupFromPayloads(page);
  expect(await w.xss()).toBeUndefined();
  expect(w.dialogs).toEqual([]);
  expect(await w.violations()).toEqual([]);
});

/** Every request the context makes (pages, workers, the service worker), as absolute URLs. */
function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  context.on('request', (r) => urls.push(r.url()));
  return urls;
}

test('a full session (drop, card, quantize, quality check, share, shared report) requests nothing outside the app origin', async ({
  page,
  context,
  baseURL,
}) => {
  test.setTimeout(300_000);
  const w = await watch(page);
  const urls = recordRequests(context);
  await page.goto('./');
  const c = await quantizeMinilmAndCheck(page);
  const quality = c.getByTestId('quality-panel');
  await expect(quality.locator('[data-testid="quality-backend"][data-backend="wasm"]')).toHaveAttribute('data-status', 'done');
  const integrity = c.getByTestId('result-integrity');
  await integrity.getByTestId('share-button').click();
  const link = (await integrity.getByTestId('share-link').textContent())!;
  await page.goto(link);
  await expect(page.getByTestId('report-view')).toBeVisible();

  const origin = new URL(baseURL!).origin;
  expect(urls.length).toBeGreaterThan(10);
  const elsewhere = urls.filter((u) => {
    if (u.startsWith('data:')) return false;
    if (u.startsWith('blob:')) return !u.startsWith(`blob:${origin}/`);
    return new URL(u).origin !== origin;
  });
  expect(elsewhere, 'requests outside the app origin').toEqual([]);
  // The app's own files, onnxruntime-web's WebAssembly among them, came from here.
  expect(urls.some((u) => /\.wasm$/.test(u))).toBe(true);
  expect(await w.violations()).toEqual([]);
});
