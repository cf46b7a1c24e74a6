/**
 * INT8 numerics, reproducing onnxruntime.quantization.quant_utils (1.32.0) bit for bit:
 * `get_qmin_qmax_for_qType`, `compute_scale_zp`, `compute_data_quant_params`, `quantize_nparray`.
 *
 * NumPy semantics that matter here:
 *  - rounding is half-to-even (`np.round` / `ndarray.round` = rint); JavaScript's Math.round is half-up.
 *  - rmin/rmax are float32 (the weight's dtype); `dr = float64(rmax) - float64(rmin)`; `scale = dr / dq` in float64;
 *    the stored scale is float32(scale); the zero point is computed from the float64 scale.
 *  - quantization divides in float32: `(w / scale32)` is a float32 division, then rint, then `+ zp`, then a clip to
 *    the full range of the type (not the reduced / symmetric range).
 */
import { DT } from '../onnx/dtypes.js';
import { OnnxFormatError } from '../onnx/errors.js';
import { Int8Refusal } from './errors.js';
import type { TensorView } from '../onnx/model.js';
import { TENSOR } from '../onnx/model.js';
import { WT_LEN, WT_I32, readVarintSigned } from '../onnx/wire.js';
import { f16BitsToNumber, float16BytesToFloat32, float32ToFloat16 } from '../kernels/float16.js';
import { channelLayout, channelMinMax, quantizeChannels } from '../kernels/int8.js';

export type QType = typeof DT.INT8 | typeof DT.UINT8;

/** float32's smallest normal (numpy.finfo(float32).tiny). */
export const FLOAT32_TINY = 2 ** -126;
/** float16's smallest subnormal (numpy.finfo(float16).smallest_subnormal). */
export const FLOAT16_SMALLEST_SUBNORMAL = 2 ** -24;

/** Round half to even, for any finite double (NumPy's rint). */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 52) return x; // already integral (or not a number)
  const r = Math.round(x); // half-up: ties go toward +inf
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Full value range of a quantized type (what `quantize_nparray` clips to). */
export function typeRange(q: QType): [number, number] {
  return q === DT.INT8 ? [-128, 127] : [0, 255];
}

/**
 * [qmin, qmax] as `get_qmin_qmax_for_qType`: reduce_range wins (int8 [-64, 64], uint8 [0, 127]); then symmetric
 * (int8 only: [-127, 127]; uint8 has no symmetric table and keeps [0, 255]); else the full range.
 */
export function quantRange(q: QType, reduceRange: boolean, symmetric: boolean): [number, number] {
  if (reduceRange) return q === DT.INT8 ? [-64, 64] : [0, 127];
  if (symmetric && q === DT.INT8) return [-127, 127];
  return typeRange(q);
}

/** The float type a weight is stored in; scales are stored in the same type (as the reference does). */
export type FloatType = typeof DT.FLOAT | typeof DT.FLOAT16;

export interface ScaleZp {
  /** The stored scale (float32 value, or the float16 value as a number when the weight is float16). */
  scale: number;
  zeroPoint: number;
}

/**
 * `compute_scale_zp(rmin, rmax, qmin, qmax, symmetric)` for rmin/rmax already in the weight's float type.
 * min_real_range is not exposed by quantize_dynamic's presets and is not supported.
 */
export function computeScaleZp(
  rminIn: number,
  rmaxIn: number,
  qmin: number,
  qmax: number,
  symmetric: boolean,
  floatType: FloatType = DT.FLOAT,
): ScaleZp {
  let rmin = Math.min(rminIn, 0);
  let rmax = Math.max(rmaxIn, 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(rmin), Math.abs(rmax));
    rmin = -absmax;
    rmax = absmax;
  }
  const dr = rmax - rmin; // float64 subtraction of two float32 (or float16) values
  const dq = qmax - qmin;
  const scale64 = dr / dq;
  let stored: number;
  let tooSmall: boolean;
  if (floatType === DT.FLOAT16) {
    stored = float16Round(scale64);
    tooSmall = stored < FLOAT16_SMALLEST_SUBNORMAL;
  } else {
    stored = Math.fround(scale64);
    tooSmall = scale64 < FLOAT32_TINY;
  }
  if (tooSmall) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = symmetric ? roundHalfEven((qmin + qmax) / 2) : roundHalfEven(qmin - rmin / scale64);
  return { scale: stored, zeroPoint };
}

/** Nearest float16 value (round half to even) of a double, returned as a number. */
export function float16Round(x: number): number {
  return float16BitsToNumber(float16Bits(x));
}

