/**
 * What an output model records about where it came from, beside the mode's own options: the source file and its
 * SHA-256, the tool version and the date. Callers (the worker, the CLI) supply it so the quantizers stay
 * deterministic: the same input, options and provenance give the same bytes.
 */
import { encodeStringEntry } from './onnx/encode.js';
import { MODEL } from './onnx/model.js';
import { type Part, concatParts, flatten, lazyComputed, lenField, partsSize } from './onnx/writer.js';

export interface OutputProvenance {
  /**
   * The source file's SHA-256 (lowercase hex). A promise lets hashing run beside the work: the metadata entry is
   * then written last-minute, when the writer reaches it (its length is known: 64 hex digits either way).
   */
  source: { name: string; sha256: string | null | Promise<string> };
  toolVersion: string;
  /** ISO 8601. */
  date: string;
}

const PENDING = '0'.repeat(64);

/** The fields merged into the `ava.quantization` / `ava.conversion` JSON (read back by core/batch/metadata.ts). */
export function provenanceFields(p: OutputProvenance | undefined, sha256?: string | null): Record<string, unknown> {
  if (!p) return {};
  const sha = sha256 !== undefined ? sha256 : typeof p.source.sha256 === 'string' || p.source.sha256 === null ? p.source.sha256 : PENDING;
  return { toolVersion: p.toolVersion, source: { name: p.source.name, sha256: sha }, date: p.date };
}

/**
 * The model's metadata_props entry `key` = JSON of `record` plus the provenance fields. When the source's SHA-256
 * is still being computed, the entry is a lazy part of the same length that waits for it.
 */
export function metadataEntry(key: string, record: Record<string, unknown>, p: OutputProvenance | undefined): Part {
  const entry = (sha?: string | null): Part => lenField(MODEL.metadataProps, encodeStringEntry(key, JSON.stringify({ ...record, ...provenanceFields(p, sha) })));
  const sha = p?.source.sha256;
  if (!(sha instanceof Promise)) return entry();
  const placeholder = entry(PENDING);
  return lazyComputed(partsSize([placeholder]), async () => {
    const hex = await sha;
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`internal error: a SHA-256 of ${hex.length} characters`);
    const parts = flatten([entry(hex)]);
    return concatParts(parts);
  }, key);
}
