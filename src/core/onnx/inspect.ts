/** Builds the model card (ModelSummary) from a parsed model. */
import { DT, dtypeName, elementCount } from './dtypes.js';
import { formatMiBFixed } from '../size.js';
import { rawByteLength } from './tensor-data.js';
import { type GraphView, type ModelView, type TensorView, type ValueInfoView, forEachGraph, parseModel } from './model.js';
import type { ExternalDataRef, ModelSummary, TensorInfo } from './summary.js';
import { initializerTable } from '../modes/predict.js';
import { predictAll } from '../modes/registry.js';

export interface InspectOptions {
  fileName: string;
  /** Size of the file on disk; defaults to bytes.length. */
  fileBytes?: number;
  /** Other files given together with the model (name -> size), to resolve external data. */
  siblings?: Record<string, number>;
}

const QUANT_OPS = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'MatMulNBits',
  'GatherBlockQuantized',
  'QAttention',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'QGemm',
  'DynamicQuantizeLSTM',
  'QEmbedLayerNormalization',
  'QOrderedMatMul',
]);

const LOW_PRECISION = new Set<number>([
  DT.INT8,
  DT.UINT8,
  DT.FLOAT16,
  DT.BFLOAT16,
  DT.INT4,
  DT.UINT4,
  DT.FLOAT8E4M3FN,
  DT.FLOAT8E5M2,
  DT.INT2,
  DT.UINT2,
]);

export function inspectModel(bytes: Uint8Array, opts: InspectOptions): ModelSummary {
  return summarize(parseModel(bytes), opts, bytes.length);
}

/** Bytes a tensor's data takes in the file (or in its external file). */
export function tensorDataBytes(t: TensorView): number {
  const raw = rawByteLength(t);
  if (raw !== null) return raw;
  let n = 0;
  for (const f of t.typedFields) n += f.end - f.vstart;
  return n;
}

/**
 * One walk over every graph (and function) of `m`: op counts (`domain:op` outside the default domain), nodes, graphs
 * below the main one, and the data bytes of every initializer and Constant tensor by element type; `onTensor` sees
 * each of those tensors.
 */
function opsAndBytes(m: ModelView, onTensor: (t: TensorView) => void = () => undefined) {
  const opCounts: Record<string, number> = {};
  const bytesByType: Record<string, number> = {};
  let nodeCount = 0;
  let subgraphCount = -1;
  const addTensor = (t: TensorView) => {
    const key = dtypeName(t.dataType);
    bytesByType[key] = (bytesByType[key] ?? 0) + tensorDataBytes(t);
    onTensor(t);
  };
  forEachGraph(m.graph, (g) => {
    subgraphCount++;
    for (const t of g.initializers) addTensor(t);
    for (const n of g.nodes) {
      nodeCount++;
      const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType;
      opCounts[key] = (opCounts[key] ?? 0) + 1;
      if (n.opType === 'Constant') for (const a of n.attributes) if (a.t) addTensor(a.t);
    }
  });
  for (const f of m.functions)
    for (const n of f.nodes) {
      nodeCount++;
      const key = `${n.domain ? `${n.domain}:` : ''}${n.opType}`;
      opCounts[key] = (opCounts[key] ?? 0) + 1;
    }
  return { opCounts, bytesByType, nodeCount, subgraphCount };
}

/**
 * Is `m` already quantized, by what it holds: quantization ops, the producer onnxruntime's quantizer writes, quantization
 * metadata, or more than 10% of its initializer bytes in a low-precision type. The evidence names each finding.
 */
function quantizationEvidence(m: ModelView, opCounts: Record<string, number>, bytesByType: Record<string, number>) {
  const evidence: string[] = [];
  const qOps = Object.entries(opCounts).filter(([k]) => QUANT_OPS.has(k.split(':').pop()!));
  for (const [k, c] of qOps) evidence.push(`${k} nodes (${c})`);
  const totalInit = Object.values(bytesByType).reduce((a, b) => a + b, 0);
  let lowBytes = 0;
  for (const [k, b] of Object.entries(bytesByType)) {
    const code = Number(Object.entries(DT).find(([name]) => name.toLowerCase() === k)?.[1] ?? 0);
    if (LOW_PRECISION.has(code) && b > 0) {
      lowBytes += b;
      evidence.push(`${k} weights (${formatMiBFixed(b, { decimals: 1 })})`);
    }
  }
  const producerSaysSo = m.producerName === 'onnx.quantize' || m.metadata.some((e) => /quantiz/i.test(e.key));
  if (m.producerName === 'onnx.quantize') evidence.push("producer 'onnx.quantize'");
  return { quantized: qOps.length > 0 || producerSaysSo || (totalInit > 0 && lowBytes / totalInit > 0.1), evidence };
}

