/**
 * `ava-quant check <original> <quantized>`: the page's quality report on onnxruntime-node, as a deployment gate.
 * Exit 0 when the verdict passes, 7 when it does not.
 */
import { existsSync, readFileSync } from 'node:fs';
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
import type { OrtModule } from '../core/quality/ort.js';
import { CliError, type CliIo, EXIT, readInput } from './io.js';
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
  --probes LIST         en, multi, or a text file with one sentence per line; comma-separated (default en,multi)
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
  // A Hugging Face id or URL is downloaded into the cache; its tokenizer and pooling config come with it.
  const resolveArg = (a: string) => resolveModelArg(a, { io, file: isRemoteModelArg(a) ? file : null });
  const origPath = await resolveArg(args[0]!);
  const quantPath = await resolveArg(args[1]!);
  const original = readInput(origPath);
  const quantized = readInput(quantPath);
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
  const pooling = poolPath ? (readJson(poolPath, 'pooling config') as PoolingConfigJson) : undefined;

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
  const report: QualityReport = await runQualityCheck({
    ort: ort as unknown as OrtModule,
    original: { bytes: original, name: origPath },
    quantized: { bytes: quantized, name: quantPath },
    tokenizer,
    ...(pooling ? { pooling } : {}),
    sentenceSets,
    retrievalSets: probes.retrievalSets,
    threshold,
    backend: 'onnxruntime-node cpu',
    sessionOptions: { executionProviders: ['cpu'] },
    providersRan: ['cpu'],
    onProgress: (p) => progress.update(p.phase, p.done, p.total),
  });
  progress.finish();
  io.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReportText(report)}\n`);
  return report.verdict.pass ? EXIT.ok : EXIT.belowThreshold;
}
