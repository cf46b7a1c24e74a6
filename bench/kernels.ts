/**
 * Microbenchmark of the tensor kernels: the previous straightforward implementations (the test oracles in
 * tests/int8/kernel-oracle.ts and tests/fp16/convert-oracle.ts) against the typed-array kernels, in the same run, on
 * seeded BERT-sized weights. Prints M elements/s (best of N runs, old and new interleaved), the ratio, and whether
 * the outputs are byte-identical. Times are the process's CPU time (user + system), which a busy shared machine
 * disturbs less than wall time (both are printed for the ratio). Nothing is asserted; compare ratios.
 *   npx tsx bench/kernels.ts [--reps 15] [--rows 768] [--cols 3072]
 */
import { float16BytesToFloat32 } from '../src/core/kernels/float16.js';
import { quantizeTensor, readFloatTensor, type QuantParams } from '../src/core/int8/numerics.js';
import { DT } from '../src/core/onnx/dtypes.js';
import { emptyStats, float32BytesToFloat16 } from '../src/core/onnx/float16.js';
import type { TensorView } from '../src/core/onnx/model.js';
import { oracleConvertWords } from '../tests/fp16/convert-oracle.js';
import { oracleQuantizeTensor, oracleReadRaw } from '../tests/int8/kernel-oracle.js';
import { mulberry32 } from '../src/core/quality/math.js';

const args = process.argv.slice(2);
const opt = (name: string, d: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : d);
const REPS = opt('reps', 15);
const K = opt('rows', 768);
const N = opt('cols', 3072);
const n = K * N;

const r = mulberry32(2024);
const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
// BERT-like weights: N(0, 0.04) with rare outliers
const weights = Float32Array.from({ length: n }, () => gauss() * 0.04 + (r() < 1e-4 ? gauss() : 0));
const weightBytes = new Uint8Array(weights.buffer);
// the same weights stored as float16 (through the kernel under test's reference: the old converter, no clamping)
const halfBytes = oracleConvertWords(new Uint32Array(weights.buffer), { minPositive: 0, maxFinite: 65504 }, emptyStats());
const halfValues = oracleReadRaw(halfBytes, n, DT.FLOAT16);
// an unaligned copy of the float32 bytes (as raw_data inside a model file usually is)
const unalignedBuf = new Uint8Array(n * 4 + 1);
unalignedBuf.set(weightBytes, 1);
const unaligned = unalignedBuf.subarray(1);

interface Case {
  name: string;
  old: () => ArrayLike<number>;
  now: () => ArrayLike<number>;
}

const INT8_SYM: QuantParams = { qType: DT.INT8, symmetric: true, reduceRange: false, floatType: DT.FLOAT };
const UINT8_ASYM_RR: QuantParams = { qType: DT.UINT8, symmetric: false, reduceRange: true, floatType: DT.FLOAT };
const FP16_CLAMP = { minPositive: 1e-7, maxFinite: 1e4 };
const rawTensor = (raw: Uint8Array, dataType: number): TensorView => ({
  buf: raw,
  fields: [],
  name: 'w',
  dims: [K, N],
  dataType,
  rawData: raw,
  data: null,
  typedFields: [],
  external: null,
});

const cases: Case[] = [
  {
    name: 'INT8 per-tensor (int8 symmetric)',
    old: () => oracleQuantizeTensor(weights, [K, N], null, INT8_SYM).data,
    now: () => quantizeTensor(weights, [K, N], null, INT8_SYM).data,
  },
  {
    name: 'INT8 per-tensor (uint8 asym, reduce_range)',
    old: () => oracleQuantizeTensor(weights, [K, N], null, UINT8_ASYM_RR).data,
    now: () => quantizeTensor(weights, [K, N], null, UINT8_ASYM_RR).data,
  },
  {
    name: 'INT8 per-channel axis -1 (MatMul B)',
    old: () => oracleQuantizeTensor(weights, [K, N], 1, INT8_SYM).data,
    now: () => quantizeTensor(weights, [K, N], 1, INT8_SYM).data,
  },
  {
    name: 'INT8 per-channel axis 0',
    old: () => oracleQuantizeTensor(weights, [K, N], 0, INT8_SYM).data,
    now: () => quantizeTensor(weights, [K, N], 0, INT8_SYM).data,
  },
  {
    name: 'INT8 per-channel -1, float16 weight',
    old: () => oracleQuantizeTensor(halfValues, [K, N], 1, { ...INT8_SYM, floatType: DT.FLOAT16 }).data,
    now: () => quantizeTensor(halfValues, [K, N], 1, { ...INT8_SYM, floatType: DT.FLOAT16 }).data,
  },
  {
    name: 'float16 widening (raw_data -> float32)',
    old: () => u32(oracleReadRaw(halfBytes, n, DT.FLOAT16)),
    now: () => u32(float16BytesToFloat32(halfBytes)),
  },
  {
    name: 'readFloatTensor float32, unaligned raw',
    old: () => u32(oracleReadRaw(unaligned, n, DT.FLOAT)),
    now: () => u32(readFloatTensor(rawTensor(unaligned, DT.FLOAT))),
  },
  {
    name: 'float32 -> float16 (FP16 clamp 1e-7 / 1e4)',
    old: () => oracleConvertWords(new Uint32Array(weights.buffer), FP16_CLAMP, emptyStats()),
    now: () => float32BytesToFloat16(weightBytes, FP16_CLAMP, emptyStats()),
  },
  {
    name: 'float32 -> float16, unaligned source',
    old: () => oracleConvertWords(new Uint32Array(unaligned.slice().buffer), FP16_CLAMP, emptyStats()),
    now: () => float32BytesToFloat16(unaligned, FP16_CLAMP, emptyStats()),
  },
];

function u32(f: Float32Array): Uint32Array {
  return new Uint32Array(f.buffer, f.byteOffset, f.length);
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs f once; records its CPU and wall milliseconds. */
function measure(f: () => unknown, cpu: number[], wall: number[]): void {
  const c = cpuMs();
  const t = performance.now();
  f();
  wall.push(performance.now() - t);
  cpu.push(cpuMs() - c);
}

const rate = (ms: number[]) => n / Math.max(Math.min(...ms), 1e-3) / 1e3;

console.log(
  `kernels: ${K} x ${N} = ${(n / 1e6).toFixed(2)} M elements, best of ${REPS} (old and new interleaved), Node ${process.version}`,
);
console.log(
  `${'case'.padEnd(44)} ${'old M/s'.padStart(8)} ${'new M/s'.padStart(8)} ${'ratio'.padStart(7)} ${'wall ratio'.padStart(11)}  identical`,
);
for (const c of cases) {
  const identical = same(c.old(), c.now());
  // Warm-up: JIT tiers, and the allocator (the first large allocations fault in fresh pages; later ones reuse memory).
  for (let i = 0; i < 5; i++) {
    c.old();
    c.now();
  }
  const oc: number[] = [];
  const ow: number[] = [];
  const nc: number[] = [];
  const nw: number[] = [];
  for (let i = 0; i < REPS; i++) {
    measure(c.old, oc, ow);
    measure(c.now, nc, nw);
  }
  const [mo, mn] = [rate(oc), rate(nc)];
  const wallRatio = rate(nw) / rate(ow);
  console.log(
    `${c.name.padEnd(44)} ${mo.toFixed(0).padStart(8)} ${mn.toFixed(0).padStart(8)} ${(mn / mo).toFixed(1).padStart(6)}x ${wallRatio.toFixed(1).padStart(10)}x  ${identical ? 'yes' : 'NO'}`,
  );
}
