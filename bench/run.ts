/**
 * npm run bench: speed and memory of INT8 (the default preset) and FP16, per model x mode x runtime, against
 *   - the floor in the same runtime (read the input + write an output of the same size),
 *   - the reference tools with the same options (onnxruntime 1.32 quantize_dynamic; onnxconverter-common 1.16),
 * and the issue's targets (≥5× faster than the reference in Node on the 470 MB and 1.1 GB models, ≤2× the floor,
 * peak memory ≤ output size + largest tensor + 64 MiB). Prints Markdown tables with the machine noted and writes
 * bench/results/<date>.json. Nothing here is asserted by any test.
 *
 * Models: all-MiniLM-L6-v2 and its two external-data copies (npm run fixtures), and every synthetic model made by
 * `npm run synthetic` (.cache/synthetic). Runtimes, each case in a fresh process measured from outside:
 *   node      our CLI as a user runs it: `node bin/ava-quant.mjs quantize <in> <out> int8|fp16 --json`; peak RSS from
 *             wait4() (bench/measure.py). Floor: bench/floor.mjs (16 MiB slices in, same bytes out); also timed
 *             with the SHA-256 of the .onnx taken as it is read (detail.sha256Ms of the floor row: the floor of a run
 *             that hashes on the thread that reads, since every output records its source's hash). Two bounds of a first run
 *             (detail of the floor row, each the best of its runs): hashPassMs, the SHA-256 pass over the .onnx alone
 *             (bench/floor.mjs --sha256-only: read and hash, nothing written: what the hashing thread must do), and
 *             startupMs / startupRssBytes, the CLI doing nothing (`ava-quant --version`: Node, the bundle check and
 *             load). A floor is its best run, ours the median (caseTime).
 *   chromium  the app's quantize worker in headless Chromium on the model picked from disk (bench/browser.ts);
 *             memory = RSS summed over the browser's processes, sampled every 100 ms, minus the idle baseline.
 *             Floor: the File read in slices and written to OPFS.
 *   python    the reference tools (venvs .cache/parity-venv, .cache/fp16-venv, made on first use).
 * Times are wall-clock (process start to exit for node/python, so interpreter start-up is included on both sides).
 *
 *   npm run bench [-- --only name[,name]] [-- --repeat N] [-- --no-browser] [-- --no-reference]
 *                 [-- --modes int8,fp16] [-- --timeout SECONDS] [-- --merge-into bench/results/<earlier>.json]
 *   npm run bench -- --quality        also embedding throughput fp32/INT8/FP16 (bench/quality.ts); --quality-only: just that
 *   npm run bench -- --modes-table    also size / mean cosine / top-5 overlap of every mode and target mode on each text
 *                                     fixture (bench/modes-table.ts); --modes-table-only: just that
 * --merge-into re-runs models of an earlier run (with --only): the new file is the earlier one with every row of those
 * models replaced (e.g. a model whose run was skewed by other work on a shared machine), but for a runtime this run
 * left out (Chromium under --no-browser), whose rows of the earlier run stay.
 * Before every timed run the model's files are read once, untimed, so every run starts from a warm page cache, and
 * `sync` flushes what earlier runs wrote, so no run shares the disk with another's writeback (prepareRun); each row
 * records the machine's 1-minute load average at its start and end.
 * --only takes model names (any fixture of the manifest too, e.g. silero-vad-v5); --repeat defaults to 3 for models
 * under 200 MB and 1 above (the reference always runs once); failures are shown as their one-line message.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
// @ts-expect-error plain ESM helper shared with scripts
import { loadSynthetic } from '../scripts/synthetic-lib.mjs';
import { DEFAULT_PRESET, PRESETS } from '../src/core/int8/presets.js';
import { DEFAULT_MAX_FINITE, DEFAULT_MIN_POSITIVE } from '../src/core/fp16/options.js';
import { manifest, MINILM, pathOf, type Fixture } from '../tests/helpers/fixtures.js';
import { runBrowserBench, type BrowserCase, type BrowserRun } from './browser.js';
import { modelInfo, type ModelInfo } from './model-info.js';

type Mode = 'floor' | 'int8' | 'fp16';
type Runtime = 'node' | 'chromium' | 'python';

export interface Row {
  model: string;
  mode: Mode;
  runtime: Runtime;
  /** Median wall time of the runs, ms. */
  ms: number | null;
  runs: number;
  inBytes: number;
  outBytes: number | null;
  /** Node/Python: the process's peak RSS; Chromium: the largest sample of the process tree's summed RSS. */
  peakRssBytes: number | null;
  /** Chromium only: idle baseline and peak - baseline. */
  baselineRssBytes?: number | null;
  deltaRssBytes?: number | null;
  /** Chromium: time in the worker and to write its output to OPFS; node: the CLI's own totalMs. */
  detail?: Record<string, number>;
  /**
   * The machine's 1-minute load average (os.loadavg) when the case started and when it ended (over all its runs):
   * the machine may be shared, and a ratio of two cases run under different loads is skewed.
   */
  load?: { start: number; end: number };
  error?: string;
}

