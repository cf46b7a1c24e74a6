/**
 * Q4: 4-bit block weight-only quantization, reproducing onnxruntime 1.32
 * `onnxruntime.quantization.matmul_nbits_quantizer.MatMulNBitsQuantizer` with its default weight-only quantizer
 * (DefaultWeightOnlyQuantConfig, QOperator format, bits = 4), saved with `model.save_model_to_file`: MatMul weights ->
 * com.microsoft MatMulNBits, optionally Gather tables -> com.microsoft GatherBlockQuantized. Same packed weights,
 * scales and zero points byte for byte, same node names and order, checked by tests/q4/parity.test.ts against the
 * goldens of scripts/parity/make_golden_q4.py. Deviations are listed in README.md and, when they apply, in the report.
 */
import { DT, dtypeBits, elementCount } from '../onnx/dtypes.js';
import { encodeOpset } from '../onnx/encode.js';
import { OnnxFormatError } from '../onnx/errors.js';
import { MODEL, type ModelView } from '../onnx/model.js';
import { WT_VARINT, tagOf } from '../onnx/wire.js';
import { checkTensorData } from '../onnx/tensor-data.js';
import { validateModel } from '../onnx/validate.js';
import {
  emitModel,
  lenField,
  rawField,
  type ExternalLayout,
  type ModelEdits,
  type ModelOutput,
  type Part,
  type Piece,
} from '../onnx/writer.js';
import { type OutputProvenance, metadataEntry } from '../provenance.js';
import { abortError, finalizeGraph, scheduleJobs, type TensorProgress } from '../int8/finalize.js';
import { type WGraph, buildGraph, emitGraph } from '../int8/graph.js';
import type { LeftInFloat } from '../int8/quantizer.js';
import { AvaError } from '../errors.js';
import { groupKeptInFloat } from '../modes/report.js';
import type { ModeReportBase } from '../modes/types.js';
import { TOOL } from '../tool.js';
import { type Q4Options, type Q4PresetName, type ResolvedQ4Options, resolveQ4Options } from './options.js';
import { type Q4Run, processGraph } from './quantizer.js';
import { Q4_REGISTRY } from './registry.js';
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

/** What we reproduce (and what the parity goldens were made with). */
export const Q4_REFERENCE =
  'onnxruntime 1.32.0 onnxruntime.quantization.matmul_nbits_quantizer.MatMulNBitsQuantizer (DefaultWeightOnlyQuantConfig, QOperator, 4 bits)';
/** metadata_props key recording what AVA did (shared with INT8; the JSON's `mode` tells them apart). */
export const Q4_METADATA_KEY = 'ava.quantization';

/** The model cannot be quantized as asked (kind 'refused'); the message says why and what to do. */
export class Q4Refusal extends AvaError {
  override name = 'Q4Refusal';
  constructor(message: string) {
    super('refused', message);
  }
}

export interface QuantizeQ4Options extends Partial<Q4Options> {
  preset?: Q4PresetName;
  /** Source file, tool version and date to record in the output's metadata. */
  provenance?: OutputProvenance;
  /** How to split an output over 2 GiB into the .onnx and an external-data file (without: always one file). */
  layout?: ExternalLayout;
}

/** Progress of the tensor work (input bytes done / in total, the tensor last done). */
export type Q4Progress = TensorProgress;

/**
 * The report base every mode shares (src/core/modes/types.ts: sizes, duration, `rewritten` by op type — MatMul ->
 * MatMulNBits, Gather -> GatherBlockQuantized —, `keptInFloat` grouped, notes) and Q4's extras beside it.
 */
export interface Q4Report extends ModeReportBase<'q4'> {
  reference: string;
  options: ResolvedQ4Options;
  /** Candidate nodes (of the chosen op types) left in float, with the reason (keptInFloat groups them). */
  leftInFloat: LeftInFloat[];
  /** Float initializers still in the output (biases, LayerNorm weights, tables not chosen, weights left in float). */
  floatInitializers: { count: number; bytes: number };
  /** ai.onnx opset and IR version of the output. */
  opset: number;
  irVersion: number;
  /** Weights quantized to 4 bits. */
  tensorsQuantized: number;
}

/**
 * Quantizes `model` to 4-bit block weights (Q4). Returns the output as byte views (quantized tensors are computed
 * when the writer reaches them, one weight at a time), the external-data file when `layout` splits it, and a report.
 * Throws Q4OptionError for bad options, OnnxFormatError for unreadable tensors or a broken graph (InvalidGraphError:
 * a tensor read that nothing defines, a name defined twice, a cycle), Q4Refusal for a graph it cannot finish, and an
 * AbortError DOMException when `signal` aborts.
 */
