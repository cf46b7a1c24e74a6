// The page as a person who is not a quantization expert uses it (issue 14): one way in, names from the model, the
// answer beside Download, results side by side, Cancelled, the right vector, late companions, sharing what was
// checked; the whole main flow by keyboard; axe-core on every state in light and dark; a 390 px phone with no
// horizontal page scroll. MiniLM is laid out like its Hugging Face repository so the card is named after it.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { fixture, pathOf } from '../tests/helpers/fixtures.js';
import { decodeReport } from '../src/core/share/link.js';
import { card, chooseProbes, dropFiles, expect, minilm, openQualitySettings, test } from './helpers.js';

const REPO = 'all-MiniLM-L6-v2';
let dir: string;
/** all-MiniLM-L6-v2/onnx/model.onnx only (its tokenizer files come later), and the tokenizer files apart. */
let repo: string;
let companions: string[];

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-page-'));
  const { fixture: f, path } = minilm();
  const extra = f.extra as Record<string, string>;
  repo = join(dir, REPO);
  mkdirSync(join(repo, 'onnx'), { recursive: true });
  copyFileSync(path, join(repo, 'onnx', 'model.onnx'));
  const loose = join(dir, 'loose');
  mkdirSync(loose);
  companions = [join(loose, 'tokenizer.json'), join(loose, 'tokenizer_config.json'), join(loose, 'config.json')];
  copyFileSync(pathOf(f, f.tokenizer!), companions[0]!);
  copyFileSync(pathOf(f, extra.tokenizerConfig!), companions[1]!);
  copyFileSync(pathOf(f, extra.poolingConfig!), companions[2]!); // 1_Pooling/config.json, as a flat drop
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Presses Tab (Shift+Tab with `back`) until `target` has the focus: the keyboard's way to a control. */
async function tabTo(page: Page, target: Locator, back = false, max = 120): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement)).catch(() => false)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`could not reach ${target} with the Tab key`);
}

