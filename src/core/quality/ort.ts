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
}

export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options?: OrtSessionOptionsLike): Promise<OrtSessionLike>;
  };
  Tensor: {
    new (type: 'int64', data: BigInt64Array, dims: readonly number[]): OrtTensorLike;
    new (type: 'int32', data: Int32Array, dims: readonly number[]): OrtTensorLike;
  };
}

/** Names of the execution providers in session options (string or { name }). */
export function providerNames(opts: OrtSessionOptionsLike | undefined): string[] {
  return (opts?.executionProviders ?? []).map((p) => (typeof p === 'string' ? p : p.name));
}
