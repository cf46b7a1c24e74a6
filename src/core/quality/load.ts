/**
 * Phase "load": what the check is given for each model, reading its structure, and creating its onnxruntime
 * session. A model is given as its structure (a ModelView from openModel: inputs, outputs, pooling and quantization
 * facts, with tensor payloads left on disk) plus what onnxruntime loads: a file path in Node (onnxruntime-node reads
 * the model and its external data itself), or the .onnx bytes plus its external-data files as URLs in the browser
 * (onnxruntime-web streams a URL; see ort.ts). Sessions are created one at a time, right before use.
 */
import { summarize, tensorDataBytes } from '../onnx/inspect.js';
import { forEachGraph, parseModel, type ModelView } from '../onnx/model.js';
import type { ByteSource } from '../io/source.js';
import { createEmbedder, QualityError, type Embedder, type PoolingChoice } from './embedder.js';
import type { OrtModelSource, OrtModule, OrtSessionOptionsLike } from './ort.js';
import type { ModelReport } from './report.js';
import { quantKind } from './verdict.js';

/** A value, or a function giving it when it is needed (so big inputs are read only then, and dropped after). */
export type Lazy<T> = T | (() => Promise<T>);

/** A model given by its structure and what onnxruntime loads (any size). */
export interface ModelSpec {
  /** Shown in the report (file name). */
  name?: string;
  /** openModel(...).model; a function's errors are reported as "not a readable ONNX model: …". */
  structure: Lazy<ModelView>;
  /** What onnxruntime loads; a function is called right before the session is created. */
  load: Lazy<OrtModelSource>;
  /** SHA-256 of the .onnx file (lowercase hex), for the lineage check; called only when provenance needs it. */
  sha256?: Lazy<string>;
}

/** A small model in memory (tests, small files): structure and session from the same bytes. */
export interface ModelBytes {
  bytes: Uint8Array;
  name?: string;
  sha256?: Lazy<string>;
}

export type ModelInput = ModelBytes | ModelSpec;

const resolve = <T>(x: Lazy<T>): Promise<T> => (typeof x === 'function' ? (x as () => Promise<T>)() : Promise.resolve(x));

