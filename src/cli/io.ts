/** What every subcommand shares: exit codes, one-line errors, reading inputs and writing outputs safely. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type OutputClaim, OutputConflictError, OutputWriteError, claimOutput, writeFileAtomicSync } from '../node/files.js';
import type { ErrorKind } from '../core/errors.js';
import { formatMiBFixed } from '../core/size.js';
import { fmtInt } from '../core/onnx/wire.js';
import { type NumberRange, OptionError, parseNumberOption, walkArgs } from '../core/modes/options.js';

/** Exit codes (documented in the README). 8: a download from the Hub or a URL failed; 9: the output cannot run on the target (`--target`, src/core/targets); 130: cancelled (Ctrl-C). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  badModel: 4,
  outputExists: 5,
  diskFull: 6,
  belowThreshold: 7,
  download: 8,
  cannotRun: 9,
  cancelled: 130,
} as const;

/** The exit code for each kind of user-facing error (src/core/errors.ts). */
export const EXIT_FOR_KIND: Record<ErrorKind, number> = {
  format: EXIT.badModel,
  refused: EXIT.badModel,
  'already-quantized': EXIT.badModel,
  'nothing-to-do': EXIT.badModel,
  options: EXIT.usage,
  tokenizer: EXIT.usage,
  read: EXIT.notFound,
  zip: EXIT.failure,
  abort: EXIT.cancelled,
  internal: EXIT.failure,
};

/** An error that ends the command with a one-line message and a specific exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
    /** The kind of the AvaError it came from, when it did (batch tells a skip from a failure by it). */
    readonly kind: ErrorKind | null = null,
    /**
     * With --json: what the command has to say besides the error (e.g. the target findings of a refused output),
     * printed on stdout with `error` added (main.ts).
     */
    readonly json: Record<string, unknown> | null = null,
  ) {
    super(message);
  }
}

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when stderr is a terminal (progress bars instead of quiet lines). */
  isTTY?: boolean;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: !!process.stderr.isTTY,
};

/** Files next to a model (name -> size), to resolve external data like the app does with dropped siblings. */
export function siblingsOf(path: string): Record<string, number> {
  const out: Record<string, number> = {};
  const dir = dirname(path);
  for (const name of readdirSync(dir)) {
    if (name === basename(path)) continue;
    try {
      const st = statSync(join(dir, name));
      if (st.isFile()) out[name] = st.size;
    } catch {
      /* unreadable entries are simply not siblings */
    }
  }
  return out;
}

/**
 * What a run may overwrite when it commits: the model path and its data file (`<out>_data`, written when the output
 * is split). See OutputClaim (src/node/files.ts): a file that appears or changes there meanwhile is never overwritten.
 */
export interface OutputClaims {
  model: OutputClaim;
  data: OutputClaim;
}

/** The data file a split output `out` writes next to it (`<out>_data`, as the writer's layout names it). */
export const dataPathOf = (out: string): string => join(dirname(out), `${basename(out)}_data`);

/**
 * Refuses an output path that would overwrite the input, exists (without force), or has no folder; with
 * `externalData` (--external-data), also an existing `<out>_data` without force. Returns what the run may overwrite
 * when it commits: the files there now, with --force; nothing else.
 */
export function checkOutputPath(input: string, output: string, force: boolean, opts: { externalData?: boolean } = {}): OutputClaims {
  if (resolve(input) === resolve(output))
    throw new CliError('the output must not be the input file (the input is never modified)', EXIT.usage);
  if (existsSync(output)) {
    if (statSync(output).isDirectory()) throw new CliError(`${output} is a directory`, EXIT.usage);
    if (!force) throw new CliError(`${output} exists (use --force to overwrite)`, EXIT.outputExists);
  }
  const data = dataPathOf(output);
  if (opts.externalData && !force && existsSync(data)) throw new CliError(`${data} exists (use --force to overwrite)`, EXIT.outputExists);
  if (!existsSync(dirname(resolve(output)))) throw missingFolder(dirname(output));
  return { model: claimOutput(output, force), data: claimOutput(data, force) };
}

/** The one-line error for an output folder that is not there: exit 3, as for an input that is not there. */
export const missingFolder = (dir: string): CliError =>
  new CliError(`the output folder ${dir} does not exist (create it first)`, EXIT.notFound);