/** IEEE half bits of a double, round half to even (as numpy's float64 -> float16 cast). */
export function float16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a >= 65520) return sign | 0x7c00; // rounds to inf (max half 65504; halfway 65520 rounds up to inf)
  if (a < 2 ** -14) {
    // subnormal: units of 2^-24
    const m = roundHalfEven(a / 2 ** -24);
    return sign | m; // m may be 1024 = smallest normal, encoded correctly as exponent 1
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  let m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** IEEE half bits to a number (exact): the float16 codec's decoder (kernels/float16.ts). */
export const float16BitsToNumber = f16BitsToNumber;

/** Quantizes one value: clip(rint(float32(w / scale)) + zp, typeMin, typeMax). */
export function quantizeValue(w: number, scale: number, zp: number, lo: number, hi: number): number {
  const q = roundHalfEven(Math.fround(w / scale)) + zp;
  return q < lo ? lo : q > hi ? hi : q;
}

export interface QuantParams {
  qType: QType;
  symmetric: boolean;
  reduceRange: boolean;
  floatType: FloatType;
}

export interface QuantizedTensor {
  /** Quantized values, same layout as the input. */
  data: Uint8Array;
  scales: number[];
  zeroPoints: number[];
}

/**
 * A weight holding NaN or ±inf has no INT8 scale. That is INT8's limit, not a damaged file (the model loads, and FP16
 * converts it), so it is an Int8Refusal: every mode agrees on which files are bad (tests/fuzz).
 */
export function checkFinite(v: number, name: string): void {
  if (!Number.isFinite(v))
    throw new Int8Refusal(`tensor '${name}' contains ${Number.isNaN(v) ? 'NaN' : 'infinite'} values; it cannot be quantized`);
}

/**
 * Per-tensor (axis === null) or per-channel quantization of a weight, as `quantize_data` / `quantize_nparray`
 * (quant_utils.py): per-channel slices along `axis` as `weights.take(i, axis)` does.
 *
 * - values: the weight's elements in row-major order (float32, or float16 widened exactly), `dims` its shape;
 * - axis: a non-negative index into dims, or null for one scale / zero point for the whole tensor;
 * - returns the quantized bytes (same layout; int8 as two's complement) and one scale (float32 value, or float16
 *   value for float16 weights) and zero point per channel.
 *
 * Pure (typed arrays and plain values in and out), so it can run in a worker. Two passes over the values: the range
 * kernel (`channelMinMax`), then the quantize kernel (`quantizeChannels`), both in memory order; per-channel on the last
 * axis walks rows with per-column parameters.
 * - out: where the quantized bytes go ([values.length]; e.g. a buffer of src/core/io/pool.ts takeBuffer), returned
 *   as `data`; default a new array.
 * Errors: Int8Refusal when the weight holds NaN or ±inf (naming the tensor). An empty tensor (or empty channels)
 * gets scale 1 and zero point 0, as compute_data_quant_params keeps them.
 */
export function quantizeTensor(
  values: Float32Array,
  dims: readonly number[],
  axis: number | null,
  p: QuantParams,
  name = '',
  out?: Uint8Array,
): QuantizedTensor {
  const [qmin, qmax] = quantRange(p.qType, p.reduceRange, p.symmetric);
  const [lo, hi] = typeRange(p.qType);
  const layout = channelLayout(dims, axis);
  const range = channelMinMax(values, layout);
  if (range.hasNaN) checkFinite(NaN, name);
  const empty = layout.outer * layout.inner === 0;
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  for (let c = 0; c < layout.channels; c++) {
    if (empty) {
      // Empty tensor: compute_data_quant_params keeps scale 1, zero point 0.
      scales.push(1);
      zeroPoints.push(0);
      continue;
    }
    const mn = range.min[c]!;
    const mx = range.max[c]!;
    checkFinite(mn, name);
    checkFinite(mx, name);
    const { scale, zeroPoint } = computeScaleZp(mn, mx, qmin, qmax, p.symmetric, p.floatType);
    scales.push(scale);
    zeroPoints.push(zeroPoint);
  }
  const data = quantizeChannels(values, layout, scales, zeroPoints, lo, hi, out);
  return { data, scales, zeroPoints };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The float values of an in-memory FLOAT or FLOAT16 tensor as a Float32Array (float16 widened exactly): raw_data,
 * or float_data / int32_data (packed or not). Tensors whose bytes are on disk or in external data are read through
 * src/core/onnx/tensor-data.ts `readFloatValues`, which calls this on the bytes it read.
 *
 * float32 raw bytes that are 4-byte aligned are returned as a view (no copy): read the result, do not modify or
 * transfer it. Unaligned float32 bytes are copied once; float16 bytes are widened through a lookup table.
 */
export function readFloatTensor(t: TensorView): Float32Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.dataType !== DT.FLOAT && t.dataType !== DT.FLOAT16)
    throw new OnnxFormatError(`tensor '${t.name}' is not float32/float16 (data type ${t.dataType})`);
  if (t.external || t.data) throw new OnnxFormatError(`internal error: tensor '${t.name}' is not in memory (read it with readFloatValues)`);
  const raw = t.rawData;
  if (raw) {
    const width = t.dataType === DT.FLOAT ? 4 : 2;
    if (raw.length !== n * width)
      throw new OnnxFormatError(
        `tensor '${t.name}' has ${raw.length} bytes of data but its shape [${t.dims.join(', ')}] needs ${n * width}`,
      );
    if (LITTLE_ENDIAN) {
      if (width === 2) return float16BytesToFloat32(raw);
      // Values are read as stored (little-endian); an unaligned view is copied (slice gives an aligned buffer).
      if (raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, n);
      return new Float32Array(raw.slice().buffer);
    }
    const out = new Float32Array(n);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
    if (width === 4) for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
    else for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(dv.getUint16(i * 2, true));
    return out;
  }
  const out = new Float32Array(n);
  // Typed fields: float_data (FLOAT) or int32_data holding float16 bits (FLOAT16).
  const want = t.dataType === DT.FLOAT ? TENSOR.floatData : TENSOR.int32Data;
  let k = 0;
  const put = (v: number) => {
    if (k < n) out[k] = v;
    k++;
  };
  for (const f of t.typedFields) {
    if (f.no !== want) continue;
    if (t.dataType === DT.FLOAT) {
      if (f.wt === WT_LEN) {
        const dv = new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, f.end - f.vstart);
        for (let i = 0; i + 4 <= dv.byteLength; i += 4) put(dv.getFloat32(i, true));
      } else if (f.wt === WT_I32) put(new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, 4).getFloat32(0, true));
    } else if (f.wt === WT_LEN) {
      let p = f.vstart;
      while (p < f.end) {
        const [v, next] = readVarintSigned(t.buf, p, f.end);
        put(float16BitsToNumber(v & 0xffff));
        p = next;
      }
    } else put(float16BitsToNumber(readVarintSigned(t.buf, f.vstart, f.end)[0] & 0xffff));
  }
  if (k !== n) throw new OnnxFormatError(`tensor '${t.name}' holds ${k} values but its shape [${t.dims.join(', ')}] needs ${n}`);
  return out;
}

