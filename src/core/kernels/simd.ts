/**
 * WebAssembly SIMD (128-bit) twins of the hottest loops: a float32 range (INT8's min / max), linear quantization to
 * int8 / uint8 (INT8), float32 -> float16 narrowing (FP16) and a magnitude maximum (FP16's range scan). The
 * TypeScript kernels stay the definition and the fallback: each function here returns what its twin returns, bit for
 * bit (tests/core/simd-kernels.test.ts compares them on random and edge values), and covers only the common case —
 * tails and rare values (float16 subnormals, clamping, inf, NaN) go back to the TypeScript code. Source:
 * src/core/kernels/simd.wat, compiled by scripts/gen-wasm-kernels.ts into simd.generated.ts.
 *
 * Values are copied into the module's memory a block (at most BLOCK values) at a time: callers pass the chunks their
 * loops already walk (16384 values), which stay in the CPU cache between the copy and the kernel — unless they are
 * already there: a file read can fill a slot of the module's memory directly (leaseSlot; src/core/io/pool.ts and
 * the chunk reader of big weights do, in Node), and the kernels then read them in place. An engine without
 * WebAssembly SIMD (or with WebAssembly disabled) gets null from simd() and the TypeScript loops run.
 */
import { SIMD_WASM_BASE64 } from './simd.generated.js';

/** Byte offsets of the module's regions (see simd.wat). */
const { IN, OUT, SLOW, RES, PARAMS, CMIN, CMAX, ARENA } = {
  IN: 0,
  OUT: 262144,
  SLOW: 393216,
  RES: 458752,
  PARAMS: 524288,
  CMIN: 1048576,
  CMAX: 1179648,
  ARENA: 2097152,
};
/** Bytes of one arena slot (16 MiB) and how many there are. */
export const SLOT_BYTES = 16 << 20;
const SLOTS = 6;
/** Most columns the row kernels take (PARAMS, CMIN and CMAX hold 32768 per array). */
export const MAX_COLS = 32768;
/** Values one call takes at most (IN holds 65536 float32). */
export const BLOCK = 65536;

/** The module's functions; `src` is the byte offset of their input in the module's memory. */
interface Exports {
  memory: WebAssembly.Memory;
  minmax(src: number, n: number): void;
  quantize(src: number, n: number, s: number, l: number, h: number, z: number, unsigned: number): void;
  narrow(src: number, n: number, fastLo: number, fastHi: number): number;
  maxmag(src: number, n: number): number;
  rows_minmax(src: number, rows: number, cols: number): void;
  quantize_rows(src: number, rows: number, cols: number, unsigned: number): void;
}

/** The instantiated kernels and views of their memory (fixed size: the views never detach). */
export interface SimdKernels {
  readonly x: Exports;
  readonly f32: Float32Array;
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;
  /** Free arena slots (indices). */
  readonly free: number[];
}

/** Whether the SIMD kernels are used where available (tests turn them off to run the TypeScript twins). */
export const simdSwitch = { enabled: true };

let loaded: SimdKernels | null | undefined;

/** The kernels, or null when switched off or when this engine has no WebAssembly SIMD. Instantiated once. */
export function simd(): SimdKernels | null {
  if (!simdSwitch.enabled) return null;
  if (loaded === undefined) loaded = load();
  return loaded;
}

function load(): SimdKernels | null {
  try {
    const bin = atob(SIMD_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    if (!WebAssembly.validate(bytes)) return null;
    const x = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Exports;
    const buf = x.memory.buffer;
    const free = Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i);
    return { x, f32: new Float32Array(buf), u32: new Uint32Array(buf), u16: new Uint16Array(buf), u8: new Uint8Array(buf), free };
  } catch {
    return null; // no WebAssembly here (or a policy forbids compiling it): the TypeScript kernels run
  }
}

/**
 * A free 16 MiB slot of the kernels' memory for a file read to fill (`bytes`, SLOT_BYTES long, at a multiple of
 * 64 KiB), or null when the kernels are off or every slot is taken (then read into an ordinary buffer: the kernels
 * copy from it, with the same results). `release()` gives the slot back (once; later calls do nothing). Arrays over a
 * slot must not be used after release.
 */
export function leaseSlot(): { bytes: Uint8Array; release(): void } | null {
  const k = simd();
  const i = k?.free.pop();
  if (!k || i === undefined) return null;
  let held = true;
  return {
    bytes: k.u8.subarray(ARENA + i * SLOT_BYTES, ARENA + (i + 1) * SLOT_BYTES),
    release() {
      if (held) k.free.push(i);
      held = false;
    },
  };
}

/**
 * Where the kernels read v[from, from + n) (4-byte elements): in place when v lies in their memory (a leased slot),
 * else copied into IN (n at most BLOCK). Returns the byte offset.
 */
function place(k: SimdKernels, v: Float32Array | Uint32Array, from: number, n: number): number {
  if (v.buffer === k.x.memory.buffer) return v.byteOffset + from * 4;
  if (v instanceof Float32Array) k.f32.set(v.subarray(from, from + n), IN / 4);
  else k.u32.set(v.subarray(from, from + n), IN / 4);
  return IN;
}

/**
 * [min, max] of v[from, to) (at most BLOCK values) as Math.min / Math.max fold them (a NaN makes both NaN; which of
 * ±0 is returned when both occur is unspecified, as in int8.ts).
 */
export function simdMinMax(k: SimdKernels, v: Float32Array, from: number, to: number): [number, number] {
  k.x.minmax(place(k, v, from, to - from), to - from);
  return [k.f32[RES / 4]!, k.f32[RES / 4 + 1]!];
}

