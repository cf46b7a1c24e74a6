/**
 * The reference's shape inference, replayed on the INT8 working graph (see README.md "value_info"):
 * onnxruntime 1.32 `quantize_dynamic` loads the model through `onnx.shape_inference.infer_shapes_path` (pass 1),
 * runs it again after `onnx.version_converter` when it bumps an opset below 10 to 11 (pass 2), and again after
 * rewriting Gemm to MatMul (+Add) on a copy saved with external data (pass 3; raw tensors of >= 991 bytes are then
 * unreadable). The value_info and graph input / output types of that last pass are what its output file carries,
 * and their element types are what its quantizers read. The quantizer adds no value_info for the tensors it creates
 * and removes none.
 *
 * Use: `inferBeforeRewrite` after the opset plan and before `replaceGemmWithMatMul`, `inferAfterRewrite` after it.
 * The latter returns the element types per graph for the quantizers and sets `WGraph.declared` so that
 * `emitGraph` writes the inferred value_info, inputs and outputs.
 */
import type { InferAttr, TensorSource } from '../onnx/infer/context.js';
import { type GraphDecls, type InferGraph, type InferModel, type InferNode, type InferResult, inferShapes } from '../onnx/infer/engine.js';
import { type TypeProto, compactType } from '../onnx/infer/types.js';
import { encodeSlot, inferAttr, tensorSource, valueSlot as slotOf } from '../onnx/infer/view.js';
import { dtypeBits } from '../onnx/dtypes.js';
import { ENUM } from '../onnx/schema.generated.js';

const AT = ENUM.AttributeProto_AttributeType;
import { GRAPH, type ModelView } from '../onnx/model.js';
import { lenField } from '../onnx/writer.js';
import { type WGraph, type WInit, type WNode, forEachWGraph, keptAttrs } from './graph.js';

/** Raw data this long or longer is moved to external data by onnx.save_model(save_as_external_data=True) (sys.getsizeof >= 1024). */
export const EXTERNAL_FROM_BYTES = 991;

/**
 * Element types of the tensors a graph declares after inference (value_info, outputs, inputs), as the reference's
 * `value_infos` dict: name -> TensorProto.DataType, 0 when the entry is not a typed tensor. A name absent here is one
 * inference could not type (the quantizers then look in the enclosing graph, as the reference does with subgraphs).
 */
export type LocalTypes = Map<string, number>;

export interface ShapeState {
  model: ModelView;
  opset: number;
  /** Declarations per working graph after the last pass (missing: never visited, the file's own are kept). */
  decls: Map<WGraph, GraphDecls>;
  failure?: string;
  notes: string[];
}

function initSource(t: WInit, externalFromBytes: number | undefined): TensorSource {
  if (t.src) return tensorSource(t.src, externalFromBytes === undefined ? {} : { externalFromBytes });
  const raw = (t.dims.reduce((a, b) => a * b, 1) * dtypeBits(t.dataType)) / 8;
  return {
    name: t.name,
    dataType: t.dataType,
    dims: t.dims,
    external: externalFromBytes !== undefined && raw >= externalFromBytes,
    values: () => null,
  };
}

/** The inference view of a working graph; `drops` applies the opset upgrade's attribute removals. */
function adapt(
  g: WGraph,
  decls: Map<WGraph, GraphDecls>,
  byInfer: Map<InferGraph, WGraph>,
  opts: { drops: boolean; externalFromBytes?: number },
): InferGraph {
  const d = decls.get(g);
  const nodes: InferNode[] = g.nodes.map((n: WNode) => {
    const attrs: InferAttr[] = [];
    const src = n.src ? (opts.drops ? keptAttrs(n) : n.src.attributes) : (n.copiedAttrs ?? []);
    for (const a of src) {
      const sub = n.subgraphs?.get(a);
      attrs.push(inferAttr(a, {}, () => (sub?.[0] ? adapt(sub[0], decls, byInfer, opts) : ({} as InferGraph))));
    }
    for (const [name, v] of n.attrs ?? []) {
      if (v.kind === 'int') attrs.push({ name, type: AT.INT, i: v.value });
      else if (v.kind === 'ints') attrs.push({ name, type: AT.INTS, ints: v.value });
      else if (v.kind === 'float') attrs.push({ name, type: AT.FLOAT, f: v.value });
      else if (v.kind === 'floats') attrs.push({ name, type: AT.FLOATS, floats: v.value });
    }
    return { opType: n.opType, domain: n.domain, name: n.name, inputs: n.inputs, outputs: n.outputs, attributes: attrs };
  });
  const ig: InferGraph = {
    inputs: d ? d.inputs : g.src.inputs.map((v) => slotOf(v)),
    outputs: d ? d.outputs : g.src.outputs.map((v) => slotOf(v)),
    valueInfo: d ? d.valueInfo : g.src.valueInfo.map((v) => slotOf(v)),
    initializers: g.inits.map((t) => initSource(t, opts.externalFromBytes)),
    nodes,
  };
  byInfer.set(ig, g);
  return ig;
}

