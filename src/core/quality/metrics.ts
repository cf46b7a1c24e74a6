/**
 * Phase "analyse": the two models' embeddings side by side. Shape checks (dimension, finite values, L2 norms before
 * normalisation and their ratio), per-text cosine, and the cosine statistics the verdict uses, over the verdict's
 * basis (texts.ts): mean, min, p5, median, histogram, worst texts, by set and by language.
 */
import type { ModelPass } from './embed-pass.js';
import { basicStats, cosine, dot, histogram, percentile } from './math.js';
import type { BatchEffectReport, CosineBasis, CosineReport, GroupStats, ItemResult, NormStats, ShapeReport } from './report.js';
import type { Item } from './texts.js';

export const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function fmt(x: number | null, digits = 4): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

function normStats(values: (number | null)[], band: [number, number]): NormStats {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  const s = basicStats(v);
  return {
    mean: fin(s.mean),
    min: fin(s.min),
    max: fin(s.max),
    outOfBand: values.filter((x) => x === null || !Number.isFinite(x) || x < band[0] || x > band[1]).length,
  };
}

export function groupStats(values: number[]): GroupStats {
  const s = basicStats(values);
  return { count: s.count, mean: fin(s.mean), min: fin(s.min) };
}

export interface Comparison {
  shape: ShapeReport;
  dimsEqual: boolean;
  /** Per text: cosine of the two (unit) vectors, null when either is non-finite. */
  cos: (number | null)[];
  /** Norms of finite vectors (null otherwise), per model. */
  norms: { original: (number | null)[]; quantized: (number | null)[] };
}

/**
 * Shape checks and per-text cosines. `declared` are the dimensions the graphs declare (ModelSummary.embeddingDim).
 * Norm bands: an L2 norm outside `normBand`, or a quantized/original ratio outside `ratioBand`, is an issue.
 */
export function compareEmbeddings(
  items: readonly Item[],
  o: ModelPass,
  q: ModelPass,
  declared: { original: number | null; quantized: number | null },
  normBand: [number, number],
  ratioBand: [number, number],
): Comparison {
  const dimO = o.dim;
  const dimQ = q.dim;
  const dimsEqual = dimO === dimQ;
  const bo = o.nonFinite;
  const bq = q.nonFinite;
  const nfO = items.filter((_, i) => bo[i]! > 0).map((it) => it.id);
  const nfQ = items.filter((_, i) => bq[i]! > 0).map((it) => it.id);
  const finite = (i: number) => bo[i] === 0 && bq[i] === 0;
  const normsO = o.norms.map((x, i) => (bo[i] === 0 ? x : null));
  const normsQ = q.norms.map((x, i) => (bq[i] === 0 ? x : null));
  const ratios = items.map((_, i) => (finite(i) && o.norms[i]! > 0 ? q.norms[i]! / o.norms[i]! : null));
  const shape: ShapeReport = {
    dimsEqual,
    allFinite: { original: nfO.length === 0, quantized: nfQ.length === 0 },
    nonFiniteItems: { original: nfO.slice(0, 20), quantized: nfQ.slice(0, 20) },
    norms: {
      band: normBand,
      original: normStats(normsO, normBand),
      quantized: normStats(normsQ, normBand),
      ratio: { ...normStats(ratios, ratioBand), band: ratioBand },
    },
    issues: [],
  };
  if (!dimsEqual) shape.issues.push(`embedding dimensions differ: original ${dimO}, quantized ${dimQ}`);
  for (const [role, d] of [
    ['original', declared.original],
    ['quantized', declared.quantized],
  ] as const) {
    const seen = role === 'original' ? dimO : dimQ;
    if (d !== null && seen !== null && d !== seen)
      shape.issues.push(`${role}: the graph declares dimension ${d} but the output has ${seen}`);
  }
  if (nfO.length) shape.issues.push(`original: ${nfO.length} embeddings contain NaN/Infinity`);
  if (nfQ.length) shape.issues.push(`quantized: ${nfQ.length} embeddings contain NaN/Infinity`);
  for (const role of ['original', 'quantized'] as const) {
    const ns = shape.norms[role];
    if (ns.outOfBand > 0)
      shape.issues.push(`${role}: ${ns.outOfBand} norms outside [${normBand[0]}, ${normBand[1]}] (range ${fmt(ns.min)}–${fmt(ns.max)})`);
  }
  if (shape.norms.ratio.outOfBand > 0)
    shape.issues.push(
      `quantized/original norm ratio outside [${ratioBand[0]}, ${ratioBand[1]}] for ${shape.norms.ratio.outOfBand} texts (range ${fmt(shape.norms.ratio.min)}–${fmt(shape.norms.ratio.max)})`,
    );
  const cos = dimsEqual
    ? items.map((_, i) => (finite(i) ? Math.min(1, Math.max(-1, dot(o.vectors[i]!, q.vectors[i]!))) : null))
    : items.map(() => null);
  return { shape, dimsEqual, cos, norms: { original: normsO, quantized: normsQ } };
}

