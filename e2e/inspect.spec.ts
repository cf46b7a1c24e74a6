import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import type { ModelSummary } from '../src/core/onnx/index.js';
import { formatShape } from '../src/app/format.js';
import { pathOf } from '../tests/helpers/fixtures.js';
import { buildModel } from '../tests/int8/build.js';
import { card, dropFiles, expect, expectedFormatError, expectedSummary, minilm, smallModel, test } from './helpers.js';

async function open(page: Page): Promise<void> {
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 1, name: 'AVA Quantizer' })).toBeVisible();
}

const dataValue = (l: Locator) => l.getAttribute('data-value');

/** Every field of the summary is on the card, as computed by the core in Node. */
async function expectCardShows(c: Locator, s: ModelSummary): Promise<void> {
  await expect(c.getByTestId('file-name')).toHaveText(s.fileName);
  expect(await dataValue(c.getByTestId('file-size'))).toBe(String(s.fileBytes));
  expect(await dataValue(c.getByTestId('ir-version'))).toBe(String(s.irVersion));
  for (const o of s.opsets) {
    expect(await dataValue(c.getByTestId(`opset-${o.domain || 'ai.onnx'}`))).toBe(String(o.version));
  }
  await expect(c.getByTestId('opsets').locator('[data-testid^="opset-"]')).toHaveCount(s.opsets.length);
  if (s.producerName) await expect(c.getByTestId('producer')).toContainText(s.producerName);
  if (s.producerVersion) await expect(c.getByTestId('producer')).toContainText(s.producerVersion);
  expect(await dataValue(c.getByTestId('parameter-count'))).toBe(String(s.parameterCount));
  expect(await dataValue(c.getByTestId('node-count'))).toBe(String(s.nodeCount));
  expect(await dataValue(c.getByTestId('initializer-count'))).toBe(String(s.initializerCount));
  expect(await dataValue(c.getByTestId('subgraph-count'))).toBe(String(s.subgraphCount));
  expect(await dataValue(c.getByTestId('model-version'))).toBe(String(s.modelVersion));
  expect(await dataValue(c.getByTestId('embedding-dim'))).toBe(s.embeddingDim === null ? '' : String(s.embeddingDim));
  expect(await dataValue(c.getByTestId('quantized'))).toBe(s.quantized.quantized ? 'yes' : 'no');
  expect(await dataValue(c.getByTestId('predicted-int8'))).toBe(String(s.predictedBytes.int8));
  expect(await dataValue(c.getByTestId('predicted-fp16'))).toBe(String(s.predictedBytes.fp16));
  for (const [op, n] of Object.entries(s.opCounts)) {
    expect(await dataValue(c.getByTestId(`op-count-${op}`)), `op count ${op}`).toBe(String(n));
  }
  await expect(c.getByTestId('op-histogram').locator('tbody tr')).toHaveCount(Math.max(1, Object.keys(s.opCounts).length));
  for (const [dtype, b] of Object.entries(s.initializerBytesByType)) {
    expect(await dataValue(c.getByTestId(`dtype-bytes-${dtype}`)), `bytes of ${dtype}`).toBe(String(b));
  }
  for (const [kind, list] of [
    ['input', s.inputs],
    ['output', s.outputs],
  ] as const) {
    const rows = c.getByTestId(`${kind}-row`);
    await expect(rows).toHaveCount(list.length);
    for (const [i, t] of list.entries()) {
      await expect(rows.nth(i).getByTestId('tensor-name')).toHaveText(t.name);
      await expect(rows.nth(i).getByTestId('tensor-dtype')).toHaveText(t.dtype);
      await expect(rows.nth(i).getByTestId('tensor-shape')).toHaveText(formatShape(t.shape));
    }
  }
  await expect(c.getByTestId('external-ref')).toHaveCount(s.externalData.length);
  await expect(c.getByTestId('metadata-row')).toHaveCount(Object.keys(s.metadata).length);
  for (const e of s.quantized.evidence) await expect(c.getByTestId('quantized-evidence')).toContainText(e);
}

test('page is cross-origin isolated and shows the drop zone', async ({ page }) => {
  await open(page);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(page.getByTestId('drop-zone')).toContainText('Drop .onnx files here');
  await expect(page.getByTestId('model-card')).toHaveCount(0);
});

