/**
 * The fuzz harness: runs cases in a child process (child.ts) one at a time and enforces, per case,
 *  - a time bound: the child is killed when a case runs past `timeoutMs(bytes)` (a hang, not a slow machine: the
 *    bound is generous and scales with the input size);
 *  - a memory bound: the child's V8 heap is capped (--max-old-space-size) and its resident memory (typed arrays,
 *    onnxruntime's native heap) is watched and the child killed above `rssMb`;
 *  - survival: a crash (a native abort, an uncaught exception, an unhandled rejection) ends only that case.
 * After a kill or a crash a fresh child takes the next case. Results go through problemsOf (run-case.ts).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Family, familyOf } from './cases.js';
import { type CaseResult, type Stage, STAGES, problemsOf } from './run-case.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface Limits {
  /** V8 heap of the case runner, MiB. */
  heapMb: number;
  /** Resident memory of the case runner, MiB (Linux: read from /proc). */
  rssMb: number;
  /** Time bound of a case of `bytes` input bytes, ms. */
  timeoutMs: (bytes: number) => number;
}

export const DEFAULT_LIMITS: Limits = {
  heapMb: 1536,
  rssMb: 3072,
  timeoutMs: (bytes) => 60_000 + Math.ceil(bytes / 2 ** 20) * 1_500,
};

export type Job =
  | { type: 'run'; seed: number; index: number }
  | { type: 'repro'; path: string }
  | { type: 'selftest'; what: 'hang' | 'crash' | 'heap' | 'rss' };

export interface Outcome {
  job: Job;
  result: CaseResult;
  problems: string[];
}

type Msg =
  | { type: 'ready' }
  | { type: 'started'; id: string; bytes: number }
  | { type: 'result'; result: CaseResult }
  | { type: 'error'; message: string };

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** A case runner process, restarted after a kill or a crash. */
export class Runner {
  private child: ChildProcess | null = null;
  private stderr = '';
  private listener: ((m: Msg | { type: 'exit'; code: number | null; signal: string | null }) => void) | null = null;

  constructor(readonly limits: Limits = DEFAULT_LIMITS) {}

