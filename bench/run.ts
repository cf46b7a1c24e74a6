/**
 * npm run bench: speed and memory of INT8 and FP16 against the floor (read the input + write a same-size output)
 * in the same runtime, and against the Python reference tools when their venvs exist. Prints a table, writes
 * bench/results/<date>.json and notes the machine. No timing is asserted anywhere.
 *   npm run bench [-- --only all-MiniLM-L6-v2] [-- --repeat 3] [-- --no-browser]
 *   npm run bench -- --quality        also embedding throughput fp32/INT8/FP16 (bench/quality.ts); --quality-only: just that
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { manifest, pathOf, type Fixture } from '../tests/helpers/fixtures.js';
import { runBrowserBench } from './browser.js';
import { qualityTable, runQualityBench, type QualityRow } from './quality.js';

export interface Row {
  fixture: string;
  runtime: string;
  mode: string;
  ms: number | null;
  inBytes: number;
  outBytes: number | null;
  maxRssMiB: number | null;
  error?: string;
}

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : null;
const repeat = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 3;
const browser = !args.includes('--no-browser');
const qualityOnly = args.includes('--quality-only');
const quality = qualityOnly || args.includes('--quality');

const fixtures = manifest().fixtures.filter(
  (f: Fixture) =>
    !qualityOnly && f.kind !== 'onnx-node-test' && f.kind !== 'text-embedding-quantized' && (!only || only.includes(f.name)),
);
const tmp = mkdtempSync(join(tmpdir(), 'ava-bench-'));
const rows: Row[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function runCase(cmd: string, cmdArgs: string[]): { ms: number; outBytes: number; maxRssMiB: number } {
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error((r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').filter((l) => l.trim()).slice(-1).join(' '));
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function measure(f: Fixture, runtime: string, mode: string, cmd: string, cmdArgs: (out: string) => string[], n = repeat) {
  const out = join(tmp, `${f.name}.${runtime}.${mode}.onnx`);
  try {
    const runs = Array.from({ length: n }, () => runCase(cmd, cmdArgs(out)));
    rows.push({
      fixture: f.name, runtime, mode, ms: median(runs.map((r) => r.ms)), inBytes: f.bytes,
      outBytes: runs[0]!.outBytes, maxRssMiB: Math.max(...runs.map((r) => r.maxRssMiB)),
    });
  } catch (e) {
    rows.push({ fixture: f.name, runtime, mode, ms: null, inBytes: f.bytes, outBytes: null, maxRssMiB: null, error: (e as Error).message });
  } finally {
    rmSync(out, { force: true });
  }
}

const tsx = join('node_modules', 'tsx', 'dist', 'cli.mjs');
const parityPython = join('.cache', 'parity-venv', 'bin', 'python');
const fp16Python = join('.cache', 'fp16-venv', 'bin', 'python');
for (const f of fixtures) {
  const input = pathOf(f);
  process.stderr.write(`bench: ${f.name}\n`);
  for (const mode of ['floor', 'int8', 'fp16'])
    measure(f, 'node', mode, process.execPath, (out) => [tsx, 'bench/node-case.ts', mode, input, out]);
  if (existsSync(parityPython)) measure(f, 'python', 'int8', parityPython, (out) => ['bench/python-case.py', 'int8', input, out], 1);
  if (existsSync(fp16Python)) measure(f, 'python', 'fp16', fp16Python, (out) => ['bench/python-case.py', 'fp16', input, out], 1);
}
if (browser) {
  try {
    rows.push(...(await runBrowserBench(fixtures, repeat)));
  } catch (e) {
    process.stderr.write(`bench: browser part failed: ${(e as Error).message}\n`);
  }
}
rmSync(tmp, { recursive: true, force: true });

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version, chromium: (() => { try { return execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return 'n/a'; } })(),
  date: new Date().toISOString(),
};

// Table: one line per fixture x runtime x mode, with throughput and the ratio to the same runtime's floor.
const floorOf = (r: Row) => rows.find((x) => x.fixture === r.fixture && x.runtime === (r.runtime === 'python' ? 'node' : r.runtime) && x.mode === 'floor');
const fmt = (x: number | null, d = 0) => (x === null ? '—' : x.toFixed(d));
const lines = [
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, Node ${machine.node}, ${machine.chromium}; ${machine.date}`,
  `median of ${repeat} runs (Python: 1); "x floor" = time / (read input + write same-size output) in the same runtime (Python vs Node's floor)`,
  '',
  '| fixture | runtime | mode | MiB in | ms | MB/s in | x floor | out/in | peak MiB |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const r of rows) {
  const fl = floorOf(r);
  const mbps = r.ms ? r.inBytes / 1e6 / (r.ms / 1000) : null;
  const ratio = r.ms && fl?.ms ? r.ms / fl.ms : null;
  lines.push(
    `| ${r.fixture} | ${r.runtime} | ${r.mode} | ${fmt(r.inBytes / 2 ** 20, 1)} | ${fmt(r.ms)} | ${fmt(mbps, 1)} | ${fmt(ratio, 2)} | ${r.outBytes ? (r.outBytes / r.inBytes).toFixed(3) : '—'} | ${fmt(r.maxRssMiB)} |${r.error ? ` error: ${r.error.slice(0, 120)}` : ''}`,
  );
}
let qualityRows: QualityRow[] = [];
if (quality) {
  try {
    qualityRows = await runQualityBench({ browser });
  } catch (e) {
    process.stderr.write(`bench: quality part failed: ${(e as Error).message}\n`);
  }
}
console.log(lines.join('\n'));
if (qualityRows.length) console.log(`\n${qualityTable(qualityRows)}`);
const file = join('bench', 'results', `${machine.date.slice(0, 19).replace(/[:T]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ machine, rows, ...(qualityRows.length ? { quality: qualityRows } : {}) }, null, 2)}\n`);
console.log(`\nwritten ${file}`);
