/**
 * ava-quant: the command line over the same core the app uses. `run(argv, io)` returns the exit code;
 * bin/ava-quant.mjs and `npm run cli` call it.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { MODE_IDS } from '../core/modes/registry.js';
import { summarize } from '../core/onnx/inspect.js';
import { TOOL } from '../core/tool.js';
import { openInput, statInput } from './pipeline.js';
import { formatCard } from './format.js';
import { CliError, type CliIo, EXIT, needsValue, processIo, siblingsOf } from './io.js';
import { type FlagWord, walkArgs } from '../core/modes/options.js';

export { EXIT } from './io.js';

export const USAGE = `ava-quant — quantize ONNX embedding models and prove they are still good

Usage:
  ava-quant inspect <model.onnx> [--json]                       the model card
  ava-quant quantize <in.onnx> <out.onnx> <mode> [options]       write a smaller model; mode: ${MODE_IDS.join(', ')} (see quantize --help)
  ava-quant quantize <in.onnx> <out.onnx> target --min-cosine X  the smallest mix that still meets a quality bar
  ava-quant batch <dir> [--modes ${MODE_IDS.slice(0, 2).join(',')}] [--out DIR]          every .onnx in a folder
  ava-quant check <original.onnx> <quantized.onnx> [options]     quality report; exit 7 below threshold (--target T: its backend and kernels)
  ava-quant verify <file> <sha256|md5>                           does a copy match a recorded hash
  ava-quant --version                                            the version (the one recorded in every output)

Every command takes --help and --json (with --json an error is also printed on stdout as
{"error": {"code": <exit code>, "message": "…"}}). Where a model path goes, inspect, quantize and check also take a
Hugging Face id (org/name, org/name@revision, hf:org/name@revision), a huggingface.co URL or an https URL of an
.onnx file, with --file onnx/model_x.onnx to choose among a repository's files. Downloads are cached in
AVA_CACHE_DIR (default ~/.cache/ava-quant); the Hub is AVA_HF_ENDPOINT (default https://huggingface.co).

Exit codes: 0 ok, 1 failure, 2 usage, 3 file or folder not found/unreadable (an input, an output's folder; or not
            on the Hub), 4 not a valid ONNX model (or refused), 5 output exists (or another run wrote it meanwhile),
            6 disk full, 7 quality below threshold, 8 download failed, 9 the output cannot run on the target (--target; default android-arm64),
            130 / 143 / 129 / 131 cancelled (Ctrl-C / SIGTERM / SIGHUP / SIGQUIT; unfinished outputs are removed)`;

/** Generic flag parsing for commands without their own parser: --key value, --key=value, --flag. */
export function parseFlags(argv: string[], booleans: readonly string[]): { args: string[]; flags: Record<string, string | boolean> } {
  const flags: Record<string, string | boolean> = {};
  const onFlag = ({ flag, value }: FlagWord): void => {
    const key = flag.slice(2);
    flags[key] = booleans.includes(key) || value();
  };
  const args = walkArgs(argv, onFlag, needsValue, { prefix: '--', allowEmpty: true });
  return { args, flags };
}

