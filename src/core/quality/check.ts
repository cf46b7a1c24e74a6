/**
 * The quality check: embeds the same texts with the original and the quantized model on one ORT backend and
 * measures how far apart they are (cosine per text, retrieval agreement, batch-composition effect), then gives a
 * verdict against a threshold. Runs unchanged in a Web Worker (onnxruntime-web) and in Node (onnxruntime-node).
 */
import { summarize } from '../onnx/inspect.js';
import { parseModel, type ModelView } from '../onnx/model.js';
import type { ModelSummary } from '../onnx/summary.js';
import { createEmbedder, QualityError, type Embedder, type PoolingChoice } from './embedder.js';
import { basicStats, cosine, dot, histogram, percentile, spearman, topK, topKOverlap } from './math.js';
import { providerNames, type OrtModule, type OrtSessionOptionsLike } from './ort.js';
import type { ProbeSentence, RetrievalSet, SentenceSet } from './probes.js';
import {
  REPORT_VERSION,
  type BatchEffectReport,
  type CosineReport,
  type GroupStats,
  type ItemResult,
  type ModelReport,
  type NormStats,
  type QualityProgress,
  type QualityReport,
  type QuantKind,
  type QueryResult,
  type RetrievalReport,
  type RetrievalSetReport,
  type RuleResult,
  type ShapeReport,
  type Verdict,
} from './report.js';
import { createTokenizer, randomTokenSequences, resolveMaxLength, type EncodedText, type TokenizerFiles } from './tokenize.js';

export interface ModelInput {
  bytes: Uint8Array;
  /** Shown in the report (file name). */
  name?: string;
}

export interface QualityCheckOptions {
  /** The onnxruntime module (onnxruntime-web in a worker, onnxruntime-node in the CLI). */
  ort: OrtModule;
  original: ModelInput;
  quantized: ModelInput;
  /** tokenizer.json (+ tokenizer_config.json). Without it the check feeds random valid token ids and says so. */
  tokenizer?: TokenizerFiles | null;
  /** 1_Pooling/config.json object, or 'mean' / 'cls'. Default mean (unless the model outputs sentence vectors). */
  pooling?: PoolingChoice;
  /** Sentence sets (e.g. en.json, multi.json). */
  sentenceSets?: readonly SentenceSet[];
  /** Extra sentences (pasted by the user), plain strings or probe sentences; set id "user". */
  sentences?: readonly (string | ProbeSentence)[];
  /** Retrieval collections (e.g. retrieval.json, seed-4doc.json, or retrievalSetFromStrings(...)). */
  retrievalSets?: readonly RetrievalSet[];
  /** Pass when mean cosine >= threshold. Default 0.95. */
  threshold?: number;
  /** Token max length (special tokens included). Default: tokenizer.json truncation, else tokenizer_config, else the model's position table, else 512. */
  maxLength?: number;
  /** Texts per session.run. Default 16. */
  batchSize?: number;
  /** Cap on batch × padded length per session.run, to bound memory. Default 4096. */
  maxBatchTokens?: number;
  /** Passed to InferenceSession.create for both models (executionProviders, threads, ...). */
  sessionOptions?: OrtSessionOptionsLike;
  /** Backend label for the report, e.g. "onnxruntime-web wasm" or "onnxruntime-node cpu". */
  backend?: string;
  /** Execution providers that actually ran, when the caller knows (ORT does not report it). */
  providersRan?: string[];
  /** Cosine histogram bins. Default 20. */
  histogramBins?: number;
  /** Worst items listed. Default 10. */
  worst?: number;
  /** Acceptable band for pre-normalisation L2 norms. Default [0.01, 1000]. */
  normBand?: [number, number];
  /** Acceptable band for quantized/original norm ratio. Default [0.8, 1.25]. */
  normRatioBand?: [number, number];
  /** Items used for the batch-composition measurement (0 disables). Default 8. */
  batchEffectItems?: number;
  /** Random sequences when there is no tokenizer. Default 96. */
  randomSequences?: number;
  /** Seed for the random-token mode. Default 1234. */
  seed?: number;
  onProgress?: (p: QualityProgress) => void;
  /** Checked between batches; an abort rejects with signal.reason (an AbortError DOMException by default). */
  signal?: AbortSignal;
}

