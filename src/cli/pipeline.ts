/**
 * The CLI's one path from an input file to a written output, shared by `quantize` and `batch`: open the model by
 * streaming (external data found next to it), hash the source beside the work, plan the mode's output, stream it to
 * a temp file placed at the end (never over a file another run wrote meanwhile). Errors become CliErrors with the
 * documented exit codes.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type ModeRequest, modeMeta } from '../core/modes/registry.js';
import { type ModeResult, runMode, writeOutput } from '../core/modes/run.js';
import { AvaError } from '../core/errors.js';
import { type OpenedModel, openModel } from '../core/onnx/open.js';
import {
  type AtomicFileSink,
  OutputConflictError,
  OutputWriteError,
  atomicFileSink,
  claimOutput,
  commitOutputs,
  hashingSink,
  modelFilesOf,
  sameFile,
  sha256File,
} from '../node/files.js';
import { CliError, EXIT, EXIT_FOR_KIND, type OutputClaims, dataPathOf, withFlagNames, writeError } from './io.js';
import { cacheRoot } from './hub.js';
import { rememberSha256, rememberedSha256, statKey } from '../node/hash-cache.js';
import { TOOL } from '../core/tool.js';

export interface CliInput {
  path: string;
  opened: OpenedModel;
  /** SHA-256 of the .onnx file: started on first use, computed on a worker thread while the work runs. */
  sha256(): Promise<string>;
  /** Bytes the hashing thread reads (the .onnx file's size while it is hashed; 0 when remembered or not started). */
  hashingBytes(): number;
  close(): Promise<void>;
}

/** Checks the path names a readable file (exit 3 otherwise). */
export function statInput(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new CliError(`file not found: ${path}`, EXIT.notFound);
  }
  if (st.isDirectory()) throw new CliError(`${path} is a directory, not a file`, EXIT.notFound);
  // A pipe (`cat m.onnx | ava-quant quantize /dev/stdin …`) or a device has no size to read a model by offset from.
  if (!st.isFile())
    throw new CliError(`${path} is not a regular file (a pipe or a device?): give the path of the .onnx file`, EXIT.notFound);
  return st.size;
}

/**
 * Opens a model file for a mode: structure only (payloads stay on disk), external data resolved in its folder.
 * Exit 4 for a file that is not a valid model or whose external data is missing/short/refused.
 */
export async function openInput(
  path: string,
  opts: { requireData?: boolean; onProgress?: (done: number, total: number) => void; hashNow?: boolean } = {},
): Promise<CliInput> {
  statInput(path);
  const files = modelFilesOf(path);
  let sha: Promise<string> | null = null;
  let hashing: ReturnType<typeof sha256File> | null = null;
  const sha256 = () => {
    if (!sha) {
      // Remembered from an earlier run on this very file (src/node/hash-cache.ts), else hashed on a worker thread.
      const root = cacheRoot();
      const hit = rememberedSha256(root, path);
      if (hit) sha = Promise.resolve(hit);
      else {
        const before = statKey(root, path);
        // The very file the model is read from (a file renamed over the path meanwhile is refused, not hashed).
        sha = hashing = sha256File(path, files.model);
        sha.then(
          (hex) => rememberSha256(root, path, before, hex),
          () => undefined,
        );
      }
    }
    return sha;
  };
  // The hash (needed by every output's provenance) starts before the model is parsed: it is the longest single
  // task of a run on a big one-file model, and it has the second core to itself while the main thread parses.
  if (opts.hashNow) void sha256();
  const fail = async () => {
    hashing?.stop();
    await files.close();
  };
  let opened: OpenedModel;
  try {
    opened = await openModel(files, opts.onProgress ? { onProgress: opts.onProgress } : {});
  } catch (e) {
    await fail();
    if (e instanceof AvaError) throw new CliError(`${path}: ${e.message}`, EXIT_FOR_KIND[e.kind]);
    if ((e as NodeJS.ErrnoException).code) throw new CliError(`cannot read ${path}: ${(e as Error).message}`, EXIT.notFound);
    throw e;
  }
  if (opts.requireData !== false && opened.problems.length) {
    await fail();
    const more = opened.problems.length > 1 ? ` (and ${opened.problems.length - 1} more)` : '';
    throw new CliError(`${path}: ${opened.problems[0]!.message}${more}`, EXIT.badModel);
  }
  const size = files.model.size;
  return { path, opened, sha256, hashingBytes: () => (hashing ? size : 0), close: () => files.close() };
}

/**
 * Refuses outputs that are files of the input (exit 2): the input is never modified, not its .onnx and not its data
 * files (`quantize m.onnx m.onnx_data … --force` would replace the data the model needs). Links are followed.
 */
export function checkNotInput(input: CliInput, outputs: readonly string[]): void {
  const inputFiles = [input.path, ...input.opened.externalFiles.map((f) => join(dirname(input.path), f.path))];
  for (const out of outputs)
    if (inputFiles.some((f) => sameFile(f, out)))
      throw new CliError(`${out} is a file of the input ${input.path} (the input is never modified): choose another output`, EXIT.usage);
}

/**
 * The date an output records: now, or SOURCE_DATE_EPOCH (seconds) when set — the reproducible-builds convention
 * (https://reproducible-builds.org/specs/source-date-epoch/), so a run can be repeated byte for byte.
 */
