import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { test as base, expect, type Locator, type Page } from '@playwright/test';
import { inspectModel, OnnxFormatError, type ModelSummary } from '../src/core/onnx/index.js';
import { fixture, manifest, pathOf, type Fixture } from '../tests/helpers/fixtures.js';
import { TOOL } from '../src/core/tool.js';

export { expect };

/** Console errors / page errors seen during a test; the test fails on any that was not allowed explicitly. */
export class ConsoleGuard {
  readonly problems: string[] = [];
  private readonly allowed: RegExp[] = [];
  /** Whitelist an expected console error for the current test. */
  allow(pattern: RegExp): void {
    this.allowed.push(pattern);
  }
  record(kind: string, text: string): void {
    this.problems.push(`${kind}: ${text}`);
  }
  unexpected(): string[] {
    return this.problems.filter((p) => !this.allowed.some((re) => re.test(p)));
  }
}

export const test = base.extend<{ consoleGuard: ConsoleGuard }>({
  consoleGuard: [
    async ({ page }, use) => {
      const guard = new ConsoleGuard();
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'assert') {
          const loc = msg.location();
          guard.record(`console.${msg.type()}`, `${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
        }
      });
      page.on('pageerror', (err) => guard.record('pageerror', `${err.name}: ${err.message}`));
      page.on('crash', () => guard.record('crash', 'page crashed'));
      await use(guard);
      expect(guard.unexpected(), 'console errors / page errors during the test').toEqual([]);
    },
    { auto: true },
  ],
});

export const MINILM = 'all-MiniLM-L6-v2';

/** A small (< 5 MB) non-text model from the fixtures: prefers a real model (e.g. silero VAD) over ONNX node tests. */
export function smallModel(): Fixture {
  const all = manifest().fixtures.filter((f) => /\.onnx$/i.test(f.path) && f.bytes > 0 && f.bytes < 5 * 1024 * 1024);
  const notText = all.filter((f) => f.kind !== 'text-embedding');
  const pick =
    notText.find((f) => /silero/i.test(f.name) && !hasExternalData(f)) ??
    notText.find((f) => f.kind !== 'onnx-node-test' && !hasExternalData(f)) ??
    notText.find((f) => !hasExternalData(f)) ??
    all[0];
  if (!pick) throw new Error('No fixture model under 5 MB in the manifest: run `npm run fixtures`.');
  return pick;
}

function hasExternalData(f: Fixture): boolean {
  try {
    return inspectModel(readFileSync(pathOf(f)), { fileName: basename(f.path) }).externalData.length > 0;
  } catch {
    return true;
  }
}

export function minilm(): { fixture: Fixture; path: string } {
  const f = fixture(MINILM);
  return { fixture: f, path: pathOf(f) };
}

/** What the card should show, computed by the same core in Node. */
export function expectedSummary(path: string, fileName = basename(path)): ModelSummary {
  const bytes = new Uint8Array(readFileSync(path));
  return inspectModel(bytes, { fileName, fileBytes: bytes.length, siblings: {} });
}

/** The OnnxFormatError message the core gives for `bytes` (fails if the core accepts them or throws something else). */
export function expectedFormatError(bytes: Uint8Array, fileName: string): string {
  try {
    inspectModel(bytes, { fileName, fileBytes: bytes.length });
  } catch (e) {
    expect(e, `core should reject ${fileName} with OnnxFormatError`).toBeInstanceOf(OnnxFormatError);
    return (e as Error).message;
  }
  throw new Error(`core accepted ${fileName}; expected an OnnxFormatError`);
}

export const card = (page: Page, fileName: string): Locator =>
  page.locator(`article[data-testid="model-card"][aria-label="${fileName.replace(/["\\]/g, '\\$&')}"]`);

/**
 * Drops files on the zone the way a browser does: dragenter, dragover, drop with a DataTransfer of Files of this MIME
 * `type`. The File objects stay on `window.__dropped` (droppedSha256 hashes them later). Returns, per event, whether
 * the page accepted it (called preventDefault).
 */
export async function dropFiles(
  page: Page,
  files: { name: string; bytes: Uint8Array }[],
  type = 'application/octet-stream',
): Promise<boolean[]> {
  const payload = files.map((f) => ({ name: f.name, b64: Buffer.from(f.bytes).toString('base64') }));
  return page.evaluate(
    ({ items, type }) => {
      const dt = new DataTransfer();
      const kept: File[] = [];
      for (const it of items) {
        const bin = atob(it.b64);
        const u8 = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
        const f = new File([u8], it.name, { type });
        kept.push(f);
        dt.items.add(f);
      }
      (window as unknown as { __dropped: File[] }).__dropped = kept;
      const zone = document.querySelector('[data-testid="drop-zone"]');
      if (!zone) throw new Error('drop zone not found');
      // dispatchEvent returns false when the handler called preventDefault (= accepted the drag / drop).
      return ['dragenter', 'dragover', 'drop'].map(
        (type) => !zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt })),
      );
    },
    { items: payload, type },
  );
}

