/**
 * Adapters from the lossless model view (model.ts) to the inference input, and back to protobuf bytes.
 */
import type { InferAttr, TensorSource } from './context.js';
import type { GraphDecls, InferGraph, InferModel, InferNode, ValueSlot } from './engine.js';
import { type TypeProto, compactType, decodeTypeProto, encodeValueInfo, type CompactType } from './types.js';
import type { AttributeView, GraphView, ModelView, NodeView, TensorView, ValueInfoView } from '../model.js';
import { TENSOR } from '../model.js';
import { DT } from '../dtypes.js';
import { FIELD } from '../schema.generated.js';
import { WT_I32, WT_I64, WT_LEN, readVarintSigned } from '../wire.js';
import { f16BitsToNumber as float16BitsToNumber } from '../float16.js';

export interface ViewOptions {
  /**
   * Treat initializers whose raw_data is at least this many bytes as external (their values unreadable). The
   * reference's second and third inference passes run on a copy saved with `save_as_external_data=True`, which moves
   * every raw_data with `sys.getsizeof(raw_data) >= 1024` (length >= 991) out of the file.
   */
  externalFromBytes?: number;
}

/** Values of a tensor as numbers (int64 beyond 2^53 approximated), or null for types shape inference never reads. */
export function tensorValues(t: TensorView): number[] | null {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.rawData) {
    const b = t.rawData;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out: number[] = [];
    switch (t.dataType) {
      case DT.FLOAT:
        for (let i = 0; i + 4 <= b.length; i += 4) out.push(dv.getFloat32(i, true));
        return out;
      case DT.DOUBLE:
        for (let i = 0; i + 8 <= b.length; i += 8) out.push(dv.getFloat64(i, true));
        return out;
      case DT.INT32:
        for (let i = 0; i + 4 <= b.length; i += 4) out.push(dv.getInt32(i, true));
        return out;
      case DT.INT64:
        for (let i = 0; i + 8 <= b.length; i += 8) out.push(Number(dv.getBigInt64(i, true)));
        return out;
      case DT.FLOAT16:
        for (let i = 0; i + 2 <= b.length; i += 2) out.push(float16BitsToNumber(dv.getUint16(i, true)));
        return out;
      default:
        return null;
    }
  }
  const out: number[] = [];
  for (const f of t.typedFields) {
    if (
      (f.no === TENSOR.int64Data || f.no === TENSOR.int32Data) &&
      (t.dataType === DT.INT64 || t.dataType === DT.INT32 || t.dataType === DT.FLOAT16)
    ) {
      const push = (p: number, end: number) => {
        const [v, next] = readVarintSigned(t.buf, p, end);
        out.push(t.dataType === DT.FLOAT16 ? float16BitsToNumber(v & 0xffff) : v);
        return next;
      };
      if (f.wt === WT_LEN) for (let p = f.vstart; p < f.end;) p = push(p, f.end);
      else push(f.vstart, f.end);
    } else if (f.no === TENSOR.floatData && t.dataType === DT.FLOAT) {
      if (f.wt === WT_LEN) {
        const dv = new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, f.end - f.vstart);
        for (let i = 0; i + 4 <= dv.byteLength; i += 4) out.push(dv.getFloat32(i, true));
      } else if (f.wt === WT_I32) out.push(new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, 4).getFloat32(0, true));
    } else if (f.no === TENSOR.doubleData && t.dataType === DT.DOUBLE) {
      if (f.wt === WT_LEN) {
        const dv = new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, f.end - f.vstart);
        for (let i = 0; i + 8 <= dv.byteLength; i += 8) out.push(dv.getFloat64(i, true));
      } else if (f.wt === WT_I64) out.push(new DataView(t.buf.buffer, t.buf.byteOffset + f.vstart, 8).getFloat64(0, true));
    }
  }
  if (
    t.dataType !== DT.FLOAT &&
    t.dataType !== DT.INT32 &&
    t.dataType !== DT.INT64 &&
    t.dataType !== DT.FLOAT16 &&
    t.dataType !== DT.DOUBLE
  )
    return null;
  return n >= 0 ? out : null;
}

