/**
 * manifest.json: what a batch read and wrote, written into "Download all" zips and by the CLI batch.
 *
 *   createManifest({ tool, createdAt?, inputs, outputs, skipped? }) -> Manifest   (validated; throws ManifestError)
 *   manifestOutput({ file, source, report, quality? }) -> ManifestOutput        (from any mode's report)
 *   manifestToJson(manifest) -> string      (validated, stable key order, 2-space indent, trailing newline)
 *   parseManifest(text) -> Manifest         (throws ManifestError naming the bad field)
 *   validateManifest(unknown) -> Manifest   (normalised copy)      isManifest(unknown) -> boolean
 *
 * Key order is the schema's (MANIFEST_SCHEMA), option maps are sorted: the same run gives byte-identical JSON.
 * The summaries (ConversionSummary, QualitySummary, Settings) are the ones of the shareable report
 * (../share/report.ts), so a manifest entry and a share link say the same thing. Version 1 manifests (made before
 * the reports were unified) are read and upgraded.
 */
import { AvaError } from '../errors.js';
import { MODE_IDS, type ModeId, type ModeReport } from '../modes/registry.js';
import type { QualityReport } from '../quality/report.js';
import {
  CONVERSION_SCHEMA,
  CONVERSION_SCHEMA_V1,
  type ConversionSummary,
  QUALITY_SCHEMA,
  type QualitySummary,
  SETTINGS_SCHEMA,
  type Settings,
  TOOL_SCHEMA,
  type ToolInfo,
  settingsOf,
  summarizeConversion,
  summarizeQuality,
  upgradeConversionV1,
} from '../share/report.js';
import {
  LIMITS,
  type Schema,
  SchemaError,
  arr,
  count,
  createdAtIso,
  isoDate,
  lit,
  md5,
  nullable,
  obj,
  sha256,
  str,
} from '../share/schema.js';

export const MANIFEST_FORMAT = 'ava-quantizer-manifest';
export const MANIFEST_VERSION = 2;
export const MANIFEST_NAME = 'manifest.json';

export interface ManifestFile {
  /** Input: the name as dropped / given; output: the path inside the zip or output folder. */
  name: string;
  bytes: number;
  sha256: string;
  md5: string;
}

export type ManifestInput = ManifestFile;

export interface ManifestOutput extends ManifestFile {
  /** Name of the input it was made from (one of Manifest.inputs). */
  source: string;
  mode: ModeId;
  preset: string | null;
  options: Settings;
  report: ConversionSummary;
  quality: QualitySummary | null;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  tool: ToolInfo;
  createdAt: string;
  inputs: ManifestInput[];
  outputs: ManifestOutput[];
  /** Inputs the batch did not process, with why (already quantized, not a model, …). */
  skipped: { name: string; reason: string }[];
}

/** kind 'zip' (src/core/errors.ts). */
export class ManifestError extends AvaError {
  override name = 'ManifestError';
  constructor(message: string) {
    super('zip', message);
  }
}

const name = str(LIMITS.name, { min: 1 });
const MAX_FILES = 10_000;

function manifestSchema<V extends number, M extends string, R>(version: V, mode: Schema<M>, report: Schema<R>) {
  return obj({
    format: lit(MANIFEST_FORMAT),
    version: lit(version),
    tool: TOOL_SCHEMA,
    createdAt: isoDate,
    inputs: arr(obj({ name, bytes: count, sha256, md5 }), MAX_FILES),
    outputs: arr(
      obj({
        name,
        bytes: count,
        sha256,
        md5,
        source: name,
        mode,
        preset: nullable(str(LIMITS.short)),
        options: SETTINGS_SCHEMA,
        report,
        quality: nullable(QUALITY_SCHEMA),
      }),
      MAX_FILES,
    ),
    skipped: arr(obj({ name, reason: str(LIMITS.text) }), MAX_FILES),
  });
}
const MANIFEST_SCHEMA_V2: Schema<Manifest> = manifestSchema(MANIFEST_VERSION, lit(...MODE_IDS), CONVERSION_SCHEMA);
const MANIFEST_SCHEMA_V1 = manifestSchema(1, lit('int8', 'fp16'), CONVERSION_SCHEMA_V1);

