/**
 * Quantizing weights on another thread. A runtime with more than one core can register an offload (the CLI does:
 * src/node/quantize-pool.ts); the INT8 planner's weight jobs (quantizer.ts) then hand it the float32 weights they
 * would read and quantize in one piece (not the big weights streamed in chunks, not those with a post-transform), and
 * run whatever it declines (null) here. The offload runs the same `quantizeTensor` (numerics.ts) on the same bytes,
 * so the output is byte-identical to one thread. When the other thread fails for any reason (a NaN weight, a read
 * error, the file replaced meanwhile) the job runs here, so every error is the one a single thread raises.
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
 * Takes a request, or declines it (null: the caller quantizes it itself). The promise resolves with what
 * `quantizeTensor` returns for these values, or rejects (the caller then quantizes it itself, raising its own error).
 */
export type WeightOffload = (req: WeightQuantizeRequest, signal?: AbortSignal) => Promise<QuantizedTensor> | null;

let current: WeightOffload | null = null;

/** Registers the offload weight jobs use (null: none, every weight is quantized on the calling thread). */
export function setWeightOffload(offload: WeightOffload | null): void {
  current = offload;
}

/** The registered offload's answer to `req` (null when none is registered or it declines). */
export function offloadWeight(req: WeightQuantizeRequest, signal?: AbortSignal): Promise<QuantizedTensor> | null {
  return current ? current(req, signal) : null;
}
