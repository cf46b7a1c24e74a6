/**
 * One model, one ORT session: token ids in, sentence embeddings out. Inputs are filled by name (input_ids,
 * attention_mask, token_type_ids, position_ids) with the integer type the model declares; the sentence vector
 * is the model's own sentence-level output when it has one, else mean (or CLS) pooling over the token output,
 * then L2 normalisation.
 */
import { parseModel, type ModelView } from '../onnx/model.js';
import { halfToFloat, clsPool, l2Norm, meanPool } from './math.js';
import { encoderGraphInfo, inputRole, type EncoderGraphInfo, type InputRole } from './model-info.js';
import {
  createSession,
  type OrtModelSource,
  type OrtModule,
  type OrtSessionLike,
  type OrtSessionOptionsLike,
  type OrtTensorLike,
} from './ort.js';
import { padBatch, type EncodedText } from './tokenize.js';

export class QualityError extends Error {
  override name = 'QualityError';
}

/** sentence-transformers' 1_Pooling/config.json (only the keys we read). */
export interface PoolingConfigJson {
  pooling_mode_cls_token?: boolean;
  pooling_mode_mean_tokens?: boolean;
  pooling_mode_max_tokens?: boolean;
  pooling_mode_mean_sqrt_len_tokens?: boolean;
  [k: string]: unknown;
}

/**
 * How token vectors become one sentence vector: a 1_Pooling/config.json object, or an explicit mode. 'none' reads
 * the output as sentence vectors as they are (it must have rank 2). Explicit 'mean' / 'cls' pool a token-level output
 * even when the model also has a sentence-level one.
 */
export type PoolingChoice = PoolingConfigJson | 'mean' | 'cls' | 'none' | null | undefined;

export interface EmbedderOptions {
  ort: OrtModule;
  /** The .onnx bytes, or what onnxruntime loads (a path in Node; bytes + external-data URLs in the browser). */
  model: Uint8Array | OrtModelSource;
  /** Passed to InferenceSession.create as is (executionProviders, graphOptimizationLevel, threads...). */
  sessionOptions?: OrtSessionOptionsLike;
  /** 1_Pooling/config.json object or an explicit mode; default mean. Ignored when the model outputs sentence vectors. */
  pooling?: PoolingChoice;
  /** Force the output to read (default: sentence_embedding-like, else last_hidden_state-like). */
  outputName?: string;
  /** The model's structure (openModel / parseModel); required when `model` is a path. */
  modelView?: ModelView;
}

export interface EmbedderInfo {
  inputs: { name: string; dtype: string; role: InputRole | null }[];
  /** The output read. */
  output: string;
  /** How a sentence vector is made: the model's own output, or pooling over token vectors. */
  pooling: 'model output' | 'mean' | 'cls';
  poolingSource: string;
  /** Integer type of the token inputs as the session declares them. */
  idType: 'int64' | 'int32';
  vocabSize: number | null;
  maxPositions: number | null;
  notes: string[];
}

export interface Embeddings {
  dim: number;
  /** L2-normalised sentence vectors (NaN entries stay NaN: see nonFinite). */
  vectors: Float32Array[];
  /** L2 norm of each sentence vector before normalisation. */
  norms: number[];
  /** Number of non-finite values in each sentence vector (before normalisation). */
  nonFinite: number[];
}

export interface Embedder {
  readonly info: EmbedderInfo;
  readonly graph: EncoderGraphInfo;
  /** Embeds one batch in one session.run (padded to its longest item). */
  embed(items: readonly EncodedText[], padId: number): Promise<Embeddings>;
  release(): Promise<void>;
}

const SENTENCE_OUT = /^(sentence_embeddings?|embeddings?|text_embeds|pooled_embeddings?)$|sentence_embedding/i;
const TOKEN_OUT = /^(last_hidden_state|token_embeddings|hidden_states?|output_0)$|last_hidden_state/i;

export function resolvePooling(p: PoolingChoice): { mode: 'mean' | 'cls' | 'none'; source: string; note?: string } {
  if (p === 'mean' || p === 'cls' || p === 'none') return { mode: p, source: 'option' };
  if (!p) return { mode: 'mean', source: 'default (no pooling config)' };
  if (p.pooling_mode_cls_token) return { mode: 'cls', source: '1_Pooling/config.json pooling_mode_cls_token' };
  if (p.pooling_mode_mean_tokens) return { mode: 'mean', source: '1_Pooling/config.json pooling_mode_mean_tokens' };
  const other = ['pooling_mode_max_tokens', 'pooling_mode_mean_sqrt_len_tokens'].filter((k) => p[k] === true);
  return {
    mode: 'mean',
    source: 'default',
    note: other.length ? `pooling config asks for ${other.join(', ')}, which is not supported: mean pooling used` : undefined,
  };
}

