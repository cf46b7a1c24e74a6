/**
 * The one "shareable report": what a quantization run produced and how good it is, small enough for a URL
 * fragment (no model bytes, no per-text results) and plain JSON (structured-clone safe).
 *
 *   buildShareableReport({ tool, source, output, report, quality }) -> ShareableReport   (from the run's reports)
 *   summarizeConversion(modeReport) -> ConversionSummary   (the report base every mode shares + the mode's facts)
 *   settingsOf(modeReport) -> { preset, options }
 *   summarizeQuality(qualityReport) -> QualitySummary
 *   validateReport(unknown) -> ShareableReport        (throws SchemaError; returns a normalised copy)
 *   reportToJson(report) -> string                    (validated, stable key order, 2-space indent)
 *
 * Every string is length-capped and every number finite (see REPORT_SCHEMA): the same schema guards share links
 * (link.ts) and the manifests written next to batch outputs (../batch/manifest.ts). Strings that come from models
 * or file names are untrusted: render them as text, or through reportToMarkdown (markdown.ts), which escapes them.
 *
 * Version 2 names the conversion as every mode's report does (inputBytes, outputBytes, durationMs, rewritten,
 * keptInFloat; the mode's own numbers in `facts`, labelled by its meta's reportFacts). Version 1 documents (links
 * and history entries made before) are still read: validateReport upgrades them (upgradeV1).
 */
import { MODE_IDS, type ModeId, type ModeReport, modeMeta } from '../modes/registry.js';
import type { QualityReport } from '../quality/report.js';
import { compareBackendReports } from '../quality/compare.js';
import type { ToolInfo } from '../tool.js';
import {
  LIMITS,
  type Schema,
  createdAtIso,
  SchemaError,
  arr,
  bool,
  clip,
  count,
  isoDate,
  lit,
  md5,
  nullable,
  num,
  obj,
  oneOf,
  record,
  sha256,
  str,
} from './schema.js';

export const REPORT_FORMAT = 'ava-quantizer-report';
/** 3: the quality check's one-line headline, every backend's result and their agreement. */
export const REPORT_VERSION = 3;

/** An output mode (src/core/modes/registry.ts). */
export type OutputMode = ModeId;
export type SettingValue = string | number | boolean | null | string[];
/** Options as shown to people: flat, JSON-safe, sorted by key. */
export type Settings = Record<string, SettingValue>;

export type { ToolInfo };

export interface FileFacts {
  name: string;
  bytes: number;
  /** Lowercase hex; null when not computed. */
  sha256: string | null;
  md5: string | null;
}

export interface ConversionSummary {
  inputBytes: number;
  outputBytes: number;
  /** (1 - output/input) × 100, two decimals; negative when the output is larger. */
  reductionPercent: number;
  durationMs: number;
  /** Original nodes rewritten, by op type. */
  rewritten: Record<string, number>;
  /** Nodes left in float, by op type. */
  keptInFloat: Record<string, number>;
  /** The mode's own numbers (meta.reportFacts: e.g. INT8 tensorsQuantized, opset; FP16 castsInserted, clamped). */
  facts: Record<string, number>;
  notes: string[];
}

export interface QualitySummary {
  verdict: {
    pass: boolean;
    metric: string;
    value: number | null;
    threshold: number;
    reasons: string[];
    warnings: string[];
  };
  cosine: { count: number; mean: number | null; min: number | null; p5: number | null; median: number | null; max: number | null } | null;
  histogram: { lo: number; hi: number; counts: number[] } | null;
  /** Mean / min overlap of the original and quantized top-k documents, per retrieval set and k. */
  topK: { set: string; k: number; mean: number; min: number }[];
  /** Backend label, e.g. "onnxruntime-web wasm". */
  backend: string;
  /** Execution providers that ran (or were requested when that is unknown). */
  providers: string[];
  texts: number;
  tokenization: 'tokenizer' | 'random-ids';
  /** Fatal problems of the check. */
  errors: string[];
  /** The answer in one line ("99.6% similar · same top result for 21 of 21 searches — safe to ship"); '' in version 2 reports. */
  headline: string;
}

/** Whether two backends' checks agree (core/quality/compare.ts), as shared. */
export interface BackendAgreement {
  agree: boolean;
  /** What differs, when they disagree. */
  flags: string[];
  meanCosineDelta: number | null;
  maxItemCosineDelta: number | null;
}

export interface ShareableReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  tool: ToolInfo;
  createdAt: string;
  source: FileFacts;
  output: FileFacts;
  mode: ModeId;
  preset: string | null;
  options: Settings;
  conversion: ConversionSummary;
  /** The primary quality check (WASM, or the quick check), null when none ran. */
  quality: QualitySummary | null;
  /** The same check on the other backends (WebGPU). */
  otherBackends: QualitySummary[];
  /** The primary vs the first other backend, when both completed. */
  agreement: BackendAgreement | null;
}

