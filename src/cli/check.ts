/**
 * `ava-quant check <original> <quantized>`: the page's quality report on onnxruntime-node, as a deployment gate.
 * Exit 0 when the verdict passes, 7 when it does not. Models of any size: each is opened by streaming (its structure
 * only; tensor payloads stay on disk) and onnxruntime-node loads it by path with its external data; the models are
 * never read into a JS buffer, and only one is loaded at a time.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import {
  DEFAULT_THRESHOLD,
  PROBE_FILES,
  type PoolingConfigJson,
  type QualityReport,
  type SentenceSet,
  formatReportText,
  loadProbes,
  runQualityCheck,
  sentencesFromStrings,
} from '../core/quality/index.js';
import type { ModelSpec, OrtModule } from '../core/quality/index.js';
import { openModel } from '../core/onnx/open.js';
import { modelFilesOf, sha256File } from '../node/files.js';
import { CliError, type CliIo, EXIT } from './io.js';
import { type Progress, createProgress } from './progress.js';

export const CHECK_USAGE = `Usage:
  ava-quant check <original.onnx> <quantized.onnx> [options]

Either model may be a Hugging Face id (org/name[@rev], hf:org/name@rev) or an .onnx URL, downloaded into the cache
with its tokenizer and pooling config (--file onnx/model_x.onnx picks the file when a repository has several).

Runs both models on probe sentences and compares their embeddings (cosine, retrieval top-k overlap).
Exits 7 when the mean cosine is below the threshold, so it can gate a deployment.

Options:
  --tokenizer FILE      tokenizer.json (default: next to the original model or one folder up)
  --pooling FILE        1_Pooling/config.json (default: found the same way; else mean pooling)
  --probes LIST         en, multi, or a text file with one sentence per line; comma-separated (default en,multi).
                        The verdict is over these texts; the retrieval sets are reported apart.
  --output NAME         the model output to read (default: sentence_embedding-like, else last_hidden_state)
  --pool MODE           mean, cls or none (read the output as sentence vectors); overrides --pooling
  --threshold X         pass when mean cosine >= X (default ${DEFAULT_THRESHOLD})
  --json                print the full report as JSON`;

const PROBE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/probes');

/** tokenizer.json / 1_Pooling/config.json next to the model, or in the folder above (Hugging Face layout: onnx/model.onnx). */
function findBeside(model: string, rel: string): string | null {
  for (const dir of [dirname(model), dirname(dirname(model))]) {
    const p = join(dir, rel);
    if (existsSync(p)) return p;
  }
  return null;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${(e as Error).message}`, existsSync(path) ? EXIT.usage : EXIT.notFound);
  }
}

export async function runCheckCommand(args: string[], flags: Record<string, string | boolean>, io: CliIo): Promise<number> {
  if (args.length !== 2) throw new CliError(`check takes <original.onnx> <quantized.onnx>\n${CHECK_USAGE}`, EXIT.usage);
  const { isRemoteModelArg, resolveModelArg } = await import('./hub.js');
  const file = typeof flags.file === 'string' ? flags.file : null;
  if (file && !args.some(isRemoteModelArg)) throw new CliError('--file chooses a file of a Hugging Face repository; neither model is one', EXIT.usage);
  const poolMode = flags.pool;
  if (poolMode !== undefined && !['mean', 'cls', 'none'].includes(String(poolMode))) throw new CliError('--pool takes mean, cls or none', EXIT.usage);
  if (flags.output !== undefined && (typeof flags.output !== 'string' || !flags.output)) throw new CliError('--output takes an output name', EXIT.usage);
  // A Hugging Face id or URL is downloaded into the cache; its tokenizer and pooling config come with it.
  const resolveArg = (a: string) => resolveModelArg(a, { io, file: isRemoteModelArg(a) ? file : null });
  const origPath = await resolveArg(args[0]!);
  const quantPath = await resolveArg(args[1]!);
  // The models are streamed (structure only) and loaded by onnxruntime-node from their paths: only check they are files.
  for (const p of [origPath, quantPath]) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CliError(`file not found: ${p}`, EXIT.notFound);
    }
    if (st.isDirectory()) throw new CliError(`${p} is a directory, not a file`, EXIT.notFound);
  }
  const threshold = flags.threshold === undefined ? DEFAULT_THRESHOLD : Number(flags.threshold);
  if (!Number.isFinite(threshold) || threshold < -1 || threshold > 1) throw new CliError('--threshold takes a number between -1 and 1', EXIT.usage);

  const tokPath = typeof flags.tokenizer === 'string' ? flags.tokenizer : findBeside(origPath, 'tokenizer.json');
  const tokenizer = tokPath
    ? {
        tokenizerJson: readJson(tokPath, 'tokenizer') as object,
        tokenizerConfig: (() => {
          const c = join(dirname(tokPath), 'tokenizer_config.json');
          return existsSync(c) ? (readJson(c, 'tokenizer config') as object) : undefined;
        })(),
      }
    : null;
  const poolPath = typeof flags.pooling === 'string' ? flags.pooling : findBeside(origPath, join('1_Pooling', 'config.json'));
  const pooling = poolMode ? (String(poolMode) as 'mean' | 'cls' | 'none') : poolPath ? (readJson(poolPath, 'pooling config') as PoolingConfigJson) : undefined;

  const probes = await loadProbes(async (f) => readJson(join(PROBE_DIR, f), 'probe set'), PROBE_FILES);
  const wanted = (typeof flags.probes === 'string' ? flags.probes : 'en,multi').split(',').map((s) => s.trim()).filter(Boolean);
  const sentenceSets: SentenceSet[] = [];
  for (const w of wanted) {
    const builtin = probes.sentenceSets.find((s) => s.id === w);
    if (builtin) sentenceSets.push(builtin);
    else if (existsSync(w)) sentenceSets.push(sentencesFromStrings(readFileSync(w, 'utf8').split(/\r?\n/).filter((l) => l.trim()), w));
    else throw new CliError(`--probes: '${w}' is neither a built-in set (${probes.sentenceSets.map((s) => s.id).join(', ')}) nor a file`, EXIT.usage);
  }

  // One progress line per phase (load, tokenize, embed, …), each with its own 0..100%.
  const phases = new Map<string, Progress>();
  const progress = {
    update: (phase: string, done: number, total: number) => {
      if (!phases.has(phase)) phases.set(phase, createProgress(io, `check ${phase}`));
      phases.get(phase)!.update(total ? done / total : 1);
    },
    finish: () => phases.forEach((p) => p.finish()),
  };
  // Each model: its folder as siblings (external data by relative path), opened for its structure only; onnxruntime
  // loads it by path. The handles close when the check is done.
  const opened: { close(): Promise<void> }[] = [];
  const spec = (path: string): ModelSpec => ({
    name: path,
    structure: async () => {
      const files = modelFilesOf(path);
      opened.push(files);
      return (await openModel(files)).model;
    },
    load: { path },
    sha256: () => sha256File(path),
  });
  let report: QualityReport;
  try {
    report = await runQualityCheck({
      ort: ort as unknown as OrtModule,
      original: spec(origPath),
      quantized: spec(quantPath),
      tokenizer,
      ...(pooling ? { pooling } : {}),
      ...(typeof flags.output === 'string' ? { outputName: flags.output } : {}),
      sentenceSets,
      retrievalSets: probes.retrievalSets,
      threshold,
      backend: 'onnxruntime-node cpu',
      sessionOptions: { executionProviders: ['cpu'] },
      providersRan: ['cpu'],
      onProgress: (p) => progress.update(p.phase, p.done, p.total),
    });
  } finally {
    await Promise.all(opened.map((f) => f.close().catch(() => undefined)));
  }
  progress.finish();
  io.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReportText(report)}\n`);
  return report.verdict.pass ? EXIT.ok : EXIT.belowThreshold;
}