test('picking all-MiniLM-L6-v2 shows its model card', async ({ page }) => {
  const { path } = minilm();
  const expected = expectedSummary(path);
  await open(page);

  // Watch the progress card's phases and the main thread's longest stall while the ~90 MB file is read and parsed.
  await page.evaluate(() => {
    const w = window as unknown as { __phases: string[]; __maxGap: number };
    w.__phases = [];
    w.__maxGap = 0;
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="progress-card"]')) {
        const p = el.getAttribute('data-phase') ?? '';
        if (w.__phases.at(-1) !== p) w.__phases.push(p);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase'] });
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      w.__maxGap = Math.max(w.__maxGap, now - last);
      last = now;
    }, 10);
  });

  await page.getByLabel('Choose model files').setInputFiles(path); // a path, not a buffer: > 50 MB
  const c = card(page, basename(path));
  await expect(c).toBeVisible();
  await expect(page.getByTestId('progress-card')).toHaveCount(0);

  // Hand-known facts about all-MiniLM-L6-v2.
  await expect(c.getByTestId('embedding-dim')).toHaveText('384');
  await expect(c.getByTestId('quantized')).toHaveText('no');
  const inputs = await c.getByTestId('input-row').getByTestId('tensor-name').allTextContents();
  expect(inputs.sort()).toEqual(['attention_mask', 'input_ids', 'token_type_ids']);
  await expect(c.getByTestId('output-row').getByTestId('tensor-name').first()).toHaveText('last_hidden_state');
  // The full card is one click away ("Model details"): inputs, outputs, operators, weights, metadata.
  await c.getByTestId('model-details').locator('summary').click();
  await expect(c.getByTestId('external-data-none')).toBeVisible();
  expect(Number(await dataValue(c.getByTestId('parameter-count')))).toBeGreaterThan(22_000_000);
  expect(Number(await dataValue(c.getByTestId('op-count-MatMul')))).toBeGreaterThan(0);
  await expect(c.getByTestId('file-size')).toHaveText(/^\d+\.\d (MiB)$/);

  // Everything else equals what the core computes from the same file in Node.
  await expectCardShows(c, expected);

  const { phases, maxGap } = await page.evaluate(() => {
    const w = window as unknown as { __phases: string[]; __maxGap: number };
    return { phases: w.__phases, maxGap: w.__maxGap };
  });
  expect(phases).toContain('reading');
  expect(phases).toContain('parsing');
  // Parsing runs in the worker: the page never stalls for long.
  expect(maxGap, `longest main-thread stall ${maxGap.toFixed(0)} ms`).toBeLessThan(1000);
});

test('dropping a small model (synthetic drag and drop) shows its card', async ({ page }) => {
  const f = smallModel();
  const bytes = new Uint8Array(readFileSync(pathOf(f)));
  const name = basename(f.path);
  const expected = expectedSummary(pathOf(f), name);
  await open(page);

  const accepted = await dropFiles(page, [{ name, bytes }]);
  expect(accepted, 'dragenter, dragover and drop are all handled by the zone').toEqual([true, true, true]);
  const c = card(page, name);
  await expect(c).toBeVisible();
  await expectCardShows(c, expected);
  await expect(page.getByTestId('drop-zone')).not.toHaveClass(/dragging/);
});

test('siblings dropped with a model do not get cards of their own', async ({ page }) => {
  const f = smallModel();
  const name = basename(f.path);
  await open(page);
  await dropFiles(page, [
    { name, bytes: new Uint8Array(readFileSync(pathOf(f))) },
    { name: 'tokenizer.json', bytes: new TextEncoder().encode('{"version":"1.0"}') },
  ]);
  await expect(card(page, name)).toBeVisible();
  await expect(page.getByTestId('model-card')).toHaveCount(1);
  await expect(page.getByTestId('error-card')).toHaveCount(0);
});

test('corrupt files show an error card naming the problem', async ({ page }) => {
  const f = smallModel();
  const full = new Uint8Array(readFileSync(pathOf(f)));
  const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, ...new Array(200).fill(7)]);
  const truncated = full.slice(0, Math.floor(full.length * 0.6));
  const cases = [
    { name: 'archive.onnx', bytes: zip, re: /zip/i },
    { name: 'truncated.onnx', bytes: truncated, re: /./ },
    { name: 'empty.onnx', bytes: new Uint8Array(0), re: /empty/i },
  ];
  await open(page);
  await page
    .getByLabel('Choose model files')
    .setInputFiles(cases.map((k) => ({ name: k.name, mimeType: 'application/octet-stream', buffer: Buffer.from(k.bytes) })));
  const errors = page.getByTestId('error-card');
  await expect(errors).toHaveCount(cases.length);
  for (const k of cases) {
    const message = expectedFormatError(k.bytes, k.name);
    expect(message).toMatch(k.re);
    const e = page.locator(`[data-testid="error-card"][aria-label="Error: ${k.name}"]`);
    await expect(e).toHaveAttribute('role', 'alert');
    await expect(e.getByTestId('error-file')).toHaveText(k.name);
    await expect(e.getByTestId('error-message')).toHaveText(message);
    await expect(e).not.toContainText('internal error');
  }
  await expect(page.getByTestId('model-card')).toHaveCount(0);
});