// ---- schema ------------------------------------------------------------------------------------------------

const name = str(LIMITS.name, { min: 1 });
const text = str(LIMITS.text);
const short = str(LIMITS.short);
const notes = arr(text, LIMITS.notes);
const cos = num({ min: -1.01, max: 1.01 });
const frac = num({ min: 0, max: 1 });

export const TOOL_SCHEMA: Schema<ToolInfo> = obj({ name: str(100, { min: 1 }), version: str(100) });
export const FILE_SCHEMA: Schema<FileFacts> = obj({ name, bytes: count, sha256: nullable(sha256), md5: nullable(md5) });
export const SETTINGS_SCHEMA: Schema<Settings> = record<SettingValue>(
  oneOf<SettingValue>(
    'a string, number, true/false, null or a list of strings',
    nullable(short),
    num(),
    bool,
    arr(short, LIMITS.listItems),
  ),
  LIMITS.optionKeys,
);
const opCounts = record(count, 500);

export const CONVERSION_SCHEMA: Schema<ConversionSummary> = obj({
  inputBytes: count,
  outputBytes: count,
  reductionPercent: num({ min: -1e9, max: 100 }),
  durationMs: num({ min: 0 }),
  rewritten: opCounts,
  keptInFloat: opCounts,
  facts: record(num(), 50),
  notes,
});

/** Version 1's conversion summary (read, then upgraded: upgradeConversionV1). */
export const CONVERSION_SCHEMA_V1 = obj({
  originalBytes: count,
  outputBytes: count,
  reductionPercent: num({ min: -1e9, max: 100 }),
  timeMs: num({ min: 0 }),
  int8: nullable(obj({ tensorsQuantized: count, rewritten: opCounts, leftInFloat: count, opset: count })),
  fp16: nullable(
    obj({ tensorsConverted: count, nodesConverted: count, nodesKeptFp32: count, castsInserted: count, clamped: count, keptOps: opCounts }),
  ),
  notes,
});
export type ConversionSummaryV1 = ReturnType<typeof CONVERSION_SCHEMA_V1>;

/** What version 1 said, under version 2's names (INT8 v1 counted the nodes left in float without their op types). */
export function upgradeConversionV1(c: ConversionSummaryV1): ConversionSummary {
  const facts: Record<string, number> = {};
  let rewritten: Record<string, number> = {};
  let keptInFloat: Record<string, number> = {};
  if (c.int8) {
    facts.tensorsQuantized = c.int8.tensorsQuantized;
    facts.opset = c.int8.opset;
    rewritten = c.int8.rewritten;
    if (c.int8.leftInFloat) keptInFloat = { '(op types not recorded)': c.int8.leftInFloat };
  }
  if (c.fp16) {
    const { keptOps, ...rest } = c.fp16;
    Object.assign(facts, rest);
    keptInFloat = keptOps;
  }
  return CONVERSION_SCHEMA(
    {
      inputBytes: c.originalBytes,
      outputBytes: c.outputBytes,
      reductionPercent: c.reductionPercent,
      durationMs: c.timeMs,
      rewritten,
      keptInFloat,
      facts,
      notes: c.notes,
    },
    'conversion',
  );
}

const QUALITY_FIELDS_V2 = {
  verdict: obj({ pass: bool, metric: short, value: nullable(cos), threshold: num({ min: -1, max: 1 }), reasons: notes, warnings: notes }),
  cosine: nullable(obj({ count, mean: nullable(cos), min: nullable(cos), p5: nullable(cos), median: nullable(cos), max: nullable(cos) })),
  histogram: nullable(obj({ lo: num(), hi: num(), counts: arr(count, 1000) })),
  topK: arr(obj({ set: short, k: num({ min: 1, max: 100000, int: true }), mean: frac, min: frac }), 200),
  backend: short,
  providers: arr(short, 20),
  texts: count,
  tokenization: lit('tokenizer', 'random-ids'),
  errors: notes,
};
/** Version 2's quality summary (no headline). */
export const QUALITY_SCHEMA_V2 = obj(QUALITY_FIELDS_V2);
export const QUALITY_SCHEMA: Schema<QualitySummary> = obj({ ...QUALITY_FIELDS_V2, headline: text });
const AGREEMENT_SCHEMA: Schema<BackendAgreement> = obj({
  agree: bool,
  flags: notes,
  meanCosineDelta: nullable(num({ min: 0, max: 2.02 })),
  maxItemCosineDelta: nullable(num({ min: 0, max: 2.02 })),
});

