/**
 * Tensor work on another thread. A runtime with more than one core can register an offload (the CLI does:
 * src/node/quantize-pool.ts); the modes then hand it the tensors they read and process in one piece (not the big
 * ones streamed in chunks), each with the function that does the same work here, and the offload runs whichever of
 * the two is free first. A task is plain data (it crosses to a worker) and `runTensorTask` is the one definition of
 * what each does, run by both sides on the same bytes, so outputs are byte-identical to one thread. When the other
 * thread fails for any reason (a NaN weight, a read error, the file replaced meanwhile) the work is done here, so
 * every error is the one a single thread raises.
 *
 * Tasks (the tensor's float32 little-endian bytes in):
 *  - 'int8-quantize': INT8's quantize_data per tensor or per channel (src/core/int8/numerics.ts quantizeTensor);
 *  - 'fp16-convert': float16 bytes, clamped as onnxconverter-common does (src/core/onnx/float16.ts), with the counts;
 *  - 'fp16-range': FP16's range scan (src/core/fp16/range.ts).
 */
import type { ByteSource } from './io/source.js';
import { takeBuffer, withBytes } from './io/pool.js';
import { type QuantParams, type QuantizedTensor, quantizeTensor } from './int8/numerics.js';
import { type ClampOptions, type ConvertStats, emptyStats, float32BytesToFloat16 } from './onnx/float16.js';
import { type RangeScan, scanFloat32 } from './fp16/range.js';

export type TensorTask =
  | {
      op: 'int8-quantize';
      dims: readonly number[];
      /** Per-channel axis (a non-negative index into dims), or null for per-tensor. */
      axis: number | null;
      params: QuantParams;
      /** The initializer's name (for messages). */
      name: string;
    }
  | { op: 'fp16-convert'; clamp: ClampOptions }
  | { op: 'fp16-range'; maxFinite: number };

/** What each task gives back. */
export interface TaskResults {
  'int8-quantize': QuantizedTensor;
  'fp16-convert': { bytes: Uint8Array; stats: ConvertStats };
  'fp16-range': RangeScan;
}
export type TaskResult<T extends TensorTask> = TaskResults[T['op']];

/** One tensor's work: its float32 bytes at [offset, offset + length) of `source`, and what to do with them. */
export interface TensorWork<T extends TensorTask = TensorTask> {
  source: ByteSource;
  offset: number;
  length: number;
  task: T;
}

/**
 * Runs `task` on the float32 little-endian `bytes` ([n] values; any byte offset) on this thread. The bytes it makes
 * (quantized values, float16 values) go to new arrays (`fresh`: a worker hands them over by moving their buffers) or
 * to buffers of src/core/io/pool.ts takeBuffer (`pooled`: the writer gives them back once written).
 * Errors: those of the task (Int8Refusal for a NaN or infinite INT8 weight, RangeError for a length that does not
 * match the shape).
 */
export function runTensorTask<T extends TensorTask>(task: T, bytes: Uint8Array, outputs: 'pooled' | 'fresh' = 'fresh'): TaskResult<T> {
  // A view at an offset that is not a multiple of 4 (a read inside a piece of another mode's output) is copied first.
  const values = () =>
    bytes.byteOffset % 4 === 0
      ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2)
      : new Float32Array(bytes.slice().buffer);
  switch (task.op) {
    case 'int8-quantize':
      return quantizeTensor(
        values(),
        task.dims,
        task.axis,
        task.params,
        task.name,
        outputs === 'pooled' ? takeBuffer(bytes.length >>> 2) : undefined,
      ) as TaskResult<T>;
    case 'fp16-convert': {
      const stats = emptyStats();
      const into = outputs === 'pooled' ? takeBuffer((bytes.length >>> 2) * 2) : undefined;
      return { bytes: float32BytesToFloat16(bytes, task.clamp, stats, into), stats } as TaskResult<T>;
    }
    case 'fp16-range':
      return scanFloat32(values(), task.maxFinite) as TaskResult<T>;
  }
  throw new Error(`internal: unknown tensor task ${(task as { op: string }).op}`);
}

/**
 * Does `work` on another thread or here, whichever is free first (`here` reads the bytes and runs the task on this
 * thread: what the work is without an offload). Resolves with the task's result; when the other thread fails, `here`
 * runs instead.
 */
export type TensorOffload = <T extends TensorTask>(
  work: TensorWork<T>,
  here: () => Promise<TaskResult<T>>,
  signal?: AbortSignal,
) => Promise<TaskResult<T>>;

let current: TensorOffload | null = null;
let threads = 0;

/**
 * Registers the offload and the number of threads it runs work on (null, 0: none, every tensor is processed on the
 * calling thread).
 */
export function setTensorOffload(offload: TensorOffload | null, otherThreads = offload ? 1 : 0): void {
  current = offload;
  threads = offload ? otherThreads : 0;
}

/** Threads beside this one that take tensor work (0 without an offload): callers size how much they start at once. */
export function offloadThreads(): number {
  return threads;
}

/**
 * Does `work` through the registered offload, or here: reads the bytes (a pooled buffer or a slot of the kernels'
 * memory, src/core/io/pool.ts withBytes) and runs the task. Errors: the read's, the task's, the signal's reason.
 */
export function tensorWork<T extends TensorTask>(work: TensorWork<T>, signal?: AbortSignal): Promise<TaskResult<T>> {
  const here = () => withBytes(work.source, work.offset, work.length, signal, (b) => runTensorTask(work.task, b, 'pooled'));
  return current ? current(work, here, signal) : here();
}
