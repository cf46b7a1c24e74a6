/**
 * Measures many candidate models against one original on one probe selection, embedding the original once. The
 * numbers are the quality check's own (src/core/quality): the same texts (buildTexts), batches (planPass), pooling
 * (createEmbedder), per-text cosine (compareEmbeddings), cosine statistics over the chosen sentence sets
 * (cosineReport) and retrieval report (retrievalReport), so `meanCosine` here equals runQualityCheck's
 * `report.cosine.mean` for the same model and probes, and `top5Overlap` equals top5Overlap(report.retrieval).
 */
import { parseModel } from '../onnx/model.js';
import { createEmbedder, type PoolingChoice } from '../quality/embedder.js';
import { planPass, runPass, type ModelPass, type PassPlan } from '../quality/embed-pass.js';
import { compareEmbeddings, cosineReport } from '../quality/metrics.js';
import { encoderGraphInfo } from '../quality/model-info.js';
import type { OrtModule, OrtSessionOptionsLike } from '../quality/ort.js';
import type { ProbeBundle } from '../quality/probes.js';
import type { RetrievalReport } from '../quality/report.js';
import { retrievalReport } from '../quality/retrieval.js';
import { buildTexts, type Texts } from '../quality/texts.js';
import type { TokenizerFiles } from '../quality/tokenize.js';

/** How close one model's embeddings are to the original's on a probe selection. */
export interface ProbeMetrics {
  /** Mean cosine (original vs candidate) over the selection's sentences (null when nothing finite was compared). */
  meanCosine: number | null;
  minCosine: number | null;
  /** Mean overlap of the two top-5 document lists over every query of the retrieval sets with more than 5 documents (null without such a set). */
  top5Overlap: number | null;
  /** Texts the cosine statistics are over, and queries the overlap is over. */
  texts: number;
  queries: number;
  /** Candidate embeddings with NaN / Infinity (any makes the candidate fail every bar). */
  nonFinite: number;
  /** Time in session.run (ms). */
  embedMs: number;
}

/**
 * Top-5 overlap of a quality report's retrieval part: the query-weighted mean of overlap@5 over the sets that measure
 * k = 5 (more than 5 documents; the seed's 4-document case does not). null when no set does.
 */
export function top5Overlap(r: RetrievalReport): number | null {
  let sum = 0;
  let n = 0;
  for (const s of r.sets) {
    const o = s.overlap.find((x) => x.k === 5);
    if (!o) continue;
    sum += o.mean * s.queries;
    n += s.queries;
  }
  return n ? sum / n : null;
}

export interface ProbeEvaluatorOptions {
  ort: OrtModule;
  /** The original (reference) model's bytes. */
  original: Uint8Array;
  probes: ProbeBundle;
  tokenizer?: TokenizerFiles | null;
  pooling?: PoolingChoice;
  outputName?: string;
  sessionOptions?: OrtSessionOptionsLike;
  /** As the quality check: texts per session.run (16), cap on batch × padded length (4096). */
  batchSize?: number;
  maxBatchTokens?: number;
  signal?: AbortSignal;
}

export interface ProbeEvaluator {
  /** What the metrics are over, e.g. "24 texts: en 12, multi 12 (retrieval documents and queries reported apart: 78)". */
  readonly description: string;
  readonly texts: number;
  /** The original's embedding time (ms). */
  readonly originalMs: number;
  /** Embeds the texts with `model` (bytes) and compares them with the original's. Rejects with the session's error when it cannot load or run. */
  evaluate(model: Uint8Array, signal?: AbortSignal): Promise<ProbeMetrics>;
}

/** Tokenizes the selection and embeds it with the original once. Rejects when there is nothing to embed or the original cannot run. */
export async function createProbeEvaluator(o: ProbeEvaluatorOptions): Promise<ProbeEvaluator> {
  const view = parseModel(o.original);
  const graph = encoderGraphInfo(view);
  const texts: Texts = buildTexts({
    tokenizer: o.tokenizer,
    sentenceSets: o.probes.sentenceSets,
    sentences: [],
    retrievalSets: o.probes.retrievalSets,
    maxLength: undefined,
    modelMaxPositions: graph.maxPositions,
    vocabSize: graph.vocabSize,
    randomSequences: 96,
    seed: 1234,
  });
  if (texts.error) throw new Error(texts.error);
  const plan: PassPlan = planPass(texts.items, o.batchSize ?? 16, o.maxBatchTokens ?? 4096, 0);
  const padId = texts.tokenization.padId;
  const pass = async (bytes: Uint8Array, role: 'original' | 'quantized', signal?: AbortSignal): Promise<ModelPass> => {
    const emb = await createEmbedder({
      ort: o.ort,
      model: bytes,
      sessionOptions: o.sessionOptions,
      pooling: o.pooling,
      outputName: o.outputName,
    });
    try {
      return await runPass(
        role,
        emb,
        texts.items,
        plan,
        padId,
        signal,
        () => undefined,
        (e) => (e as Error)?.message ?? String(e),
      );
    } finally {
      await emb.release().catch(() => undefined);
    }
  };
  const original = await pass(o.original, 'original', o.signal);
  return {
    description: texts.basisInfo.description,
    texts: texts.basis.length,
    originalMs: original.runMs,
    async evaluate(model, signal) {
      const q = await pass(model, 'quantized', signal);
      const cmp = compareEmbeddings(texts.items, original, q, { original: null, quantized: null }, [0, Infinity], [0, Infinity]);
      const cos = cosineReport(texts.items, cmp.cos, texts.basis, texts.basisInfo, 1, 0);
      const retrieval = o.tokenizer ? retrievalReport(o.probes.retrievalSets, texts.docIndex, original.vectors, q.vectors, cmp.cos) : null;
      const nonFinite = q.nonFinite.filter((x) => x > 0).length;
      return {
        meanCosine: cos.mean,
        minCosine: cos.min,
        top5Overlap: retrieval ? top5Overlap(retrieval) : null,
        texts: cos.count,
        queries: retrieval ? retrieval.sets.filter((s) => s.overlap.some((x) => x.k === 5)).reduce((a, s) => a + s.queries, 0) : 0,
        nonFinite,
        embedMs: q.runMs,
      };
    },
  };
}
