/**
 * The quality report: plain data (numbers, strings, arrays, records; no typed arrays, no NaN/Infinity —
 * unknown values are null), so it is structured-clone safe and JSON.stringify round-trips it exactly.
 */
import type { Histogram } from './math.js';
import type { InputRole } from './model-info.js';

/** 2: the verdict is over the chosen probe set only (retrieval texts apart), lineage, verdict notes and headline. */
export const REPORT_VERSION = 2;

export type QuantKind = 'none' | 'int8-dynamic' | 'int8-static' | 'int4' | 'fp16' | 'other';

export interface ModelReport {
  role: 'original' | 'quantized';
  name: string;
  /** Size of the .onnx file. */
  fileBytes: number;
  /** Bytes of external data the model references (0 when its weights are inline). */
  externalBytes: number;
  loaded: boolean;
  /** Why the model could not be parsed / loaded / run (null when it ran). */
  error: string | null;
  loadMs: number | null;
  inputs: { name: string; dtype: string; role: InputRole | null }[];
  /** Output read for the sentence vector. */
  output: string | null;
  pooling: 'model output' | 'mean' | 'cls' | null;
  poolingSource: string | null;
  idType: 'int64' | 'int32' | null;
  /** Embedding dimension seen at run time. */
  dim: number | null;
  /** Embedding dimension the graph declares (ModelSummary.embeddingDim). */
  declaredDim: number | null;
  vocabSize: number | null;
  quantization: { kind: QuantKind; evidence: string[] };
  /** Time spent in session.run for the main pass (ms). */
  embedMs: number | null;
  notes: string[];
}

export interface NormStats {
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Items whose norm is outside the band. */
  outOfBand: number;
}

export interface ShapeReport {
  dimsEqual: boolean;
  allFinite: { original: boolean; quantized: boolean };
  /** Ids of items with NaN/Infinity in their embedding (at most 20 each). */
  nonFiniteItems: { original: string[]; quantized: string[] };
  /** L2 norms of the sentence vectors before normalisation. */
  norms: {
    band: [number, number];
    original: NormStats;
    quantized: NormStats;
    /** quantized norm / original norm, per item. */
    ratio: NormStats & { band: [number, number] };
  };
  /** Human-readable findings; empty when everything is as expected. */
  issues: string[];
}

export interface ItemResult {
  id: string;
  set: string;
  role: 'sentence' | 'document' | 'query' | 'random';
  lang: string | null;
  kind: string | null;
  /** Tokens fed (after truncation, special tokens included). */
  tokens: number;
  truncated: boolean;
  /** Cosine of original vs quantized embedding (null when either is non-finite). */
  cosine: number | null;
  norm: { original: number | null; quantized: number | null };
}

export interface GroupStats {
  count: number;
  mean: number | null;
  min: number | null;
}

/** Which texts the verdict's cosine statistics are over. */
export interface CosineBasis {
  /**
   * 'probe sentences': the chosen sentence sets and pasted sentences (retrieval texts are reported apart);
   * 'retrieval texts': no sentences were chosen, so the documents and queries; 'random ids': no tokenizer.
   */
  kind: 'probe sentences' | 'retrieval texts' | 'random ids';
  /** Texts per set, in the order given. */
  sets: { id: string; texts: number }[];
  /** One line, e.g. "219 texts: en 107, multi 112 (retrieval documents and queries reported apart: 78)". */
  description: string;
}

export interface CosineReport {
  /** What the statistics below are over. */
  basis: CosineBasis;
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  /** 5th percentile, linear interpolation (numpy default). */
  p5: number | null;
  median: number | null;
  histogram: Histogram;
  /** Lowest-cosine items, worst first. */
  worst: { id: string; set: string; lang: string | null; text: string; cosine: number }[];
  bySet: Record<string, GroupStats>;
  byLang: Record<string, GroupStats>;
}

export interface RankedDoc {
  id: string;
  score: number;
}

export interface QueryResult {
  id: string;
  text: string;
  relevant: string[];
  /** Top document ids (up to 10), best first. */
  topOriginal: string[];
  topQuantized: string[];
  /** Overlap of the two top-k lists for each k in the set's ks ("1" -> 1, "3" -> 0.67...). */
  overlap: Record<string, number>;
  /** Spearman rank correlation of the full document ranking. */
  spearman: number;
  /** 1-based rank of the first relevant document (null without labels). */
  firstRelevantRank: { original: number | null; quantized: number | null };
}