const REPORT_FIELDS = {
  format: lit(REPORT_FORMAT),
  tool: TOOL_SCHEMA,
  createdAt: isoDate,
  source: FILE_SCHEMA,
  output: FILE_SCHEMA,
  preset: nullable(short),
  options: SETTINGS_SCHEMA,
};
const REPORT_SCHEMA_V3: Schema<ShareableReport> = obj({
  format: REPORT_FIELDS.format,
  version: lit(REPORT_VERSION),
  tool: REPORT_FIELDS.tool,
  createdAt: REPORT_FIELDS.createdAt,
  source: REPORT_FIELDS.source,
  output: REPORT_FIELDS.output,
  mode: lit(...MODE_IDS),
  preset: REPORT_FIELDS.preset,
  options: REPORT_FIELDS.options,
  conversion: CONVERSION_SCHEMA,
  quality: nullable(QUALITY_SCHEMA),
  otherBackends: arr(QUALITY_SCHEMA, 4),
  agreement: nullable(AGREEMENT_SCHEMA),
});
const REPORT_SCHEMA_V2 = obj({
  format: REPORT_FIELDS.format,
  version: lit(2),
  tool: REPORT_FIELDS.tool,
  createdAt: REPORT_FIELDS.createdAt,
  source: REPORT_FIELDS.source,
  output: REPORT_FIELDS.output,
  mode: lit(...MODE_IDS),
  preset: REPORT_FIELDS.preset,
  options: REPORT_FIELDS.options,
  conversion: CONVERSION_SCHEMA,
  quality: nullable(QUALITY_SCHEMA_V2),
});
const REPORT_SCHEMA_V1 = obj({
  format: REPORT_FIELDS.format,
  version: lit(1),
  tool: REPORT_FIELDS.tool,
  createdAt: REPORT_FIELDS.createdAt,
  source: REPORT_FIELDS.source,
  output: REPORT_FIELDS.output,
  mode: lit('int8', 'fp16'),
  preset: REPORT_FIELDS.preset,
  options: REPORT_FIELDS.options,
  conversion: CONVERSION_SCHEMA_V1,
  quality: nullable(QUALITY_SCHEMA_V2),
});

/** A version 2 report under version 3's fields: no headline, no other backends, no agreement. */
function upgradeV2(r: ReturnType<typeof REPORT_SCHEMA_V2>): ShareableReport {
  return { ...r, version: REPORT_VERSION, quality: r.quality ? { ...r.quality, headline: '' } : null, otherBackends: [], agreement: null };
}

/** A report of this version, or of version 1 or 2 upgraded to this one (links and history entries made before). */
export const REPORT_SCHEMA: Schema<ShareableReport> = (v, path) => {
  const version = v && typeof v === 'object' ? (v as { version?: unknown }).version : undefined;
  if (version === 1) {
    const old = REPORT_SCHEMA_V1(v, path);
    return upgradeV2({ ...old, version: 2, conversion: upgradeConversionV1(old.conversion) });
  }
  if (version === 2) return upgradeV2(REPORT_SCHEMA_V2(v, path));
  return REPORT_SCHEMA_V3(v, path);
};

/** Checks every field of an untrusted report; returns a normalised copy (stable key order). Throws SchemaError. */
export function validateReport(x: unknown): ShareableReport {
  return REPORT_SCHEMA(x, '');
}

/** Pretty, stable JSON of a (validated) report, ending in a newline. Throws SchemaError for an invalid report. */
export function reportToJson(report: ShareableReport): string {
  return `${JSON.stringify(validateReport(report), null, 2)}\n`;
}

// ---- building from the run's reports ------------------------------------------------------------------------

const clipList = (xs: readonly string[], max: number, len: number): string[] => {
  const out = xs.slice(0, max).map((s) => clip(String(s), len));
  if (xs.length > max) out[max - 1] = `… and ${xs.length - max + 1} more`;
  return out;
};

/** Any options object -> Settings: scalars kept, string lists clipped, other values shown as JSON text. */
export function toSettings(options: Record<string, unknown>): Settings {
  const out: Settings = {};
  for (const k of Object.keys(options).sort().slice(0, LIMITS.optionKeys)) {
    if (k === '__proto__' || k.length > 100) continue;
    const v = options[k];
    if (v === undefined) continue;
    if (v === null || typeof v === 'boolean') out[k] = v;
    else if (typeof v === 'number') out[k] = Number.isFinite(v) ? v : String(v);
    else if (typeof v === 'string') out[k] = clip(v, LIMITS.short);
    else if (Array.isArray(v))
      out[k] = clipList(
        v.map((x) => (typeof x === 'string' ? x : (JSON.stringify(x) ?? String(x)))),
        LIMITS.listItems,
        LIMITS.short,
      );
    else out[k] = clip(JSON.stringify(v) ?? String(v), LIMITS.short);
  }
  return out;
}

