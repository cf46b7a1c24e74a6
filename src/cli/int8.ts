/** `ava-quant quantize <in> <out> int8 [options]`: INT8's options and report lines (the flow is quantize-cmd.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_OP_TYPES, DEFAULT_PRESET, PRESET_NAMES, type QuantizeInt8Options, isPresetName } from '../core/int8/index.js';
import type { ModeReport } from '../core/modes.js';
import { CliError, EXIT, int, list, walkFlags } from './io.js';
import type { ModeCommand } from './quantize-cmd.js';

export const INT8_USAGE = `Usage:
  ava-quant quantize <in.onnx> <out.onnx> int8 [options]

Dynamic INT8, the same numerics as onnxruntime's quantize_dynamic: weights of MatMul/Gemm/Gather/Conv become
8-bit, activations are quantized at run time (DynamicQuantizeLinear). About 75% smaller.

Options:
  --preset P                ${PRESET_NAMES.join(' | ')} (default ${DEFAULT_PRESET}; see the README)
  --per-channel | --no-per-channel
  --reduce-range | --no-reduce-range
  --weight-type T           qint8 | quint8
  --op-types A,B            op types to quantize (default ${DEFAULT_OP_TYPES.join(',')})
  --exclude-nodes a,b       node names to leave in float
  --nodes a,b               quantize only these nodes
  --enable-subgraph         also quantize If/Loop/Scan bodies
  --force                   overwrite <out.onnx> if it exists
  --json                    print the report as JSON
Exit codes: 0 ok, 1 failure, 2 usage, 3 input not found, 4 not a valid ONNX model or refused, 5 output exists, 6 disk full`;


export function parseInt8Args(args: string[]): { input: string; output: string; options: QuantizeInt8Options; force: boolean; json: boolean } | 'help' {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  const options: QuantizeInt8Options = { preset: DEFAULT_PRESET };
  let force = false;
  let json = false;
  const pos = walkFlags(args, (flag, value) => {
    switch (flag) {
      case '--preset': {
        const v = value();
        if (!isPresetName(v)) throw new CliError(`unknown preset '${v}' (use ${PRESET_NAMES.join(', ')})`, EXIT.usage);
        options.preset = v;
        break;
      }
      case '--per-channel':
      case '--no-per-channel':
        options.perChannel = flag === '--per-channel';
        break;
      case '--reduce-range':
      case '--no-reduce-range':
        options.reduceRange = flag === '--reduce-range';
        break;
      case '--enable-subgraph':
      case '--no-enable-subgraph':
        options.enableSubgraph = flag === '--enable-subgraph';
        break;
      case '--weight-type': {
        const v = value().toLowerCase();
        if (v !== 'qint8' && v !== 'quint8') throw new CliError(`--weight-type takes qint8 or quint8 (got '${v}')`, EXIT.usage);
        options.weightType = v;
        break;
      }
      case '--op-types':
        options.opTypes = list(value());
        break;
      case '--exclude-nodes':
        options.excludeNodes = list(value());
        break;
      case '--nodes':
        options.nodesToQuantize = list(value());
        break;
      case '--force':
        force = true;
        break;
      case '--json':
        json = true;
        break;
      default:
        throw new CliError(`unknown option ${flag}\n${INT8_USAGE}`, EXIT.usage);
    }
  });
  if (pos.length !== 3) throw new CliError(`expected <in.onnx> <out.onnx> int8\n${INT8_USAGE}`, EXIT.usage);
  return { input: pos[0]!, output: pos[1]!, options, force, json };
}

/** INT8-specific lines: what was rewritten, what stayed float and why. */
export function int8Details(r: ModeReport): string[] {
  if (r.mode !== 'int8') return [];
  const kv = (k: string, v: string) => `${k.padEnd(22)}${v}`;
  const lines = [kv('Preset', r.options.preset ?? '(custom)'), kv('Reference', r.reference)];
  if (r.tensorsQuantized === 0)
    lines.push(kv('Warning', 'no weight was quantized with these options, so the file is not smaller (see "Left in float"; try another preset or --enable-subgraph)'));
  const rewritten = Object.entries(r.rewritten);
  lines.push(kv('Nodes rewritten', rewritten.length ? rewritten.map(([op, n]) => `${op} ${int(n)}`).join(', ') : 'none'));
  const groups = new Map<string, string[]>();
  for (const l of r.leftInFloat) {
    const key = `${l.opType}: ${l.reason}`;
    groups.set(key, [...(groups.get(key) ?? []), l.node]);
  }
  for (const [key, nodes] of groups) lines.push(kv('Left in float', `${key} (${nodes.length}: ${nodes.slice(0, 3).join(', ')}${nodes.length > 3 ? ', …' : ''})`));
  for (const n of r.notes) lines.push(kv('Note', n));
  return lines;
}

export const INT8_COMMAND: ModeCommand = {
  usage: INT8_USAGE,
  parse(args) {
    const p = parseInt8Args(args);
    if (p === 'help') return 'help';
    // Weights kept in external files are read from next to the model, as the app reads the files dropped with it.
    const dir = dirname(p.input);
    const externalData = (location: string): Uint8Array | undefined => {
      const f = join(dir, location);
      return existsSync(f) ? new Uint8Array(readFileSync(f)) : undefined;
    };
    return { input: p.input, output: p.output, request: { mode: 'int8', options: { ...p.options, externalData } }, force: p.force, json: p.json };
  },
  details: int8Details,
};
