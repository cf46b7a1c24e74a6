/**
 * The model card: everything the UI and `inspect --json` show about a model.
 * Pure data (structured-clone safe) so it crosses the worker boundary as is.
 */
import type { ModeId } from '../modes/registry.js';
export interface TensorInfo {
  name: string;
  /** ONNX element type name, e.g. "float", "int64", "float16". */
  dtype: string;
  /** Each dim is a number, a symbolic name (dim_param), or null when unknown. */
  shape: (number | string | null)[] | null;
}

export interface OpsetInfo {
  /** "" is the default ai.onnx domain. */
  domain: string;
  version: number;
}

export interface ExternalDataRef {
  tensor: string;
  location: string;
  offset: number;
  length: number | null;
  /** true when the file was found (dropped alongside / next to the model on disk). */
  resolved: boolean;
}

export interface QuantizationInfo {
  quantized: boolean;
  /** Human-readable reasons, e.g. "MatMulInteger nodes (36)", "int8 initializers (12.3 MB)". */
  evidence: string[];
}

export interface ModelSummary {
  fileName: string;
  fileBytes: number;
  irVersion: number;
  opsets: OpsetInfo[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graphName: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** op type (prefixed "domain:" when not ai.onnx) -> count, including subgraph nodes. */
  opCounts: Record<string, number>;
  nodeCount: number;
  initializerCount: number;
  parameterCount: number;
  /** dtype name -> bytes of initializer data (including Constant node tensors). */
  initializerBytesByType: Record<string, number>;
  /** Hidden size when the model looks like a text encoder (input_ids input + a [.., .., H] float output). */
  embeddingDim: number | null;
  quantized: QuantizationInfo;
  externalData: ExternalDataRef[];
  /** Bytes of external data the model references (resolved files only). */
  externalDataBytes: number;
  /** The .onnx file plus its external data: what the model really weighs. */
  totalBytes: number;
  /** Missing, short or refused external data, each naming the tensor and file ("" when all is well). */
  externalDataProblems: string[];
  metadata: Record<string, string>;
  /**
   * Predicted output size in bytes of every registered mode with its default options, by mode id (`int8`, `fp16`,
   * `q4`, `q4f16`, …), from the initializer table alone (src/core/modes/<id>/predict.ts).
   */
  predictedBytes: Record<ModeId, number>;
  subgraphCount: number;
}
