/**
 * Shape and element-type inference for ONNX graphs, shared by every output mode: the same results as
 * `onnx.shape_inference.infer_shapes(model)` (onnx 1.23.2, default options) for the operators with a rule
 * (rules/index.ts), element types from the operator schemas for the others. See engine.ts for the algorithm and
 * src/core/int8/README.md for how INT8 uses it to write value_info as onnxruntime's quantizer does.
 *
 *   const result = inferShapes(modelFromView(parseModel(bytes)));
 *   result.graphs.get(graph)   // { inputs, outputs, valueInfo } after inference
 */
export {
  inferShapes,
  withInferred,
  type InferGraph,
  type InferModel,
  type InferNode,
  type InferResult,
  type GraphDecls,
  type ValueSlot,
} from './engine.js';
export { type InferAttr, type TensorSource } from './context.js';
export { RULE_OPS, resolveRule } from './rules/index.js';
export { compactDecls, encodeSlot, graphFromView, modelFromView, tensorSource, tensorValues, valueSlot, type ViewOptions } from './view.js';
export { type CompactType, type Dim, type TypeProto, compactType, decodeTypeProto, encodeValueInfo } from './types.js';