export interface RuleResult {
  set: string;
  query: string;
  queryText: string;
  description: string;
  notFirst: string[];
  firstOneOf: string[];
  original: { pass: boolean; ranking: RankedDoc[] };
  quantized: { pass: boolean; ranking: RankedDoc[] };
}

export interface RetrievalSetReport {
  id: string;
  title: string;
  documents: number;
  queries: number;
  /** The k values measured: 1, 3, 5, 10 where k < number of documents. */
  ks: number[];
  overlap: { k: number; mean: number; min: number }[];
  spearman: { mean: number; min: number };
  /** Fraction of labelled queries with a relevant document in the top k (null when there are no labels). */
  hitAt: { k: number; original: number; quantized: number }[] | null;
  mrr: { original: number; quantized: number } | null;
  /** Cosine original vs quantized over the set's documents and queries (not part of the verdict's statistics). */
  cosine: GroupStats;
  perQuery: QueryResult[];
  rules: RuleResult[];
}

export interface RetrievalReport {
  rankCorrelation: 'spearman';
  note: string;
  sets: RetrievalSetReport[];
  /** Why retrieval was not measured (null when it was). */
  skipped: string | null;
}

export interface BatchEffectReport {
  /** Items embedded alone (batch of 1) and together in one padded batch. */
  ids: string[];
  /** cosine(alone, in mixed batch) per model. */
  original: { mean: number | null; min: number | null };
  quantized: { mean: number | null; min: number | null };
  /** Mean cosine original vs quantized, both alone / both in the mixed batch. */
  crossAlone: number | null;
  crossMixed: number | null;
  note: string;
}

export interface Verdict {
  pass: boolean;
  metric: 'mean cosine';
  value: number | null;
  threshold: number;
  /** Why it failed (empty when it passed). */
  reasons: string[];
  /** What to try next: only when it failed and there is something to do (never for two unrelated models). */
  advice: string[];
  /** Worth a look even when it passed: something may be wrong. Empty on a clean pass. */
  warnings: string[];
  /** Facts for the details (e.g. dynamic INT8's batch dependence, truncation): nothing to act on. */
  notes: string[];
  /**
   * The answer in one line, e.g. "99.6% similar · same top result for 21 of 21 searches — safe to ship", or
   * "Not recommended: mean cosine 0.9012 is below the threshold 0.95".
   */
  headline: string;
}

/** Whether the two models are an original and a copy made from it (see lineage.ts). */
export interface LineageReport {
  /**
   * 'linked': provenance ties the quantized file to the original's SHA-256; 'unverified': nothing ties or separates
   * them (no provenance; same inputs and weight count); 'unrelated': different inputs or weight counts, or provenance
   * naming another source.
   */
  status: 'linked' | 'unverified' | 'unrelated';
  /** What ties them. */
  evidence: string[];
  /** What separates them. */
  differences: string[];
  /** Weight elements (tensors of rank >= 2, packed 4-bit counted per value) of each model. */
  weights: { original: number; quantized: number };
}

export interface QualityReport {
  version: typeof REPORT_VERSION;
  createdAt: string;
  backend: {
    label: string;
    /** executionProviders from the session options, in order ([] = ORT's default). */
    requestedProviders: string[];
    /** What ran, when known (the caller's word, or the single requested provider); null when ORT cannot tell. */
    ranProviders: string[] | null;
    note: string;
  };
  settings: {
    threshold: number;
    batchSize: number;
    maxBatchTokens: number;
    histogramBins: number;
    worst: number;
    seed: number;
  };
  tokenization: {
    mode: 'tokenizer' | 'random-ids';
    maxLength: number;
    maxLengthSource: string;
    padId: number;
    texts: number;
    tokens: number;
    truncated: number;
    note: string;
  };
  models: { original: ModelReport; quantized: ModelReport };
  /** null when a model could not be read. */
  lineage: LineageReport | null;
  shape: ShapeReport | null;
  cosine: CosineReport | null;
  retrieval: RetrievalReport;
  batchEffect: BatchEffectReport | null;
  items: ItemResult[];
  verdict: Verdict;
  /** Fatal problems (the check could not be completed); the verdict fails when there are any. */
  errors: string[];
  timings: { loadMs: number; tokenizeMs: number; embedMs: number; batchEffectMs: number; totalMs: number };
}

export type QualityPhase = 'load' | 'tokenize' | 'embed' | 'batch-effect' | 'analyse' | 'done';

export interface QualityProgress {
  phase: QualityPhase;
  done: number;
  total: number;
  message: string;
}
