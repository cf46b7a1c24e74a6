// Batch: a folder with two real models and one already-quantized file -> INT8 + FP16 of each, one skip with its
// reason, hashes on every row, one zip whose manifest hashes match its files, the run in History after a reload,
// "Verify a copy"; a dropped folder (webkitGetAsEntry) with a broken model and one INT8 refuses: the rest still run.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from '@playwright/test';
import { parseManifest, skipDecision } from '../src/core/batch/index.js';
import { convertFp16 } from '../src/core/fp16/index.js';
import { quantizeInt8 } from '../src/core/int8/index.js';
import { collectPieces, inspectModel, parseModel } from '../src/core/onnx/index.js';
import { DEFAULT_PRESET } from '../src/core/int8/presets.js';
import { fixture, nodeTestModels, pathOf } from '../tests/helpers/fixtures.js';
import { card, expect, fixClock, pageProvenance, test } from './helpers.js';
import { TOOL } from '../src/core/tool.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** What the core gives in Node for the options the batch sends (INT8 default preset, FP16 defaults). */
async function nodeOutputs(bytes: Uint8Array, fileName: string): Promise<{ int8: Uint8Array; fp16: Uint8Array }> {
  // The page records source, tool version and date; its clock is fixed (fixClock) so Node can make the same bytes.
  const provenance = pageProvenance(fileName, bytes);
  const q = await quantizeInt8(parseModel(bytes), { preset: DEFAULT_PRESET, provenance });
  const h = await convertFp16(parseModel(bytes), { provenance });
  return { int8: await collectPieces(q.parts), fp16: await collectPieces(h.parts) };
}

const HELLO = 'openwakeword-hello-deepa';
const NAMASTE = 'openwakeword-namaste-deepa';
const read = (name: string) => new Uint8Array(readFileSync(pathOf(fixture(name))));

let dir: string;
test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-batch-'));
});
test.afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function open(page: Page) {
  await fixClock(page);
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 1, name: 'AVA Quantizer' })).toBeVisible();
  // Batch lives in its own tab, below the one drop zone.
  await page.getByRole('tab', { name: /^Batch/ }).click();
  return page.getByTestId('batch-panel');
}

