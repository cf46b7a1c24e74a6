/**
 * FP16's predicted size (src/core/fp16): every float32 tensor — initializers of every graph and Constant values — at
 * 2 bytes per element. A weight the converter keeps in float32 (beyond float16's range, read by an op kept in float32
 * by policy.ts) makes the prediction slightly low; the Casts it inserts are left out.
 */
import { elementCount } from '../../onnx/dtypes.js';
import { DT } from '../../onnx/dtypes.js';
import { type InitializerTable, type Predictor, type TableEntry, predictWith } from '../predict.js';

/** Bytes of one tensor after FP16. */
export function fp16WeightBytes(w: Pick<TableEntry, 'dims' | 'dataType' | 'bytes'>): number {
  return w.dataType === DT.FLOAT ? elementCount(w.dims) * 2 : w.bytes;
}

/** FP16's output size for the table (its options do not change sizes the table can tell). */
export const predict: Predictor<object> = (table: InitializerTable) => predictWith(table, fp16WeightBytes);
