/**
 * The protobuf field layout of an ONNX file, for aiming mutations at structure rather than at weight bytes: every
 * field of every message the ONNX schema nests (model, graph, node, attribute, tensor, value_info and its type,
 * opset, string entries), with where its tag, length and value are. Tensor payloads (raw_data) are listed but not
 * entered. Reading is lenient: a message that does not parse is simply not entered.
 */
import { type Field, readFields, readVarint, WT_LEN } from '../../src/core/onnx/wire.js';

export type MsgKind =
  | 'model'
  | 'graph'
  | 'node'
  | 'attribute'
  | 'tensor'
  | 'valueInfo'
  | 'type'
  | 'tensorType'
  | 'shape'
  | 'dim'
  | 'opset'
  | 'entry'
  | 'function'
  | 'sparse';

/** Length-delimited fields of each message kind that hold messages (field number -> kind). */
const CHILD: Record<MsgKind, Record<number, MsgKind>> = {
  model: { 7: 'graph', 8: 'opset', 14: 'entry', 25: 'function' },
  graph: { 1: 'node', 5: 'tensor', 11: 'valueInfo', 12: 'valueInfo', 13: 'valueInfo', 15: 'sparse', 16: 'entry' },
  function: { 7: 'node' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph' },
  tensor: { 13: 'entry' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  valueInfo: { 2: 'type' },
  type: { 1: 'tensorType', 8: 'tensorType' },
  tensorType: { 2: 'shape' },
  shape: { 1: 'dim' },
  dim: {},
  opset: {},
  entry: {},
};

export interface LocatedField extends Field {
  /** The message kind the field belongs to. */
  parent: MsgKind;
  depth: number;
  /** For length-delimited fields: where the length varint starts (the tag ends there). */
  lenAt: number;
  /** raw_data of a tensor: payload bytes, not structure. */
  payload: boolean;
}

/** All fields of the model's known messages, outermost first. */
export function locateFields(buf: Uint8Array): LocatedField[] {
  const out: LocatedField[] = [];
  const walk = (kind: MsgKind, start: number, end: number, depth: number) => {
    let fields: Field[];
    try {
      fields = readFields(buf, start, end);
    } catch {
      return;
    }
    for (const f of fields) {
      let lenAt = f.vstart;
      if (f.wt === WT_LEN) {
        try {
          lenAt = readVarint(buf, f.start, f.end)[1];
        } catch {
          continue;
        }
      }
      out.push({ ...f, parent: kind, depth, lenAt, payload: kind === 'tensor' && f.no === 9 });
      const child = f.wt === WT_LEN ? CHILD[kind][f.no] : undefined;
      if (child && depth < 200) walk(child, f.vstart, f.end, depth + 1);
    }
  };
  walk('model', 0, buf.length, 0);
  return out;
}

/** Byte ranges [start, end) that are structure (everything but raw_data payload values). */
export function structureRanges(buf: Uint8Array, fields: LocatedField[]): [number, number][] {
  const payloads = fields
    .filter((f) => f.payload)
    .map((f) => [f.vstart, f.end] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  let at = 0;
  for (const [s, e] of payloads) {
    if (s > at) out.push([at, s]);
    at = Math.max(at, e);
  }
  if (at < buf.length) out.push([at, buf.length]);
  return out;
}