test('a folder: quantize all (INT8 + FP16), skip the quantized file, zip with a verifiable manifest, history after reload', async ({
  page,
}) => {
  // models/hello_deepa.onnx, models/more/namaste_deepa.onnx, models/hello_deepa-INT8.onnx (made by the core), notes.txt
  const root = join(dir, 'models');
  mkdirSync(join(root, 'more'), { recursive: true });
  const hello = read(HELLO);
  const namaste = read(NAMASTE);
  const helloNode = await nodeOutputs(hello, 'hello_deepa.onnx');
  const namasteNode = await nodeOutputs(namaste, 'namaste_deepa.onnx');
  writeFileSync(join(root, 'hello_deepa.onnx'), hello);
  writeFileSync(join(root, 'more', 'namaste_deepa.onnx'), namaste);
  writeFileSync(join(root, 'hello_deepa-INT8.onnx'), helloNode.int8);
  writeFileSync(join(root, 'notes.txt'), 'not a model');
  const skip = skipDecision('models/hello_deepa-INT8.onnx', inspectModel(helloNode.int8, { fileName: 'hello_deepa-INT8.onnx' }));
  expect(skip).toMatchObject({ skip: true, by: 'metadata' });

  const batch = await open(page);
  await batch.getByLabel('Choose a folder for the batch').setInputFiles(root);
  const rows = batch.getByTestId('batch-row');
  await expect(rows).toHaveCount(3);
  await expect(batch.getByTestId('batch-notice')).toContainText('Added 3 models; 1 other file');
  const row = (path: string) => batch.locator(`[data-testid="batch-row"][data-path="${path}"]`);
  await expect(row('models/hello_deepa.onnx')).toHaveAttribute('data-status', 'ready');
  await expect(row('models/more/namaste_deepa.onnx')).toHaveAttribute('data-status', 'ready');
  const skipped = row('models/hello_deepa-INT8.onnx');
  await expect(skipped).toHaveAttribute('data-status', 'skipped');
  await expect(skipped.getByTestId('row-reason')).toHaveText(`Skipped: ${skip.reason}`);

  // Modes and naming, with the rendered template before anything runs.
  const modes = batch.getByRole('group', { name: 'Outputs for each model' });
  await expect(modes.getByLabel('INT8')).toBeChecked();
  await modes.getByLabel('FP16').check();
  await expect(batch.getByTestId('preview-int8')).toHaveText('hello_deepa-INT8.onnx');
  await expect(batch.getByTestId('preview-fp16')).toHaveText('hello_deepa-FP16.onnx');
  await batch.getByLabel('Output names').selectOption('transformers.js');
  await expect(batch.getByTestId('preview-int8')).toHaveText('onnx/hello_deepa_quantized.onnx');
  await expect(batch.getByTestId('preview-fp16')).toHaveText('onnx/hello_deepa_fp16.onnx');
  await batch.getByLabel('Output names').selectOption('suffix');
  await batch.getByLabel('Version tag').fill('../x');
  await expect(batch.getByTestId('naming-error')).toContainText('contains a path separator');
  await expect(batch.getByTestId('quantize-all')).toBeDisabled();
  await batch.getByLabel('Version tag').fill('v1.1');
  await expect(batch.getByTestId('preview-int8')).toHaveText('hello_deepa-INT8-v1.1.onnx');
  // Each output goes beside its input: the zip keeps the folders.
  await expect(row('models/more/namaste_deepa.onnx').getByTestId('row-names')).toHaveText(
    '→ models/more/namaste_deepa-INT8-v1.1.onnx, models/more/namaste_deepa-FP16-v1.1.onnx',
  );

  await batch.getByTestId('quantize-all').click();
  await expect(row('models/hello_deepa.onnx')).toHaveAttribute('data-status', 'done');
  await expect(row('models/more/namaste_deepa.onnx')).toHaveAttribute('data-status', 'done');
  await expect(skipped).toHaveAttribute('data-status', 'skipped');
  await expect(batch.getByTestId('batch-status')).toHaveText('Batch finished: 4 outputs.');

  // Every row shows its input's and outputs' hashes, computed in the page: they are the bytes Node makes.
  const expected: Record<string, Uint8Array> = {
    'models/hello_deepa-INT8-v1.1.onnx': helloNode.int8,
    'models/hello_deepa-FP16-v1.1.onnx': helloNode.fp16,
    'models/more/namaste_deepa-INT8-v1.1.onnx': namasteNode.int8,
    'models/more/namaste_deepa-FP16-v1.1.onnx': namasteNode.fp16,
  };
  for (const [path, bytes] of [
    ['models/hello_deepa.onnx', hello],
    ['models/more/namaste_deepa.onnx', namaste],
  ] as const) {
    await expect(row(path).getByTestId('input-sha256')).toHaveText(sha256(bytes));
    await expect(row(path).getByTestId('input-md5')).toHaveText(md5(bytes));
  }
  for (const [name, bytes] of Object.entries(expected)) {
    const out = batch.locator(`[data-testid="batch-output"][data-name="${name}"]`);
    await expect(out).toHaveAttribute('data-status', 'done');
    await expect(out.getByTestId('output-sha256')).toHaveText(sha256(bytes));
    await expect(out.getByTestId('output-md5')).toHaveText(md5(bytes));
    await expect(out.getByTestId('output-download')).toHaveAttribute('download', basename(name));
  }

  // Download all: one zip, manifest.json first, its hashes match the files (node:crypto).
  const pending = page.waitForEvent('download');
  await batch.getByTestId('download-all').click();
  const download = await pending;
  expect(download.suggestedFilename()).toMatch(/^ava-quantizer-batch-\d{4}-\d\d-\d\d-\d{6}\.zip$/);
  const zipBytes = readFileSync(await download.path());
  const files = unzipSync(new Uint8Array(zipBytes));
  expect(Object.keys(files)).toEqual(['manifest.json', ...Object.keys(expected)]);
  const manifest = parseManifest(new TextDecoder().decode(files['manifest.json']));
  expect(manifest.inputs).toEqual([
    { name: 'models/hello_deepa.onnx', bytes: hello.length, sha256: sha256(hello), md5: md5(hello) },
    { name: 'models/more/namaste_deepa.onnx', bytes: namaste.length, sha256: sha256(namaste), md5: md5(namaste) },
  ]);
  expect(manifest.outputs.map((o) => o.name)).toEqual(Object.keys(expected));
  for (const o of manifest.outputs) {
    const got = files[o.name]!;
    expect({ bytes: got.length, sha256: sha256(got), md5: md5(got) }, o.name).toEqual({ bytes: o.bytes, sha256: o.sha256, md5: o.md5 });
    expect(sha256(got), `${o.name} is the Node output`).toBe(sha256(expected[o.name]!));
  }
  expect(manifest.outputs.map((o) => [o.source, o.mode, o.preset])).toEqual([
    ['models/hello_deepa.onnx', 'int8', DEFAULT_PRESET],
    ['models/hello_deepa.onnx', 'fp16', null],
    ['models/more/namaste_deepa.onnx', 'int8', DEFAULT_PRESET],
    ['models/more/namaste_deepa.onnx', 'fp16', null],
  ]);
  expect(manifest.skipped).toEqual([{ name: 'models/hello_deepa-INT8.onnx', reason: skip.reason }]);

  // History survives a reload: the batch is listed with its date, and opens read-only.
  await page.reload();
  await page.getByRole('tab', { name: /^History/ }).click();
  const history = page.getByTestId('history');
  const entry = history.getByTestId('history-entry').first();
  await expect(entry).toHaveAttribute('data-kind', 'batch');
  await expect(entry.getByTestId('history-title')).toHaveText('Batch: 2 models, 4 outputs, 1 skipped');
  expect(Date.parse((await entry.locator('time').getAttribute('datetime'))!)).toBeGreaterThan(Date.now() - 10 * 60_000);
  await entry.getByTestId('history-open').click();
  const reports = entry.getByTestId('report-view');
  await expect(reports).toHaveCount(4);
  await expect(reports.first().getByTestId('report-output-sha256')).toHaveText(sha256(helloNode.int8));
  await expect(entry.getByTestId('history-skipped')).toContainText(skip.reason);
  await expect(entry.locator('input, textarea, select, [contenteditable]')).toHaveCount(0);

  // Verify a copy: the unzipped FP16 output against a recorded hash (from the history), then a wrong one.
  const copy = join(dir, 'copy.onnx');
  writeFileSync(copy, files['models/more/namaste_deepa-FP16-v1.1.onnx']!);
  await page.getByRole('tab', { name: 'Verify a copy' }).click();
  const verify = page.getByTestId('verify-copy');
  await verify.getByLabel('Choose a file to verify').setInputFiles(copy);
  await expect(verify.getByTestId('verify-file')).toContainText('copy.onnx');
  await verify.getByLabel('Or pick a recorded hash').selectOption({ label: 'namaste_deepa-FP16-v1.1.onnx (history output) · SHA-256' });
  await expect(verify.getByLabel('Expected hash')).toHaveValue(sha256(namasteNode.fp16));
  await verify.getByTestId('verify-button').click();
  await expect(verify.getByTestId('verify-result')).toHaveText('copy.onnx: SHA-256 matches');
  await expect(verify.getByTestId('verify-result')).toHaveAttribute('data-ok', 'yes');
  await verify.getByLabel('Expected hash').fill(md5(hello).toUpperCase());
  await verify.getByTestId('verify-button').click();
  await expect(verify.getByTestId('verify-result')).toHaveText(
    `copy.onnx: MD5 does not match: expected ${md5(hello)}, got ${md5(namasteNode.fp16)}`,
  );
  await expect(verify.getByTestId('verify-result')).toHaveAttribute('role', 'alert');
  await verify.getByLabel('Expected hash').fill('1234');
  await verify.getByTestId('verify-button').click();
  await expect(verify.getByTestId('verify-error')).toContainText('got 4 hex digits');

  // Delete removes the entry, also after a reload.
  await page.getByRole('tab', { name: /^History/ }).click();
  await entry.getByTestId('history-delete').click();
  await expect(history.getByTestId('history-entry')).toHaveCount(0);
  await page.reload();
  await page.getByRole('tab', { name: /^History/ }).click();
  await expect(page.getByTestId('history-empty')).toBeVisible();
});

