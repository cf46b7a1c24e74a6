/**
 * The quality check: embeds the same texts with the original and the quantized model on one ORT backend and
 * measures how far apart they are, then gives a verdict against a threshold. Runs unchanged in a Web Worker
 * (onnxruntime-web) and in Node (onnxruntime-node). The phases, each in its own module:
 *
 *   load.ts        structures (openModel views), then one session at a time
 *   lineage.ts     are the two models an original and its copy?
 *   texts.ts       tokenize; which texts the verdict is over (the chosen probe set)
 *   embed-pass.ts  every text through one model (main batches + batch-composition runs), then release it
 *   metrics.ts     shape checks, per-text cosine, cosine statistics, batch composition
 *   retrieval.ts   ranking agreement per retrieval set (reported apart from the verdict's statistics)
 *   verdict.ts     verdict, advice, warnings, notes, headline
 *   assemble.ts    settings, the report skeleton, the finished report
 */
import { hashBytes } from '../batch/hashing.js';
import type { ModelView } from '../onnx/model.js';
import { checkSettings, draftReport, finishReport, type Draft } from './assemble.js';
import { graphProblem, type Embedder, type PoolingChoice } from './embedder.js';
import { PassError, passRuns, planPass, runPass, type ModelPass } from './embed-pass.js';
import { checkLineage, lineageFacts } from './lineage.js';
import { emptyModelReport, explainFailure, inBrowser, loadModel, readStructure, type ModelInput } from './load.js';
import { batchEffectReport, compareEmbeddings, cosineReport, itemResults } from './metrics.js';
import { encoderGraphInfo } from './model-info.js';
import type { OrtModule, OrtSessionOptionsLike } from './ort.js';
import type { ProbeSentence, RetrievalSet, SentenceSet } from './probes.js';
import type { QualityProgress, QualityReport } from './report.js';
import { retrievalReport } from './retrieval.js';
import { buildTexts } from './texts.js';
import type { TokenizerFiles } from './tokenize.js';

export { COSINE_BAR_RANGE, DEFAULT_THRESHOLD, OVERLAP_BAR_RANGE, adviceFor, quantKind } from './verdict.js';
export type { ModelBytes, ModelInput, ModelSpec, Lazy } from './load.js';