test('a drop without any .onnx file explains what to drop', async ({ page }) => {
  await open(page);
  await dropFiles(page, [{ name: 'tokenizer.json', bytes: new TextEncoder().encode('{}') }]);
  await expect(page.getByTestId('error-card')).toContainText('No .onnx model among the dropped files');
});

test('model strings are rendered as text, never as HTML', async ({ page }) => {
  // A file name is the easiest untrusted string to control from here.
  const name = '<img src=x onerror="window.__pwned=1">.onnx';
  await open(page);
  await dropFiles(page, [{ name, bytes: new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]) }]);
  await expect(page.getByTestId('error-file')).toHaveText(name);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await expect(page.locator('main img')).toHaveCount(0);
});

test('keyboard: the drop zone and the labelled picker are reachable by Tab', async ({ page }) => {
  await open(page);
  const zone = page.getByTestId('drop-zone');
  const picker = page.getByLabel('Choose model files');
  await expect(picker).toHaveAttribute('type', 'file');
  await expect(picker).toHaveAttribute('multiple', '');
  expect(await picker.getAttribute('accept')).toContain('.onnx');

  const seen: string[] = [];
  for (let i = 0; i < 10 && !seen.includes('file-input'); i++) {
    await page.keyboard.press('Tab');
    seen.push((await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))) ?? '');
  }
  expect(seen).toContain('drop-zone');
  expect(seen).toContain('file-input');
  expect(seen.indexOf('drop-zone')).toBeLessThan(seen.indexOf('file-input'));
  await expect(picker).toBeFocused();

  // Enter and Space on the focused zone open the file picker.
  for (const key of ['Enter', ' ']) {
    await zone.focus();
    const chooser = page.waitForEvent('filechooser', { timeout: 5_000 });
    await page.keyboard.press(key === ' ' ? 'Space' : key);
    const fc = await chooser;
    expect(fc.isMultiple()).toBe(true);
  }
  await expect(zone).toHaveAccessibleDescription(/press Enter to choose files/);
});

test('sample model: a failed download shows a clear error card', async ({ page, consoleGuard }) => {
  // The built app fetches the sample from Hugging Face; simulate being offline.
  await page.route('https://huggingface.co/**', (route) => route.abort('internetdisconnected'));
  consoleGuard.allow(/^console\.error: Failed to load resource: net::ERR_INTERNET_DISCONNECTED/);
  await open(page);
  await page.getByRole('button', { name: 'Try a sample model' }).click();
  const e = page.getByTestId('error-card');
  await expect(e).toBeVisible();
  await expect(e.getByTestId('error-file')).toHaveText('all-MiniLM-L6-v2.onnx');
  await expect(e.getByTestId('error-message')).toContainText(
    'Could not download the sample model from https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/onnx/model.onnx',
  );
  await expect(page.getByRole('button', { name: 'Try a sample model' })).toBeEnabled();
});

test('cancel stops a parse in progress, and the next file still works', async ({ page }) => {
  // Opening reads only a model's structure, so a real model's card is up in milliseconds: a valid model whose
  // structure alone is big (200,000 Identity nodes, 7 MB of graph) keeps the parse running for seconds.
  const nodes = Array.from({ length: 200_000 }, (_, i) => ({
    opType: 'Identity',
    inputs: [i ? `t${i}` : 'x'],
    outputs: [i === 199_999 ? 'y' : `t${i + 1}`],
    name: `n${i}`,
  }));
  const dir = mkdtempSync(join(tmpdir(), 'ava-slow-'));
  const path = join(dir, 'many-nodes.onnx');
  writeFileSync(path, buildModel({ opset: 13, nodes, inputs: [['x', 1, [1]]], outputs: [['y', 1, [1]]] }));
  await open(page);
  await page.getByLabel('Choose model files').setInputFiles(path);
  await page.getByRole('button', { name: `Cancel ${basename(path)}` }).click();
  rmSync(dir, { recursive: true, force: true });
  await expect(page.getByTestId('progress-card')).toHaveCount(0);
  await expect(page.getByTestId('status')).toHaveText(`Cancelled ${basename(path)}`);
  await expect(page.getByTestId('model-card')).toHaveCount(0);
  await expect(page.getByTestId('error-card')).toHaveCount(0);

  // The worker was terminated by the cancel; a new one starts for the next file.
  const f = smallModel();
  await page.getByLabel('Choose model files').setInputFiles(pathOf(f));
  await expect(card(page, basename(f.path))).toBeVisible();
});