test('a dropped folder is walked (webkitGetAsEntry); a broken file and an INT8 refusal do not stop the rest', async ({ page }) => {
  const refusedPath = nodeTestModels().find((p) => /[\\/]test_adagrad[\\/]model\.onnx$/.test(p))!;
  const refusal = await quantizeInt8(parseModel(new Uint8Array(readFileSync(refusedPath))), { preset: DEFAULT_PRESET }).then(
    () => null,
    (e: Error) => e.message,
  );
  expect(refusal, 'the core refuses test_adagrad').toBeTruthy();
  const hello = read(HELLO);
  const files = {
    'drop/a/adagrad.onnx': new Uint8Array(readFileSync(refusedPath)),
    'drop/a/b/hello_deepa.onnx': hello,
    'drop/broken.onnx': new TextEncoder().encode('{"not": "a model"}'),
    'drop/a/b/tokenizer.json': new TextEncoder().encode('{}'),
  };
  const batch = await open(page);

  // A drop whose items are filesystem entries: folders nested two deep, one entry handed out per readEntries call.
  const accepted = await page.evaluate(
    async (list) => {
      type Node = { name: string; file?: File; children?: Map<string, Node> };
      const root: Node = { name: 'drop', children: new Map() };
      for (const [path, b64] of list) {
        const parts = path.split('/').slice(1);
        let n = root;
        for (const p of parts.slice(0, -1)) {
          if (!n.children!.has(p)) n.children!.set(p, { name: p, children: new Map() });
          n = n.children!.get(p)!;
        }
        const bin = atob(b64);
        const u8 = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
        n.children!.set(parts.at(-1)!, { name: parts.at(-1)!, file: new File([u8], parts.at(-1)!) });
      }
      const entry = (n: Node, parent: string): unknown => {
        const fullPath = `${parent}/${n.name}`;
        if (n.file)
          return {
            isFile: true,
            isDirectory: false,
            name: n.name,
            fullPath,
            file: (ok: (f: File) => void) => setTimeout(() => ok(n.file!), 0),
          };
        const kids = [...n.children!.values()];
        return {
          isFile: false,
          isDirectory: true,
          name: n.name,
          fullPath,
          createReader: () => {
            let i = 0;
            return {
              readEntries: (ok: (e: unknown[]) => void) => setTimeout(() => ok(i < kids.length ? [entry(kids[i++]!, fullPath)] : []), 0),
            };
          },
        };
      };
      const dt = {
        types: ['Files'],
        files: [],
        items: [{ kind: 'file', webkitGetAsEntry: () => entry(root, ''), getAsFile: () => null }],
        dropEffect: 'none',
      };
      const zone = document.querySelector('[data-testid="batch-drop"]')!;
      return ['dragenter', 'dragover', 'drop'].map((type) => {
        const ev = new DragEvent(type, { bubbles: true, cancelable: true });
        Object.defineProperty(ev, 'dataTransfer', { value: dt });
        return !zone.dispatchEvent(ev);
      });
    },
    Object.entries(files).map(([p, b]) => [p, Buffer.from(b).toString('base64')] as const),
  );
  expect(accepted).toEqual([true, true, true]);

  const rows = batch.getByTestId('batch-row');
  await expect(rows).toHaveCount(3);
  expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))).toEqual([
    'drop/a/adagrad.onnx',
    'drop/a/b/hello_deepa.onnx',
    'drop/broken.onnx',
  ]);
  const row = (path: string) => batch.locator(`[data-testid="batch-row"][data-path="${path}"]`);
  await expect(row('drop/broken.onnx')).toHaveAttribute('data-status', 'invalid');
  await expect(row('drop/broken.onnx').getByTestId('row-reason')).toContainText('JSON');
  await expect(row('drop/a/b/hello_deepa.onnx')).toHaveAttribute('data-status', 'ready');

  await batch.getByTestId('quantize-all').click();
  await expect(row('drop/a/b/hello_deepa.onnx')).toHaveAttribute('data-status', 'done');
  await expect(row('drop/a/adagrad.onnx')).toHaveAttribute('data-status', 'failed');
  await expect(row('drop/a/adagrad.onnx').getByTestId('output-error')).toHaveText(`INT8 failed: ${refusal}`);
  const out = row('drop/a/b/hello_deepa.onnx').getByTestId('batch-output');
  await expect(out.getByTestId('output-sha256')).toHaveText(sha256((await nodeOutputs(hello, 'hello_deepa.onnx')).int8));

  // The zip holds the one output; the manifest says what failed and what could not be read.
  const pending = page.waitForEvent('download');
  await batch.getByTestId('download-all').click();
  const zip = unzipSync(new Uint8Array(readFileSync(await (await pending).path())));
  const manifest = parseManifest(new TextDecoder().decode(zip['manifest.json']));
  expect(Object.keys(zip)).toEqual(['manifest.json', 'drop/a/b/hello_deepa-INT8.onnx']);
  expect(manifest.inputs.map((i) => i.name)).toEqual(['drop/a/adagrad.onnx', 'drop/a/b/hello_deepa.onnx']);
  expect(manifest.skipped.map((s) => s.name)).toEqual(['drop/a/adagrad.onnx', 'drop/broken.onnx']);
  expect(manifest.skipped[0]!.reason).toBe(`INT8 failed: ${refusal}`);
  expect(manifest.skipped[1]!.reason).toMatch(/^not a usable model: /);
  expect(sha256(zip['drop/a/b/hello_deepa-INT8.onnx']!)).toBe(manifest.outputs[0]!.sha256);
});

