/**
 * Target mode from files, in Node (onnxruntime-node): what `ava-quant quantize in out target --min-cosine X` will
 * call once the CLI wires it. Reads the model (external data included, brought inline), its tokenizer and pooling
 * config (next to it or one folder up, as `check` finds them) and the shipped probe sets; runs runTargetMode; writes
 * the answer to `output` through a temp file renamed at the end (nothing is left behind on failure or cancel; an
 * existing file is not overwritten) and the report as JSON when asked.
 *
 *   npx tsx scripts/target-mode.ts model.onnx out.onnx --min-cosine 0.995 [--min-top5 0.95] [--report r.json]
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { runTargetMode, type MixOptions, type Precision, type TargetBar, type TargetProgress, type TargetResult } from '../core/mixed/index.js';
import { openModel } from '../core/onnx/open.js';
import { collectPieces, writeModel } from '../core/onnx/writer.js';
import { PROBE_FILES, loadProbes, quickSelection, type OrtModule, type PoolingChoice, type ProbeBundle, type TokenizerFiles } from '../core/quality/index.js';
import { atomicFileSink, modelFilesOf } from './files.js';

const PROBE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/probes');

export interface TargetFilesOptions extends MixOptions {
  /** The float32 model (.onnx; its external data is read from its folder). */
  input: string;
  /** Where to write the answer (omit: measure only). Must not exist. */
  output?: string;
  /** Where to write the report as JSON (the quality report included). */
  reportPath?: string;
  bar: TargetBar;
  /** Sentence sets of the full probe set, by id (default en, multi); the retrieval sets always come with them. */
  probeSets?: string[];
  /** Sentences in the sensitivity subset (default 24). */
  sensitivitySentences?: number;
  candidates?: Precision[];
  maxVerifications?: number;
  uniform?: boolean;
  /** tokenizer.json / 1_Pooling/config.json (default: beside the model or one folder up). */
  tokenizer?: string;
  pooling?: string | 'mean' | 'cls' | 'none';
  onProgress?: (p: TargetProgress) => void;
  signal?: AbortSignal;
}

function beside(model: string, rel: string): string | null {
  for (const dir of [dirname(model), dirname(dirname(model))]) {
    const p = join(dir, rel);
    if (existsSync(p)) return p;
  }
  return null;
}

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

/** The shipped probe sets (public/probes): the chosen sentence sets and every retrieval set. */
export async function shippedProbes(sentenceSets: string[] = ['en', 'multi']): Promise<ProbeBundle> {
  const all = await loadProbes(async (f) => readJson(join(PROBE_DIR, f)), PROBE_FILES);
  const unknown = sentenceSets.filter((id) => !all.sentenceSets.some((s) => s.id === id));
  if (unknown.length) throw new RangeError(`unknown probe set(s) ${unknown.join(', ')} (built in: ${all.sentenceSets.map((s) => s.id).join(', ')})`);
  return { sentenceSets: all.sentenceSets.filter((s) => sentenceSets.includes(s.id)), retrievalSets: all.retrievalSets };
}

/** Runs target mode on a model file. Rejects with a message naming the file for unreadable input, and as runTargetMode does. */
export async function runTargetModeOnFiles(o: TargetFilesOptions): Promise<TargetResult> {
  if (o.output && existsSync(o.output)) throw new Error(`${o.output} exists: choose another output name (user files are never overwritten)`);
  const files = modelFilesOf(o.input);
  let bytes: Uint8Array;
  try {
    const opened = await openModel(files);
    if (opened.model.dataProblems.length) throw new Error(`${o.input}: ${opened.model.dataProblems.join('; ')}`);
    bytes = await collectPieces(writeModel(opened.model), o.signal);
  } finally {
    await files.close();
  }
  const tokPath = o.tokenizer ?? beside(o.input, 'tokenizer.json');
  const tokenizer: TokenizerFiles | null = tokPath
    ? { tokenizerJson: readJson(tokPath), tokenizerConfig: existsSync(join(dirname(tokPath), 'tokenizer_config.json')) ? readJson(join(dirname(tokPath), 'tokenizer_config.json')) : undefined }
    : null;
  const poolPath = o.pooling && !['mean', 'cls', 'none'].includes(o.pooling) ? o.pooling : beside(o.input, join('1_Pooling', 'config.json'));
  const pooling: PoolingChoice = o.pooling === 'mean' || o.pooling === 'cls' || o.pooling === 'none' ? o.pooling : poolPath ? readJson(poolPath) : undefined;
  const probes = await shippedProbes(o.probeSets);
  const result = await runTargetMode({
    ort: ort as unknown as OrtModule,
    model: bytes,
    name: o.input.split(/[\\/]/).pop()!,
    tokenizer,
    pooling,
    probes,
    sensitivityProbes: quickSelection(probes, o.sensitivitySentences ?? 24),
    bar: o.bar,
    ...(o.candidates ? { candidates: o.candidates } : {}),
    ...(o.maxVerifications !== undefined ? { maxVerifications: o.maxVerifications } : {}),
    ...(o.uniform !== undefined ? { uniform: o.uniform } : {}),
    ...(o.int8 ? { int8: o.int8 } : {}),
    ...(o.q4 ? { q4: o.q4 } : {}),
    ...(o.fp16 ? { fp16: o.fp16 } : {}),
    sessionOptions: { executionProviders: ['cpu'] },
    backend: 'onnxruntime-node cpu',
    onProgress: o.onProgress,
    signal: o.signal,
  });
  if (o.output && result.bytes) {
    const sink = await atomicFileSink(o.output);
    try {
      await sink.write(result.bytes);
      await sink.commit();
    } catch (e) {
      await sink.abort();
      throw e;
    }
  }
  if (o.reportPath) await writeFile(o.reportPath, JSON.stringify(result.report, null, 1));
  return result;
}
