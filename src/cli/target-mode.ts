/**
 * `ava-quant quantize <in> <out> target --min-cosine X [--min-top5 Y] …`: target mode ("the smallest model that still
 * meets my bar", src/core/mixed) from the command line, through the Node entry src/node/target.ts on onnxruntime-node.
 * Prints the precision chosen per layer group, every measured size-vs-quality point, the verdict (saying so when
 * nothing smaller than plain INT8 met the bar) and the answer's full quality report. Results are cached in
 * $AVA_CACHE_DIR/target/ (default ~/.cache/ava-quant/target/), one JSON report per run named by the engine's cache key
 * (src/core/mixed/target.ts targetCacheKey: the model's digest, bar, options, probes, tokenizer, pooling, engine
 * version) and the backend; a cached run rebuilds its answer from the report without measuring again.
 *
 * Target mode stays outside the mode registry's `run` (src/core/modes/): it needs onnxruntime, a tokenizer and the
 * probe sets, and measures dozens of candidate models, where a registry mode is a pure rewrite of the graph.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Precision, TargetReport } from '../core/mixed/index.js';
import { PRECISIONS } from '../core/mixed/index.js';
import { PRESET_NAMES, isPresetName, type PresetName } from '../core/int8/presets.js';
import { COSINE_BAR_RANGE, OVERLAP_BAR_RANGE, formatReportText } from '../core/quality/index.js';
import { AvaError } from '../core/errors.js';
import type { TargetCheck } from '../core/targets/index.js';
import {
  CliError,
  type CliIo,
  EXIT,
  EXIT_FOR_KIND,
  type OutputClaims,
  checkOutputPath,
  mb,
  needsValue,
  numberFlag,
  POOLING_MODES,
  withFlagNames,
  writeError,
} from './io.js';
import { OutputConflictError, OutputWriteError } from '../node/files.js';
import { numberRangeText, walkArgs } from '../core/modes/options.js';
import { checkNotInput, openInput, provenanceOf, statInput } from './pipeline.js';
import { createProgress } from './progress.js';
import { TARGETS, type TargetChoice, cannotRunMessage, checkModelFile, takeTargetFlags, targetLines } from './target-check.js';

export const TARGET_MODE_USAGE = `Usage:
  ava-quant quantize <in.onnx> <out.onnx> target --min-cosine X [--min-top5 Y] [options]

Target mode: the smallest model that still meets your bar. Each layer group (embeddings, layer.0 … layer.N, rest)
is quantized alone to each candidate precision (fp16, int8, q4) and measured on a subset of the probes; a precision
per group is chosen to meet the bar at the least predicted size; the answer is verified on the FULL probe set (and
the search tightens when it misses). Says so when nothing smaller than plain INT8 (default preset) meets the bar.
Runs onnxruntime-node on this machine; the tokenizer and pooling config are found next to the model (or one folder
up), as check finds them. Results are cached in $AVA_CACHE_DIR/target/ (default ~/.cache/ava-quant/target/).

Options:
  --min-cosine X        mean cosine (original vs answer) over the probe sentences must be >= X (${numberRangeText(COSINE_BAR_RANGE)})
  --min-top5 Y          top-5 retrieval overlap must be >= Y (${numberRangeText(OVERLAP_BAR_RANGE)}; needs a tokenizer); both bars when both given
  --probes LIST         the full probe set: en, multi or both (default en,multi); the retrieval sets always come along
  --subset N            sentences in the sensitivity subset (default 24)
  --candidates LIST     precisions a group may take besides fp32: ${PRECISIONS.filter((p) => p !== 'fp32').join(',')} (default all)
  --max-verifications N mixes verified on the full set by the search (default 6; plain INT8 and all-fp16 / all-q4 come on top)
  --no-uniform          do not measure all-fp16 and all-q4 on the full set
  --int8-preset P       the INT8 precision's preset (${PRESET_NAMES.join(', ')}; default avx512-vnni, or the --target's)
  --tokenizer FILE      tokenizer.json (default: next to the model or one folder up)
  --pooling FILE|MODE   1_Pooling/config.json, or mean, cls, none (default: found like the tokenizer; else mean)
  --target T            where it will run: the answer is checked against it before it is kept (exit 9), and INT8 uses
                        its preset unless --int8-preset; default android-arm64 for the check
  --runtime-version V   the target runtime's version
  --no-cache            measure again (the new report replaces the cached one)
  --json                print the target report as JSON (points, groups, chosen assignment, verdict, quality report)
  --force               overwrite <out.onnx>; keep an answer the target cannot run
  --fsync               flush the answer to disk before putting it in place (as quantize --fsync)

Exit codes: 0 a model smaller than the original met the bar (written), 7 nothing did (nothing written), 2 usage,
3 not found (an input, the output's folder), 4 not a valid model or cannot be quantized, 5 output exists (or another run wrote it
meanwhile), 6 disk full, 9 the answer cannot run on the target, 130 cancelled.`;

interface TargetFlags {
  minCosine?: number;
  minTop5?: number;
  probes?: string[];
  subset?: number;
  candidates?: Precision[];
  maxVerifications?: number;
  uniform: boolean;
  int8Preset?: PresetName;
  tokenizer?: string;
  pooling?: string;
  cache: boolean;
  json: boolean;
  force: boolean;
  fsync: boolean;
}

const VALUE = new Set([
  '--min-cosine',
  '--min-top5',
  '--probes',
  '--subset',
  '--candidates',
  '--max-verifications',
  '--int8-preset',
  '--tokenizer',
  '--pooling',
]);
const BOOL = new Set(['--no-uniform', '--no-cache', '--json', '--force', '--fsync']);

/**
 * The bar's flags and the engine's names for them (src/core/mixed/target.ts): the flag's range is the engine's,
 * and an engine message is said with the flag as typed.
 */
