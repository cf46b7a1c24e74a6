/**
 * The README's bench tables (issue 10's targets), made from a recorded `npm run bench` result file
 * (bench/results/<date>.json, written by bench/run.ts), so the README prints exactly what the run measured and
 * tests/readme/numbers.test.ts can check it line by line:
 *   npx tsx bench/readme-table.ts bench/results/<date>.json      prints both tables (Markdown)
 * Every figure is a ratio against a baseline of the same run and the same model:
 *   × floor     our time / the floor's (read the input + write as many bytes, same runtime); target ≤ 2
 *   × floor + SHA-256  our time / the floor's with the SHA-256 of the .onnx taken as it is read on the same thread
 *               (Node: every output records its source's hash; no target of its own)
 *   bounds      (boundsTable) the SHA-256 pass alone and the CLI's start-up, each / the floor: parts of every first run
 *   ref ÷ ours  the reference's time (onnxruntime quantize_dynamic for INT8, onnxconverter-common for FP16, same
 *               options, same machine) / ours, Node; target ≥ 5 on the 470 MB and 1.1 GB models
 *   ÷ target    peak memory / (output + largest tensor + 64 MiB); target ≤ 1. Node: the CLI process's peak RSS;
 *               Chromium: Δ = the browser's summed RSS at its peak minus idle.
 * Times are seconds (wall clock, process start to exit in Node and Python), memory MiB (2^20 bytes).
 */
import { readFileSync } from 'node:fs';

export interface BenchResultRow {
  model: string;
  mode: 'floor' | 'int8' | 'fp16';
  runtime: 'node' | 'chromium' | 'python';
  ms: number | null;
  peakRssBytes: number | null;
  deltaRssBytes?: number | null;
  outBytes: number | null;
  xFloor: number | null;
  xRef: number | null;
  targetBytes: number | null;
  targets: { speed: boolean | null; floor: boolean | null; memory: boolean | null };
  load?: { start: number; end: number };
  error?: string;
  /**
   * Extra figures: cliTotalMs, repeatMs (Node: the median of repeat runs with the source hash remembered), sha256Ms
   * (the Node floor row: the floor with the SHA-256 of the .onnx), hashPassMs, startupMs, startupRssBytes (the Node
   * floor row: the SHA-256 pass alone, the CLI's start-up doing nothing; see boundsTable).
   */
  detail?: Record<string, number>;
}

export interface BenchResults {
  machine: { cpu: string; cores: number; memGiB: number; node: string; chromium: string; reference: Record<string, string>; date: string };
  models: { name: string; synthetic: boolean; totalBytes: number; largestTensorBytes: number; externalFiles: string[] }[];
  rows: BenchResultRow[];
}

const MiB = 2 ** 20;
const s = (ms: number | null) => (ms === null ? '—' : (ms / 1000).toFixed(2));
const mib = (b: number | null | undefined) => (b === null || b === undefined ? '—' : Math.round(b / MiB).toLocaleString('en-US'));
const mark = (v: boolean | null) => (v === null ? '' : v ? ' ✓' : ' ✗');
const ratio = (x: number | null, digits: number, v: boolean | null) => (x === null ? '—' : `${x.toFixed(digits)}×${mark(v)}`);
const load = (r: BenchResultRow | undefined) => (r?.load ? `${r.load.start.toFixed(1)}–${r.load.end.toFixed(1)}` : '—');
const failed = (r: BenchResultRow | undefined) => (r?.error ? `failed: ${r.error.replace(/\|/g, '\\|')}` : null);

/** The model's label: its name and input size (MiB; "+ N data files" when it has external data). */
function modelLabel(m: BenchResults['models'][number]): string {
  const ext = m.externalFiles.length ? ` + ${m.externalFiles.length} data file${m.externalFiles.length > 1 ? 's' : ''}` : '';
  return `${m.name} (${mib(m.totalBytes)} MiB${ext})`;
}

const MODE = { int8: 'INT8', fp16: 'FP16' } as const;

/** The run's row of `model` for a runtime and mode, if it ran. */
function rowOf(
  run: BenchResults,
  model: string,
  runtime: BenchResultRow['runtime'],
  mode: BenchResultRow['mode'],
): BenchResultRow | undefined {
  return run.rows.find((r) => r.model === model && r.runtime === runtime && r.mode === mode);
}