/**
 * An error writing an output (an errno error, or an OutputWriteError naming the file that failed: a split output's
 * data file, not its model): disk full is exit 6, a folder that vanished exit 3, the rest exit 1. An output another
 * program wrote meanwhile (OutputConflictError) is exit 5, as an output that exists.
 */
export function writeError(out: string, e: unknown): CliError {
  if (e instanceof OutputConflictError)
    return new CliError(
      e.reason === 'exists'
        ? `${e.path} exists (use --force to overwrite)`
        : `${e.message}; nothing was written (run again, or choose another output)`,
      EXIT.outputExists,
    );
  const path = e instanceof OutputWriteError ? e.path : out;
  const cause = e instanceof OutputWriteError ? e.cause : e;
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new CliError(`disk full while writing ${path} (nothing was written)`, EXIT.diskFull);
  if (code === 'ENOENT' && !existsSync(dirname(resolve(path)))) return missingFolder(dirname(path));
  return new CliError(`cannot write ${path}: ${(cause as Error).message}`, EXIT.failure);
}

/**
 * Writes parts to a temporary file next to `out`, then places it as `claim` allows (src/node/files.ts placeAll):
 * a failure (disk full, ...) leaves no partial output behind; a file another program wrote there meanwhile is not
 * overwritten (exit 5).
 */
export function writeAtomically(out: string, parts: Uint8Array[], claim: OutputClaim): void {
  try {
    writeFileAtomicSync(out, parts, claim);
  } catch (e) {
    throw writeError(out, e);
  }
}

/** Sizes the way the seed's scripts print them: MiB with two decimals, labelled MB (src/core/size.ts). */
export const mb = (n: number): string => formatMiBFixed(n, { label: 'MB' });
/** A count with thousands separators, as toLocaleString('en-US') writes it (integers without ICU's start-up: fmtInt). */
export const int = (n: number): string => (Number.isInteger(n) ? fmtInt(n) : n.toLocaleString('en-US'));

/** A comma-separated option value as a list ("a, b,,c" -> ["a", "b", "c"]). */
export const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Walks a command's words: calls `onFlag(flag, value)` for each `--flag` / `--flag=value` (`value()` takes the
 * next word, or the part after `=`, and throws a usage error when there is none) and returns the other words.
 */
export function walkFlags(args: string[], onFlag: (flag: string, value: () => string) => void): string[] {
  return walkArgs(args, (w) => onFlag(w.flag, w.value), needsValue);
}

/**
 * The usage error for a value a flag does not take, one line: `--flag: unknown value 'x' (use a, b, c)`; every
 * enum-valued flag of every command says it this way.
 */
export const unknownValue = (flag: string, value: string, choices: readonly string[]): CliError =>
  new CliError(`${flag}: unknown value '${value}' (use ${choices.join(', ')})`, EXIT.usage);

/**
 * A number flag's value, checked by the rule the mode option tables use (src/core/modes/options.ts
 * parseNumberOption), so every numeric flag says its range the same way: `--flag must be above -1 and at most 1
 * (got 2)`. Throws a usage error naming the flag as typed.
 */
export function numberFlag(flag: string, text: string, range: NumberRange): number {
  try {
    return parseNumberOption(range, text, flag);
  } catch (e) {
    if (e instanceof OptionError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

/**
 * An engine message with its option names (keys) replaced by the flags as typed (`minCosine` -> `--min-cosine`),
 * so an error the engine raises reads like the CLI's own. `pairs`: [key, flag].
 */
export function withFlagNames(message: string, pairs: Iterable<readonly [string, string]>): string {
  let m = message;
  for (const [key, flag] of pairs) m = m.replace(new RegExp(`\\b${key}\\b`, 'g'), flag);
  return m;
}

/** The pooling modes `check --pool` and target mode's `--pooling` take (the quality core's PoolingChoice words). */
export const POOLING_MODES: readonly string[] = ['mean', 'cls', 'none'];

/** The usage error for a flag given without its value. */
export const needsValue = (flag: string): CliError => new CliError(`${flag} needs a value`, EXIT.usage);