const BAR_FLAGS = {
  '--min-cosine': { key: 'minCosine', range: COSINE_BAR_RANGE },
  '--min-top5': { key: 'minTop5Overlap', range: OVERLAP_BAR_RANGE },
} as const;

/** Parses target mode's words (after --file / --target were taken out). Throws usage errors. */
export function parseTargetArgs(args: readonly string[]): { positionals: string[]; flags: TargetFlags } {
  const f: TargetFlags = { uniform: true, cache: true, json: false, force: false, fsync: false };
  const positionals = walkArgs(
    args,
    ({ flag, inline, value }) => {
      if (BOOL.has(flag)) {
        if (inline) throw new CliError(`${flag} takes no value`, EXIT.usage);
        if (flag === '--no-uniform') f.uniform = false;
        else if (flag === '--no-cache') f.cache = false;
        else if (flag === '--json') f.json = true;
        else if (flag === '--fsync') f.fsync = true;
        else f.force = true;
        return;
      }
      if (!VALUE.has(flag)) throw new CliError(`unknown option ${flag} for target mode\n${TARGET_MODE_USAGE}`, EXIT.usage);
      const v = value();
      const list = () =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
      switch (flag) {
        case '--min-cosine':
          f.minCosine = numberFlag(flag, v, BAR_FLAGS[flag].range);
          break;
        case '--min-top5':
          f.minTop5 = numberFlag(flag, v, BAR_FLAGS[flag].range);
          break;
        case '--probes':
          f.probes = list();
          for (const p of f.probes)
            if (p !== 'en' && p !== 'multi')
              throw new CliError(`--probes: target mode takes the shipped sets en and multi (got '${p}')`, EXIT.usage);
          break;
        case '--subset':
          f.subset = numberFlag(flag, v, { min: 1, max: 10_000, integer: true });
          break;
        case '--candidates': {
          const c = list();
          const bad = c.filter((x) => !PRECISIONS.includes(x as Precision) || x === 'fp32');
          if (bad.length || !c.length)
            throw new CliError(`--candidates takes ${PRECISIONS.filter((p) => p !== 'fp32').join(', ')} (got '${v}')`, EXIT.usage);
          f.candidates = c as Precision[];
          break;
        }
        case '--max-verifications':
          f.maxVerifications = numberFlag(flag, v, { min: 1, max: 100, integer: true });
          break;
        case '--int8-preset':
          if (!isPresetName(v)) throw new CliError(`--int8-preset: unknown preset '${v}' (use ${PRESET_NAMES.join(', ')})`, EXIT.usage);
          f.int8Preset = v;
          break;
        case '--tokenizer':
          f.tokenizer = v;
          break;
        case '--pooling':
          // A pooling mode, or a 1_Pooling/config.json: a word that is neither is a usage error naming both.
          if (!POOLING_MODES.includes(v) && !existsSync(v))
            throw new CliError(`--pooling: '${v}' is neither a pooling mode (${POOLING_MODES.join(', ')}) nor a file`, EXIT.usage);
          f.pooling = v;
          break;
      }
    },
    needsValue,
  );
  if (f.minCosine === undefined && f.minTop5 === undefined)
    throw new CliError(`target mode needs a bar: --min-cosine X and/or --min-top5 Y\n${TARGET_MODE_USAGE}`, EXIT.usage);
  return { positionals, flags: f };
}

