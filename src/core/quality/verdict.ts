/**
 * The verdict and its advice, in one place: pass when the mean cosine over the chosen probe set reaches the
 * threshold and every retrieval rule that holds on the original holds on the quantized model; reasons when it fails;
 * advice only when it failed and there is something to do (by quantization kind; never for two unrelated models);
 * warnings for what may be wrong although it passed; notes for facts that need no action; one headline sentence.
 */
import type { NumberRange } from '../modes/options.js';
import type { ModelSummary } from '../onnx/summary.js';
import { lineageWarning } from './lineage.js';
import type { QualityReport, QuantKind, Verdict } from './report.js';

/** Pass when the mean cosine is at least this (a common bar for INT8 text embeddings; adjustable per check). */
export const DEFAULT_THRESHOLD = 0.95;

/**
 * The values a mean-cosine bar takes (the check's threshold, target mode's minCosine, in the CLI and the page): above
 * -1 (every cosine is at least -1, so a bar of -1 would pass anything) and at most 1. Messages say it with
 * numberRangeText (src/core/modes/options.ts): "above -1 and at most 1".
 */
export const COSINE_BAR_RANGE: NumberRange = { min: -1, minExclusive: true, max: 1 };

/** The values a top-5 overlap bar takes (target mode's minTop5Overlap, a fraction): at least 0 and at most 1. */
export const OVERLAP_BAR_RANGE: NumberRange = { min: 0, max: 1 };

/** The kind of quantization a model shows, from its op types and initializer types (ModelSummary). */
export function quantKind(s: ModelSummary): QuantKind {
  const ops = Object.keys(s.opCounts).map((k) => k.split(':').pop()!);
  const has = (...names: string[]) => names.some((n) => ops.includes(n));
  if (has('MatMulNBits', 'GatherBlockQuantized') || (s.initializerBytesByType.int4 ?? 0) + (s.initializerBytesByType.uint4 ?? 0) > 0)
    return 'int4';
  if (has('MatMulInteger', 'DynamicQuantizeLinear', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'DynamicQuantizeLSTM'))
    return 'int8-dynamic';
  if (has('QuantizeLinear', 'DequantizeLinear', 'QLinearMatMul', 'QLinearConv', 'QGemm', 'QAttention')) return 'int8-static';
  const total = Object.values(s.initializerBytesByType).reduce((a, b) => a + b, 0);
  if (total > 0 && (s.initializerBytesByType.float16 ?? 0) / total > 0.5) return 'fp16';
  return s.quantized.quantized ? 'other' : 'none';
}

/** What to try when a model of this kind falls below the threshold. */
export function adviceFor(kind: QuantKind): string[] {
  switch (kind) {
    case 'int8-dynamic':
      return [
        'INT8 below threshold: try FP16, or INT8 with per-channel weights',
        'keep the embedding table and the first/last layers in FP32 (exclude them from quantization)',
      ];
    case 'int8-static':
      return [
        'static INT8 below threshold: calibrate on more representative text, or use per-channel weights',
        'or try dynamic INT8 / FP16',
      ];
    case 'int4':
      return ['INT4 below threshold: try a smaller block size (e.g. 32), or INT8 per-channel, or FP16'];
    case 'fp16':
      return [
        'FP16 below threshold (unusual): look for overflow — keep LayerNormalization, Softmax and Pow in FP32 and keep FP32 inputs/outputs',
      ];
    default:
      return ['try a less aggressive setting: FP16, or INT8 with per-channel weights'];
  }
}

