/**
 * `ava-quant quantize <in> <out> <mode> [options]`. The modes, their flags and their help come from the registry and
 * each mode's option table (src/core/modes/); the flags every mode shares are SHARED_FLAGS below. Reading, the
 * run itself (core/modes/run.ts, the same call the app's worker makes), safe writing and the seed's size block are
 * shared; the lines after the size block are the report base every mode has, plus a mode's own (report-text.ts).
 */
import { MODE_IDS, MODE_METAS, type ModeId, type ModeRequest, isModeId, modeMeta, predictMode } from '../core/modes/registry.js';
import { OptionError, booleanFlags, helpLines, modeHelp, parseModeFlags, typicalSavingText } from '../core/modes/options.js';
import { initializerTable } from '../core/modes/predict.js';
import { inputBytes } from '../core/onnx/open.js';
import { CliError, type CliIo, EXIT, type OutputClaims, checkOutputPath, int, mb } from './io.js';
import { openInput, produce, provenanceOf, statInput } from './pipeline.js';
import { startTensorWorkers } from '../node/tensor-workers.js';
import { createProgress } from './progress.js';
import { reportLines } from './report-text.js';
import {
  TARGET_FLAGS,
  TARGETS,
  type TargetChoice,
  cannotRunMessage,
  checkModelFile,
  takeTargetFlags,
  targetLines,
} from './target-check.js';
import type { TargetCheck } from '../core/targets/index.js';

/**
 * The flags every mode shares (CLI only: the table of each mode is in its meta.ts). `page` says what the page does
 * instead; the README's option list shows both.
 */
export const SHARED_FLAGS = [
  {
    flag: '--force',
    value: null,
    help:
      'overwrite <out.onnx> if it exists (else exit 5), quantize a model that is already quantized (else exit 4 with what it already is), ' +
      'and write an output that rewrote nothing (else exit 4, "nothing to quantize: …")',
    page: 'a new download never overwrites; "Quantize anyway" for an already quantized model or when there is nothing to quantize',
  },
  { flag: '--json', value: null, help: 'print the report as JSON', page: 'Share → Export JSON' },
  {
    flag: '--fsync',
    value: null,
    help:
      'flush the output to disk before putting it in place, so a power cut right after cannot lose it (slower on big outputs; ' +
      'by default the output is written as cp, tar and onnx.save write: complete and in place when the command returns)',
    page: 'the browser decides (the origin-private file system or the file you picked)',
  },
  {
    flag: '--external-data',
    value: null,
    help: "write the weights to <out.onnx>_data next to the model (automatic over 2 GiB, protobuf's limit); the two files must stay together",
    page: 'automatic over 2 GiB (two downloads)',
  },
  ...TARGET_FLAGS,
  {
    flag: '--file',
    value: 'F',
    help: 'when <in.onnx> is a Hugging Face id or URL: which .onnx of the repository (e.g. onnx/model.onnx)',
    page: 'the file list of "Load from Hugging Face or URL"',
  },
] as const;

const EXIT_CODES =
  'Exit codes: 0 ok, 1 failure, 2 usage, 3 input or output folder not found, 4 not a valid ONNX model, refused, already quantized or nothing to quantize, 5 output exists (or another run wrote it meanwhile), 6 disk full, ' +
  '9 the output cannot run on the target (nothing written; --force keeps it)';

const sharedHelp = (): string[] => helpLines(SHARED_FLAGS.map((f) => [f.value ? `${f.flag} ${f.value}` : f.flag, f.help]));

export const QUANTIZE_USAGE = `Usage:
${MODE_METAS.map((m) => `  ava-quant quantize <in.onnx> <out.onnx> ${`${m.id} [options]`.padEnd(Math.max(...MODE_METAS.map((x) => x.id.length)) + 13)}${m.label}: ${typicalSavingText(m)} (quantize x y ${m.id} --help)`).join('\n')}
  ava-quant quantize <in.onnx> <out.onnx> target --min-cosine X   the smallest mix that meets a quality bar (quantize x y target --help)

Every mode:
${sharedHelp().join('\n')}

<in.onnx> may also be a Hugging Face id (org/name, org/name@rev, hf:org/name@rev) or an .onnx URL: downloaded
into the cache first.
${EXIT_CODES}`;

