/**
 * INT8 dynamic quantization of an ONNX model, reproducing onnxruntime 1.32.0
 * `onnxruntime.quantization.quantize_dynamic` (QuantizationMode.IntegerOps): same quantized initializers byte for
 * byte, same node names / order, same opsets. See tests/int8/ for the parity checks against committed goldens, and
 * the deviations documented there (and in Int8Report.notes when they apply to a model).
 */
import { DT, dtypeBits } from '../onnx/dtypes.js';
import { encodeOpset, encodeStringEntry } from '../onnx/encode.js';
import { OnnxFormatError } from '../onnx/errors.js';
import { groupKeptInFloat } from '../modes/report.js';
import type { ModeReportBase } from '../modes/types.js';
import { MODEL, type ModelView } from '../onnx/model.js';
import { WT_LEN, tagOf } from '../onnx/wire.js';
import { emitModel, lenField, rawField, type ExternalLayout, type ModelOutput, type Part, type Piece } from '../onnx/writer.js';
import { validateModel } from '../onnx/validate.js';
import protobuf from 'protobufjs/minimal.js';
import { abortError, finalizeGraph, scheduleJobs, type TensorProgress } from './finalize.js';
import { replaceGemmWithMatMul } from './gemm.js';
import { type Job, type WGraph, type WInit, buildGraph, emitGraph, forEachWGraph } from './graph.js';
import { floatBytes } from './numerics.js';
import { takeBuffer } from '../io/pool.js';
import { checkTensorData, rawBytes, readFloatValues } from '../onnx/tensor-data.js';
import { type OutputProvenance, metadataEntry } from '../provenance.js';
import { PRESETS, type Int8Options, type PresetName, type WeightType, DEFAULT_PRESET, presetOfOptions } from './presets.js';
import { GraphQuantizer, type Int8Settings, type LeftInFloat, type RunContext, makeValueReader } from './quantizer.js';
import { DEFAULT_OP_TYPES, INTEGER_OPS_REGISTRY } from './registry.js';
import { planOpsetUpgrade } from './opset.js';
import { TOOL } from '../tool.js';
import { inferAfterRewrite, inferBeforeRewrite, withInferMetadata } from './shapes.js';

const { Writer } = protobuf;

/** What we reproduce (and what the parity goldens were made with). */
export const REFERENCE = 'onnxruntime 1.32.0 onnxruntime.quantization.quantize_dynamic (QuantizationMode.IntegerOps)';
/** quant_utils.__producer__ / __version__ in the reference. */
export const PRODUCER_NAME = 'onnx.quantize';
export const PRODUCER_VERSION = '0.1.0';
/** metadata_props key recording what AVA did. */
export const METADATA_KEY = 'ava.quantization';

import { Int8Refusal } from './errors.js';
export { Int8Refusal };

export interface QuantizeInt8Options extends Partial<Int8Options> {
  preset?: PresetName;
  /** Source file, tool version and date to record in the output's metadata. */
  provenance?: OutputProvenance;
  /** How to split an output over 2 GiB into the .onnx and an external-data file (without: always one file). */
  layout?: ExternalLayout;
}

export interface ResolvedInt8Options extends Omit<Int8Options, 'weightType'> {
  preset: PresetName | null;
  weightType: WeightType;
  opTypes: string[];
  excludeNodes: string[];
  nodesToQuantize: string[];
}

/** Progress of the tensor work (input bytes done / in total, the tensor last done). */
export type Int8Progress = TensorProgress;

/**
 * The report base every mode shares (src/core/modes/types.ts: sizes, duration, `rewritten` by op type — Gemm counts
 * the Gemm -> MatMul conversions when any node was quantized; alone they are a note, and the run rewrote nothing —,
 * `keptInFloat` grouped, notes) and INT8's extras beside it.
 */
export interface Int8Report extends ModeReportBase<'int8'> {
  reference: string;
  options: ResolvedInt8Options;
  /** Every node of a quantizable type left in float, with its graph ("" = main) and why (keptInFloat groups them). */
  leftInFloat: LeftInFloat[];
  /** ai.onnx opset of the output. */
  opset: number;
  /** Initializers quantized to 8 bits (weights and Gather tables). */
  tensorsQuantized: number;
}

function hasOp(g: WGraph, op: string): boolean {
  let found = false;
  forEachWGraph(g, (sg) => {
    if (sg.nodes.some((n) => n.opType === op)) found = true;
  });
  return found;
}

