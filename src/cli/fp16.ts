/** `ava-quant quantize <in> <out> fp16 [options]`: FP16's options and report lines (the flow is quantize-cmd.ts). */
import { DEFAULT_MAX_FINITE, DEFAULT_MIN_POSITIVE, type Fp16Options, type Fp16Report } from '../core/fp16/index.js';
import { CliError, EXIT, int, list, walkFlags } from './io.js';
import type { ModeCommand } from './quantize-cmd.js';


export const FP16_USAGE = `Usage:
  ava-quant quantize <in.onnx> <out.onnx> fp16 [options]

FP16 ("conservative"): float32 weights and activations become float16 (about half the size);
graph inputs and outputs stay float32 unless --no-keep-io-types.

Options:
  --keep-io-types | --no-keep-io-types   float32 graph inputs/outputs (default: keep)
  --op-block-list A,B       op types to keep in float32 (added to the default list)
  --node-block-list a,b     node names to keep in float32
  --min-positive X          non-zero magnitudes below X become ±X (default ${DEFAULT_MIN_POSITIVE})
  --max-finite X            finite magnitudes above X become ±X (default ${DEFAULT_MAX_FINITE}, at most 65504)
  --force                   overwrite <out.onnx> if it exists
  --json                    print the report as JSON
Exit codes: 0 ok, 1 failure, 2 usage, 3 input not found, 4 not a valid ONNX model, 5 output exists, 6 disk full`;

class UsageError extends Error {}

interface Parsed {
  input: string;
  output: string;
  opts: Fp16Options;
  force: boolean;
  json: boolean;
  help: boolean;
}

function parseNumber(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} needs a number (got '${v}')`);
  return n;
}

export function parseFp16Args(args: string[]): Parsed {
  const opts: Fp16Options = {};
  let force = false;
  let json = false;
  let help = false;
  const pos = walkFlags(args, (flag, value) => {
    switch (flag) {
      case '--keep-io-types':
        opts.keepIoTypes = true;
        break;
      case '--no-keep-io-types':
        opts.keepIoTypes = false;
        break;
      case '--op-block-list':
        opts.opBlockList = list(value());
        break;
      case '--node-block-list':
        opts.nodeBlockList = list(value());
        break;
      case '--min-positive':
        opts.minPositive = parseNumber(flag, value());
        break;
      case '--max-finite':
        opts.maxFinite = parseNumber(flag, value());
        break;
      case '--force':
        force = true;
        break;
      case '--json':
        json = true;
        break;
      case '--help':
        help = true;
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  });
  if (help) return { input: '', output: '', opts, force, json, help };
  if (pos.length !== 3) throw new UsageError(`expected <in.onnx> <out.onnx> fp16, got ${pos.length} argument${pos.length === 1 ? '' : 's'}`);
  const [input, output, mode] = pos as [string, string, string];
  if (mode.toLowerCase() !== 'fp16') throw new UsageError(`this command converts to fp16; got mode '${mode}'`);
  return { input, output, opts, force, json, help };
}

/** FP16-specific lines of the report (the size block is shared with INT8: quantize-cmd.ts). */
export function fp16Details(r: Fp16Report): string[] {
  const lines: string[] = [];
  const kv = (k: string, v: string) => lines.push(`${k.padEnd(22)}${v}`);
  kv('Inputs/outputs', r.options.keepIoTypes ? 'stay float32' : 'float16');
  const w = r.weights;
  kv('Weights converted', `${int(w.tensorsConverted)} tensors, ${int(w.valuesConverted)} values`);
  kv('Clamped', `${int(w.clamped)} (beyond ±${r.options.maxFinite})`);
  kv('Raised to min', `${int(w.raisedToMinPositive)} (non-zero below ${r.options.minPositive})`);
  kv('Flushed to zero', int(w.flushedToZero));
  kv('Subnormal', `${int(w.subnormal)} (below 6.1e-5: reduced precision)`);
  kv('Largest magnitude', w.largestMagnitude.toPrecision(5));
  for (const o of w.outOfRange) kv('Kept float32 weight', `${o.name} (largest |x| ${o.largestMagnitude.toPrecision(5)} is beyond float16)`);
  const n = r.nodes;
  kv('Nodes', `${int(n.converted)} float16, ${int(n.keptFp32)} kept float32; Casts ${n.castsInserted} inserted, ${n.castsRetargeted} retargeted, ${n.castsRemoved} removed`);
  if (r.keptOps.length === 0) kv('Ops kept in float32', 'none');
  for (const k of r.keptOps) kv(`  ${k.op} ×${k.count}`, k.reasons.map((x) => x.reason).join('; '));
  if (r.unknownTypes.count) kv('Unknown types', `${r.unknownTypes.count} values (e.g. ${r.unknownTypes.examples.slice(0, 3).join(', ')}); their nodes were left unchanged`);
  if (r.weights.keptFp32.some((k) => k.reason.startsWith('stored as external data')))
    kv('Warning', 'some weights are stored as external data; they stay float32 and are still read from the external file');
  for (const note of r.notes) kv('Note', note);
  return lines;
}

export const FP16_COMMAND: ModeCommand = {
  usage: FP16_USAGE,
  parse(args) {
    let p: Parsed;
    try {
      p = parseFp16Args(args);
    } catch (e) {
      if (e instanceof UsageError) throw new CliError(`${e.message}\n${FP16_USAGE}`, EXIT.usage);
      throw e;
    }
    if (p.help) return 'help';
    return { input: p.input, output: p.output, request: { mode: 'fp16', options: p.opts }, force: p.force, json: p.json };
  },
  details: (r) => (r.mode === 'fp16' ? fp16Details(r) : []),
};
