/**
 * A model with one precision per layer group, made by composing the existing modes with node lists:
 *
 *   1. q4 groups   quantizeQ4(model, { ...q4, excludeNodes: every node not in a q4 group })
 *   2. int8 groups quantizeInt8(that, { ...int8, nodesToQuantize: the int8 groups' nodes })
 *   3. fp16 groups convertFp16(that, { ...fp16, nodeBlockList: every node not in an fp16 group })
 *   4. metadata    the steps' `ava.quantization` / `ava.conversion` entries replaced by one `ava.quantization`
 *                  record with mode "mixed" (the assignment and each mode's options).
 *
 * Weight-only Q4 first (it reads float32 weights; INT8 then leaves MatMulNBits alone: com.microsoft ops are not in its
 * registry), then INT8 (it reads float32 weights and activations; the nodes of q4 and fp32 groups are not in its
 * list), FP16 last (it keeps every listed node, the new MatMulNBits / DynamicQuantizeLinear / MatMulInteger nodes
 * included, in float32, with Casts at the borders of the fp16 groups). Nodes of fp16 groups keep their names through
 * steps 1 and 2 (no step rewrites a node outside its list), so step 3's list is exact.
 *
 * A uniform assignment (every group the same precision) is the plain mode, without node lists: all-int8 gives exactly
 * quantizeInt8's bytes with the same options, all-fp16 convertFp16's, all-q4 quantizeQ4's, all-fp32 the input.
 */
import { convertFp16, type Fp16Report } from '../fp16/index.js';
import { quantizeInt8, type Int8Report } from '../int8/index.js';
import { GRAPH, MODEL, NODE, metadataKey, parseModel, type GraphView, type ModelView } from '../onnx/model.js';
import { WT_LEN, tagOf } from '../onnx/wire.js';
import { collectPieces, emitModel, lenField, rebuild, writeModel, concatParts, type Part } from '../onnx/writer.js';
import { metadataEntry, type OutputProvenance } from '../provenance.js';
import { quantizeQ4, type Q4Report } from '../q4/index.js';
import { layerGroups, type GroupPlan } from './groups.js';
import { PRECISIONS, resolveMixOptions, type Assignment, type MixOptions, type Precision, type ResolvedMixOptions } from './options.js';
import { predictMixBytes } from './sizes.js';
import protobuf from 'protobufjs/minimal.js';

const { Writer } = protobuf;

/** metadata_props key of the mixed record (shared with INT8 and Q4; its JSON's `mode` is "mixed"). */
export const MIXED_METADATA_KEY = 'ava.quantization';
const STEP_KEYS = new Set(['ava.quantization', 'ava.conversion']);

export interface MixProgress {
  step: 'prepare' | 'q4' | 'int8' | 'fp16' | 'metadata';
  /** 0..1 of the whole build. */
  fraction: number;
  message: string;
}

export interface MixStep {
  mode: 'q4' | 'int8' | 'fp16';
  groups: string[];
  /** Nodes in the step's node list (q4: left out; int8: quantized; fp16: kept in float32). */
  listed: number;
  report: Q4Report | Int8Report | Fp16Report;
}

export interface MixReport {
  mode: 'mixed';
  /** Every group's precision (groups the caller left out are fp32). */
  assignment: Assignment;
  /** Set when every group has the same precision: the output is that plain mode's (fp32: the input). */
  uniform: Precision | null;
  groupMethod: GroupPlan['method'];
  originalBytes: number;
  outputBytes: number;
  /** predictMixBytes for the assignment (from the initializers, before any work). */
  predictedBytes: number;
  steps: MixStep[];
  notes: string[];
  durationMs: number;
}

export interface BuildMixOptions extends MixOptions {
  /** Source file, tool version and date to record in the output's metadata. */
  provenance?: OutputProvenance;
}

const named = new WeakMap<ModelView, ModelView>();

