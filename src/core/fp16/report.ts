/**
 * Phase 5, the report and the provenance record: sizes, weight statistics, node counts, and every op kept in
 * float32 with the policy rule and reason that kept it (policy.ts KEEP_RULES).
 */
import { type GCtx, type Run, forEachCtx } from './graph.js';
import { DEFAULT_OP_BLOCK_LIST, type Fp16Report, type KeptOp, type ResolvedFp16Options } from './options.js';
import type { KeepRuleId } from './policy.js';
import { isDefaultDomain } from './types.js';
import { TOOL } from '../tool.js';
import { groupKeptInFloat } from '../modes/report.js';

/** metadata_props key recording the conversion. */
export const CONVERSION_METADATA_KEY = 'ava.conversion';

/** The record stored as JSON under CONVERSION_METADATA_KEY: mode and options (provenance.ts adds the provenance). */
export function conversionRecord(opts: ResolvedFp16Options): Record<string, unknown> {
  return {
    mode: 'fp16',
    tool: TOOL.name,
    options: {
      keepIoTypes: opts.keepIoTypes,
      opBlockList: opts.opBlockList,
      nodeBlockList: opts.nodeBlockList,
      minPositive: opts.minPositive,
      maxFinite: opts.maxFinite,
      outOfRange: opts.outOfRange,
    },
    defaultOpBlockList: 'onnxconverter-common 1.16 + TreeEnsemble',
  };
}

export function emptyReport(opts: ResolvedFp16Options, inputBytes: number): Fp16Report {
  return {
    mode: 'fp16',
    options: { ...opts, defaultOpBlockList: DEFAULT_OP_BLOCK_LIST },
    inputBytes,
    outputBytes: 0,
    durationMs: 0,
    ratio: 0,
    rewritten: {},
    keptInFloat: [],
    notes: [],
    weights: {
      tensorsConverted: 0,
      valuesConverted: 0,
      bytesBefore: 0,
      bytesAfter: 0,
      clamped: 0,
      raisedToMinPositive: 0,
      flushedToZero: 0,
      subnormal: 0,
      nonFinite: 0,
      largestMagnitude: 0,
      keptFp32: [],
      outOfRange: [],
    },
    nodes: { total: 0, converted: 0, keptFp32: 0, castsInserted: 0, castsRetargeted: 0, castsRemoved: 0 },
    keptOps: [],
    unknownTypes: { count: 0, examples: [] },
  };
}

/** The weight statistics, known once every payload was converted (after the output was written). */
export function finishWeightStats(run: Run): void {
  const r = run.report;
  const s = run.stats;
  Object.assign(r.weights, {
    valuesConverted: s.count,
    clamped: s.clamped,
    raisedToMinPositive: s.raised,
    flushedToZero: s.flushed,
    subnormal: s.subnormal,
    nonFinite: s.nonFinite,
    largestMagnitude: Math.max(s.maxAbs, ...r.weights.outOfRange.map((o) => o.largestMagnitude)),
  });
}

/** Fills in sizes, node counts and the kept ops once the output parts exist (weight statistics: finishWeightStats). */
export function finishReport(run: Run, main: GCtx, outputBytes: number): void {
  const r = run.report;
  r.outputBytes = outputBytes;
  r.ratio = r.inputBytes ? outputBytes / r.inputBytes : 0;
  finishWeightStats(run);
  const kept = new Map<string, { count: number; reasons: Map<string, { rule: KeepRuleId; count: number }>; examples: string[] }>();
  const keptNodes: { opType: string; reason: string; node: string; rule: string }[] = [];
  forEachCtx(main, (ctx) => {
    for (const p of ctx.plans) {
      r.nodes.total++;
      const key = p.n.domain && !isDefaultDomain(p.n.domain) ? `${p.n.domain}:${p.n.opType}` : p.n.opType;
      if (p.mode === 'convert' || (p.mode === 'container' && p.n.opType === 'If' && p.hasFloat) || (p.mode === 'cast' && p.retype)) {
        r.nodes.converted++;
        r.rewritten[key] = (r.rewritten[key] ?? 0) + 1;
      } else if (p.mode === 'keep' && p.hasFloat) {
        r.nodes.keptFp32++;
        keptNodes.push({ opType: key, reason: p.verdict!.reason, node: p.n.name || p.n.outputs[0] || '?', rule: p.verdict!.rule });
        const k = kept.get(key) ?? { count: 0, reasons: new Map(), examples: [] as string[] };
        k.count++;
        const v = p.verdict!;
        const e = k.reasons.get(v.reason) ?? { rule: v.rule, count: 0 };
        e.count++;
        k.reasons.set(v.reason, e);
        if (k.examples.length < 5) k.examples.push(p.n.name || p.n.outputs[0] || '?');
        kept.set(key, k);
      }
    }
  });
  r.keptOps = [...kept].map(([op, k]): KeptOp => ({
    op,
    count: k.count,
    reasons: [...k.reasons].map(([reason, e]) => ({ reason, count: e.count, rule: e.rule })),
    examples: k.examples,
  }));
  r.keptOps.sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
  r.keptInFloat = groupKeptInFloat(keptNodes);
  r.unknownTypes = { count: run.unknownTypeValues.size, examples: [...run.unknownTypeValues].slice(0, 10) };
  if (r.unknownTypes.count)
    r.notes.push(`${r.unknownTypes.count} values have an unknown element type; nodes reading or writing them were left unchanged`);
  if (r.weights.keptFp32.length > 50) {
    const n = r.weights.keptFp32.length;
    r.weights.keptFp32 = r.weights.keptFp32.slice(0, 50);
    r.notes.push(`${n} float32 tensors kept in float32 (first 50 listed)`);
  }
}
