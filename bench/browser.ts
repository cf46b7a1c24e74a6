/**
 * The headless-Chromium half of the benchmark: bench/browser.html (served by Vite's dev server) runs the app's real
 * quantize worker on the model picked from disk with setInputFiles (paths, never buffers: the Files stay backed by
 * the files on disk, as a dropped file is). Each case gets a fresh browser with a fresh on-disk profile
 * (launchPersistentContext: Playwright's default contexts are off-the-record, whose origin-private file system lives
 * in memory with a small quota, unlike a user's); the worker is warmed up on a small model first so that module
 * loading is not timed.
 *
 * Memory: the resident set (VmRSS) summed over the browser's whole process tree (browser, zygotes, renderer, GPU,
 * utility processes), sampled every 100 ms from /proc while the case runs. `baselineRssBytes` is the median over
 * one second with the page loaded and the worker idle; `peakRssBytes` the largest sample; `deltaRssBytes` their
 * difference, which is what the case itself cost. Linux only (on other systems the memory columns stay empty).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from '@playwright/test';
import { createServer } from 'vite';

const CHROMIUM = process.env.CHROMIUM_PATH ?? process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export type BrowserMode = 'floor' | 'int8' | 'fp16';

export interface BrowserCase {
  /** Label for progress lines. */
  label: string;
  mode: BrowserMode;
  /** Absolute paths: the model first, then its external data files. */
  files: string[];
}

export interface BrowserRun {
  ms: number | null;
  /** Worker time and the time to write its output to OPFS (int8/fp16 only). */
  quantizeMs?: number;
  saveMs?: number;
  outBytes: number | null;
  /** External data files the output names (bench/onnx-scan.ts on the worker's output Blob). */
  outExternalFiles?: string[];
  peakRssBytes: number | null;
  baselineRssBytes: number | null;
  deltaRssBytes: number | null;
  /** The machine's 1-minute load average when the run started (after the browser and page were up). */
  loadStart?: number;
  error?: string;
}

function procChildren(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = kids.get(ppid) ?? [];
      list.push(Number(name));
      kids.set(ppid, list);
    } catch {
      /* gone */
    }
  }
  return kids;
}

function tree(root: number): number[] {
  const kids = procChildren();
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(kids.get(out[i]!) ?? []));
  return out;
}

/** The browser's main process: the one started with this --user-data-dir whose parent was not. */
function browserPid(userDataDir: string): number | undefined {
  const flag = `--user-data-dir=${userDataDir}`;
  const found = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(flag)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      found.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  return [...found].find(([, ppid]) => !found.has(ppid))?.[0];
}

function rssBytes(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) sum += Number(m[1]) * 1024;
    } catch {
      /* gone */
    }
  }
  return sum;
}

/** Samples the RSS of `root`'s process tree every `ms` (the tree itself is re-listed every 5th sample). */
class RssSampler {
  private timer: ReturnType<typeof setInterval> | null = null;
  private pids: number[] = [];
  private n = 0;
  readonly samples: number[] = [];
  constructor(
    private root: number,
    private ms = 100,
  ) {}

  sample(): number {
    if (this.n++ % 5 === 0) this.pids = tree(this.root);
    const v = rssBytes(this.pids);
    this.samples.push(v);
    return v;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.ms);
  }

  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return Math.max(...this.samples);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runOne(base: string, c: BrowserCase, warmup: string | null, timeoutMs: number): Promise<BrowserRun> {
  const empty = { ms: null, outBytes: null, peakRssBytes: null, baselineRssBytes: null, deltaRssBytes: null };
  const userDataDir = mkdtempSync(join(tmpdir(), 'ava-bench-chromium-'));
  let context: BrowserContext | null = null;
  try {
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: ARGS, headless: true });
    const pid = existsSync('/proc/self/status') ? browserPid(userDataDir) : undefined;
    const page = context.pages()[0] ?? (await context.newPage());
    let crashed = false;
    page.on('crash', () => (crashed = true));
    // The dev server compiles the page on first request: on a loaded machine that can take longer than the default 30 s.
    await page.goto(`${base}bench/browser.html`, { timeout: 120_000 });
    await page.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
    await page.locator('#files').setInputFiles(c.files);
    if (warmup && c.mode !== 'floor') {
      await page.locator('#warm').setInputFiles(warmup);
      await page.evaluate((m) => (window as unknown as { benchWarmup(m: string): Promise<void> }).benchWarmup(m), c.mode);
    }
    let baseline: number | null = null;
    const sampler = pid !== undefined ? new RssSampler(pid) : null;
    if (sampler) {
      await sleep(500);
      const idle: number[] = [];
      for (let i = 0; i < 10; i++) {
        idle.push(sampler.sample());
        await sleep(100);
      }
      baseline = median(idle);
      sampler.samples.length = 0;
      sampler.start();
    }
    const loadStart = Math.round(loadavg()[0]! * 100) / 100;
    const name = c.files[0]!.split('/').pop()!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<{ error: string }>((resolve) => {
      timer = setTimeout(() => resolve({ error: `timed out after ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
    });
    let r: { ms?: number; quantizeMs?: number; saveMs?: number; outBytes?: number; outExternalFiles?: string[]; error?: string };
    try {
      r = await Promise.race([page.evaluate(([m, n]) => (window as any).benchCase(m, n), [c.mode, name] as const), timeout]);
    } catch (e) {
      r = { error: crashed ? 'the page crashed (renderer out of memory?)' : (e as Error).message.split('\n')[0]! };
    } finally {
      clearTimeout(timer);
    }
    const peak = sampler ? sampler.stop() : null;
    return {
      ms: r.ms ?? null,
      ...(r.quantizeMs !== undefined ? { quantizeMs: r.quantizeMs, saveMs: r.saveMs } : {}),
      outBytes: r.outBytes ?? null,
      ...(r.outExternalFiles ? { outExternalFiles: r.outExternalFiles } : {}),
      peakRssBytes: peak,
      baselineRssBytes: baseline,
      deltaRssBytes: peak !== null && baseline !== null ? peak - baseline : null,
      loadStart,
      ...(r.error ? { error: r.error } : {}),
    };
  } catch (e) {
    return { ...empty, error: (e as Error).message.split('\n')[0]! };
  } finally {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/**
 * Runs each case `repeat` times (stopping at its first failure), each run in a fresh browser. `warmup` is a small
 * model's path (null: no warm-up). Calls `onResult` after each case with its runs.
 */
export async function runBrowserBench(
  cases: BrowserCase[],
  opts: {
    repeat: (c: BrowserCase) => number;
    warmup: string | null;
    timeoutMs: number;
    /** Called before every run, before its browser starts (untimed). */
    beforeRun?: (c: BrowserCase) => void;
    onResult: (c: BrowserCase, runs: BrowserRun[]) => Promise<void>;
  },
): Promise<void> {
  const server = await createServer({ server: { port: 5179, strictPort: false }, logLevel: 'error' });
  await server.listen();
  const base = server.resolvedUrls!.local[0]!;
  try {
    for (const c of cases) {
      const runs: BrowserRun[] = [];
      for (let i = 0; i < opts.repeat(c); i++) {
        process.stderr.write(`bench: chromium ${c.label} ${c.mode} (run ${i + 1})\n`);
        opts.beforeRun?.(c);
        const r = await runOne(base, c, opts.warmup, opts.timeoutMs);
        runs.push(r);
        if (r.error) break;
      }
      await opts.onResult(c, runs);
    }
  } finally {
    await server.close();
  }
}
