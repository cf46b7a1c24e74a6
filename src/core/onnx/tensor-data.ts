/**
 * Reading a tensor's values wherever they are: raw_data in memory, a payload left in the model file by openModel,
 * or external data. Every mode reads weights through here, one tensor at a time, by offset and length.
 */
import { DT, dtypeBits, dtypeName, elementCount, isElementType } from './dtypes.js';
import { OnnxFormatError } from './errors.js';
import { type ModelView, type TensorView, forEachGraph } from './model.js';
import { readFloatTensor } from '../int8/numerics.js';
import { float16BytesToFloat32 } from '../kernels/float16.js';
import { chunkReader } from '../io/source.js';
import { kernelMemoryBuffers } from '../io/pool.js';

/**
 * Refuses a model whose tensors cannot all be read: external data that was missing, too short or refused when the
 * model was opened, or an external reference that was never resolved. Every mode calls this before any work.
 */
export function checkTensorData(m: ModelView): void {
  if (m.dataProblems.length) {
    const more = m.dataProblems.length > 1 ? ` (and ${m.dataProblems.length - 1} more)` : '';
    throw new OnnxFormatError(`${m.dataProblems[0]}${more}`);
  }
  let missing: TensorView | null = null;
  forEachGraph(m.graph, (g) => {
    for (const t of g.initializers) if (!missing && t.external && !t.data) missing = t;
  });
  const t = missing as TensorView | null;
  if (t)
    throw new OnnxFormatError(
      `tensor '${t.name}' is stored in the external data file '${t.external!.location}', which was not provided; give the .onnx file together with '${t.external!.location}'`,
    );
  const bad = wrongSize(m);
  if (bad) throw new OnnxFormatError(bad);
}

/**
 * The first initializer whose stored bytes (raw_data, or its external-data range) do not match its shape and
 * element type, or whose data type is not an ONNX element type at all, as a message; null when all are sound. onnxruntime refuses such a tensor when it loads the model
 * (onnxruntime/core/framework/tensorprotoutils.cc, "UnpackTensor: the size of the data does not match"), so every mode
 * refuses it before any work instead of writing a file that cannot load. Types of unknown width are not checked.
 */
function wrongSize(m: ModelView): string | null {
  let out: string | null = null;
  forEachGraph(m.graph, (g) => {
    for (const t of g.initializers) {
      if (out) return;
      if (!isElementType(t.dataType)) {
        out = `tensor '${t.name}' has data type ${t.dataType}, which is not an ONNX element type (TensorProto.DataType); the file is damaged or was edited`;
        return;
      }
      const bits = dtypeBits(t.dataType);
      const have = t.rawData ? t.rawData.length : t.data ? t.data.length : null;
      if (!bits || have === null) continue;
      const need = Math.ceil((elementCount(t.dims) * bits) / 8);
      if (have !== need)
        out = `tensor '${t.name}' has ${have.toLocaleString('en-US')} bytes of data but its shape [${t.dims.join(', ')}] of ${dtypeName(t.dataType)} needs ${need.toLocaleString('en-US')}; the file is damaged or was edited`;
    }
  });
  return out;
}

/** Bytes the tensor's data takes (raw_data, the skipped payload or the external range), or null for typed fields. */
export function rawByteLength(t: TensorView): number | null {
  if (t.rawData) return t.rawData.length;
  if (t.data) return t.data.length;
  if (t.external) return t.external.length ?? Math.ceil((elementCount(t.dims) * dtypeBits(t.dataType)) / 8);
  return null;
}

/** True when the tensor's element bytes are stored as raw little-endian bytes (raw_data or external). */
export function hasRawBytes(t: TensorView): boolean {
  return !!(t.rawData || t.data || t.external);
}

/**
 * The tensor's raw little-endian element bytes (length = rawByteLength). Throws OnnxFormatError when the tensor is
 * stored externally in a file that was not provided, or holds typed fields (float_data, …) instead of raw bytes.
 */