/**
 * Little-endian bytes of float values stored as `floatType` (float32, or float16 bits rounded half to even as
 * `float16Bits`, every NaN written as 0x7e00). A Float32Array is converted in bulk (float32: its bytes copied as they
 * are; float16: the float16 kernel); other arrays of numbers value by value.
 */
export function floatBytes(values: ArrayLike<number>, floatType: FloatType): Uint8Array {
  if (values instanceof Float32Array && LITTLE_ENDIAN) {
    if (floatType === DT.FLOAT) return new Uint8Array(values.slice().buffer);
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const { bits, counts } = float32ToFloat16(words, null);
    // float16Bits writes every NaN as 0x7e00 (no sign, no payload); the kernel keeps sign and payload.
    if (counts.nonFinite) for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7fff) > 0x7c00) bits[i] = 0x7e00;
    return new Uint8Array(bits.buffer);
  }
  if (floatType === DT.FLOAT) {
    const a = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) a[i] = values[i]!;
    return new Uint8Array(a.buffer);
  }
  const b = new Uint8Array(values.length * 2);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < values.length; i++) dv.setUint16(i * 2, float16Bits(values[i]!), true);
  return b;
}

/**
 * Reads elements [start, start + count) of a tensor as float32 values (float16 widened). `release`, when present, is
 * called once the reader is no longer used (src/core/onnx/tensor-data.ts floatChunkReader's kernel-memory slots).
 */
export type FloatChunkReader = ((start: number, count: number) => Promise<Float32Array>) & { release?(): void };

/**
 * quantizeTensor for a tensor too big to hold as float32 at once: two passes over chunks read from disk (the range,
 * then the quantized values), so memory holds the int8 output and one chunk (`chunkElements`, whole rows or whole
 * channels) rather than the tensor. The result is byte-identical to quantizeTensor on the whole tensor (the same
 * kernels over the same values; min/max per channel combine exactly). Arguments as quantizeTensorStreamed, which
 * does the same without holding the output.
 */