/** SHA-256 (hex) of the File objects the last dropFiles left on `window.__dropped`, computed in the page. */
export function droppedSha256(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    return Promise.all(
      (window as unknown as { __dropped: File[] }).__dropped.map(async (f) =>
        hex(await crypto.subtle.digest('SHA-256', await f.arrayBuffer())),
      ),
    );
  });
}

/** Names (sorted) in the OPFS output folder (workers/output-target.ts writes `ava-output/<jobId>.onnx`); [] without it. */
export function opfsOutputs(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    let dir: FileSystemDirectoryHandle;
    try {
      dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('ava-output');
    } catch {
      return [];
    }
    const names: string[] = [];
    for await (const [name] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) names.push(name);
    return names.sort();
  });
}

/** all-MiniLM-L6-v2's model and the files the quality check needs beside it (paths in the fixtures cache). */
export function minilmFiles(): { model: string; tokenizer: string; tokenizerConfig: string; pooling: string } {
  const { fixture: f, path } = minilm();
  const extra = f.extra as Record<string, string>;
  return {
    model: path,
    tokenizer: pathOf(f, f.tokenizer!),
    tokenizerConfig: pathOf(f, extra.tokenizerConfig!),
    pooling: pathOf(f, extra.poolingConfig!),
  };
}

/**
 * Chooses MiniLM with its tokenizer files, quantizes it with the defaults and runs the quality check on the seed 4-doc
 * set on WASM; returns the model's card once the check is done.
 */
export async function quantizeMinilmAndCheck(page: Page): Promise<Locator> {
  const f = minilmFiles();
  await page.getByLabel('Choose model files').setInputFiles([f.model, f.tokenizer, f.tokenizerConfig, f.pooling]);
  const c = card(page, basename(f.model));
  await expect(c).toBeVisible();
  await c.getByTestId('quantize').click();
  await expect(c.getByTestId('quantize-result')).toBeVisible({ timeout: 120_000 });
  const quality = c.getByTestId('quality-panel');
  await chooseProbes(quality, ['seed-4doc.json']);
  await quality.getByTestId('quality-run').click();
  await expect(quality).toHaveAttribute('data-busy', 'true');
  await expect(quality).toHaveAttribute('data-busy', 'false', { timeout: 180_000 });
  return c;
}

/**
 * Outputs record the date they were made (metadata `ava.quantization` / `ava.conversion`). Specs that compare the
 * page's bytes with Node's fix the page's clock to this instant and give Node the same provenance.
 */
export const FIXED_NOW = new Date(Math.floor(Date.now() / 1000) * 1000);

export async function fixClock(page: Page): Promise<void> {
  await page.clock.setFixedTime(FIXED_NOW);
}

/** The provenance the page records for a file of this name and bytes at FIXED_NOW. */
export function pageProvenance(fileName: string, bytes: Uint8Array): import('../src/core/provenance.js').OutputProvenance {
  return {
    source: { name: fileName, sha256: createHash('sha256').update(bytes).digest('hex') },
    toolVersion: TOOL.version,
    date: FIXED_NOW.toISOString(),
  };
}

/** Opens a quality panel's settings (closed by default: the answer comes first). */
export async function openQualitySettings(panel: Locator): Promise<void> {
  const settings = panel.getByTestId('quality-settings');
  if ((await settings.getAttribute('open')) === null) await settings.locator('summary').click();
}

/** Waits for a running check (e.g. the quick check after a quantize), then picks exactly these probe sets, WASM only. */
export async function chooseProbes(panel: Locator, probes: string[]): Promise<void> {
  await expect(panel).toHaveAttribute('data-busy', 'false', { timeout: 120_000 });
  await openQualitySettings(panel);
  for (const p of ['en.json', 'multi.json', 'retrieval.json', 'seed-4doc.json'])
    await panel.getByTestId(`probe-${p}`).setChecked(probes.includes(p));
  if (await panel.getByTestId('use-webgpu').count()) await panel.getByTestId('use-webgpu').uncheck();
}