export const DEFAULT_THRESHOLD = 0.95;
const KS = [1, 3, 5, 10];

interface Item {
  id: string;
  set: string;
  role: 'sentence' | 'document' | 'query' | 'random';
  lang: string | null;
  kind: string | null;
  text: string;
  enc: EncodedText;
}

const now = (): number => (globalThis.performance ? globalThis.performance.now() : Date.now());
const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
const ms = (x: number) => Math.round(x * 10) / 10;

export function quantKind(s: ModelSummary): QuantKind {
  const ops = Object.keys(s.opCounts).map((k) => k.split(':').pop()!);
  const has = (...names: string[]) => names.some((n) => ops.includes(n));
  if (has('MatMulNBits', 'GatherBlockQuantized') || (s.initializerBytesByType.int4 ?? 0) + (s.initializerBytesByType.uint4 ?? 0) > 0) return 'int4';
  if (has('MatMulInteger', 'DynamicQuantizeLinear', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'DynamicQuantizeLSTM')) return 'int8-dynamic';
  if (has('QuantizeLinear', 'DequantizeLinear', 'QLinearMatMul', 'QLinearConv', 'QGemm', 'QAttention')) return 'int8-static';
  const total = Object.values(s.initializerBytesByType).reduce((a, b) => a + b, 0);
  if (total > 0 && (s.initializerBytesByType.float16 ?? 0) / total > 0.5) return 'fp16';
  return s.quantized.quantized ? 'other' : 'none';
}

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

function emptyModelReport(role: 'original' | 'quantized', m: ModelInput): ModelReport {
  return {
    role,
    name: m.name ?? (role === 'original' ? 'original.onnx' : 'quantized.onnx'),
    fileBytes: m.bytes.length,
    loaded: false,
    error: null,
    loadMs: null,
    inputs: [],
    output: null,
    pooling: null,
    poolingSource: null,
    idType: null,
    dim: null,
    declaredDim: null,
    vocabSize: null,
    quantization: { kind: 'other', evidence: [] },
    embedMs: null,
    notes: [],
  };
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

function groupStats(values: number[]): GroupStats {
  const s = basicStats(values);
  return { count: s.count, mean: fin(s.mean), min: fin(s.min) };
}

/** Batches of indices (in the order given), bounded by count and by batch × longest length. */
function makeBatches(order: number[], lengths: number[], batchSize: number, maxTokens: number): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  for (const i of order) {
    const L = Math.max(longest, lengths[i]!);
    if (cur.length > 0 && (cur.length >= batchSize || L * (cur.length + 1) > maxTokens)) {
      out.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, lengths[i]!);
  }
  if (cur.length) out.push(cur);
  return out;
}

function failedReport(base: Omit<QualityReport, 'verdict'>, threshold: number): QualityReport {
  return {
    ...base,
    verdict: { pass: false, metric: 'mean cosine', value: null, threshold, reasons: [...base.errors], advice: [], warnings: [] },
  };
}

