/**
 * Deployment targets ("where will it run?") and the kernel facts the checker applies to them: pure data. Each rule
 * names the runtime versions it holds for and its sources (sources.ts). The checker (check.ts) walks a model's
 * nodes and applies, per node: the target's rules (in order), then the target's general policy (float16 on the CPU
 * EP, WebGPU coverage, reduced-build op list, ops with no recorded fact).
 *
 * Versions: facts were read from onnxruntime's kernel registrations and measured on the wheels 1.22.0, 1.23.2,
 * 1.24.2, 1.30.0, 1.32.0 (each target's runtime says the range: oldestVersion–newestVersion; a version outside it is
 * checked with a finding that says so, and rules with a version bound from the sources apply outside it too, e.g.
 * MatMulNBits before 1.17) (tests/golden/targets/kernels.json, x86-64) and onnxruntime-node / onnxruntime-web 1.30
 * (tests/targets/kernels.test.ts). ARM64 binds the same kernel registrations as x86-64 (none of the quantization
 * kernels below is platform-conditional); its float16 extras are listed from the source (MLAS_F16VEC).
 */
import { DT } from '../onnx/dtypes.js';
import type { OptimumTarget } from './presets.js';

export type TargetId = 'android-arm64' | 'x86-avx2' | 'x86-vnni' | 'browser-wasm' | 'browser-webgpu' | 'android-arm64-ort-mobile';

/**
 * What happens to a node on the target. Blocking (listed as `unsupported`): the model does not load
 * (`no-kernel`, `not-in-build`) or fails at its first run (`fails-at-run`). The others are warnings.
 */
export type Verdict =
  | 'no-kernel'
  | 'fails-at-run'
  | 'not-in-build'
  | 'cpu-fallback'
  | 'cast-fallback'
  | 'may-be-wrong'
  | 'needs-feature'
  | 'older-runtime'
  | 'reduced-build-risk'
  | 'not-checked';

export const BLOCKING: ReadonlySet<Verdict> = new Set<Verdict>(['no-kernel', 'fails-at-run', 'not-in-build']);

export type Condition =
  | { kind: 'always' }
  /** Some listed input is present, its element type is known and not in its allowed set. */
  | { kind: 'type-not-in'; inputs: { input: number; types: number[] }[] }
  /** Every listed input is present with a known element type in its set. */
  | { kind: 'types-in'; inputs: { input: number; types: number[] }[] }
  /** The input is present and holds more than `n` elements (initializer dims or a known shape). */
  | { kind: 'numel-above'; input: number; n: number }
  /** Input `input` is an int8 initializer with a value of magnitude above `limit`, and input `activation` is uint8. */
  | { kind: 'u8s8-weight-above'; activation: number; input: number; limit: number }
  /** The node reads or writes float16. */
  | { kind: 'float16' }
  /** The input is present and holds at most `n` elements (initializer dims or a known shape). */
  | { kind: 'numel-at-most'; input: number; n: number }
  /** DequantizeLinear with a block_size attribute on a 1-D input. */
  | { kind: 'blocked-1d' }
  | { kind: 'all'; of: Condition[] };

export interface Rule {
  id: string;
  /** Domain-qualified op types ("ConvInteger" = ai.onnx, "com.microsoft.MatMulNBits"). */
  ops: string[];
  /** Runtime versions the rule holds for: from (inclusive) / before (exclusive). */
  versions?: { from?: string; before?: string };
  when: Condition;
  verdict: Verdict;
  /** Why, in one sentence that names the op: `{op}` stands for the node's op type (for rules over several ops). */
  reason: string;
  sources: string[];
}

export interface Runtime {
  /** Package(s) the facts are for. */
  packages: string;
  /** Execution provider the nodes run on. */
  ep: string;
  /** The version checked when the caller names none: the oldest in scope for native apps, the one this app ships for the browser. */
  defaultVersion: string;
  /** Oldest version the facts were collected for. */
  oldestVersion: string;
  /**
   * Newest version the facts were collected for (its patch releases included). A version outside
   * oldestVersion–newestVersion gets a finding that says so: the facts may not hold there.
   */
  newestVersion: string;
}

