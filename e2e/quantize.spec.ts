// Quantize all-MiniLM-L6-v2 in the browser (INT8 default preset, FP16 defaults), download the result and check it is
// byte-identical to what the same core produces in Node, small enough, and loads in onnxruntime-node.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import * as ort from 'onnxruntime-node';
import { collectPieces, parseModel } from '../src/core/onnx/index.js';
import { quantizeInt8, type Int8Report } from '../src/core/int8/index.js';
import { convertFp16, type Fp16Report } from '../src/core/fp16/index.js';
import { DEFAULT_PRESET } from '../src/core/int8/presets.js';
import { TOOL } from '../src/core/tool.js';
import type { OutputProvenance } from '../src/core/provenance.js';
import { formatSavings, outputFileName, sortedCounts } from '../src/app/format.js';
import { fixture, nodeTestModels, pathOf } from '../tests/helpers/fixtures.js';
import { MODE_METAS } from '../src/core/modes/registry.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { card, expect, minilm, test } from './helpers.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * What the core gives in Node for the options the page sends by default. The page records the source file, tool
 * version and date in the output; without `provenance` a placeholder date of the same length is used (same size),
 * and the exact bytes are compared with the provenance read back from the download.
 */
async function nodeOutput(
  path: string,
  mode: 'int8' | 'fp16',
  provenance?: OutputProvenance,
): Promise<{ bytes: Buffer; report: Int8Report | Fp16Report }> {
  const input = new Uint8Array(readFileSync(path));
  const prov = provenance ?? {
    source: { name: basename(path), sha256: sha256(input) },
    toolVersion: TOOL.version,
    date: new Date(0).toISOString(),
  };
  const { parts, report } =
    mode === 'int8'
      ? await quantizeInt8(parseModel(input), { preset: DEFAULT_PRESET, provenance: prov })
      : await convertFp16(parseModel(input), { provenance: prov });
  return { bytes: Buffer.from(await collectPieces(parts)), report };
}

/** The provenance the page wrote into a downloaded model. */
function provenanceOf(bytes: Buffer, mode: 'int8' | 'fp16'): OutputProvenance {
  const key = mode === 'int8' ? 'ava.quantization' : 'ava.conversion';
  const rec = JSON.parse(parseModel(new Uint8Array(bytes)).metadata.find((m) => m.key === key)!.value) as OutputProvenance;
  expect(rec.source.name).toBe(basename(minilm().path));
  expect(Date.now() - Date.parse(rec.date)).toBeLessThan(3_600_000);
  return { source: rec.source, toolVersion: rec.toolVersion, date: rec.date };
}

async function openWithModel(page: Page, path: string): Promise<Locator> {
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 1, name: 'AVA Quantizer' })).toBeVisible();
  await page.getByLabel('Choose model files').setInputFiles(path); // a path, not a buffer: > 50 MB
  const c = card(page, basename(path));
  await expect(c).toBeVisible();
  return c.getByTestId('quantize-panel');
}

/** Records the progress phases shown while a job runs. */
async function watchPhases(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __qphases: string[] };
    w.__qphases = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="quantize-progress"]')) {
        const p = el.getAttribute('data-phase') ?? '';
        if (w.__qphases.at(-1) !== p) w.__qphases.push(p);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase'] });
  });
  return () => page.evaluate(() => (window as unknown as { __qphases: string[] }).__qphases);
}

