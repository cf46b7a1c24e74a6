// Nothing lost (issue 15), in the page: a cancelled run leaves no file in the origin-private file system and frees its
// worker; a run that fails while writing leaves none either; the same input and options give the same bytes run after
// run, equal to Node's; and the input (the file on disk and the File the page holds) is unchanged after everything.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { quantizeInt8 } from '../src/core/int8/index.js';
import { convertFp16 } from '../src/core/fp16/index.js';
import { collectPieces, parseModel } from '../src/core/onnx/index.js';
import { DEFAULT_PRESET } from '../src/core/int8/presets.js';
import { fixture, pathOf } from '../tests/helpers/fixtures.js';
import { card, droppedSha256, dropFiles, expect, fixClock, minilm, opfsOutputs, pageProvenance, test } from './helpers.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function download(page: Page, panel: Locator): Promise<Uint8Array> {
  const pending = page.waitForEvent('download');
  await panel.getByTestId('quantize-result').getByTestId('download').click();
  return new Uint8Array(readFileSync(await (await pending).path()));
}

test('Cancel while the output is being written: the OPFS file is removed and the worker is gone', async ({ page }) => {
  const { path } = minilm();
  const before = sha256(readFileSync(path));
  await page.goto('./');
  await page.getByLabel('Choose model files').setInputFiles(path);
  const panel = card(page, basename(path)).getByTestId('quantize-panel');
  expect(await opfsOutputs(page)).toEqual([]);
  const workerClosed = new Promise<void>((resolve) => page.on('worker', (w) => /quantize/.test(w.url()) && w.on('close', () => resolve())));
  await panel.getByTestId('quantize').click();
  // Wait until the worker has created its output file, then cancel in the middle of writing it.
  await expect.poll(() => opfsOutputs(page), { intervals: [10], timeout: 60_000 }).toEqual([expect.stringMatching(/^job-.*\.onnx$/)]);
  await expect(panel.getByTestId('quantize-progress')).toBeVisible();
  await panel.getByTestId('quantize-cancel').click();
  await workerClosed;
  await expect(panel).toHaveAttribute('data-state', 'cancelled');
  await expect.poll(() => opfsOutputs(page), { timeout: 10_000 }).toEqual([]);
  await expect(panel.getByTestId('quantize-result')).toHaveCount(0);
  expect(sha256(readFileSync(path)), 'the input on disk is unchanged').toBe(before);
});

test('A run that fails while writing (INT8 meets a NaN weight) leaves no file in OPFS and says why', async ({ page }) => {
  const bytes = new Uint8Array(readFileSync(pathOf(fixture('openwakeword-hello-deepa'))));
  const m = parseModel(bytes);
  const w = [...m.graph.initializers].reverse().find((t) => t.dataType === 1 && t.rawData && t.rawData.length >= 1024)!;
  new DataView(bytes.buffer).setFloat32(w.rawData!.byteOffset - bytes.byteOffset + 16, NaN, true);
  await page.goto('./');
  await dropFiles(page, [{ name: 'nan.onnx', bytes }]);
  const panel = card(page, 'nan.onnx').getByTestId('quantize-panel');
  await panel.getByTestId('quantize').click();
  await expect(panel.getByTestId('quantize-error')).toHaveText(/^INT8 failed: tensor '.*' contains NaN values; it cannot be quantized$/);
  expect(await opfsOutputs(page)).toEqual([]);
  expect(await droppedSha256(page)).toEqual([sha256(bytes)]);
  // FP16 converts the same file (NaN stays NaN), so the card is still usable.
  await panel.getByRole('radio', { name: 'FP16' }).check();
  await panel.getByTestId('quantize').click();
  await expect(panel.getByTestId('quantize-result')).toBeVisible();
});

test('The same input and options give the same bytes run after run, equal to Node; the input is unchanged', async ({ page }) => {
  const path = pathOf(fixture('openwakeword-hello-deepa'));
  const input = new Uint8Array(readFileSync(path));
  const name = basename(path);
  const prov = pageProvenance(name, input);
  const node = {
    int8: await collectPieces((await quantizeInt8(parseModel(input), { preset: DEFAULT_PRESET, provenance: prov })).parts),
    fp16: await collectPieces((await convertFp16(parseModel(input), { provenance: prov })).parts),
  };
  await fixClock(page);
  await page.goto('./');
  await dropFiles(page, [{ name, bytes: input }]);
  const panel = card(page, name).getByTestId('quantize-panel');
  for (const mode of ['int8', 'fp16'] as const) {
    await panel.getByRole('radio', { name: mode === 'int8' ? 'INT8 (recommended)' : 'FP16' }).check();
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const before = await panel
        .getByTestId('quantize-result')
        .getAttribute('data-result')
        .catch(() => null);
      await panel.getByTestId('quantize').click();
      // The new result (the earlier one of this mode stays until it is replaced).
      await expect(panel.getByTestId('quantize-result')).toHaveAttribute('data-mode', mode);
      await expect(panel.getByTestId('quantize-result')).not.toHaveAttribute('data-result', before ?? '-');
      runs.push(sha256(await download(page, panel)));
    }
    expect(runs, `${mode}: three runs in the page, Node's bytes`).toEqual([sha256(node[mode]), sha256(node[mode]), sha256(node[mode])]);
  }
  expect(await droppedSha256(page), 'the File the page holds').toEqual([sha256(input)]);
  expect(sha256(readFileSync(path)), 'the file on disk').toBe(sha256(input));
  // Only the results on screen keep their files (the last INT8 and the last FP16, side by side); the runs they
  // replaced had their files removed.
  expect((await opfsOutputs(page)).length).toBeLessThanOrEqual(2);
});