export function emptyModelReport(role: 'original' | 'quantized', m: ModelInput): ModelReport {
  return {
    role,
    name: m.name ?? (role === 'original' ? 'original.onnx' : 'quantized.onnx'),
    fileBytes: 'bytes' in m ? m.bytes.length : 0,
    externalBytes: 0,
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

/**
 * Reads a model's structure into its report (sizes, quantization kind, declared dimension). Returns the view, or
 * null with `mr.error` set when it is not a readable model or its external data is missing.
 */
export async function readStructure(input: ModelInput, mr: ModelReport): Promise<ModelView | null> {
  let view: ModelView;
  try {
    view = 'bytes' in input ? parseModel(input.bytes) : await resolve(input.structure);
    mr.fileBytes = 'bytes' in input ? input.bytes.length : view.fileBytes;
    mr.externalBytes = view.externalBytes;
    const summary = summarize(view, { fileName: mr.name }, mr.fileBytes);
    mr.quantization = { kind: quantKind(summary), evidence: summary.quantized.evidence };
    mr.declaredDim = summary.embeddingDim;
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    mr.error = `not a readable ONNX model: ${(e as Error).message}`;
    return null;
  }
  if (view.dataProblems.length) {
    const more = view.dataProblems.length > 1 ? ` (and ${view.dataProblems.length - 1} more)` : '';
    mr.error = `its external data cannot be read: ${view.dataProblems[0]}${more}`;
    return null;
  }
  return view;
}

/**
 * External-data files the model names, by the `location` written in it (leading "./" removed, as onnxruntime-web's
 * mount lookup does), each with the file it resolved to. One entry per location.
 */
export function externalDataFiles(m: ModelView): { location: string; source: ByteSource }[] {
  const out = new Map<string, ByteSource>();
  const add = (t: { external: { location: string } | null; data: { source: ByteSource } | null }) => {
    if (t.external && t.data) out.set(t.external.location.replace(/^(\.\/)+/, ''), t.data.source);
  };
  forEachGraph(m.graph, (g) => {
    for (const t of g.initializers) add(t);
    for (const n of g.nodes) for (const a of n.attributes) if (a.t) add(a.t);
  });
  return [...out].map(([location, source]) => ({ location, source }));
}

/** True for errors that say memory ran out (WebAssembly heap, ArrayBuffer allocation, C++ bad_alloc). */
export function isOutOfMemory(message: string): boolean {
  return /out of memory|\bOOM\b|bad_alloc|allocation failed|could not allocate|failed to allocate|Cannot enlarge memory|Array buffer allocation|WebAssembly\.Memory|Maximum memory size|RangeError: (Invalid array buffer length|Array buffer)/i.test(
    message,
  );
}

/**
 * True for onnxruntime's integer-overflow failures (SafeInt): in onnxruntime-web's 32-bit WebAssembly a byte size past
 * 2^31 / 2^32 overflows, e.g. a 2.2 GB embedding table ("SafeIntOnOverflow() Integer overflow" when the session is created).
 */
export function isSizeOverflow(message: string): boolean {
  return /SafeIntOnOverflow|Integer overflow/i.test(message);
}

/** Megabytes (2^20 bytes) with one decimal, as the CLI prints sizes. */
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

/**
 * The message for a model onnxruntime could not load or run. When memory ran out in the browser (onnxruntime-web:
 * a 32-bit WebAssembly heap, at most 4 GiB, holding the weights and the working memory), it says so plainly and
 * what to do instead: the CLI's `check` (onnxruntime-node, native memory) or WebGPU (weights in GPU memory).
 */
export function explainFailure(e: unknown, ctx: { bytes: number; browser: boolean; largestTensor?: number }): string {
  const msg = e instanceof Error ? e.message || e.name : String(e);
  if (e instanceof QualityError) return msg;
  const instead =
    'Run the check with the command line instead (`ava-quant check original.onnx quantized.onnx`, onnxruntime-node has no such limit), ' +
    'or tick WebGPU, which keeps the weights in GPU memory';
  if (isOutOfMemory(msg)) {
    if (ctx.browser)
      return (
        `the browser ran out of memory for this model (${mb(ctx.bytes)} with its external data): onnxruntime-web runs in WebAssembly, ` +
        `whose memory is limited to 4 GiB for the weights and the working memory together. ${instead} (onnxruntime said: ${msg})`
      );
    return `out of memory (${mb(ctx.bytes)} with its external data): ${msg}`;
  }
  if (ctx.browser && isSizeOverflow(msg))
    return (
      `this model is too large for onnxruntime-web (${mb(ctx.bytes)}${ctx.largestTensor ? `, its largest tensor ${mb(ctx.largestTensor)}` : ''}): ` +
      'it runs in 32-bit WebAssembly, where sizes past 2 GiB overflow. Run the check with the command line instead ' +
      `(\`ava-quant check original.onnx quantized.onnx\`, onnxruntime-node has no such limit) (onnxruntime said: ${msg})`
    );
  return msg;
}

/** Bytes of the model's largest tensor (initializers and Constant tensors, inline or external). */
export function largestTensorBytes(m: ModelView): number {
  let max = 0;
  forEachGraph(m.graph, (g) => {
    for (const t of g.initializers) max = Math.max(max, tensorDataBytes(t));
    for (const n of g.nodes) for (const a of n.attributes) if (a.t) max = Math.max(max, tensorDataBytes(a.t));
  });
  return max;
}

export interface LoadOptions {
  ort: OrtModule;
  sessionOptions?: OrtSessionOptionsLike;
  pooling?: PoolingChoice;
  outputName?: string;
}

/**
 * Creates the model's session (one at a time: the caller releases it before the next) and fills its report.
 * Returns null with `mr.error` set when onnxruntime cannot load it; rethrows aborts.
 */
export async function loadModel(
  input: ModelInput,
  view: ModelView,
  mr: ModelReport,
  o: LoadOptions,
  signal?: AbortSignal,
): Promise<Embedder | null> {
  const now = () => (globalThis.performance ? globalThis.performance.now() : Date.now());
  const ts = now();
  try {
    const src: OrtModelSource = 'bytes' in input ? { bytes: input.bytes } : await resolve(input.load);
    signal?.throwIfAborted();
    const emb = await createEmbedder({
      ort: o.ort,
      model: src,
      modelView: view,
      sessionOptions: o.sessionOptions,
      pooling: o.pooling,
      ...(o.outputName ? { outputName: o.outputName } : {}),
    });
    mr.loaded = true;
    mr.loadMs = Math.round((now() - ts) * 10) / 10;
    mr.inputs = emb.info.inputs;
    mr.output = emb.info.output;
    mr.pooling = emb.info.pooling;
    mr.poolingSource = emb.info.poolingSource;
    mr.idType = emb.info.idType;
    mr.vocabSize = emb.info.vocabSize;
    mr.notes.push(...emb.info.notes);
    return emb;
  } catch (e) {
    if (signal?.aborted) throw e;
    const reason = explainFailure(e, {
      bytes: mr.fileBytes + mr.externalBytes,
      browser: inBrowser(),
      largestTensor: largestTensorBytes(view),
    });
    mr.error = e instanceof QualityError ? reason : `onnxruntime could not load it: ${reason}`;
    return null;
  }
}

/** Whether this runs in a browser (no Node.js process object): the memory advice names the browser's limits. */
export function inBrowser(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node !== 'string';
}