export async function runQualityCheck(opts: QualityCheckOptions): Promise<QualityReport> {
  const t0 = now();
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  if (!(threshold > -1 && threshold <= 1)) throw new RangeError(`threshold must be in (-1, 1] (got ${threshold})`);
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 16));
  const maxBatchTokens = Math.max(1, Math.floor(opts.maxBatchTokens ?? 4096));
  const bins = Math.max(1, Math.floor(opts.histogramBins ?? 20));
  const worstN = Math.max(0, Math.floor(opts.worst ?? 10));
  const seed = opts.seed ?? 1234;
  const normBand = opts.normBand ?? [0.01, 1000];
  const ratioBand = opts.normRatioBand ?? [0.8, 1.25];
  const signal = opts.signal;
  const progress = (phase: QualityProgress['phase'], done: number, total: number, message: string) =>
    opts.onProgress?.({ phase, done, total, message });
  const requested = providerNames(opts.sessionOptions);
  const ran = opts.providersRan ?? (requested.length === 1 ? requested : null);

  const models = { original: emptyModelReport('original', opts.original), quantized: emptyModelReport('quantized', opts.quantized) };
  const errors: string[] = [];
  const timings = { loadMs: 0, tokenizeMs: 0, embedMs: 0, batchEffectMs: 0, totalMs: 0 };
  const base: Omit<QualityReport, 'verdict'> = {
    version: REPORT_VERSION,
    createdAt: new Date().toISOString(),
    backend: {
      label: opts.backend ?? (requested.length ? requested.join(', ') : 'onnxruntime (default provider)'),
      requestedProviders: requested,
      ranProviders: ran,
      note:
        ran === null
          ? 'onnxruntime does not report which execution provider ran; with several requested it uses the first that initialises'
          : opts.providersRan
            ? 'as reported by the caller'
            : 'the single requested provider (nodes it does not support fall back to CPU inside onnxruntime)',
    },
    settings: { threshold, batchSize, maxBatchTokens, histogramBins: bins, worst: worstN, seed },
    tokenization: { mode: opts.tokenizer ? 'tokenizer' : 'random-ids', maxLength: 0, maxLengthSource: '', padId: 0, texts: 0, tokens: 0, truncated: 0, note: '' },
    models,
    shape: null,
    cosine: null,
    retrieval: { rankCorrelation: 'spearman', note: '', sets: [], skipped: 'not measured' },
    batchEffect: null,
    items: [],
    errors,
    timings,
  };
  const finish = (r: QualityReport): QualityReport => {
    timings.totalMs = ms(now() - t0);
    progress('done', 1, 1, r.verdict.pass ? 'passed' : 'failed');
    return r;
  };

  // ---- load -------------------------------------------------------------------------------------------------
  signal?.throwIfAborted();
  const embedders: { original?: Embedder; quantized?: Embedder } = {};
  try {
    const tl = now();
    for (const [i, role] of (['original', 'quantized'] as const).entries()) {
      signal?.throwIfAborted();
      const input = opts[role];
      const mr = models[role];
      progress('load', i, 2, `loading the ${role} model`);
      let view: ModelView;
      try {
        view = parseModel(input.bytes);
        const summary = summarize(view, { fileName: mr.name }, input.bytes.length);
        mr.quantization = { kind: quantKind(summary), evidence: summary.quantized.evidence };
        mr.declaredDim = summary.embeddingDim;
      } catch (e) {
        mr.error = `not a readable ONNX model: ${(e as Error).message}`;
        errors.push(`${role} model: ${mr.error}`);
        continue;
      }
      const ts = now();
      try {
        const emb = await createEmbedder({ ort: opts.ort, model: input.bytes, modelView: view, sessionOptions: opts.sessionOptions, pooling: opts.pooling });
        embedders[role] = emb;
        mr.loaded = true;
        mr.loadMs = ms(now() - ts);
        mr.inputs = emb.info.inputs;
        mr.output = emb.info.output;
        mr.pooling = emb.info.pooling;
        mr.poolingSource = emb.info.poolingSource;
        mr.idType = emb.info.idType;
        mr.vocabSize = emb.info.vocabSize;
        mr.notes.push(...emb.info.notes);
      } catch (e) {
        if (signal?.aborted) throw e;
        mr.error = e instanceof QualityError ? e.message : `onnxruntime could not load it: ${(e as Error).message}`;
        errors.push(`${role} model: ${mr.error}`);
      }
    }
    progress('load', 2, 2, 'models loaded');
    timings.loadMs = ms(now() - tl);
    if (models.original.quantization.kind !== 'none')
      models.original.notes.push(`the "original" model looks quantized already (${models.original.quantization.evidence.join('; ') || models.original.quantization.kind})`);
    const eo = embedders.original;
    const eq = embedders.quantized;
    if (!eo || !eq) return finish(failedReport(base, threshold));

    // ---- tokenize -------------------------------------------------------------------------------------------
    const tt = now();
    const items: Item[] = [];
    const retrievalSets = opts.retrievalSets ?? [];
    const userSentences: ProbeSentence[] = (opts.sentences ?? []).flatMap((s, i) => {
      if (typeof s !== 'string') return [s];
      const text = s.trim();
      return text ? [{ id: `user-${i + 1}`, text, lang: 'und' }] : [];
    });
    const maxPositions = [eo.info.maxPositions, eq.info.maxPositions].filter((x): x is number => x !== null);
    const modelMaxPositions = maxPositions.length ? Math.min(...maxPositions) : null;
    const docIndex = new Map<string, { docs: number[]; queries: number[] }>();
    if (opts.tokenizer) {
      const tok = createTokenizer(opts.tokenizer, { maxLength: opts.maxLength, modelMaxPositions });
      base.tokenization = { ...base.tokenization, maxLength: tok.maxLength, maxLengthSource: tok.maxLengthSource, padId: tok.padId };
      const notes = [...tok.notes];
      const add = (it: Omit<Item, 'enc'>) => items.push({ ...it, enc: tok.encode(it.text) });
      for (const set of opts.sentenceSets ?? [])
        for (const s of set.sentences) add({ id: s.id, set: set.id, role: 'sentence', lang: s.lang, kind: s.kind ?? null, text: s.text });
      for (const s of userSentences) add({ id: s.id, set: 'user', role: 'sentence', lang: s.lang, kind: s.kind ?? null, text: s.text });
      for (const rs of retrievalSets) {
        const docs: number[] = [];
        const queries: number[] = [];
        for (const d of rs.documents) {
          docs.push(items.length);
          add({ id: d.id, set: rs.id, role: 'document', lang: d.lang ?? null, kind: null, text: d.text });
        }
        for (const q of rs.queries) {
          queries.push(items.length);
          add({ id: q.id, set: rs.id, role: 'query', lang: q.lang ?? null, kind: null, text: q.text });
        }
        docIndex.set(rs.id, { docs, queries });
      }
      base.tokenization.note = ['texts tokenized with the model\'s tokenizer.json (@huggingface/tokenizers)', ...notes].join('; ');
    } else {
      const vocab = [eo.info.vocabSize, eq.info.vocabSize].filter((x): x is number => x !== null);
      const { maxLength, source } = resolveMaxLength(null, { maxLength: opts.maxLength, modelMaxPositions });
      base.tokenization = { ...base.tokenization, maxLength, maxLengthSource: source, padId: 0 };
      if (vocab.length === 0) {
        errors.push('no tokenizer was given and the vocabulary size could not be read from the graph (no Gather on input_ids reading an embedding table): add tokenizer.json');
        return finish(failedReport(base, threshold));
      }
      const vocabSize = Math.min(...vocab);
      const n = Math.max(1, opts.randomSequences ?? 96);
      const maxLen = Math.min(64, maxLength);
      randomTokenSequences(n, vocabSize, { seed, minLen: Math.min(4, maxLen), maxLen }).forEach((enc, i) =>
        items.push({ id: `random-${i + 1}`, set: 'random', role: 'random', lang: null, kind: null, text: `[random ids #${i + 1}: ${enc.ids.length} tokens]`, enc }),
      );
      base.tokenization.note =
        `NO TOKENIZER: the check fed ${n} random token-id sequences (ids uniform in [0, ${vocabSize}), the vocabulary size read from the ` +
        `embedding table; lengths ${Math.min(4, maxLen)}–${maxLen}, seed ${seed}). Cosines measure numeric fidelity on unnatural input only; ` +
        'sentence sets, retrieval and the 4-document case were skipped. Add tokenizer.json for a real check.';
      base.retrieval.skipped = 'no tokenizer: retrieval needs real text';
    }
    base.tokenization.texts = items.length;
    base.tokenization.tokens = items.reduce((a, it) => a + it.enc.ids.length, 0);
    base.tokenization.truncated = items.filter((it) => it.enc.truncated).length;
    timings.tokenizeMs = ms(now() - tt);
    progress('tokenize', items.length, items.length, `${items.length} texts tokenized`);
    if (items.length === 0) {
      errors.push('nothing to embed: give sentence sets, sentences or retrieval sets');
      return finish(failedReport(base, threshold));
    }

    // ---- embed (main pass) ------------------------------------------------------------------------------------
    const padId = base.tokenization.padId;
    const lengths = items.map((it) => it.enc.ids.length);
    // Similar lengths together: less padding, faster. Stable, so the batches are deterministic.
    const order = items.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
    const batches = makeBatches(order, lengths, batchSize, maxBatchTokens);
    const vo: Float32Array[] = new Array(items.length);
    const vq: Float32Array[] = new Array(items.length);
    const no: number[] = new Array(items.length);
    const nq: number[] = new Array(items.length);
    const bo: number[] = new Array(items.length);
    const bq: number[] = new Array(items.length);
    let dimO: number | null = null;
    let dimQ: number | null = null;
    let msO = 0;
    let msQ = 0;
    const te = now();
    for (const [bi, batch] of batches.entries()) {
      signal?.throwIfAborted();
      progress('embed', bi, batches.length, `batch ${bi + 1} of ${batches.length}`);
      const encs = batch.map((i) => items[i]!.enc);
      const runOne = async (role: 'original' | 'quantized', e: Embedder) => {
        const s = now();
        try {
          const r = await e.embed(encs, padId);
          return { r, t: now() - s };
        } catch (err) {
          if (signal?.aborted) throw err;
          const msg = err instanceof QualityError ? err.message : (err as Error).message;
          models[role].error = `failed to run: ${msg}`;
          throw new QualityError(`${role} model failed to run: ${msg}`);
        }
      };
      let ro, rq;
      try {
        ro = await runOne('original', eo);
        rq = await runOne('quantized', eq);
      } catch (err) {
        if (err instanceof QualityError) {
          errors.push(err.message);
          return finish(failedReport(base, threshold));
        }
        throw err;
      }
      msO += ro.t;
      msQ += rq.t;
      dimO = ro.r.dim;
      dimQ = rq.r.dim;
      batch.forEach((idx, j) => {
        vo[idx] = ro.r.vectors[j]!;
        vq[idx] = rq.r.vectors[j]!;
        no[idx] = ro.r.norms[j]!;
        nq[idx] = rq.r.norms[j]!;
        bo[idx] = ro.r.nonFinite[j]!;
        bq[idx] = rq.r.nonFinite[j]!;
      });
    }
    progress('embed', batches.length, batches.length, 'embedded');
    timings.embedMs = ms(now() - te);
    models.original.embedMs = ms(msO);
    models.quantized.embedMs = ms(msQ);
    models.original.dim = dimO;
    models.quantized.dim = dimQ;

    // ---- shape checks -----------------------------------------------------------------------------------------
    progress('analyse', 0, 1, 'comparing');
    const dimsEqual = dimO === dimQ;
    const nfO = items.filter((_, i) => bo[i]! > 0).map((it) => it.id);
    const nfQ = items.filter((_, i) => bq[i]! > 0).map((it) => it.id);
    const finite = (i: number) => bo[i] === 0 && bq[i] === 0;
    const normsO = no.map((x, i) => (bo[i] === 0 ? x : null));
    const normsQ = nq.map((x, i) => (bq[i] === 0 ? x : null));
    const ratios = items.map((_, i) => (finite(i) && no[i]! > 0 ? nq[i]! / no[i]! : null));
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
    for (const [role, d] of [['original', models.original.declaredDim], ['quantized', models.quantized.declaredDim]] as const) {
      const seen = role === 'original' ? dimO : dimQ;
      if (d !== null && seen !== null && d !== seen) shape.issues.push(`${role}: the graph declares dimension ${d} but the output has ${seen}`);
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
    base.shape = shape;
    if (!dimsEqual) {
      errors.push(`embedding dimensions differ (original ${dimO}, quantized ${dimQ}): the models cannot be compared`);
      return finish(failedReport(base, threshold));
    }

    // ---- cosine ---------------------------------------------------------------------------------------------------
    const cos: (number | null)[] = items.map((_, i) => (finite(i) ? Math.min(1, Math.max(-1, dot(vo[i]!, vq[i]!))) : null));
    base.items = items.map(
      (it, i): ItemResult => ({
        id: it.id,
        set: it.set,
        role: it.role,
        lang: it.lang,
        kind: it.kind,
        tokens: it.enc.ids.length,
        truncated: it.enc.truncated,
        cosine: cos[i]!,
        norm: { original: normsO[i]!, quantized: normsQ[i]! },
      }),
    );
    const valid = cos.filter((c): c is number => c !== null);
    const st = basicStats(valid);
    // Histogram range: the tightest of a few fixed lower edges that still holds the minimum (comparable across runs).
    const lo = [0.99, 0.95, 0.9, 0.8, 0.5, 0, -1].find((e) => !(st.min < e)) ?? -1;
    const group = (key: (it: Item) => string | null) => {
      const m = new Map<string, number[]>();
      items.forEach((it, i) => {
        const k = key(it);
        const c = cos[i];
        if (k === null || c === null || c === undefined) return;
        const arr = m.get(k) ?? [];
        arr.push(c);
        m.set(k, arr);
      });
      return Object.fromEntries([...m].map(([k, v]) => [k, groupStats(v)]));
    };
    const cosineReport: CosineReport = {
      count: valid.length,
      mean: fin(st.mean),
      min: fin(st.min),
      max: fin(st.max),
      p5: fin(percentile(valid, 5)),
      median: fin(percentile(valid, 50)),
      histogram: histogram(valid, bins, lo, 1),
      worst: items
        .map((it, i) => ({ id: it.id, set: it.set, lang: it.lang, text: it.text, cosine: cos[i] }))
        .filter((w): w is typeof w & { cosine: number } => w.cosine !== null && w.cosine !== undefined)
        .sort((a, b) => a.cosine - b.cosine)
        .slice(0, worstN),
      bySet: group((it) => it.set),
      byLang: group((it) => it.lang),
    };
    base.cosine = cosineReport;

    // ---- retrieval ----------------------------------------------------------------------------------------------
    if (opts.tokenizer) {
      base.retrieval = retrievalReport(retrievalSets, docIndex, vo, vq);
    }

    // ---- batch composition ----------------------------------------------------------------------------------------
    const nBatch = Math.min(Math.max(0, Math.floor(opts.batchEffectItems ?? 8)), items.length);
    if (nBatch >= 2) {
      const tb = now();
      const pool = items.map((_, i) => i).filter((i) => items[i]!.role === 'sentence' || items[i]!.role === 'random');
      const candidates = (pool.length >= nBatch ? pool : items.map((_, i) => i)).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
      const pick: number[] = [];
      for (let j = 0; j < nBatch; j++) pick.push(candidates[Math.round((j * (candidates.length - 1)) / (nBatch - 1))]!);
      const chosen = [...new Set(pick)];
      base.batchEffect = await batchEffect(chosen.map((i) => items[i]!), eo, eq, padId, signal, (d, t) =>
        progress('batch-effect', d, t, `batch effect ${d} of ${t}`),
      );
      timings.batchEffectMs = ms(now() - tb);
    }

    // ---- verdict --------------------------------------------------------------------------------------------------
    const verdict = makeVerdict(base, threshold);
    return finish({ ...base, verdict });
  } finally {
    await embedders.original?.release().catch(() => undefined);
    await embedders.quantized?.release().catch(() => undefined);
  }
}

