/**
 * FP16's only access to tensor payloads (the bytes behind raw_data / float_data). Everything else in
 * src/core/fp16/ works from tensor headers (name, data_type, dims, field spans) and the values this module
 * returns, so making tensor data come from an asynchronous source (`await source.read(offset, length)`) changes
 * this file alone: `rawBytes` is the one place that reads raw_data (typed fields such as float_data and
 * int64_data are read from the model message itself).
 *
 * Interface (all payload reads are async; lengths come from headers):
 *  - `float32ByteLength(t)`: bytes of a float32 tensor's payload, without reading it (progress totals).
 *  - `scanFloat32Range(t, maxFinite)`: the largest finite |x| and whether a genuine value lies beyond maxFinite.
 *  - `scalarValue(t)`: the value of a one-element float32 / int32 / int64 tensor (null otherwise).
 *  - `convertToFloat16(t, clamp, stats)`: the float16 payload of a float32 tensor (little-endian raw_data bytes).
 * Payloads on disk (a model opened by streaming, or external data: `t.data`) are read by range; those over
 * `chunking.aboveBytes` are scanned and converted in chunks, so a big tensor's float32 values are never all in memory.
 */
import { chunkReader } from '../io/source.js';
import { kernelMemoryBuffers, takeBuffer } from '../io/pool.js';
import { DT } from '../onnx/dtypes.js';
import { type ClampOptions, type ConvertStats, addStats, float32BytesToFloat16 } from '../onnx/float16.js';
import { tensorWork } from '../offload.js';
import { TENSOR, type TensorDataRef, type TensorView } from '../onnx/model.js';
import { chunking, hasRawBytes, rawByteLength, rawBytes as readRaw } from '../onnx/tensor-data.js';
import { WT_I32, WT_LEN, pushInts } from '../onnx/wire.js';
import { type RangeScan, scanFloat32 } from './range.js';
import { concatBytes } from '../io/bytes.js';

export type { RangeScan };

/** The float_data fields of a tensor as byte spans of the model, in order (when it has no raw_data). */
function floatDataSpans(t: TensorView): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  for (const f of t.typedFields) {
    if (f.no !== TENSOR.floatData) continue;
    if (f.wt === WT_LEN) spans.push({ start: f.vstart, end: f.end });
    else if (f.wt === WT_I32) spans.push({ start: f.vstart, end: f.vstart + 4 });
  }
  return spans;
}

/**
 * A tensor's raw_data bytes, or null when it stores its values in typed fields. The single read of raw tensor
 * data in FP16: with an asynchronous byte source this becomes `await source.read(offset, length)`.
 */
async function rawBytes(t: TensorView, signal?: AbortSignal): Promise<Uint8Array | null> {
  return hasRawBytes(t) ? readRaw(t, signal) : null;
}

/** Byte ranges [start, end) of a big on-disk payload, in chunks of about 16 MiB (multiples of 4 bytes). */
function* byteChunks(length: number): Generator<[number, number]> {
  const step = 16 << 20;
  for (let s = 0; s < length; s += step) yield [s, Math.min(length, s + step)];
}

/** The on-disk range of a big float32 payload to process in chunks, or null (in memory, or small). */
function bigOnDisk(t: TensorView): TensorDataRef | null {
  return t.data && t.data.length > chunking.aboveBytes ? t.data : null;
}

/** The little-endian float32 bytes of a FLOAT tensor stored in the model (raw_data, or float_data packed or not). */
async function payloadBytes(t: TensorView, signal?: AbortSignal): Promise<Uint8Array> {
  const raw = await rawBytes(t, signal);
  if (raw) return raw;
  const chunks = floatDataSpans(t).map((s) => t.buf.subarray(s.start, s.end));
  if (chunks.length === 1) return chunks[0]!;
  return concatBytes(chunks);
}

/** Bytes of a float32 tensor's payload (raw_data or float_data), from its field spans; nothing is read. */
export function float32ByteLength(t: TensorView): number {
  const raw = rawByteLength(t);
  if (raw !== null) return raw;
  let n = 0;
  for (const s of floatDataSpans(t)) n += s.end - s.start;
  return n;
}

function asFloat32(src: Uint8Array): Float32Array {
  const n = src.length >>> 2;
  return src.byteOffset % 4 === 0 ? new Float32Array(src.buffer, src.byteOffset, n) : new Float32Array(src.slice(0, n * 4).buffer);
}

/** Range of a float32 tensor's values against maxFinite (see RangeScan). Rejects with the signal's reason when aborted. */
export async function scanFloat32Range(t: TensorView, maxFinite: number, signal?: AbortSignal): Promise<RangeScan> {
  const d = bigOnDisk(t);
  if (!d && t.data) return tensorWork({ ...t.data, task: { op: 'fp16-range', maxFinite } }, signal);
  if (!d) return scanFloat32(asFloat32(await payloadBytes(t, signal)), maxFinite);
  const all: RangeScan = { maxAbs: 0, genuine: false };
  const buffers = kernelMemoryBuffers();
  try {
    const read = chunkReader(d.source, { start: d.offset, end: d.offset + d.length, alloc: buffers.alloc });
    for (const [a, b] of byteChunks(d.length)) {
      const r = scanFloat32(asFloat32(await read(d.offset + a, b - a, signal)), maxFinite);
      all.maxAbs = Math.max(all.maxAbs, r.maxAbs);
      all.genuine ||= r.genuine;
    }
  } finally {
    buffers.release();
  }
  return all;
}