/** Downloads the result and checks it against the Node output; returns the downloaded bytes. */
async function downloadAndCompare(page: Page, result: Locator, path: string, mode: 'int8' | 'fp16', expected: Buffer): Promise<Buffer> {
  const original = readFileSync(path).length;
  const name = outputFileName(basename(path), mode);
  expect(name).toMatch(mode === 'int8' ? /-INT8\.onnx$/ : /-FP16\.onnx$/);

  // The panel's numbers are the output's.
  await expect(result.getByTestId('result-savings')).toHaveText(formatSavings(original, expected.length));
  await expect(result.getByTestId('result-savings')).toHaveAttribute('data-output-bytes', String(expected.length));
  await expect(result.getByTestId('result-savings')).toHaveAttribute('data-original-bytes', String(original));

  const link = result.getByTestId('download');
  await expect(link).toHaveAttribute('download', name);
  expect(await link.getAttribute('href')).toMatch(/^blob:/);
  const pending = page.waitForEvent('download');
  await link.click();
  const download = await pending;
  expect(download.suggestedFilename()).toBe(name);
  const got = readFileSync(await download.path());

  expect(got.length, 'downloaded size = the size the panel reports').toBe(expected.length);
  const same = (await nodeOutput(path, mode, provenanceOf(got, mode))).bytes;
  expect(sha256(got), 'browser output is byte-identical to the Node output').toBe(sha256(same));
  return got;
}

/** The downloaded model loads in onnxruntime-node and embeds a sentence. */
async function expectLoadsInOrt(bytes: Buffer): Promise<void> {
  const session = await ort.InferenceSession.create(new Uint8Array(bytes));
  try {
    expect([...session.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'token_type_ids']);
    const ids = [101n, 2023n, 2003n, 1037n, 3231n, 102n];
    const t = (v: bigint[]) => new ort.Tensor('int64', BigInt64Array.from(v), [1, v.length]);
    const out = await session.run({
      input_ids: t(ids),
      attention_mask: t(ids.map(() => 1n)),
      token_type_ids: t(ids.map(() => 0n)),
    });
    const h = out['last_hidden_state']!;
    expect(h.dims).toEqual([1, ids.length, 384]);
    expect(h.type).toBe('float32');
    expect([...(h.data as Float32Array)].every(Number.isFinite)).toBe(true);
  } finally {
    await session.release();
  }
}