function fmt(x: number | null, digits = 4): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

function retrievalReport(
  sets: readonly RetrievalSet[],
  index: Map<string, { docs: number[]; queries: number[] }>,
  vo: Float32Array[],
  vq: Float32Array[],
): RetrievalReport {
  const out: RetrievalSetReport[] = [];
  const skippedSets: string[] = [];
  for (const rs of sets) {
    const ix = index.get(rs.id)!;
    if (rs.documents.length < 2 || rs.queries.length === 0) {
      skippedSets.push(rs.id);
      continue;
    }
    const docIds = rs.documents.map((d) => d.id);
    const nDocs = docIds.length;
    const ks = KS.filter((k) => k < nDocs);
    const perQuery: QueryResult[] = [];
    const scoresOf = (v: Float32Array[], q: number) => ix.docs.map((d) => dot(v[q]!, v[d]!));
    const rankings = new Map<string, { so: number[]; sq: number[] }>();
    let labelled = 0;
    const hits = ks.map(() => ({ o: 0, q: 0 }));
    let rrO = 0;
    let rrQ = 0;
    rs.queries.forEach((q, qi) => {
      const qIdx = ix.queries[qi]!;
      const so = scoresOf(vo, qIdx);
      const sq = scoresOf(vq, qIdx);
      rankings.set(q.id, { so, sq });
      const ro = topK(so, nDocs);
      const rq = topK(sq, nDocs);
      const overlap: Record<string, number> = {};
      for (const k of ks) overlap[String(k)] = topKOverlap(ro.slice(0, k), rq.slice(0, k));
      const rel = new Set(q.relevant.map((id) => docIds.indexOf(id)));
      const firstRel = (r: number[]) => {
        const p = r.findIndex((d) => rel.has(d));
        return p < 0 ? null : p + 1;
      };
      const fo = rel.size ? firstRel(ro) : null;
      const fq = rel.size ? firstRel(rq) : null;
      if (rel.size) {
        labelled++;
        ks.forEach((k, j) => {
          if (fo !== null && fo <= k) hits[j]!.o++;
          if (fq !== null && fq <= k) hits[j]!.q++;
        });
        rrO += fo ? 1 / fo : 0;
        rrQ += fq ? 1 / fq : 0;
      }
      perQuery.push({
        id: q.id,
        text: q.text,
        relevant: q.relevant,
        topOriginal: ro.slice(0, 10).map((d) => docIds[d]!),
        topQuantized: rq.slice(0, 10).map((d) => docIds[d]!),
        overlap,
        spearman: spearman(so, sq),
        firstRelevantRank: { original: fo, quantized: fq },
      });
    });
    const rules: RuleResult[] = (rs.rules ?? []).map((rule) => {
      const q = rs.queries.find((x) => x.id === rule.query)!;
      const { so, sq } = rankings.get(rule.query)!;
      const judge = (scores: number[]) => {
        const ranking = topK(scores, nDocs).map((d) => ({ id: docIds[d]!, score: scores[d]! }));
        const top = ranking[0]?.id;
        const pass = top !== undefined && !(rule.notFirst ?? []).includes(top) && (!rule.firstOneOf || rule.firstOneOf.includes(top));
        return { pass, ranking };
      };
      const parts: string[] = [];
      if (rule.notFirst) parts.push(`${rule.notFirst.join(' / ')} must not rank first`);
      if (rule.firstOneOf) parts.push(`${rule.firstOneOf.join(' or ')} must rank first`);
      return {
        set: rs.id,
        query: rule.query,
        queryText: q.text,
        description: rule.description ?? `"${q.text}": ${parts.join('; ')}`,
        notFirst: rule.notFirst ?? [],
        firstOneOf: rule.firstOneOf ?? [],
        original: judge(so),
        quantized: judge(sq),
      };
    });
    const col = (f: (q: QueryResult) => number) => basicStats(perQuery.map(f));
    const sp = col((q) => q.spearman);
    out.push({
      id: rs.id,
      title: rs.title,
      documents: nDocs,
      queries: rs.queries.length,
      ks,
      overlap: ks.map((k) => {
        const s = col((q) => q.overlap[String(k)]!);
        return { k, mean: s.mean, min: s.min };
      }),
      spearman: { mean: sp.mean, min: sp.min },
      hitAt: labelled ? ks.map((k, j) => ({ k, original: hits[j]!.o / labelled, quantized: hits[j]!.q / labelled })) : null,
      mrr: labelled ? { original: rrO / labelled, quantized: rrQ / labelled } : null,
      perQuery,
      rules,
    });
  }
  return {
    rankCorrelation: 'spearman',
    note:
      'documents are ranked by cosine to the query under each model; overlap@k = |top-k original ∩ top-k quantized| / k ' +
      '(k < number of documents); rank correlation = Spearman\'s rho over the full document ranking (tie-averaged ranks)' +
      (skippedSets.length ? `; skipped (fewer than 2 documents or no queries): ${skippedSets.join(', ')}` : ''),
    sets: out,
    skipped: out.length ? null : sets.length ? 'no retrieval set has 2+ documents and a query' : 'no retrieval sets given',
  };
}

