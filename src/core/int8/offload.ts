/**
 * Quantizing weights on another thread. A runtime with more than one core can register an offload (the CLI does:
 * src/node/quantize-pool.ts); the INT8 planner's weight jobs (quantizer.ts) then hand it the float32 weights they
 * read and quantize in one piece (not the big weights streamed in chunks, not those with a post-transform), with the
 * function that quantizes one here. The offload runs the same `quantizeTensor` (numerics.ts) on the same bytes, so
 * the output is byte-identical to one thread. When the other thread fails for any reason (a NaN weight, a read
 * error, the file replaced meanwhile) the weight is quantized here, so every error is the one a single thread raises.
 */
import type { ByteSource } from '../io/source.js';
import type { QuantParams, QuantizedTensor } from './numerics.js';

/** One weight to quantize: its float32 little-endian bytes at [offset, offset + length) of `source`. */
export interface WeightQuantizeRequest {
  source: ByteSource;
  offset: number;
  /** Bytes: 4 × the element count of `dims`. */
  length: number;
  dims: readonly number[];
  /** Per-channel axis (a non-negative index into dims), or null for per-tensor. */
  axis: number | null;
  params: QuantParams;
  /** The initializer's name (for messages). */
  name: string;
}

/**
 * Quantizes the weight of `req`, on another thread or by calling `here` (which quantizes it on this thread: what a job
 * does without an offload), whichever is free first. Resolves with what `quantizeTensor` returns for these values;
 * when the other thread fails, `here` runs instead, so an error is this thread's (e.g. Int8Refusal for NaN).
 */
export type WeightOffload = (
  req: WeightQuantizeRequest,
  here: () => Promise<QuantizedTensor>,
  signal?: AbortSignal,
) => Promise<QuantizedTensor>;

let current: WeightOffload | null = null;

/** Registers the offload weight jobs use (null: none, every weight is quantized on the calling thread). */
export function setWeightOffload(offload: WeightOffload | null): void {
  current = offload;
}

/** Quantizes `req` through the registered offload, or with `here` when none is registered. */
export function offloadWeight(
  req: WeightQuantizeRequest,
  here: () => Promise<QuantizedTensor>,
  signal?: AbortSignal,
): Promise<QuantizedTensor> {
  return current ? current(req, here, signal) : here();
}
