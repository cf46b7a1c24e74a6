/**
 * The slice of the onnxruntime JS API the quality core uses. The core never imports an ORT package: the caller
 * injects `onnxruntime-web` (worker) or `onnxruntime-node` (CLI, tests); both satisfy `OrtModule` as is:
 *
 *   import * as ort from 'onnxruntime-node';
 *   await runQualityCheck({ ort, ... });
 */

/** A tensor as ORT gives it back (CPU location): `data` is a typed array. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
  dispose?(): void;
}

export interface OrtValueMetadataLike {
  readonly name: string;
  readonly isTensor: boolean;
  /** Element type, e.g. "int64", "int32", "float32" (tensor metadata only). */
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}

export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** ORT >= 1.22 (web and node). Optional so older builds still work (the model's own graph is the fallback). */
  readonly inputMetadata?: readonly OrtValueMetadataLike[];
  readonly outputMetadata?: readonly OrtValueMetadataLike[];
  run(feeds: Record<string, OrtTensorLike>, fetches: readonly string[]): Promise<Record<string, OrtTensorLike>>;
  release?(): Promise<void>;
}

/** Session options are passed through untouched; only `executionProviders` is read (for the report). */
export interface OrtSessionOptionsLike {
  executionProviders?: readonly (string | { readonly name: string })[];
  /**
   * onnxruntime-web only: the model's external-data files, by the `location` the model names them with. `data` is a
   * URL (e.g. a `blob:` URL of the dropped File): onnxruntime-web fetches it and streams it into memory, where a Blob
   * would be read whole with `arrayBuffer()` (which fails over 2 GB in Chromium; onnxruntime-web 1.30
   * lib/wasm/wasm-utils-load-file.ts).
   */
  externalData?: readonly { readonly path: string; readonly data: string | Uint8Array }[];
}

/**
 * What onnxruntime loads for one model:
 * - `{ path }`: a file path (onnxruntime-node; it reads the model and its external data itself, from the model's folder);
 * - `{ bytes, externalData? }`: the .onnx bytes, plus the external-data files by location (onnxruntime-web).
 */
export type OrtModelSource =
  | { readonly path: string }
  | { readonly bytes: Uint8Array; readonly externalData?: readonly { readonly path: string; readonly data: string | Uint8Array }[] };

export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options?: OrtSessionOptionsLike): Promise<OrtSessionLike>;
    create(path: string, options?: OrtSessionOptionsLike): Promise<OrtSessionLike>;
  };
  Tensor: {
    new (type: 'int64', data: BigInt64Array, dims: readonly number[]): OrtTensorLike;
    new (type: 'int32', data: Int32Array, dims: readonly number[]): OrtTensorLike;
  };
}

/** Creates a session from a model source (see OrtModelSource); external data goes into the session options. */
export function createSession(ort: OrtModule, src: OrtModelSource, options: OrtSessionOptionsLike = {}): Promise<OrtSessionLike> {
  if ('path' in src) return ort.InferenceSession.create(src.path, options);
  const opts = src.externalData?.length ? { ...options, externalData: src.externalData } : options;
  return ort.InferenceSession.create(src.bytes, opts);
}

/** Names of the execution providers in session options (string or { name }). */
export function providerNames(opts: OrtSessionOptionsLike | undefined): string[] {
  return (opts?.executionProviders ?? []).map((p) => (typeof p === 'string' ? p : p.name));
}
