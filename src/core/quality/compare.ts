/**
 * Compares two reports of the same check run on different backends (e.g. onnxruntime-web wasm vs webgpu, or
 * web vs node). A backend that computes differently shows up as different per-text norms (same model, same
 * input) or different original-vs-quantized cosines.
 */
import type { QualityReport } from './report.js';

export interface BackendComparisonOptions {
  /** Max |Δ mean cosine| between the backends. Default 0.002. */
  meanCosineTolerance?: number;
  /** Max |Δ cosine| for any single text. Default 0.02. */
  itemCosineTolerance?: number;
  /** Max relative difference of a text's pre-normalisation norm, per model. Default 0.01. */
  normRelTolerance?: number;
}

export interface BackendComparison {
  backends: [string, string];
  /** True when nothing was flagged. */
  agree: boolean;
  flags: string[];
  /** Texts present in both reports. */
  matchedItems: number;
  meanCosine: [number | null, number | null];
  meanCosineDelta: number | null;
  maxItemCosineDelta: number | null;
  worstItem: { id: string; set: string; cosine: [number, number] } | null;
  maxNormRelDelta: { original: number | null; quantized: number | null };
  verdicts: [boolean, boolean];
  /** Queries whose top-1 document differs between the backends (quantized model), per retrieval set. */
  top1Changes: { set: string; query: string; tops: [string | null, string | null] }[];
}

const key = (set: string, id: string) => `${set}\u0000${id}`;

export function compareBackendReports(a: QualityReport, b: QualityReport, opts: BackendComparisonOptions = {}): BackendComparison {
  const meanTol = opts.meanCosineTolerance ?? 0.002;
  const itemTol = opts.itemCosineTolerance ?? 0.02;
  const normTol = opts.normRelTolerance ?? 0.01;
  const flags: string[] = [];
  const bItems = new Map(b.items.map((it) => [key(it.set, it.id), it]));
  let matched = 0;
  let maxCos: number | null = null;
  let worst: BackendComparison['worstItem'] = null;
  const maxNorm: { original: number | null; quantized: number | null } = { original: null, quantized: null };
  for (const ia of a.items) {
    const ib = bItems.get(key(ia.set, ia.id));
    if (!ib) continue;
    matched++;
    if (ia.cosine !== null && ib.cosine !== null) {
      const d = Math.abs(ia.cosine - ib.cosine);
      if (maxCos === null || d > maxCos) {
        maxCos = d;
        worst = { id: ia.id, set: ia.set, cosine: [ia.cosine, ib.cosine] };
      }
    } else if ((ia.cosine === null) !== (ib.cosine === null))
      flags.push(`${ia.set}/${ia.id}: finite on one backend, NaN/Infinity on the other`);
    for (const role of ['original', 'quantized'] as const) {
      const x = ia.norm[role];
      const y = ib.norm[role];
      if (x === null || y === null) continue;
      const rel = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-12);
      if (maxNorm[role] === null || rel > maxNorm[role]!) maxNorm[role] = rel;
    }
  }
  const total = Math.max(a.items.length, b.items.length);
  if (matched === 0) flags.push('the reports share no texts: they were not run on the same probes');
  else if (matched < total) flags.push(`only ${matched} of ${total} texts are in both reports`);
  if (a.tokenization.mode !== b.tokenization.mode) flags.push(`tokenization differs: ${a.tokenization.mode} vs ${b.tokenization.mode}`);
  else if (a.tokenization.maxLength !== b.tokenization.maxLength)
    flags.push(`max length differs: ${a.tokenization.maxLength} vs ${b.tokenization.maxLength}`);
  const ma = a.cosine?.mean ?? null;
  const mb = b.cosine?.mean ?? null;
  const meanDelta = ma !== null && mb !== null ? Math.abs(ma - mb) : null;
  if (meanDelta !== null && meanDelta > meanTol)
    flags.push(`mean cosine differs by ${meanDelta.toFixed(4)} (${ma!.toFixed(4)} vs ${mb!.toFixed(4)})`);
  if (maxCos !== null && maxCos > itemTol && worst)
    flags.push(
      `cosine of ${worst.set}/${worst.id} differs by ${maxCos.toFixed(4)} (${worst.cosine[0].toFixed(4)} vs ${worst.cosine[1].toFixed(4)})`,
    );
  for (const role of ['original', 'quantized'] as const) {
    const m = maxNorm[role];
    if (m !== null && m > normTol) flags.push(`${role} model: embedding norms differ by up to ${(m * 100).toFixed(2)}% between backends`);
  }
  if (a.verdict.pass !== b.verdict.pass)
    flags.push(
      `verdicts disagree: ${a.verdict.pass ? 'pass' : 'fail'} on ${a.backend.label}, ${b.verdict.pass ? 'pass' : 'fail'} on ${b.backend.label}`,
    );
  const top1Changes: BackendComparison['top1Changes'] = [];
  for (const sa of a.retrieval.sets) {
    const sb = b.retrieval.sets.find((s) => s.id === sa.id);
    if (!sb) continue;
    for (const qa of sa.perQuery) {
      const qb = sb.perQuery.find((q) => q.id === qa.id);
      if (!qb) continue;
      const ta = qa.topQuantized[0] ?? null;
      const tb = qb.topQuantized[0] ?? null;
      if (ta !== tb) top1Changes.push({ set: sa.id, query: qa.id, tops: [ta, tb] });
    }
  }
  if (top1Changes.length) flags.push(`${top1Changes.length} queries get a different top document from the quantized model`);
  return {
    backends: [a.backend.label, b.backend.label],
    agree: flags.length === 0,
    flags,
    matchedItems: matched,
    meanCosine: [ma, mb],
    meanCosineDelta: meanDelta,
    maxItemCosineDelta: maxCos,
    worstItem: worst,
    maxNormRelDelta: maxNorm,
    verdicts: [a.verdict.pass, b.verdict.pass],
    top1Changes,
  };
}
