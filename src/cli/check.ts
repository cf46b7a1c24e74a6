/**
 * `ava-quant check <original> <quantized>`: the page's quality report on onnxruntime-node, as a deployment gate.
 * Exit 0 when the verdict passes, 7 when it does not. Models of any size: each is opened by streaming (its structure
 * only; tensor payloads stay on disk) and onnxruntime-node loads it by path with its external data; the models are
 * never read into a JS buffer, and only one is loaded at a time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { statInput } from './pipeline.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COSINE_BAR_RANGE,
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
import { CliError, type CliIo, EXIT, POOLING_MODES, numberFlag, unknownValue } from './io.js';
import { numberRangeText } from '../core/modes/options.js';
import { WHERE_CHOICES, checkTarget, qualityBackendFor, type TargetCheck } from '../core/targets/index.js';
import { externalDataFiles } from '../core/quality/index.js';
import { takeTargetFlags, targetLines, type TargetChoice } from './target-check.js';
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
  --threshold X         pass when mean cosine >= X (${numberRangeText(COSINE_BAR_RANGE)}; default ${DEFAULT_THRESHOLD})
  --target T            where the quantized model will run (${WHERE_CHOICES.join(', ')}): the check runs on the
                        backend that matches it (browser-wasm: onnxruntime-web WASM; browser-webgpu: Node has no
                        WebGPU, so onnxruntime-web WASM stands in, and the report says so; the CPU targets:
                        onnxruntime-node CPU, approximating the device) and the quantized model is checked against
                        the target's kernels (exit 9 when a node cannot run there)
  --runtime-version V   the target runtime's version (default: the target's)
  --json                print the full report as JSON (with "target" when --target is given)

Exit codes: 0 pass, 7 below the threshold, 9 the quantized model cannot run on --target (ahead of 7), 2 usage,
3 not found, 4 not a model, 8 download failed, 130 cancelled.`;

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
    // One line: a JSON parser's message can quote the file's own newlines.
    const why = (e as Error).message.replace(/\s+/g, ' ');
    throw new CliError(`cannot read ${what} ${path}: ${why}`, existsSync(path) ? EXIT.usage : EXIT.notFound);
  }
}

/**
 * `--output NAME` must be one of the original model's graph outputs: a usage error naming the value and the outputs
 * it has (exit 2), not a failed check. A model that does not open is left to the check (its report says why, exit 4).
 */
async function checkOutputName(path: string, name: string): Promise<void> {
  const files = modelFilesOf(path);
  let names: string[];
  try {
    names = (await openModel(files)).model.graph.outputs.map((o) => o.name);
  } catch {
    return;
  } finally {
    await files.close();
  }
  if (!names.includes(name)) throw unknownValue('--output', name, names);
}