/**
 * The options as the run uses them: the preset's values (default: DEFAULT_PRESET) under the ones given. `preset` is
 * the preset asked for; when none was named it is the preset the options amount to (presetOfOptions: the default
 * for `{}`, `arm64` for Optimum's arm64 arguments, …) or null for custom options — what the provenance records.
 */
export function resolveOptions(opts: QuantizeInt8Options): ResolvedInt8Options & { weightTypeSpec: Int8Options['weightType'] } {
  const base: Int8Options = PRESETS[opts.preset ?? DEFAULT_PRESET];
  const pick = <K extends keyof Int8Options>(k: K): Int8Options[K] => (opts[k] !== undefined ? (opts[k] as Int8Options[K]) : base[k]);
  const weightTypeSpec = pick('weightType');
  const opTypes = opts.opTypes && opts.opTypes.length ? [...opts.opTypes] : [...DEFAULT_OP_TYPES];
  const ws = opts.weightSymmetric !== undefined ? opts.weightSymmetric : base.weightSymmetric;
  const preset =
    opts.preset ??
    presetOfOptions({
      weightType: weightTypeSpec,
      perChannel: pick('perChannel'),
      reduceRange: pick('reduceRange'),
      enableSubgraph: pick('enableSubgraph'),
      matMulConstBOnly: pick('matMulConstBOnly'),
      activationSymmetric: pick('activationSymmetric'),
      ...(ws !== undefined ? { weightSymmetric: ws } : {}),
    });
  return {
    preset,
    weightType: weightTypeSpec === 'auto-conv' ? 'qint8' : weightTypeSpec,
    weightTypeSpec,
    perChannel: pick('perChannel'),
    reduceRange: pick('reduceRange'),
    opTypes,
    excludeNodes: [...(opts.excludeNodes ?? [])],
    nodesToQuantize: [...(opts.nodesToQuantize ?? [])],
    enableSubgraph: pick('enableSubgraph'),
    matMulConstBOnly: pick('matMulConstBOnly'),
    ...(ws !== undefined ? { weightSymmetric: ws } : {}),
    activationSymmetric: pick('activationSymmetric'),
  };
}

/** Little-endian element bytes of an initializer (for transposing), whatever its storage. */
async function elementBytes(t: WInit, signal?: AbortSignal): Promise<Uint8Array> {
  const s = t.src;
  if (!s) throw new Error(`internal: '${t.name}' has no source`);
  if (s.rawData || s.data || s.external) return rawBytes(s, signal);
  if (s.dataType === DT.FLOAT || s.dataType === DT.FLOAT16)
    return floatBytes(await readFloatValues(s, signal), s.dataType as typeof DT.FLOAT);
  throw new Error(`internal: cannot read '${t.name}'`);
}

function transposeJob(t: WInit): Job {
  const src = t.transposeOf!;
  const width = dtypeBits(src.dataType) / 8;
  const [r, c] = src.dims as [number, number];
  t.rawLength = r * c * width;
  return {
    kind: 'transpose',
    label: t.name,
    bytes: r * c * width,
    outputs: [t],
    run: async (signal) => {
      const b = await elementBytes(src, signal);
      const out = takeBuffer(b.length); // given back by the writer once written (emitInit)
      for (let i = 0; i < r; i++)
        for (let j = 0; j < c; j++) {
          const from = (i * c + j) * width;
          const to = (j * r + i) * width;
          for (let k = 0; k < width; k++) out[to + k] = b[from + k]!;
        }
      t.raw = out;
    },
  };
}

/**
 * Quantizes `model` to INT8 (dynamic). Returns the output as byte views (big payloads are views of the input or
 * of freshly quantized arrays, never one giant buffer) and a report. Throws InvalidGraphError (an OnnxFormatError,
 * src/core/onnx/validate.ts, the check every mode runs first) for a broken graph, Int8Refusal for a model it
 * cannot quantize as asked, an AbortError when cancelled.
 */