/** A TensorView as constant data for the rules. */
export function tensorSource(t: TensorView, opts: ViewOptions = {}): TensorSource {
  const raw = t.rawData?.length ?? (t.data && !t.external ? t.data.length : null);
  const movedOut = opts.externalFromBytes !== undefined && raw !== null && raw >= opts.externalFromBytes;
  let cache: number[] | null | undefined;
  return {
    name: t.name,
    dataType: t.dataType,
    dims: t.dims,
    // A payload left on disk by a streaming open (t.data, 64 KiB and up) is not read here either: shape inference
    // needs constant values only of small tensors (shapes, axes, sizes).
    external: !!t.external || movedOut || (!!t.data && !t.rawData),
    values: () => (cache === undefined ? (cache = tensorValues(t)) : cache),
  };
}

/** A ValueInfoView as a slot: its decoded type (when the type field is present) and its other fields verbatim. */
export function valueSlot(v: ValueInfoView): ValueSlot {
  const slot: ValueSlot = { name: v.name };
  const extra: Uint8Array[] = [];
  for (const f of v.fields) {
    if (f.no === FIELD.ValueInfoProto.name && f.wt === WT_LEN) continue;
    if (f.no === FIELD.ValueInfoProto.type && f.wt === WT_LEN) slot.type = decodeTypeProto(v.buf, f.vstart, f.end);
    else extra.push(v.buf.subarray(f.start, f.end));
  }
  if (extra.length) slot.extra = extra;
  return slot;
}

export function inferAttr(a: AttributeView, opts: ViewOptions, graph: (g: GraphView) => InferGraph): InferAttr {
  const o: InferAttr = { name: a.name, type: a.type };
  if (a.i !== undefined) o.i = a.i;
  if (a.f !== undefined) o.f = a.f;
  if (a.s !== undefined) o.s = a.s;
  if (a.ints) o.ints = a.ints;
  if (a.floats) o.floats = a.floats;
  if (a.t) o.t = tensorSource(a.t, {});
  if (a.g) o.g = graph(a.g);
  return o;
}

export function inferNode(n: NodeView, opts: ViewOptions, graph: (g: GraphView) => InferGraph): InferNode {
  return {
    opType: n.opType,
    domain: n.domain,
    name: n.name,
    inputs: n.inputs,
    outputs: n.outputs,
    attributes: n.attributes.map((a) => inferAttr(a, opts, graph)),
  };
}

/** The inference view of a GraphView (subgraphs included); `byView` records which InferGraph each GraphView became. */
export function graphFromView(g: GraphView, opts: ViewOptions = {}, byView = new Map<GraphView, InferGraph>()): InferGraph {
  const sub = (x: GraphView) => graphFromView(x, opts, byView);
  const ig: InferGraph = {
    inputs: g.inputs.map(valueSlot),
    outputs: g.outputs.map(valueSlot),
    valueInfo: g.valueInfo.map(valueSlot),
    initializers: g.initializers.map((t) => tensorSource(t, opts)),
    nodes: g.nodes.map((n) => inferNode(n, opts, sub)),
  };
  byView.set(g, ig);
  return ig;
}

export function modelFromView(m: ModelView, opts: ViewOptions = {}, byView = new Map<GraphView, InferGraph>()): InferModel {
  return { irVersion: m.irVersion, opsets: m.opsets, graph: graphFromView(m.graph, opts, byView) };
}

/** ValueInfoProto bytes of a slot. */
export function encodeSlot(s: ValueSlot): Uint8Array {
  return encodeValueInfo(s.name, s.type, s.extra);
}

/** Compact description of a graph's declarations: [[name, compact type], ...] per list (goldens, tests, messages). */
export function compactDecls(d: GraphDecls): {
  inputs: [string, CompactType][];
  outputs: [string, CompactType][];
  value_info: [string, CompactType][];
} {
  const c = (l: ValueSlot[]) => l.map((s): [string, CompactType] => [s.name, compactType(s.type)]);
  return { inputs: c(d.inputs), outputs: c(d.outputs), value_info: c(d.valueInfo) };
}

export type { TypeProto };
