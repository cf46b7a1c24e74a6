/**
 * The lines `quantize` prints after the size block: the report base every mode shares (what was rewritten, what
 * stayed in float and why, notes), with a mode's own lines before it. A mode without its own lines here gets its
 * meta's reportFacts, so a new mode prints a full report without CLI code.
 */
import type { Fp16Report } from '../core/fp16/options.js';
import type { Int8Report } from '../core/int8/quantize.js';
import { type ModeId, type ModeReport, type ReportOf, modeMeta } from '../core/modes/registry.js';
import { nothingDone } from '../core/modes/report.js';
import { int } from './io.js';

const kv = (k: string, v: string) => `${k.padEnd(22)}${v}`;

function int8Lines(r: Int8Report): string[] {
  return [kv('Preset', r.options.preset ?? '(custom)'), kv('Reference', r.reference)];
}

function fp16Lines(r: Fp16Report): string[] {
  const w = r.weights;
  const n = r.nodes;
  const lines = [
    kv('Inputs/outputs', r.options.keepIoTypes ? 'stay float32' : 'float16'),
    kv('Weights converted', `${int(w.tensorsConverted)} tensors, ${int(w.valuesConverted)} values`),
    kv('Clamped', `${int(w.clamped)} (beyond ±${r.options.maxFinite})`),
    kv('Raised to min', `${int(w.raisedToMinPositive)} (non-zero below ${r.options.minPositive})`),
    kv('Flushed to zero', int(w.flushedToZero)),
    kv('Subnormal', `${int(w.subnormal)} (below 6.1e-5: reduced precision)`),
    kv('Largest magnitude', w.largestMagnitude.toPrecision(5)),
    ...w.outOfRange.map((o) =>
      kv(
        'Kept float32 weight',
        `${o.name} (largest |x| ${o.largestMagnitude.toPrecision(5)} is beyond ${r.options.maxFinite === 65504 ? 'float16' : `--max-finite ${r.options.maxFinite}`})`,
      ),
    ),
    kv(
      'Nodes',
      `${int(n.converted)} float16, ${int(n.keptFp32)} kept float32; Casts ${n.castsInserted} inserted, ${n.castsRetargeted} retargeted, ${n.castsRemoved} removed`,
    ),
  ];
  if (r.unknownTypes.count)
    lines.push(
      kv(
        'Unknown types',
        `${r.unknownTypes.count} values (e.g. ${r.unknownTypes.examples.slice(0, 3).join(', ')}); their nodes were left unchanged`,
      ),
    );
  if (w.keptFp32.some((k) => k.reason.startsWith('stored as external data')))
    lines.push(kv('Warning', 'some weights are stored as external data; they stay float32 and are still read from the external file'));
  return lines;
}

/** A mode's own lines (optional: the fallback is its meta's reportFacts). */
const MODE_LINES: { [K in ModeId]?: (r: ReportOf<K>) => string[] } = { int8: int8Lines, fp16: fp16Lines };

function factLines(r: ModeReport): string[] {
  return modeMeta(r.mode).reportFacts.map((f) => {
    const v = f.path.split('.').reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), r);
    return kv(f.label, typeof v === 'number' ? int(v) : String(v));
  });
}

export function reportLines(r: ModeReport): string[] {
  const own = MODE_LINES[r.mode] as ((x: ModeReport) => string[]) | undefined;
  const lines = own ? own(r) : factLines(r);
  const rewritten = Object.entries(r.rewritten).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  lines.push(kv('Nodes rewritten', rewritten.length ? rewritten.map(([op, n]) => `${op} ${int(n)}`).join(', ') : 'none'));
  const kept = r.keptInFloat.reduce((a, k) => a + k.count, 0);
  lines.push(kv('Left in float', kept ? `${int(kept)} nodes` : 'none'));
  const MAX_GROUPS = 10;
  for (const k of r.keptInFloat.slice(0, MAX_GROUPS)) {
    const names = k.nodes.slice(0, 3).join(', ') + (k.count > 3 ? ', …' : '');
    lines.push(kv(`  ${k.opType} ×${k.count}`, `${k.reason} (${names})`));
  }
  if (r.keptInFloat.length > MAX_GROUPS)
    lines.push(kv('', `… and ${r.keptInFloat.length - MAX_GROUPS} more reasons (--json lists them all)`));
  const noop = nothingDone(r, modeMeta(r.mode).label);
  if (noop) lines.push(kv('Warning', `${noop}; the file was written because of --force`));
  for (const n of r.notes) lines.push(kv('Note', n));
  return lines;
}