/** The same scan over values already decoded (a Constant's value_float / value_floats attribute). */
export function scanFloatValues(values: readonly number[], maxFinite: number): RangeScan {
  return scanFloat32(Float32Array.from(values), maxFinite);
}

/** The value of a one-element FLOAT, INT32 or INT64 tensor stored in the model; null for anything else. */
export async function scalarValue(t: TensorView): Promise<number | null> {
  if ((t.external && !t.data) || t.dims.reduce((x, y) => x * y, 1) !== 1) return null;
  const raw = t.dataType === DT.FLOAT ? await payloadBytes(t) : await rawBytes(t);
  if (!raw) {
    const nums: number[] = [];
    for (const f of t.typedFields) if (f.no === TENSOR.int64Data || f.no === TENSOR.int32Data) pushInts(t.buf, f, nums);
    return nums.length === 1 ? nums[0]! : null;
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (t.dataType === DT.FLOAT && raw.length === 4) return dv.getFloat32(0, true);
  if (t.dataType === DT.INT64 && raw.length === 8) return Number(dv.getBigInt64(0, true));
  if (t.dataType === DT.INT32 && raw.length === 4) return dv.getInt32(0, true);
  return null;
}

/** float32BytesToFloat16 of `src` into an array of src/core/io/pool.ts takeBuffer (see convertToFloat16). */
function toFloat16(src: Uint8Array, clamp: ClampOptions, stats: ConvertStats): Uint8Array {
  return float32BytesToFloat16(src, clamp, stats, takeBuffer((src.length >>> 2) * 2));
}

/**
 * The float16 payload (little-endian raw_data bytes) of a float32 tensor, clamped and rounded as
 * src/core/onnx/float16.ts `float32BytesToFloat16` does; counts go to `stats`. A payload of 1–64 MiB comes in a
 * buffer of src/core/io/pool.ts takeBuffer, referenced nowhere else: the caller may recycle() it once done.
 */
export async function convertToFloat16(t: TensorView, clamp: ClampOptions, stats: ConvertStats, signal?: AbortSignal): Promise<Uint8Array> {
  const d = bigOnDisk(t);
  if (!d && t.data) {
    // Here or on another thread (src/core/offload.ts), whichever is free first.
    const r = await tensorWork({ ...t.data, task: { op: 'fp16-convert', clamp } }, signal);
    addStats(stats, r.stats);
    return r.bytes;
  }
  if (!d) return toFloat16(await payloadBytes(t), clamp, stats);
  const out = new Uint8Array(d.length / 2);
  const read = chunkReader(d.source, { start: d.offset, end: d.offset + d.length });
  for (const [a, b] of byteChunks(d.length))
    float32BytesToFloat16(await read(d.offset + a, b - a, signal), clamp, stats, out.subarray(a / 2, b / 2));
  return out;
}

/**
 * convertToFloat16's payload of a big on-disk tensor as a sequence of chunks (about 8 MiB of float16 each, in order),
 * so a writer can write the first while the next are converted; null for a tensor convertToFloat16 does in one piece
 * (in memory, or 64 MiB or less). Counts go to the `stats` given, as the chunks are made. The chunks are two arrays
 * used in turn: each is valid until the chunk after the next is asked for (as src/core/io/write.ts writeChunks
 * consumes them); copy to keep.
 */
export function float16Chunks(
  t: TensorView,
  clamp: ClampOptions,
): ((stats: ConvertStats, signal?: AbortSignal) => AsyncGenerator<Uint8Array>) | null {
  const d = bigOnDisk(t);
  if (!d) return null;
  return async function* (stats, signal) {
    const buffers = kernelMemoryBuffers();
    const out = [new Uint8Array(0), new Uint8Array(0)];
    let turn = 0;
    try {
      const read = chunkReader(d.source, { start: d.offset, end: d.offset + d.length, alloc: buffers.alloc });
      for (const [a, b] of byteChunks(d.length)) {
        const n = (b - a) / 2;
        if (out[turn]!.length < n) out[turn] = new Uint8Array(n);
        const into = out[turn]!.subarray(0, n);
        turn ^= 1;
        yield float32BytesToFloat16(await read(d.offset + a, b - a, signal), clamp, stats, into);
      }
    } finally {
      buffers.release();
    }
  };
}

/** Bytes of the float16 payload convertToFloat16 will produce (half the float32 payload), without reading it. */
export function float16ByteLength(t: TensorView): number {
  return float32ByteLength(t) / 2;
}