/** `quantize … <mode> --help`: the mode's description, its table, the shared flags. */
export function modeUsage(mode: ModeId): string {
  const m = modeMeta(mode);
  return [
    'Usage:',
    `  ava-quant quantize <in.onnx> <out.onnx> ${m.id} [options]`,
    '',
    m.description,
    '',
    'Options:',
    ...modeHelp(m),
    '',
    'Every mode:',
    ...sharedHelp(),
    EXIT_CODES,
  ].join('\n');
}

/** Flags that take no value, over every mode (so the mode word can be found before the mode is known). */
function noValueFlags(): Set<string> {
  return new Set(['--help', '-h', ...SHARED_FLAGS.filter((f) => !f.value).map((f) => f.flag), ...MODE_METAS.flatMap(booleanFlags)]);
}

/** The words that are not flags or flag values. */
export function positionals(args: readonly string[]): string[] {
  const bare = noValueFlags();
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (!a.includes('=') && !bare.has(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * The seed's report block: input, output, mode and expected reduction, sizes, reduction, saved, time. The expected
 * reduction is this model's, predicted from its weights with the run's options (`expectedBytes`: registry.ts
 * predictMode), not a fixed figure per mode.
 */
export function sizeBlock(
  input: string,
  output: string,
  mode: ModeId,
  sizes: { inBytes: number; expectedBytes: number; outBytes: number },
  ms: number,
): string[] {
  const kv = (k: string, v: string) => `${k.padEnd(22)}${v}`;
  const m = modeMeta(mode);
  const { inBytes, expectedBytes, outBytes } = sizes;
  const saved = inBytes - outBytes;
  return [
    kv('Input', input),
    kv('Output', output),
    kv('Mode', `${m.label} (expected: about ${pct(inBytes, expectedBytes)} for this model, predicted from its weights)`),
    kv('Original size', `${mb(inBytes)} (${int(inBytes)} bytes)`),
    kv('Quantized size', `${mb(outBytes)} (${int(outBytes)} bytes)`),
    kv('Size reduction', `${((100 * saved) / inBytes).toFixed(1)}%`),
    kv('Saved', mb(saved)),
    kv('Time', ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`),
  ];
}

export async function runQuantize(allArgs: string[], io: CliIo): Promise<number> {
  const { isRemoteModelArg, resolveModelArg, takeFileFlag } = await import('./hub.js');
  const { args: withFile, file } = takeFileFlag(allArgs);
  const { args: withShared, target } = takeTargetFlags(withFile);
  const has = (f: string) => withShared.includes(f);
  const force = has('--force');
  const json = has('--json');
  const externalData = has('--external-data');
  const fsync = has('--fsync');
  const help = has('--help') || has('-h');
  const args = withShared.filter((a) => !['--force', '--json', '--external-data', '--fsync', '--help', '-h'].includes(a));

  const mode = positionals(args)[2]?.toLowerCase();
  if (mode === 'target') {
    const { runTargetModeCommand } = await import('./target-mode.js');
    return runTargetModeCommand(allArgs, io);
  }
  if (!mode) {
    if (help) {
      io.stdout(`${QUANTIZE_USAGE}\n`);
      return EXIT.ok;
    }
    throw new CliError(`quantize takes <in.onnx> <out.onnx> <${MODE_IDS.join('|')}>\n${QUANTIZE_USAGE}`, EXIT.usage);
  }
  if (!isModeId(mode)) throw new CliError(`unknown mode '${mode}': use ${MODE_IDS.join(' or ')}\n${QUANTIZE_USAGE}`, EXIT.usage);
  if (help) {
    io.stdout(`${modeUsage(mode)}\n`);
    return EXIT.ok;
  }
  let parsed;
  try {
    parsed = parseModeFlags(modeMeta(mode), args);
  } catch (e) {
    if (e instanceof OptionError) throw new CliError(`${e.message}\n${modeUsage(mode)}`, EXIT.usage);
    throw e;
  }
  if (parsed.positionals.length !== 3) throw new CliError(`expected <in.onnx> <out.onnx> ${mode}\n${modeUsage(mode)}`, EXIT.usage);
  // --target picks INT8's preset (the target's Optimum arguments) unless --preset is given.
  const presetGiven = args.some((a) => a === '--preset' || a.startsWith('--preset='));
  if (mode === 'int8' && target.requested && !presetGiven) parsed.options.preset = TARGETS[target.id].int8Preset;
  const given = parsed.positionals as [string, string, string];
  let input = given[0];
  const output = given[1];

  // What the run may overwrite is what is there when it begins (with --force): a file another run writes there
  // meanwhile is never overwritten (exit 5 at the end).
  let claims: OutputClaims | null = null;
  if (isRemoteModelArg(input) || file) {
    // Refuse an existing output before downloading anything, then run the usual path on the downloaded copy.
    claims = checkOutputPath(input, output, force, { externalData });
    input = await resolveModelArg(input, { io, file });
  }
  const t0 = Date.now();
  statInput(input);
  const here = checkOutputPath(input, output, force, { externalData });
  claims ??= here;
  const progress = createProgress(io, mode);
  const opened = await openInput(input, { hashNow: true });
  // A big model's INT8 weights are quantized on a free core too (src/node/tensor-workers.ts); same bytes.
  const workers = startTensorWorkers({ mode, inputBytes: inputBytes(opened.opened.model), hashingBytes: opened.hashingBytes() });
  let result;
  // The output is checked against the target before it is kept (src/cli/target-check.ts).
  let check: TargetCheck | null = null;
  const beforeCommit = async (tmp: string) => {
    check = await checkModelFile(tmp, target);
    if (!check.ok && !force) throw new CannotRun(check);
  };
  try {
    const request = { mode, options: { ...parsed.options, provenance: provenanceOf(opened) } } as ModeRequest;
    ({ result } = await produce(opened, output, request, {
      startedAt: t0,
      onProgress: (f, b, item) => progress.update(f, b, item),
      externalData,
      fsync,
      force,
      beforeCommit,
      claims,
      ...(workers ? { lookahead: workers.lookahead } : {}),
    }));
    progress.finish();
  } catch (e) {
    progress.finish();
    if (e instanceof CannotRun) {
      // Nothing was kept: say what cannot run, then the one-line refusal (exit 9); --json: the findings go with the
      // error object (main.ts).
      if (!json) io.stdout(`${targetLines(e.check, target).join('\n')}\n`);
      throw new CliError(cannotRunMessage(output, e.check), EXIT.cannotRun, null, {
        input,
        output,
        written: false,
        target: targetJson(e.check, target),
      });
    }
    throw e;
  } finally {
    workers?.stop();
    await opened.close();
  }
  const ms = Date.now() - t0;
  const inBytes = inputBytes(opened.opened.model);
  const checked = check as TargetCheck | null;
  if (json)
    io.stdout(
      `${JSON.stringify(
        {
          input,
          output,
          totalMs: Math.round(ms),
          ...result.report,
          written: true,
          target: checked ? targetJson(checked, target) : null,
          tensorThreads: workers?.stats() ?? null,
        },
        null,
        2,
      )}\n`,
    );
  else
    io.stdout(
      `${[
        ...sizeBlock(
          input,
          output,
          mode,
          {
            inBytes,
            // Only the text report says what was expected (--json has the sizes themselves).
            expectedBytes: predictMode(mode, initializerTable(opened.opened.model), parsed.options),
            outBytes: result.outputBytes,
          },
          ms,
        ),
        ...reportLines(result.report),
        ...(checked ? targetLines(checked, target) : []),
        ...(checked && !checked.ok ? [`${'Warning'.padEnd(22)}kept because of --force although it cannot run on the target`] : []),
      ].join('\n')}\n`,
    );
  return EXIT.ok;
}

/** The target check in --json: checkTarget's result, whether --target named it, and the runtime version asked for. */
function targetJson(c: TargetCheck, t: TargetChoice) {
  return { ...c, requested: t.requested, runtimeVersionAsked: t.runtimeVersion };
}

/** "39.6% smaller" (or "3.0% larger") from the input's and the output's bytes. */
function pct(inBytes: number, outBytes: number): string {
  const p = inBytes ? 100 * (1 - outBytes / inBytes) : 0;
  return p >= 0 ? `${p.toFixed(1)}% smaller` : `${(-p).toFixed(1)}% larger`;
}

/** The output cannot run on the target (before it is kept). */
class CannotRun extends Error {
  constructor(readonly check: TargetCheck) {
    super(check.summary);
  }
}
