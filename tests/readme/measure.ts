/**
 * The README's measured figures, made the way a user would make them with the product:
 *
 *   npm run cli -- quantize .cache/fixtures/text/all-MiniLM-L6-v2/model.onnx out.onnx <mode> [--preset P …]
 *   npm run cli -- check .cache/fixtures/text/all-MiniLM-L6-v2/model.onnx out.onnx --probes en
 *
 * "size" is the output's bytes / the fp32 file's; "mean cosine" is the `en` row of the check: the 107 sentences of
 * public/probes/en.json, tokenized with the fixture's tokenizer.json, mean-pooled (1_Pooling), cosine of the fp32
 * and the quantized embedding per sentence, on onnxruntime-node (CPU). The check embeds texts 16 at a time; dynamic
 * INT8 quantizes activations per batch, so a sentence's INT8 embedding depends on its neighbours and other ways of
 * batching give other numbers in the third decimal (tests/int8/quality.test.ts embeds one sentence per run).
 *
 * `measureAll()` runs the same core calls as those two commands (runMode, runQualityCheck with the CLI's options);
 * tests/readme/numbers.test.ts compares them with the README at the printed precision, `npm run readme:numbers`
 * prints them.
 */
import { runMode } from '../../src/core/modes/run.js';
import type { ModeRequest } from '../../src/core/modes/registry.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { runQualityCheck } from '../../src/core/quality/index.js';
import { TOOL } from '../../src/core/tool.js';
import { englishSets, miniLM, onNodeCpu, probes } from '../quality/helpers.js';

/** What the CLI records for `model.onnx` (same length as any real run: the figures do not depend on it). */
const PROVENANCE = { source: { name: 'model.onnx', sha256: '0'.repeat(64) }, toolVersion: TOOL.version, date: '2026-01-01T00:00:00.000Z' };

export interface Case {
  /** How the README names the row. */
  id: string;
  /** The request `quantize` makes for the command line in `cli`. */
  request: ModeRequest;
  /** The flags after `quantize in out`. */
  cli: string;
}

export const CASES: Case[] = [
  { id: 'int8 avx512-vnni', request: { mode: 'int8', options: { preset: 'avx512-vnni' } }, cli: 'int8' },
  { id: 'int8 tjs-q8', request: { mode: 'int8', options: { preset: 'tjs-q8' } }, cli: 'int8 --preset tjs-q8' },
  { id: 'int8 ort-default', request: { mode: 'int8', options: { preset: 'ort-default' } }, cli: 'int8 --preset ort-default' },
  { id: 'int8 arm64', request: { mode: 'int8', options: { preset: 'arm64' } }, cli: 'int8 --preset arm64' },
  { id: 'int8 avx2', request: { mode: 'int8', options: { preset: 'avx2' } }, cli: 'int8 --preset avx2' },
  { id: 'fp16', request: { mode: 'fp16', options: {} }, cli: 'fp16' },
  { id: 'q4 tjs-q4', request: { mode: 'q4', options: { preset: 'tjs-q4' } }, cli: 'q4' },
  {
    id: 'q4 b32 zp gather',
    request: { mode: 'q4', options: { preset: 'tjs-q4', blockSize: 32, symmetric: false, opTypes: ['MatMul', 'Gather'] } },
    cli: 'q4 --no-symmetric --op-types MatMul,Gather',
  },
  { id: 'q4f16', request: { mode: 'q4f16', options: { preset: 'tjs-q4' } }, cli: 'q4f16' },
];

export interface Measured {
  id: string;
  cli: string;
  inputBytes: number;
  outputBytes: number;
  /** outputBytes / inputBytes × 100. */
  sizePercent: number;
  /** Mean cosine of the `en` row (107 sentences). */
  meanCosine: number;
  sentences: number;
}

export async function measure(c: Case): Promise<Measured> {
  const m = await miniLM();
  const p = await probes();
  const req = { ...c.request, options: { ...c.request.options, provenance: PROVENANCE } } as ModeRequest;
  const out = await collectPieces((await runMode(parseModel(m.bytes), req)).parts);
  // The CLI's check, with --probes en (src/cli/check.ts).
  const r = await runQualityCheck({
    ...onNodeCpu(m),
    original: { bytes: m.bytes, name: 'model.onnx' },
    quantized: { bytes: out, name: 'out.onnx' },
    sentenceSets: englishSets(p),
    retrievalSets: p.retrievalSets,
    providersRan: ['cpu'],
  });
  if (r.errors.length) throw new Error(`the check failed: ${r.errors.join('; ')}`);
  const en = r.cosine?.bySet['en'];
  if (!en || en.mean === null) throw new Error('the check has no en row');
  return {
    id: c.id,
    cli: c.cli,
    inputBytes: m.bytes.length,
    outputBytes: out.length,
    sizePercent: (100 * out.length) / m.bytes.length,
    meanCosine: en.mean,
    sentences: en.count,
  };
}

export async function measureAll(cases: readonly Case[] = CASES): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const c of cases) out.push(await measure(c));
  return out;
}

// `npm run readme:numbers`: print them.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*[\\/]tests[\\/]/, 'tests/'))) {
  for (const r of await measureAll())
    console.log(
      `${r.id.padEnd(20)} ${r.sizePercent.toFixed(2)}%  mean cosine ${r.meanCosine.toFixed(7)} over ${r.sentences} sentences   (quantize … ${r.cli}; check … --probes en)`,
    );
}
