// Q4 / Q4F16 of all-MiniLM-L6-v2 (made in Node by src/core/q4) checked by the page's quality check against the fp32
// model, on WASM and on WebGPU (the headless SwiftShader adapter, which has no 'shader-f16'), seed 4-doc set only
// (SwiftShader is slow). WASM must run and agree with onnxruntime-node; WebGPU must either run and agree, or fail with
// the reason shown as text in its column. What happened is recorded as a test annotation.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from '@playwright/test';
import * as ort from 'onnxruntime-node';
import { collectPieces, parseModel } from '../src/core/onnx/index.js';
import { quantizeQ4, quantizeQ4F16 } from '../src/core/q4/index.js';
import { loadProbes, runQualityCheck, type QualityReport } from '../src/core/quality/index.js';
import { PROBE_CHOICES } from '../src/app/quality/selection.js';
import { card, expect, minilmFiles, openQualitySettings, test } from './helpers.js';

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
const SEED = ['seed-4doc.json'];

async function nodeCheck(quantized: Uint8Array): Promise<QualityReport> {
  const f = minilmFiles();
  const p = await loadProbes(async (file) => JSON.parse(await readFile(join('public', 'probes', file), 'utf8')), SEED);
  return runQualityCheck({
    ort,
    original: { bytes: new Uint8Array(readFileSync(f.model)), name: 'model.onnx' },
    quantized: { bytes: quantized, name: 'quantized.onnx' },
    tokenizer: { tokenizerJson: json(f.tokenizer), tokenizerConfig: json(f.tokenizerConfig) },
    pooling: json(f.pooling),
    sentenceSets: p.sentenceSets,
    retrievalSets: p.retrievalSets,
    sessionOptions: { executionProviders: ['cpu'] },
    backend: 'onnxruntime-node cpu',
  });
}

const column = (panel: Locator, backend: string) => panel.locator(`[data-testid="quality-backend"][data-backend="${backend}"]`);
const cell = (panel: Locator, testId: string, backend: string) => panel.locator(`[data-testid="${testId}"][data-backend="${backend}"]`);
const details = (panel: Locator, backend: string) => panel.locator(`[data-testid="backend-details"][data-backend="${backend}"]`);

for (const mode of ['Q4', 'Q4F16'] as const)
  test(`${mode}: the page's quality check runs it on WASM; WebGPU (SwiftShader) runs it or says why not`, async ({ page }) => {
    test.setTimeout(300_000);
    const dir = mkdtempSync(join(tmpdir(), 'ava-q4-'));
    try {
      const input = parseModel(new Uint8Array(readFileSync(minilmFiles().model)));
      const { parts } = mode === 'Q4' ? await quantizeQ4(input, {}) : await quantizeQ4F16(input, {});
      const bytes = await collectPieces(parts);
      const name = `model-${mode}.onnx`;
      writeFileSync(join(dir, name), bytes);
      const reference = nodeCheck(bytes);
      const f = minilmFiles();
      await page.goto('./');
      await page.getByLabel('Choose model files').setInputFiles([f.model, join(dir, name), f.tokenizer, f.tokenizerConfig, f.pooling]);
      await expect(card(page, name)).toBeVisible();
      const compare = card(page, 'model.onnx').getByTestId('compare');
      const select = compare.getByLabel('Compare with…');
      const label = (await select.locator('option').allTextContents()).find((t) => t.startsWith(name))!;
      await select.selectOption({ label });
      const panel = compare.getByTestId('quality-panel');
      await openQualitySettings(panel); // closed by default: the answer comes first
      for (const p of PROBE_CHOICES) await panel.getByTestId(`probe-${p.file}`).setChecked(SEED.includes(p.file));
      await panel.getByTestId('use-webgpu').check();
      await panel.getByTestId('quality-run').click();
      await expect(panel).toHaveAttribute('data-busy', 'true');
      await expect(panel).toHaveAttribute('data-busy', 'false', { timeout: 240_000 });

      const node = await reference;
      // Every measurement per backend sits under "Details".
      const all = panel.getByTestId('quality-details');
      if ((await all.getAttribute('open')) === null) await all.locator(':scope > summary').click();
      await expect(column(panel, 'wasm')).toHaveAttribute('data-status', 'done');
      const wasm = Number(await cell(panel, 'cosine-mean', 'wasm').getAttribute('data-value'));
      expect(Math.abs(wasm - node.cosine!.mean!)).toBeLessThanOrEqual(2e-3);

      const adapter = (await cell(panel, 'runtime', 'webgpu').getByTestId('adapter').textContent()) ?? '';
      const status = await column(panel, 'webgpu').getAttribute('data-status');
      let outcome: string;
      if (status === 'done' && (await details(panel, 'webgpu').getByTestId('report-errors').count()) === 0) {
        const gpu = Number(await cell(panel, 'cosine-mean', 'webgpu').getAttribute('data-value'));
        expect(Math.abs(gpu - node.cosine!.mean!), `WebGPU mean cosine ${gpu} vs Node ${node.cosine!.mean}`).toBeLessThanOrEqual(2e-2);
        const placement = (await cell(panel, 'runtime', 'webgpu').innerText()).replace(/\s+/g, ' ').slice(0, 300);
        outcome = `WebGPU ran: mean cosine ${gpu.toFixed(5)} (Node ${node.cosine!.mean!.toFixed(5)}); ${placement}`;
      } else {
        await expect(column(panel, 'webgpu')).toContainText(/FAIL|ERROR/);
        const why = (
          (await details(panel, 'webgpu').locator('[data-testid="report-errors"], [data-testid="backend-failed"]').first().textContent()) ??
          ''
        ).trim();
        expect(why.length).toBeGreaterThan(10);
        outcome = `WebGPU failed, shown as: ${why.slice(0, 300)}`;
      }
      test.info().annotations.push({
        type: 'webgpu',
        description: `${mode} (${bytes.length} bytes), adapter "${adapter.trim()}": WASM ${wasm.toFixed(5)} vs Node ${node.cosine!.mean!.toFixed(5)}; ${outcome}`,
      });
      console.info(
        `[q4-webgpu] ${mode}: adapter "${adapter.trim()}"; WASM ${wasm.toFixed(5)} vs Node ${node.cosine!.mean!.toFixed(5)}; ${outcome}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
