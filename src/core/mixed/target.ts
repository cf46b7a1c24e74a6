/**
 * Target mode: the smallest mix of per-group precisions that still meets a quality bar.
 *
 *   1. groups       layerGroups(model): embeddings, layer.0 … layer.N, rest (groups.ts); predicted sizes (sizes.ts).
 *   2. baseline     the original embedded once per probe selection (evaluate.ts); plain INT8 (default preset, or the
 *                   given INT8 options) and, unless `uniform: false`, all-fp16 and all-q4, measured on the FULL probes.
 *   3. sensitivity  each group alone at each candidate precision (others fp32), measured on the probe SUBSET
 *                   (default quickSelection(probes, 24): 24 sentences + the whole retrieval sets).
 *   4. search       cheapestMix (search.ts) under the bar's budget (1 − minCosine, 1 − minTop5Overlap).
 *   5. verify       the chosen mix built (compose.ts) and measured on the FULL probe set. Missing the bar: the budget is
 *                   tightened by the ratio of measured to predicted loss and the search runs again (a strictly less
 *                   lossy mix); meeting it with much to spare: the budget is loosened once the same way. Every verified
 *                   model (plain INT8 and the uniform ones included) competes: the answer is the smallest that met the
 *                   bar.
 *   6. report       runQualityCheck (the app's full quality report) on the answer, threshold = the bar's cosine.
 *
 * The bar: mean cosine ≥ minCosine over the probe sentences (the quality check's verdict statistic), and/or top-5
 * retrieval overlap ≥ minTop5Overlap (query-weighted over the retrieval sets with more than 5 documents); both when
 * both are given. The answer's statement says whether it is smaller than plain INT8, and when it is not, whether plain
 * INT8 met the bar.
 */
import { hashBytes } from '../batch/hashing.js';
import { parseModel, type ModelView } from '../onnx/model.js';
import type { OutputProvenance } from '../provenance.js';
import { COSINE_BAR_RANGE, DEFAULT_THRESHOLD, OVERLAP_BAR_RANGE, runQualityCheck } from '../quality/check.js';
import { numberRangeProblem } from '../modes/options.js';
import { modelDigest } from '../quality/digest.js';
import type { PoolingChoice } from '../quality/embedder.js';
import type { OrtModule, OrtSessionOptionsLike } from '../quality/ort.js';
import { quickSelection, type ProbeBundle } from '../quality/probes.js';
import type { QualityReport } from '../quality/report.js';
import type { TokenizerFiles } from '../quality/tokenize.js';
import { buildMix, type MixReport } from './compose.js';
import { createProbeEvaluator, top5Overlap, type ProbeEvaluator, type ProbeMetrics } from './evaluate.js';
import { layerGroups, type GroupPlan } from './groups.js';
import { PRECISIONS, resolveMixOptions, type Assignment, type MixOptions, type Precision, type ResolvedMixOptions } from './options.js';
import { cheapestMix, type GroupOption, type SearchGroup } from './search.js';
import { predictGroupBytes } from './sizes.js';
import { DT } from '../onnx/dtypes.js';

/** Bump when the search or the report changes: part of the cache key. */
export const TARGET_ENGINE_VERSION = 1;

export interface TargetBar {
  /** Mean cosine (original vs output) over the probe sentences must be ≥ this. */
  minCosine?: number;
  /** Top-5 retrieval overlap must be ≥ this (0..1). Needs a tokenizer. */
  minTop5Overlap?: number;
}

export interface TargetProgress {
  phase: 'groups' | 'baseline' | 'sensitivity' | 'search' | 'verify' | 'report' | 'done';
  /** 0..1 of the whole run (phases weighted by their usual share of the time). */
  fraction: number;
  /** Within the phase. */
  done: number;
  total: number;
  message: string;
}