async function batchEffect(
  chosen: Item[],
  eo: Embedder,
  eq: Embedder,
  padId: number,
  signal: AbortSignal | undefined,
  progress: (done: number, total: number) => void,
): Promise<BatchEffectReport> {
  const encs = chosen.map((it) => it.enc);
  const total = 2 * (chosen.length + 1);
  let done = 0;
  const step = () => progress(++done, total);
  signal?.throwIfAborted();
  const mixedO = (await eo.embed(encs, padId)).vectors;
  step();
  const mixedQ = (await eq.embed(encs, padId)).vectors;
  step();
  const aloneO: Float32Array[] = [];
  const aloneQ: Float32Array[] = [];
  for (const e of encs) {
    signal?.throwIfAborted();
    aloneO.push((await eo.embed([e], padId)).vectors[0]!);
    step();
    aloneQ.push((await eq.embed([e], padId)).vectors[0]!);
    step();
  }
  const stat = (a: Float32Array[], b: Float32Array[]) => {
    const s = basicStats(a.map((v, i) => cosine(v, b[i]!)).filter(Number.isFinite));
    return { mean: fin(s.mean), min: fin(s.min) };
  };
  return {
    ids: chosen.map((it) => it.id),
    original: stat(aloneO, mixedO),
    quantized: stat(aloneQ, mixedQ),
    crossAlone: stat(aloneO, aloneQ).mean,
    crossMixed: stat(mixedO, mixedQ).mean,
    note:
      `${chosen.length} texts of different lengths, each embedded alone and all together in one padded batch. ` +
      'FP32 should give ~1 (padding is masked); below 1 on the quantized model means its embeddings depend on the batch ' +
      '(dynamic quantization computes activation scales per batch).',
  };
}