async function inspect(args: string[], flags: Record<string, string | boolean>, io: CliIo): Promise<number> {
  if (args.length !== 1) throw new CliError('inspect takes exactly one model path, Hugging Face id or URL', EXIT.usage);
  const json = !!flags.json;
  const { resolveModelArg } = await import('./hub.js');
  const path = await resolveModelArg(args[0]!, { io, file: typeof flags.file === 'string' ? flags.file : null });
  // Opened by streaming (structure only): any size, external data resolved next to it and counted.
  const input = await openInput(path, { requireData: false });
  try {
    const summary = summarize(input.opened.model, { fileName: basename(path), siblings: siblingsOf(path) }, input.opened.modelBytes);
    io.stdout(json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatCard(summary)}\n`);
  } finally {
    await input.close();
  }
  return EXIT.ok;
}

async function verify(args: string[], json: boolean, io: CliIo): Promise<number> {
  if (args.length !== 2) throw new CliError('verify takes <file> <sha256|md5> (or a line of sha256sum/md5sum output)', EXIT.usage);
  const [path, expected] = args as [string, string];
  statInput(path); // existence, with the usual messages
  const { verifyHash, HashFormatError } = await import('../core/batch/hashing.js');
  try {
    const stream = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    const r = await verifyHash(stream, expected, { fileName: basename(path) });
    io.stdout(json ? `${JSON.stringify({ file: path, ...r }, null, 2)}\n` : `${path}: ${r.message}\n`);
    return r.ok ? EXIT.ok : EXIT.failure;
  } catch (e) {
    if (e instanceof HashFormatError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

const HELP: Record<string, string> = {
  inspect:
    'Usage:\n  ava-quant inspect <model.onnx | org/name[@rev] | URL> [--file onnx/model_x.onnx] [--json]\n\nPrints the model card (the same as the app shows); --json gives the ModelSummary object.\nA Hugging Face id or URL is downloaded into the cache first (--file picks the .onnx when the repository has several).',
  verify:
    'Usage:\n  ava-quant verify <file> <sha256|md5> [--json]\n\nHashes the file once (SHA-256 and MD5 together) and compares with the expected value:\n64 hex digits = SHA-256, 32 = MD5, or a line of sha256sum/md5sum output. Exit 0 on a match, 1 otherwise.',
};

export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  const help = rest.includes('--help') || rest.includes('-h');
  try {
    if (!cmd || cmd === '--help' || cmd === '-h') {
      io.stdout(`${USAGE}\n`);
      return cmd ? EXIT.ok : EXIT.usage;
    }
    if (cmd === '--version' || cmd === '-V') {
      // The version every output records as its tool version (TOOL, src/core/tool.ts: the package's).
      io.stdout(
        rest.includes('--json') ? `${JSON.stringify({ name: TOOL.name, version: TOOL.version })}\n` : `${TOOL.name} ${TOOL.version}\n`,
      );
      return EXIT.ok;
    }
    switch (cmd) {
      case 'inspect': {
        if (help) return (io.stdout(`${HELP.inspect}\n`), EXIT.ok);
        const { args, flags } = parseFlags(rest, ['json']);
        return await inspect(args, flags, io);
      }
      case 'verify': {
        if (help) return (io.stdout(`${HELP.verify}\n`), EXIT.ok);
        const { args, flags } = parseFlags(rest, ['json']);
        return await verify(args, !!flags.json, io);
      }
      case 'check': {
        const { runCheckCommand, CHECK_USAGE } = await import('./check.js');
        if (help) return (io.stdout(`${CHECK_USAGE}\n`), EXIT.ok);
        const { args, flags } = parseFlags(rest, ['json']);
        return await runCheckCommand(args, flags, io);
      }
      case 'quantize': {
        const { runQuantize } = await import('./quantize-cmd.js');
        return await runQuantize(rest, io);
      }
      case 'batch': {
        const { runBatchCommand, BATCH_USAGE } = await import('./batch.js');
        if (help) return (io.stdout(`${BATCH_USAGE}\n`), EXIT.ok);
        const { args, flags } = parseFlags(rest, ['json', 'force', 'fsync']);
        return await runBatchCommand(args, flags, io);
      }
      default:
        throw new CliError(`unknown command '${cmd}' (try --help)`, EXIT.usage);
    }
  } catch (e) {
    const err = e instanceof CliError ? e : new CliError(`internal error: ${(e as Error | null)?.stack ?? String(e)}`, EXIT.failure);
    io.stderr(`ava-quant: ${err.message}\n`);
    // --json: stdout gets a JSON object for every error too, so a script always has one to parse.
    if (rest.includes('--json')) io.stdout(`${JSON.stringify(jsonError(err), null, 2)}\n`);
    return err.code;
  }
}

/**
 * What `--json` prints on stdout when a command fails: `{"error": {"code": <exit code>, "message": "…"}}`, plus
 * whatever the command had to say besides (e.g. a refused output's target findings: `written`, `target`). The
 * message is the stderr line without the `ava-quant: ` prefix (its first line, for usage errors that add the help).
 */
export function jsonError(e: CliError): Record<string, unknown> {
  return { ...(e.json ?? {}), error: { code: e.code, message: e.message.split('\n')[0] } };
}
