// The fuzz suite in the page (issue 15): seeded hostile files from tests/fuzz/cases.ts (cheap bases only) dropped on
// the real app, through its real workers (inspect, quantize INT8 and FP16). Each case must end in a card or an error
// card, and each mode in a result or a refusal shown as text, matching what the same case gives in Node (run-case.ts):
// the same outcome class and, for refusals, the same message. No console error, no internal error, no page crash, no
// file left in the origin-private file system, and the dropped Files unchanged.
import { createHash } from 'node:crypto';
import { type Catalog, FAMILIES, makeCase } from '../tests/fuzz/cases.js';
import { fixtureCatalog } from '../tests/fuzz/catalog.js';
import { runCase } from '../tests/fuzz/run-case.js';
import { card, droppedSha256, dropFiles, expect, opfsOutputs, test } from './helpers.js';

const SEED = 4242;
/** Two rounds of every family: ~32 cases, a couple of minutes. */
const CASES = FAMILIES.length * 2;

/** The fixtures catalog without medium and large bases (the page run stays small). */
function cheapCatalog(): Catalog {
  const c = fixtureCatalog();
  return { tiers: { ...c.tiers, medium: [], large: [] }, load: c.load };
}

type PageOutcome = { open: 'ok' | 'OnnxFormatError'; openMessage?: string; int8?: string; fp16?: string };

test(`${CASES} seeded hostile files through the page's workers give the same outcomes as in Node`, async ({ page }) => {
  test.setTimeout(600_000);
  const catalog = cheapCatalog();
  let crashed = false;
  page.on('crash', () => (crashed = true));
  const families = new Set<string>();
  let ran = 0;
  for (let i = 0; i < CASES; i++) {
    const c = makeCase(SEED, i, catalog);
    // Siblings are dropped with the model, by base name (a drop carries no folders).
    if (Object.keys(c.siblings).some((k) => k.includes('/'))) continue;
    const node = await runCase(c);
    const name = `case-${c.id}.onnx`;
    const label = `${c.id} ${c.family} on ${c.base || 'a synthetic file'}: ${c.note}`;
    await page.goto('./');
    const opfsBefore = new Set(await opfsOutputs(page));
    // Files without a MIME type, as the OS gives for unknown extensions.
    await dropFiles(page, [{ name, bytes: c.model }, ...Object.entries(c.siblings).map(([n, bytes]) => ({ name: n, bytes }))], '');

    const got: PageOutcome = { open: 'ok' };
    const cardEl = card(page, name);
    const errorEl = page.locator(`[data-testid="error-card"][aria-label="Error: ${name}"]`);
    await expect(cardEl.or(errorEl), label).toBeVisible();
    if (await errorEl.count()) {
      got.open = 'OnnxFormatError';
      got.openMessage = (await errorEl.getByTestId('error-message').textContent())!;
    } else {
      const panel = cardEl.getByTestId('quantize-panel');
      for (const mode of ['int8', 'fp16'] as const) {
        await panel.getByRole('radio', { name: mode === 'int8' ? 'INT8 (recommended)' : 'FP16' }).check();
        await panel.getByTestId('quantize').click();
        // Results stay side by side: this mode's result, not the one an earlier mode left on the card.
        const result = panel.locator(`[data-testid="quantize-result"][data-mode="${mode}"]`);
        const error = panel.getByTestId('quantize-error');
        const refusal = panel.getByTestId('nothing-to-quantize').or(panel.getByTestId('already-quantized-refusal'));
        await expect(result.or(error).or(refusal), `${label} (${mode})`).toBeVisible({ timeout: 60_000 });
        // Node runs every mode with force (tests/fuzz/run-case.ts); the page's equivalent is "Quantize anyway".
        if (await refusal.count()) {
          await refusal.getByTestId('quantize-anyway').click();
          await expect(result.or(error), `${label} (${mode}, anyway)`).toBeVisible({ timeout: 60_000 });
        }
        got[mode] = (await error.count()) ? `refused: ${(await error.textContent())!.replace(/^(INT8|FP16) failed: /, '')}` : 'ok';
      }
    }

    // Node's outcome for the same bytes.
    expect(got.open, label).toBe(node.stages.open.class === 'ok' ? 'ok' : 'OnnxFormatError');
    if (got.open === 'OnnxFormatError') expect(got.openMessage, label).toContain(node.stages.open.message!);
    else
      for (const mode of ['int8', 'fp16'] as const) {
        const n = node.stages[mode];
        expect(got[mode], `${label} (${mode})`).toBe(n.class === 'ok' ? 'ok' : `refused: ${n.message}`);
      }
    for (const v of [got.openMessage, got.int8, got.fp16]) expect(v ?? '', label).not.toMatch(/internal error/i);
    expect(await droppedSha256(page), `${label}: the dropped files are unchanged`).toEqual(
      [c.model, ...Object.values(c.siblings)].map(sha),
    );
    // Only a finished result keeps its file (for its download link; INT8's and FP16's stay side by side); a refusal
    // leaves none.
    const left = (await opfsOutputs(page)).filter((n) => !opfsBefore.has(n));
    const kept = (got.int8 === 'ok' ? 1 : 0) + (got.fp16 === 'ok' ? 1 : 0);
    expect(left.length, `${label}: new files in OPFS ${left.join(', ')}`).toBeLessThanOrEqual(kept);
    expect(crashed, label).toBe(false);
    families.add(c.family);
    ran++;
  }
  expect(ran).toBeGreaterThanOrEqual(CASES - 2);
  expect(families).toEqual(new Set(FAMILIES));
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
