#!/usr/bin/env node
/** ava-quant: the command line over the same core the app uses. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { inspectModel, OnnxFormatError } from '../core/onnx/index.js';
import { formatCard } from './format.js';

/** Exit codes (documented in the README). */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3, badModel: 4, outputExists: 5, diskFull: 6, belowThreshold: 7 } as const;

class CliError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

const USAGE = `ava-quant — quantize ONNX embedding models and prove they are still good

Usage:
  ava-quant inspect <model.onnx> [--json]     show the model card

Options:
  --json      machine-readable output
  --help      this help

Exit codes: 0 ok, 1 failure, 2 usage, 3 file not found/unreadable, 4 not a valid ONNX model,
            5 output exists, 6 disk full, 7 quality below threshold`;

function readInput(path: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new CliError(`file not found: ${path}`, EXIT.notFound);
  }
  if (st.isDirectory()) throw new CliError(`${path} is a directory, not a model file`, EXIT.notFound);
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, EXIT.notFound);
  }
}

/** Files next to the model (name -> size), to resolve external data like the app does with dropped siblings. */
function siblingsOf(path: string): Record<string, number> {
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

function inspect(args: string[], json: boolean): void {
  const [path] = args;
  if (!path || args.length !== 1) throw new CliError('inspect takes exactly one model path', EXIT.usage);
  const bytes = readInput(path);
  const summary = inspectModel(bytes, { fileName: basename(path), fileBytes: bytes.length, siblings: siblingsOf(path) });
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatCard(summary)}\n`);
}

export function main(argv: string[]): number {
  const json = argv.includes('--json');
  const help = argv.includes('--help') || argv.includes('-h');
  const rest = argv.filter((a) => a !== '--json' && a !== '--help' && a !== '-h');
  const [cmd, ...args] = rest;
  if (!cmd) {
    process.stdout.write(`${USAGE}\n`);
    return help ? EXIT.ok : EXIT.usage;
  }
  try {
    if (help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    switch (cmd) {
      case 'inspect':
        inspect(args, json);
        return EXIT.ok;
      default:
        throw new CliError(`unknown command '${cmd}' (try --help)`, EXIT.usage);
    }
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`ava-quant: ${e.message}\n`);
      return e.code;
    }
    if (e instanceof OnnxFormatError) {
      process.stderr.write(`ava-quant: ${argsPath(args)}: ${e.message}\n`);
      return EXIT.badModel;
    }
    process.stderr.write(`ava-quant: internal error: ${(e as Error).stack ?? e}\n`);
    return EXIT.failure;
  }
}

function argsPath(args: string[]): string {
  return args[0] ?? '';
}

process.exitCode = main(process.argv.slice(2));
