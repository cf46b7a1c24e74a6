/**
 * Straightforward transcriptions of the reference block quantizers, kept as test oracles for src/core/kernels/nbits.ts:
 *  - mlasQuantizeBlockwise4: onnxruntime/core/mlas/lib/q4_dq.cpp BlockwiseQuantizer<T, bs, 4, columnwise=true>::
 *    quantizeAndTranspose, loop for loop (thread blocks of 2 * bs rows x 1 column, zp_bytes / vi registers), float32
 *    arithmetic through Math.fround, roundf = half away from zero;
 *  - numpyQuantizeNdarray: matmul_nbits_quantizer.py DefaultWeightOnlyQuantizer.quantize_ndarray / quant_slice_* /
 *    pack_int8_to_int4, one element at a time.
 * Slow and simple on purpose: no shared code with the kernels.
 */
import { f16BitsToNumber, f32BitsToF16Bits } from '../../src/core/kernels/float16.js';

const fr = Math.fround;
const FLT_MAX = 3.4028234663852886e38;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const toHalf = (x: number): number => {
  f32[0] = x;
  return f32BitsToF16Bits(u32[0]!);
};
const roundf = (x: number): number => (x >= 0 ? Math.floor(x + 0.5) : -Math.floor(-x + 0.5));
function rint(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
const toU8 = (x: number): number => (Number.isNaN(x) ? 0 : x);

export function mlasQuantizeBlockwise4(src: Float32Array, K: number, N: number, bs: number, symmetric: boolean, half: boolean) {
  const rowBlks = Math.ceil(K / bs);
  const qRows = Math.floor((rowBlks * bs * 4 + 7) / 8);
  const dst = new Uint8Array(N * qRows);
  const scales: number[] = new Array(N * rowBlks).fill(0); // stored values (float32 or float16 bits)
  const scaleVal = (i: number) => (half ? f16BitsToNumber(scales[i]!) : scales[i]!);
  const zps = symmetric ? null : new Uint8Array(N * Math.ceil(rowBlks / 2));
  const thrdRowBlks = Math.ceil(K / (2 * bs));
  for (let blockIdx = 0; blockIdx < thrdRowBlks * N; blockIdx++) {
    const zpBytes = [8, 8];
    const vi = [0, 0];
    const rBlk = Math.floor(blockIdx / N);
    const c = blockIdx % N;
    const r = rBlk * 2 * bs;
    const rEnd = Math.min(r + 2 * bs, K);
    const metaRow = r / bs;
    for (let kpack = 0; kpack < 2; kpack++) {
      let min = FLT_MAX;
      let max = -FLT_MAX;
      const rowStart = r + kpack * bs;
      const rowEnd = Math.min(rowStart + bs, rEnd);
      for (let i = rowStart; i < rowEnd; i++) {
        const v = src[i * N + c]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (rowStart < rowEnd) {
        const metaIdx = c * rowBlks + metaRow + kpack;
        let scale: number;
        if (!zps) {
          const m = Math.abs(max) > Math.abs(min) ? max : min;
          scale = fr(-m / 8);
        } else {
          min = 0 < min ? 0 : min; // std::min(min, 0.0f)
          max = max < 0 ? 0 : max; // std::max(max, 0.0f)
          scale = fr(fr(max - min) / 15);
          let zf = min;
          if (scale !== 0) zf = fr(0 - fr(min / scale));
          zpBytes[kpack] = zf < 0 ? 0 : zf > 15 ? 15 : toU8(roundf(zf));
        }
        scales[metaIdx] = half ? toHalf(scale) : scale;
      }
    }
    if (zps) zps[c * Math.ceil(rowBlks / 2) + metaRow / 2] = ((zpBytes[0]! & 0xf) | (zpBytes[1]! << 4)) & 0xff;
    for (let i = r; i < rEnd; i += 2) {
      for (let l = 0; l < 2 && i + l < rEnd; l++) {
        const metaR = Math.floor((i + l) / bs);
        const scale = scaleVal(c * rowBlks + metaR);
        const rs = scale !== 0 ? fr(1 / scale) : 0;
        const zp = zpBytes[metaR % 2]!;
        const v = src[(i + l) * N + c]!;
        const t = roundf(fr(fr(v * rs) + zp));
        vi[l] = Number.isNaN(t) ? 0 : Math.min(15, Math.max(0, t));
      }
      dst[c * qRows + i / 2] = ((vi[0]! & 0xf) | (vi[1]! << 4)) & 0xff;
    }
  }
  return {
    packed: dst,
    scales: half ? Uint16Array.from(scales) : Float32Array.from(scales),
    zeroPoints: zps,
  };
}

export function numpyQuantizeNdarray(src: Float32Array, dims: number[], axis: number, bs: number, symmetric: boolean, half: boolean) {
  const R = half ? (x: number) => f16BitsToNumber(toHalf(x)) : fr;
  let m = 1;
  let n = 1;
  dims.forEach((d, i) => {
    if (i < axis) m *= d;
    if (i > axis) n *= d;
  });
  const k = dims[axis]!;
  const kb = Math.ceil(k / bs);
  const q: number[] = new Array(m * k * n).fill(0);
  const scales: number[] = new Array(m * kb * n).fill(0);
  const zp: number[] = new Array(m * kb * n).fill(0);
  for (let i = 0; i < k; i += bs) {
    const end = Math.min(i + bs, k);
    const j = i / bs;
    for (let a = 0; a < m; a++)
      for (let c = 0; c < n; c++) {
        const vals: number[] = [];
        for (let x = i; x < end; x++) vals.push(src[(a * k + x) * n + c]!);
        const hasNaN = vals.some((v) => Number.isNaN(v));
        let mx = hasNaN ? NaN : vals.reduce((p, v) => (v > p ? v : p), -Infinity);
        let mn = hasNaN ? NaN : vals.reduce((p, v) => (v < p ? v : p), Infinity);
        const si = (a * kb + j) * n + c;
        if (symmetric) {
          const am = Math.abs(mx) > Math.abs(mn) ? mx : mn;
          const scale = R(am / -8.0);
          scales[si] = scale;
          for (let x = i; x < end; x++) {
            const e = (a * k + x) * n + c;
            const v = scale === 0 ? 0 : rint(R(src[e]! / scale));
            q[e] = Number.isNaN(v) ? 0 : Math.min(7, Math.max(-8, v));
          }
        } else {
          mn = Math.min(mn, 0);
          mx = Math.max(mx, 0);
          const scale = R(R(mx - mn) / 15.0);
          scales[si] = scale;
          const z0 = scale === 0 ? 8 : rint(R(-mn / scale));
          const z = Number.isNaN(z0) ? 0 : Math.min(15, Math.max(0, z0));
          zp[si] = z;
          for (let x = i; x < end; x++) {
            const e = (a * k + x) * n + c;
            const v = scale === 0 ? 8 : rint(R(R(src[e]! / scale) + z));
            q[e] = Number.isNaN(v) ? 0 : Math.min(15, Math.max(0, v));
          }
        }
      }
  }
  const pack = (vals: number[]) => {
    const flat = vals.length % 2 ? [...vals, 0] : vals;
    const out = new Uint8Array(flat.length / 2);
    for (let p = 0; p < out.length; p++) out[p] = (flat[2 * p]! & 0xf) | ((flat[2 * p + 1]! & 0xf) << 4);
    return out;
  };
  const sd = [...dims];
  sd[axis] = kb;
  return {
    packed: pack(q),
    scales: half ? Uint16Array.from(scales, toHalf) : Float32Array.from(scales),
    scaleDims: sd,
    zeroPoints: symmetric ? null : pack(zp),
  };
}