export interface Target {
  id: TargetId;
  label: string;
  /** One line: which devices / deployments this means. */
  where: string;
  runtime: Runtime;
  /** The INT8 preset for this target (src/core/targets/presets.ts). */
  int8Preset: OptimumTarget;
  /** Which mode we recommend here and why (sizes / kernels), for the page's hint. */
  advice: string;
  /** Sources behind the advice and the INT8 preset choice. */
  adviceSources: string[];
  /** Backend the quality check runs on to match the target best (the quality core's backends). */
  qualityBackend: 'onnxruntime-node cpu' | 'wasm' | 'webgpu';
  /** Node-level rules, applied in order (all matches are reported). */
  rules: Rule[];
  /** General policy for what no rule covers. */
  policy: {
    kind: 'cpu' | 'webgpu' | 'reduced-build';
    /** float16 ops with a native CPU kernel (others run between inserted Casts). */
    fp16Native?: ReadonlySet<string>;
    /** Rule-less ops: for the WebGPU EP, ops with a WebGPU kernel ([from, to] opset, to null = open). */
    gpuOps?: Readonly<Record<string, [number, number | null]>>;
    /** For a reduced build: the ops it has. */
    buildOps?: ReadonlySet<string>;
    /** com.microsoft ops with a recorded kernel on this EP. */
    contribOps: ReadonlySet<string>;
    /** Warn that an older release of this runtime lacks a kernel the current one has (the page may pin one). */
    warnOlderRuntimes?: boolean;
    /** Note for the float16 warning. */
    fp16Note?: string;
  };
}

const { UINT8: U8, INT8: I8 } = DT;

// ---- the CPU execution provider (native apps and onnxruntime-web's WASM build) ---------------------------------

/**
 * An op that first came in a known release: no kernel before `version` (the rule applies at any version asked,
 * inside the checked range or not).
 */
function firstIn(id: string, op: string, version: string, reason: string, sources: string[]): Rule {
  return { id, ops: [op], versions: { before: version }, when: { kind: 'always' }, verdict: 'no-kernel', reason, sources };
}

/** CPU-EP kernel gaps, by runtime version (tests/golden/targets/kernels.json). */
const CPU_KERNEL_RULES: Rule[] = [
  {
    id: 'conv-integer-int8',
    ops: ['ConvInteger'],
    versions: { before: '1.24.0' },
    when: {
      kind: 'type-not-in',
      inputs: [
        { input: 0, types: [U8] },
        { input: 1, types: [U8] },
      ],
    },
    verdict: 'no-kernel',
    reason:
      'ConvInteger has a CPU kernel for uint8 input x uint8 weights only before onnxruntime 1.24 ("Could not find an implementation for ConvInteger(10)"): quantize Conv weights as uint8 (the avx2 target, or transformers.js q8 with a Conv) or run onnxruntime 1.24+',
    sources: ['ort-conv-integer-u8', 'measured-conv-integer', 'ort-pr-26585'],
  },
  {
    id: 'conv-integer-per-channel',
    ops: ['ConvInteger'],
    when: { kind: 'numel-above', input: 3, n: 1 },
    verdict: 'fails-at-run',
    reason:
      'ConvInteger with a per-channel weight zero point loads, then fails at the first run: "Non per-tensor quantization is not supported now" (every version)',
    sources: ['ort-conv-integer-zp'],
  },
  firstIn(
    'matmulnbits-introduced',
    'com.microsoft.MatMulNBits',
    '1.17.0',
    'MatMulNBits (4-bit weights) first came in onnxruntime 1.17: an older release has no such op or kernel and the model does not load; run onnxruntime 1.17+',
    ['ort-pr-17890'],
  ),
  {
    id: 'matmul-integer-s8u8',
    ops: ['MatMulInteger'],
    versions: { before: '1.24.0' },
    when: {
      kind: 'types-in',
      inputs: [
        { input: 0, types: [I8] },
        { input: 1, types: [U8] },
      ],
    },
    verdict: 'no-kernel',
    reason: 'MatMulInteger int8 A x uint8 B has no CPU kernel before onnxruntime 1.24 (uint8 x uint8, uint8 x int8, int8 x int8 do)',
    sources: ['measured-matmul-integer'],
  },
];

