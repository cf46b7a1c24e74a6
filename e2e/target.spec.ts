// Issue 13 in the page: "Where will it run?" (the target picks INT8's preset, the output is checked against it and
// the findings come before the download), Q4 / Q4F16 as modes beside INT8 and FP16 (columns side by side; Q4F16's
// WebGPU run on an adapter without shader-f16 shows its failure), and the target-mode panel ("Smallest model that
// meets a bar") on all-MiniLM-L6-v2 with a small search budget (the search itself is tested in Node:
// tests/mixed/target.test.ts, tests/app/controllers/target.test.ts).
import { statSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { MODE_METAS } from '../src/core/modes/registry.js';
import { TARGETS, WHERE_CHOICES } from '../src/core/targets/index.js';
import { PROBE_CHOICES } from '../src/app/quality/selection.js';
import { manifest, pathOf } from '../tests/helpers/fixtures.js';
import { card, expect, minilm, test } from './helpers.js';

/** libonnx's pytorch-converted Conv2d: INT8 with int8 weights gives a ConvInteger ARM64's onnxruntime 1.22 cannot run. */
const conv = () => {
  const f = manifest().fixtures.find((x) => x.kind === 'onnx-node-test')!;
  return pathOf(`${f.path}/pytorch-converted/test_Conv2d/model.onnx`);
};

function minilmFiles(): string[] {
  const { fixture: f, path } = minilm();
  const extra = f.extra as Record<string, string>;
  return [path, pathOf(f, f.tokenizer!), pathOf(f, extra.tokenizerConfig!)];
}

async function open(page: Page, files: string | string[], name = 'model.onnx'): Promise<Locator> {
  await page.goto('./');
  await expect(page.getByRole('heading', { level: 1, name: 'AVA Quantizer' })).toBeVisible();
  await page.getByLabel('Choose model files').setInputFiles(files);
  const c = card(page, name);
  await expect(c).toBeVisible();
  return c.getByTestId('quantize-panel');
}

async function expectAxeClean(page: Page, selector: string): Promise<void> {
  const r = await new AxeBuilder({ page }).include(selector).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

test('Where will it run: the core targets, the preset follows the target, findings before the download (ConvInteger on ARM64), a clean pass in one line', async ({
  page,
}) => {
  const panel = await open(page, conv());
  const where = panel.getByLabel('Where will it run?');
  // The core's list and labels, Android ARM64 first and selected.
  expect(await where.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([...WHERE_CHOICES]);
  for (const id of WHERE_CHOICES)
    await expect(where.locator(`option[value="${id}"]`)).toHaveText(new RegExp(`^${TARGETS[id].label.replace(/[()/]/g, '\\$&')}`));
  await expect(where).toHaveValue('android-arm64');
  await expect(where).toHaveAccessibleDescription(/checked against onnxruntime .* 1\.22\.0/);
  const preset = panel.getByLabel('Preset');
  await expect(preset).toHaveValue('avx512-vnni'); // until a target is picked, as the CLI without --target

  // x86 desktop: Optimum's avx2 preset (uint8 weights) — runs there.
  await where.selectOption('x86-avx2');
  await expect(preset).toHaveValue('avx2');
  await expect(panel.getByTestId('where-preset')).toContainText("INT8 uses this target's preset avx2");
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  const result = panel.getByTestId('quantize-result');
  await expect(result).toBeVisible();
  const findings = result.getByTestId('target-findings');
  await expect(findings).toHaveAttribute('data-ok', 'true');
  await expect(findings.getByTestId('target-headline')).toHaveText(
    /^Runs on x86 desktop \(AVX2, no VNNI\): every node has a kernel in onnxruntime 1\.22\.0/,
  );
  await expect(findings.getByTestId('target-unsupported')).toHaveCount(0);
  // The findings come before the download.
  expect(
    await findings.evaluate(
      (f, d) => !!(f.compareDocumentPosition(d as Node) & Node.DOCUMENT_POSITION_FOLLOWING),
      await result.getByTestId('download').elementHandle(),
    ),
  ).toBe(true);
  await expect(panel.getByTestId('column-target')).toHaveText('yes');

  // The user's own preset stays when the target changes: ort-default (int8 Conv weights) on Android ARM64.
  await preset.selectOption('ort-default');
  await where.selectOption('android-arm64');
  await expect(preset).toHaveValue('ort-default');
  await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
  await expect(result.getByTestId('target-findings')).toHaveAttribute('data-target', 'android-arm64');
  const bad = result.getByTestId('target-findings');
  await expect(bad).toHaveAttribute('data-ok', 'false');
  await expect(bad.getByTestId('target-headline')).toHaveText(
    /^Will not run on Android \/ iOS, ONNX Runtime on ARM64: 1 node cannot run in .*1\.22\.0 \(ConvInteger\)\.$/,
  );
  const row = bad.getByTestId('target-unsupported');
  await expect(row).toHaveAttribute('data-op', 'ConvInteger');
  await expect(row.getByTestId('finding-holds-for')).toHaveText(/before 1\.24/);
  await expect(row.getByTestId('finding-source').first()).toContainText('conv_integer.cc');
  await expect(panel.getByTestId('column-target')).toHaveText('no: ConvInteger');
  await expect(result.getByTestId('download')).toBeVisible(); // written all the same: it runs elsewhere
  await expectAxeClean(page, '[data-testid="quantize-panel"]');
});

test('Q4 and Q4F16 beside INT8: radios and option forms from the registry, columns side by side; Q4F16 on WebGPU (no shader-f16 here) shows its failure', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const panel = await open(page, minilmFiles());
  const modes = panel.getByRole('group', { name: 'Output format' }).getByRole('radio');
  expect(await modes.evaluateAll((rs) => rs.map((r) => (r as HTMLInputElement).value))).toEqual(MODE_METAS.map((m) => m.id));
  for (const m of MODE_METAS) {
    await panel.getByRole('radio', { name: new RegExp(`^${m.label}( \\(recommended\\))?$`) }).check();
    for (const o of m.options) await expect(panel.locator(`[data-option="${o.key}"]`)).toHaveCount(1);
  }

  await panel.getByLabel('Where will it run?').selectOption('browser-webgpu');
  for (const mode of ['q4', 'q4f16'] as const) {
    await panel.getByRole('radio', { name: MODE_METAS.find((m) => m.id === mode)!.label, exact: true }).check();
    await panel.getByRole('button', { name: 'Quantize', exact: true }).click();
    await expect(panel.getByTestId('result-column').filter({ hasText: new RegExp(`^${mode === 'q4' ? 'Q4' : 'Q4F16'}$`) })).toBeVisible();
  }
  await expect(panel.getByTestId('result-column')).toHaveText(['Q4', 'Q4F16']);
  for (const mode of ['q4', 'q4f16']) {
    await expect(panel.locator(`[data-testid="column-size"][data-mode="${mode}"]`)).toHaveAttribute('data-value', /^\d+$/);
    await expect(panel.locator(`[data-testid="column-download"][data-mode="${mode}"]`)).toHaveAttribute(
      'download',
      new RegExp(`-${mode.toUpperCase()}\\.onnx$`),
    );
    await expect(panel.locator(`[data-testid="column-similarity"][data-mode="${mode}"]`)).toHaveAttribute('data-state', 'done', {
      timeout: 180_000,
    });
    await expect(panel.locator(`[data-testid="column-target"][data-mode="${mode}"]`)).toHaveText('yes');
  }
  // Q4F16 for WebGPU: float16 needs shader-f16 (a warning of the target check), and the quality check is on WebGPU.
  const result = panel.getByTestId('quantize-result');
  await expect(result).toHaveAttribute('data-mode', 'q4f16');
  await result.getByTestId('target-warnings-box').locator('summary').click();
  await expect(result.getByTestId('target-warning').filter({ hasText: 'shader-f16' })).toBeVisible();
  const q = panel.getByTestId('quality-panel');
  await q.getByTestId('quality-settings').locator('summary').first().click();
  await expect(q.getByTestId('use-webgpu')).toBeChecked();
  for (const p of PROBE_CHOICES) await q.getByTestId(`probe-${p.file}`).setChecked(p.file === 'seed-4doc.json');
  await q.getByTestId('quality-run').click();
  await expect(q).toHaveAttribute('data-busy', 'true');
  await expect(q).toHaveAttribute('data-busy', 'false', { timeout: 300_000 });
  const gpu = q.locator('[data-testid="quality-backend"][data-backend="webgpu"]');
  const details = q.locator('[data-testid="backend-details"][data-backend="webgpu"]');
  const adapter = await page.evaluate(async () => {
    const a = await (
      navigator as unknown as { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } }
    ).gpu?.requestAdapter();
    return a ? { shaderF16: a.features.has('shader-f16') } : null;
  });
  const ran = (await gpu.getAttribute('data-status')) === 'done' && (await details.getByTestId('report-errors').count()) === 0;
  test
    .info()
    .annotations.push({ type: 'webgpu', description: `adapter ${JSON.stringify(adapter)}; Q4F16 on WebGPU ${ran ? 'ran' : 'failed'}` });
  if (!ran) {
    // The failure is in the WebGPU column, with its reason as text.
    await expect(gpu).toContainText(/FAIL|ERROR/);
    const why = (await details.locator('[data-testid="report-errors"], [data-testid="backend-failed"]').first().textContent()) ?? '';
    expect(why.trim().length).toBeGreaterThan(10);
  }
});

test('Smallest model that meets a bar: progress and cancel, the plot with the bar and INT8, the precision per layer group, the report and download; the same run again from the cache', async ({
  page,
}) => {
  test.setTimeout(420_000);
  const panel = await open(page, minilmFiles());
  const tm = panel.getByTestId('target-mode');
  await tm.locator('summary').first().click();
  await tm.getByRole('textbox', { name: 'Minimum mean cosine' }).fill('0.98');
  await tm.getByTestId('target-probe-multi').uncheck();
  // A small budget: a 6-sentence subset, int8 or fp32 per group, one verified mix, no uniform runs.
  await tm.getByText('Search budget').click();
  await tm.getByLabel('Sentences in the sensitivity subset').fill('6');
  await tm.getByTestId('target-candidate-fp16').uncheck();
  await tm.getByTestId('target-candidate-q4').uncheck();
  await tm.getByLabel('Mixes verified on the full set').fill('1');
  await tm.getByTestId('target-uniform').uncheck();
  await expect(tm.getByTestId('target-form-error')).toHaveCount(0);

  // Cancel while it measures: nothing kept, the worker stops.
  await tm.getByTestId('target-run').click();
  await expect(tm.getByTestId('target-progress')).toBeVisible();
  await expect(tm.getByTestId('target-status')).toHaveAttribute('aria-live', 'polite');
  await tm.getByTestId('target-cancel').click();
  await expect(tm.getByTestId('target-cancelled')).toBeVisible();
  await expect(tm.getByTestId('target-result')).toHaveCount(0);

  await tm.getByTestId('target-run').click();
  await expect(tm.getByTestId('target-progress')).toBeVisible();
  const res = tm.getByTestId('target-result');
  await expect(res).toBeVisible({ timeout: 360_000 });
  await expect(res).toHaveAttribute('data-from-cache', 'false');
  await expect(res.getByTestId('target-verdict')).not.toBeEmpty();
  const plot = res.getByTestId('target-plot');
  expect(Number(await plot.getAttribute('data-points'))).toBeGreaterThan(7);
  await expect(plot.getByTestId('plot-bar')).toHaveCount(1);
  expect(await plot.getByTestId('plot-int8').count()).toBeGreaterThanOrEqual(1);
  await expect(res.getByTestId('target-group')).toHaveCount(8);
  expect(await res.getByTestId('target-group').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-group')))).toEqual([
    'embeddings',
    'layer.0',
    'layer.1',
    'layer.2',
    'layer.3',
    'layer.4',
    'layer.5',
    'rest',
  ]);
  const met = (await res.getAttribute('data-met')) === 'true';
  if (met) {
    await expect(plot.getByTestId('plot-chosen')).toHaveCount(1);
    const link = res.getByTestId('target-download');
    await expect(link).toHaveAttribute('download', 'model-MIXED.onnx');
    const size = Number(await res.getByTestId('target-size').getAttribute('data-value'));
    const pending = page.waitForEvent('download');
    await link.click();
    const d = await pending;
    expect(statSync(await d.path()).size).toBe(size);
    await expect(res.getByTestId('target-findings')).toHaveAttribute('data-target', 'android-arm64');
    await res.getByTestId('target-report').locator('summary').first().click();
    // The answer's full report (on the full probe set) meets the bar it was chosen for.
    await expect(res.getByTestId('target-report').getByTestId('quality-backend')).toHaveAttribute('data-status', 'done');
    expect(
      Number(await res.getByTestId('target-report').getByTestId('cosine-mean').first().getAttribute('data-value')),
    ).toBeGreaterThanOrEqual(0.98);
  } else {
    await expect(res.getByTestId('target-no-file')).toBeVisible();
  }
  await expect(res.getByTestId('target-report-download')).toHaveAttribute('download', 'model-target-report.json');
  const verdict = await res.getByTestId('target-verdict').textContent();
  await expectAxeClean(page, '[data-testid="target-mode"]');

  // The same run again: the cached report, shown without measuring.
  await tm.getByTestId('target-run').click();
  await expect(res).toHaveAttribute('data-from-cache', 'true', { timeout: 120_000 });
  await expect(res.getByTestId('target-verdict')).toHaveText(verdict!);
  await expect(tm.getByTestId('target-rerun')).toBeVisible();

  // Another visit: the form of the last run is remembered, and opening the section shows the cached answer by itself.
  await page.reload();
  await page.getByLabel('Choose model files').setInputFiles(minilmFiles());
  const tm2 = card(page, 'model.onnx').getByTestId('target-mode');
  await tm2.locator('summary').first().click();
  await expect(tm2.getByRole('textbox', { name: 'Minimum mean cosine' })).toHaveValue('0.98');
  const res2 = tm2.getByTestId('target-result');
  await expect(res2).toHaveAttribute('data-from-cache', 'true', { timeout: 120_000 });
  await expect(res2.getByTestId('target-verdict')).toHaveText(verdict!);
  await expect(tm2).toHaveAttribute('data-state', 'idle'); // nothing was run
});