test('INT8 (default preset): quantize, see the result, download the same bytes as Node', async ({ page }) => {
  const { path } = minilm();
  const expected = nodeOutput(path, 'int8');
  const panel = await openWithModel(page, path);

  // The labelled mode choice, INT8 preselected with the default preset.
  const int8 = panel.getByRole('radio', { name: 'INT8 (recommended)' });
  await expect(panel.getByRole('group', { name: 'Output format' })).toBeVisible();
  await expect(int8).toBeChecked();
  // The hint, then this model's saving predicted from its weights (no fixed figure per mode).
  await expect(int8).toHaveAccessibleDescription(
    /^small quality loss; weights 8-bit, activations quantized at run time about 21\.9 MiB, 75% smaller than 86\.2 MiB \(predicted from this model's weights\)$/,
  );
  await expect(panel.getByRole('radio', { name: 'FP16' })).toHaveAccessibleDescription(/^near-lossless; .* 50% smaller than 86\.2 MiB/);
  await expect(panel.getByRole('radio', { name: 'Q4', exact: true })).toHaveAccessibleDescription(/ 40% smaller than 86\.2 MiB/);
  await int8.check();
  await expect(panel.getByLabel('Preset')).toHaveValue(DEFAULT_PRESET);
  await expect(panel.getByText('Advanced')).toBeVisible();

  const phases = await watchPhases(page);
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const result = panel.getByTestId('quantize-result');
  await expect(result).toBeVisible();
  await expect(result.getByRole('heading', { name: 'INT8 result' })).toBeFocused();
  expect(await phases()).toEqual(expect.arrayContaining(['reading', 'quantizing']));

  const { bytes, report } = await expected;
  const r = report as Int8Report;
  // Rewritten nodes by op type and what stayed in float, as the core reports them.
  for (const [op, n] of sortedCounts(r.rewritten)) {
    await expect(result.getByTestId(`rewritten-${op}`)).toHaveAttribute('data-value', String(n));
  }
  const leftRows = result.getByTestId('left-row');
  const counts = (await leftRows.evaluateAll((rows) => rows.map((x) => Number(x.getAttribute('data-count'))))) as number[];
  expect(counts.reduce((a, b) => a + b, 0)).toBe(r.leftInFloat.length);
  expect(counts).toEqual(r.keptInFloat.map((k) => k.count));
  if (r.leftInFloat.length) await expect(result.getByTestId('left-in-float')).toContainText(r.leftInFloat[0]!.reason);
  await expect(result.getByTestId('result-settings')).toContainText(`preset ${DEFAULT_PRESET}`);

  const got = await downloadAndCompare(page, result, path, 'int8', bytes);
  expect(got.length / readFileSync(path).length).toBeLessThanOrEqual(0.26);
  await expectLoadsInOrt(got);
});

test('FP16 (defaults): convert, see the result, download the same bytes as Node', async ({ page }) => {
  const { path } = minilm();
  const expected = nodeOutput(path, 'fp16');
  const panel = await openWithModel(page, path);

  await panel.getByRole('radio', { name: 'FP16' }).check();
  await expect(panel.getByLabel('Keep float32 inputs and outputs')).toBeChecked();
  await expect(panel.getByLabel('Preset')).toHaveCount(0);
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const result = panel.getByTestId('quantize-result');
  await expect(result).toBeVisible();
  await expect(result.getByRole('heading', { name: 'FP16 result' })).toBeFocused();

  const { bytes, report } = await expected;
  const r = report as Fp16Report;
  await expect(result.getByTestId('fp16-clamped')).toHaveAttribute('data-value', String(r.weights.clamped));
  await expect(result.getByTestId('fp16-flushed')).toHaveAttribute('data-value', String(r.weights.flushedToZero));
  await expect(result.getByTestId('fp16-largest')).toHaveAttribute('data-value', String(r.weights.largestMagnitude));
  await expect(result.getByTestId('fp16-nodes')).toHaveAttribute('data-converted', String(r.nodes.converted));
  // What stayed in float32, by op type and reason (the report base every mode shares), with the policy rule.
  const rows = result.getByTestId('left-row');
  await expect(rows).toHaveCount(r.keptInFloat.length);
  expect(
    await rows.evaluateAll((x) =>
      x.map((e) => [e.getAttribute('data-op'), Number(e.getAttribute('data-count')), e.getAttribute('data-rule')]),
    ),
  ).toEqual(r.keptInFloat.map((k) => [k.opType, k.count, k.rule]));
  expect(r.keptInFloat.reduce((a, k) => a + k.count, 0)).toBe(r.nodes.keptFp32);

  const got = await downloadAndCompare(page, result, path, 'fp16', bytes);
  expect(got.length / readFileSync(path).length).toBeLessThanOrEqual(0.51);
  await expectLoadsInOrt(got);
});

test('Cancel stops an INT8 run at once: the worker is gone and the card says Cancelled', async ({ page }) => {
  const { path } = minilm();
  const panel = await openWithModel(page, path);

  const workerClosed = new Promise<void>((resolve) => {
    page.on('worker', (w) => {
      if (/quantize/.test(w.url())) w.on('close', () => resolve());
    });
  });
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(panel.getByTestId('quantize-progress')).toBeVisible();
  await expect(panel.getByTestId('quantize-status')).toHaveAttribute('aria-live', 'polite');
  await panel.getByRole('button', { name: `Cancel quantization of ${basename(path)}` }).click();

  await workerClosed; // terminated, not left running in the background
  // A visible "Cancelled" state (nothing was written), not a silent return to the form.
  await expect(panel).toHaveAttribute('data-state', 'cancelled');
  await expect(panel.getByTestId('quantize-cancelled')).toHaveText(
    `Cancelled: INT8 of ${basename(path)} was stopped and nothing was written.`,
  );
  await expect(panel.getByTestId('quantize-progress')).toHaveCount(0);
  await expect(panel.getByTestId('quantize-result')).toHaveCount(0);
  await expect(panel.getByTestId('quantize-error')).toHaveCount(0);
  await expect(page.getByTestId('error-card')).toHaveCount(0);
  await expect(page.getByTestId('status')).toHaveText(`Cancelled quantization of ${basename(path)}`);
  // Focus returns to the Quantize button, which works again.
  await expect(panel.getByRole('button', { name: 'Quantize', exact: true })).toBeFocused();
  await expect(panel.getByRole('button', { name: 'Quantize', exact: true })).toBeEnabled();
});

test('a model INT8 refuses: the reason is shown on the card as text, and the card stays usable', async ({ page }) => {
  // An ONNX node test that imports only the training domain: quantize_dynamic needs the default ONNX domain.
  const path = nodeTestModels().find((p) => /[\\/]test_adagrad[\\/]model\.onnx$/.test(p));
  expect(path, 'libonnx-testdata test_adagrad in the fixtures').toBeTruthy();
  const refusal = await quantizeInt8(parseModel(new Uint8Array(readFileSync(path!))), { preset: DEFAULT_PRESET }).then(
    () => null,
    (e: Error) => e,
  );
  expect(refusal?.name, 'the core refuses test_adagrad in Node').toBe('Int8Refusal');
  const message = refusal!.message;
  const panel = await openWithModel(page, path!);
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const error = panel.getByTestId('quantize-error');
  await expect(error).toHaveText(`INT8 failed: ${message}`);
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error).not.toContainText('internal error');
  await expect(panel).toHaveAttribute('data-state', 'error');
  await expect(panel.getByRole('button', { name: 'Quantize', exact: true })).toBeEnabled();
  await expect(page.getByTestId('error-card')).toHaveCount(0);
});

