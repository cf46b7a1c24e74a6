/**
 * Predicted output sizes, before any work: every mode has a predictor (`<mode>/predict.ts`), a pure function of the
 * model's initializer table below. The model card shows them for every registered mode
 * (`ModelSummary.predictedBytes`, src/core/onnx/inspect.ts); target mode's group sizes (src/core/mixed/sizes.ts)
 * use the same per-weight rules. tests/modes/predict.test.ts checks each prediction against the real output's size.
 */
import { DT, dtypeBits, elementCount } from '../onnx/dtypes.js';
import type { GraphView, ModelView, NodeView, TensorView } from '../onnx/model.js';

/** How a weight is read, which decides what each mode makes of it (as src/core/mixed/groups.ts GroupWeight). */
export type WeightRole = 'matmul-b' | 'gemm-b' | 'gather-table' | 'conv-w' | 'other';

/** One tensor of the model: an initializer (any graph) or a Constant node's value. */
export interface TableEntry {
  name: string;
  dataType: number;
  dims: number[];
  /** Bytes of its payload (elements × element size). */
  bytes: number;
  /** How its first reader reads it (a float tensor only; 'other' for the rest). */
  role: WeightRole;
  /** Gemm B with transB = 1. */
  transB?: boolean;
  /** In an If / Loop / Scan body. */
  inSubgraph: boolean;
  /** A Constant node's value (not an initializer). */
  constant: boolean;
}

/** What the predictors read: the model's size, its tensors, and how many values its nodes name. */
export interface InitializerTable {
  /** The .onnx plus its external data (outputs bring external weights inline). */
  totalBytes: number;
  entries: TableEntry[];
  /**
   * Node outputs (every graph) that have no value_info and are not graph outputs, and the UTF-8 bytes of their names:
   * what a mode that writes inferred value_info (INT8, as quantize_dynamic does) adds per value.
   */
  untypedValues: { count: number; nameBytes: number };
}

/** A mode's predictor: output bytes for the table, with the mode's options (default: its default preset's). */
export type Predictor<O = never> = (table: InitializerTable, options?: O) => number;

/** True for the float element types a mode rewrites (float32, float16, double, bfloat16). */
export const isFloat = (dt: number): boolean => dt === DT.FLOAT || dt === DT.FLOAT16 || dt === DT.DOUBLE || dt === DT.BFLOAT16;

/** Payload bytes of a tensor from its dims and element type. */
export function tensorBytes(t: Pick<TensorView, 'dims' | 'dataType'>): number {
  return Math.ceil((elementCount(t.dims) * dtypeBits(t.dataType)) / 8);
}

/** The role of input `input` of node `n` for a float tensor (MatMul B, Gemm B, Gather table, Conv W, other). */
export function weightRole(n: NodeView, input: number, dataType: number): { role: WeightRole; transB?: boolean } {
  if (!isFloat(dataType)) return { role: 'other' };
  const def = n.domain === '' || n.domain === 'ai.onnx';
  if (def && n.opType === 'MatMul' && input === 1) return { role: 'matmul-b' };
  if (def && n.opType === 'Gemm' && input === 1)
    return { role: 'gemm-b', transB: n.attributes.some((a) => a.name === 'transB' && a.i === 1) };
  if (def && n.opType === 'Gather' && input === 0) return { role: 'gather-table' };
  if (def && n.opType === 'Conv' && input === 1) return { role: 'conv-w' };
  return { role: 'other' };
}

/**
 * The initializer table of a model: every initializer of every graph (with the role of its first reader in that
 * graph, in node order) and every Constant node's tensor. Structure only: no payload is read.
 */
export function initializerTable(model: ModelView): InitializerTable {
  const entries: TableEntry[] = [];
  const untypedValues = { count: 0, nameBytes: 0 };
  const utf8 = new TextEncoder();
  const visit = (g: GraphView, inSubgraph: boolean) => {
    const typed = new Set([...g.valueInfo.map((v) => v.name), ...g.outputs.map((v) => v.name)]);
    for (const n of g.nodes)
      for (const o of n.outputs)
        if (o && !typed.has(o)) {
          untypedValues.count++;
          untypedValues.nameBytes += utf8.encode(o).length;
        }
    const roles = new Map<string, { role: WeightRole; transB?: boolean }>();
    const inits = new Map(g.initializers.map((t) => [t.name, t]));
    for (const n of g.nodes)
      n.inputs.forEach((x, k) => {
        const t = x ? inits.get(x) : undefined;
        if (t && !roles.has(x!)) roles.set(x!, weightRole(n, k, t.dataType));
      });
    for (const t of g.initializers)
      entries.push({
        name: t.name,
        dataType: t.dataType,
        dims: t.dims,
        bytes: tensorBytes(t),
        ...(roles.get(t.name) ?? { role: 'other' }),
        inSubgraph,
        constant: false,
      });
    for (const n of g.nodes) {
      for (const a of n.attributes) {
        if (n.opType === 'Constant' && a.t)
          entries.push({
            name: n.outputs[0] ?? n.name,
            dataType: a.t.dataType,
            dims: a.t.dims,
            bytes: tensorBytes(a.t),
            role: 'other',
            inSubgraph,
            constant: true,
          });
        if (a.g) visit(a.g, true);
        a.graphs?.forEach((sg) => visit(sg, true));
      }
    }
  };
  visit(model.graph, false);
  return { totalBytes: model.fileBytes + model.externalBytes, entries, untypedValues };
}

/** Bytes the table's entries take now (what the predictors subtract before adding their own). */
export function tableBytes(entries: readonly TableEntry[]): number {
  return entries.reduce((a, e) => a + e.bytes, 0);
}

/** The file size after replacing each entry's bytes with `bytesOf(entry)`. */
export function predictWith(table: InitializerTable, bytesOf: (e: TableEntry) => number): number {
  let total = table.totalBytes;
  for (const e of table.entries) {
    const d = bytesOf(e) - e.bytes;
    // A tensor whose dims make no sense (a hostile file: negative or absurd) counts as unchanged.
    if (Number.isFinite(d)) total += d;
  }
  return Math.max(0, Math.round(total));
}

/**
 * A mode's saving on part of a model's weights: the float tensors whose role is in `roles` (main graph and
 * subgraphs; Constant values and non-float tensors left out), each predicted alone with `predict` (a one-entry
 * table, so a mode's fixed per-model bytes do not count; its per-weight bytes do). `percent` is 100 × (1 − after /
 * before) over the weights the mode changes (null when it changes none); `before` / `after` in bytes. What the
 * typical figures of a mode's meta (ModeMeta.typicalSaving) are held to.
 */
export function savingOn(
  table: InitializerTable,
  predict: (t: InitializerTable) => number,
  roles: readonly WeightRole[],
): { before: number; after: number; percent: number | null } {
  let before = 0;
  let after = 0;
  for (const e of table.entries) {
    if (e.constant || !isFloat(e.dataType) || !roles.includes(e.role)) continue;
    const out = predict({ totalBytes: e.bytes, entries: [e], untypedValues: { count: 0, nameBytes: 0 } });
    if (out === e.bytes) continue;
    before += e.bytes;
    after += out;
  }
  return { before, after, percent: before ? 100 * (1 - after / before) : null };
}