export interface TargetModeOptions extends MixOptions {
  ort: OrtModule;
  /** The float32 model (in memory). */
  model: Uint8Array;
  name?: string;
  tokenizer?: TokenizerFiles | null;
  pooling?: PoolingChoice;
  outputName?: string;
  /** The full probe set: verification and the final report. */
  probes: ProbeBundle;
  /** The sensitivity subset. Default quickSelection(probes, sensitivitySentences). */
  sensitivityProbes?: ProbeBundle;
  /** Sentences in the default subset (24). */
  sensitivitySentences?: number;
  bar: TargetBar;
  /** Precisions a group may take (fp32 is always allowed). Default fp32, fp16, int8, q4. */
  candidates?: Precision[];
  /** Mixes verified on the full probe set by the search loop (default 6; plain INT8 and the uniform ones come on top). */
  maxVerifications?: number;
  /** Also measure all-fp16 and all-q4 on the full probes (points for the plot, and answers when smallest). Default true. */
  uniform?: boolean;
  sessionOptions?: OrtSessionOptionsLike;
  /** Backend label for the final report. */
  backend?: string;
  provenance?: OutputProvenance;
  onProgress?: (p: TargetProgress) => void;
  signal?: AbortSignal;
}

/** How the search is tuned: the precisions allowed, the verification budget, the uniform points, each mode's options. */
export type TargetTuning = Pick<TargetModeOptions, 'candidates' | 'maxVerifications' | 'uniform' | 'int8' | 'q4' | 'fp16'>;

/** The tuning options given in `o` (a CLI's flags, a worker's request), only those set: absent ones keep their defaults. */
export function targetTuning(o: TargetTuning): TargetTuning {
  const out: TargetTuning = {};
  if (o.candidates) out.candidates = o.candidates;
  if (o.maxVerifications !== undefined) out.maxVerifications = o.maxVerifications;
  if (o.uniform !== undefined) out.uniform = o.uniform;
  if (o.int8) out.int8 = o.int8;
  if (o.q4) out.q4 = o.q4;
  if (o.fp16) out.fp16 = o.fp16;
  return out;
}

/** One measured model: a point of the size-vs-quality plot. */
export interface TargetPoint {
  /** 'sensitivity': one group changed, on the subset; 'uniform': a plain mode on the full set; 'attempt': a searched mix on the full set. */
  kind: 'sensitivity' | 'uniform' | 'attempt';
  label: string;
  assignment: Assignment;
  /** Real output size. */
  bytes: number;
  /** Predicted from the initializers (sizes.ts). */
  predictedBytes: number;
  probes: 'subset' | 'full';
  meanCosine: number | null;
  minCosine: number | null;
  top5Overlap: number | null;
  nonFinite: number;
  meetsBar: boolean;
  /** Search attempts: the predicted losses and the budget they were chosen under. */
  predicted?: { cosLoss: number; top5Loss: number; budget: { cos: number | null; top5: number | null } };
}

export interface TargetGroupInfo {
  id: string;
  kind: string;
  nodes: number;
  weightBytes: number;
  /** Predicted payload bytes per precision. */
  predictedBytes: Record<Precision, number>;
  /** The precisions measured for it (those that change its bytes). */
  candidates: Precision[];
}

export interface TargetReport {
  engineVersion: number;
  cacheKey: string;
  model: { name: string; bytes: number; sha256: string };
  bar: TargetBar;
  candidates: Precision[];
  /** Options as given (to rebuild the answer: buildMix(model, chosen.assignment, mixOptions)) and resolved. */
  mixOptions: MixOptions;
  options: ResolvedMixOptions;
  groupMethod: GroupPlan['method'];
  groups: TargetGroupInfo[];
  notes: string[];
  probes: { subset: string; full: string };
  /** Every measured model: sensitivity points (subset), plain modes and searched mixes (full). */
  points: TargetPoint[];
  /** Predicted size vs predicted mean cosine of the cheapest mix under a range of cosine budgets (subset losses summed). */
  curve: { cosBudget: number; predictedBytes: number; predictedMeanCosine: number; assignment: Assignment }[];
  /** Plain INT8 with the given INT8 options (default preset), measured on the full probes. */
  int8: TargetPoint;
  /** The answer: the smallest verified model that met the bar, or null when only the float32 original does. */
  chosen: (TargetPoint & { mix: MixReport }) | null;
  verdict: {
    met: boolean;
    smallerThanInt8: boolean;
    int8MeetsBar: boolean;
    statement: string;
  };
  /** runQualityCheck of the answer on the full probe set (null when there is no answer). */
  quality: QualityReport | null;
  timings: {
    groupsMs: number;
    baselineMs: number;
    sensitivityMs: number;
    searchMs: number;
    verifyMs: number;
    reportMs: number;
    totalMs: number;
  };
}