  private async start(): Promise<void> {
    this.stderr = '';
    const child = fork(CHILD, [], {
      cwd: REPO,
      execArgv: ['--import', 'tsx', `--max-old-space-size=${this.limits.heapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.on('message', (m: Msg) => this.listener?.(m));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      this.listener?.({ type: 'exit', code, signal });
    });
    this.child = child;
    await new Promise<void>((ok, fail) => {
      this.listener = (m) => {
        if (m.type === 'ready') ok();
        else if (m.type === 'exit')
          fail(new Error(`the fuzz case runner did not start (exit ${m.code ?? m.signal}): ${this.stderr.trim()}`));
      };
    });
  }

  /** Runs one job; never throws for what the case does (a timeout, a crash, an out-of-memory are results). */
  async run(job: Job): Promise<CaseResult> {
    if (!this.child) await this.start();
    const child = this.child!;
    const index = job.type === 'run' ? job.index : -1;
    const fallback = (harness: NonNullable<CaseResult['harness']>, id: string): CaseResult => ({
      id,
      family: (job.type === 'run' ? familyOf(index) : 'control') as Family,
      base: '',
      note: job.type === 'repro' ? job.path : job.type === 'selftest' ? `selftest ${job.what}` : '',
      inputBytes: 0,
      stages: Object.fromEntries(STAGES.map((s) => [s, { class: 'skipped' }])) as CaseResult['stages'],
      ortInput: null,
      inputUnchanged: true,
      deterministic: null,
      ms: 0,
      harness,
    });
    return new Promise<CaseResult>((resolve, reject) => {
      let id = job.type === 'run' ? `${job.seed}-${job.index}` : job.type === 'repro' ? job.path : `selftest-${job.what}`;
      let timer: ReturnType<typeof setTimeout> | null = null;
      let poll: ReturnType<typeof setInterval> | null = null;
      let killedFor: NonNullable<CaseResult['harness']> | null = null;
      const started = Date.now();
      const done = () => {
        if (timer) clearTimeout(timer);
        if (poll) clearInterval(poll);
        this.listener = null;
      };
      const kill = (why: NonNullable<CaseResult['harness']>) => {
        if (killedFor) return;
        killedFor = why;
        child.kill('SIGKILL');
      };
      const arm = (bytes: number) => {
        const limit = this.limits.timeoutMs(bytes);
        if (timer) clearTimeout(timer);
        timer = setTimeout(
          () => kill({ class: 'timeout', message: `the case did not finish within ${Math.round(limit / 1000)} s (input ${bytes} bytes)` }),
          limit,
        );
      };
      arm(0);
      poll = setInterval(() => {
        const mb = child.pid ? rssMb(child.pid) : null;
        if (mb !== null && mb > this.limits.rssMb)
          kill({ class: 'out-of-memory', message: `the case runner held ${Math.round(mb)} MiB (limit ${this.limits.rssMb} MiB)` });
      }, 100);
      this.listener = (m) => {
        if (m.type === 'started') {
          id = m.id;
          arm(m.bytes);
        } else if (m.type === 'result') {
          done();
          resolve(m.result);
        } else if (m.type === 'error') {
          done();
          reject(new Error(m.message));
        } else if (m.type === 'exit') {
          done();
          const tail = this.stderr.trim().split('\n').slice(-6).join(' | ');
          const why =
            killedFor ??
            (/heap limit|heap out of memory|Allocation failed/i.test(this.stderr)
              ? { class: 'out-of-memory' as const, message: `the V8 heap limit (${this.limits.heapMb} MiB) was reached: ${tail}` }
              : {
                  class: 'crash' as const,
                  message: `the case runner died (exit ${m.code ?? ''}${m.signal ? ` signal ${m.signal}` : ''}) after ${Date.now() - started} ms: ${tail}`,
                });
          resolve(fallback(why, id));
        }
      };
      child.send(job);
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

export interface RunOptions {
  seed: number;
  /** First case index (default 0). */
  from?: number;
  /** Number of cases; without it, cases run until `minutes` have passed. */
  count?: number;
  minutes?: number;
  limits?: Limits;
  onOutcome?: (o: Outcome) => void;
}

/** Runs cases [from, from + count) of `seed` (or until the time budget is spent). */
export async function runSeeded(o: RunOptions): Promise<Outcome[]> {
  const runner = new Runner(o.limits);
  const out: Outcome[] = [];
  const deadline = o.minutes !== undefined ? Date.now() + o.minutes * 60_000 : Infinity;
  try {
    for (let i = o.from ?? 0; o.count === undefined || i < (o.from ?? 0) + o.count; i++) {
      if (Date.now() >= deadline) break;
      const job: Job = { type: 'run', seed: o.seed, index: i };
      const result = await runner.run(job);
      const outcome = { job, result, problems: problemsOf(result) };
      out.push(outcome);
      o.onOutcome?.(outcome);
    }
  } finally {
    runner.stop();
  }
  return out;
}

/** Runs reproducer files. */
export async function runReproducers(paths: string[], limits?: Limits): Promise<Outcome[]> {
  const runner = new Runner(limits);
  const out: Outcome[] = [];
  try {
    for (const path of paths) {
      const job: Job = { type: 'repro', path };
      const result = await runner.run(job);
      out.push({ job, result, problems: problemsOf(result) });
    }
  } finally {
    runner.stop();
  }
  return out;
}

/** Outcome classes per stage over a run: { stage: { class: count } } (harness failures under "harness"). */
export function tally(outcomes: Outcome[]): Record<Stage | 'harness', Record<string, number>> {
  const t = Object.fromEntries([...STAGES, 'harness'].map((s) => [s, {} as Record<string, number>])) as Record<
    Stage | 'harness',
    Record<string, number>
  >;
  for (const { result } of outcomes) {
    if (result.harness) {
      t.harness[result.harness.class] = (t.harness[result.harness.class] ?? 0) + 1;
      continue;
    }
    for (const s of STAGES) {
      const c = result.stages[s].class;
      t[s][c] = (t[s][c] ?? 0) + 1;
    }
  }
  return t;
}

/** A Markdown table of `tally` (stages as rows). */
export function tallyTable(outcomes: Outcome[]): string {
  const t = tally(outcomes);
  const classes = [...new Set(Object.values(t).flatMap((x) => Object.keys(x)))].sort((a, b) =>
    a === 'ok' ? -1 : b === 'ok' ? 1 : a.localeCompare(b),
  );
  const rows = Object.entries(t).filter(([, x]) => Object.keys(x).length);
  return [
    `| stage | ${classes.join(' | ')} |`,
    `| --- |${classes.map(() => ' ---: |').join('')}`,
    ...rows.map(([s, x]) => `| ${s} | ${classes.map((c) => x[c] ?? 0).join(' | ')} |`),
  ].join('\n');
}