export async function runCheckCommand(args: string[], flags: Record<string, string | boolean>, io: CliIo): Promise<number> {
  if (args.length !== 2) throw new CliError(`check takes <original.onnx> <quantized.onnx>\n${CHECK_USAGE}`, EXIT.usage);
  const { isRemoteModelArg, resolveModelArg } = await import('./hub.js');
  const file = typeof flags.file === 'string' ? flags.file : null;
  if (file && !args.some(isRemoteModelArg))
    throw new CliError('--file chooses a file of a Hugging Face repository; neither model is one', EXIT.usage);
  const poolMode = flags.pool;
  if (poolMode !== undefined && !POOLING_MODES.includes(String(poolMode))) throw unknownValue('--pool', String(poolMode), POOLING_MODES);
  if (flags.output !== undefined && (typeof flags.output !== 'string' || !flags.output))
    throw new CliError('--output takes an output name', EXIT.usage);
  // A Hugging Face id or URL is downloaded into the cache; its tokenizer and pooling config come with it.
  const resolveArg = (a: string) => resolveModelArg(a, { io, file: isRemoteModelArg(a) ? file : null });
  const origPath = await resolveArg(args[0]!);
  const quantPath = await resolveArg(args[1]!);
  // The models are streamed (structure only) and loaded by onnxruntime-node from their paths: only check they are files.
  for (const p of [origPath, quantPath]) statInput(p);
  if (typeof flags.output === 'string') await checkOutputName(origPath, flags.output);
  // --target: the backend that matches it, and the quantized model against its kernels.
  if (flags['runtime-version'] !== undefined && flags.target === undefined)
    throw new CliError('--runtime-version goes with --target', EXIT.usage);
  const target: TargetChoice | null =
    flags.target === undefined
      ? null
      : takeTargetFlags([
          ...(typeof flags.target === 'string' ? ['--target', flags.target] : ['--target']),
          ...(typeof flags['runtime-version'] === 'string' ? ['--runtime-version', flags['runtime-version']] : []),
        ]).target;
  const choice = target ? qualityBackendFor(target.id).cli : { backend: 'onnxruntime-node cpu' as const, exact: true, note: null };
  const threshold =
    flags.threshold === undefined ? DEFAULT_THRESHOLD : numberFlag('--threshold', String(flags.threshold), COSINE_BAR_RANGE);

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
  const pooling = poolMode
    ? (String(poolMode) as 'mean' | 'cls' | 'none')
    : poolPath
      ? (readJson(poolPath, 'pooling config') as PoolingConfigJson)
      : undefined;

  const probes = await loadProbes(async (f) => readJson(join(PROBE_DIR, f), 'probe set'), PROBE_FILES);
  const wanted = (typeof flags.probes === 'string' ? flags.probes : 'en,multi')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const sentenceSets: SentenceSet[] = [];
  for (const w of wanted) {
    const builtin = probes.sentenceSets.find((s) => s.id === w);
    if (builtin) sentenceSets.push(builtin);
    else if (existsSync(w))
      sentenceSets.push(
        sentencesFromStrings(
          readFileSync(w, 'utf8')
            .split(/\r?\n/)
            .filter((l) => l.trim()),
          w,
        ),
      );
    else
      throw new CliError(
        `--probes: '${w}' is neither a built-in set (${probes.sentenceSets.map((s) => s.id).join(', ')}) nor a file`,
        EXIT.usage,
      );
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
  const views = new Map<string, import('../core/onnx/model.js').ModelView>();
  const spec = (path: string): ModelSpec => ({
    name: path,
    structure: async () => {
      const files = modelFilesOf(path);
      opened.push(files);
      const view = (await openModel(files)).model;
      views.set(path, view);
      return view;
    },
    // onnxruntime-node reads the model and its external data by path; onnxruntime-web takes bytes (its 4 GiB limit).
    load:
      choice.backend === 'onnxruntime-node cpu'
        ? { path }
        : async () => ({
            bytes: new Uint8Array(readFileSync(path)),
            externalData: await Promise.all(
              externalDataFiles(views.get(path)!).map(async ({ location, source }) => ({
                path: location,
                data: await source.read(0, source.size),
              })),
            ),
          }),
    sha256: () => sha256File(path),
  });
  const ortModule: OrtModule =
    choice.backend === 'onnxruntime-node cpu'
      ? ((await import('onnxruntime-node')) as unknown as OrtModule) // loaded on use (a native binding: start-up time, memory)
      : await import('onnxruntime-web').then((web) => {
          web.env.wasm.numThreads = 1;
          return web as unknown as OrtModule;
        });
  let report: QualityReport;
  try {
    report = await runQualityCheck({
      ort: ortModule,
      original: spec(origPath),
      quantized: spec(quantPath),
      tokenizer,
      ...(pooling ? { pooling } : {}),
      ...(typeof flags.output === 'string' ? { outputName: flags.output } : {}),
      sentenceSets,
      retrievalSets: probes.retrievalSets,
      threshold,
      backend: choice.backend,
      sessionOptions: { executionProviders: [choice.backend === 'onnxruntime-node cpu' ? 'cpu' : 'wasm'] },
      providersRan: [choice.backend === 'onnxruntime-node cpu' ? 'cpu' : 'wasm'],
      onProgress: (p) => progress.update(p.phase, p.done, p.total),
    });
  } finally {
    await Promise.all(opened.map((f) => f.close().catch(() => undefined)));
  }
  progress.finish();
  let check: TargetCheck | null = null;
  if (target) {
    if (choice.note) report.backend.note = `${report.backend.note}; for --target ${target.id}: ${choice.note}`;
    let view = views.get(quantPath);
    if (!view) {
      // The check could not open it (its report says why): the kernels are checked on what opens.
      const files = modelFilesOf(quantPath);
      try {
        view = (await openModel(files)).model;
      } catch (e) {
        throw new CliError(`${quantPath}: ${(e as Error).message}`, EXIT.badModel);
      } finally {
        await files.close();
      }
    }
    check = checkTarget(view, target.id, target.runtimeVersion ? { runtimeVersion: target.runtimeVersion } : {});
  }
  if (flags.json)
    io.stdout(
      `${JSON.stringify(check && target ? { ...report, target: { ...check, requested: true, runtimeVersionAsked: target.runtimeVersion, backend: choice } } : report, null, 2)}\n`,
    );
  else
    io.stdout(
      `${[
        formatReportText(report),
        ...(check && target
          ? [
              '',
              `backend for --target ${target.id}: ${choice.backend}${choice.exact ? " (the target's own)" : ''}${choice.note ? ` — ${choice.note}` : ''}`,
              ...targetLines(check, target),
            ]
          : []),
      ].join('\n')}\n`,
    );
  // A file that is not a readable model (or lacks its external data) is exit 4, as --help says, not a quality failure.
  const unreadable = (['original', 'quantized'] as const).filter((k) => report.models[k].error);
  for (const k of unreadable) io.stderr(`ava-quant: ${k === 'original' ? origPath : quantPath}: ${report.models[k].error}\n`);
  if (unreadable.length) return EXIT.badModel;
  if (check && !check.ok) return EXIT.cannotRun;
  return report.verdict.pass ? EXIT.ok : EXIT.belowThreshold;
}