/** The model card's `quantized` finding alone (what summarize reports), without the rest of the card. */
export function quantizationOf(m: ModelView): { quantized: boolean; evidence: string[] } {
  const { opCounts, bytesByType } = opsAndBytes(m);
  return quantizationEvidence(m, opCounts, bytesByType);
}

export function summarize(m: ModelView, opts: InspectOptions, bufferBytes: number): ModelSummary {
  const fileBytes = opts.fileBytes ?? Math.max(bufferBytes, m.fileBytes);
  // The model's true size: the .onnx plus the external data it references (outputs hold those weights inline).
  const totalBytes = fileBytes + m.externalBytes;
  let parameterCount = 0;
  let initializerCount = 0;
  const ext: ExternalDataRef[] = [];
  const siblings = opts.siblings ?? {};
  const { opCounts, bytesByType, nodeCount, subgraphCount } = opsAndBytes(m, (t) => {
    initializerCount++;
    parameterCount += elementCount(t.dims);
    if (t.external) {
      const base = t.external.location.split(/[\\/]/).pop()!;
      ext.push({
        tensor: t.name,
        location: t.external.location,
        offset: t.external.offset,
        length: t.external.length,
        resolved: !!t.data || base in siblings || t.external.location in siblings,
      });
    }
  });

  // Predictions: each mode's predictor on the initializer table (src/core/modes/<id>/predict.ts); external weights
  // come back inline, so the total size is the base.
  const table = initializerTable(m);
  table.totalBytes = totalBytes;
  const { quantized, evidence: quantEvidence } = quantizationEvidence(m, opCounts, bytesByType);

  return {
    fileName: opts.fileName,
    fileBytes,
    irVersion: m.irVersion,
    opsets: m.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    producerName: m.producerName,
    producerVersion: m.producerVersion,
    domain: m.domain,
    modelVersion: m.modelVersion,
    docString: m.docString,
    graphName: m.graph.name,
    inputs: graphInputs(m.graph).map(tensorInfo),
    outputs: m.graph.outputs.map(tensorInfo),
    opCounts: Object.fromEntries(Object.entries(opCounts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    nodeCount,
    initializerCount,
    parameterCount,
    initializerBytesByType: bytesByType,
    embeddingDim: embeddingDim(m.graph),
    quantized: { quantized, evidence: quantEvidence },
    externalData: ext,
    metadata: Object.fromEntries(m.metadata.map((e) => [e.key, e.value])),
    externalDataBytes: m.externalBytes,
    totalBytes,
    externalDataProblems: [...m.dataProblems],
    predictedBytes: predictAll(table),
    subgraphCount,
  };
}

/** Graph inputs that are real inputs (older IRs list initializers among the inputs too). */
export function graphInputs(g: GraphView): ValueInfoView[] {
  const inits = new Set(g.initializers.map((t) => t.name));
  return g.inputs.filter((i) => !inits.has(i.name));
}

function tensorInfo(v: ValueInfoView): TensorInfo {
  return {
    name: v.name,
    dtype: v.kind === 'tensor' ? dtypeName(v.elemType) : v.kind,
    shape: v.shape ? v.shape.map((d) => d.value ?? d.param ?? null) : null,
  };
}

/**
 * The embedding (hidden) size of a text encoder: the model takes token ids and gives float vectors.
 * From the output's last dimension, or else the width of the embedding table read by Gather(input_ids).
 */
function embeddingDim(g: GraphView): number | null {
  const ins = graphInputs(g);
  const ids = ins.find((i) => /input_ids|^ids$|tokens?$/i.test(i.name) && (i.elemType === DT.INT64 || i.elemType === DT.INT32));
  if (!ids) return null;
  const outs = g.outputs.filter((o) => o.elemType === DT.FLOAT || o.elemType === DT.FLOAT16);
  const preferred = [...outs.filter((o) => /sentence_embedding|last_hidden_state|embedding/i.test(o.name)), ...outs];
  for (const o of preferred) {
    const last = o.shape?.[o.shape.length - 1];
    if (o.shape && o.shape.length >= 2 && last?.value && last.value > 1) return last.value;
  }
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  for (const n of g.nodes) {
    if (n.opType !== 'Gather' || n.inputs[1] !== ids.name) continue;
    const t = inits.get(n.inputs[0]!);
    if (t && t.dims.length === 2) return t.dims[1]!;
  }
  return null;
}