/** Output to read from the session and whether it is sentence-level (rank 2) or token-level (rank 3). */
function chooseOutput(
  session: OrtSessionLike,
  g: EncoderGraphInfo,
  forced?: string,
  wantTokens = false,
): { name: string; sentence: boolean | null } {
  const rankOf = (name: string): number | null => {
    const md = session.outputMetadata?.find((o) => o.name === name);
    if (md?.isTensor && md.shape && md.shape.length > 0) return md.shape.length;
    return g.outputs.find((o) => o.name === name)?.rank ?? null;
  };
  const names = session.outputNames;
  if (forced) {
    if (!names.includes(forced)) throw new QualityError(`the model has no output '${forced}' (outputs: ${names.join(', ')})`);
    const r = rankOf(forced);
    return { name: forced, sentence: r === null ? null : r === 2 };
  }
  const sentence = names.find((n) => SENTENCE_OUT.test(n) && rankOf(n) !== 3);
  const token = names.find((n) => TOKEN_OUT.test(n)) ?? names.find((n) => rankOf(n) === 3);
  if (wantTokens && token) return { name: token, sentence: false };
  if (sentence) return { name: sentence, sentence: true };
  if (token) return { name: token, sentence: false };
  const two = names.find((n) => rankOf(n) === 2);
  if (two) return { name: two, sentence: true };
  if (!names[0]) throw new QualityError('the model has no outputs');
  return { name: names[0], sentence: null };
}

function floatData(t: OrtTensorLike): ArrayLike<number> {
  const d = t.data;
  if (t.type === 'float16' && d instanceof Uint16Array) {
    const out = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) out[i] = halfToFloat(d[i]!);
    return out;
  }
  if (d instanceof Float32Array || d instanceof Float64Array) return d;
  if (t.type === 'float16' || t.type === 'float32' || t.type === 'float64') return d as ArrayLike<number>;
  throw new QualityError(`the model's output is ${t.type}, not a float tensor`);
}

/** Why the check cannot feed this graph at all, read from its structure (before any session), or null. */
export function graphProblem(graph: EncoderGraphInfo): string | null {
  const stringInput = graph.inputs.find((i) => i.dtype === 'string');
  if (stringInput)
    return `the model takes raw text (string input '${stringInput.name}', an in-graph tokenizer): this check feeds token ids and cannot run it`;
  return null;
}