/**
 * Quantizes the first multiple of 16 of v[from, to) (at most BLOCK values) into out[from, ...), as int8.ts
 * quantizeSegment: clip(rint(float32(w / s)), lo - z, hi - z) + z, stored as its low 8 bits; NaN -> 0. Only for the
 * int8 [-128, 127] and uint8 [0, 255] ranges and integer zero points. Returns how many values it did.
 */
export function simdQuantize(
  k: SimdKernels,
  v: Float32Array,
  from: number,
  to: number,
  q: { s: number; z: number; lo: number },
  out: Uint8Array,
): number {
  const { s, z, lo } = q;
  const n = (to - from) & ~15;
  if (n === 0) return 0;
  k.x.quantize(place(k, v, from, n), n, s, lo - z, (lo === 0 ? 255 : 127) - z, z, lo === 0 ? 1 : 0);
  out.set(k.u8.subarray(OUT, OUT + n), from);
  return n;
}

/**
 * float32 -> float16 fast path over words[from, ...) for the first multiple of 8 of [from, to) (at most BLOCK
 * values): values whose magnitude bits are in [fastLo, fastHi] are narrowed into out as float16.ts narrowChunk's fast
 * path does. Returns the count of values done, the largest fast magnitude's bits, and the starts (indices into words)
 * of the groups of 8 that held any other value: the caller redoes those groups with the exact path.
 */
export function simdNarrow(
  k: SimdKernels,
  words: Uint32Array,
  [from, to]: readonly [number, number],
  out: Uint16Array,
  [fastLo, fastHi]: readonly [number, number],
): { done: number; maxAbsBits: number; slow: Uint32Array } {
  const n = (to - from) & ~7;
  if (n === 0) return { done: 0, maxAbsBits: 0, slow: new Uint32Array(0) };
  const slowCount = k.x.narrow(place(k, words, from, n), n, fastLo, fastHi);
  out.set(k.u16.subarray(OUT / 2, OUT / 2 + n), from);
  const slow = k.u32.subarray(SLOW / 4, SLOW / 4 + slowCount);
  for (let j = 0; j < slowCount; j++) slow[j] = from + slow[j]! * 8;
  return { done: n, maxAbsBits: k.u32[RES / 4]!, slow };
}

/**
 * The largest magnitude bit pattern (w & 0x7fffffff, as an unsigned number; inf and NaN included) of the first
 * multiple of 4 of w[from, to) (at most BLOCK values), and how many values that was.
 */
export function simdMaxMagnitude(k: SimdKernels, w: Uint32Array, from: number, to: number): { done: number; max: number } {
  const n = (to - from) & ~3;
  if (n === 0) return { done: 0, max: 0 };
  return { done: n, max: k.x.maxmag(place(k, w, from, n), n) >>> 0 };
}

/** Whether the row kernels below take rows of `cols` columns (a multiple of 4, at most MAX_COLS). */
export function simdRowsFit(cols: number): boolean {
  return cols % 4 === 0 && cols > 0 && cols <= MAX_COLS;
}

/**
 * Rows v[from, to) (whole rows of `cols`, simdRowsFit) folded into the per-column extremes cmin / cmax ([cols]) as
 * int8.ts rowsMinMax does, in blocks of whole rows; returns true when a NaN was seen (the extremes of its column are
 * then unspecified).
 */
export function simdRowsMinMax(
  k: SimdKernels,
  v: Float32Array,
  cols: number,
  from: number,
  to: number,
  cmin: Float64Array,
  cmax: Float64Array,
): boolean {
  k.f32.set(cmin, CMIN / 4);
  k.f32.set(cmax, CMAX / 4);
  k.u32[RES / 4 + 2] = 0;
  const step = Math.floor(BLOCK / cols) * cols;
  for (let a = from; a < to; a += step) {
    const b = Math.min(to, a + step);
    k.x.rows_minmax(place(k, v, a, b - a), (b - a) / cols, cols);
  }
  cmin.set(k.f32.subarray(CMIN / 4, CMIN / 4 + cols));
  cmax.set(k.f32.subarray(CMAX / 4, CMAX / 4 + cols));
  return k.u32[RES / 4 + 2] !== 0;
}

/**
 * Rows v[from, to) (whole rows of `cols`, simdRowsFit) quantized into out[from, to) as int8.ts quantizeRows does,
 * with p ([4 * cols]: scale, lower bound, upper bound, zero point per column, interleaved as quantizeRows takes them).
 * Only for the int8 [-128, 127] (lo = -128) and uint8 [0, 255] (lo = 0) ranges.
 */
export function simdQuantizeRows(
  k: SimdKernels,
  v: Float32Array,
  cols: number,
  from: number,
  to: number,
  p: Float64Array,
  lo: number,
  out: Uint8Array,
): void {
  const base = PARAMS / 4;
  for (let c = 0; c < cols; c++) {
    k.f32[base + c] = p[4 * c]!;
    k.f32[base + 32768 + c] = p[4 * c + 1]!;
    k.f32[base + 65536 + c] = p[4 * c + 2]!;
    k.u32[base + 98304 + c] = p[4 * c + 3]! | 0;
  }
  const step = Math.floor(BLOCK / cols) * cols;
  for (let a = from; a < to; a += step) {
    const b = Math.min(to, a + step);
    k.x.quantize_rows(place(k, v, a, b - a), (b - a) / cols, cols, lo === 0 ? 1 : 0);
    out.set(k.u8.subarray(OUT, OUT + (b - a)), a);
  }
}