/** x86-64 without VNNI: u8 x s8 products summed pairwise in 16 bits (VPMADDUBSW) saturate. */
const U8S8_SATURATION: Rule = {
  id: 'u8s8-saturation',
  ops: [
    'MatMulInteger',
    'ConvInteger',
    'com.microsoft.DynamicQuantizeMatMul',
    'com.microsoft.MatMulIntegerToFloat',
    'com.microsoft.QAttention',
  ],
  when: { kind: 'u8s8-weight-above', activation: 0, input: 1, limit: 64 },
  verdict: 'may-be-wrong',
  reason:
    '{op} with uint8 activations x int8 weights beyond 7 bits (|w| > 64): on x86 CPUs without VNNI (AVX2, AVX-512 without VNNI) the u8s8 kernel sums pairs of products in 16 bits and saturates. Fix: the avx2 target (uint8 weights), reduce_range, or session option session.x64quantprecision=1 (slower U8U8 path)',
  sources: ['ort-x64quantprecision', 'optimum-saturation', 'report-x64-saturation'],
};

/** float16 ops the CPU EP runs natively (x86-64 and WebAssembly; measured 1.22.0–1.32.0). Others: inserted Casts. */
export const CPU_FP16_NATIVE: ReadonlySet<string> = new Set([
  'Identity',
  'Cast',
  'Reshape',
  'Transpose',
  'Gather',
  'Concat',
  'Slice',
  'Split',
  'Squeeze',
  'Unsqueeze',
  'Expand',
  'Flatten',
  'Shape',
  'Size',
  'Constant',
  'LayerNormalization',
  'Max',
  'Min',
  'Clip',
  'DequantizeLinear',
  'com.microsoft.MatMulNBits',
  'com.microsoft.GatherBlockQuantized',
]);

/** Android ARM64 adds these float16 kernels (MLAS_F16VEC_INTRINSICS_SUPPORTED: ARM64, not Apple). */
const ARM64_FP16_EXTRA = ['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Relu', 'LeakyRelu'];

/** com.microsoft ops with a CPU kernel in full builds (cpu_contrib_kernels.cc; the first five measured). */
export const CPU_CONTRIB_OPS: ReadonlySet<string> = new Set([
  'MatMulNBits',
  'GatherBlockQuantized',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'QAttention',
  'DynamicQuantizeLSTM',
  'QEmbedLayerNormalization',
  'Attention',
  'MultiHeadAttention',
  'EmbedLayerNormalization',
  'SkipLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'BiasGelu',
  'FastGelu',
  'Gelu',
  'QuickGelu',
  'FusedMatMul',
  'FusedGemm',
  'FusedConv',
  'QLinearAdd',
  'QLinearMul',
  'QLinearConv',
  'QLinearSigmoid',
  'QLinearLeakyRelu',
  'QLinearAveragePool',
  'QLinearGlobalAveragePool',
  'RotaryEmbedding',
  'GroupQueryAttention',
]);

/** Ops the ORT Mobile (reduced) package lacks although our modes emit them: a warning on the full-build target. */
const REDUCED_BUILD_RISK: Rule = {
  id: 'ort-mobile-missing',
  ops: [
    'ConvInteger',
    'com.microsoft.MatMulNBits',
    'com.microsoft.GatherBlockQuantized',
    'com.microsoft.QAttention',
    'com.microsoft.DynamicQuantizeLSTM',
    'com.microsoft.QEmbedLayerNormalization',
  ],
  when: { kind: 'always' },
  verdict: 'reduced-build-risk',
  reason:
    '{op} is in the full onnxruntime-android / iOS packages, but not in the ORT Mobile package (onnxruntime-mobile <= 1.18) nor in reduced-ops builds made with its operator config: there the model does not load ("no registered kernel" for {op})',
  sources: ['ort-mobile-ops', 'maven-android'],
};

// ---- the ORT Mobile package / reduced builds ---------------------------------------------------------------------