export async function createEmbedder(opts: EmbedderOptions): Promise<Embedder> {
  const src: OrtModelSource = opts.model instanceof Uint8Array ? { bytes: opts.model } : opts.model;
  const view = opts.modelView ?? ('bytes' in src ? parseModel(src.bytes) : null);
  if (!view) throw new TypeError('createEmbedder: modelView is required when the model is given by path');
  const graph = encoderGraphInfo(view);
  const problem = graphProblem(graph);
  if (problem) throw new QualityError(problem);
  const session = await createSession(opts.ort, src, opts.sessionOptions ?? {});
  try {
    const notes: string[] = [];
    const inputs = session.inputNames.map((name) => {
      const md = session.inputMetadata?.find((m) => m.name === name);
      const dtype = (md?.isTensor ? md.type : undefined) ?? graph.inputs.find((i) => i.name === name)?.dtype ?? 'unknown';
      const role = dtype === 'int64' || dtype === 'int32' ? inputRole(name) : null;
      return { name, dtype: dtype === 'float' ? 'float32' : dtype, role };
    });
    const unknown = inputs.filter((i) => i.role === null);
    if (unknown.length)
      throw new QualityError(
        `cannot fill model input${unknown.length > 1 ? 's' : ''} ${unknown.map((i) => `'${i.name}' (${i.dtype})`).join(', ')}: ` +
          'only integer input_ids, attention_mask, token_type_ids and position_ids are known',
      );
    const ids = inputs.find((i) => i.role === 'input_ids');
    if (!ids) throw new QualityError(`the model has no input_ids input (inputs: ${inputs.map((i) => i.name).join(', ')})`);
    const idType = ids.dtype === 'int32' ? 'int32' : 'int64';
    const pool = resolvePooling(opts.pooling);
    const explicitTokens = (opts.pooling === 'mean' || opts.pooling === 'cls') && !opts.outputName;
    const out = chooseOutput(session, graph, opts.outputName, explicitTokens);
    if (pool.note) notes.push(pool.note);
    if (pool.mode === 'none' && out.sentence === false)
      throw new QualityError(
        `pooling 'none' reads sentence vectors as they are, but output '${out.name}' has one vector per token (rank 3): choose mean or CLS pooling, or a sentence-level output`,
      );
    const tokenMode: 'mean' | 'cls' = pool.mode === 'cls' ? 'cls' : 'mean';
    const info: EmbedderInfo = {
      inputs,
      output: out.name,
      pooling: out.sentence === true || pool.mode === 'none' ? 'model output' : tokenMode,
      poolingSource:
        pool.mode === 'none'
          ? `option 'none': output '${out.name}' read as sentence vectors`
          : out.sentence === true
            ? `output '${out.name}' is already a sentence embedding`
            : pool.source,
      idType,
      vocabSize: graph.vocabSize,
      maxPositions: graph.maxPositions,
      notes,
    };

    const tensor = (type: 'int64' | 'int32', data: number[], dims: number[]): OrtTensorLike =>
      type === 'int64'
        ? new opts.ort.Tensor(
            'int64',
            BigInt64Array.from(data, (x) => BigInt(x)),
            dims,
          )
        : new opts.ort.Tensor('int32', Int32Array.from(data), dims);

    const embed = async (items: readonly EncodedText[], padId: number): Promise<Embeddings> => {
      if (items.length === 0) return { dim: 0, vectors: [], norms: [], nonFinite: [] };
      const b = padBatch(items, padId);
      const dims = [b.batch, b.seq];
      const feeds: Record<string, OrtTensorLike> = {};
      for (const inp of inputs) {
        const type = inp.dtype === 'int32' ? 'int32' : 'int64';
        if (inp.role === 'input_ids') feeds[inp.name] = tensor(type, b.ids, dims);
        else if (inp.role === 'attention_mask') feeds[inp.name] = tensor(type, b.mask, dims);
        else if (inp.role === 'token_type_ids') feeds[inp.name] = tensor(type, b.typeIds, dims);
        else if (inp.role === 'position_ids')
          feeds[inp.name] = tensor(
            type,
            Array.from({ length: b.batch * b.seq }, (_, i) => i % b.seq),
            dims,
          );
      }
      let result: Record<string, OrtTensorLike>;
      try {
        result = await session.run(feeds, [out.name]);
      } finally {
        for (const t of Object.values(feeds)) t.dispose?.();
      }
      const t = result[out.name];
      if (!t) throw new QualityError(`the session returned no '${out.name}'`);
      try {
        const data = floatData(t);
        const vectors: Float32Array[] = [];
        const norms: number[] = [];
        const nonFinite: number[] = [];
        let dim: number;
        if (t.dims.length === 2) {
          dim = t.dims[1]!;
          if (info.pooling !== 'model output') {
            info.pooling = 'model output';
            info.poolingSource = `output '${out.name}' has rank 2: read as sentence embeddings`;
          }
        } else if (t.dims.length === 3) {
          if (info.pooling === 'model output') {
            if (pool.mode === 'none')
              throw new QualityError(
                `output '${out.name}' has one vector per token (shape [${t.dims.join(', ')}]): choose mean or CLS pooling`,
              );
            info.pooling = tokenMode;
            info.poolingSource = `output '${out.name}' has rank 3 at run time: ${tokenMode} pooling`;
          }
          dim = t.dims[2]!;
          if (t.dims[1] !== b.seq) throw new QualityError(`output '${out.name}' has ${t.dims[1]} positions for a ${b.seq}-token batch`);
        } else throw new QualityError(`output '${out.name}' has shape [${t.dims.join(', ')}]: expected [batch, dim] or [batch, seq, dim]`);
        if (t.dims[0] !== b.batch) throw new QualityError(`output '${out.name}' has batch ${t.dims[0]} for ${b.batch} inputs`);
        for (let i = 0; i < b.batch; i++) {
          let v: Float32Array;
          if (t.dims.length === 2) v = Float32Array.from({ length: dim }, (_, d) => data[i * dim + d]!);
          else {
            const rowLen = b.seq * dim;
            const rows = sub(data, i * rowLen, rowLen);
            v = info.pooling === 'cls' ? clsPool(rows, dim) : meanPool(rows, b.mask.slice(i * b.seq, (i + 1) * b.seq), b.seq, dim);
          }
          let bad = 0;
          for (let d = 0; d < dim; d++) if (!Number.isFinite(v[d]!)) bad++;
          const n = l2Norm(v);
          const denom = Math.max(n, 1e-12);
          for (let d = 0; d < dim; d++) v[d] = v[d]! / denom;
          vectors.push(v);
          norms.push(n);
          nonFinite.push(bad);
        }
        return { dim, vectors, norms, nonFinite };
      } finally {
        t.dispose?.();
      }
    };
    return { info, graph, embed, release: async () => void (await session.release?.()) };
  } catch (e) {
    await session.release?.();
    throw e;
  }
}

function sub(a: ArrayLike<number>, start: number, len: number): ArrayLike<number> {
  if (a instanceof Float32Array || a instanceof Float64Array) return a.subarray(start, start + len);
  return Array.from({ length: len }, (_, i) => a[start + i]!);
}
