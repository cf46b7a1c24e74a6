/**
 * The identity of a model for the report cache: SHA-256 (hashBytes) of the model's bytes without its top-level
 * metadata_props. Our own outputs record their creation date there (provenance), so converting the same file twice
 * gives different files that compute exactly the same thing; metadata never changes what a model computes.
 * Anything that does not parse as ONNX at the top level is hashed whole. Pure (no DOM): used by the worker and tests.
 */
import { hashBytes } from '../batch/hashing.js';
import { MODEL } from '../onnx/model.js';
import { readFields } from '../onnx/wire.js';

export interface ModelDigest {
  sha256: string;
  /** "model": the ModelProto without metadata_props; "file": every byte (not parseable as ONNX). */
  scope: 'model' | 'file';
}

export async function modelDigest(bytes: Uint8Array): Promise<ModelDigest> {
  let parts: Uint8Array[] | null = null;
  try {
    const fields = readFields(bytes, 0, bytes.length);
    if (fields.some((f) => f.no === MODEL.graph)) parts = fields.filter((f) => f.no !== MODEL.metadataProps).map((f) => bytes.subarray(f.start, f.end));
  } catch {
    parts = null;
  }
  if (!parts) return { sha256: (await hashBytes(bytes)).sha256, scope: 'file' };
  return { sha256: (await hashBytes(parts)).sha256, scope: 'model' };
}
