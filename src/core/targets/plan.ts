/**
 * "Where will it run?" -> what to make and what to check: the INT8 preset of the target (Optimum's arguments), the
 * runtime whose kernels the output must have, and the backend the quality check should use.
 */
import type { Int8Options } from '../int8/presets.js';
import type { ModelView } from '../onnx/model.js';
import { DEFAULT_TARGET, TARGETS, type Runtime, type Target, type TargetId } from './data.js';
import { type OptimumTarget, TARGET_PRESETS, targetInt8Options } from './presets.js';
import { sourceOf, type Source } from './sources.js';

/**
 * Where the quality check runs to match a target: in the page (onnxruntime-web: WASM or WebGPU) and in the CLI's
 * `check --target` (onnxruntime-node's CPU EP, or onnxruntime-web's WASM build in Node). `exact`: the backend is the
 * target's own runtime; otherwise `note` says what it stands in for and how far.
 */
export interface QualityBackendChoice {
  page: { backend: 'wasm' | 'webgpu'; exact: boolean; note: string | null };
  cli: { backend: 'onnxruntime-node cpu' | 'onnxruntime-web wasm'; exact: boolean; note: string | null };
}

export interface DeploymentPlan {
  target: TargetId;
  label: string;
  /** The Optimum target whose arguments the INT8 mode uses here. */
  int8Preset: OptimumTarget;
  /** Those arguments for this model (EnableSubgraph as ORTQuantizer sets it): pass to quantizeInt8. */
  int8Options: Int8Options;
  /** sentence-transformers' file name for that preset: model_<suffix>.onnx. */
  fileSuffix: string;
  /** The runtime the output is checked against (checkTarget) and its default version. */
  runtime: Runtime;
  /** The backend that matches the target best (data.ts): a CPU target's own CPU EP, the browser's WASM or WebGPU. */
  qualityBackend: 'onnxruntime-node cpu' | 'wasm' | 'webgpu';
  /** Where the quality check runs for this target, in the page and in the CLI, and what that approximates. */
  qualityCheck: QualityBackendChoice;
  advice: string;
  sources: Source[];
}

/**
 * The quality check's backend for a target. Browser targets: the page runs the target's own backend (WASM, WebGPU);
 * the CLI runs onnxruntime-web's WASM build in Node (WebGPU: Node has none, so the WASM CPU EP — what the WebGPU EP
 * falls back to — stands in, and the note says so). CPU targets (Android / iOS ARM64, x86 desktop and server): the
 * CLI runs onnxruntime-node's CPU EP and the page onnxruntime-web's WASM build (the same CPU kernels compiled to
 * WebAssembly), both on this machine: they approximate the device (same operators and integer arithmetic, other
 * SIMD kernels; float sums may differ in the last bits; x86 AVX2's u8×s8 16-bit saturation shows only on such a CPU).
 * @throws Error for an unknown target id.
 */
export function qualityBackendFor(target: TargetId | Target): QualityBackendChoice {
  const t = typeof target === 'string' ? TARGETS[target] : target;
  if (!t) throw new Error(`unknown target '${String(target)}' (known: ${Object.keys(TARGETS).join(', ')})`);
  const approx = (runner: string) =>
    `${runner} on this machine approximates ${t.label}: the same operators and integer arithmetic, other SIMD kernels` +
    (t.id === 'x86-avx2' ? ' (the u8×s8 saturation of AVX2 without VNNI shows only on such a CPU: see the target check)' : '') +
    (t.id === 'android-arm64-ort-mobile' ? ' (the reduced build runs the ops it has with the same kernels)' : '');
  if (t.qualityBackend === 'wasm')
    return {
      page: { backend: 'wasm', exact: true, note: null },
      cli: { backend: 'onnxruntime-web wasm', exact: true, note: "onnxruntime-web's WASM build, run in Node: the browser's CPU kernels" },
    };
  if (t.qualityBackend === 'webgpu')
    return {
      page: { backend: 'webgpu', exact: true, note: null },
      cli: {
        backend: 'onnxruntime-web wasm',
        exact: false,
        note: "Node has no WebGPU: onnxruntime-web's WASM build ran instead (the CPU EP the WebGPU EP falls back to); run the page's quality check on WebGPU for the GPU's own numbers",
      },
    };
  return {
    page: { backend: 'wasm', exact: false, note: approx("onnxruntime-web's WASM build (the CPU kernels compiled to WebAssembly)") },
    cli: { backend: 'onnxruntime-node cpu', exact: false, note: approx("onnxruntime-node's CPU execution provider") },
  };
}

/**
 * The plan for a target (default: Android ARM64, the seed's device, when nothing is known).
 * @throws Error for an unknown target id.
 */
export function deploymentPlan(model: ModelView, target: TargetId = DEFAULT_TARGET): DeploymentPlan {
  const t = TARGETS[target];
  if (!t) throw new Error(`unknown target '${String(target)}' (known: ${Object.keys(TARGETS).join(', ')})`);
  const p = TARGET_PRESETS[t.int8Preset];
  return {
    target: t.id,
    label: t.label,
    int8Preset: t.int8Preset,
    int8Options: targetInt8Options(t.int8Preset, model),
    fileSuffix: p.fileSuffix,
    runtime: t.runtime,
    qualityBackend: t.qualityBackend,
    qualityCheck: qualityBackendFor(t),
    advice: t.advice,
    sources: t.adviceSources.map(sourceOf),
  };
}