export interface QualityCheckOptions {
  /** The onnxruntime module (onnxruntime-web in a worker, onnxruntime-node in the CLI). */
  ort: OrtModule;
  /** A model: `{ bytes }` (small, in memory) or `{ structure, load }` (any size; see load.ts). */
  original: ModelInput;
  quantized: ModelInput;
  /** tokenizer.json (+ tokenizer_config.json). Without it the check feeds random valid token ids and says so. */
  tokenizer?: TokenizerFiles | null;
  /**
   * 1_Pooling/config.json object, or 'mean' / 'cls' / 'none' (read the output as sentence vectors). Default: the
   * model's sentence-level output when it has one, else mean pooling.
   */
  pooling?: PoolingChoice;
  /** The output to read (both models). Default: a sentence_embedding-like output, else last_hidden_state-like. */
  outputName?: string;
  /** Sentence sets (e.g. en.json, multi.json): the texts the verdict is over. */
  sentenceSets?: readonly SentenceSet[];
  /** Extra sentences (pasted by the user), plain strings or probe sentences; set id "user". Part of the verdict's texts. */
  sentences?: readonly (string | ProbeSentence)[];
  /**
   * Retrieval collections (e.g. retrieval.json, seed-4doc.json, or retrievalSetFromStrings(...)): ranking agreement,
   * reported apart. Their texts count for the verdict only when no sentences are given.
   */
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

const ROLES = ['original', 'quantized'] as const;
const now = (): number => (globalThis.performance ? globalThis.performance.now() : Date.now());
const ms = (x: number) => Math.round(x * 10) / 10;

/** SHA-256 of a model input's .onnx file, when the caller gave it or the bytes are in memory. */
function sha256Of(input: ModelInput): (() => Promise<string | null>) | undefined {
  const s = input.sha256;
  if (typeof s === 'string') return () => Promise.resolve(s);
  if (typeof s === 'function') return s;
  if ('bytes' in input) return async () => (await hashBytes(input.bytes, { md5: false })).sha256;
  return undefined;
}

/**
 * Runs the check and returns the report (plain data). Models that cannot be read, loaded or run, and inputs that
 * leave nothing to embed, give a failed report that says why; only an abort (signal.reason) and a bad threshold
 * (RangeError) reject. Each model's session exists only during its own pass.
 */
export async function runQualityCheck(opts: QualityCheckOptions): Promise<QualityReport> {
  const t0 = now();
  const s = checkSettings(opts);
  const signal = opts.signal;
  const progress = (phase: QualityProgress['phase'], done: number, total: number, message: string) =>
    opts.onProgress?.({ phase, done, total, message });
  const models = { original: emptyModelReport('original', opts.original), quantized: emptyModelReport('quantized', opts.quantized) };
  const r: Draft = draftReport(s, { ...opts, tokenizer: !!opts.tokenizer }, models);
  const { errors, timings } = r;
  const finish = (): QualityReport => {
    const report = finishReport(r, s.threshold);
    timings.totalMs = ms(now() - t0);
    progress('done', 1, 1, report.verdict.pass ? 'passed' : 'failed');
    return report;
  };

  // ---- load: the structures (no session yet) --------------------------------------------------------------------
  signal?.throwIfAborted();
  const tl = now();
  const views: { original: ModelView | null; quantized: ModelView | null } = { original: null, quantized: null };
  for (const [i, role] of ROLES.entries()) {
    signal?.throwIfAborted();
    progress('load', i, 2, `reading the ${role} model`);
    views[role] = await readStructure(opts[role], models[role]);
    if (!views[role]) errors.push(`${role} model: ${models[role].error}`);
  }
  progress('load', 2, 2, 'models read');
  if (models.original.quantization.kind !== 'none' && views.original)
    models.original.notes.push(
      `the "original" model looks quantized already (${models.original.quantization.evidence.join('; ') || models.original.quantization.kind})`,
    );
  const graphs = {
    original: views.original && encoderGraphInfo(views.original),
    quantized: views.quantized && encoderGraphInfo(views.quantized),
  };
  if (views.original && views.quantized) {
    r.lineage = await checkLineage(lineageFacts(views.original), lineageFacts(views.quantized), sha256Of(opts.original));
  }
  // Graphs the check cannot feed (raw-text input) fail before any work; the other model is still load-checked.
  for (const role of ROLES) {
    const g = graphs[role];
    const problem = g && graphProblem(g);
    if (problem) {
      models[role].error = problem;
      errors.push(`${role} model: ${problem}`);
    }
  }
  timings.loadMs = ms(now() - tl);

  // ---- tokenize ----------------------------------------------------------------------------------------------------
  const tt = now();
  const known = <T>(xs: (T | null | undefined)[]) => xs.filter((x): x is T => x !== null && x !== undefined);
  const maxPositions = known(ROLES.map((role) => graphs[role]?.maxPositions));
  const vocab = known(ROLES.map((role) => graphs[role]?.vocabSize));
  const texts = buildTexts({
    tokenizer: opts.tokenizer,
    sentenceSets: opts.sentenceSets ?? [],
    sentences: opts.sentences ?? [],
    retrievalSets: opts.retrievalSets ?? [],
    maxLength: opts.maxLength,
    modelMaxPositions: maxPositions.length ? Math.min(...maxPositions) : null,
    vocabSize: vocab.length ? Math.min(...vocab) : null,
    randomSequences: s.randomSequences,
    seed: s.seed,
  });
  const { items } = texts;
  r.tokenization = {
    ...r.tokenization,
    ...texts.tokenization,
    texts: items.length,
    tokens: items.reduce((a, it) => a + it.enc.ids.length, 0),
    truncated: items.filter((it) => it.enc.truncated).length,
  };
  if (texts.retrievalSkipped) r.retrieval.skipped = texts.retrievalSkipped;
  timings.tokenizeMs = ms(now() - tt);
  if (errors.length === 0) {
    if (texts.error) errors.push(texts.error);
    else progress('tokenize', items.length, items.length, `${items.length} texts tokenized`);
  }

  // ---- embed: one model at a time -----------------------------------------------------------------------------------
  const plan = planPass(items, s.batchSize, s.maxBatchTokens, s.batchEffectItems);
  const runs = 2 * passRuns(plan);
  let done = 0;
  const passes: { original?: ModelPass; quantized?: ModelPass } = {};
  let live: Embedder | null = null;
  try {
    for (const [i, role] of ROLES.entries()) {
      const view = views[role];
      if (!view || models[role].error) continue;
      signal?.throwIfAborted();
      const tl2 = now();
      progress('load', i, 2, `loading the ${role} model`);
      live = await loadModel(
        opts[role],
        view,
        models[role],
        { ort: opts.ort, sessionOptions: opts.sessionOptions, pooling: opts.pooling, outputName: opts.outputName },
        signal,
      );
      timings.loadMs = ms(timings.loadMs + (now() - tl2));
      if (!live) {
        errors.push(`${role} model: ${models[role].error}`);
        continue;
      }
      // After a failure the remaining model is only load-checked (the report says whether it loads).
      if (errors.length === 0) {
        const te = now();
        try {
          const pass = await runPass(
            role,
            live,
            items,
            plan,
            r.tokenization.padId,
            signal,
            (message) => progress('embed', done++, runs, message),
            (e) => explainFailure(e, { bytes: models[role].fileBytes + models[role].externalBytes, browser: inBrowser() }),
          );
          passes[role] = pass;
          models[role].embedMs = ms(pass.runMs);
          models[role].dim = pass.dim;
          timings.batchEffectMs = ms(timings.batchEffectMs + pass.batchEffectMs);
        } catch (e) {
          if (!(e instanceof PassError)) throw e;
          models[role].error = `failed to run: ${e.detail}`;
          errors.push(e.message);
        }
        timings.embedMs = ms(timings.embedMs + (now() - te) - (passes[role]?.batchEffectMs ?? 0));
      }
      const emb = live;
      live = null;
      await emb.release().catch(() => undefined);
    }
  } finally {
    await live?.release().catch(() => undefined);
  }
  const o = passes.original;
  const q = passes.quantized;
  if (errors.length || !o || !q) return finish();
  progress('embed', runs, runs, 'embedded');

  // ---- analyse ------------------------------------------------------------------------------------------------------
  progress('analyse', 0, 1, 'comparing');
  const cmp = compareEmbeddings(
    items,
    o,
    q,
    { original: models.original.declaredDim, quantized: models.quantized.declaredDim },
    s.normBand,
    s.ratioBand,
  );
  r.shape = cmp.shape;
  if (!cmp.dimsEqual) {
    errors.push(`embedding dimensions differ (original ${o.dim}, quantized ${q.dim}): the models cannot be compared`);
    return finish();
  }
  r.items = itemResults(items, cmp);
  r.cosine = cosineReport(items, cmp.cos, texts.basis, texts.basisInfo, s.bins, s.worstN);
  if (opts.tokenizer) r.retrieval = retrievalReport(opts.retrievalSets ?? [], texts.docIndex, o.vectors, q.vectors, cmp.cos);
  if (plan.batchEffect.length) {
    r.batchEffect = batchEffectReport(
      plan.batchEffect.map((i) => items[i]!),
      o,
      q,
    );
    progress('batch-effect', 1, 1, 'batch composition compared');
  }
  return finish();
}
