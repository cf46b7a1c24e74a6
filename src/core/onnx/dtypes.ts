import { ENUM } from './schema.generated.js';

/** ONNX TensorProto.DataType (generated from onnx.proto: DT.FLOAT = 1, …, DT.UNDEFINED = 0). */
export const DT = ENUM.TensorProto_DataType;

/** Names and storage sizes (bits per element) of the element types this tool knows. */
const INFO: Record<number, [string, number]> = {
  [DT.FLOAT]: ['float', 32],
  [DT.UINT8]: ['uint8', 8],
  [DT.INT8]: ['int8', 8],
  [DT.UINT16]: ['uint16', 16],
  [DT.INT16]: ['int16', 16],
  [DT.INT32]: ['int32', 32],
  [DT.INT64]: ['int64', 64],
  [DT.STRING]: ['string', 0],
  [DT.BOOL]: ['bool', 8],
  [DT.FLOAT16]: ['float16', 16],
  [DT.DOUBLE]: ['double', 64],
  [DT.UINT32]: ['uint32', 32],
  [DT.UINT64]: ['uint64', 64],
  [DT.COMPLEX64]: ['complex64', 64],
  [DT.COMPLEX128]: ['complex128', 128],
  [DT.BFLOAT16]: ['bfloat16', 16],
  [DT.FLOAT8E4M3FN]: ['float8e4m3fn', 8],
  [DT.FLOAT8E4M3FNUZ]: ['float8e4m3fnuz', 8],
  [DT.FLOAT8E5M2]: ['float8e5m2', 8],
  [DT.FLOAT8E5M2FNUZ]: ['float8e5m2fnuz', 8],
  [DT.UINT4]: ['uint4', 4],
  [DT.INT4]: ['int4', 4],
  [DT.FLOAT4E2M1]: ['float4e2m1', 4],
  [DT.FLOAT8E8M0]: ['float8e8m0', 8],
  [DT.UINT2]: ['uint2', 2],
  [DT.INT2]: ['int2', 2],
};

/** True for a TensorProto.DataType this tool knows (1..26; 0 is UNDEFINED). */
export function isElementType(t: number): boolean {
  return Object.hasOwn(INFO, t);
}

export function dtypeName(t: number): string {
  return INFO[t]?.[0] ?? (t === DT.UNDEFINED ? 'undefined' : `type ${t}`);
}

/** Bits per element; 0 for strings and unknown types. */
export function dtypeBits(t: number): number {
  return INFO[t]?.[1] ?? 0;
}

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
