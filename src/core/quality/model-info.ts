/** What the quality check needs to know about a text encoder, read from the ONNX graph (no runtime). */
import { DT, dtypeName } from '../onnx/dtypes.js';
import { graphInputs } from '../onnx/inspect.js';
import type { GraphView, ModelView, TensorView } from '../onnx/model.js';

export type InputRole = 'input_ids' | 'attention_mask' | 'token_type_ids' | 'position_ids';

export interface EncoderInput {
  name: string;
  /** ONNX element type name: "int64", "int32", "string", ... */
  dtype: string;
  role: InputRole | null;
}

export interface EncoderGraphInfo {
  inputs: EncoderInput[];
  outputs: { name: string; dtype: string; rank: number | null }[];
  /** Rows of the embedding table read by Gather(input_ids); null when not found. */
  vocabSize: number | null;
  /** Rows of a position-embedding table (e.g. 512 for BERT); null when not found. */
  maxPositions: number | null;
  /** Width of the embedding table, when found. */
  hiddenSize: number | null;
}

export function inputRole(name: string): InputRole | null {
  if (/input_ids$|^ids$|^tokens?$|^token_ids$/i.test(name)) return 'input_ids';
  if (/attention_mask$|^mask$/i.test(name)) return 'attention_mask';
  if (/token_type_ids$|segment_ids$/i.test(name)) return 'token_type_ids';
  if (/position_ids$/i.test(name)) return 'position_ids';
  return null;
}

/** Follows a value back through value-preserving / dequantizing ops to the initializer holding its data. */
function sourceInitializer(g: GraphView, name: string, inits: Map<string, TensorView>, depth = 0): TensorView | null {
  const t = inits.get(name);
  if (t) return t;
  if (depth > 4) return null;
  const producer = g.nodes.find((n) => n.outputs.includes(name));
  if (!producer) return null;
  if (['DequantizeLinear', 'Cast', 'Identity', 'Mul'].includes(producer.opType) && producer.inputs[0])
    return sourceInitializer(g, producer.inputs[0], inits, depth + 1);
  return null;
}

export function encoderGraphInfo(m: ModelView): EncoderGraphInfo {
  const g = m.graph;
  const inits = new Map<string, TensorView>();
  for (const t of g.initializers) inits.set(t.name, t);
  for (const n of g.nodes) if (n.opType === 'Constant') for (const a of n.attributes) if (a.t && n.outputs[0]) inits.set(n.outputs[0], a.t);
  const inputs = graphInputs(g).map((i) => ({
    name: i.name,
    dtype: i.kind === 'tensor' ? dtypeName(i.elemType) : i.kind,
    role: i.kind === 'tensor' && (i.elemType === DT.INT64 || i.elemType === DT.INT32) ? inputRole(i.name) : null,
  }));
  const ids = inputs.find((i) => i.role === 'input_ids');
  let vocabSize: number | null = null;
  let hiddenSize: number | null = null;
  if (ids) {
    for (const n of g.nodes) {
      // Gather(table, input_ids), or GatherBlockQuantized(table, input_ids, scales) for a quantized table.
      if ((n.opType !== 'Gather' && n.opType !== 'GatherBlockQuantized') || n.inputs[1] !== ids.name) continue;
      const t = sourceInitializer(g, n.inputs[0]!, inits);
      if (t && t.dims.length === 2) {
        vocabSize = t.dims[0]!;
        hiddenSize = t.dims[1]!;
        break;
      }
    }
  }
  let maxPositions: number | null = null;
  for (const t of inits.values())
    if (
      /position_embeddings?(\.weight)?$|pos_embed/i.test(t.name) &&
      t.dims.length === 2 &&
      (hiddenSize === null || t.dims[1] === hiddenSize)
    ) {
      maxPositions = t.dims[0]!;
      break;
    }
  const outputs = g.outputs.map((o) => ({ name: o.name, dtype: dtypeName(o.elemType), rank: o.shape ? o.shape.length : null }));
  return { inputs, outputs, vocabSize, maxPositions, hiddenSize };
}
