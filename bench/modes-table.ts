/**
 * `npm run bench -- --modes-table` (or `--modes-table-only`): size / mean cosine / top-5 overlap of every mode on
 * every text-embedding fixture with a tokenizer — INT8 presets (recipes and Optimum's targets), FP16, Q4 variants, Q4F16 — and target mode
 * (src/core/mixed) at bars 0.995 and 0.99 mean cosine. Quality is the quality check's own measure
 * (src/core/mixed/evaluate.ts: same texts, batches, pooling and statistics as runQualityCheck) on the full shipped
 * probes (en + multi sentences; retrieval sets for the overlap), onnxruntime-node CPU. Nothing here is asserted.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { convertFp16 } from '../src/core/fp16/index.js';
import { quantizeInt8 } from '../src/core/int8/index.js';
import { RECIPE_NAMES } from '../src/core/int8/presets.js';
import { int8OptionsFor } from '../src/core/modes/int8/run.js';
import { createProbeEvaluator, runTargetMode, type Precision } from '../src/core/mixed/index.js';
import { collectPieces, parseModel, type Piece } from '../src/core/onnx/index.js';
import { quantizeQ4, quantizeQ4F16 } from '../src/core/q4/index.js';
import { loadProbes, type OrtModule, type PoolingConfigJson, type TokenizerFiles } from '../src/core/quality/index.js';
import { manifest, pathOf } from '../tests/helpers/fixtures.js';

export interface ModesRow {
  fixture: string;
  mode: string;
  variant: string;
  bytes: number;
  /** bytes / fp32 bytes. */
  ratio: number;
  meanCosine: number | null;
  minCosine: number | null;
  top5Overlap: number | null;
  /** Time to make the file (ms, in this process; target mode: the whole search). */
  makeMs: number;
  note?: string;
}

export interface ModesTableResult {
  rows: ModesRow[];
  notes: string[];
  probes: string;
}

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