export async function quantizeInt8(
  model: ModelView,
  opts: QuantizeInt8Options = {},
  onProgress?: (p: Int8Progress) => void,
  signal?: AbortSignal,
): Promise<{ parts: Piece[]; data: ModelOutput['data']; report: Int8Report }> {
  const t0 = Date.now();
  if (signal?.aborted) throw abortError();
  const options = resolveOptions(opts);
  // The same structural check as every mode, before any work (src/core/onnx/validate.ts).
  validateModel(model);
  const notes: string[] = [];
  checkTensorData(model);

  const onnxOpsets = model.opsets.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (onnxOpsets.length !== 1)
    throw new Int8Refusal(`the model must import the default ONNX domain exactly once (it imports it ${onnxOpsets.length} times)`);
  const srcOpset = onnxOpsets[0]!.version;
  const root = buildGraph(model.graph, null, '');
  let opset = srcOpset;
  if (srcOpset < 10) {
    // The reference converts the model to opset 11 first (update_opset_version).
    const plan = planOpsetUpgrade(root, srcOpset);
    if ('refuse' in plan)
      throw new Int8Refusal(
        `the model uses ONNX opset ${srcOpset}; onnxruntime's quantize_dynamic first converts it to opset 11 with ` +
          `onnx.version_converter, and ${plan.refuse}. Convert the model to opset 11 or newer first ` +
          `(python: onnx.save(onnx.version_converter.convert_version(onnx.load(path), 11), out))`,
      );
    for (const [n, d] of plan.drops) n.dropAttrs = d;
    opset = 11;
    notes.push(
      `opset ${srcOpset} upgraded to 11 (as the reference does with onnx.version_converter)${plan.drops.size ? `; dropped legacy attributes on ${plan.drops.size} nodes` : ''}`,
    );
  }
  if (opset === 10)
    notes.push(
      'opset 10: activations are quantized with a ReduceMin/ReduceMax subgraph + QuantizeLinear (no DynamicQuantizeLinear before opset 11), as the reference does',
    );

  // The reference's shape inference passes (value_info of the output, element types for the quantizers).
  const shapeState = inferBeforeRewrite(model, root, srcOpset, opset);
  const gemm = replaceGemmWithMatMul(root);
  const shapes = inferAfterRewrite(shapeState, root);
  const types = shapes.types;
  notes.push(...shapes.notes);
  const weightQType =
    options.weightType === 'quint8' || (options.weightTypeSpec === 'auto-conv' && hasOp(root, 'Conv')) ? DT.UINT8 : DT.INT8;
  options.weightType = weightQType === DT.UINT8 ? 'quint8' : 'qint8';
  const settings: Int8Settings = {
    weightQType,
    perChannel: options.perChannel,
    reduceRange: options.reduceRange,
    opTypes: new Set(options.opTypes),
    excludeNodes: new Set(options.excludeNodes),
    nodesToQuantize: new Set(options.nodesToQuantize),
    enableSubgraph: options.enableSubgraph,
    matMulConstBOnly: options.matMulConstBOnly,
    weightSymmetric: options.weightSymmetric,
    activationSymmetric: options.activationSymmetric,
  };
  const ctx: RunContext = {
    s: settings,
    opset,
    fuse: opset > 10,
    types,
    jobs: [],
    rewritten: {},
    leftInFloat: [...gemm.left],
    valuesOf: makeValueReader(),
  };
  if (gemm.converted) ctx.rewritten['Gemm'] = gemm.converted;

  const top = new GraphQuantizer(ctx, root, null, new Map(INTEGER_OPS_REGISTRY));
  try {
    top.run();
  } catch (e) {
    if (e instanceof OnnxFormatError || e instanceof Int8Refusal) throw e;
    throw new Int8Refusal(`cannot quantize this model: ${(e as Error).message}`);
  }
  if (gemm.converted && Object.keys(ctx.rewritten).every((op) => op === 'Gemm')) {
    // Gemm -> MatMul alone quantizes nothing: not counted as rewritten, so the run reads as "nothing to quantize".
    delete ctx.rewritten['Gemm'];
    notes.push(`${gemm.converted} Gemm nodes were turned into MatMul (+Add) as the reference does, but no node was quantized`);
  }
  if (!settings.enableSubgraph) {
    let inner = 0;
    for (const n of root.nodes)
      if (n.subgraphs) for (const gs of n.subgraphs.values()) for (const sg of gs) forEachWGraph(sg, (g) => (inner += g.nodes.length));
    if (inner) notes.push(`${inner} nodes inside If/Loop/Scan bodies were not visited (EnableSubgraph is off)`);
  }

  finalizeGraph(root, (message) => new Int8Refusal(message));

  // com.microsoft opset: the reference adds it when its main-graph quantizer emitted a contrib op. A contrib op
  // emitted inside a subgraph (DynamicQuantizeLSTM) would leave the model without the import and unloadable; we
  // add it in that case too (deviation).
  let msNeeded = false;
  let msInSubgraphOnly = true;
  forEachWGraph(root, (g) => {
    for (const n of g.nodes)
      if (n.domain === 'com.microsoft' && !n.src) {
        msNeeded = true;
        if (g === root) msInSubgraphOnly = false;
      }
  });
  const hasMs = model.opsets.some((o) => o.domain === 'com.microsoft');
  const addMs = msNeeded && !hasMs;
  if (addMs && msInSubgraphOnly)
    notes.push(
      'added the com.microsoft opset import for contrib ops inside subgraphs (the reference omits it there, which makes the model unloadable)',
    );

  // Tensor work: only for initializers that survived cleaning (a transposed copy gets its job here).
  const jobs = scheduleJobs(root, onProgress, (t) => {
    if (t.transposeOf && !t.raw && !t.job) t.job = transposeJob(t);
  });
  if (signal?.aborted) throw abortError();

  // Model-level fields.
  const meta = withInferMetadata(model.metadata, shapes.stored).filter((m) => m.key !== METADATA_KEY);
  const record: Record<string, unknown> = {
    tool: TOOL.name,
    mode: 'int8-dynamic',
    reference: REFERENCE,
    preset: options.preset,
    weightType: options.weightType,
    perChannel: options.perChannel,
    reduceRange: options.reduceRange,
    opTypes: options.opTypes,
    enableSubgraph: options.enableSubgraph,
    matMulConstBOnly: options.matMulConstBOnly,
    weightSymmetric: options.weightSymmetric ?? null,
    activationSymmetric: options.activationSymmetric,
    ...(options.excludeNodes.length ? { excludeNodes: options.excludeNodes } : {}),
    ...(options.nodesToQuantize.length ? { nodesToQuantize: options.nodesToQuantize } : {}),
  };
  const metaParts: Part[] = meta.map((m) => lenField(MODEL.metadataProps, encodeStringEntry(m.key, m.value)));
  metaParts.push(metadataEntry(METADATA_KEY, record, opts.provenance));
  const producer = Writer.create()
    .uint32(tagOf(MODEL.producerName, WT_LEN))
    .string(PRODUCER_NAME)
    .uint32(tagOf(MODEL.producerVersion, WT_LEN))
    .string(PRODUCER_VERSION)
    .finish();
  let lastOpset = -1;
  model.fields.forEach((f, i) => {
    if (f.no === MODEL.opsetImport) lastOpset = i;
  });
  const graphIndex = model.fields.findIndex((f) => f.no === MODEL.graph);
  const tail: Part[] = [...(addMs ? [lenField(MODEL.opsetImport, encodeOpset('com.microsoft', 1))] : []), ...metaParts];
  const anchor = lastOpset >= 0 ? lastOpset : graphIndex;
  let producerDone = false;
  const { model: parts, data } = emitModel(
    model,
    {
      graph: emitGraph(root),
      replace: (f, i) => {
        if (f.no === MODEL.producerName || f.no === MODEL.producerVersion || f.no === MODEL.metadataProps) return [];
        if (f.no === MODEL.opsetImport && opset !== srcOpset) {
          const o = model.opsets[model.fields.slice(0, i).filter((x) => x.no === MODEL.opsetImport).length]!;
          if (o.domain === '' || o.domain === 'ai.onnx') {
            const p: Part[] = [lenField(MODEL.opsetImport, encodeOpset(o.domain, opset))];
            return i === anchor ? [...p, ...tail] : p;
          }
        }
        if (f.no === MODEL.irVersion && !producerDone) {
          producerDone = true;
          return [rawField(model, f), producer];
        }
        if (i === anchor && f.no !== MODEL.graph) return [rawField(model, f), ...tail];
        return undefined;
      },
      append: anchor === graphIndex ? tail : [],
    },
    opts.layout,
  );
  const report: Int8Report = {
    mode: 'int8',
    options: (({ weightTypeSpec: _w, ...rest }) => rest)(options),
    inputBytes: model.fileBytes + model.externalBytes,
    outputBytes: parts.reduce((a, p) => a + p.length, 0) + (data?.bytes ?? 0),
    durationMs: Date.now() - t0,
    rewritten: ctx.rewritten,
    keptInFloat: groupKeptInFloat(ctx.leftInFloat),
    notes,
    reference: REFERENCE,
    leftInFloat: ctx.leftInFloat,
    opset,
    tensorsQuantized: jobs.filter((j) => j.kind === 'quantize').length,
  };
  return { parts, data, report };
}
