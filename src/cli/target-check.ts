/**
 * "Where will it run?" on the command line: `--target T [--runtime-version V]`, shared by every mode of `quantize` and
 * by `check`. The output is checked (src/core/targets/check.ts checkTarget) against the target — Android / iOS ARM64
 * when none is given (DEFAULT_TARGET, the seed's device) — before it is kept; every finding is printed with its op,
 * nodes, reason, the runtime versions it holds for and its sources.
 */
import { openModel } from '../core/onnx/open.js';
import {
  DEFAULT_TARGET,
  TARGET_IDS,
  TARGETS,
  WHERE_CHOICES,
  checkTarget,
  isRuntimeVersion,
  isTargetId,
  type TargetCheck,
  type TargetId,
} from '../core/targets/index.js';
import { fileSource } from '../node/files.js';
import { CliError, EXIT } from './io.js';

export interface TargetChoice {
  id: TargetId;
  /** Named with --target (false: the default, android-arm64). */
  requested: boolean;
  /** --runtime-version (default: the target's runtime.defaultVersion). */
  runtimeVersion: string | null;
}

/** The two flags as help rows (flag, text). */
export const TARGET_FLAGS = [
  {
    flag: '--target',
    value: 'T',
    help:
      `where the model will run: ${WHERE_CHOICES.join(', ')} (or ${TARGET_IDS.filter((t) => !WHERE_CHOICES.includes(t)).join(', ')}); INT8 takes that target's preset unless --preset is given; ` +
      `the output is checked against the target's runtime before it is kept (default: ${DEFAULT_TARGET}, for the check only): exit 9 and nothing written when a node cannot run there (--force keeps it)`,
    page: '"Where will it run?" (the quantize result lists the findings)',
  },
  {
    flag: '--runtime-version',
    value: 'V',
    help: "the target runtime's version to check against, e.g. 1.24 (default: the target's: onnxruntime 1.22.0 on devices, onnxruntime-web 1.30.0 in the browser)",
    page: 'not in the page (the defaults)',
  },
] as const;

/** Takes `--target T` / `--runtime-version V` (also `--flag=V`) out of `args`. Throws usage errors for bad values. */
export function takeTargetFlags(args: readonly string[]): { args: string[]; target: TargetChoice } {
  const rest: string[] = [];
  let id: string | null = null;
  let version: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^(--target|--runtime-version)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const v = m[2] ?? args[++i];
    if (v === undefined || v === '') throw new CliError(`${m[1]} needs a value`, EXIT.usage);
    if (m[1] === '--target') id = v;
    else version = v;
  }
  if (id !== null && !isTargetId(id)) throw new CliError(`--target: unknown target '${id}' (use ${TARGET_IDS.join(', ')})`, EXIT.usage);
  if (version !== null && !isRuntimeVersion(version))
    throw new CliError(`--runtime-version: not a version: '${version}' (e.g. 1.22 or 1.30.0)`, EXIT.usage);
  return { args: rest, target: { id: (id as TargetId | null) ?? DEFAULT_TARGET, requested: id !== null, runtimeVersion: version } };
}

/** Checks the model file at `path` (structure only: payloads stay on disk) against the chosen target. */
export async function checkModelFile(path: string, t: TargetChoice): Promise<TargetCheck> {
  const src = fileSource(path);
  try {
    const { model } = await openModel(src);
    return checkTarget(model, t.id, t.runtimeVersion ? { runtimeVersion: t.runtimeVersion } : {});
  } finally {
    await src.close();
  }
}

const kv = (k: string, v: string) => `${k.padEnd(22)}${v}`;

/**
 * The check as lines: the target and runtime, the verdict, then every finding grouped by op, verdict and reason —
 * blocking first — each with all its nodes, the versions it holds for and its sources.
 */
export function targetLines(
  r: TargetCheck,
  t: TargetChoice,
  findings: { node: string; op: string; verdict: string; reason: string }[] = [...r.unsupported, ...r.warnings],
): string[] {
  const lines = [
    kv(
      'Target',
      `${r.target}: ${r.label} (${r.runtime} ${r.version}, ${r.ep})${t.requested ? '' : ' — the default; choose with --target'}`,
    ),
  ];
  lines.push(kv('Target check', r.ok ? `runs: ${r.summary}` : `CANNOT RUN: ${r.summary}`));
  for (const g of r.groups) {
    const nodes = findings
      .filter((f) => f.op === g.op && f.verdict === g.verdict && f.reason.replace(/ \[[^\]]*\]$/, '') === g.reason)
      .map((f) => f.node);
    lines.push(kv(`  ${g.blocking ? 'cannot run' : 'warning'}`, `${g.op} ×${g.count} (${g.verdict}): ${g.reason}`));
    lines.push(kv('', `nodes: ${(nodes.length ? nodes : g.nodes).join(', ')}`));
    lines.push(kv('', `holds for: ${g.holdsFor}`));
    for (const s of g.source) lines.push(kv('', `source: ${s.where}${s.url ? ` <${s.url}>` : ''}`));
  }
  for (const n of r.notes) lines.push(kv('  check note', n));
  return lines;
}

/** The one-line refusal when the output cannot run on the target. */
export function cannotRunMessage(output: string, r: TargetCheck): string {
  return (
    `${output}: ${r.summary}; nothing was written (choose where it will run with --target ${WHERE_CHOICES.join('|')}, another --preset, ` +
    `a newer runtime with --runtime-version, or keep it anyway with --force)`
  );
}

export { TARGETS };