test('Save straight to a file: the worker streams the output into the picked file (same bytes as Node)', async ({ page }) => {
  const { path } = minilm();
  const date = new Date('2026-11-30T12:00:00.000Z');
  await page.clock.setFixedTime(date);
  // The browser's save dialog cannot be driven headless: stand in for it with a file handle of the same kind (an
  // origin-private file), which is what showSaveFilePicker resolves to.
  await page.addInitScript(() => {
    (window as unknown as { showSaveFilePicker: (o: { suggestedName: string }) => Promise<FileSystemFileHandle> }).showSaveFilePicker =
      async (o) => {
        (window as unknown as { __picked: string }).__picked = o.suggestedName;
        const root = await navigator.storage.getDirectory();
        return root.getFileHandle(`picked-${o.suggestedName}`, { create: true });
      };
  });
  const panel = await openWithModel(page, path);
  await panel.getByTestId('save-direct').check();
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const result = panel.getByTestId('quantize-result');
  await expect(result).toBeVisible();
  await expect(result.getByTestId('saved-direct')).toContainText('model-INT8.onnx');
  const written = await page.evaluate(async () => {
    const name = (window as unknown as { __picked: string }).__picked;
    const f = await (await (await navigator.storage.getDirectory()).getFileHandle(`picked-${name}`)).getFile();
    const d = new Uint8Array(await crypto.subtle.digest('SHA-256', await f.arrayBuffer()));
    return { size: f.size, sha256: [...d].map((b) => b.toString(16).padStart(2, '0')).join('') };
  });
  const input = readFileSync(path);
  const prov = { source: { name: basename(path), sha256: sha256(input) }, toolVersion: TOOL.version, date: date.toISOString() };
  const same = (await nodeOutput(path, 'int8', prov)).bytes;
  expect(written).toEqual({ size: same.length, sha256: sha256(same) });
});