/** The Node table: ours (the CLI) beside the floor and the reference, per model and mode. */
export function nodeTable(run: BenchResults): string[] {
  const out = [
    '| model (input) | mode | ours s | floor s | × floor (≤ 2) | floor + SHA-256 s | × floor + SHA-256 | repeat s (hash remembered) | repeat × floor | reference s | ref ÷ ours (≥ 5) | peak MiB | target MiB | ÷ target (≤ 1) | reference peak MiB | load |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const m of run.models) {
    const find = (runtime: BenchResultRow['runtime'], mode: BenchResultRow['mode']) => rowOf(run, m.name, runtime, mode);
    const floor = find('node', 'floor');
    for (const mode of ['int8', 'fp16'] as const) {
      const r = find('node', mode);
      const ref = find('python', mode);
      if (!r) continue;
      const mem = r.peakRssBytes !== null && r.targetBytes ? r.peakRssBytes / r.targetBytes : null;
      const fail = failed(r);
      const repeat = r.detail?.['repeatMs'] ?? null;
      const xRepeat = repeat !== null && floor?.ms ? repeat / floor.ms : null;
      const hashed = floor?.detail?.['sha256Ms'] ?? null;
      const xHashed = hashed !== null && r.ms !== null && !fail ? r.ms / hashed : null;
      out.push(
        `| ${modelLabel(m)} | ${MODE[mode]} | ${fail ?? s(r.ms)} | ${s(floor?.ms ?? null)} | ${ratio(r.xFloor, 2, r.targets.floor)} | ` +
          `${s(hashed)} | ${ratio(xHashed, 2, null)} | ` +
          `${s(repeat)} | ${ratio(xRepeat, 2, xRepeat === null ? null : xRepeat <= 2)} | ` +
          `${failed(ref) ?? s(ref?.ms ?? null)} | ${ratio(r.xRef, 1, r.targets.speed)} | ${mib(r.peakRssBytes)} | ${mib(r.targetBytes)} | ` +
          `${ratio(mem, 2, r.targets.memory)} | ${mib(ref?.peakRssBytes)} | ${load(r)} |`,
      );
    }
  }
  return out;
}

/**
 * Two parts of every first run in Node, each timed alone, per model, beside the floor: the SHA-256 pass over the
 * .onnx alone (the hashing thread's share: read and hash, nothing written) and the CLI's start-up doing nothing
 * (Node, the bundle check and load; its peak RSS is part of every run's memory, against the target's 64 MiB), with
 * our first runs' × floor for comparison. Rows only for runs that recorded these figures (floor detail hashPassMs).
 */
export function boundsTable(run: BenchResults): string[] {
  const out = [
    '| model (input) | floor s | SHA-256 pass alone s | ÷ floor | CLI start-up s | ÷ floor | start-up peak MiB | INT8 first run × floor | FP16 first run × floor |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const m of run.models) {
    const find = (mode: BenchResultRow['mode']) => rowOf(run, m.name, 'node', mode);
    const floor = find('floor');
    const hash = floor?.detail?.['hashPassMs'] ?? null;
    const start = floor?.detail?.['startupMs'] ?? null;
    if (!floor?.ms || hash === null || start === null) continue;
    const x = (ms: number | null) => (ms === null ? '—' : `${(ms / floor.ms!).toFixed(2)}×`);
    const ours = (mode: 'int8' | 'fp16') => {
      const r = find(mode);
      return r && !r.error ? ratio(r.xFloor, 2, r.targets.floor) : '—';
    };
    out.push(
      `| ${modelLabel(m)} | ${s(floor.ms)} | ${s(hash)} | ${x(hash)} | ${s(start)} | ${x(start)} | ${mib(floor.detail?.['startupRssBytes'])} | ` +
        `${ours('int8')} | ${ours('fp16')} |`,
    );
  }
  return out.length > 2 ? out : [];
}

/** The Chromium table: the app's quantize worker beside the floor in the page (File slices in, OPFS out). */
export function chromiumTable(run: BenchResults): string[] {
  const out = [
    '| model (input) | mode | ours s | floor s | × floor (≤ 2) | Δ MiB | target MiB | ÷ target (≤ 1) | browser peak MiB | load |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const m of run.models) {
    const find = (mode: BenchResultRow['mode']) => rowOf(run, m.name, 'chromium', mode);
    const floor = find('floor');
    for (const mode of ['int8', 'fp16'] as const) {
      const r = find(mode);
      if (!r) continue;
      const mem = r.deltaRssBytes != null && r.targetBytes ? r.deltaRssBytes / r.targetBytes : null;
      out.push(
        `| ${modelLabel(m)} | ${MODE[mode]} | ${failed(r) ?? s(r.ms)} | ${failed(floor) ?? s(floor?.ms ?? null)} | ${ratio(r.xFloor, 2, r.targets.floor)} | ` +
          `${mib(r.deltaRssBytes)} | ${mib(r.targetBytes)} | ${ratio(mem, 2, r.targets.memory)} | ${mib(r.peakRssBytes)} | ${load(r)} |`,
      );
    }
  }
  return out;
}

export function readmeTables(run: BenchResults): string {
  return [
    'Node (the CLI as a subprocess):',
    '',
    ...nodeTable(run),
    '',
    ...(boundsTable(run).length
      ? [
          "Two parts of every first run in Node, each timed alone (the hash pass bounds one-file models only: an external-data model's .onnx is small):",
          '',
          ...boundsTable(run),
          '',
        ]
      : []),
    "Chromium (the app's quantize worker, headless):",
    '',
    ...chromiumTable(run),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: npx tsx bench/readme-table.ts bench/results/<date>.json');
  console.log(readmeTables(JSON.parse(readFileSync(file, 'utf8')) as BenchResults));
}