/** Per-text results for the report (every text, the verdict's and the retrieval sets'). */
export function itemResults(items: readonly Item[], c: Comparison): ItemResult[] {
  return items.map((it, i): ItemResult => ({
    id: it.id,
    set: it.set,
    role: it.role,
    lang: it.lang,
    kind: it.kind,
    tokens: it.enc.ids.length,
    truncated: it.enc.truncated,
    cosine: c.cos[i]!,
    norm: { original: c.norms.original[i]!, quantized: c.norms.quantized[i]! },
  }));
}

/**
 * Cosine statistics over the basis texts. Percentiles interpolate linearly (numpy's default); the histogram's lower
 * edge is the tightest of 0.99, 0.95, 0.9, 0.8, 0.5, 0, -1 that still holds the minimum (comparable across runs).
 */
export function cosineReport(
  items: readonly Item[],
  cos: readonly (number | null)[],
  basis: readonly number[],
  info: CosineBasis,
  bins: number,
  worstN: number,
): CosineReport {
  const valid = basis.map((i) => cos[i]).filter((c): c is number => c !== null && c !== undefined);
  const st = basicStats(valid);
  const lo = [0.99, 0.95, 0.9, 0.8, 0.5, 0, -1].find((e) => !(st.min < e)) ?? -1;
  const group = (key: (it: Item) => string | null) => {
    const m = new Map<string, number[]>();
    for (const i of basis) {
      const k = key(items[i]!);
      const c = cos[i];
      if (k === null || c === null || c === undefined) continue;
      const arr = m.get(k) ?? [];
      arr.push(c);
      m.set(k, arr);
    }
    return Object.fromEntries([...m].map(([k, v]) => [k, groupStats(v)]));
  };
  return {
    basis: info,
    count: valid.length,
    mean: fin(st.mean),
    min: fin(st.min),
    max: fin(st.max),
    p5: fin(percentile(valid, 5)),
    median: fin(percentile(valid, 50)),
    histogram: histogram(valid, bins, lo, 1),
    worst: basis
      .map((i) => ({ id: items[i]!.id, set: items[i]!.set, lang: items[i]!.lang, text: items[i]!.text, cosine: cos[i] }))
      .filter((w): w is typeof w & { cosine: number } => w.cosine !== null && w.cosine !== undefined)
      .sort((a, b) => a.cosine - b.cosine)
      .slice(0, worstN),
    bySet: group((it) => it.set),
    byLang: group((it) => it.lang),
  };
}

/**
 * Batch composition: each chosen text embedded alone vs all of them in one padded batch, per model. Padding is
 * masked, so FP32 gives ~1; dynamic quantization computes activation scales per batch, so its vectors move.
 */
export function batchEffectReport(chosen: readonly Item[], o: ModelPass, q: ModelPass): BatchEffectReport {
  const stat = (a: Float32Array[], b: Float32Array[]) => {
    const s = basicStats(a.map((v, i) => cosine(v, b[i]!)).filter(Number.isFinite));
    return { mean: fin(s.mean), min: fin(s.min) };
  };
  return {
    ids: chosen.map((it) => it.id),
    original: stat(o.alone, o.mixed),
    quantized: stat(q.alone, q.mixed),
    crossAlone: stat(o.alone, q.alone).mean,
    crossMixed: stat(o.mixed, q.mixed).mean,
    note:
      `${chosen.length} texts of different lengths, each embedded alone and all together in one padded batch. ` +
      'FP32 should give ~1 (padding is masked); below 1 on the quantized model means its embeddings depend on the batch ' +
      '(dynamic quantization computes activation scales per batch).',
  };
}