/** The verdict of a report whose measurements are all in (`r` without its verdict). */
export function makeVerdict(r: Omit<QualityReport, 'verdict'>, threshold: number): Verdict {
  const reasons: string[] = [...r.errors];
  const warnings: string[] = [];
  const notes: string[] = [];
  const c = r.cosine;
  const mean = c?.mean ?? null;
  const kind = r.models.quantized.quantization.kind;
  const unrelated = lineageWarning(r.lineage);
  if (unrelated) warnings.push(unrelated);
  else if (r.lineage?.status === 'unverified')
    notes.push(`no provenance links the quantized file to the original (${r.lineage.evidence.join('; ')}): taken as a copy of it`);
  if (r.shape && !r.shape.allFinite.quantized)
    reasons.push(`the quantized model produced NaN/Infinity for ${r.shape.nonFiniteItems.quantized.length} texts`);
  if (r.shape && !r.shape.allFinite.original) warnings.push('the original model itself produced NaN/Infinity for some texts');
  if (mean === null) reasons.push('no cosine could be computed');
  else if (mean < threshold) reasons.push(`mean cosine ${mean.toFixed(4)} is below the threshold ${threshold}`);
  for (const s of r.retrieval.sets)
    for (const rule of s.rules) {
      if (!rule.quantized.pass && rule.original.pass)
        reasons.push(`retrieval case failed on the quantized model: ${rule.description} (top: ${rule.quantized.ranking[0]?.id})`);
      else if (!rule.quantized.pass) warnings.push(`retrieval case fails on both models: ${rule.description}`);
      else if (!rule.original.pass)
        warnings.push(`retrieval case fails on the original but passes on the quantized model: ${rule.description}`);
    }
  if (c && mean !== null && mean >= threshold) {
    if (c.p5 !== null && c.p5 < threshold)
      warnings.push(`5% of texts have cosine below ${c.p5.toFixed(4)} (under the threshold) although the mean passes`);
    if (c.min !== null && c.min < threshold - 0.1 && c.worst[0])
      warnings.push(`worst text has cosine ${c.min.toFixed(4)}: "${c.worst[0].text.slice(0, 80)}"`);
  }
  if (r.shape) for (const issue of r.shape.issues) if (!/NaN/.test(issue)) warnings.push(issue);
  for (const s of r.retrieval.sets) {
    const top1 = s.overlap.find((o) => o.k === 1);
    if (top1 && top1.mean < 0.9) warnings.push(`${s.id}: the top document changes for ${Math.round((1 - top1.mean) * 100)}% of queries`);
    if (s.mrr && s.mrr.quantized < s.mrr.original - 0.05)
      warnings.push(`${s.id}: MRR drops from ${s.mrr.original.toFixed(3)} to ${s.mrr.quantized.toFixed(3)}`);
  }
  // Dynamic INT8 computes activation scales per batch: expected, and a note unless it moves vectors past the threshold.
  const bq = r.batchEffect?.quantized.min ?? null;
  if (bq !== null && bq < 0.999) {
    const text =
      `batch composition changes quantized embeddings (cosine alone vs in a batch down to ${bq.toFixed(4)}): ` +
      'for reproducible vectors embed one text per call, or use static quantization';
    (bq < threshold ? warnings : notes).push(text);
  }
  if (r.tokenization.mode === 'random-ids') warnings.push('no tokenizer: measured on random token ids, not on text');
  if (r.tokenization.truncated > 0) notes.push(`${r.tokenization.truncated} texts were truncated to ${r.tokenization.maxLength} tokens`);
  for (const role of ['original', 'quantized'] as const) for (const n of r.models[role].notes) warnings.push(`${role}: ${n}`);
  const pass = reasons.length === 0;
  const advice: string[] = [];
  if (!pass && r.errors.length === 0 && !unrelated) {
    if (r.shape && !r.shape.allFinite.quantized)
      advice.push('non-finite outputs usually mean FP16 overflow or a broken scale: keep LayerNormalization/Softmax in FP32');
    advice.push(...adviceFor(kind));
  }
  const v: Verdict = { pass, metric: 'mean cosine', value: mean, threshold, reasons, advice, warnings, notes, headline: '' };
  v.headline = headline(r, v);
  return v;
}

/** The verdict of a report that could not be completed (errors say why). */
export function failedVerdict(r: Omit<QualityReport, 'verdict'>, threshold: number): Verdict {
  const v: Verdict = {
    pass: false,
    metric: 'mean cosine',
    value: null,
    threshold,
    reasons: [...r.errors],
    advice: [],
    warnings: [],
    notes: [],
    headline: '',
  };
  const unrelated = lineageWarning(r.lineage);
  if (unrelated) v.warnings.push(unrelated);
  v.headline = headline(r, v);
  return v;
}

/** Retrieval searches whose top document is the same under both models, over every retrieval set. */
export function sameTopResult(r: Pick<QualityReport, 'retrieval'>): { same: number; searches: number } {
  let same = 0;
  let searches = 0;
  for (const s of r.retrieval.sets)
    for (const q of s.perQuery) {
      searches++;
      if (q.topOriginal[0] !== undefined && q.topOriginal[0] === q.topQuantized[0]) same++;
    }
  return { same, searches };
}

/**
 * One sentence for people who are not quantization experts, e.g. "99.6% similar · same top result for 21 of 21
 * searches — safe to ship"; "Not recommended: …" with the first reason when it fails.
 */
export function headline(r: Omit<QualityReport, 'verdict'>, v: Omit<Verdict, 'headline'>): string {
  if (r.errors.length) return `Not checked: ${r.errors[0]}`;
  const parts: string[] = [];
  if (v.value !== null) parts.push(`${(Math.max(0, v.value) * 100).toFixed(1)}% similar`);
  const t = sameTopResult(r);
  if (t.searches) parts.push(`same top result for ${t.same} of ${t.searches} search${t.searches === 1 ? '' : 'es'}`);
  const measured = parts.join(' · ');
  if (lineageWarning(r.lineage)) return `${measured} — not a quantized copy of the original: these models do not share a graph lineage`;
  if (!v.pass) return `Not recommended: ${v.reasons[0] ?? 'the check failed'}${measured ? ` (${measured})` : ''}`;
  return `${measured} — ${v.warnings.length ? `passes; worth a look: ${v.warnings.length} warning${v.warnings.length === 1 ? '' : 's'}` : 'safe to ship'}`;
}