interface BenchModel {
  name: string;
  path: string;
  synthetic: boolean;
  info: ModelInfo;
  /** The issue sets the ≥5× target on these (470 MB and 1.1 GB). */
  speedTarget: boolean;
}

// ------------------------------------------------------------------------------------------------------------------
// Options

const args = process.argv.slice(2);
const value = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const only = value('--only')?.split(',').filter(Boolean) ?? null;
const repeatArg = value('--repeat') !== undefined ? Number(value('--repeat')) : null;
const browser = !args.includes('--no-browser');
const reference = !args.includes('--no-reference');
const modes = (value('--modes')?.split(',') ?? ['int8', 'fp16']) as Mode[];
const timeoutMs = Number(value('--timeout') ?? 3600) * 1000;
const modesTableOnly = args.includes('--modes-table-only');
const modesTable = modesTableOnly || args.includes('--modes-table');
const mergeInto = value('--merge-into');
if (mergeInto !== undefined && !existsSync(mergeInto)) throw new Error(`--merge-into: no such file ${mergeInto}`);
const qualityOnly = args.includes('--quality-only') || (modesTableOnly && !args.includes('--quality'));
const quality = args.includes('--quality-only') || args.includes('--quality');
if (repeatArg !== null && !(repeatArg >= 1)) throw new Error('--repeat takes a number ≥ 1');
for (const m of modes) if (m !== 'int8' && m !== 'fp16') throw new Error(`--modes takes int8 and/or fp16, not ${m}`);

const SPEED_TARGET = new Set(['synthetic-ml-minilm-l12', 'synthetic-xlmr-base']);
const MiB = 2 ** 20;
const repeatFor = (bytes: number) => repeatArg ?? (bytes < 200e6 ? 3 : 1);

// ------------------------------------------------------------------------------------------------------------------
// Models

async function models(): Promise<{ list: BenchModel[]; missing: string[] }> {
  const fixtures = manifest().fixtures;
  const synthetic = loadSynthetic().models as { name: string; path: string }[];
  const defaults = [MINILM, `${MINILM}-external`, `${MINILM}-external-per-tensor`, ...synthetic.map((s) => s.name)];
  const wanted = only ?? defaults;
  const list: BenchModel[] = [];
  const missing: string[] = [];
  for (const name of wanted) {
    const s = synthetic.find((m) => m.name === name);
    const f = fixtures.find((x: Fixture) => x.name === name && x.kind !== 'onnx-node-test');
    const path = s ? join(loadSynthetic().root, s.path) : f ? pathOf(f) : null;
    if (!path) {
      missing.push(name);
      continue;
    }
    list.push({ name, path, synthetic: !!s, info: await modelInfo(path), speedTarget: SPEED_TARGET.has(name) });
  }
  return { list, missing };
}

// ------------------------------------------------------------------------------------------------------------------
// Subprocess cases (node, python), measured by bench/measure.py

const tmp = mkdtempSync(join(tmpdir(), 'ava-bench-'));
const rows: Row[] = [];