test('every option of the table has its control, and the new INT8 ones reach the run', async ({ page }) => {
  const path = pathOf(fixture('openwakeword-hello-deepa'));
  const panel = await openWithModel(page, path);
  for (const m of MODE_METAS) {
    await panel.getByRole('radio', { name: new RegExp(`^${m.label}( \\(recommended\\))?$`) }).check();
    const form = panel.getByTestId(`${m.id}-options`);
    await expect(form.getByLabel('Preset', { exact: true })).toHaveCount(m.presets.length ? 1 : 0);
    if (m.options.some((o) => o.page.advanced)) await form.getByText('Advanced', { exact: true }).click();
    for (const o of m.options) {
      if (o.page.control === 'checkboxes') {
        const group = form.getByRole('group', { name: o.page.label });
        await expect(group, `${m.id}.${o.key}`).toBeVisible();
        await expect(group.getByRole('checkbox')).toHaveCount(o.kind === 'list' ? (o.choices?.length ?? 0) : 0);
      } else {
        await expect(form.getByLabel(o.page.label, { exact: true }), `${m.id}.${o.key}`).toBeVisible();
      }
    }
  }
  // INT8's subgraph and node-list options (CLI-only before) reach the quantizer.
  await panel.getByRole('radio', { name: 'INT8 (recommended)' }).check();
  const form = panel.getByTestId('int8-options');
  await form.getByText('Advanced', { exact: true }).click();
  await form.getByLabel('Also quantize If/Loop/Scan bodies', { exact: true }).check();
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(panel.getByTestId('quantize-result').getByTestId('result-settings')).toContainText('subgraphs too');
});

test('an already quantized model: the card says what it is, and only "Quantize anyway" goes on', async ({ page }) => {
  // Our own INT8 output: it carries ava.quantization metadata.
  const hello = new Uint8Array(readFileSync(pathOf(fixture('openwakeword-hello-deepa'))));
  const dir = mkdtempSync(join(tmpdir(), 'ava-e2e-already-'));
  const path = join(dir, 'hello-q.onnx');
  writeFileSync(path, await collectPieces((await quantizeInt8(parseModel(hello), { preset: DEFAULT_PRESET })).parts));
  const panel = await openWithModel(page, path);
  const note = panel.getByTestId('already-quantized');
  await expect(note).toContainText('This model is already quantized to INT8 by AVA Quantizer (it carries ava.quantization metadata).');
  await expect(panel.getByRole('button', { name: 'Quantize', exact: true })).toHaveCount(0);
  await panel.getByRole('radio', { name: 'FP16' }).check();
  await panel.getByRole('button', { name: 'Quantize anyway' }).click();
  await expect(panel.getByTestId('quantize-result')).toBeVisible();
  await expect(panel.getByTestId('quantize-result')).toHaveAttribute('data-mode', 'fp16');
});

test('nothing to quantize is never a success: a message and "Quantize anyway"; no history entry either way', async ({ page }) => {
  const path = nodeTestModels().find((p) => /[\\/]test_relu[\\/]model\.onnx$/.test(p))!;
  const panel = await openWithModel(page, path);
  await expect(panel.getByTestId('already-quantized')).toHaveCount(0);
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const refusal = panel.getByTestId('nothing-to-quantize');
  await expect(refusal).toContainText('INT8: nothing to quantize: the model has no node INT8 rewrites.');
  await expect(panel.getByTestId('quantize-result')).toHaveCount(0);
  await expect(panel.getByTestId('quantize-error')).toHaveCount(0);
  await refusal.getByRole('button', { name: 'Quantize anyway' }).click();
  const result = panel.getByTestId('quantize-result');
  await expect(result).toHaveAttribute('data-noop', 'true');
  await expect(result.getByTestId('result-nothing')).toContainText('nothing to quantize: the model has no node INT8 rewrites');
  // Hashed like any result, but not recorded as a run.
  await expect(panel.getByTestId('result-integrity').getByTestId('output-sha256')).toHaveText(/^[0-9a-f]{64}$/);
  // A run that did something is recorded: the history then holds that one alone.
  await panel.getByRole('radio', { name: 'FP16' }).check();
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(panel.getByTestId('quantize-result')).toHaveAttribute('data-mode', 'fp16');
  await expect(panel.getByTestId('quantize-result')).toHaveAttribute('data-noop', 'false');
  await expect(page.getByTestId('history-entry')).toHaveCount(1);
  await expect(page.getByTestId('history-entry').getByTestId('history-title')).toHaveText('model.onnx → model-FP16.onnx');
});
