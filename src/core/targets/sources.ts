/**
 * Where each kernel fact of src/core/targets/ comes from. Every verdict the checker gives names one or more of
 * these. Kinds, strongest first:
 *  - `kernel-registration`: onnxruntime's own kernel registration (what a session can bind), file + what it says;
 *  - `op-list`: a build's operator list (reduced / mobile builds);
 *  - `measured`: a session created (and run) here on a single-op model, with the runtime version named;
 *  - `docs`: a maintainer-written document or code comment;
 *  - `bug-report`: a public issue; cited as a report, not as settled behaviour.
 */
export type SourceKind = 'kernel-registration' | 'op-list' | 'measured' | 'docs' | 'bug-report';

export interface Source {
  id: string;
  kind: SourceKind;
  /** Repository path, package file, issue or test that holds the fact. */
  where: string;
  /** What it says, in short (quoted where the wording matters). */
  says: string;
  url?: string;
}

const ORT = 'https://github.com/microsoft/onnxruntime';

const LIST: Source[] = [
  {
    id: 'ort-conv-integer-u8',
    kind: 'kernel-registration',
    where: 'microsoft/onnxruntime onnxruntime/core/providers/cpu/quantization/conv_integer.cc (before PR #26585)',
    says: 'ONNX_OPERATOR_KERNEL_EX(ConvInteger, kOnnxDomain, 10, kCpuExecutionProvider, TypeConstraint("T1", uint8_t), TypeConstraint("T2", uint8_t), TypeConstraint("T3", int32_t)): uint8 x uint8 only',
    url: `${ORT}/blob/main/onnxruntime/core/providers/cpu/quantization/conv_integer.cc`,
  },
  {
    id: 'ort-pr-26585',
    kind: 'kernel-registration',
    where: 'microsoft/onnxruntime PR #26585 "Add int8 support to ConvInteger" (commit 4870d45, merged 2025-11)',
    says: 'ConvInteger on the CPU EP gains uint8 x int8, int8 x uint8 and int8 x int8; "Previously, only the uint8 x uint8 combination was supported" (fixes #15888, #12558, #3130, #12362, #24183)',
    url: `${ORT}/pull/26585`,
  },
  {
    id: 'measured-conv-integer',
    kind: 'measured',
    where:
      'tests/targets/kernels.test.ts (onnxruntime-node 1.30, onnxruntime-web 1.30 wasm) and the python wheels onnxruntime 1.22.0, 1.23.2, 1.24.2, 1.30.0, 1.32.0 on single-op models',
    says: 'ConvInteger with an int8 input or weight: "NOT_IMPLEMENTED : Could not find an implementation for ConvInteger(10) node" in 1.22.0 and 1.23.2; loads and runs in 1.24.2, 1.30.0, 1.32.0 and onnxruntime-web 1.30 (wasm)',
  },
  {
    id: 'ort-conv-integer-zp',
    kind: 'kernel-registration',
    where: 'microsoft/onnxruntime onnxruntime/core/providers/cpu/quantization/conv_integer.cc, ConvInteger::Compute',
    says: 'ORT_ENFORCE(IsScalarOr1ElementVector(W_Zero_Point), "Non per-tensor quantization is not supported now.") — a per-channel weight zero point loads, then fails at the first run (measured in 1.22.0 and 1.30.0)',
    url: `${ORT}/blob/main/onnxruntime/core/providers/cpu/quantization/conv_integer.cc`,
  },
  {
    id: 'measured-matmul-integer',
    kind: 'measured',
    where:
      'tests/targets/kernels.test.ts and the python wheels 1.22.0–1.32.0 (onnxruntime/core/providers/cpu/quantization/matmul_integer.cc registers the typed kernels)',
    says: 'MatMulInteger uint8 x uint8, uint8 x int8 and int8 x int8 load in every version; int8 x uint8 fails ("Could not find an implementation for MatMulInteger(10)") in 1.22.0 and 1.23.2 and loads from 1.24.2',
  },
  {
    id: 'ort-dynamic-quantize-linear',
    kind: 'kernel-registration',
    where: 'microsoft/onnxruntime onnxruntime/core/providers/cpu/quantization/dynamicquantizelinear.cc',
    says: 'DynamicQuantizeLinear (opset 11) on the CPU EP, output T2 = uint8 (measured: loads in 1.22.0–1.32.0 and onnxruntime-web 1.30 wasm)',
  },
  {
    id: 'ort-cpu-contrib',
    kind: 'kernel-registration',
    where: 'microsoft/onnxruntime onnxruntime/contrib_ops/cpu/cpu_contrib_kernels.cc',
    says: 'com.microsoft CPU kernels: MatMulNBits (T1 float, MLFloat16), GatherBlockQuantized, DynamicQuantizeMatMul, MatMulIntegerToFloat, QAttention, DynamicQuantizeLSTM, QEmbedLayerNormalization, SkipLayerNormalization, … (measured: MatMulNBits float32/float16, GatherBlockQuantized int4/uint4 with float32/float16 scales, MatMulIntegerToFloat load in 1.22.0–1.32.0 and onnxruntime-web 1.30 wasm)',
    url: `${ORT}/blob/main/onnxruntime/contrib_ops/cpu/cpu_contrib_kernels.cc`,
  },
  {
    id: 'ort-pr-17890',
    kind: 'kernel-registration',
    where:
      'microsoft/onnxruntime PR #17890 "Add MatMul 4bits support on GPU" (merged 2023-10, after the 1.16 release: first in onnxruntime 1.17)',
    says: 'adds the com.microsoft MatMulNBits schema and its CPU and CUDA kernels ("Add a contrib op MatMulNBits and related toolchain"); releases before 1.17 have no MatMulNBits (intel/neural-compressor PR #1327: "Support MatMulNBit op for ort 1.17")',
    url: `${ORT}/pull/17890`,
  },
  {
    id: 'measured-fp16-cpu',
    kind: 'measured',
    where:
      'onnxruntime 1.22.0 and 1.30.0 (x86-64 CPU EP), optimized_model_filepath of single-op float16 models; onnxruntime/core/optimizer/insert_cast_transformer.cc',
    says: 'float16 nodes without a float16 CPU kernel still load: onnxruntime inserts Cast float16->float32 before and float32->float16 after them and computes in float32. Native float16 there: data movement (Reshape, Transpose, Gather, Concat, Slice, Split, Squeeze, Unsqueeze, Expand, Flatten, Shape, Identity, Cast), LayerNormalization, Max, Min, Clip, DequantizeLinear, MatMulNBits, GatherBlockQuantized. Through Casts: MatMul, Gemm, Add, Sub, Mul, Div, Pow, Sqrt, Erf, Exp, Tanh, Sigmoid, Relu, Softmax, ReduceMean, ReduceSum, Where, Equal, Pad, Tile, Conv, ConvTranspose, pools, Resize, BatchNormalization, LSTM, … (all-MiniLM-L6-v2 FP16: 155 Casts inserted)',
  },
  {
    id: 'ort-mlas-f16vec',
    kind: 'kernel-registration',
    where:
      'microsoft/onnxruntime onnxruntime/core/mlas/inc/mlas.h; onnxruntime/core/providers/cpu/fp16/fp16_pool.cc, fp16_conv.cc; cpu/activation element-wise registrations',
    says: '#define MLAS_F16VEC_INTRINSICS_SUPPORTED for MLAS_TARGET_ARM64 except __APPLE__; under it the CPU EP registers MLFloat16 kernels for Conv (FusedConvFp16), MaxPool, AveragePool, GlobalAveragePool, Relu, LeakyRelu — on Android ARM64, not on iOS, x86 or WebAssembly',
    url: `${ORT}/blob/main/onnxruntime/core/mlas/inc/mlas.h`,
  },
  {
    id: 'ort-mobile-ops',
    kind: 'op-list',
    where: 'microsoft/onnxruntime tools/ci_build/github/android/mobile_package.required_operators.config',
    says: 'the ORT Mobile package (onnxruntime-mobile, reduced ops, ORT format) kernels: ai.onnx opsets 12/13 incl. DynamicQuantizeLinear, DequantizeLinear, QuantizeLinear, MatMulInteger, QLinearConv, QLinearMatMul; com.microsoft DynamicQuantizeMatMul, MatMulIntegerToFloat, … — no ConvInteger, no MatMulNBits, no GatherBlockQuantized, "DynamicQuantizeLSTM, QAttention" excluded; "!globally_allowed_types;float,int8_t,uint8_t" (no float16)',
    url: `${ORT}/blob/main/tools/ci_build/github/android/mobile_package.required_operators.config`,
  },
  {
    id: 'maven-android',
    kind: 'docs',
    where: 'Maven Central com.microsoft.onnxruntime:onnxruntime-android and :onnxruntime-mobile',
    says: 'onnxruntime-android "includes support for all types and operators, for ONNX format models" (1.22.0 2025-05-10 … 1.27.0 2026-06-30); onnxruntime-mobile (reduced operator set, ORT format) last released as 1.18.0 (2024-05-20)',
    url: 'https://mvnrepository.com/artifact/com.microsoft.onnxruntime/onnxruntime-android',
  },
  {
    id: 'ort-x64quantprecision',
    kind: 'docs',
    where:
      'microsoft/onnxruntime include/onnxruntime/core/session/onnxruntime_session_options_config_keys.h (kOrtSessionOptionsAvx2PrecisionMode) and the commit adding it',
    says: '"x64 SSE4.1/AVX2/AVX512(with no VNNI) has overflow problem with quantized matrix multiplication with U8S8. To avoid this we need to use slower U8U8 matrix multiplication instead" — session option "session.x64quantprecision" (default off) converts u8s8 to u8u8 when a constant weight has values outside [-64, 63]',
    url: `${ORT}/blob/main/include/onnxruntime/core/session/onnxruntime_session_options_config_keys.h`,
  },
  {
    id: 'optimum-saturation',
    kind: 'docs',
    where: 'huggingface/optimum-onnx optimum/onnxruntime/configuration.py, AutoQuantizationConfig.avx2 / avx512 docstrings',
    says: '"Intel\'s CPUs using AVX512 (non VNNI) can suffer from saturation issue when invoking the VPMADDUBSW instruction. To counter this, one should use 7-bits rather than 8-bits integers." (reduce_range)',
  },
  {
    id: 'report-x64-saturation',
    kind: 'bug-report',
    where:
      'microsoft/onnxruntime #5849 (quantized DistilBERT wrong on a Xeon without VNNI), #6004 ("Incorrect INT8 quantized BERT model prediction on AVX2 only CPU"), #14642 (maintainer: "AVX2 and AVX512 instructions have saturation problems … turn on session option session.x64quantprecision", PR #12088)',
    says: 'full-range int8 weights with uint8 activations give wrong outputs on x86 CPUs without VNNI unless the U8U8 precision mode is on',
    url: `${ORT}/issues/6004`,
  },
  {
    id: 'ort-webgpu-ep',
    kind: 'kernel-registration',
    where: 'microsoft/onnxruntime onnxruntime/core/providers/webgpu/webgpu_execution_provider.cc (stored revision 003f772)',
    says: 'the native WebGPU EP registers DequantizeLinear (uint8, int8, int32; opsets 10–21+) and the float ops listed in src/core/targets/data.ts; no DynamicQuantizeLinear, MatMulInteger, ConvInteger, QuantizeLinear kernels',
    url: `${ORT}/blob/main/onnxruntime/core/providers/webgpu/webgpu_execution_provider.cc`,
  },
  {
    id: 'ort-webgpu-contrib',
    kind: 'kernel-registration',
    where: 'microsoft/onnxruntime onnxruntime/contrib_ops/webgpu/webgpu_contrib_kernels.cc; PR #25413 (2025-07, GatherBlockQuantized)',
    says: 'com.microsoft WebGPU kernels: Attention, BiasAdd, BiasGelu, BiasSplitGelu, FastGelu, FusedConv, GatherBlockQuantized, Gelu, GroupQueryAttention, MatMulNBits, MultiHeadAttention, QuickGelu, RotaryEmbedding, SkipLayerNormalization, SimplifiedLayerNormalization, SkipSimplifiedLayerNormalization — no DynamicQuantizeMatMul, MatMulIntegerToFloat, QAttention, DynamicQuantizeLSTM',
    url: `${ORT}/blob/main/onnxruntime/contrib_ops/webgpu/webgpu_contrib_kernels.cc`,
  },
  {
    id: 'ort-web-cpu-fallback',
    kind: 'measured',
    where:
      "e2e/quality.spec.ts (this project: the page's quality check, onnxruntime-web 1.30 WebGPU on SwiftShader) and onnxruntime/core/framework/fallback_cpu_capability.cc",
    says: 'nodes without a WebGPU kernel are assigned to the CPU (WASM) EP, with copies between GPU and CPU memory: the INT8 model\'s DynamicQuantizeLinear / MatMulInteger run on the CPU ("quantized: N nodes ran on the CPU (WASM), not on WebGPU")',
  },
  {
    id: 'ort-web-entries',
    kind: 'measured',
    where: 'node_modules/onnxruntime-web 1.30.0 dist/ort.webgpu.mjs, dist/ort.mjs, dist/ort.wasm.mjs',
    says: '"onnxruntime-web/webgpu" loads ort-wasm-simd-threaded.asyncify (the native WebGPU EP, WebGpuExecutionProvider); the default "onnxruntime-web" entry loads ort-wasm-simd-threaded.jsep (the JavaScript WebGPU EP, JsExecutionProvider); "onnxruntime-web/wasm" the CPU-only build',
  },
  {
    id: 'mlas-wasm-qgemm',
    kind: 'kernel-registration',
    where: 'microsoft/onnxruntime onnxruntime/core/mlas/lib/qgemm_kernel_wasmsimd.cpp (MlasGemmU8X8DispatchWasmSimd)',
    says: 'the WebAssembly SIMD QGEMM widens uint8 A and int8/uint8 B to int16 and accumulates with wasm_i32x4_dot_i16x8 into int32: no 16-bit saturation for u8 x s8, unlike x86 VPMADDUBSW',
    url: `${ORT}/blob/main/onnxruntime/core/mlas/lib/qgemm_kernel_wasmsimd.cpp`,
  },
  {
    id: 'optimum-arm64-u8s8',
    kind: 'docs',
    where: 'huggingface/optimum-onnx optimum/onnxruntime/configuration.py, AutoQuantizationConfig.arm64 / avx512_vnni',
    says: 'arm64: "u8/s8 is faster (than u8/u8) on lower-end ARM64 and identical on higher-end ARM64, so let\'s use u8/s8 by default"; avx512_vnni: "VPDPBUSD to compute i32 += i8(w) * u8(x) within a single instruction"',
  },
  {
    id: 'measured-wasm',
    kind: 'measured',
    where: 'tests/targets/kernels.test.ts: onnxruntime-web 1.30 (wasm backend, in Node) on the single-op models',
    says: 'the WASM build binds the CPU kernels: ConvInteger (all four 8-bit combinations), MatMulInteger, DynamicQuantizeLinear, DequantizeLinear, MatMulNBits, GatherBlockQuantized, MatMulIntegerToFloat and float16 graphs all load and run',
  },
  {
    id: 'report-jsep-dql',
    kind: 'bug-report',
    where: 'microsoft/onnxruntime #32578 (open, 2026-09; "JSEP was deprecated in ORT 1.29")',
    says: 'JSEP (js/web/lib/wasm/jsep/webgpu/ops/quantize-linear.ts) DequantizeLinear gives wrong values for per-tensor uint8/int8 input longer than 4 elements and for uint8 with a non-zero zero point; the native WebGPU EP and the CPU kernel are correct',
    url: `${ORT}/issues/32578`,
  },
  {
    id: 'report-webgpu-dql-blocked',
    kind: 'bug-report',
    where: 'microsoft/onnxruntime #32730 (open, 2026-09, WebGPU EP 1.30.0)',
    says: 'DequantizeLinear with a 1-D input and block_size is treated as per-axis on the WebGPU EP (wrong output, no error)',
    url: `${ORT}/issues/32730`,
  },
  {
    id: 'report-tjs-webgpu-int8',
    kind: 'bug-report',
    where: 'huggingface/transformers.js #1512 (open, 2026-02)',
    says: '"[WebGPU] Incorrect results running int8 quantized models": WASM and WebGPU disagree on several int8 models',
    url: 'https://github.com/huggingface/transformers.js/issues/1512',
  },
  {
    id: 'measured-shader-f16',
    kind: 'measured',
    where:
      'e2e/q4-webgpu.spec.ts and src/core/q4/README.md (this project: onnxruntime-web 1.30 WebGPU on the SwiftShader adapter, which lacks shader-f16)',
    says: 'a float16 graph fails on an adapter without the "shader-f16" feature ("Gather … shader_helper … GenerateSourceCode"); float32 Q4 runs there',
  },
];

export const SOURCES: Readonly<Record<string, Source>> = Object.freeze(Object.fromEntries(LIST.map((s) => [s.id, s])));

export type SourceId = keyof typeof SOURCES;

export function sourceOf(id: string): Source {
  const s = SOURCES[id];
  if (!s) throw new Error(`internal: unknown source '${id}'`);
  return s;
}
