/**
 * The four dynamic-quantization targets Optimum and sentence-transformers users know — `arm64`, `avx2`, `avx512`,
 * `avx512_vnni` — as the project's INT8 option set (src/core/int8/presets.ts `Int8Options`), with the arguments
 * exactly as Optimum hands them to onnxruntime.
 *
 * Sources (read for this file; see src/core/targets/README.md for the table):
 *  - optimum-onnx `optimum/onnxruntime/configuration.py`: `AutoQuantizationConfig.arm64 / avx2 / avx512 /
 *    avx512_vnni(is_static, use_symmetric_activations=False, use_symmetric_weights=True, per_channel=True, ...)` and
 *    `default_quantization_parameters` (is_static=False → QOperator, IntegerOps, operators_to_quantize =
 *    `ORT_DEFAULT_OPS_DYNAMIC_QUANTIZATION = list(IntegerOpsRegistry.keys())`; before optimum PR #1246 (2023) the
 *    default was `["MatMul", "Add"]`).
 *  - optimum-onnx `optimum/onnxruntime/quantization.py`: `ORTQuantizer.quantize` builds
 *    `ONNXQuantizer(onnx.load(model), per_channel, mode, weight_qType, activation_qType=QUInt8, reduce_range,
 *    nodes_to_quantize, nodes_to_exclude, op_types_to_quantize, extra_options={WeightSymmetric, ActivationSymmetric,
 *    EnableSubgraph: <top-level If/Loop/Scan/SequenceMap>, ForceSymmetric, AddQDQPairToWeight, DedicatedQDQPair,
 *    QDQOpTypePerChannelSupportToAxis})`. It never sets MatMulConstBOnly, so ONNXQuantizer's default (False) applies:
 *    MatMuls with two activation inputs (attention's Q·Kᵀ and scores·V) are quantized too.
 *  - sentence-transformers `sentence_transformers/backend/quantize.py` `export_dynamic_quantized_onnx_model`:
 *    `getattr(AutoQuantizationConfig, name)(is_static=False)`, file suffix `<weights dtype>_<name>`
 *    (e.g. `model_qint8_arm64.onnx`, `model_quint8_avx2.onnx`).
 *
 * arm64, avx512 and avx512_vnni come out as the **same arguments** (QInt8, per-channel, no reduce_range, symmetric
 * weights); avx512 differs only in allowing reduce_range=True when asked. avx2 differs by its weight type: QUInt8
 * (symmetric uint8, range [0, 254], zero point 127). The parity goldens (tests/golden/targets/) prove it: the
 * reference's files for arm64, avx512 and avx512_vnni are byte-identical on every fixture.
 */
import type { ModelView } from '../onnx/model.js';
import type { Int8Options } from '../int8/presets.js';
import { INT8_OP_TYPES } from '../int8/op-types.js';

export type OptimumTarget = 'arm64' | 'avx2' | 'avx512' | 'avx512_vnni';

export const OPTIMUM_TARGETS: readonly OptimumTarget[] = ['arm64', 'avx2', 'avx512', 'avx512_vnni'];

/** Op types ORTQuantizer.quantize tests at the top level of the graph to set EnableSubgraph. */
export const CONTROL_FLOW_OPS: readonly string[] = ['If', 'Loop', 'Scan', 'SequenceMap'];

export interface TargetPreset {
  /** `AutoQuantizationConfig.<name>` */
  name: OptimumTarget;
  /**
   * The INT8 options, with `enableSubgraph: false`; `targetInt8Options` turns it on for a model with a top-level
   * If/Loop/Scan/SequenceMap, as ORTQuantizer does.
   */
  options: Int8Options;
  /** Targets whose arguments are identical to this one's (same output bytes). */
  sameArgumentsAs: OptimumTarget[];
  /** sentence-transformers' file suffix: `model_<suffix>.onnx`. */
  fileSuffix: string;
  /** What the target is for, in Optimum's words (its docstrings), and what that means here. */
  description: string;
}

/** The IntegerOps registry keys, which Optimum passes as operators_to_quantize (= quantize_dynamic's default). */
const OPS: string[] = [...INT8_OP_TYPES];

const SIGNED: Int8Options = {
  weightType: 'qint8',
  perChannel: true,
  reduceRange: false,
  opTypes: OPS,
  enableSubgraph: false,
  matMulConstBOnly: false,
  weightSymmetric: true,
  activationSymmetric: false,
};

export const TARGET_PRESETS: Record<OptimumTarget, TargetPreset> = {
  arm64: {
    name: 'arm64',
    options: SIGNED,
    sameArgumentsAs: ['avx512', 'avx512_vnni'],
    fileSuffix: 'qint8_arm64',
    description:
      'ARM64 (u8 activations x s8 weights: "faster than u8/u8 on lower-end ARM64 and identical on higher-end"); ' +
      'int8 weights, per-channel, symmetric, full 8-bit range.',
  },
  avx2: {
    name: 'avx2',
    options: { ...SIGNED, weightType: 'quint8' },
    sameArgumentsAs: [],
    fileSuffix: 'quint8_avx2',
    description:
      'x86 with AVX2: uint8 weights (u8 x u8), per-channel, symmetric (uint8 range [0, 254], zero point 127), full ' +
      'range; Optimum lets you ask for reduce_range (7-bit) against VPMADDUBSW saturation.',
  },
  avx512: {
    name: 'avx512',
    options: SIGNED,
    sameArgumentsAs: ['arm64', 'avx512_vnni'],
    fileSuffix: 'qint8_avx512',
    description:
      'x86 with AVX-512 (no VNNI): int8 weights, per-channel, symmetric; reduce_range off by default (Optimum ' +
      'documents the u8 x s8 saturation risk and lets you ask for 7-bit weights).',
  },
  avx512_vnni: {
    name: 'avx512_vnni',
    options: SIGNED,
    sameArgumentsAs: ['arm64', 'avx512'],
    fileSuffix: 'qint8_avx512_vnni',
    description: 'x86 with AVX-512 VNNI (VPDPBUSD: i32 += u8 x s8, no saturation): int8 weights, per-channel, symmetric.',
  },
};

export function isOptimumTarget(s: string): s is OptimumTarget {
  return (OPTIMUM_TARGETS as readonly string[]).includes(s);
}

/** True when the main graph has a node ORTQuantizer treats as "has subgraphs" (only the top level is looked at). */
export function hasTopLevelControlFlow(model: ModelView): boolean {
  return model.graph.nodes.some((n) => CONTROL_FLOW_OPS.includes(n.opType));
}

/**
 * The INT8 options of an Optimum target for one model: the preset's options with EnableSubgraph set as
 * ORTQuantizer.quantize sets it (a top-level If, Loop, Scan or SequenceMap node). Pass the result to
 * `quantizeInt8(model, options)`; the output equals onnxruntime 1.32 `quantize_dynamic` with the arguments in
 * tests/golden/targets/ (and, for models of opset >= 10, what ORTQuantizer itself writes — recorded per golden).
 */
export function targetInt8Options(target: OptimumTarget, model: ModelView): Int8Options {
  const p = TARGET_PRESETS[target];
  return { ...p.options, opTypes: [...(p.options.opTypes ?? OPS)], enableSubgraph: hasTopLevelControlFlow(model) };
}