export async function quantizeQ4(
  model: ModelView,
  opts: QuantizeQ4Options = {},
  onProgress?: (p: Q4Progress) => void,
  signal?: AbortSignal,
): Promise<{ parts: Piece[]; data: ModelOutput['data']; report: Q4Report }> {
  const t0 = Date.now();
  if (signal?.aborted) throw abortError();
  const options = resolveQ4Options(opts);
  // The same structural check as every mode, before any work (src/core/onnx/validate.ts): a broken graph is a bad
  // file (InvalidGraphError) here too, with the message INT8 and FP16 give (tests/fuzz compares them).
  validateModel(model);
  checkTensorData(model);
  const notes: string[] = [];

  const root = buildGraph(model.graph, null, '');
  const run: Q4Run = { o: options, rewritten: {}, leftInFloat: [], notes, int4: false, made: [] };
  try {
    processGraph(run, root, null, Q4_REGISTRY);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw e;
    throw new Q4Refusal(`cannot quantize this model: ${(e as Error).message}`);
  }
  finalizeGraph(root, (message) => new Q4Refusal(message));

  // Model-level fields, as MatMulNBitsQuantizer.process sets them.
  const gatherChosen = options.opTypes.includes('Gather');
  const irVersion = gatherChosen && model.irVersion < 10 ? 10 : model.irVersion;
  if (irVersion !== model.irVersion)
    notes.push(`IR version ${model.irVersion} raised to 10 (int4 tensors need it; the reference raises it whenever Gather is chosen)`);
  const defaultOpset = model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (gatherChosen && defaultOpset < 21)
    notes.push(
      `the ai.onnx opset stays ${defaultOpset}: the reference raises it to 21 without converting the graph, and its output then fails to load ` +
        `wherever an op changed since (e.g. ReduceMean's axes became an input at opset 18)`,
    );
  if (options.opTypes.includes('MatMul') && !run.rewritten['MatMul'] && !run.leftInFloat.some((l) => l.opType === 'MatMul'))
    notes.push('the model has no MatMul: nothing to quantize to 4 bits there');

  // Tensor work: only for initializers that survived cleaning; the float ones left are counted for the report.
  let floatCount = 0;
  let floatBytes = 0;
  const jobs = scheduleJobs(root, onProgress, (t) => {
    if (!t.job && (t.dataType === DT.FLOAT || t.dataType === DT.FLOAT16 || t.dataType === DT.BFLOAT16 || t.dataType === DT.DOUBLE)) {
      floatCount++;
      floatBytes += (elementCount(t.dims) * dtypeBits(t.dataType)) / 8;
    }
  });
  if (signal?.aborted) throw abortError();

  const record: Record<string, unknown> = {
    tool: TOOL.name,
    mode: 'q4',
    reference: Q4_REFERENCE,
    preset: options.preset,
    blockSize: options.blockSize,
    symmetric: options.symmetric,
    accuracyLevel: options.accuracyLevel,
    opTypes: options.opTypes,
    ...(options.opTypes.includes('Gather') ? { gatherQuantizeAxis: options.gatherQuantizeAxis } : {}),
    ...(options.excludeNodes.length ? { excludeNodes: options.excludeNodes } : {}),
    ...(options.nodesToInclude.length ? { nodesToInclude: options.nodesToInclude } : {}),
  };
  const { model: parts, data } = emitModel(
    model,
    modelEdits(model, root, irVersion, metadataEntry(Q4_METADATA_KEY, record, opts.provenance)),
    opts.layout,
  );
  const quantizedBytes = parts.reduce((a, p) => a + p.length, 0) + (data?.bytes ?? 0);
  return {
    parts,
    data,
    report: {
      mode: 'q4',
      options,
      inputBytes: model.fileBytes + model.externalBytes,
      outputBytes: quantizedBytes,
      durationMs: Date.now() - t0,
      rewritten: run.rewritten,
      keptInFloat: groupKeptInFloat(run.leftInFloat),
      notes,
      reference: Q4_REFERENCE,
      leftInFloat: run.leftInFloat,
      floatInitializers: { count: floatCount, bytes: floatBytes },
      opset: defaultOpset,
      irVersion,
      tensorsQuantized: jobs.length,
    },
  };
}

/**
 * The model's top-level edits: ir_version (when raised), the com.microsoft opset set to 1 in place or appended after
 * the last opset import (`ONNXModel.set_opset_import`), metadata_props kept with `ava.quantization` added after them.
 */
function modelEdits(model: ModelView, root: WGraph, irVersion: number, ourMeta: Part): ModelEdits {
  const msIndex = model.opsets.findIndex((o) => o.domain === 'com.microsoft');
  const opsetFields: number[] = [];
  let lastMeta = -1;
  model.fields.forEach((f, i) => {
    if (f.no === MODEL.opsetImport) opsetFields.push(i);
    if (f.no === MODEL.metadataProps) lastMeta = i;
  });
  const lastOpset = opsetFields[opsetFields.length - 1] ?? -1;
  const graphIndex = model.fields.findIndex((f) => f.no === MODEL.graph);
  const msPart: Part[] = msIndex < 0 ? [lenField(MODEL.opsetImport, encodeOpset('com.microsoft', 1))] : [];
  const metaAnchor = lastMeta >= 0 ? lastMeta : lastOpset >= 0 ? lastOpset : graphIndex;
  const graph = emitGraph(root);
  const tail = (i: number): Part[] => [...(i === lastOpset ? msPart : []), ...(i === metaAnchor ? [ourMeta] : [])];
  return {
    graph,
    replace: (f, i) => {
      let head: Part[] | undefined;
      if (f.no === MODEL.irVersion && irVersion !== model.irVersion)
        head = [Writer.create().uint32(tagOf(MODEL.irVersion, WT_VARINT)).int64(irVersion).finish()];
      else if (f.no === MODEL.opsetImport && msIndex >= 0 && opsetFields.indexOf(i) === msIndex)
        head = [lenField(MODEL.opsetImport, encodeOpset('com.microsoft', 1))];
      else if (f.no === MODEL.graph) head = [lenField(MODEL.graph, graph)];
      const t = tail(i);
      if (!head && !t.length) return undefined;
      return [...(head ?? [rawField(model, f)]), ...t];
    },
    append: [...(lastOpset < 0 ? msPart : []), ...(metaAnchor < 0 ? [ourMeta] : [])],
  };
}
