/**
 * Deployment targets: where the quantized model will run, what that runtime's kernels can do with it, and the
 * Optimum INT8 targets (arm64, avx2, avx512, avx512_vnni). See README.md in this folder for the facts and sources.
 */
export {
  checkTarget,
  isCheckedVersion,
  isRuntimeVersion,
  ruleReason,
  TargetCheckError,
  type CheckOptions,
  type Finding,
  type FindingGroup,
  type TargetCheck,
} from './check.js';
export {
  BLOCKING,
  CPU_CONTRIB_OPS,
  CPU_FP16_NATIVE,
  DEFAULT_TARGET,
  ORT_MOBILE_OPS,
  TARGET_IDS,
  TARGETS,
  WEBGPU_CONTRIB_OPS,
  WEBGPU_ONNX_OPS,
  WHERE_CHOICES,
  isTargetId,
  type Condition,
  type Rule,
  type Runtime,
  type Target,
  type TargetId,
  type Verdict,
} from './data.js';
export {
  CONTROL_FLOW_OPS,
  OPTIMUM_TARGETS,
  TARGET_PRESETS,
  hasTopLevelControlFlow,
  isOptimumTarget,
  targetInt8Options,
  type OptimumTarget,
  type TargetPreset,
} from './presets.js';
export { SOURCES, sourceOf, type Source, type SourceKind } from './sources.js';
export { deploymentPlan, qualityBackendFor, type DeploymentPlan, type QualityBackendChoice } from './plan.js';