/** Every node name of a graph and its subgraphs. */
function allNodeNames(g: GraphView, into: string[] = []): string[] {
  for (const n of g.nodes) {
    if (n.name) into.push(n.name);
    for (const a of n.attributes) for (const sg of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) allNodeNames(sg, into);
  }
  return into;
}

/**
 * The model with every unnamed main-graph node named `ava_node_<index>` (a name field appended to the node, the rest
 * of the file unchanged), so node lists can reach it; the model itself when every node has a name.
 */
export async function nameUnnamedNodes(model: ModelView, signal?: AbortSignal): Promise<ModelView> {
  if (model.graph.nodes.every((n) => n.name)) return model;
  const cached = named.get(model);
  if (cached) return cached;
  const taken = new Set(allNodeNames(model.graph));
  let k = -1;
  const graph = rebuild(model.graph, (f) => {
    if (f.no !== GRAPH.node) return undefined;
    const n = model.graph.nodes[++k]!;
    if (n.name) return undefined;
    let name = `ava_node_${k}`;
    for (let j = 1; taken.has(name); j++) name = `ava_node_${k}_${j}`;
    taken.add(name);
    const nameField = Writer.create().uint32(tagOf(NODE.name, WT_LEN)).string(name).finish();
    return [lenField(GRAPH.node, [...rebuild(n), nameField] as Part[])];
  });
  const out = parseModel(await collectPieces(writeModel(model, { graph }), signal));
  named.set(model, out);
  return out;
}

/** The complete assignment over the plan's groups (missing = fp32), checked. Throws RangeError for an unknown group or precision. */
export function completeAssignment(plan: GroupPlan, assignment: Readonly<Record<string, string>>): Assignment {
  const ids = new Set(plan.groups.map((g) => g.id));
  for (const [id, p] of Object.entries(assignment)) {
    if (!ids.has(id)) throw new RangeError(`no layer group '${id}' in this model (groups: ${[...ids].join(', ')})`);
    if (!(PRECISIONS as readonly string[]).includes(p))
      throw new RangeError(`group '${id}': precision '${p}' is not one of ${PRECISIONS.join(', ')}`);
  }
  return Object.fromEntries(plan.groups.map((g) => [g.id, (assignment[g.id] as Precision | undefined) ?? 'fp32']));
}

/**
 * Builds `model` with a precision per layer group (`assignment`: group id -> precision, ids from layerGroups(model);
 * missing groups stay fp32). Returns the output bytes (intermediate models are held in memory: about the input's size
 * at most) and a report. Throws RangeError for an unknown group or precision, the modes' errors (Q4Refusal,
 * Int8Refusal, Fp16OptionError, InvalidGraphError) and an AbortError DOMException when `signal` aborts.
 */
