/**
 * What an output model records about where it came from, beside the mode's own options: the source file and its
 * SHA-256, the tool version and the date. Callers (the worker, the CLI) supply it so the quantizers stay
 * deterministic: the same input, options and provenance give the same bytes.
 */
export interface OutputProvenance {
  source: { name: string; sha256: string | null };
  toolVersion: string;
  /** ISO 8601. */
  date: string;
}

/** The fields merged into the `ava.quantization` / `ava.conversion` JSON (read back by core/batch/metadata.ts). */
export function provenanceFields(p: OutputProvenance | undefined): Record<string, unknown> {
  return p ? { toolVersion: p.toolVersion, source: { name: p.source.name, sha256: p.source.sha256 }, date: p.date } : {};
}