test('the whole main flow by keyboard: folder in, late tokenizer, INT8 with its answer, FP16 cancelled then kept side by side, download, full check, share', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('./');
  await expect(page.getByTestId('tagline')).toContainText('quality check');
  // One way in: a single drop zone with its pickers, the Hub field and the sample; batch, verify and history are tabs.
  await expect(
    page.locator('[data-testid="drop-zone"], [data-testid="batch-drop"], [data-testid="verify-drop"]').filter({ visible: true }),
  ).toHaveCount(1);
  await expect(page.getByRole('tab')).toHaveText(['Batch', 'Verify a copy', 'History']);

  // The repository folder, picked with the keyboard.
  await tabTo(page, page.getByTestId('folder-input'));
  const folder = page.waitForEvent('filechooser');
  await page.keyboard.press('Space');
  await (await folder).setFiles(repo);
  const c = card(page, REPO);
  await expect(c).toBeVisible();
  await expect(c.getByTestId('model-title')).toHaveText(REPO);
  await expect(c.getByTestId('file-name')).toHaveText(`${REPO}/onnx/model.onnx`);
  await expect(c.getByTestId('card-tokenizer')).toHaveAttribute('data-has-tokenizer', 'false');

  // Its tokenizer files, dropped later (picked from the zone with Enter): they join the card, no error card.
  await tabTo(page, page.getByTestId('drop-zone'), true);
  const later = page.waitForEvent('filechooser');
  await page.keyboard.press('Enter');
  await (await later).setFiles(companions);
  await expect(page.getByTestId('late-companions')).toHaveText(`Added tokenizer.json, tokenizer_config.json, config.json to ${REPO}.`);
  await expect(c.getByTestId('card-tokenizer')).toHaveAttribute('data-has-tokenizer', 'true');
  await expect(page.getByTestId('error-card')).toHaveCount(0);

  // INT8: the result takes the focus, and leads with the answer beside Download once the quick check is done.
  const panel = c.getByTestId('quantize-panel');
  await tabTo(page, panel.getByTestId('quantize'));
  await page.keyboard.press('Enter');
  const result = panel.getByTestId('quantize-result');
  await expect(result.getByRole('heading', { name: 'INT8 result' })).toBeFocused({ timeout: 120_000 });
  const answer = result.getByTestId('result-answer');
  await expect(answer).toHaveAttribute('data-state', 'quick', { timeout: 120_000 });
  await expect(answer).toHaveText(/^\d+\.\d% smaller · \d+\.\d% similar · same top result for \d+ of 22 searches — safe to ship$/);
  await expect(result.getByTestId('download')).toHaveAttribute('download', `${REPO}-INT8.onnx`);
  // A clean pass gives no advice, and says nothing worrying.
  await expect(result.getByTestId('result-advice')).toHaveCount(0);

  // FP16 chosen with the arrow keys, started, then cancelled: "Cancelled", and the INT8 result stays.
  await tabTo(page, panel.getByRole('radio', { name: 'INT8 (recommended)' }), true);
  await page.keyboard.press('ArrowRight');
  await expect(panel.getByRole('radio', { name: 'FP16' })).toBeChecked();
  await tabTo(page, panel.getByTestId('quantize'));
  await page.keyboard.press('Enter');
  // The pressed button gives way to Cancel, which takes the focus: Enter again stops the run.
  await expect(panel.getByTestId('quantize-cancel')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel).toHaveAttribute('data-state', 'cancelled');
  await expect(panel.getByTestId('quantize-cancelled')).toContainText('Cancelled: FP16');
  await expect(panel.getByTestId('result-column')).toHaveText(['INT8']);

  // FP16 again: now both side by side, each with its size, similarity, search agreement and download.
  await expect(panel.getByTestId('quantize')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(panel.getByTestId('result-column')).toHaveText(['INT8', 'FP16'], { timeout: 120_000 });
  for (const mode of ['int8', 'fp16']) {
    await expect(panel.locator(`[data-testid="column-similarity"][data-mode="${mode}"]`)).toHaveText(/^\d+\.\d\+?% \(quick check\)$/, {
      timeout: 120_000,
    });
    await expect(panel.locator(`[data-testid="column-search"][data-mode="${mode}"]`)).toHaveText(/^\d+ of 22 searches$/);
    await expect(panel.locator(`[data-testid="column-verdict"][data-mode="${mode}"]`)).toHaveText('safe to ship');
  }
  await expect(panel.getByTestId('result-answer')).toContainText('49.'); // FP16 is about half the size

  // Download the FP16 output with Enter on its link.
  await tabTo(page, result.getByTestId('download'));
  const download = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  expect((await download).suggestedFilename()).toBe(`${REPO}-FP16.onnx`);

  // The full check on the English set and the seed's case (settings with the keyboard).
  const quality = panel.getByTestId('quality-panel');
  await tabTo(page, quality.getByTestId('quality-settings').locator('summary'));
  await page.keyboard.press('Enter');
  for (const p of ['multi.json', 'retrieval.json']) {
    await tabTo(page, quality.getByTestId(`probe-${p}`));
    await page.keyboard.press('Space');
    await expect(quality.getByTestId(`probe-${p}`)).not.toBeChecked();
  }
  if (
    await quality
      .getByTestId('use-webgpu')
      .isChecked()
      .catch(() => false)
  ) {
    await tabTo(page, quality.getByTestId('use-webgpu'));
    await page.keyboard.press('Space');
  }
  await tabTo(page, quality.getByTestId('quality-run'));
  await page.keyboard.press('Enter');
  await expect(quality.getByTestId('quality-report')).toHaveAttribute('data-kind', 'full', { timeout: 180_000 });
  await expect(quality).toHaveAttribute('data-busy', 'false', { timeout: 180_000 });
  await expect(quality.getByTestId('quality-headline')).toHaveText(
    /^\d+\.\d+?\+?% similar · same top result for 1 of 1 search — safe to ship$/,
  );
  await expect(quality.getByTestId('quality-vector')).toContainText('vector from output “last_hidden_state”, mean pooling');
  await expect(quality.getByTestId('quality-original')).toHaveText(`${REPO}/onnx/model.onnx`);
  await expect(quality.getByTestId('quality-quantized')).toHaveText(`${REPO}-FP16.onnx`);

  // Share (a check has run: no question), by keyboard.
  const integrity = panel.getByTestId('result-integrity');
  await expect(integrity.getByTestId('output-sha256')).toHaveText(/^[0-9a-f]{64}$/);
  await tabTo(page, integrity.getByTestId('share-button'));
  await page.keyboard.press('Enter');
  await expect(integrity.getByTestId('share-confirm')).toHaveCount(0);
  const link = (await integrity.getByTestId('share-link').textContent())!;
  const shared = decodeReport(link);
  expect(shared.source.name).toBe(`${REPO}/onnx/model.onnx`);
  expect(shared.output.name).toBe(`${REPO}-FP16.onnx`);
  expect(shared.quality?.headline).toMatch(/similar · same top result for 1 of 1 search — safe to ship$/);
  // The history names the model, once per run.
  await expect(page.getByTestId('history-entry').getByTestId('history-title')).toHaveText([
    `${REPO} → ${REPO}-FP16.onnx`,
    `${REPO} → ${REPO}-INT8.onnx`,
  ]);
});