/** tools/ci_build/github/android/mobile_package.required_operators.config (opsets 12 and 13). */
export const ORT_MOBILE_OPS: ReadonlySet<string> = new Set([
  ...'Abs,Add,And,ArgMax,ArgMin,AveragePool,Cast,Ceil,Clip,Concat,ConstantOfShape,Conv,ConvTranspose,Cos,CumSum,DepthToSpace,DequantizeLinear,Div,DynamicQuantizeLinear,Elu,Equal,Exp,Expand,Flatten,Floor,Gather,GatherND,Gemm,Greater,GreaterOrEqual,Identity,If,LRN,LeakyRelu,Less,LessOrEqual,Log,LogSoftmax,Loop,MatMul,Max,MaxPool,Mean,Min,Mul,Neg,NonMaxSuppression,NonZero,Not,Or,PRelu,Pad,Pow,QuantizeLinear,Range,Reciprocal,ReduceMax,ReduceMean,ReduceMin,ReduceProd,ReduceSum,Relu,Reshape,Resize,ReverseSequence,Round,ScatterND,Shape,Sigmoid,Sin,Size,Slice,Softmax,SpaceToDepth,Split,Sqrt,Squeeze,Sub,Sum,Tanh,ThresholdedRelu,Tile,TopK,Transpose,Unique,Unsqueeze,Where'.split(
    ',',
  ),
  ...'Erf,GlobalAveragePool,InstanceNormalization,MatMulInteger,QLinearConv,QLinearMatMul,Scan,LayerNormalization,Constant'.split(','),
  ...'BiasGelu,DynamicQuantizeMatMul,FusedConv,FusedGemm,FusedMatMul,Gelu,MatMulIntegerToFloat,NhwcMaxPool,QLinearAdd,QLinearAveragePool,QLinearConv,QLinearGlobalAveragePool,QLinearMul,QLinearSigmoid,SkipLayerNormalization,QLinearLeakyRelu'
    .split(',')
    .map((o) => `com.microsoft.${o}`),
]);

// ---- the WebGPU execution provider (onnxruntime-web/webgpu, native) ---------------------------------------------

/** ai.onnx ops with a WebGPU kernel (webgpu_execution_provider.cc): [first opset, last opset or null = open]. */
export const WEBGPU_ONNX_OPS: Readonly<Record<string, [number, number | null]>> = Object.freeze({
  Abs: [6, null],
  Neg: [6, null],
  Floor: [6, null],
  Ceil: [6, null],
  Reciprocal: [6, null],
  Sqrt: [6, null],
  Exp: [6, null],
  Erf: [9, null],
  Sigmoid: [6, null],
  HardSigmoid: [6, null],
  Log: [6, null],
  Sin: [7, null],
  Cos: [7, null],
  Tan: [7, null],
  Asin: [7, null],
  Acos: [7, null],
  Atan: [7, null],
  Sinh: [9, null],
  Cosh: [9, null],
  Asinh: [9, null],
  Acosh: [9, null],
  Atanh: [9, null],
  Tanh: [6, null],
  Not: [1, null],
  Cast: [6, null],
  Clip: [11, null],
  Elu: [6, null],
  Relu: [6, null],
  LeakyRelu: [6, null],
  ThresholdedRelu: [10, null],
  Gelu: [20, null],
  ReduceMax: [1, null],
  ReduceMean: [1, null],
  ReduceMin: [1, null],
  ReduceProd: [1, null],
  ReduceSum: [1, null],
  ReduceL1: [1, null],
  ReduceL2: [1, null],
  ReduceLogSum: [1, null],
  ReduceSumSquare: [1, null],
  ReduceLogSumExp: [1, null],
  Add: [7, null],
  Sub: [7, null],
  Mul: [7, null],
  Div: [7, null],
  Pow: [7, null],
  Equal: [7, null],
  Greater: [7, null],
  GreaterOrEqual: [12, null],
  Less: [7, null],
  LessOrEqual: [12, null],
  Shape: [1, null],
  Reshape: [5, null],
  Squeeze: [1, null],
  Unsqueeze: [1, null],
  Where: [9, null],
  Transpose: [1, 20],
  DepthToSpace: [11, null],
  Conv: [1, null],
  ConvTranspose: [1, null],
  MaxPool: [1, null],
  AveragePool: [7, null],
  GlobalAveragePool: [1, null],
  GlobalMaxPool: [1, null],
  Gemm: [7, null],
  MatMul: [1, null],
  ArgMax: [1, null],
  ArgMin: [1, null],
  Softmax: [1, null],
  Concat: [1, null],
  Split: [1, null],
  Expand: [8, null],
  Resize: [10, null],
  Gather: [1, null],
  GatherElements: [11, null],
  Slice: [1, null],
  Flatten: [1, null],
  Tile: [6, null],
  LayerNormalization: [1, null],
  InstanceNormalization: [6, null],
  Range: [11, null],
  Einsum: [12, null],
  Pad: [2, null],
  If: [1, null],
  BatchNormalization: [7, null],
  CumSum: [11, null],
  DequantizeLinear: [10, null],
  // Registered by webgpu_contrib_kernels.cc under the default domain.
  SimplifiedLayerNormalization: [1, null],
  // Removed or folded by onnxruntime before placement, never on a device: not worth a fallback warning.
  Constant: [1, null],
  Identity: [1, null],
  Dropout: [1, null],
});