export async function buildMix(
  model: ModelView,
  assignment: Readonly<Record<string, string>>,
  options: BuildMixOptions = {},
  onProgress?: (p: MixProgress) => void,
  signal?: AbortSignal,
): Promise<{ bytes: Uint8Array; report: MixReport }> {
  const t0 = Date.now();
  signal?.throwIfAborted();
  const resolved: ResolvedMixOptions = resolveMixOptions(options);
  const plan0 = layerGroups(model);
  const full = completeAssignment(plan0, assignment);
  const used = [...new Set(Object.values(full))];
  const originalBytes = model.fileBytes + model.externalBytes;
  const predictedBytes = predictMixBytes(originalBytes, plan0.groups, full, resolved);
  const notes = [...plan0.notes];
  const steps: MixStep[] = [];
  const progress = (step: MixProgress['step'], fraction: number, message: string) => onProgress?.({ step, fraction, message });
  const q4Options = { ...resolved.q4, provenance: options.provenance };
  const finish = (bytes: Uint8Array, uniform: Precision | null): { bytes: Uint8Array; report: MixReport } => {
    progress('metadata', 1, 'done');
    return {
      bytes,
      report: {
        mode: 'mixed',
        assignment: full,
        uniform,
        groupMethod: plan0.method,
        originalBytes,
        outputBytes: bytes.length,
        predictedBytes,
        steps,
        notes,
        durationMs: Date.now() - t0,
      },
    };
  };

  // Uniform: the plain mode, no node lists.
  if (used.length === 1) {
    const p = used[0]!;
    const groups = plan0.groups.map((g) => g.id);
    if (p === 'fp32') return finish(concatParts(writeModel(model)), 'fp32');
    progress(p, 0, `${p} on the whole model`);
    const r =
      p === 'q4'
        ? await quantizeQ4(model, q4Options, undefined, signal)
        : p === 'int8'
          ? await quantizeInt8(model, { ...options.int8, provenance: options.provenance }, undefined, signal)
          : await convertFp16(model, { ...options.fp16, provenance: options.provenance }, undefined, signal);
    steps.push({ mode: p, groups, listed: 0, report: r.report });
    return finish(await collectPieces(r.parts, signal), p);
  }

  progress('prepare', 0, 'naming nodes');
  let m = await nameUnnamedNodes(model, signal);
  const plan = m === model ? plan0 : layerGroups(m);
  const nodesOf = (p: Precision) => plan.groups.filter((g) => full[g.id] === p).flatMap((g) => [...g.nodes, ...g.subgraphNodes]);
  const groupsOf = (p: Precision) => plan.groups.filter((g) => full[g.id] === p).map((g) => g.id);
  const order = (['q4', 'int8', 'fp16'] as const).filter((p) => used.includes(p));
  for (const [i, p] of order.entries()) {
    signal?.throwIfAborted();
    progress(p, i / (order.length + 1), `${p} on ${groupsOf(p).join(', ')}`);
    const mine = new Set(nodesOf(p));
    let r: { parts: Parameters<typeof collectPieces>[0]; report: Q4Report | Int8Report | Fp16Report };
    let listed: number;
    if (p === 'q4') {
      const excludeNodes = allNodeNames(m.graph).filter((n) => !mine.has(n));
      listed = excludeNodes.length;
      r = await quantizeQ4(m, { ...q4Options, excludeNodes }, undefined, signal);
    } else if (p === 'int8') {
      listed = mine.size;
      r = await quantizeInt8(m, { ...options.int8, nodesToQuantize: [...mine], provenance: options.provenance }, undefined, signal);
    } else {
      const nodeBlockList = allNodeNames(m.graph).filter((n) => !mine.has(n));
      listed = nodeBlockList.length;
      r = await convertFp16(m, { ...options.fp16, nodeBlockList, provenance: options.provenance }, undefined, signal);
    }
    steps.push({ mode: p, groups: groupsOf(p), listed, report: r.report });
    m = parseModel(await collectPieces(r.parts, signal));
  }

  // One record for the whole mix.
  progress('metadata', order.length / (order.length + 1), 'metadata');
  const record: Record<string, unknown> = {
    tool: 'ava-quantizer',
    mode: 'mixed',
    groupMethod: plan.method,
    assignment: full,
    ...(used.includes('int8') ? { int8: resolved.int8 } : {}),
    // Without a preset the Q4 options are target mode's own (TARGET_Q4_DEFAULTS), not the resolver's default preset.
    ...(used.includes('q4') ? { q4: options.q4?.preset ? resolved.q4 : (({ preset: _p, ...rest }) => rest)(resolved.q4) } : {}),
    ...(used.includes('fp16') ? { fp16: resolved.fp16 } : {}),
  };
  const last = m;
  const { model: parts } = emitModel(last, {
    replace: (f) => (f.no === MODEL.metadataProps && STEP_KEYS.has(metadataKey(last.buf, f)) ? [] : undefined),
    append: [metadataEntry(MIXED_METADATA_KEY, record, options.provenance)],
  });
  return finish(await collectPieces(parts, signal), null);
}