interface Measured {
  wallMs: number;
  maxRssBytes: number;
  exitCode: number | null;
  signal: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** The input files of the model being measured: every timed run starts with them read (see prepareRun). */
let runInputs: string[] = [];

/**
 * Before every timed run, Node and Chromium (untimed): reads the model's files once more, so the run finds them in the
 * page cache (this machine's kernel reclaims idle cache pages in the background, DAMON, so a warm-up minutes earlier
 * is no guarantee), then flushes what earlier runs wrote (`sync`), so no run shares the disk with another's writeback.
 * Without both, a 470 MB floor measured 0.20 s to 1.3 s depending on what ran before it.
 */
function prepareRun(files: string[] = runInputs): void {
  warmPageCache(files);
  spawnSync('sync');
}

function measured(cmd: string, cmdArgs: string[]): Measured {
  prepareRun();
  const r = spawnSync('python3', ['bench/measure.py', '--timeout', String(timeoutMs / 1000), '--', cmd, ...cmdArgs], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`bench/measure.py failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
  return JSON.parse(r.stdout) as Measured;
}

/**
 * The failure as one line: the CLI's own error line (`ava-quant: ...`, the first line of a stack it prints), else the
 * last line that is not a stack frame (Python's traceback ends with the exception).
 */
function failure(m: Measured): string {
  if (m.timedOut) return `timed out after ${timeoutMs / 1000} s`;
  const lines = m.stderr.split('\n').filter((l) => l.trim() && !/^\s+at /.test(l) && !/^Node\.js v/.test(l));
  const last = lines.filter((l) => l.startsWith('ava-quant: ')).pop() ?? lines.pop() ?? '';
  if (m.signal) return `killed by signal ${m.signal}${m.signal === 9 ? ' (out of memory?)' : ''}${last ? `: ${last}` : ''}`;
  return last || m.stdout.trim().split('\n').pop() || `exit ${m.exitCode}`;
}

/**
 * Why an output cannot be the real thing, or null: it names an external data file that is not next to it (e.g. the
 * input's), or it is under a tenth of the input (the weights are missing).
 */
async function badOutput(out: string | { externalFiles: string[] }, outBytes: number, inBytes: number): Promise<string | null> {
  if (typeof out === 'string') {
    try {
      await modelInfo(out);
    } catch (e) {
      return `the output is not self-contained: ${(e as Error).message.split('\n')[0]}`;
    }
  } else if (out.externalFiles.length) {
    return `the output is not self-contained: it names external data (${out.externalFiles.slice(0, 3).join(', ')}) but the worker returned one file`;
  }
  if (outBytes < inBytes / 10)
    return `the output is ${(outBytes / MiB).toFixed(1)} MiB for a ${(inBytes / MiB).toFixed(1)} MiB input: its weights are missing`;
  return null;
}

const dirBytes = (dir: string) => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

async function subprocessCase(model: BenchModel, runtime: Runtime, mode: Mode, n: number, command: (out: string) => [string, string[]]) {
  const times: number[] = [];
  let peak = 0;
  let outBytes: number | null = null;
  let error: string | undefined;
  let cliMs: number | undefined;
  const loadStart = load1();
  for (let i = 0; i < n && !error; i++) {
    process.stderr.write(`bench: ${runtime} ${model.name} ${mode} (run ${i + 1})\n`);
    const dir = join(tmp, `${runtime}-${mode}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    try {
      const [cmd, cmdArgs] = command(join(dir, 'out.onnx'));
      const m = measured(cmd, cmdArgs);
      if (m.exitCode !== 0) error = failure(m);
      else {
        times.push(m.wallMs);
        peak = Math.max(peak, m.maxRssBytes);
        outBytes = dirBytes(dir);
        if (mode !== 'floor') error = (await badOutput(join(dir, 'out.onnx'), outBytes, model.info.totalBytes)) ?? undefined;
        const total = /"totalMs":\s*(\d+)/.exec(m.stdout);
        if (total) cliMs = Number(total[1]);
      }
    } catch (e) {
      error = (e as Error).message.split('\n')[0];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rows.push({
    model: model.name,
    mode,
    runtime,
    ms: times.length && !error ? caseTime(mode, times) : null,
    runs: times.length,
    inBytes: model.info.totalBytes,
    outBytes: error ? null : outBytes,
    peakRssBytes: error ? null : peak,
    ...(cliMs !== undefined && !error ? { detail: { cliTotalMs: cliMs } } : {}),
    ...(mode === 'floor' && times.length && !error ? { detail: { medianMs: median(times) } } : {}),
    load: { start: loadStart, end: load1() },
    ...(error ? { error } : {}),
  });
}

/** The 1-minute load average, 2 decimals. */
const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

/**
 * A case's time from its runs: the median, but for the floor its best run. The floor estimates the least a run can
 * cost, and on this machine noise only adds to it: a run that writes into memory another just freed can pay up to
 * 1 s of system time (the 470 MB floor measured 0.21–0.25 s and 0.7–1.2 s in alternate runs, with the page cache
 * warm and nothing waiting to be written). The floor's median goes to detail.medianMs.
 */
function caseTime(mode: Mode, times: number[]): number {
  return mode === 'floor' ? Math.min(...times) : median(times);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** A pinned reference venv (scripts/pinned-venv.sh), made on first use; null with the reason when it cannot be. */
function referencePython(name: string, requirements: string): { python: string | null; error?: string } {
  const r = spawnSync('bash', ['-c', `. scripts/pinned-venv.sh && pinned_venv ${name} ${requirements} >&2 && echo "$VENV_PY"`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return { python: null, error: `could not make .cache/${name}: ${(r.stderr || '').trim().split('\n').pop()}` };
  return { python: r.stdout.trim().split('\n').pop()! };
}

/** quantize_dynamic's arguments for our default INT8 preset (src/core/int8/presets.ts; as scripts/parity/make_golden.py maps them). */
function referenceInt8Args(): Record<string, unknown> {
  const p = PRESETS[DEFAULT_PRESET];
  const extra: Record<string, unknown> = { ActivationSymmetric: p.activationSymmetric, MatMulConstBOnly: p.matMulConstBOnly };
  if (p.weightSymmetric !== undefined) extra.WeightSymmetric = p.weightSymmetric;
  if (p.enableSubgraph) extra.EnableSubgraph = true;
  return {
    weight_type: p.weightType === 'auto-conv' ? 'auto-conv' : p.weightType === 'qint8' ? 'QInt8' : 'QUInt8',
    per_channel: p.perChannel,
    reduce_range: p.reduceRange,
    op_types_to_quantize: p.opTypes ?? null,
    extra_options: extra,
  };
}

/** onnxconverter-common's arguments for our FP16 defaults (src/core/fp16/options.ts: keep I/O types, clamp bounds). */
const referenceFp16Args = () => ({ keep_io_types: true, min_positive_val: DEFAULT_MIN_POSITIVE, max_finite_val: DEFAULT_MAX_FINITE });

// ------------------------------------------------------------------------------------------------------------------
// Run

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  chromium: (() => {
    try {
      return execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      return 'n/a';
    }
  })(),
  reference: {} as Record<string, string>,
  date: new Date().toISOString(),
};

const { list, missing } = qualityOnly ? { list: [], missing: [] } : await models();
const notes: string[] = [];
for (const name of missing)
  notes.push(
    `${name}: not found (a fixture name from .cache/fixtures/manifest.json, or a synthetic model: \`npm run synthetic -- --only ${name}\`)`,
  );
if (!only && !list.some((m) => m.synthetic))
  notes.push('no synthetic models yet: `npm run synthetic` makes them (about 6 GB, a few minutes)');

const int8Ref =
  reference && !qualityOnly && modes.includes('int8') ? referencePython('parity-venv', 'scripts/parity/requirements.txt') : null;
const fp16Ref =
  reference && !qualityOnly && modes.includes('fp16') ? referencePython('fp16-venv', 'scripts/fp16-compare/requirements.txt') : null;
for (const [label, ref] of [
  ['onnxruntime', int8Ref],
  ['onnxconverter-common', fp16Ref],
] as const) {
  if (ref?.error) notes.push(`reference ${label}: ${ref.error}`);
  if (ref?.python) {
    const v = spawnSync(ref.python, ['-c', `import importlib.metadata as m; print(m.version("${label}"))`], { encoding: 'utf8' });
    machine.reference[label] = v.stdout.trim() || '?';
  }
}

/** Reads every file once (prepareRun: so a timed run does not pay for reading from disk and the next one not). */
function warmPageCache(files: string[]): void {
  const buf = Buffer.allocUnsafe(16 << 20);
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
}

const inputsOf = (model: BenchModel) => [model.path, ...model.info.externalFiles.map((f) => join(dirname(model.path), f))];

const cli = resolve('bin/ava-quant.mjs');
// The CLI remembers a source's SHA-256 between runs (src/node/hash-cache.ts). The headline figures are first runs:
// the hash is computed every time (the cache is off); a repeat run on the same file, with the hash remembered, is
// timed apart (detail.repeatMs).
process.env.AVA_QUANT_HASH_CACHE = '0';
const hashCacheDir = join(tmp, 'hash-cache');

/** Best wall time of `n` runs of a floor `command` (see caseTime; an output folder of its own, removed after), or null when one fails. */
function floorRuns(n: number, command: (out: string) => [string, string[]]): number | null {
  const dir = join(tmp, 'timed');
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const [cmd, cmdArgs] = command(join(dir, 'out.onnx'));
      const m = measured(cmd, cmdArgs);
      if (m.exitCode !== 0) return null;
      times.push(m.wallMs);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return caseTime('floor', times);
}

/** The CLI's start-up as a user runs it, doing nothing (`ava-quant --version`): best wall time and peak RSS of `n` runs. */
function startupRuns(n: number): { ms: number; rssBytes: number } | null {
  const times: number[] = [];
  let rssBytes = 0;
  for (let i = 0; i < n; i++) {
    const m = measured(process.execPath, [cli, '--version']);
    if (m.exitCode !== 0) return null;
    times.push(m.wallMs);
    rssBytes = Math.max(rssBytes, m.maxRssBytes);
  }
  return { ms: Math.min(...times), rssBytes };
}

/** Median wall time of `n` runs of `command` with the hash cache on (one untimed run first fills it), or null. */
function repeatRuns(n: number, command: (out: string) => [string, string[]]): number | null {
  const env = { AVA_QUANT_HASH_CACHE: '1', AVA_CACHE_DIR: hashCacheDir };
  const saved = { c: process.env.AVA_QUANT_HASH_CACHE, d: process.env.AVA_CACHE_DIR };
  Object.assign(process.env, env);
  const dir = join(tmp, 'repeat');
  const times: number[] = [];
  try {
    for (let i = 0; i <= n; i++) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const [cmd, cmdArgs] = command(join(dir, 'out.onnx'));
      const m = measured(cmd, cmdArgs);
      if (m.exitCode !== 0) return null;
      if (i > 0) times.push(m.wallMs);
    }
  } finally {
    process.env.AVA_QUANT_HASH_CACHE = saved.c;
    if (saved.d === undefined) delete process.env.AVA_CACHE_DIR;
    else process.env.AVA_CACHE_DIR = saved.d;
    rmSync(dir, { recursive: true, force: true });
    rmSync(hashCacheDir, { recursive: true, force: true });
  }
  return median(times);
}

for (const model of list) {
  const n = repeatFor(model.info.totalBytes);
  const inputs = inputsOf(model);
  runInputs = inputs;
  await subprocessCase(model, 'node', 'floor', n, (out) => [process.execPath, ['bench/floor.mjs', out, ...inputs]]);
  const floorRow = rows[rows.length - 1]!;
  if (!floorRow.error) {
    process.stderr.write(`bench: node ${model.name} floor with the SHA-256 of the .onnx\n`);
    const sha256Ms = floorRuns(n, (out) => [process.execPath, ['bench/floor.mjs', '--sha256', out, ...inputs]]);
    if (sha256Ms !== null) floorRow.detail = { ...floorRow.detail, sha256Ms };
    process.stderr.write(`bench: node ${model.name} bounds (the SHA-256 pass alone; the CLI's start-up)\n`);
    const hashPassMs = floorRuns(n, () => [process.execPath, ['bench/floor.mjs', '--sha256-only', model.path]]);
    if (hashPassMs !== null) floorRow.detail = { ...floorRow.detail, hashPassMs };
    const startup = startupRuns(n);
    if (startup) floorRow.detail = { ...floorRow.detail, startupMs: startup.ms, startupRssBytes: startup.rssBytes };
  }
  for (const mode of modes) {
    const command = (out: string): [string, string[]] => [process.execPath, [cli, 'quantize', model.path, out, mode, '--json']];
    await subprocessCase(model, 'node', mode, n, command);
    const row = rows[rows.length - 1]!;
    if (!row.error) {
      process.stderr.write(`bench: node ${model.name} ${mode} (repeat runs, hash remembered)\n`);
      const repeatMs = repeatRuns(n, command);
      if (repeatMs !== null) row.detail = { ...row.detail, repeatMs };
    }
  }
  if (int8Ref?.python && modes.includes('int8'))
    await subprocessCase(model, 'python', 'int8', 1, (out) => [
      int8Ref.python!,
      ['bench/python-case.py', 'int8', model.path, out, JSON.stringify(referenceInt8Args())],
    ]);
  if (fp16Ref?.python && modes.includes('fp16'))
    await subprocessCase(model, 'python', 'fp16', 1, (out) => [
      fp16Ref.python!,
      ['bench/python-case.py', 'fp16', model.path, out, JSON.stringify(referenceFp16Args())],
    ]);
}

if (browser && list.length) {
  const cases: BrowserCase[] = [];
  for (const model of list) {
    const files = [model.path, ...model.info.externalFiles.map((f) => join(dirname(model.path), f))];
    for (const mode of ['floor', ...modes] as Mode[]) cases.push({ label: model.name, mode, files });
  }
  // Warm-up: the smallest real model of the fixtures (a few hundred KB), so the worker's start is not timed.
  const small = manifest()
    .fixtures.filter((f: Fixture) => f.kind === 'audio' || f.kind === 'vision')
    .sort((a: Fixture, b: Fixture) => a.bytes - b.bytes)[0];
  const byFiles = new Map(list.map((m) => [m.path, m]));
  try {
    await runBrowserBench(cases, {
      repeat: (c) => repeatFor(byFiles.get(c.files[0]!)!.info.totalBytes),
      warmup: small ? pathOf(small) : null,
      timeoutMs,
      beforeRun: (c) => prepareRun(c.files),
      onResult: async (c, runs) => {
        rows.push(await browserRow(byFiles.get(c.files[0]!)!, c.mode, runs));
      },
    });
  } catch (e) {
    notes.push(`browser part failed: ${(e as Error).message.split('\n')[0]}`);
  }
}
rmSync(tmp, { recursive: true, force: true });

async function browserRow(model: BenchModel, mode: Mode, runs: BrowserRun[]): Promise<Row> {
  const ok = runs.filter((r) => !r.error && r.ms !== null);
  const first = ok[0];
  const error =
    runs.find((r) => r.error)?.error ??
    (mode !== 'floor' && first?.outBytes != null
      ? ((await badOutput({ externalFiles: first.outExternalFiles ?? [] }, first.outBytes, model.info.totalBytes)) ?? undefined)
      : undefined);
  const maxOf = (xs: (number | null | undefined)[]) =>
    xs.some((x) => typeof x === 'number') ? Math.max(...xs.filter((x): x is number => typeof x === 'number')) : null;
  const at = ok.length ? ok.reduce((a, b) => ((b.deltaRssBytes ?? 0) > (a.deltaRssBytes ?? 0) ? b : a)) : null;
  const detail =
    ok.length && ok[0]!.quantizeMs !== undefined
      ? { quantizeMs: median(ok.map((r) => r.quantizeMs!)), saveMs: median(ok.map((r) => r.saveMs ?? 0)) }
      : undefined;
  return {
    model: model.name,
    mode,
    runtime: 'chromium',
    ms:
      ok.length && !error
        ? caseTime(
            mode,
            ok.map((r) => r.ms!),
          )
        : null,
    runs: ok.length,
    inBytes: model.info.totalBytes,
    outBytes: error ? null : (ok[0]?.outBytes ?? null),
    peakRssBytes: error ? maxOf(runs.map((r) => r.peakRssBytes)) : (at?.peakRssBytes ?? null),
    baselineRssBytes: error ? (runs[0]?.baselineRssBytes ?? null) : (at?.baselineRssBytes ?? null),
    deltaRssBytes: error ? maxOf(runs.map((r) => r.deltaRssBytes)) : (at?.deltaRssBytes ?? null),
    ...(detail ? { detail } : {}),
    ...(runs[0]?.loadStart !== undefined ? { load: { start: runs[0].loadStart, end: load1() } } : {}),
    ...(error ? { error } : {}),
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Report

const find = (model: string, runtime: Runtime, mode: Mode) =>
  rows.find((r) => r.model === model && r.runtime === runtime && r.mode === mode);

/** Output size for the memory target: this row's, else any runtime's for the same model and mode. */
function targetBytes(r: Row, m: BenchModel): number | null {
  const out = r.outBytes ?? rows.find((x) => x.model === r.model && x.mode === r.mode && x.outBytes !== null)?.outBytes ?? null;
  return out === null ? null : out + m.info.largestTensorBytes + 64 * MiB;
}

interface Verdicts {
  xFloor: number | null;
  xRef: number | null;
  target: number | null;
  speed: boolean | null;
  floor: boolean | null;
  memory: boolean | null;
}

function verdicts(r: Row, m: BenchModel): Verdicts {
  const floor = find(r.model, r.runtime === 'python' ? 'node' : r.runtime, 'floor');
  const ref = r.mode !== 'floor' ? find(r.model, 'python', r.mode) : undefined;
  const ours = r.runtime !== 'python' && r.mode !== 'floor';
  const xFloor = r.mode !== 'floor' && r.ms && floor?.ms ? r.ms / floor.ms : null;
  const xRef = ours && r.ms && ref?.ms ? ref.ms / r.ms : null;
  const target = ours ? targetBytes(r, m) : null;
  const mem = r.runtime === 'chromium' ? (r.deltaRssBytes ?? null) : r.peakRssBytes;
  return {
    xFloor,
    xRef,
    target,
    speed: ours && r.runtime === 'node' && m.speedTarget ? (r.error ? false : xRef === null ? null : xRef >= 5) : null,
    floor: ours ? (r.error ? false : xFloor === null ? null : xFloor <= 2) : null,
    memory: ours ? (r.error ? false : mem === null || target === null ? null : mem <= target) : null,
  };
}

const fmt = (x: number | null | undefined, d = 0) => (x === null || x === undefined ? '—' : x.toFixed(d));
const mib = (b: number | null | undefined) => (b === null || b === undefined ? '—' : fmt(b / MiB));
const mark = (v: boolean | null) => (v === null ? '—' : v ? '✓' : '✗');
const cell = (s: string) => s.replace(/\|/g, '\\|');

const lines: string[] = [
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB RAM, Node ${machine.node}, ${machine.chromium}` +
    `${
      Object.keys(machine.reference).length
        ? `, ${Object.entries(machine.reference)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`
        : ''
    }; ${machine.date}`,
  '',
  'time: median wall-clock of the runs (process start to exit; Chromium: the call, plus writing an in-memory output to OPFS). ' +
    "x floor = time / (read the input + write as many bytes) in the same runtime (Python: Node's floor). " +
    'x ref = reference time / ours (≥5 is the target on the 470 MB and 1.1 GB models, Node). ' +
    "peak: Node/Python peak RSS of the process; Chromium: summed RSS of the browser's processes (sampled every 100 ms), with Δ = peak − idle. " +
    "target = output + largest tensor + 64 MiB, against Node's peak and Chromium's Δ. " +
    "load: the machine's 1-minute load average at the start → end of the case (2 cores; above 2, other work was waiting).",
  '',
];
for (const m of list) {
  lines.push(
    `### ${m.name}${m.synthetic ? ' (SYNTHETIC: random weights)' : ''}: ${fmt(m.info.totalBytes / MiB, 1)} MiB` +
      `${m.info.externalFiles.length ? ` (model.onnx + ${m.info.externalFiles.length} external data file${m.info.externalFiles.length > 1 ? 's' : ''})` : ''}, ` +
      `largest tensor ${fmt(m.info.largestTensorBytes / MiB, 1)} MiB`,
    '',
    '| mode | runtime | time s | x floor | x ref | peak MiB | Δ MiB | target MiB | out MiB | ≥5× ref | ≤2× floor | mem ≤ target | load | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :-: | :-: | :-: | ---: | --- |',
  );
  for (const mode of ['floor', ...modes] as Mode[]) {
    for (const runtime of ['node', 'chromium', 'python'] as Runtime[]) {
      const r = find(m.name, runtime, mode);
      if (!r) continue;
      const v = verdicts(r, m);
      const label =
        runtime === 'python' ? (mode === 'int8' ? 'onnxruntime' : mode === 'fp16' ? 'onnxconverter-common' : 'python') : runtime;
      const note = r.error ? `**failed**: ${r.error}` : r.runs > 1 ? `median of ${r.runs}` : '';
      lines.push(
        `| ${mode} | ${label} | ${r.error ? '—' : fmt(r.ms! / 1000, 2)} | ${fmt(v.xFloor, 2)} | ${fmt(v.xRef, 1)} | ${mib(r.peakRssBytes)} | ` +
          `${runtime === 'chromium' ? mib(r.deltaRssBytes) : '—'} | ${mib(v.target)} | ${mib(r.outBytes)} | ${mark(v.speed)} | ${mark(v.floor)} | ${mark(v.memory)} | ${r.load ? `${fmt(r.load.start, 1)}→${fmt(r.load.end, 1)}` : '—'} | ${cell(note)} |`,
      );
    }
  }
  lines.push('');
}
for (const n of notes) lines.push(`- ${n}`);

let qualityRows: unknown[] = [];
let qualityText = '';
if (quality) {
  try {
    // Loaded only when asked: it imports the core's in-memory API directly.
    const q = await import('./quality.js');
    const qr = await q.runQualityBench({ browser });
    qualityRows = qr;
    qualityText = q.qualityTable(qr);
  } catch (e) {
    process.stderr.write(`bench: quality part failed: ${(e as Error).message}\n`);
  }
}
let modesRows: unknown[] = [];
let modesText = '';
if (modesTable) {
  try {
    const t = await import('./modes-table.js');
    const r = await t.runModesTable();
    modesRows = r.rows;
    modesText = t.modesTableText(r);
  } catch (e) {
    process.stderr.write(`bench: modes table failed: ${(e as Error).message}\n`);
  }
}
console.log(lines.join('\n'));
if (qualityText) console.log(`\n${qualityText}`);
if (modesText) console.log(`\n${modesText}`);
const file = join('bench', 'results', `${machine.date.slice(0, 19).replace(/[:T]/g, '-')}.json`);
const results = {
  machine,
  options: { only, repeat: repeatArg, browser, reference, modes, timeoutSeconds: timeoutMs / 1000 },
  models: list.map((m) => ({ name: m.name, synthetic: m.synthetic, ...m.info })),
  rows: rows.map((r) => {
    const m = list.find((x) => x.name === r.model)!;
    const v = verdicts(r, m);
    return { ...r, xFloor: v.xFloor, xRef: v.xRef, targetBytes: v.target, targets: { speed: v.speed, floor: v.floor, memory: v.memory } };
  }),
  notes,
  ...(qualityRows.length ? { quality: qualityRows } : {}),
  ...(modesRows.length ? { modesTable: modesRows } : {}),
};
writeFileSync(file, `${JSON.stringify(mergeInto ? merged(JSON.parse(readFileSync(mergeInto, 'utf8')), results) : results, null, 2)}\n`);

/**
 * --merge-into: an earlier run with this run's models re-run. Every row of a re-run model in a runtime this run ran is
 * replaced by this run's (so each runtime's ratios still come from one run: its floor, ours and the reference side by
 * side); the rest, including a re-run model's rows in a runtime left out (--no-browser), is the earlier run's. `reruns` lists when and which models.
 */
function merged(
  old: { models: { name: string }[]; rows: { model: string; runtime: Runtime }[]; notes: string[]; reruns?: unknown[] },
  now: typeof results,
) {
  const again = new Set(now.models.map((m) => m.name));
  const names = [...old.models.map((m) => m.name), ...now.models.map((m) => m.name).filter((n) => !old.models.some((m) => m.name === n))];
  return {
    ...old,
    models: names.map((n) => (again.has(n) ? now.models.find((m) => m.name === n) : old.models.find((m) => m.name === n))),
    rows: names.flatMap((n) => {
      if (!again.has(n)) return old.rows.filter((r) => r.model === n);
      // A runtime this run did not run (Chromium under --no-browser) keeps the earlier run's rows, floor included.
      const ran = new Set(now.rows.filter((r) => r.model === n).map((r) => r.runtime));
      return [...old.rows.filter((r) => r.model === n && !ran.has(r.runtime)), ...now.rows.filter((r) => r.model === n)];
    }),
    notes: [...old.notes, ...now.notes],
    reruns: [
      ...(old.reruns ?? []),
      { from: mergeInto, date: machine.date, models: [...again], options: now.options, machine: now.machine },
    ],
  };
}
console.log(`\nwritten ${file}`);