export interface TargetResult {
  report: TargetReport;
  /** The answer's bytes (null when no quantized model met the bar). */
  bytes: Uint8Array | null;
}

const now = (): number => (globalThis.performance ? globalThis.performance.now() : Date.now());
const ms = (x: number) => Math.round(x);
const WEIGHTS = { groups: 0.01, baseline: 0.14, sensitivity: 0.5, search: 0.01, verify: 0.24, report: 0.1 } as const;

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

export interface TargetCacheInput {
  /** modelDigest(model).sha256 (metadata_props left out). */
  modelSha256: string;
  bar: TargetBar;
  candidates: readonly Precision[];
  options: ResolvedMixOptions;
  maxVerifications: number;
  uniform: boolean;
  probes: ProbeBundle;
  sensitivityProbes: ProbeBundle;
  tokenizer: TokenizerFiles | null;
  pooling: PoolingChoice;
  outputName: string | undefined;
}

/**
 * The cache key of a target-mode run: SHA-256 (hex) of the canonical JSON of everything the answer depends on (the
 * model's digest, bar, candidates, resolved mode options, search settings, both probe selections, tokenizer, pooling,
 * output) and TARGET_ENGINE_VERSION. Execution providers are not in it (the caller adds them when it caches per backend).
 */
export async function targetCacheKey(i: TargetCacheInput): Promise<string> {
  const json = JSON.stringify(
    canonical({
      engine: TARGET_ENGINE_VERSION,
      ...i,
      tokenizer: i.tokenizer ?? null,
      pooling: i.pooling ?? null,
      outputName: i.outputName ?? null,
    }),
  );
  return (await hashBytes(new TextEncoder().encode(json), { md5: false })).sha256;
}

/** The settings a run uses, from its options (defaults applied): what runTargetMode and targetCacheKeyFor share. */
function settingsOf(o: Omit<TargetModeOptions, 'ort'>) {
  const candidates: Precision[] = ['fp32', ...PRECISIONS.filter((p) => p !== 'fp32' && (o.candidates ?? PRECISIONS).includes(p))];
  const maxVerifications = Math.max(1, Math.floor(o.maxVerifications ?? 6));
  const uniform = o.uniform ?? true;
  const mixOptions: MixOptions = {
    ...(o.int8 ? { int8: o.int8 } : {}),
    ...(o.q4 ? { q4: o.q4 } : {}),
    ...(o.fp16 ? { fp16: o.fp16 } : {}),
  };
  const resolved = resolveMixOptions(mixOptions);
  const subsetProbes = o.sensitivityProbes ?? quickSelection(o.probes, o.sensitivitySentences ?? 24);
  return { candidates, maxVerifications, uniform, mixOptions, resolved, subsetProbes };
}

/**
 * The cache key runTargetMode will report for these options (report.cacheKey), without running it: callers look a
 * cached answer up with it before any work (the CLI: $AVA_CACHE_DIR/target/). `modelSha256`: modelDigest(o.model)
 * when already known.
 */
