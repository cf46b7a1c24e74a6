/**
 * `ava-quant quantize <in> <out> <mode> [options]`. Each mode (int8.ts, fp16.ts) parses its own options and
 * formats its own report; reading, the conversion itself (core/modes.ts, the same call the app's worker makes),
 * safe writing and the seed's size block are shared here.
 */
import type { ModeReport, ModeRequest } from '../core/modes.js';
import { inputBytes } from '../core/onnx/open.js';
import { CliError, type CliIo, EXIT, checkOutputPath, int, mb } from './io.js';
import { openInput, produce, provenanceOf, statInput } from './pipeline.js';
import { createProgress } from './progress.js';

export const QUANTIZE_USAGE = `Usage:
  ava-quant quantize <in.onnx> <out.onnx> int8 [options]   about 75% smaller, dynamic INT8 (quantize x y int8 --help)
  ava-quant quantize <in.onnx> <out.onnx> fp16 [options]   about 50% smaller, float16 (quantize x y fp16 --help)

Every mode:
  --external-data   write the weights to <out.onnx>_data next to the model (automatic when the model would be
                    over 2 GiB, protobuf's limit); the two files must stay together

<in.onnx> may also be a Hugging Face id (org/name, org/name@rev, hf:org/name@rev) or an .onnx URL: downloaded
into the cache first; --file onnx/model_x.onnx picks the file when the repository has several.`;

/** What a mode's parser produces. */
export interface QuantizeJob {
  input: string;
  output: string;
  request: ModeRequest;
  force: boolean;
  json: boolean;
}

export interface ModeCommand {
  usage: string;
  /** Throws CliError(EXIT.usage) for bad options. `args` are the words after `quantize`. */
  parse(args: string[]): QuantizeJob | 'help';
  /** Mode-specific lines after the size block. */
  details(report: ModeReport): string[];
}

/** The words that are not flags or flag values, given the flags that take no value. */
export function positionals(args: string[], booleanFlags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (!a.includes('=') && !booleanFlags.includes(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

const EXPECTED: Record<string, string> = { int8: 'about 75% smaller', fp16: 'about 50% smaller' };

/** The seed's report block, then the mode's details. */
export function sizeBlock(input: string, output: string, mode: string, inBytes: number, outBytes: number, ms: number): string[] {
  const kv = (k: string, v: string) => `${k.padEnd(22)}${v}`;
  const saved = inBytes - outBytes;
  return [
    kv('Input', input),
    kv('Output', output),
    kv('Mode', `${mode.toUpperCase()} (expected: ${EXPECTED[mode] ?? '?'})`),
    kv('Original size', `${mb(inBytes)} (${int(inBytes)} bytes)`),
    kv('Quantized size', `${mb(outBytes)} (${int(outBytes)} bytes)`),
    kv('Size reduction', `${((100 * saved) / inBytes).toFixed(1)}%`),
    kv('Saved', mb(saved)),
    kv('Time', ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`),
  ];
}

async function loadMode(mode: string): Promise<ModeCommand> {
  if (mode === 'int8') return (await import('./int8.js')).INT8_COMMAND;
  if (mode === 'fp16') return (await import('./fp16.js')).FP16_COMMAND;
  throw new CliError(`unknown mode '${mode}': use int8 or fp16\n${QUANTIZE_USAGE}`, EXIT.usage);
}

export async function runQuantize(allArgs: string[], io: CliIo): Promise<number> {
  const { isRemoteModelArg, resolveModelArg, takeFileFlag } = await import('./hub.js');
  // Shared by every mode: where the weights go, and which file of a Hugging Face repository.
  const externalData = allArgs.includes('--external-data');
  const { args, file } = takeFileFlag(allArgs.filter((a) => a !== '--external-data'));
  const mode = positionals(args, ['--force', '--json', '--help', '-h', '--per-channel', '--no-per-channel', '--reduce-range', '--no-reduce-range', '--keep-io-types', '--no-keep-io-types', '--enable-subgraph', '--no-enable-subgraph'])[2]?.toLowerCase();
  if (!mode) {
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(`${QUANTIZE_USAGE}\n`);
      return EXIT.ok;
    }
    throw new CliError(`quantize takes <in.onnx> <out.onnx> <int8|fp16>\n${QUANTIZE_USAGE}`, EXIT.usage);
  }
  const cmd = await loadMode(mode);
  let job = cmd.parse(args);
  if (job === 'help') {
    io.stdout(`${cmd.usage}\n`);
    return EXIT.ok;
  }
  if (isRemoteModelArg(job.input) || file) {
    // Refuse an existing output before downloading anything, then run the usual path on the downloaded copy.
    checkOutputPath(job.input, job.output, job.force);
    const local = await resolveModelArg(job.input, { io, file });
    const at = args.indexOf(job.input);
    const again = cmd.parse([...args.slice(0, at), local, ...args.slice(at + 1)]);
    if (again === 'help') return EXIT.ok;
    job = again;
  }
  const t0 = Date.now();
  statInput(job.input);
  checkOutputPath(job.input, job.output, job.force);
  const progress = createProgress(io, mode);
  const input = await openInput(job.input);
  let result;
  try {
    const request = { ...job.request, options: { ...job.request.options, provenance: provenanceOf(input) } } as ModeRequest;
    ({ result } = await produce(input, job.output, request, { startedAt: t0, onProgress: (f, b, item) => progress.update(f, b, item), externalData }));
    progress.finish();
  } finally {
    await input.close();
  }
  const ms = Date.now() - t0;
  const inBytes = inputBytes(input.opened.model);
  if (job.json) io.stdout(`${JSON.stringify({ input: job.input, output: job.output, totalMs: Math.round(ms), ...result.report }, null, 2)}\n`);
  else io.stdout(`${[...sizeBlock(job.input, job.output, mode, inBytes, result.outputBytes, ms), ...cmd.details(result.report)].join('\n')}\n`);
  return EXIT.ok;
}