/** com.microsoft ops with a WebGPU kernel (webgpu_contrib_kernels.cc). */
export const WEBGPU_CONTRIB_OPS: ReadonlySet<string> = new Set([
  'Attention',
  'BiasAdd',
  'BiasGelu',
  'BiasSplitGelu',
  'FastGelu',
  'FusedConv',
  'GatherBlockQuantized',
  'Gelu',
  'GroupQueryAttention',
  'MatMulNBits',
  'MultiHeadAttention',
  'QuickGelu',
  'RotaryEmbedding',
  'SkipLayerNormalization',
  'SimplifiedLayerNormalization',
  'SkipSimplifiedLayerNormalization',
  'CausalConvWithState',
  'LinearAttention',
  'QMoE',
]);

const WEBGPU_RULES: Rule[] = [
  {
    id: 'webgpu-int8-cpu',
    ops: [
      'DynamicQuantizeLinear',
      'MatMulInteger',
      'ConvInteger',
      'QuantizeLinear',
      'com.microsoft.DynamicQuantizeMatMul',
      'com.microsoft.MatMulIntegerToFloat',
      'com.microsoft.QAttention',
      'com.microsoft.DynamicQuantizeLSTM',
      'com.microsoft.QEmbedLayerNormalization',
    ],
    when: { kind: 'always' },
    verdict: 'cpu-fallback',
    reason:
      'no WebGPU kernel for {op}: onnxruntime runs it on the CPU (WASM) EP, copying activations between GPU and CPU memory around it — dynamic INT8 gains little on WebGPU; Q4 (MatMulNBits) or FP16 run on the GPU',
    sources: ['ort-webgpu-ep', 'ort-webgpu-contrib', 'ort-web-cpu-fallback'],
  },
  {
    id: 'webgpu-gbq-older',
    ops: ['com.microsoft.GatherBlockQuantized'],
    versions: { before: '1.23.0' },
    when: { kind: 'always' },
    verdict: 'cpu-fallback',
    reason:
      'GatherBlockQuantized has a WebGPU kernel only since PR #25413 (2025-07, onnxruntime 1.23): before, it runs on the CPU (WASM) EP',
    sources: ['ort-webgpu-contrib'],
  },
  {
    id: 'jsep-dequantize',
    ops: ['DequantizeLinear'],
    when: {
      kind: 'all',
      of: [
        { kind: 'types-in', inputs: [{ input: 0, types: [U8, I8] }] },
        { kind: 'numel-at-most', input: 1, n: 1 },
      ],
    },
    verdict: 'may-be-wrong',
    reason:
      'correct on the native WebGPU EP (onnxruntime-web/webgpu, what this app uses), but the default "onnxruntime-web" entry in 1.30 still loads JSEP, whose per-tensor uint8/int8 DequantizeLinear is reported wrong (#32578): import onnxruntime-web/webgpu',
    sources: ['report-jsep-dql', 'ort-web-entries'],
  },
  {
    id: 'webgpu-dequantize-blocked-1d',
    ops: ['DequantizeLinear'],
    when: { kind: 'blocked-1d' },
    verdict: 'may-be-wrong',
    reason:
      'DequantizeLinear with block_size on a 1-D input is computed per-axis on the WebGPU EP (wrong values, no error; reported for 1.30.0)',
    sources: ['report-webgpu-dql-blocked'],
  },
];