test('an output describes itself: its model card shows the provenance as text', async ({ page }) => {
  const hello = read(HELLO);
  const path = join(dir, 'hello_deepa-INT8.onnx');
  writeFileSync(path, (await nodeOutputs(hello, 'hello_deepa.onnx')).int8);
  await page.goto('./');
  await page.getByLabel('Choose model files').setInputFiles(path);
  const c = card(page, basename(path));
  const p = c.getByTestId('provenance');
  await expect(p).toBeVisible();
  await expect(p).toHaveAttribute('data-made-by', 'ava-quantizer');
  await expect(p.getByTestId('provenance-summary')).toHaveText(`INT8 (dynamic) by ava-quantizer ${TOOL.version}, preset ${DEFAULT_PRESET}`);
  await expect(p.getByTestId('provenance-mode')).toHaveText('INT8');
  await expect(p.getByTestId('provenance-preset')).toHaveText(DEFAULT_PRESET);
  await expect(p.getByTestId('provenance-tool')).toContainText('ava-quantizer');
  // Source file and its SHA-256, and the date, as recorded.
  await expect(p.getByTestId('provenance-source')).toContainText('hello_deepa.onnx');
  await expect(p.getByTestId('provenance-source')).toContainText(sha256(hello));
  await expect(p.getByTestId('provenance-date')).toBeVisible();
  // A model without our metadata has no provenance section.
  await page.getByLabel('Choose model files').setInputFiles(pathOf(fixture(HELLO)));
  await expect(card(page, basename(pathOf(fixture(HELLO)))).getByTestId('provenance')).toHaveCount(0);
});