function pass(state: ShapeState, root: WGraph, opset: number, opts: { drops: boolean; externalFromBytes?: number }): InferResult {
  const byInfer = new Map<InferGraph, WGraph>();
  const graph = adapt(root, state.decls, byInfer, opts);
  const opsets = state.model.opsets.map((o) => (o.domain === '' || o.domain === 'ai.onnx' ? { domain: o.domain, version: opset } : o));
  const model: InferModel = { irVersion: state.model.irVersion, opsets, graph };
  const res = inferShapes(model);
  for (const [ig, d] of res.graphs) {
    const wg = byInfer.get(ig);
    if (wg) state.decls.set(wg, d);
  }
  if (res.failure) state.failure ??= res.failure;
  return res;
}

/**
 * Passes 1 and 2 (before the Gemm rewrite): infer_shapes on the model as loaded, and again at opset 11 after the
 * upgrade when the source opset is below 10. `root` must not have been rewritten yet.
 */
export function inferBeforeRewrite(model: ModelView, root: WGraph, srcOpset: number, opset: number): ShapeState {
  const state: ShapeState = { model, opset, decls: new Map(), notes: [] };
  pass(state, root, srcOpset, { drops: false });
  if (opset !== srcOpset && !state.failure) pass(state, root, opset, { drops: true });
  return state;
}

const sameType = (a: TypeProto | undefined, b: TypeProto | undefined): boolean =>
  JSON.stringify(compactType(a)) === JSON.stringify(compactType(b));

/**
 * Pass 3 (after the Gemm rewrite, on the external-data copy) and the result: element types per graph for the
 * quantizers (value_info, then graph outputs, then graph inputs, as the reference's `value_infos` dict is built),
 * and `WGraph.declared` set for emission. When onnx's inference would fail outright (the reference then raises),
 * the file keeps its own value_info and a note says why; element types then come from what was inferred before the
 * failure.
 */
export function inferAfterRewrite(state: ShapeState, root: WGraph): { types: Map<WGraph, LocalTypes>; notes: string[]; stored: boolean } {
  let res: InferResult | null = null;
  if (!state.failure) res = pass(state, root, state.opset, { drops: true, externalFromBytes: EXTERNAL_FROM_BYTES });
  const notes = [...state.notes];
  if (state.failure)
    notes.push(
      `ONNX shape inference fails on this model (${state.failure.slice(0, 200)}); the reference would stop here. value_info is left as it was.`,
    );
  else if (res) {
    if (res.noRule.size)
      notes.push(
        `value_info: AVA has no shape rule for ${[...res.noRule.keys()].sort().join(', ')} (element types only), so entries downstream may lack shapes the reference's file has`,
      );
  }
  const types = new Map<WGraph, LocalTypes>();
  forEachWGraph(root, (g) => {
    // Element types also from a failed inference's partial state (the reference raises there; we go on).
    const d = state.decls.get(g);
    const local: LocalTypes = new Map();
    const put = (name: string, t: TypeProto | undefined) => local.set(name, t?.tensor?.elem ?? 0);
    if (d) {
      for (const s of d.valueInfo) put(s.name, s.type);
      for (const s of d.outputs) put(s.name, s.type);
      for (const s of d.inputs) put(s.name, s.type);
    } else {
      for (const v of g.src.valueInfo) local.set(v.name, v.kind === 'tensor' ? v.elemType : 0);
      for (const v of g.src.outputs) local.set(v.name, v.kind === 'tensor' ? v.elemType : 0);
      for (const v of g.src.inputs) local.set(v.name, v.kind === 'tensor' ? v.elemType : 0);
    }
    types.set(g, local);
    if (d && !state.failure) {
      const inputs = new Map<number, Uint8Array>();
      const outputs = new Map<number, Uint8Array>();
      d.inputs.forEach((s, i) => {
        const orig = g.src.inputs[i];
        if (orig && !sameType(slotOf(orig).type, s.type)) inputs.set(i, encodeSlot(s));
      });
      d.outputs.forEach((s, i) => {
        const orig = g.src.outputs[i];
        if (orig && !sameType(slotOf(orig).type, s.type)) outputs.set(i, encodeSlot(s));
      });
      g.declared = { valueInfo: d.valueInfo.map((s) => lenField(GRAPH.valueInfo, [encodeSlot(s)])), inputs, outputs };
    }
  });
  return { types, notes, stored: !state.failure };
}

/**
 * quant_utils.add_infer_metadata: `{"onnx.infer": "onnxruntime.quant", **existing}` -- the marker first (an existing
 * entry of that key keeps its value at that position), the file's own entries after it in their order. Only when
 * the inferred value_info is stored (`stored`).
 */
export function withInferMetadata(meta: readonly { key: string; value: string }[], stored: boolean): { key: string; value: string }[] {
  if (!stored) return [...meta];
  const existing = meta.find((m) => m.key === 'onnx.infer');
  return [{ key: 'onnx.infer', value: existing ? existing.value : 'onnxruntime.quant' }, ...meta.filter((m) => m.key !== 'onnx.infer')];
}