export async function quantizeTensorChunked(...args: Parameters<typeof quantizeTensorStreamed>): Promise<QuantizedTensor> {
  const [, dims, axis, p, name] = args;
  const n = dims.reduce((a, b) => a * b, 1);
  if (n === 0) return quantizeTensor(new Float32Array(0), dims, axis, p, name);
  const { scales, zeroPoints, chunks } = await quantizeTensorStreamed(...args);
  const data = new Uint8Array(n);
  let at = 0;
  for await (const c of chunks()) {
    data.set(c, at);
    at += c.length;
  }
  return { data, scales, zeroPoints };
}

/**
 * The streamed form of quantizeTensorChunked: runs the range pass over the chunks (`read`, in order) now and returns
 * the scales and zero points (one per channel, as quantizeTensor) and `chunks()`, which runs the value pass: the
 * quantized bytes in order, one array per chunk (whole rows or channels, about `chunkElements` bytes), their lengths
 * adding up to the element count. The arrays are two buffers used in turn: each is valid until the chunk after the
 * next is asked for (as src/core/io/write.ts writeChunks consumes them: a sink keeps no reference after its write
 * settles); copy to keep. Call chunks() once. Same errors as quantizeTensor (NaN / ±inf named, from the range pass).
 * Not for empty tensors (use quantizeTensor). `read.release()` is called when the value pass ends (or the range pass
 * fails).
 */
export async function quantizeTensorStreamed(
  read: FloatChunkReader,
  dims: readonly number[],
  axis: number | null,
  p: QuantParams,
  name = '',
  chunkElements = 4 << 20,
): Promise<{ scales: number[]; zeroPoints: number[]; chunks: () => AsyncIterable<Uint8Array> }> {
  const [qmin, qmax] = quantRange(p.qType, p.reduceRange, p.symmetric);
  const [lo, hi] = typeRange(p.qType);
  const layout = channelLayout(dims, axis);
  const { outer, channels, inner } = layout;
  const n = outer * channels * inner;
  if (n === 0) throw new Error(`internal: quantizeTensorStreamed on the empty tensor '${name}'`);
  // Chunks are whole rows of [channels * inner] when there are several rows, else whole channels, else elements.
  type Chunk = { start: number; count: number; layout: typeof layout; firstChannel: number };
  const chunks: Chunk[] = [];
  if (outer > 1) {
    const row = channels * inner;
    const rows = Math.max(1, Math.floor(chunkElements / row));
    for (let o = 0; o < outer; o += rows) {
      const r = Math.min(rows, outer - o);
      chunks.push({ start: o * row, count: r * row, layout: { outer: r, channels, inner }, firstChannel: 0 });
    }
  } else if (channels > 1) {
    const per = Math.max(1, Math.floor(chunkElements / inner));
    for (let c = 0; c < channels; c += per) {
      const k = Math.min(per, channels - c);
      chunks.push({ start: c * inner, count: k * inner, layout: { outer: 1, channels: k, inner }, firstChannel: c });
    }
  } else {
    for (let s = 0; s < n; s += chunkElements) {
      const k = Math.min(chunkElements, n - s);
      chunks.push({ start: s, count: k, layout: { outer: 1, channels: 1, inner: k }, firstChannel: 0 });
    }
  }
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  try {
    for (const ch of chunks) {
      const r = channelMinMax(await read(ch.start, ch.count), ch.layout);
      if (r.hasNaN) checkFinite(NaN, name);
      for (let c = 0; c < ch.layout.channels; c++) {
        const g = ch.firstChannel + c;
        if (r.min[c]! < min[g]!) min[g] = r.min[c]!;
        if (r.max[c]! > max[g]!) max[g] = r.max[c]!;
      }
    }
    for (let c = 0; c < channels; c++) {
      checkFinite(min[c]!, name);
      checkFinite(max[c]!, name);
      const { scale, zeroPoint } = computeScaleZp(min[c]!, max[c]!, qmin, qmax, p.symmetric, p.floatType);
      scales.push(scale);
      zeroPoints.push(zeroPoint);
    }
  } catch (e) {
    read.release?.();
    throw e;
  }
  const longest = chunks.reduce((a, c) => Math.max(a, c.count), 0);
  async function* values(): AsyncGenerator<Uint8Array> {
    const out = [new Uint8Array(longest), new Uint8Array(chunks.length > 1 ? longest : 0)];
    let turn = 0;
    try {
      for (const ch of chunks) {
        const sub = (a: number[]) => a.slice(ch.firstChannel, ch.firstChannel + ch.layout.channels);
        const data = out[turn]!.subarray(0, ch.count);
        turn ^= 1;
        quantizeChannels(await read(ch.start, ch.count), ch.layout, sub(scales), sub(zeroPoints), lo, hi, data);
        yield data;
      }
    } finally {
      read.release?.();
    }
  }
  return { scales, zeroPoints, chunks: values };
}
