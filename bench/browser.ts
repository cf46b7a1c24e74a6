/**
 * The headless-Chromium half of the benchmark: the same core modules, loaded by Vite's dev server into a page
 * (bench/browser.html). Each case gets a fresh browser, so the renderer's peak RSS (VmHWM) is that case's.
 * Input bytes are fetched before the clock starts (like a dropped File already read); output is a Blob.
 */
import { readFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import type { Fixture } from '../tests/helpers/fixtures.js';
import type { Row } from './run.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function peakRssMiB(pids: number[]): number | null {
  let max = 0;
  for (const pid of pids) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) max = Math.max(max, Number(m[1]) / 1024);
    } catch {
      /* process gone */
    }
  }
  return max || null;
}

export async function runBrowserBench(fixtures: Fixture[], repeat: number): Promise<Row[]> {
  const server = await createServer({ server: { port: 5179, strictPort: false }, logLevel: 'error' });
  await server.listen();
  const base = server.resolvedUrls!.local[0]!;
  const rows: Row[] = [];
  try {
    for (const f of fixtures) {
      const url = `/__fixtures/files/${f.path.split('/').map(encodeURIComponent).join('/')}`;
      for (const mode of ['floor', 'int8', 'fp16']) {
        const runs: { ms: number; outBytes: number; rss: number | null }[] = [];
        let error: string | undefined;
        for (let i = 0; i < repeat && !error; i++) {
          const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
          try {
            const page = await browser.newPage();
            await page.goto(`${base}bench/browser.html`);
            await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
            const r = await page.evaluate(([m, u]) => (window as any).benchCase(m, u), [mode, url] as const);
            const cdp = await browser.newBrowserCDPSession();
            const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
            const renderers = info.processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
            runs.push({ ms: r.ms, outBytes: r.outBytes, rss: peakRssMiB(renderers) });
          } catch (e) {
            error = (e as Error).message.split('\n')[0];
          } finally {
            await browser.close();
          }
        }
        const ms = runs.length ? runs.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(runs.length / 2)]! : null;
        const rss = runs.map((r) => r.rss).filter((x): x is number => x !== null);
        rows.push({
          fixture: f.name, runtime: 'chromium', mode, ms, inBytes: f.bytes, outBytes: runs[0]?.outBytes ?? null,
          maxRssMiB: rss.length ? Math.max(...rss) : null, ...(error ? { error } : {}),
        });
      }
    }
  } finally {
    await server.close();
  }
  return rows;
}
