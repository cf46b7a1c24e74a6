/** Helpers shared by the Q4 rewriters: new nodes, small int64 initializers, tensor reading for the jobs. */
import { DT } from '../../onnx/dtypes.js';
import type { AttrValue } from '../../onnx/encode.js';
import type { WInit, WNode } from '../../int8/graph.js';

/** onnx.helper.make_node for the nodes the rewriters emit (attributes are emitted sorted by name, as make_node does). */
export function mk(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: [string, AttrValue][] = [],
  domain = '',
): WNode {
  return { opType, domain, name, inputs, outputs, attrs };
}

/** numpy_helper.from_array(np.array(values, dtype=int64), name): dims [] for a scalar, [n] for a list. */
export function int64Init(name: string, v: number | number[]): WInit {
  const vals = Array.isArray(v) ? v : [v];
  const raw = new Uint8Array(vals.length * 8);
  const dv = new DataView(raw.buffer);
  vals.forEach((x, i) => dv.setBigInt64(i * 8, BigInt(x), true));
  return { name, dataType: DT.INT64, dims: Array.isArray(v) ? [v.length] : [], raw };
}

/** The little-endian bytes of a typed array (a view, no copy). */
export function bytesOf(a: Float32Array | Uint16Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The float types a 4-bit weight can come from (the scales keep it). */
export function scaleTypeOf(dataType: number): 'float32' | 'float16' | null {
  return dataType === DT.FLOAT ? 'float32' : dataType === DT.FLOAT16 ? 'float16' : null;
}
