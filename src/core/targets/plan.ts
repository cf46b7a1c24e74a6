/**
 * "Where will it run?" -> what to make and what to check: the INT8 preset of the target (Optimum's arguments), the
 * runtime whose kernels the output must have, and the backend the quality check should use.
 */
import type { Int8Options } from '../int8/presets.js';
import type { ModelView } from '../onnx/model.js';
import { DEFAULT_TARGET, TARGETS, type Runtime, type TargetId } from './data.js';
import { type OptimumTarget, TARGET_PRESETS, targetInt8Options } from './presets.js';
import { sourceOf, type Source } from './sources.js';

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
  qualityBackend: 'onnxruntime-node cpu' | 'wasm' | 'webgpu';
  advice: string;
  sources: Source[];
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
    advice: t.advice,
    sources: t.adviceSources.map(sourceOf),
  };
}