function makeVerdict(r: Omit<QualityReport, 'verdict'>, threshold: number): Verdict {
  const reasons: string[] = [...r.errors];
  const warnings: string[] = [];
  const c = r.cosine;
  const mean = c?.mean ?? null;
  const kind = r.models.quantized.quantization.kind;
  if (r.shape && !r.shape.allFinite.quantized) reasons.push(`the quantized model produced NaN/Infinity for ${r.shape.nonFiniteItems.quantized.length} texts`);
  if (r.shape && !r.shape.allFinite.original) warnings.push('the original model itself produced NaN/Infinity for some texts');
  if (mean === null) reasons.push('no cosine could be computed');
  else if (mean < threshold) reasons.push(`mean cosine ${mean.toFixed(4)} is below the threshold ${threshold}`);
  for (const s of r.retrieval.sets)
    for (const rule of s.rules) {
      if (!rule.quantized.pass && rule.original.pass)
        reasons.push(`retrieval case failed on the quantized model: ${rule.description} (top: ${rule.quantized.ranking[0]?.id})`);
      else if (!rule.quantized.pass) warnings.push(`retrieval case fails on both models: ${rule.description}`);
      else if (!rule.original.pass) warnings.push(`retrieval case fails on the original but passes on the quantized model: ${rule.description}`);
    }
  if (c && mean !== null && mean >= threshold) {
    if (c.p5 !== null && c.p5 < threshold) warnings.push(`5% of texts have cosine below ${c.p5.toFixed(4)} (under the threshold) although the mean passes`);
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
  const bq = r.batchEffect?.quantized.min ?? null;
  if (bq !== null && bq < 0.999)
    warnings.push(
      `batch composition changes quantized embeddings (cosine alone vs in a batch down to ${bq.toFixed(4)}): ` +
        'for reproducible vectors embed one text per call, or use static quantization',
    );
  if (r.tokenization.mode === 'random-ids') warnings.push('no tokenizer: measured on random token ids, not on text');
  if (r.tokenization.truncated > 0) warnings.push(`${r.tokenization.truncated} texts were truncated to ${r.tokenization.maxLength} tokens`);
  for (const role of ['original', 'quantized'] as const) for (const n of r.models[role].notes) warnings.push(`${role}: ${n}`);
  const pass = reasons.length === 0;
  const advice: string[] = [];
  if (!pass && r.errors.length === 0) {
    if (r.shape && !r.shape.allFinite.quantized)
      advice.push('non-finite outputs usually mean FP16 overflow or a broken scale: keep LayerNormalization/Softmax in FP32');
    advice.push(...adviceFor(kind));
  }
  return { pass, metric: 'mean cosine', value: mean, threshold, reasons, advice, warnings };
}