test('a real drag from the OS (CDP): a folder onto the batch zone is walked, a file onto the main zone makes a card', async ({ page }) => {
  const root = join(dir, 'dragged');
  mkdirSync(join(root, 'deeper'), { recursive: true });
  writeFileSync(join(root, 'hello_deepa.onnx'), read(HELLO));
  writeFileSync(join(root, 'deeper', 'namaste_deepa.onnx'), read(NAMASTE));
  await open(page);
  const cdp = await page.context().newCDPSession(page);
  const drag = async (testid: string, files: string[]) => {
    const zone = page.getByTestId(testid);
    await zone.scrollIntoViewIfNeeded();
    const box = (await zone.boundingBox())!;
    const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const data = { items: [], files, dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  };
  await drag('batch-drop', [root]);
  const rows = page.getByTestId('batch-row');
  await expect(rows).toHaveCount(2);
  expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))).toEqual([
    'dragged/deeper/namaste_deepa.onnx',
    'dragged/hello_deepa.onnx',
  ]);
  await drag('drop-zone', [pathOf(fixture(HELLO))]);
  await expect(card(page, basename(pathOf(fixture(HELLO))))).toBeVisible();
});

test('an output that would rewrite nothing is a skip with the reason, not a success: no file, in the manifest', async ({ page }) => {
  const root = join(dir, 'noop');
  mkdirSync(root, { recursive: true });
  const relu = nodeTestModels().find((p) => /[\\/]test_relu[\\/]model\.onnx$/.test(p))!;
  writeFileSync(join(root, 'relu.onnx'), readFileSync(relu));
  writeFileSync(join(root, 'hello_deepa.onnx'), read(HELLO));
  const batch = await open(page);
  await batch.getByLabel('Choose a folder for the batch').setInputFiles(root);
  const row = (path: string) => batch.locator(`[data-testid="batch-row"][data-path="${path}"]`);
  await expect(row('noop/relu.onnx')).toHaveAttribute('data-status', 'ready');
  await batch.getByTestId('quantize-all').click();
  await expect(row('noop/hello_deepa.onnx')).toHaveAttribute('data-status', 'done');
  const skipped = row('noop/relu.onnx');
  await expect(skipped).toHaveAttribute('data-status', 'skipped');
  await expect(skipped.getByTestId('row-reason')).toHaveText('Skipped: nothing to quantize: the model has no node INT8 rewrites');
  const out = skipped.getByTestId('batch-output');
  await expect(out).toHaveAttribute('data-status', 'skipped');
  await expect(out.getByTestId('output-skipped')).toHaveText('Skipped: nothing to quantize: the model has no node INT8 rewrites');
  await expect(out.getByTestId('output-download')).toHaveCount(0);
  await expect(batch.getByTestId('batch-status')).toHaveText('Batch finished: 1 output.');

  const pending = page.waitForEvent('download');
  await batch.getByTestId('download-all').click();
  const files = unzipSync(new Uint8Array(readFileSync(await (await pending).path())));
  expect(Object.keys(files)).toEqual(['manifest.json', 'noop/hello_deepa-INT8.onnx']);
  const manifest = parseManifest(new TextDecoder().decode(files['manifest.json']));
  expect(manifest.skipped).toEqual([
    { name: 'noop/relu.onnx', reason: 'INT8 skipped: nothing to quantize: the model has no node INT8 rewrites' },
  ]);
});