export async function runModesTable(opts: { bars?: number[]; log?: (s: string) => void } = {}): Promise<ModesTableResult> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const bars = opts.bars ?? [0.995, 0.99];
  const all = await loadProbes(async (f) => json(`public/probes/${f}`));
  const probes = { sentenceSets: all.sentenceSets.filter((s) => s.id === 'en' || s.id === 'multi'), retrievalSets: all.retrievalSets };
  const rows: ModesRow[] = [];
  const notes: string[] = [];
  let probeText = '';
  for (const f of manifest().fixtures) {
    if (!f.kind.startsWith('text-embedding')) continue;
    if (f.kind !== 'text-embedding') {
      notes.push(
        `${f.name}: skipped (${f.kind === 'text-embedding-external-data' ? 'the same weights as all-MiniLM-L6-v2, stored as external data' : `kind ${f.kind}: already quantized, no float weights to quantize`})`,
      );
      continue;
    }
    if (!f.tokenizer) {
      notes.push(`${f.name}: skipped (no tokenizer: retrieval overlap needs real text)`);
      continue;
    }
    const extra = f.extra as Record<string, string>;
    const bytes = new Uint8Array(readFileSync(pathOf(f)));
    const tokenizer: TokenizerFiles = {
      tokenizerJson: json(pathOf(f, f.tokenizer)),
      tokenizerConfig: extra.tokenizerConfig ? json(pathOf(f, extra.tokenizerConfig)) : undefined,
    };
    const pooling = extra.poolingConfig ? (json(pathOf(f, extra.poolingConfig)) as PoolingConfigJson) : undefined;
    log(`modes table: ${f.name}: embedding the probes with fp32`);
    const evaluator = await createProbeEvaluator({
      ort: ort as unknown as OrtModule,
      original: bytes,
      probes,
      tokenizer,
      pooling,
      sessionOptions: { executionProviders: ['cpu'] },
    });
    probeText = evaluator.description;
    const model = parseModel(bytes);
    const cases: [string, string, () => Promise<{ parts: Piece[] }>][] = [
      ...RECIPE_NAMES.map((p): [string, string, () => Promise<{ parts: Piece[] }>] => [
        'INT8',
        p,
        () => quantizeInt8(model, { preset: p }),
      ]),
      // Optimum's targets, as `quantize … int8 --preset arm64|avx2` runs them (arm64 = avx512 = avx512_vnni).
      ['INT8', 'arm64 (Optimum; = avx512, avx512_vnni)', () => quantizeInt8(model, int8OptionsFor(model, { preset: 'arm64' }))],
      ['INT8', 'avx2 (Optimum)', () => quantizeInt8(model, int8OptionsFor(model, { preset: 'avx2' }))],
      ['FP16', 'default (float32 I/O)', () => convertFp16(model)],
      ['Q4', 'tjs-q4 (block 32, symmetric)', () => quantizeQ4(model, { preset: 'tjs-q4' })],
      ['Q4', 'block 32, zero points', () => quantizeQ4(model, { blockSize: 32, symmetric: false })],
      ['Q4', 'ort-default (block 128, zero points)', () => quantizeQ4(model, { preset: 'ort-default' })],
      [
        'Q4',
        'block 32, zero points, + Gather',
        () => quantizeQ4(model, { blockSize: 32, symmetric: false, opTypes: ['MatMul', 'Gather'] }),
      ],
      ['Q4F16', 'tjs-q4, q4-first', () => quantizeQ4F16(model, { preset: 'tjs-q4' })],
    ];
    rows.push({
      fixture: f.name,
      mode: 'fp32',
      variant: 'original',
      bytes: bytes.length,
      ratio: 1,
      meanCosine: 1,
      minCosine: 1,
      top5Overlap: 1,
      makeMs: 0,
    });
    for (const [mode, variant, make] of cases) {
      log(`modes table: ${f.name}: ${mode} ${variant}`);
      const t0 = performance.now();
      const out = await collectPieces((await make()).parts);
      const makeMs = performance.now() - t0;
      const m = await evaluator.evaluate(out);
      rows.push({
        fixture: f.name,
        mode,
        variant,
        bytes: out.length,
        ratio: out.length / bytes.length,
        meanCosine: m.meanCosine,
        minCosine: m.minCosine,
        top5Overlap: m.top5Overlap,
        makeMs,
      });
    }
    for (const bar of bars) {
      log(`modes table: ${f.name}: target mode, mean cosine >= ${bar}`);
      const t0 = performance.now();
      const { report } = await runTargetMode({
        ort: ort as unknown as OrtModule,
        model: bytes,
        name: f.name,
        tokenizer,
        pooling,
        probes,
        bar: { minCosine: bar },
        sessionOptions: { executionProviders: ['cpu'] },
      });
      const makeMs = performance.now() - t0;
      const c = report.chosen;
      const mix = c ? summarize(c.assignment) : 'none met the bar';
      rows.push({
        fixture: f.name,
        mode: 'target',
        variant: `mean cosine ≥ ${bar}: ${mix}`,
        bytes: c?.bytes ?? bytes.length,
        ratio: (c?.bytes ?? bytes.length) / bytes.length,
        meanCosine: c ? c.meanCosine : 1,
        minCosine: c ? c.minCosine : 1,
        top5Overlap: c ? c.top5Overlap : 1,
        makeMs,
        note: `${report.verdict.smallerThanInt8 ? 'smaller than plain INT8' : report.verdict.met ? 'nothing smaller than plain INT8 met it' : 'nothing met it'}; ${report.points.filter((x) => x.kind !== 'sensitivity').length} verified on the full set, ${report.points.filter((x) => x.kind === 'sensitivity').length} sensitivity runs`,
      });
      notes.push(`${f.name} target ${bar}: ${report.verdict.statement} (${(makeMs / 1000).toFixed(1)} s)`);
    }
  }
  return { rows, notes, probes: probeText };
}

function summarize(a: Record<string, Precision>): string {
  const by = new Map<Precision, string[]>();
  for (const [g, p] of Object.entries(a)) by.set(p, [...(by.get(p) ?? []), g.replace(/^layer\./, 'L')]);
  return [...by].map(([p, gs]) => `${p} ${gs.join(',')}`).join('; ');
}

export function modesTableText(r: ModesTableResult): string {
  const f4 = (x: number | null) => (x === null ? '—' : x.toFixed(4));
  const f3 = (x: number | null) => (x === null ? '—' : x.toFixed(3));
  return [
    `Every mode: size and quality vs fp32 (onnxruntime-node CPU; mean/min cosine over ${r.probes}; top-5 = mean overlap of the top-5 documents over the retrieval queries)`,
    '',
    '| fixture | mode | variant | MiB | % of fp32 | mean cosine | min cosine | top-5 overlap | make s | note |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.rows.map(
      (x) =>
        `| ${x.fixture} | ${x.mode} | ${x.variant} | ${(x.bytes / 2 ** 20).toFixed(2)} | ${(100 * x.ratio).toFixed(1)} | ${f4(x.meanCosine)} | ${f4(x.minCosine)} | ${f3(x.top5Overlap)} | ${(x.makeMs / 1000).toFixed(1)} | ${x.note ?? ''} |`,
    ),
    '',
    ...r.notes.map((n) => `- ${n}`),
  ].join('\n');
}
