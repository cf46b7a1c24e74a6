/** ONNX TensorProto.DataType: names and storage sizes (bits per element). */
export const DT = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11,
  UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16, FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20, UINT4: 21, INT4: 22, FLOAT4E2M1: 23, FLOAT8E8M0: 24, UINT2: 25, INT2: 26,
} as const;

const INFO: Record<number, [string, number]> = {
  1: ['float', 32], 2: ['uint8', 8], 3: ['int8', 8], 4: ['uint16', 16], 5: ['int16', 16], 6: ['int32', 32],
  7: ['int64', 64], 8: ['string', 0], 9: ['bool', 8], 10: ['float16', 16], 11: ['double', 64], 12: ['uint32', 32],
  13: ['uint64', 64], 14: ['complex64', 64], 15: ['complex128', 128], 16: ['bfloat16', 16], 17: ['float8e4m3fn', 8],
  18: ['float8e4m3fnuz', 8], 19: ['float8e5m2', 8], 20: ['float8e5m2fnuz', 8], 21: ['uint4', 4], 22: ['int4', 4],
  23: ['float4e2m1', 4], 24: ['float8e8m0', 8], 25: ['uint2', 2], 26: ['int2', 2],
};

/** True for a TensorProto.DataType this tool knows (1..26; 0 is UNDEFINED). */
export function isElementType(t: number): boolean {
  return Object.hasOwn(INFO, t);
}

export function dtypeName(t: number): string {
  return INFO[t]?.[0] ?? (t === 0 ? 'undefined' : `type ${t}`);
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
