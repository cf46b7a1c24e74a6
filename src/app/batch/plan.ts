/**
 * The batch's pure parts: which dropped files are models and which are their siblings, the output names of every
 * model x mode (unique across the batch), the manifest and the per-output shareable reports of a finished batch,
 * and the hashes a "Verify a copy" can pick from.
 */
import type { Digests } from '../../core/batch/hashing.js';
import { createManifest, manifestOutput, type Manifest } from '../../core/batch/manifest.js';
import { MANIFEST_NAME } from '../../core/batch/manifest.js';
import { NamingError, outputName, uniqueNames, type NamingOptions, type NamingTemplate, type OutputMode } from '../../core/batch/naming.js';
import { buildShareableReport, type ShareableReport, type ToolInfo } from '../../core/share/report.js';
import { clip, LIMITS } from '../../core/share/schema.js';
import type { QualityReport } from '../../core/quality/report.js';
import type { QuantizeReport } from '../../../workers/quantize-protocol.js';
import { fileNameOf, folderOf, type PickedFile } from './entries.js';
import { TOOL } from '../../core/tool.js';

export const isModelPath = (path: string): boolean => /\.onnx$/i.test(path);

/** The other dropped files in the same folder as `path` (external data, tokenizer.json, …). */
export function siblingsOf(path: string, all: readonly PickedFile[]): PickedFile[] {
  const dir = folderOf(path);
  return all.filter((p) => p.path !== path && folderOf(p.path) === dir);
}

export interface BatchNaming {
  template: NamingTemplate;
  /** As typed; '' = none. */
  version: string;
}

export function namingOptions(n: BatchNaming): NamingOptions {
  return { template: n.template, version: n.template === 'suffix' && n.version.trim() ? n.version : null };
}

export interface PlannedNames {
  /** Output path per mode (only the modes asked for). */
  names: Partial<Record<OutputMode, string>>;
  /** Why this model cannot be named (e.g. a control character in its name), or null. */
  error: string | null;
}

/**
 * Where a model's output goes in the zip: beside its input, so the zip keeps the dropped folder structure
 * ("models/more/a.onnx" -> "models/more/a-INT8.onnx"; the transformers.js layout puts it in the model's onnx/ folder:
 * "repo/onnx/model.onnx" -> "repo/onnx/model_quantized.onnx", "repo/model.onnx" -> "repo/onnx/model_quantized.onnx").
 * Throws NamingError.
 */
export function outputPath(input: string, mode: OutputMode, naming: NamingOptions): string {
  const out = outputName(input, mode, naming);
  const dir = folderOf(input.replace(/\\/g, '/'));
  if (!dir) return out.path;
  const last = fileNameOf(dir).toLowerCase();
  return out.folder && last === out.folder.toLowerCase() ? `${dir}/${out.fileName}` : `${dir}/${out.path}`;
}

/**
 * Output paths for every model (in order) and mode, made unique across the batch (case-insensitively; manifest.json
 * is reserved). A model whose name cannot be used gets an error instead.
 */
export function planNames(paths: readonly string[], modes: readonly OutputMode[], naming: NamingOptions): PlannedNames[] {
  const raw: { i: number; mode: OutputMode; path: string }[] = [];
  const out: PlannedNames[] = paths.map(() => ({ names: {}, error: null }));
  paths.forEach((p, i) => {
    for (const mode of modes) {
      try {
        raw.push({ i, mode, path: outputPath(p, mode, naming) });
      } catch (e) {
        if (!(e instanceof NamingError)) throw e;
        out[i]!.error = e.message;
      }
    }
  });
  const unique = uniqueNames(
    raw.map((r) => r.path),
    [MANIFEST_NAME],
  );
  raw.forEach((r, k) => {
    if (!out[r.i]!.error) out[r.i]!.names[r.mode] = unique[k]!;
  });
  for (const o of out) if (o.error) o.names = {};
  return out;
}

/** One finished output of a batch row. */
export interface BatchOutput {
  mode: OutputMode;
  /** Path inside the zip. */
  name: string;
  digests: Digests;
  report: QuantizeReport;
}

/** What one row of a batch came to. */
export interface RowOutcome {
  /** Input path as dropped. */
  path: string;
  /** Input size and hashes, when it was read. */
  input: Digests | null;
  outputs: BatchOutput[];
  /** Set when the row was not processed (already quantized, not a model, …). */
  skipped: string | null;
  /** Outputs not made because the mode would rewrite nothing: "INT8 skipped: nothing to quantize: …". */
  skippedOutputs: string[];
  /** "FP16 failed: …" for each mode that failed. */
  failures: string[];
}

/** manifest.json for a finished batch: hashed inputs, outputs, and skipped / failed files with why. */
export function batchManifest(rows: readonly RowOutcome[], tool: ToolInfo, createdAt: string): Manifest {
  const inputs = rows
    .filter((r) => r.input)
    .map((r) => ({ name: r.path, bytes: r.input!.bytes, sha256: r.input!.sha256, md5: r.input!.md5 }));
  const outputs = rows.flatMap((r) =>
    r.input
      ? r.outputs.map((o) =>
          manifestOutput({
            file: { name: o.name, bytes: o.digests.bytes, sha256: o.digests.sha256, md5: o.digests.md5 },
            source: r.path,
            report: o.report,
          }),
        )
      : [],
  );
  const skipped = rows.flatMap((r) => [
    ...(r.skipped !== null ? [{ name: r.path, reason: clip(r.skipped, LIMITS.text) }] : []),
    ...r.skippedOutputs.map((s) => ({ name: r.path, reason: clip(s, LIMITS.text) })),
    ...r.failures.map((f) => ({ name: r.path, reason: clip(f, LIMITS.text) })),
  ]);
  return createManifest({ tool, createdAt, inputs, outputs, skipped });
}

/** The shareable report of one batch output (with its quality check, when one was run). */
export function outputReport(
  row: RowOutcome,
  o: BatchOutput,
  tool: ToolInfo,
  createdAt: string,
  quality: QualityReport | null = null,
): ShareableReport {
  const i = row.input;
  return buildShareableReport({
    tool,
    createdAt,
    source: { name: clip(row.path, LIMITS.name), bytes: i?.bytes ?? o.report.inputBytes, sha256: i?.sha256 ?? null, md5: i?.md5 ?? null },
    output: { name: clip(o.name, LIMITS.name), bytes: o.digests.bytes, sha256: o.digests.sha256, md5: o.digests.md5 },
    report: o.report,
    quality,
  });
}

export interface RecordedHash {
  /** e.g. "model-INT8.onnx (output) · SHA-256" */
  label: string;
  /** The hex value, as verifyHash reads it. */
  value: string;
}

/** Every SHA-256 / MD5 a batch or a history entry recorded, for the "Verify a copy" picker (deduplicated). */
export function recordedHashes(
  files: readonly { name: string; role: string; sha256: string | null; md5: string | null }[],
): RecordedHash[] {
  const seen = new Set<string>();
  const out: RecordedHash[] = [];
  for (const f of files) {
    for (const [alg, hex] of [
      ['SHA-256', f.sha256],
      ['MD5', f.md5],
    ] as const) {
      if (!hex || seen.has(`${alg}:${hex}:${f.name}`)) continue;
      seen.add(`${alg}:${hex}:${f.name}`);
      out.push({ label: `${fileNameOf(f.name)} (${f.role}) · ${alg}`, value: hex });
    }
  }
  return out;
}

/** "ava-quantizer-batch-2025-01-31-120000.zip" (local time of `d`). */
export function zipFileName(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${TOOL.name}-batch-${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.zip`;
}