/** The preset and options a report was made with (FP16's constant default block list is left out). */
export function settingsOf(report: ModeReport): { preset: string | null; options: Settings } {
  const { preset, defaultOpBlockList: _d, ...rest } = report.options as unknown as Record<string, unknown>;
  return { preset: typeof preset === 'string' ? preset : null, options: toSettings(rest) };
}

export function reductionPercent(inputBytes: number, outputBytes: number): number {
  if (!(inputBytes > 0)) return 0;
  return Math.round((1 - outputBytes / inputBytes) * 10000) / 100;
}

/** Reads `a.b.c` from a report (meta.reportFacts paths). */
function at(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((x, k) => (x && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), o);
}

/** The summary of any mode's report: the shared base, the op counts, and the mode's facts (meta.reportFacts). */
export function summarizeConversion(report: ModeReport): ConversionSummary {
  const keptInFloat: Record<string, number> = {};
  for (const k of report.keptInFloat) keptInFloat[k.opType] = (keptInFloat[k.opType] ?? 0) + k.count;
  const facts: Record<string, number> = {};
  for (const f of modeMeta(report.mode).reportFacts) {
    const v = at(report, f.path);
    if (typeof v === 'number' && Number.isFinite(v)) facts[f.key] = v;
  }
  return {
    inputBytes: report.inputBytes,
    outputBytes: report.outputBytes,
    reductionPercent: reductionPercent(report.inputBytes, report.outputBytes),
    durationMs: Math.max(0, Math.round(report.durationMs)),
    rewritten: { ...report.rewritten },
    keptInFloat,
    facts,
    notes: clipList(report.notes, LIMITS.notes, LIMITS.text),
  };
}

export function summarizeQuality(q: QualityReport): QualitySummary {
  const c = q.cosine;
  return {
    verdict: {
      pass: q.verdict.pass,
      metric: q.verdict.metric,
      value: q.verdict.value,
      threshold: q.verdict.threshold,
      reasons: clipList(q.verdict.reasons, LIMITS.notes, LIMITS.text),
      warnings: clipList(q.verdict.warnings, LIMITS.notes, LIMITS.text),
    },
    cosine: c ? { count: c.count, mean: c.mean, min: c.min, p5: c.p5, median: c.median, max: c.max } : null,
    histogram: c ? { lo: c.histogram.lo, hi: c.histogram.hi, counts: [...c.histogram.counts] } : null,
    topK: q.retrieval.sets
      .flatMap((s) => s.overlap.map((o) => ({ set: clip(s.id, LIMITS.short), k: o.k, mean: o.mean, min: o.min })))
      .slice(0, 200),
    backend: clip(q.backend.label, LIMITS.short),
    providers: clipList(q.backend.ranProviders ?? q.backend.requestedProviders, 20, LIMITS.short),
    texts: q.tokenization.texts,
    tokenization: q.tokenization.mode,
    errors: clipList(q.errors, LIMITS.notes, LIMITS.text),
    headline: clip(q.verdict.headline ?? '', LIMITS.text),
  };
}

/** Whether two backends' reports agree (compareBackendReports), as shared; null unless both completed. */
export function agreementOf(a: QualityReport, b: QualityReport): BackendAgreement | null {
  if (a.errors.length || b.errors.length || !a.cosine || !b.cosine) return null;
  const c = compareBackendReports(a, b);
  return {
    agree: c.agree,
    flags: clipList(c.flags, LIMITS.notes, LIMITS.text),
    meanCosineDelta: c.meanCosineDelta,
    maxItemCosineDelta: c.maxItemCosineDelta,
  };
}

export interface ShareableReportInput {
  tool: ToolInfo;
  /** Default: now. */
  createdAt?: Date | string;
  source: FileFacts;
  /** bytes default to the report's output size. */
  output: Omit<FileFacts, 'bytes'> & { bytes?: number };
  report: ModeReport;
  quality?: QualityReport | null;
  /** The same check on other backends (WebGPU). */
  otherQuality?: QualityReport[];
}

/** Assembles and validates a report (throws SchemaError when an input is out of bounds, e.g. a 600-character name). */
export function buildShareableReport(input: ShareableReportInput): ShareableReport {
  const conversion = summarizeConversion(input.report);
  const { preset, options } = settingsOf(input.report);
  const createdAt = createdAtIso(input.createdAt);
  return validateReport({
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    tool: input.tool,
    createdAt,
    source: input.source,
    output: { ...input.output, bytes: input.output.bytes ?? conversion.outputBytes },
    mode: input.report.mode,
    preset,
    options,
    conversion,
    quality: input.quality ? summarizeQuality(input.quality) : null,
    otherBackends: input.quality ? (input.otherQuality ?? []).slice(0, 4).map(summarizeQuality) : [],
    agreement: input.quality && input.otherQuality?.[0] ? agreementOf(input.quality, input.otherQuality[0]) : null,
  });
}

export { SchemaError };
