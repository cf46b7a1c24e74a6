/**
 * FP16 conversion ("conservative" mode): float32 weights and activations become float16, graph inputs and
 * outputs stay float32 by default, and the output graph always type-checks. The phases, one module each:
 *
 *  0. validate    src/core/onnx/validate.ts: the model's graphs are well formed (shared with INT8).
 *  1. plan        plan.ts: element types of every value (types.ts), then a mode per node from its ONNX signature.
 *  2. policy      policy.ts: the ONE table of keep-in-float32 rules (node rules during planning, graph rules
 *                 after it, reading tensor values through payload.ts).
 *  3. casts       casts.ts: what every consumer wants, which sources become float16, shared Casts, no-op Casts.
 *  4. emit        emit.ts: weights converted (payload.ts), graphs re-emitted in topological order.
 *  5. report      report.ts: sizes, statistics, kept ops with their rule and reason; the provenance record.
 */
import { emptyStats } from '../onnx/float16.js';
import { MODEL, type ModelView, metadataKey } from '../onnx/model.js';
import { validateModel } from '../onnx/validate.js';
import { type ModelOutput, type Piece, emitModel, piecesSize } from '../onnx/writer.js';
import { metadataEntry } from '../provenance.js';
import { collectWants, decideOutputs, decideSources, removeNoopCasts } from './casts.js';
import { convertWeights, emitGraph } from './emit.js';
import { type Run, consumersOf } from './graph.js';
import { DEFAULT_OP_BLOCK_LIST, type Fp16Options, type Fp16Progress, type Fp16Report, resolveOptions } from './options.js';
import { buildCtx } from './plan.js';
import { applyGraphRules, collectTensorFacts, dataDependence, modelVerdict } from './policy.js';
import { CONVERSION_METADATA_KEY, conversionRecord, emptyReport, finishReport } from './report.js';
import { defaultOpset, inferTypes, subgraphsOf } from './types.js';

export { CONVERSION_METADATA_KEY };

export interface Fp16Result {
  parts: Piece[];
  /** The external-data file, when the output is split (see ExternalLayout). */
  data: ModelOutput['data'];
  /** Its weight statistics grow as payloads are converted, i.e. while the parts are written. */
  report: Fp16Report;
}

/**
 * Converts a model to float16. Returns the output as byte parts (large tensor payloads are separate arrays:
 * write them in order to a Blob or a stream) and a report. Progress comes in three phases ('analyze', 'convert'
 * by float32 weight bytes, 'write'), each 0..1.
 * Throws Fp16OptionError for bad options, InvalidGraphError (an OnnxFormatError, from src/core/onnx/validate.ts)
 * for a model whose graph is broken, and the AbortSignal's reason when aborted.
 */
export async function convertFp16(
  model: ModelView,
  options: Fp16Options = {},
  onProgress?: (p: Fp16Progress) => void,
  signal?: AbortSignal,
): Promise<Fp16Result> {
  const t0 = performance.now();
  const opts = resolveOptions(options);
  signal?.throwIfAborted();
  validateModel(model);
  onProgress?.({ phase: 'analyze', fraction: 0, message: 'inferring element types' });
  const info = inferTypes(model);
  const run: Run = {
    model,
    opts,
    opset: defaultOpset(model),
    info,
    blockOps: new Set([...DEFAULT_OP_BLOCK_LIST, ...opts.opBlockList]),
    userOps: new Set(opts.opBlockList),
    blockNodes: new Set(opts.nodeBlockList),
    names: collectNames(model),
    clamp: { minPositive: opts.minPositive, maxFinite: opts.maxFinite },
    stats: emptyStats(),
    report: emptyReport(opts, model.fileBytes + model.externalBytes),
    recId: new Map(),
    ...(onProgress ? { onProgress } : {}),
    ...(signal ? { signal } : {}),
    unknownTypeValues: new Set(),
    converted: new Map(),
  };
  for (const m of info.mismatches.slice(0, 5)) run.report.notes.push(`declared type used over inferred: ${m}`);

  // 1 + 2: the plan, with the policy's model and node rules; then its graph rules.
  const whole = modelVerdict(run);
  if (whole) run.report.notes.push(whole.reason);
  const main = buildCtx(run, model.graph, null, 'main', whole, null);
  const facts = await collectTensorFacts(run, main);
  applyGraphRules({ run, main, consumers: consumersOf(main), facts, dataDependent: dataDependence() });
  // 3: casts.
  collectWants(run, main);
  decideSources(run, main);
  decideOutputs(run, main);
  removeNoopCasts(run, main);
  onProgress?.({ phase: 'analyze', fraction: 1 });

  // 4: emission.
  convertWeights(run, main);
  const graphParts = emitGraph(run, main).parts;
  signal?.throwIfAborted();
  onProgress?.({ phase: 'write', fraction: 0 });
  const { model: parts, data } = emitModel(
    model,
    {
      graph: graphParts,
      replace: (f) => (f.no === MODEL.metadataProps && metadataKey(model.buf, f) === CONVERSION_METADATA_KEY ? [] : undefined),
      append: [metadataEntry(CONVERSION_METADATA_KEY, conversionRecord(opts), options.provenance)],
    },
    options.layout,
  );

  // 5: the report (weight statistics complete once the payloads were converted, i.e. written).
  finishReport(run, main, piecesSize(parts) + (data?.bytes ?? 0));
  run.report.durationMs = Math.round(performance.now() - t0);
  onProgress?.({ phase: 'write', fraction: 1 });
  return { parts, data, report: run.report };
}

function collectNames(model: ModelView): Set<string> {
  const names = new Set<string>();
  const visit = (g: ModelView['graph']) => {
    for (const v of [...g.inputs, ...g.outputs, ...g.valueInfo]) names.add(v.name);
    for (const t of g.initializers) names.add(t.name);
    for (const n of g.nodes) {
      if (n.name) names.add(n.name);
      for (const x of [...n.inputs, ...n.outputs]) if (x) names.add(x);
      for (const sg of subgraphsOf(n)) visit(sg);
    }
  };
  visit(model.graph);
  return names;
}