// ---- the targets ------------------------------------------------------------------------------------------------

const CPU_POLICY_NOTE = 'onnxruntime inserts Cast nodes around it and computes in float32: correct, but slower than float32 throughout';

export const TARGETS: Readonly<Record<TargetId, Target>> = Object.freeze({
  'android-arm64': {
    id: 'android-arm64',
    label: 'Android / iOS, ONNX Runtime on ARM64',
    where:
      "phones and tablets: onnxruntime-android (AAR) or the onnxruntime-c / onnxruntime-objc pods, CPU execution provider (the seed's device)",
    runtime: {
      packages: 'onnxruntime (onnxruntime-android, onnxruntime-c, onnxruntime-objc), full build',
      ep: 'CPU',
      defaultVersion: '1.22.0',
      oldestVersion: '1.22.0',
      newestVersion: '1.32.0',
    },
    int8Preset: 'arm64',
    advice:
      'INT8 with int8 weights (u8 x s8 is fast on ARM64 and does not saturate); Conv weights need onnxruntime 1.24+ unless they are uint8',
    adviceSources: ['optimum-arm64-u8s8', 'ort-conv-integer-u8', 'ort-pr-26585'],
    qualityBackend: 'onnxruntime-node cpu',
    rules: [...CPU_KERNEL_RULES, REDUCED_BUILD_RISK],
    policy: {
      kind: 'cpu',
      fp16Native: new Set([...CPU_FP16_NATIVE, ...ARM64_FP16_EXTRA]),
      contribOps: CPU_CONTRIB_OPS,
      fp16Note: `${CPU_POLICY_NOTE} (Android ARM64 builds also have float16 Conv, MaxPool, AveragePool, GlobalAveragePool, Relu, LeakyRelu; iOS builds do not)`,
    },
  },
  'x86-avx2': {
    id: 'x86-avx2',
    label: 'x86 desktop (AVX2, no VNNI)',
    where: 'laptops and desktops without AVX-512 VNNI / AVX-VNNI: onnxruntime (python, node, C#, C++) CPU execution provider',
    runtime: { packages: 'onnxruntime', ep: 'CPU', defaultVersion: '1.22.0', oldestVersion: '1.22.0', newestVersion: '1.32.0' },
    int8Preset: 'avx2',
    advice: 'INT8 with uint8 weights (the avx2 target): u8 x u8 has no 16-bit saturation on AVX2',
    adviceSources: ['ort-x64quantprecision', 'optimum-saturation'],
    qualityBackend: 'onnxruntime-node cpu',
    rules: [...CPU_KERNEL_RULES, U8S8_SATURATION],
    policy: { kind: 'cpu', fp16Native: CPU_FP16_NATIVE, contribOps: CPU_CONTRIB_OPS, fp16Note: CPU_POLICY_NOTE },
  },
  'x86-vnni': {
    id: 'x86-vnni',
    label: 'x86 server with VNNI (AVX-512 VNNI / AVX-VNNI)',
    where: 'servers and recent CPUs with VPDPBUSD: onnxruntime CPU execution provider',
    runtime: { packages: 'onnxruntime', ep: 'CPU', defaultVersion: '1.22.0', oldestVersion: '1.22.0', newestVersion: '1.32.0' },
    int8Preset: 'avx512_vnni',
    advice: 'INT8 with int8 weights, full 8-bit range (VPDPBUSD accumulates in 32 bits)',
    adviceSources: ['optimum-arm64-u8s8', 'ort-x64quantprecision'],
    qualityBackend: 'onnxruntime-node cpu',
    rules: [...CPU_KERNEL_RULES],
    policy: { kind: 'cpu', fp16Native: CPU_FP16_NATIVE, contribOps: CPU_CONTRIB_OPS, fp16Note: CPU_POLICY_NOTE },
  },
  'browser-wasm': {
    id: 'browser-wasm',
    label: 'Browser, WebAssembly (onnxruntime-web)',
    where: "a web page or worker running onnxruntime-web's WASM backend (the CPU kernels compiled to WebAssembly SIMD)",
    runtime: {
      packages: 'onnxruntime-web (onnxruntime-web/wasm)',
      ep: 'CPU (WASM)',
      defaultVersion: '1.30.0',
      oldestVersion: '1.22.0',
      newestVersion: '1.32.0',
    },
    int8Preset: 'arm64',
    advice:
      'INT8 (int8 weights: the WASM QGEMM widens to 16 bits, no saturation; int8 Conv weights need onnxruntime-web 1.24+) or Q4; float16 saves download size only (computed in float32 between Casts)',
    adviceSources: ['mlas-wasm-qgemm', 'measured-wasm', 'measured-fp16-cpu'],
    qualityBackend: 'wasm',
    rules: [...CPU_KERNEL_RULES],
    policy: { kind: 'cpu', fp16Native: CPU_FP16_NATIVE, contribOps: CPU_CONTRIB_OPS, warnOlderRuntimes: true, fp16Note: CPU_POLICY_NOTE },
  },
  'browser-webgpu': {
    id: 'browser-webgpu',
    label: 'Browser, WebGPU (onnxruntime-web/webgpu)',
    where: "a web page running onnxruntime-web's native WebGPU execution provider, with the WASM CPU EP as fallback",
    runtime: {
      packages: 'onnxruntime-web (onnxruntime-web/webgpu)',
      ep: 'WebGPU (+ CPU fallback)',
      defaultVersion: '1.30.0',
      oldestVersion: '1.22.0',
      newestVersion: '1.32.0',
    },
    int8Preset: 'arm64',
    advice: 'Q4 (MatMulNBits runs on the GPU) or FP16 where the adapter has shader-f16; dynamic INT8 falls back to the CPU',
    adviceSources: ['ort-webgpu-contrib', 'ort-web-cpu-fallback', 'measured-shader-f16'],
    qualityBackend: 'webgpu',
    rules: [...WEBGPU_RULES, ...CPU_KERNEL_RULES],
    policy: { kind: 'webgpu', gpuOps: WEBGPU_ONNX_OPS, contribOps: WEBGPU_CONTRIB_OPS, warnOlderRuntimes: true },
  },
  'android-arm64-ort-mobile': {
    id: 'android-arm64-ort-mobile',
    label: 'Android, ORT Mobile package / reduced-ops build',
    where: 'apps on onnxruntime-mobile (<= 1.18, ORT format) or a custom build made with its operator config',
    runtime: {
      packages: 'onnxruntime-mobile (reduced operator set)',
      ep: 'CPU',
      defaultVersion: '1.18.0',
      oldestVersion: '1.18.0',
      newestVersion: '1.18.0',
    },
    int8Preset: 'arm64',
    advice: 'INT8 MatMul-only models (MatMulInteger, DynamicQuantizeLinear are in the build); no ConvInteger, no 4-bit, no float16',
    adviceSources: ['ort-mobile-ops', 'maven-android'],
    qualityBackend: 'onnxruntime-node cpu',
    rules: [],
    policy: {
      kind: 'reduced-build',
      buildOps: ORT_MOBILE_OPS,
      contribOps: new Set([...ORT_MOBILE_OPS].filter((o) => o.startsWith('com.microsoft.')).map((o) => o.slice(14))),
    },
  },
});

export const TARGET_IDS = Object.keys(TARGETS) as TargetId[];

/** The "Where will it run?" choices, in the order the page lists them (the reduced build is an advanced option). */
export const WHERE_CHOICES: readonly TargetId[] = ['android-arm64', 'x86-avx2', 'x86-vnni', 'browser-wasm', 'browser-webgpu'];

/** When nothing is known: the seed's device, an Android phone running ONNX Runtime on ARM64. */
export const DEFAULT_TARGET: TargetId = 'android-arm64';

export function isTargetId(s: string): s is TargetId {
  return (TARGET_IDS as string[]).includes(s);
}