const kv = (k: string, v: string) => `${k.padEnd(22)}${v}`;
const f4 = (x: number | null) => (x === null ? '—' : x.toFixed(4));
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;

/** The human report: bar, sizes, the precision per layer group, every measured point, the verdict, the quality report. */
export function targetModeLines(
  r: TargetReport,
  o: { input: string; output: string; written: boolean; cached: boolean; cacheFile: string | null; wallMs: number },
): string[] {
  const bar = [
    r.bar.minCosine !== undefined ? `mean cosine ≥ ${r.bar.minCosine}` : '',
    r.bar.minTop5Overlap !== undefined ? `top-5 overlap ≥ ${r.bar.minTop5Overlap}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const L = [
    kv('Input', o.input),
    kv('Output', o.written ? o.output : `${o.output} (not written)`),
    kv('Mode', 'target (the smallest mix of fp32 / fp16 / int8 / q4 per layer group that meets the bar)'),
    kv('Bar', `${bar} on ${r.probes.full}`),
    kv('Sensitivity subset', r.probes.subset),
    kv('Original size', `${mb(r.model.bytes)}`),
    kv(
      'Plain INT8',
      `${mb(r.int8.bytes)} (${pct(r.int8.bytes, r.model.bytes)}), mean cosine ${f4(r.int8.meanCosine)}, top-5 ${f4(r.int8.top5Overlap)}: ${r.int8.meetsBar ? 'meets' : 'misses'} the bar`,
    ),
    kv(
      'Answer',
      r.chosen
        ? `${mb(r.chosen.bytes)} (${pct(r.chosen.bytes, r.model.bytes)} of the original${r.verdict.smallerThanInt8 ? `, ${(100 * (1 - r.chosen.bytes / r.int8.bytes)).toFixed(1)}% smaller than plain INT8` : ''})`
        : 'none: only the float32 original meets the bar',
    ),
    kv('Verdict', r.verdict.statement),
    '',
    'Precision per layer group:',
  ];
  for (const g of r.groups) {
    const p: Precision = r.chosen?.assignment[g.id] ?? 'fp32';
    L.push(
      `  ${g.id.padEnd(14)}${p.padEnd(6)}${`${g.nodes} nodes`.padEnd(11)}weights ${mb(g.weightBytes)} -> ${mb(g.predictedBytes[p])}${g.candidates.length === 1 ? ' (no float weights: nothing to change)' : ''}`,
    );
  }
  L.push('', 'Size vs quality (every model measured; sensitivity points on the subset, the others on the full set):');
  L.push(
    `  ${'kind'.padEnd(12)}${'model'.padEnd(28)}${'MB'.padStart(9)}${'% of fp32'.padStart(11)}${'mean cos'.padStart(10)}${'min cos'.padStart(9)}${'top-5'.padStart(8)}  bar`,
  );
  const sorted = [...r.points].sort((a, b) =>
    a.kind === b.kind ? a.bytes - b.bytes : a.kind === 'sensitivity' ? 1 : b.kind === 'sensitivity' ? -1 : 0,
  );
  for (const p of sorted)
    L.push(
      `  ${p.kind.padEnd(12)}${p.label.slice(0, 27).padEnd(28)}${(p.bytes / 2 ** 20).toFixed(2).padStart(9)}${pct(p.bytes, r.model.bytes).padStart(11)}${f4(p.meanCosine).padStart(10)}${f4(p.minCosine).padStart(9)}${f4(p.top5Overlap).padStart(8)}  ${p.probes === 'subset' ? '(subset)' : p.meetsBar ? 'meets' : 'misses'}`,
    );
  for (const n of r.notes) L.push(kv('Note', n));
  L.push(
    kv(
      'Time',
      `${(r.timings.totalMs / 1000).toFixed(1)} s measured (sensitivity ${(r.timings.sensitivityMs / 1000).toFixed(1)} s, verify ${(r.timings.verifyMs / 1000).toFixed(1)} s)${o.cached ? `; this run took the cached report (${(o.wallMs / 1000).toFixed(1)} s)` : ''}`,
    ),
    kv(
      'Cache',
      o.cacheFile
        ? `${o.cached ? 'from' : 'saved to'} ${o.cacheFile} (key ${r.cacheKey.slice(0, 16)}…)`
        : 'off (--no-cache measures again; without the flag results are cached)',
    ),
  );
  if (r.quality) L.push('', 'Quality report of the answer (full probe set):', formatReportText(r.quality));
  return L;
}

/** Runs `quantize <in> <out> target …` (args after `quantize`, the mode word included). */
export async function runTargetModeCommand(allArgs: string[], io: CliIo): Promise<number> {
  if (allArgs.includes('--help') || allArgs.includes('-h')) {
    io.stdout(`${TARGET_MODE_USAGE}\n`);
    return EXIT.ok;
  }
  const { isRemoteModelArg, resolveModelArg, takeFileFlag, cacheRoot } = await import('./hub.js');
  const { args: withFile, file } = takeFileFlag(allArgs);
  const { args, target } = takeTargetFlags(withFile);
  const { positionals, flags } = parseTargetArgs(args);
  if (positionals.length !== 3 || positionals[2]!.toLowerCase() !== 'target')
    throw new CliError(`expected <in.onnx> <out.onnx> target\n${TARGET_MODE_USAGE}`, EXIT.usage);
  let input = (positionals as [string, string])[0];
  const output = (positionals as [string, string])[1];
  // What the answer may overwrite: what is there when the command begins (with --force), never a file another run
  // writes there meanwhile (exit 5 at the end).
  let claims: OutputClaims | null = null;
  if (isRemoteModelArg(input) || file) {
    claims = checkOutputPath(input, output, flags.force);
    input = await resolveModelArg(input, { io, file });
  }
  statInput(input);
  const here = checkOutputPath(input, output, flags.force);
  claims ??= here;

  // The provenance the answer records: the source's name and SHA-256, the tool version and the date.
  const opened = await openInput(input, { hashNow: true });
  try {
    checkNotInput(opened, [output]);
  } finally {
    await opened.close();
  }
  const provenance = provenanceOf(opened);

  const int8Preset: PresetName | undefined = flags.int8Preset ?? (target.requested ? TARGETS[target.id].int8Preset : undefined);
  const { runTargetModeOnFiles } = await import('../node/target.js');
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  const bar = createProgress(io, 'target');
  let check: TargetCheck | null = null;
  const t0 = Date.now();
  let res;
  try {
    res = await runTargetModeOnFiles({
      input,
      output,
      overwrite: flags.force,
      fsync: flags.fsync,
      outputClaim: claims.model,
      bar: {
        ...(flags.minCosine !== undefined ? { minCosine: flags.minCosine } : {}),
        ...(flags.minTop5 !== undefined ? { minTop5Overlap: flags.minTop5 } : {}),
      },
      ...(flags.probes ? { probeSets: flags.probes } : {}),
      ...(flags.subset !== undefined ? { sensitivitySentences: flags.subset } : {}),
      ...(flags.candidates ? { candidates: flags.candidates } : {}),
      ...(flags.maxVerifications !== undefined ? { maxVerifications: flags.maxVerifications } : {}),
      ...(flags.uniform ? {} : { uniform: false }),
      ...(int8Preset ? { int8: { preset: int8Preset } } : {}),
      ...(flags.tokenizer ? { tokenizer: flags.tokenizer } : {}),
      ...(flags.pooling ? { pooling: flags.pooling } : {}),
      cacheDir: flags.cache ? join(cacheRoot(), 'target') : null,
      provenance,
      onProgress: (p) => bar.update(p.fraction, undefined, `${p.phase}: ${p.message}`),
      signal: ac.signal,
      beforeCommit: async (tmp) => {
        check = await checkModelFile(tmp, target);
        if (!check.ok && !flags.force) throw new CannotRunAnswer(check);
      },
    });
  } catch (e) {
    bar.finish();
    throw toCliError(e, input, output, target, io, flags.json);
  } finally {
    process.off('SIGINT', onSig);
  }
  bar.finish();
  // Not cached, with no cache folder: the entry's cacheFile is null.
  const r = res.report;
  const wallMs = Date.now() - t0;
  const checked = check as TargetCheck | null;
  if (flags.json)
    io.stdout(
      `${JSON.stringify({ input, output, written: res.written, cached: res.cached, cacheFile: res.cacheFile, target: checked ? { ...checked, requested: target.requested, runtimeVersionAsked: target.runtimeVersion } : null, report: r }, null, 2)}\n`,
    );
  else
    io.stdout(
      `${[
        ...targetModeLines(r, { input, output, written: res.written, cached: res.cached, cacheFile: res.cacheFile, wallMs }),
        ...(checked ? ['', ...targetLines(checked, target)] : []),
      ].join('\n')}\n`,
    );
  if (!r.chosen) {
    io.stderr(`ava-quant: nothing smaller than the original met the bar; no file was written\n`);
    return EXIT.belowThreshold;
  }
  return EXIT.ok;
}

class CannotRunAnswer extends Error {
  constructor(readonly check: TargetCheck) {
    super(check.summary);
  }
}

function toCliError(e: unknown, input: string, output: string, target: TargetChoice, io: CliIo, jsonOut: boolean): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof CannotRunAnswer) {
    // Text: the findings on stdout before the one-line refusal; --json: the findings go with the error (main.ts).
    const json = {
      input,
      output,
      written: false,
      target: { ...e.check, requested: target.requested, runtimeVersionAsked: target.runtimeVersion },
    };
    if (!jsonOut) io.stdout(`${targetLines(e.check, target).join('\n')}\n`);
    return new CliError(cannotRunMessage(output, e.check), EXIT.cannotRun, null, json);
  }
  const err = e as Error;
  if (err?.name === 'AbortError') return new CliError('cancelled; nothing was written', EXIT.cancelled);
  // Writing the answer (or the cache file) failed: named by the file that failed (disk full: exit 6; written by
  // another run meanwhile: exit 5).
  if (e instanceof OutputWriteError || e instanceof OutputConflictError) return writeError(output, e);
  if (e instanceof AvaError) return new CliError(`${input}: ${e.message}`, EXIT_FOR_KIND[e.kind], e.kind);
  if (e instanceof RangeError)
    return new CliError(
      withFlagNames(
        e.message,
        Object.entries(BAR_FLAGS).map(([flag, { key }]) => [key, flag] as const),
      ),
      EXIT.usage,
    );
  if (e instanceof SyntaxError) return new CliError(`cannot read the tokenizer or pooling config: ${e.message}`, EXIT.usage);
  if ((e as NodeJS.ErrnoException)?.code === 'ENOENT')
    return new CliError(`file not found: ${(e as NodeJS.ErrnoException).path ?? err.message}`, EXIT.notFound);
  return new CliError(`${input}: ${err?.message ?? String(e)}`, EXIT.failure);
}