export function provenanceDate(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d+$/.test(epoch)) throw new CliError(`SOURCE_DATE_EPOCH must be whole seconds since 1970 (got '${epoch}')`, EXIT.usage);
    return new Date(Number(epoch) * 1000).toISOString();
  }
  return new Date().toISOString();
}

/** The provenance a CLI output records (source name and SHA-256, tool version, date). */
export function provenanceOf(input: CliInput) {
  return { source: { name: basename(input.path), sha256: input.sha256() }, toolVersion: TOOL.version, date: provenanceDate() };
}

/** What --force would change, said after the refusals it lifts. */
const FORCE_HINT: Partial<Record<string, string>> = {
  'already-quantized': ' (use --force to quantize it anyway)',
  'nothing-to-do': ' (use --force to write it anyway)',
};

/**
 * Plans `request` on the input and streams it to `output` atomically. User-facing errors (AvaError) end the
 * command with the exit code of their kind (EXIT_FOR_KIND). Returns the result and the output's digests.
 */
export async function produce(
  input: CliInput,
  output: string,
  request: ModeRequest,
  opts: {
    startedAt: number;
    onProgress?: (fraction: number, bytes?: { done: number; total: number }, item?: string) => void;
    /** Always put the weights in `<output>_data` (default: only when the model would be over 2 GiB). */
    externalData?: boolean;
    /** How far ahead of the write position pieces are computed (writeOutput's lookahead; default: the writer's). */
    lookahead?: { bytes: number; pieces: number };
    /** Flush the output to disk (fsync) before placing it (--fsync; default: placed unflushed, as cp and onnx.save). */
    fsync?: boolean;
    /** Compute SHA-256 and MD5 of the output while writing it (batch manifests). */
    digests?: boolean;
    /** Go on with an already quantized model, and write an output that rewrote nothing (runMode's `force`). */
    force?: boolean;
    /**
     * Called with the written (not yet renamed) model file before it is kept; throwing removes it and its data file
     * (the target check: src/cli/target-check.ts).
     */
    beforeCommit?: (tempModelPath: string) => Promise<void>;
    /**
     * What the run may overwrite (checkOutputPath's answer, taken when the command began); default: nothing, so the
     * output and its data file are written only where nothing is when the run commits.
     */
    claims?: OutputClaims;
  },
): Promise<{ result: ModeResult; digests: { sha256: string; md5: string; bytes: number } | null }> {
  const fail = (e: unknown): never => {
    if (e instanceof CliError) throw e;
    if (e instanceof AvaError) {
      const hint = FORCE_HINT[e.kind] ?? '';
      // An engine's option error names the flags (the mode's option table: minPositive -> --min-positive).
      const message =
        e.kind === 'options'
          ? withFlagNames(
              e.message,
              modeMeta(request.mode).options.map((o) => [o.key, o.flag] as const),
            )
          : e.message;
      throw new CliError(`${e.kind === 'format' ? input.path : basename(input.path)}: ${message}${hint}`, EXIT_FOR_KIND[e.kind], e.kind);
    }
    throw e;
  };
  let result: ModeResult;
  const dataPath = dataPathOf(output);
  const claims = opts.claims ?? { model: claimOutput(output, false), data: claimOutput(dataPath, false) };
  const layout = { location: basename(dataPath), ...(opts.externalData ? { maxModelBytes: 0 } : {}) };
  try {
    result = await runMode(input.opened.model, { ...request, options: { ...request.options, layout } } as ModeRequest, {
      force: opts.force === true,
    });
  } catch (e) {
    return fail(e);
  }
  checkNotInput(input, result.data ? [output, dataPath] : [output]);
  const files: AtomicFileSink[] = [];
  let sink;
  let hashing: ReturnType<typeof hashingSink> | null = null;
  try {
    const model = await atomicFileSink(output, claims.model);
    files.push(model);
    sink = opts.digests ? (hashing = hashingSink(model)) : model;
  } catch (e) {
    throw writeError(output, e);
  }
  try {
    await writeOutput(result, sink, {
      startedAt: opts.startedAt,
      ...(opts.lookahead ? { lookahead: opts.lookahead } : {}),
      onProgress: (done, total, label) => opts.onProgress?.(total ? done / total : 1, { done, total }, label),
      dataSink: async () => {
        const s = await atomicFileSink(dataPath, claims.data);
        files.push(s);
        return s;
      },
    });
    // With --fsync, the flush to disk runs while the written model is checked (read back from the page cache).
    const flushed = opts.fsync ? files.map((s) => s.sync()) : [];
    flushed.forEach((f) => f.catch(() => undefined));
    if (opts.beforeCommit) await opts.beforeCommit(files[0]!.tmp);
    // Both files or neither; the data file first: a model file never points at a data file that is not there.
    await commitOutputs([...files].reverse());
  } catch (e) {
    for (const s of files) await s.abort();
    // An error writing names the file that failed (the data file of a split output, not the model).
    if (e instanceof OutputWriteError || e instanceof OutputConflictError || (e as NodeJS.ErrnoException | null)?.code)
      throw writeError(output, e);
    return fail(e);
  }
  return { result, digests: hashing?.digests() ?? null };
}