/** axe-core (WCAG 2 A/AA) in light and dark: no serious or critical violation; and at 390 px no horizontal page scroll. */
async function checkState(page: Page, state: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // Colours settle first: a background still in its CSS transition is not the state a person reads.
    await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.nodes
            .map((n) => n.target.join(' '))
            .slice(0, 3)
            .join(' | ')}`,
      );
    expect(bad, `${state}, ${scheme}: serious/critical axe violations`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  const size = page.viewportSize()!;
  await page.setViewportSize({ width: 390, height: 844 });
  // Layout and the scroll boxes' ResizeObservers settle within two frames.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const widths = await page.evaluate(() => {
    // What sticks out, outermost first (inside a box that scrolls on its own, nothing counts), to name the culprit.
    const scrolls = (el: Element) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
    const out: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (el.getBoundingClientRect().right <= window.innerWidth + 0.5) continue;
      let p = el.parentElement;
      let clipped = false;
      while (p && p !== document.body) {
        if (scrolls(p)) clipped = true;
        p = p.parentElement;
      }
      if (!clipped && out.length < 3)
        out.push(
          `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}[${el.getAttribute('data-testid') ?? ''}] right=${Math.round(el.getBoundingClientRect().right)}`,
        );
    }
    return { page: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth, out };
  });
  expect(widths.page, `${state} at 390 px: no horizontal page scroll (${widths.out.join('; ')})`).toBeLessThanOrEqual(widths.view);
  expect(widths.body, `${state} at 390 px: no horizontal page scroll (${widths.out.join('; ')})`).toBeLessThanOrEqual(widths.view);
  // Wide tables scroll inside their box, with a visible cue while anything is hidden.
  for (const box of await page.locator('[data-overflows="true"]').filter({ visible: true }).all())
    await expect(box.getByTestId('scroll-cue')).toBeVisible();
  await page.setViewportSize(size);
}

test('axe-core on every state in light and dark, and no horizontal scroll at 390 px; the right vector; unrelated models warned; sharing before a check asks first', async ({
  page,
  consoleGuard,
}) => {
  test.setTimeout(420_000);
  consoleGuard.allow(/Failed to load resource/);
  await page.goto('./');
  await checkState(page, 'empty page');

  // An error card.
  await dropFiles(page, [{ name: 'broken.onnx', bytes: new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0]) }]);
  await expect(page.getByTestId('error-card')).toBeVisible();
  await expect(page.getByTestId('error-card')).toHaveAttribute('role', 'alert');
  await checkState(page, 'error card');
  await page.getByRole('button', { name: 'Dismiss error for broken.onnx' }).click();

  // The repository with its tokenizer: card, INT8 result with the quick check's answer.
  await page.getByLabel('Choose a folder', { exact: true }).setInputFiles(repo);
  const c = card(page, REPO);
  await page.getByLabel('Choose model files').setInputFiles(companions);
  await expect(c.getByTestId('card-tokenizer')).toHaveAttribute('data-has-tokenizer', 'true');
  await checkState(page, 'model card');
  const panel = c.getByTestId('quantize-panel');
  await panel.getByTestId('quantize').click();
  const result = panel.getByTestId('quantize-result');
  const quality = panel.getByTestId('quality-panel');
  await expect(result.getByTestId('result-answer')).toHaveAttribute('data-state', 'quick', { timeout: 120_000 });
  await expect(quality.getByTestId('quality-vector')).toContainText('Quick check: ');

  // Sharing before a full check: the quick check counts as a check; with none (a re-run in progress) it asks first.
  await checkState(page, 'result with its answer');
  await c.getByTestId('model-details').locator(':scope > summary').click();
  await result.getByTestId('result-details').locator(':scope > summary').click();
  await quality.getByTestId('quality-details').locator(':scope > summary').click();
  await openQualitySettings(quality);
  // The quantize form's Advanced options (the Weight type select once overflowed the card).
  await panel.locator('summary', { hasText: /^Advanced$/ }).click();
  await expect(panel.getByLabel('Weight type')).toBeVisible();
  await checkState(page, 'everything open (model details, result details, quality details and settings, advanced options)');

  // The right vector: CLS pooling on the same output, named in the report.
  await quality.getByTestId('quality-pooling').selectOption('cls');
  await chooseProbes(quality, ['seed-4doc.json']);
  await quality.getByTestId('quality-run').click();
  await expect(quality.getByTestId('quality-report')).toHaveAttribute('data-kind', 'full', { timeout: 120_000 });
  await expect(quality).toHaveAttribute('data-busy', 'false', { timeout: 120_000 });
  await expect(quality.getByTestId('quality-vector')).toHaveAttribute('data-pooling', 'cls');
  await expect(quality.getByTestId('quality-vector')).toContainText('vector from output “last_hidden_state”, cls pooling');
  // The histogram's range includes the threshold, which is drawn; the retrieval picture says how many searches agree.
  const hist = quality.getByTestId('quality-answer').locator('xpath=..').getByTestId('cosine-histogram').first();
  expect(Number(await hist.getAttribute('data-lo'))).toBeLessThanOrEqual(Number(await hist.getAttribute('data-threshold')));
  await expect(hist.getByTestId('histogram-threshold')).toHaveCount(1);
  await expect(quality.getByTestId('retrieval-row').first()).toHaveAttribute('data-total', '1');
  await checkState(page, 'full check report');
  // The output picked by name (MiniLM has one): a new selection, its own full check, named in the report.
  await quality.getByTestId('quality-output').selectOption('last_hidden_state');
  await quality.getByTestId('quality-run').click();
  await expect(quality).toHaveAttribute('data-busy', 'false', { timeout: 120_000 });
  await expect(quality.getByTestId('quality-report')).toHaveAttribute('data-kind', 'full');
  await expect(quality.getByTestId('quality-vector')).toHaveAttribute('data-output', 'last_hidden_state');
  await expect(quality.getByTestId('quality-vector')).toHaveAttribute('data-pooling', 'cls');

  // Compare with a model that is not a copy of this one: a warning, no advice.
  const other = pathOf(fixture('openwakeword-hello-deepa'));
  await page.getByLabel('Choose model files').setInputFiles(other);
  await expect(page.getByTestId('batch-offer')).toContainText('2 models are on this page.');
  const compare = c.getByTestId('compare');
  await compare.getByLabel('Compare with…').selectOption({ label: 'hello_deepa.onnx' });
  const cq = compare.getByTestId('quality-panel');
  await cq.getByTestId('quality-run').click();
  await expect(cq).toHaveAttribute('data-busy', 'false', { timeout: 120_000 });
  await expect(cq.getByTestId('quality-advice')).toHaveCount(0);
  await expect(cq.getByTestId('lineage-warning')).toBeVisible();
  await checkState(page, 'compare with another model');

  // Several models: the batch tab, with the models handed over from the cards.
  await page.getByTestId('batch-offer-button').click();
  await expect(page.getByRole('tab', { name: /^Batch/ })).toHaveAttribute('aria-selected', 'true');
  const batch = page.getByTestId('batch-panel');
  await expect(batch.getByTestId('batch-row')).toHaveCount(2);
  await checkState(page, 'batch tab');
  await page.getByRole('tab', { name: 'Verify a copy' }).click();
  await checkState(page, 'verify tab (the recorded-hash select)');
  await page.getByRole('tab', { name: /^History/ }).click();
  await page.getByTestId('history-open').first().click();
  await checkState(page, 'history with an entry open');

  // Share: the link opens the shared report with every backend's result and the answer on top.
  const integrity = panel.getByTestId('result-integrity');
  await expect(integrity.getByTestId('output-sha256')).toHaveText(/^[0-9a-f]{64}$/);
  await integrity.getByTestId('share-button').click();
  const link = (await integrity.getByTestId('share-link').textContent())!;
  await page.goto(link);
  const view = page.getByTestId('report-view');
  await expect(view.getByTestId('report-answer')).toHaveText(/^\d+\.\d% smaller · \d+\.\d% similar · same top result for 1 of 1 search/);
  await expect(view.getByTestId('report-date')).not.toContainText('T');
  // Hashes are one unbroken text that wraps only between groups of 8.
  await expect(view.getByTestId('report-output-sha256')).toHaveText(/^[0-9a-f]{64}$/);
  expect(await view.getByTestId('report-output-sha256').locator('wbr').count()).toBe(8);
  // Setting names as people read them, not option keys.
  await expect(view.getByTestId('report-settings')).toContainText('Per-channel scales');
  await expect(view.getByTestId('report-settings')).not.toContainText('matMulConstBOnly:');
  await checkState(page, 'shared report page');
});

test('sharing before any check asks first; the answer says when a check fails; a repeated run replaces its history entry', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('./');
  await page.getByLabel('Choose a folder', { exact: true }).setInputFiles(repo);
  const c = card(page, REPO);
  await page.getByLabel('Choose model files').setInputFiles(companions);
  await expect(c.getByTestId('card-tokenizer')).toHaveAttribute('data-has-tokenizer', 'true');
  const panel = c.getByTestId('quantize-panel');
  await panel.getByTestId('quantize').click();
  const result = panel.getByTestId('quantize-result');
  await expect(result).toBeVisible({ timeout: 120_000 });
  const quality = panel.getByTestId('quality-panel');
  // The quick check starts by itself; cancelled, there is no quality yet, so Share asks first.
  await expect(quality).toHaveAttribute('data-busy', 'true');
  await quality.getByTestId('quality-cancel').click();
  await expect(quality).toHaveAttribute('data-busy', 'false');
  await expect(result.getByTestId('result-answer')).not.toHaveAttribute('data-state', 'quick');
  const integrity = panel.getByTestId('result-integrity');
  await expect(integrity.getByTestId('output-sha256')).toHaveText(/^[0-9a-f]{64}$/);
  await integrity.getByTestId('share-button').click();
  const ask = integrity.getByTestId('share-confirm');
  await expect(ask).toContainText('No quality check has run for this output yet.');
  await expect(integrity.getByTestId('share-link')).toHaveCount(0);
  await checkState(page, 'share asks first');
  await ask.getByTestId('share-anyway').click();
  const report = decodeReport((await integrity.getByTestId('share-link').textContent())!);
  expect(report.quality).toBeNull();

  // A threshold no model meets: "Not recommended" with the reason, in the answer.
  await chooseProbes(quality, ['seed-4doc.json']);
  await quality.getByTestId('threshold').fill('1');
  await quality.getByTestId('quality-run').click();
  await expect(quality.getByTestId('quality-report')).toHaveAttribute('data-kind', 'full', { timeout: 120_000 });
  await expect(result.getByTestId('result-answer')).toHaveText(
    /^\d+\.\d% smaller · Not recommended: mean cosine 0\.\d+ is below the threshold 1/,
  );
  await expect(panel.locator('[data-testid="column-verdict"][data-mode="int8"]')).toHaveText('not recommended');
  await expect(result.getByTestId('result-advice')).toContainText('What to try');

  // The same run again replaces its history entry instead of repeating it.
  const entries = page.getByTestId('history-entry');
  await expect(entries).toHaveCount(1);
  const first = await entries.getAttribute('data-id');
  const oldResult = await result.getAttribute('data-result');
  await panel.getByTestId('quantize').click();
  await expect(result).not.toHaveAttribute('data-result', oldResult!, { timeout: 120_000 });
  // The new output's answer: its quick check, then the full check of the same files from the cache.
  await expect(result.getByTestId('result-answer')).toHaveAttribute('data-state', 'full', { timeout: 120_000 });
  await expect(entries).not.toHaveAttribute('data-id', first!);
  await expect(entries).toHaveCount(1);
  await expect(entries.getByTestId('history-title')).toHaveText(`${REPO} → ${REPO}-INT8.onnx`);
});