export async function targetCacheKeyFor(o: Omit<TargetModeOptions, 'ort'>, modelSha256?: string): Promise<string> {
  const s = settingsOf(o);
  return targetCacheKey({
    modelSha256: modelSha256 ?? (await modelDigest(o.model)).sha256,
    bar: o.bar,
    candidates: s.candidates,
    options: s.resolved,
    maxVerifications: s.maxVerifications,
    uniform: s.uniform,
    probes: o.probes,
    sensitivityProbes: s.subsetProbes,
    tokenizer: o.tokenizer ?? null,
    pooling: o.pooling,
    outputName: o.outputName,
  });
}

function checkBar(bar: TargetBar, tokenizer: boolean): void {
  const { minCosine: c, minTop5Overlap: t } = bar;
  if (c === undefined && t === undefined) throw new RangeError('target mode needs a bar: minCosine and/or minTop5Overlap');
  // The ranges the CLI's flags and the page's form check too, said the same way: "above -1 and at most 1".
  const bad =
    (c !== undefined ? numberRangeProblem(COSINE_BAR_RANGE, c, 'minCosine') : null) ??
    (t !== undefined ? numberRangeProblem(OVERLAP_BAR_RANGE, t, 'minTop5Overlap') : null);
  if (bad) throw new RangeError(bad);
  if (t !== undefined && !tokenizer) throw new RangeError('minTop5Overlap needs a tokenizer (retrieval needs real text)');
}

function meets(m: Pick<ProbeMetrics, 'meanCosine' | 'top5Overlap' | 'nonFinite'>, bar: TargetBar): boolean {
  if (m.nonFinite > 0) return false;
  if (bar.minCosine !== undefined && !(m.meanCosine !== null && m.meanCosine >= bar.minCosine)) return false;
  if (bar.minTop5Overlap !== undefined && !(m.top5Overlap !== null && m.top5Overlap >= bar.minTop5Overlap - 1e-12)) return false;
  return true;
}

const keyOf = (a: Assignment) => JSON.stringify(canonical(a));
const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const f4 = (x: number | null) => (x === null ? '—' : x.toFixed(4));

function describeMix(a: Assignment): string {
  const by = new Map<Precision, string[]>();
  for (const [g, p] of Object.entries(a)) by.set(p, [...(by.get(p) ?? []), g]);
  if (by.size === 1) return `all ${[...by.keys()][0]}`;
  return PRECISIONS.filter((p) => by.has(p))
    .map((p) => `${p}: ${by.get(p)!.join(', ')}`)
    .join('; ');
}

/**
 * Runs target mode. Returns the report (plain data, JSON-safe) and the answer's bytes. Throws RangeError for a bad
 * bar or options, the modes' refusals when the model cannot be quantized at all, the quality core's errors when the
 * original cannot be embedded, and signal.reason (an AbortError) when cancelled; nothing is written anywhere.
 */
