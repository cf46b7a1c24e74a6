// "Try a sample model" in dev: the fixture all-MiniLM-L6-v2 comes from the dev-only /__fixtures/ route.
import { devPort } from '../playwright.config.js';
import { expect, test } from './helpers.js';

test.use({ baseURL: `http://localhost:${devPort}/` });

test('dev: the sample button loads all-MiniLM-L6-v2 from the local fixtures', async ({ page }) => {
  await page.goto('./');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await page.getByRole('button', { name: 'Try a sample model' }).click();
  const c = page.locator('article[data-testid="model-card"][aria-label="all-MiniLM-L6-v2.onnx"]');
  await expect(c).toBeVisible();
  await expect(c.getByTestId('embedding-dim')).toHaveText('384');
  await expect(c.getByTestId('quantized')).toHaveText('no');
  await expect(page.getByTestId('error-card')).toHaveCount(0);
});

test('dev: cancelling the sample download removes its card', async ({ page }) => {
  // Hold the model bytes back so the download is still running when Cancel is pressed.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/__fixtures/files/**', async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  await page.goto('./');
  await page.getByRole('button', { name: 'Try a sample model' }).click();
  const progress = page.getByTestId('progress-card');
  await expect(progress).toHaveAttribute('data-phase', 'downloading');
  await page.getByRole('button', { name: 'Cancel all-MiniLM-L6-v2.onnx' }).click();
  await expect(progress).toHaveCount(0);
  release();
  await expect(page.getByTestId('status')).toHaveText('Cancelled all-MiniLM-L6-v2.onnx');
  await expect(page.getByTestId('error-card')).toHaveCount(0);
  await expect(page.getByTestId('model-card')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Try a sample model' })).toBeEnabled();
});
