/**
 * Report assembly: the checked settings, the report skeleton every phase fills in (backend, settings, models,
 * timings), and the finished report with its verdict.
 */
import { providerNames, type OrtSessionOptionsLike } from './ort.js';
import { REPORT_VERSION, type ModelReport, type QualityReport } from './report.js';
import { COSINE_BAR_RANGE, DEFAULT_THRESHOLD, failedVerdict, makeVerdict } from './verdict.js';
import { numberRangeProblem } from '../modes/options.js';
import type { QualityCheckOptions } from './check.js';

export interface CheckSettings {
  threshold: number;
  batchSize: number;
  maxBatchTokens: number;
  bins: number;
  worstN: number;
  seed: number;
  normBand: [number, number];
  ratioBand: [number, number];
  batchEffectItems: number;
  randomSequences: number;
}

/** Defaults and bounds of the numeric options (see QualityCheckOptions); throws RangeError for a bad threshold. */
export function checkSettings(
  o: Pick<
    QualityCheckOptions,
    | 'threshold'
    | 'batchSize'
    | 'maxBatchTokens'
    | 'histogramBins'
    | 'worst'
    | 'seed'
    | 'normBand'
    | 'normRatioBand'
    | 'batchEffectItems'
    | 'randomSequences'
  >,
): CheckSettings {
  const threshold = o.threshold ?? DEFAULT_THRESHOLD;
  const bad = numberRangeProblem(COSINE_BAR_RANGE, threshold, 'threshold');
  if (bad) throw new RangeError(bad);
  return {
    threshold,
    batchSize: Math.max(1, Math.floor(o.batchSize ?? 16)),
    maxBatchTokens: Math.max(1, Math.floor(o.maxBatchTokens ?? 4096)),
    bins: Math.max(1, Math.floor(o.histogramBins ?? 20)),
    worstN: Math.max(0, Math.floor(o.worst ?? 10)),
    seed: o.seed ?? 1234,
    normBand: o.normBand ?? [0.01, 1000],
    ratioBand: o.normRatioBand ?? [0.8, 1.25],
    batchEffectItems: o.batchEffectItems ?? 8,
    randomSequences: o.randomSequences ?? 96,
  };
}

export type Draft = Omit<QualityReport, 'verdict'>;

/** The report before any measurement: backend (requested vs ran providers), settings, the two model reports. */
export function draftReport(
  s: CheckSettings,
  o: { sessionOptions?: OrtSessionOptionsLike; backend?: string; providersRan?: string[]; tokenizer: boolean },
  models: { original: ModelReport; quantized: ModelReport },
): Draft {
  const requested = providerNames(o.sessionOptions);
  const ran = o.providersRan ?? (requested.length === 1 ? requested : null);
  return {
    version: REPORT_VERSION,
    createdAt: new Date().toISOString(),
    backend: {
      label: o.backend ?? (requested.length ? requested.join(', ') : 'onnxruntime (default provider)'),
      requestedProviders: requested,
      ranProviders: ran,
      note:
        ran === null
          ? 'onnxruntime does not report which execution provider ran; with several requested it uses the first that initialises'
          : o.providersRan
            ? 'as reported by the caller'
            : 'the single requested provider (nodes it does not support fall back to CPU inside onnxruntime)',
    },
    settings: {
      threshold: s.threshold,
      batchSize: s.batchSize,
      maxBatchTokens: s.maxBatchTokens,
      histogramBins: s.bins,
      worst: s.worstN,
      seed: s.seed,
    },
    tokenization: {
      mode: o.tokenizer ? 'tokenizer' : 'random-ids',
      maxLength: 0,
      maxLengthSource: '',
      padId: 0,
      texts: 0,
      tokens: 0,
      truncated: 0,
      note: '',
    },
    models,
    lineage: null,
    shape: null,
    cosine: null,
    retrieval: { rankCorrelation: 'spearman', note: '', sets: [], skipped: 'not measured' },
    batchEffect: null,
    items: [],
    errors: [],
    timings: { loadMs: 0, tokenizeMs: 0, embedMs: 0, batchEffectMs: 0, totalMs: 0 },
  };
}

/** The finished report: the verdict (a failed one when errors stopped the check). */
export function finishReport(d: Draft, threshold: number): QualityReport {
  return { ...d, verdict: d.errors.length ? failedVerdict(d, threshold) : makeVerdict(d, threshold) };
}