export async function rawBytes(t: TensorView, signal?: AbortSignal): Promise<Uint8Array> {
  if (t.rawData) return t.rawData;
  if (t.data) return t.data.source.read(t.data.offset, t.data.length, signal);
  if (t.external)
    throw new OnnxFormatError(
      `tensor '${t.name}' is stored in the external data file '${t.external.location}', which was not provided; give the .onnx file together with '${t.external.location}'`,
    );
  throw new OnnxFormatError(`internal error: tensor '${t.name}' has no raw bytes`);
}

/** The tensor as an in-memory view: its bytes read (when on disk) into rawData. Small tensors only. */
export async function inMemory(t: TensorView, signal?: AbortSignal): Promise<TensorView> {
  if (!t.data && !t.external) return t;
  return { ...t, rawData: await rawBytes(t, signal), data: null, external: null };
}

/**
 * A FLOAT or FLOAT16 tensor's values as float32 (float16 widened exactly), read from wherever they are.
 * Throws OnnxFormatError for other types, missing external data, or a byte count that does not match the shape.
 */
export async function readFloatValues(t: TensorView, signal?: AbortSignal): Promise<Float32Array> {
  if (t.dataType !== DT.FLOAT && t.dataType !== DT.FLOAT16)
    throw new OnnxFormatError(`tensor '${t.name}' is not float32/float16 (data type ${t.dataType})`);
  return readFloatTensor(await inMemory(t, signal));
}

/** Float tensors on disk bigger than `aboveBytes` are quantized in chunks (see quantizeTensorChunked); tests lower it. */
export const chunking = { aboveBytes: 64 << 20 };

/** Whether floatChunkReader reads `t` in chunks: a FLOAT / FLOAT16 tensor on disk bigger than chunking.aboveBytes. */
export function readsInChunks(t: TensorView): boolean {
  return !!t.data && t.data.length > chunking.aboveBytes && (t.dataType === DT.FLOAT || t.dataType === DT.FLOAT16);
}

/**
 * A reader of element ranges of a FLOAT / FLOAT16 tensor whose bytes are on disk (t.data), or null when the tensor
 * is in memory or small enough to read whole. Each read returns float32 values (float16 widened exactly) in a buffer
 * the next read reuses (chunkReader, src/core/io/source.ts): consume each chunk before reading the next. Reads walk
 * the tensor in order `passes` times (a two-pass kernel passes 2): the next chunk is read while this one is used.
 * With `inKernelMemory`, float32 chunks of up to 16 MiB are read into slots of the WebAssembly kernels' memory when
 * free (src/core/kernels/simd.ts leaseSlot), where the kernels read them without a copy; the caller must then call
 * the reader's `release()` when done with it (the slots go back; the reader must not be used after).
 */
export function floatChunkReader(
  t: TensorView,
  signal?: AbortSignal,
  passes = 1,
  inKernelMemory = false,
): (((start: number, count: number) => Promise<Float32Array>) & { release(): void }) | null {
  const d = t.data;
  if (!d || !readsInChunks(t)) return null;
  const width = t.dataType === DT.FLOAT ? 4 : 2;
  if (d.length !== elementCount(t.dims) * width)
    throw new OnnxFormatError(
      `tensor '${t.name}' has ${d.length} bytes of data but its shape [${t.dims.join(', ')}] needs ${elementCount(t.dims) * width}`,
    );
  const buffers = inKernelMemory && width === 4 ? kernelMemoryBuffers() : null;
  const read = chunkReader(d.source, {
    start: d.offset,
    end: d.offset + d.length,
    passes,
    ...(buffers ? { alloc: buffers.alloc } : {}),
  });
  let widened = new Float32Array(0);
  const reader = async (start: number, count: number) => {
    const b = await read(d.offset + start * width, count * width, signal);
    if (width === 2) {
      if (widened.length < count) widened = new Float32Array(count);
      return float16BytesToFloat32(b, widened.subarray(0, count));
    }
    return b.byteOffset % 4 === 0 ? new Float32Array(b.buffer, b.byteOffset, count) : new Float32Array(b.slice().buffer);
  };
  return Object.assign(reader, { release: () => buffers?.release() });
}