/** A manifest of this version, or of version 1 upgraded to this one. */
export const MANIFEST_SCHEMA: Schema<Manifest> = (v, path) => {
  if (v && typeof v === 'object' && (v as { version?: unknown }).version === 1) {
    const old = MANIFEST_SCHEMA_V1(v, path);
    return { ...old, version: MANIFEST_VERSION, outputs: old.outputs.map((o) => ({ ...o, report: upgradeConversionV1(o.report) })) };
  }
  return MANIFEST_SCHEMA_V2(v, path);
};

/** Validates an untrusted manifest and checks it is consistent; returns a normalised copy. Throws ManifestError. */
export function validateManifest(x: unknown): Manifest {
  let m: Manifest;
  try {
    m = MANIFEST_SCHEMA(x, '');
  } catch (e) {
    if (e instanceof SchemaError) throw new ManifestError(`invalid manifest: ${e.message}`);
    throw e;
  }
  const inputs = new Set(m.inputs.map((i) => i.name));
  const seen = new Set<string>();
  m.outputs.forEach((o, i) => {
    if (!inputs.has(o.source))
      throw new ManifestError(`invalid manifest: outputs[${i}].source ${JSON.stringify(o.source)} is not one of the inputs`);
    if (o.report.outputBytes !== o.bytes)
      throw new ManifestError(`invalid manifest: outputs[${i}] has ${o.bytes} bytes but its report says ${o.report.outputBytes}`);
    const key = o.name.toLowerCase();
    if (seen.has(key)) throw new ManifestError(`invalid manifest: output name ${JSON.stringify(o.name)} appears twice`);
    seen.add(key);
  });
  return m;
}

export function isManifest(x: unknown): x is Manifest {
  try {
    validateManifest(x);
    return true;
  } catch {
    return false;
  }
}

export function manifestToJson(m: Manifest): string {
  return `${JSON.stringify(validateManifest(m), null, 2)}\n`;
}

export function parseManifest(text: string): Manifest {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`manifest.json is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return validateManifest(x);
}

export interface ManifestOutputInput {
  /** Output path, size and hashes (bytes must equal the report's output size). */
  file: ManifestFile;
  /** Input name it was made from. */
  source: string;
  report: ModeReport;
  quality?: QualityReport | null;
}

/** One output entry from the quantizer's / converter's report (and the quality report, when checked). */
export function manifestOutput(o: ManifestOutputInput): ManifestOutput {
  const { preset, options } = settingsOf(o.report);
  return {
    ...o.file,
    source: o.source,
    mode: o.report.mode,
    preset,
    options,
    report: summarizeConversion(o.report),
    quality: o.quality ? summarizeQuality(o.quality) : null,
  };
}

export interface ManifestInit {
  tool: ToolInfo;
  /** Default: now. */
  createdAt?: Date | string;
  inputs: ManifestInput[];
  outputs: ManifestOutput[];
  skipped?: { name: string; reason: string }[];
}

export function createManifest(init: ManifestInit): Manifest {
  const createdAt = createdAtIso(init.createdAt);
  return validateManifest({
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    tool: init.tool,
    createdAt,
    inputs: init.inputs,
    outputs: init.outputs,
    skipped: init.skipped ?? [],
  });
}

/**
 * A batch run's manifest merged into the one already in its output folder: this run's outputs replace earlier
 * entries with the same output name (compared case-insensitively, as validateManifest does); earlier outputs stay
 * when `stillThere(name)` says their file is still in the folder; inputs are this run's plus the earlier ones a kept
 * output was made from (this run's win on a name clash); `skipped` is this run's. Pure; the result is validated.
 */
export function mergeManifest(earlier: Manifest, run: Manifest, stillThere: (outputName: string) => boolean): Manifest {
  const mine = new Set(run.outputs.map((o) => o.name.toLowerCase()));
  const kept = earlier.outputs.filter((o) => !mine.has(o.name.toLowerCase()) && stillThere(o.name));
  const runInputs = new Set(run.inputs.map((i) => i.name));
  const sources = new Set(kept.map((o) => o.source));
  return validateManifest({
    ...run,
    inputs: [...earlier.inputs.filter((i) => sources.has(i.name) && !runInputs.has(i.name)), ...run.inputs],
    outputs: [...kept, ...run.outputs],
  });
}