export async function runTargetMode(o: TargetModeOptions): Promise<TargetResult> {
  const t0 = now();
  const signal = o.signal;
  signal?.throwIfAborted();
  checkBar(o.bar, !!o.tokenizer);
  const { candidates, maxVerifications, uniform, mixOptions, resolved, subsetProbes } = settingsOf(o);
  const timings: TargetReport['timings'] = {
    groupsMs: 0,
    baselineMs: 0,
    sensitivityMs: 0,
    searchMs: 0,
    verifyMs: 0,
    reportMs: 0,
    totalMs: 0,
  };
  const order = ['groups', 'baseline', 'sensitivity', 'search', 'verify', 'report'] as const;
  const progress = (phase: TargetProgress['phase'], done: number, total: number, message: string) => {
    const before = phase === 'done' ? 1 : order.slice(0, order.indexOf(phase)).reduce((a, p) => a + WEIGHTS[p], 0);
    const share = phase === 'done' ? 0 : WEIGHTS[phase];
    o.onProgress?.({ phase, fraction: Math.min(1, before + share * (total ? done / total : 1)), done, total, message });
  };

  // ---- 1. groups -------------------------------------------------------------------------------------------------
  let t = now();
  progress('groups', 0, 1, 'finding layer groups');
  const model: ModelView = parseModel(o.model);
  const plan = layerGroups(model);
  const fileBytes = model.fileBytes + model.externalBytes;
  const predicted = new Map(plan.groups.map((g) => [g.id, predictGroupBytes(g, resolved)]));
  const groupInfo: TargetGroupInfo[] = plan.groups.map((g) => {
    const pb = predicted.get(g.id)!;
    return {
      id: g.id,
      kind: g.kind,
      nodes: g.nodes.length + g.unnamed,
      weightBytes: g.weightBytes,
      predictedBytes: pb,
      // fp16 changes the arithmetic even without weights; a group with no float weights at all is left fp32.
      candidates: candidates.filter((p) => p === 'fp32' || (g.weights.some((w) => w.dataType === DT.FLOAT) && pb[p] !== pb.fp32)),
    };
  });
  const predictedOf = (a: Assignment) =>
    plan.groups.reduce((s, g) => s + predicted.get(g.id)![a[g.id] ?? 'fp32'] - predicted.get(g.id)!.fp32, fileBytes);
  const sha256 = (await modelDigest(o.model)).sha256;
  const cacheKey = await targetCacheKeyFor(o, sha256);
  const notes = [...plan.notes];
  timings.groupsMs = ms(now() - t);
  progress('groups', 1, 1, `${plan.groups.length} groups (${plan.method})`);

  const evalOpts = {
    ort: o.ort,
    original: o.model,
    tokenizer: o.tokenizer ?? null,
    pooling: o.pooling,
    outputName: o.outputName,
    sessionOptions: o.sessionOptions,
    signal,
  };
  const build = (a: Assignment) => buildMix(model, a, { ...mixOptions, provenance: o.provenance }, undefined, signal);
  const all = (p: Precision): Assignment => Object.fromEntries(plan.groups.map((g) => [g.id, p]));
  const points: TargetPoint[] = [];
  const verified: TargetPoint[] = [];
  // Only the answer so far keeps its bytes (a model each, not one per verified mix).
  let best: { point: TargetPoint; bytes: Uint8Array; mix: MixReport } | null = null;
  const consider = (pt: TargetPoint, bytes: Uint8Array, mix: MixReport) => {
    verified.push(pt);
    if (!pt.meetsBar || pt.bytes >= fileBytes) return;
    if (!best || pt.bytes < best.point.bytes || (pt.bytes === best.point.bytes && (pt.meanCosine ?? 0) > (best.point.meanCosine ?? 0)))
      best = { point: pt, bytes, mix };
  };
  const point = (
    kind: TargetPoint['kind'],
    label: string,
    a: Assignment,
    bytes: number,
    probes: 'subset' | 'full',
    m: ProbeMetrics,
    extra: Partial<TargetPoint> = {},
  ): TargetPoint => {
    const p: TargetPoint = {
      kind,
      label,
      assignment: a,
      bytes,
      predictedBytes: predictedOf(a),
      probes,
      meanCosine: m.meanCosine,
      minCosine: m.minCosine,
      top5Overlap: m.top5Overlap,
      nonFinite: m.nonFinite,
      meetsBar: meets(m, o.bar),
      ...extra,
    };
    points.push(p);
    return p;
  };

  // ---- 2. baseline ----------------------------------------------------------------------------------------------
  t = now();
  const uniformList = (['int8', ...(uniform ? (['fp16', 'q4'] as const) : [])] as Precision[]).filter(
    (p) => p === 'int8' || candidates.includes(p),
  );
  const baseTotal = 2 + uniformList.length;
  progress('baseline', 0, baseTotal, 'embedding the probe subset with the original');
  const subset: ProbeEvaluator = await createProbeEvaluator({ ...evalOpts, probes: subsetProbes });
  progress('baseline', 1, baseTotal, 'embedding the full probe set with the original');
  const fullEval: ProbeEvaluator = await createProbeEvaluator({ ...evalOpts, probes: o.probes });
  let int8Point: TargetPoint | null = null;
  for (const [i, p] of uniformList.entries()) {
    signal?.throwIfAborted();
    progress('baseline', 2 + i, baseTotal, `plain ${p} on the full probe set`);
    const a = all(p);
    const mix = await build(a);
    const m = await fullEval.evaluate(mix.bytes, signal);
    const pt = point(
      'uniform',
      p === 'int8' ? `plain INT8 (${resolved.int8.preset ?? 'custom'})` : `plain ${p}`,
      a,
      mix.bytes.length,
      'full',
      m,
    );
    consider(pt, mix.bytes, mix.report);
    if (p === 'int8') int8Point = pt;
  }
  timings.baselineMs = ms(now() - t);
  progress('baseline', baseTotal, baseTotal, 'baseline measured');

  // ---- 3. sensitivity -------------------------------------------------------------------------------------------
  t = now();
  const jobs = groupInfo.flatMap((g) => g.candidates.filter((p) => p !== 'fp32').map((p) => ({ g: g.id, p })));
  const options = new Map<string, GroupOption[]>(
    groupInfo.map((g) => [g.id, [{ precision: 'fp32', deltaBytes: 0, cosLoss: 0, top5Loss: 0 }]]),
  );
  for (const [i, j] of jobs.entries()) {
    signal?.throwIfAborted();
    progress('sensitivity', i, jobs.length, `${j.g} at ${j.p}`);
    const a: Assignment = { ...all('fp32'), [j.g]: j.p };
    const mix = await build(a);
    const m = await subset.evaluate(mix.bytes, signal);
    point('sensitivity', `${j.g} ${j.p}`, a, mix.bytes.length, 'subset', m);
    const broken = m.nonFinite > 0 || m.meanCosine === null;
    // Sizes from the prediction (payload bytes: additive over groups); each real file also carries a fixed overhead of
    // the mode (e.g. INT8's value_info, ~50 KB on MiniLM) that would be counted once per group if real deltas were summed.
    const pb = predicted.get(j.g)!;
    options.get(j.g)!.push({
      precision: j.p,
      deltaBytes: pb[j.p] - pb.fp32,
      cosLoss: broken ? 2 : Math.max(0, 1 - m.meanCosine!),
      top5Loss: broken || m.top5Overlap === null ? (o.bar.minTop5Overlap !== undefined ? 1 : 0) : Math.max(0, 1 - m.top5Overlap),
    });
  }
  timings.sensitivityMs = ms(now() - t);
  progress('sensitivity', jobs.length, jobs.length, 'sensitivity measured');

  // ---- 4. search (and the curve for the plot) --------------------------------------------------------------------
  t = now();
  const searchGroups: SearchGroup[] = groupInfo.map((g) => ({ id: g.id, options: options.get(g.id)! }));
  const budget = {
    cos: o.bar.minCosine !== undefined ? 1 - o.bar.minCosine : null,
    top5: o.bar.minTop5Overlap !== undefined ? 1 - o.bar.minTop5Overlap : null,
  };
  const curve: TargetReport['curve'] = [];
  const seen = new Set<string>();
  const cosRef = budget.cos ?? 0.005;
  for (const f of [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 40]) {
    const c = cheapestMix(searchGroups, { cos: cosRef * f, top5: null });
    if (!c || seen.has(keyOf(c.assignment))) continue;
    seen.add(keyOf(c.assignment));
    curve.push({
      cosBudget: cosRef * f,
      predictedBytes: fileBytes + c.deltaBytes,
      predictedMeanCosine: 1 - c.cosLoss,
      assignment: c.assignment,
    });
  }
  timings.searchMs = ms(now() - t);
  progress('search', 1, 1, `${curve.length} points on the predicted curve`);

  // ---- 5. verify ------------------------------------------------------------------------------------------------
  t = now();
  const k = { cos: 1, top5: 1 };
  const tried = new Set<string>(verified.map((v) => keyOf(v.assignment)));
  let loosened = false;
  let passedInLoop = false;
  for (let it = 0; it < maxVerifications; it++) {
    signal?.throwIfAborted();
    const b = { cos: budget.cos === null ? null : budget.cos * k.cos, top5: budget.top5 === null ? null : budget.top5 * k.top5 };
    const tSearch = now();
    const sol = cheapestMix(searchGroups, b);
    timings.searchMs += ms(now() - tSearch);
    if (!sol) break;
    const key = keyOf(sol.assignment);
    if (Object.values(sol.assignment).every((p) => p === 'fp32')) {
      notes.push(`search: under budget ${f4(b.cos)} (cosine) the cheapest mix is all fp32: nothing left to try`);
      break;
    }
    if (tried.has(key)) {
      const prior = verified.find((v) => keyOf(v.assignment) === key);
      if (prior && !prior.meetsBar) {
        // Already measured (e.g. plain INT8) and it failed: tighten as if it had just been verified.
        tighten(prior, sol);
        continue;
      }
      break;
    }
    const known = best as { point: TargetPoint } | null;
    if (known && fileBytes + sol.deltaBytes >= known.point.bytes) {
      notes.push(
        `search: the next mix (${describeMix(sol.assignment)}) is predicted no smaller than ${known.point.label}, which met the bar: stopped`,
      );
      break;
    }
    tried.add(key);
    progress('verify', it, maxVerifications, `verifying ${describeMix(sol.assignment)}`);
    const mix = await build(sol.assignment);
    const m = await fullEval.evaluate(mix.bytes, signal);
    const pt = point('attempt', `attempt ${it + 1}`, sol.assignment, mix.bytes.length, 'full', m, {
      predicted: { cosLoss: sol.cosLoss, top5Loss: sol.top5Loss, budget: b },
    });
    consider(pt, mix.bytes, mix.report);
    if (pt.meetsBar) {
      passedInLoop = true;
      if (loosened || !loosen(pt, sol)) break;
      loosened = true;
      continue;
    }
    if (loosened && passedInLoop) break;
    tighten(pt, sol);
  }
  // Calibration: the measured loss A of a mix predicted at P says real ≈ (A / P) · predicted, so the budget that
  // should just meet the bar B is B · P / A (× 0.95 for noise). Missing the bar (A > B) gives a budget below P: the
  // next mix is strictly less lossy by prediction. k is relative to B.
  function measuredLoss(pt: TargetPoint, dim: 'cos' | 'top5'): number {
    if (pt.nonFinite) return 2;
    if (dim === 'cos') return pt.meanCosine === null ? 2 : Math.max(0, 1 - pt.meanCosine);
    return pt.top5Overlap === null ? 1 : Math.max(0, 1 - pt.top5Overlap);
  }
  function tighten(pt: TargetPoint, sol: { cosLoss: number; top5Loss: number }): void {
    for (const dim of ['cos', 'top5'] as const) {
      const B = budget[dim];
      if (B === null) continue;
      const A = measuredLoss(pt, dim);
      if (A > B) k[dim] = Math.min(k[dim], (0.95 * (dim === 'cos' ? sol.cosLoss : sol.top5Loss)) / Math.max(A, 1e-12));
    }
  }
  /** Met the bar with room to spare on every constrained measure: loosen once (true when the budget grew). */
  function loosen(pt: TargetPoint, sol: { cosLoss: number; top5Loss: number }): boolean {
    const next = { ...k };
    for (const dim of ['cos', 'top5'] as const) {
      const B = budget[dim];
      if (B === null) continue;
      const A = measuredLoss(pt, dim);
      if (A >= 0.8 * B) return false;
      const P = dim === 'cos' ? sol.cosLoss : sol.top5Loss;
      next[dim] = A > 0 ? Math.min(4, (0.95 * P) / A) : Math.min(4, 2 * k[dim]);
    }
    if (!(['cos', 'top5'] as const).some((d) => budget[d] !== null && next[d] > 1.05 * k[d])) return false;
    k.cos = next.cos;
    k.top5 = next.top5;
    return true;
  }
  timings.verifyMs = ms(now() - t);

  // ---- 6. the answer and its report --------------------------------------------------------------------------------
  t = now();
  // (TypeScript narrows `best` to null here: it is assigned inside a closure.)
  const answer = best as { point: TargetPoint; bytes: Uint8Array; mix: MixReport } | null;
  let quality: QualityReport | null = null;
  if (answer) {
    progress('report', 0, 1, 'full quality report of the answer');
    quality = await runQualityCheck({
      ort: o.ort,
      original: { bytes: o.model, name: o.name ?? 'model.onnx' },
      quantized: { bytes: answer.bytes, name: `${(o.name ?? 'model.onnx').replace(/\.onnx$/i, '')}-MIXED.onnx` },
      tokenizer: o.tokenizer ?? null,
      pooling: o.pooling,
      outputName: o.outputName,
      sentenceSets: o.probes.sentenceSets,
      retrievalSets: o.probes.retrievalSets,
      threshold: o.bar.minCosine ?? DEFAULT_THRESHOLD,
      sessionOptions: o.sessionOptions,
      backend: o.backend,
      signal,
    });
    const q5 = top5Overlap(quality.retrieval);
    if (quality.cosine && (quality.cosine.mean !== answer.point.meanCosine || q5 !== answer.point.top5Overlap))
      notes.push(
        `the final report measured mean cosine ${f4(quality.cosine.mean)}, top-5 ${f4(q5)} (the search measured ${f4(answer.point.meanCosine)}, ${f4(answer.point.top5Overlap)})`,
      );
  }
  timings.reportMs = ms(now() - t);

  const int8 = int8Point!;
  const smallerThanInt8 = !!answer && answer.point.bytes < int8.bytes;
  const barText = [
    o.bar.minCosine !== undefined ? `mean cosine ≥ ${o.bar.minCosine}` : '',
    o.bar.minTop5Overlap !== undefined ? `top-5 overlap ≥ ${o.bar.minTop5Overlap}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const int8Text = `${int8.label} at ${mib(int8.bytes)} (mean cosine ${f4(int8.meanCosine)}, top-5 ${f4(int8.top5Overlap)})`;
  let statement: string;
  if (answer && smallerThanInt8)
    statement = `Met the bar (${barText}) at ${mib(answer.point.bytes)}, ${(100 * (1 - answer.point.bytes / int8.bytes)).toFixed(1)}% smaller than ${int8Text}: ${describeMix(answer.point.assignment)}; mean cosine ${f4(answer.point.meanCosine)}, top-5 ${f4(answer.point.top5Overlap)} on the full probe set.`;
  else if (answer)
    statement = `No mix smaller than ${int8Text} met the bar (${barText}); ${int8.meetsBar ? 'plain INT8 meets it' : 'plain INT8 misses it'}. The smallest model that met it: ${describeMix(answer.point.assignment)} at ${mib(answer.point.bytes)} (mean cosine ${f4(answer.point.meanCosine)}, top-5 ${f4(answer.point.top5Overlap)}).`;
  else statement = `Nothing smaller than the float32 original met the bar (${barText}); ${int8Text} misses it.`;
  timings.totalMs = ms(now() - t0);
  progress('done', 1, 1, statement);
  const report: TargetReport = {
    engineVersion: TARGET_ENGINE_VERSION,
    cacheKey,
    model: { name: o.name ?? 'model.onnx', bytes: fileBytes, sha256 },
    bar: o.bar,
    candidates,
    mixOptions,
    options: resolved,
    groupMethod: plan.method,
    groups: groupInfo,
    notes,
    probes: { subset: subset.description, full: fullEval.description },
    points,
    curve,
    int8,
    chosen: answer ? { ...answer.point, mix: answer.mix } : null,
    verdict: { met: !!answer, smallerThanInt8, int8MeetsBar: int8.meetsBar, statement },
    quality,
    timings,
  };
  return { report, bytes: answer?.bytes ?? null };
}
