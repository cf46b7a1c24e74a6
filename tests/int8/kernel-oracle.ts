/**
 * Today's straightforward INT8 numerics (before the typed-array kernels), kept as the oracle the fast
 * kernels are compared with byte for byte (tests/int8/kernels.test.ts) and timed against (bench/kernels.ts).
 * Not used by the app. The NaN / infinity refusal (checkFinite) is the app's: only where the old code checks is compared.
 */
import {
  checkFinite,
  computeScaleZp,
  float16Bits,
  float16BitsToNumber,
  quantRange,
  typeRange,
  type FloatType,
  type QuantParams,
  type QuantizedTensor,
} from '../../src/core/int8/numerics.js';
import { DT } from '../../src/core/onnx/dtypes.js';

/** The pre-kernel `quantizeTensor` (numerics.ts): ranges, scales and the quantize pass as they were. */
export function oracleQuantizeTensor(
  values: Float32Array,
  dims: readonly number[],
  axis: number | null,
  p: QuantParams,
  name = '',
): QuantizedTensor {
  const [qmin, qmax] = quantRange(p.qType, p.reduceRange, p.symmetric);
  const [lo, hi] = typeRange(p.qType);
  const channels = axis === null ? 1 : dims[axis]!;
  let inner = 1;
  if (axis !== null) for (let i = axis + 1; i < dims.length; i++) inner *= dims[i]!;
  const block = channels * inner;
  const n = values.length;
  const mn = new Float64Array(channels).fill(Infinity);
  const mx = new Float64Array(channels).fill(-Infinity);
  let nan = false;
  for (let base = 0; base < n; base += block) {
    for (let c = 0; c < channels; c++) {
      const from = base + c * inner;
      let a = mn[c]!;
      let b = mx[c]!;
      for (let i = from, end = from + inner; i < end; i++) {
        const v = values[i]!;
        if (v < a) a = v;
        if (v > b) b = v;
        if (v !== v) nan = true;
      }
      mn[c] = a;
      mx[c] = b;
    }
  }
  if (nan) checkFinite(NaN, name);
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  for (let c = 0; c < channels; c++) {
    if (n === 0 || mn[c] === Infinity) {
      scales.push(1);
      zeroPoints.push(0);
      continue;
    }
    checkFinite(mn[c]!, name);
    checkFinite(mx[c]!, name);
    const { scale, zeroPoint } = computeScaleZp(mn[c]!, mx[c]!, qmin, qmax, p.symmetric, p.floatType);
    scales.push(scale);
    zeroPoints.push(zeroPoint);
  }
  return { data: oracleQuantizePass(values, block === 0 ? 0 : n / block, channels, inner, scales, zeroPoints, lo, hi), scales, zeroPoints };
}

/** The pre-kernel raw_data path of `readFloatTensor` (float32 or float16 little-endian bytes -> Float32Array). */
export function oracleReadRaw(raw: Uint8Array, n: number, floatType: FloatType): Float32Array {
  const out = new Float32Array(n);
  const width = floatType === DT.FLOAT ? 4 : 2;
  if (raw.length !== n * width) throw new Error('size');
  if (width === 4) {
    out.set(new Float32Array(raw.slice().buffer));
    return out;
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  for (let i = 0; i < n; i++) out[i] = float16BitsToNumber(dv.getUint16(i * 2, true));
  return out;
}

/** The pre-kernel `floatBytes`. */
export function oracleFloatBytes(values: ArrayLike<number>, floatType: FloatType): Uint8Array {
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
 * The quantize pass of the pre-kernel `quantizeTensor` (oracleQuantizeTensor runs it), for arbitrary scales / zero
 * points: values as [outer, channels, inner].
 */
export function oracleQuantizePass(
  values: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  lo: number,
  hi: number,
): Uint8Array {
  const n = values.length;
  const block = channels * inner;
  const out = new Uint8Array(n);
  if (outer * block !== n) throw new Error('layout');
  for (let base = 0; base < n; base += block) {
    for (let c = 0; c < channels; c++) {
      const scale = scales[c]!;
      const zp = zeroPoints[c]!;
      const from = base + c * inner;
      for (let i = from, end = from + inner; i < end; i++) {
        const x = Math.fround(values[i]! / scale);
        let r = Math.round(x);
        if (r - x === 0.5 && r % 2 !== 0) r -= 1;
        r += zp;
        out[i] = (r < lo ? lo : r > hi ? hi : r) & 0xff;
      }
    }
  }
  return out;
}
