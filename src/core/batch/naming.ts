/**
 * Output file names, and "is this model already quantized?".
 *
 *   outputName(input, mode, { template, version }) -> { path, fileName, folder, notes }   (throws NamingError)
 *     template 'suffix' (default):  model.onnx -> model-INT8.onnx / model-FP16.onnx; version 'v1.1' ->
 *                                    model-INT8-v1.1.onnx
 *     template 'transformers.js':   -> onnx/<base>_quantized.onnx (INT8) / onnx/<base>_fp16.onnx (FP16), the names
 *                                    transformers.js loads (model.onnx and onnx/model.onnx both give
 *                                    onnx/model_quantized.onnx); a version tag is not applied (noted).
 *   templatePattern(mode, options) -> "<name>-INT8-v1.1.onnx"                  (for a settings preview)
 *   previewName(mode, options, input?) -> { ok, path, pattern, notes } | { ok: false, error }   (never throws)
 *   baseName(input) -> "model"; normalizeVersionTag("-v1.1") -> "v1.1"            (both throw NamingError)
 *   uniqueNames(paths) -> paths with "-2", "-3" … added before ".onnx" where two collide (case-insensitive)
 *   quantizedNameSuffix(name) / isAlreadyQuantizedName(name)
 *   skipDecision(name, evidence?, { force }) -> { skip, reason, by }
 *
 * `input` may be a bare file name or a relative path with `/` or `\` (a dropped folder, a CLI argument); only its
 * last segment names the output. Unsafe names are refused: an empty base, "." / "..", control characters, and
 * version tags with anything but letters, digits and . _ + - (so no separators and no "..").
 */
import { type QuantizedEvidence, alreadyQuantized } from '../modes/already.js';
import { MODE_IDS, MODE_METAS, type ModeId, isModeId, modeMeta } from '../modes/registry.js';
import { MIXED_META } from '../mixed/meta.js';
import type { ModelSummary } from '../onnx/summary.js';

/** An output mode (src/core/modes/registry.ts). */
export type OutputMode = ModeId;
export type NamingTemplate = 'suffix' | 'transformers.js';

export interface NamingOptions {
  /** Default 'suffix'. */
  template?: NamingTemplate;
  /** Optional version tag, e.g. "v1.1" or "-v1.1" (suffix template only). */
  version?: string | null;
}

export interface OutputName {
  /** Relative path of the output ('/' separated): the download name, or the entry in a zip / output folder. */
  path: string;
  /** Last segment of path. */
  fileName: string;
  /** Folder part of path ('onnx' for the transformers.js layout), or null. */
  folder: string | null;
  /** Things the user should know about the name (e.g. a version tag that was not applied). */
  notes: string[];
}

export class NamingError extends Error {
  override name = 'NamingError';
}

/** "-INT8" / "_quantized": each mode's meta (src/core/modes/<mode>/meta.ts). */
const suffixOf = (mode: OutputMode): string => modeMeta(mode).suffix;
const tjsSuffixOf = (mode: OutputMode): string => modeMeta(mode).transformersJs.suffix;
const MAX_NAME = 200;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function checkMode(mode: OutputMode): void {
  if (typeof mode !== 'string' || !isModeId(mode))
    throw new NamingError(`unknown output mode ${JSON.stringify(mode)} (expected ${MODE_IDS.map((m) => `'${m}'`).join(' or ')})`);
}

/** The last path segment of a file name or relative path. */
export function lastSegment(input: string): string {
  const parts = input.split(/[\\/]+/).filter((p) => p !== '');
  return parts.length ? parts[parts.length - 1]! : '';
}

/** The input's file name without folders and without a (case-insensitive) ".onnx" extension. */
export function baseName(input: string): string {
  if (typeof input !== 'string') throw new NamingError('the input name must be a string');
  if (/[\\/]$/.test(input)) throw new NamingError(`cannot name an output after ${JSON.stringify(input)}: it names a folder, not a file`);
  const seg = lastSegment(input);
  const base = seg.replace(/\.onnx$/i, '');
  if (!base.trim()) throw new NamingError(`cannot name an output after ${JSON.stringify(input)}: the file name is empty without ".onnx"`);
  if (base === '.' || base === '..')
    throw new NamingError(`cannot name an output after ${JSON.stringify(input)}: "${base}" is not a file name`);
  if (CONTROL.test(base))
    throw new NamingError(`cannot name an output after ${JSON.stringify(input)}: the name contains control characters`);
  if (base.length > MAX_NAME) throw new NamingError(`the file name is too long (${base.length} characters, at most ${MAX_NAME})`);
  return base;
}

/** "v1.1" / "-v1.1" / " v1.1 " -> "v1.1"; "" / null -> null. Throws NamingError for an unsafe tag. */
export function normalizeVersionTag(tag: string | null | undefined): string | null {
  if (tag === null || tag === undefined) return null;
  if (typeof tag !== 'string') throw new NamingError('the version tag must be a string');
  const t = tag.trim().replace(/^-+/, '');
  if (!t) return null;
  if (/[\\/]/.test(t)) throw new NamingError(`the version tag ${JSON.stringify(tag)} contains a path separator`);
  if (t.includes('..')) throw new NamingError(`the version tag ${JSON.stringify(tag)} contains ".."`);
  if (t.length > 32) throw new NamingError(`the version tag is too long (${t.length} characters, at most 32)`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(t))
    throw new NamingError(`the version tag ${JSON.stringify(tag)} may only use letters, digits and . _ + - (e.g. v1.1)`);
  if (/[.]$/.test(t)) throw new NamingError(`the version tag ${JSON.stringify(tag)} must not end with "."`);
  return t;
}

/** The output path for one input. Throws NamingError for an unsafe input name or version tag. */
export function outputName(input: string, mode: OutputMode, options: NamingOptions = {}): OutputName {
  checkMode(mode);
  const base = baseName(input);
  const version = normalizeVersionTag(options.version);
  const template = options.template ?? 'suffix';
  if (template === 'transformers.js') {
    const fileName = `${base}${tjsSuffixOf(mode)}.onnx`;
    const notes = version ? [`version tag "${version}" not applied: transformers.js loads onnx/${fileName} by that exact name`] : [];
    return { path: `onnx/${fileName}`, fileName, folder: 'onnx', notes };
  }
  if (template !== 'suffix')
    throw new NamingError(`unknown naming template ${JSON.stringify(template)} (expected 'suffix' or 'transformers.js')`);
  const fileName = `${base}${suffixOf(mode)}${version ? `-${version}` : ''}.onnx`;
  return { path: fileName, fileName, folder: null, notes: [] };
}

/** The template with a placeholder for the input name, e.g. "<name>-INT8-v1.1.onnx" or "onnx/<name>_fp16.onnx". */
export function templatePattern(mode: OutputMode, options: NamingOptions = {}): string {
  checkMode(mode);
  const version = normalizeVersionTag(options.version);
  if ((options.template ?? 'suffix') === 'transformers.js') return `onnx/<name>${tjsSuffixOf(mode)}.onnx`;
  return `<name>${suffixOf(mode)}${version ? `-${version}` : ''}.onnx`;
}

export type NamePreview = { ok: true; path: string; pattern: string; notes: string[] } | { ok: false; error: string };

/** Renders the chosen template for a settings preview (never throws: an invalid tag gives { ok: false, error }). */
export function previewName(mode: OutputMode, options: NamingOptions = {}, input = 'model.onnx'): NamePreview {
  try {
    const out = outputName(input, mode, options);
    return { ok: true, path: out.path, pattern: templatePattern(mode, options), notes: out.notes };
  } catch (e) {
    if (e instanceof NamingError) return { ok: false, error: e.message };
    throw e;
  }
}

/**
 * Makes output paths unique (case-insensitively, as on Windows and macOS file systems) by adding "-2", "-3", …
 * before the ".onnx" extension of the later duplicates. `taken` are names already in use (e.g. the inputs).
 */
export function uniqueNames(paths: readonly string[], taken: readonly string[] = []): string[] {
  const used = new Set(taken.map((p) => p.toLowerCase()));
  return paths.map((p) => {
    let candidate = p;
    const m = /^(.*?)(\.onnx)?$/i.exec(p)!;
    for (let i = 2; used.has(candidate.toLowerCase()); i++) candidate = `${m[1]}-${i}${m[2] ?? ''}`;
    used.add(candidate.toLowerCase());
    return candidate;
  });
}

/**
 * Name endings that mark a quantized model: ours (every mode's suffix: -INT8, -FP16, and target mode's -MIXED,
 * optionally followed by a version tag as in model-INT8-v1.1) and transformers.js' dtype suffixes (every mode's, plus _int8, _uint8, _q4,
 * _q4f16, _bnb4).
 */
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NAMED = [...MODE_METAS, MIXED_META];
const OURS = new RegExp(`(${NAMED.map((m) => escape(m.suffix)).join('|')})(?:-[A-Za-z0-9][A-Za-z0-9._+-]*)?$`, 'i');
const TJS = new RegExp(
  `(${[...new Set([...NAMED.map((m) => m.transformersJs.suffix), '_int8', '_uint8', '_q4', '_q4f16', '_bnb4'])].map(escape).join('|')})$`,
  'i',
);

/** The suffix that marks `name` as quantized, as written in the name (e.g. "-INT8", "_quantized"), or null. */
export function quantizedNameSuffix(name: string): string | null {
  const base = lastSegment(name).replace(/\.onnx$/i, '');
  const ours = OURS.exec(base);
  if (ours) return ours[1]!;
  const tjs = TJS.exec(base);
  return tjs ? tjs[1]! : null;
}

/** True when the file name says the model is already quantized (-INT8, -FP16, _quantized, _fp16, …). */
export function isAlreadyQuantizedName(name: string): boolean {
  return quantizedNameSuffix(name) !== null;
}

/** What the model itself says, e.g. from its ModelSummary (any subset; missing parts are simply not used). */
export type SkipEvidence = QuantizedEvidence & Partial<Pick<ModelSummary, 'producerName'>>;

export interface SkipDecision {
  skip: boolean;
  /** Always set: why it is skipped, or why it is processed although something looked quantized. */
  reason: string;
  /** What decided: our metadata, the model's content, the file name, or nothing (null). */
  by: 'metadata' | 'model' | 'name' | null;
}

/**
 * Whether a batch should skip a model because it is already quantized: our `ava.quantization` / `ava.conversion`
 * metadata, the model card's quantization evidence, or (as the seed's quantize-all-models.sh does) a name ending
 * in -INT8/-FP16 — the reason says which, and notes when the name is the only sign. `force` never skips (the
 * reason still says what was seen).
 */
export function skipDecision(name: string, evidence?: SkipEvidence | null, options: { force?: boolean } = {}): SkipDecision {
  const suffix = quantizedNameSuffix(name);
  const already = alreadyQuantized(evidence);
  let found: SkipDecision | null = already ? { skip: true, reason: already.reason, by: already.by } : null;
  if (!found && suffix) {
    const note = evidence?.quantized ? ' (the model itself shows no sign of quantization: rename it or force to process it)' : '';
    found = { skip: true, reason: `the name ends in "${suffix}", which marks an already quantized model${note}`, by: 'name' };
  }
  if (!found) return { skip: false, reason: 'not quantized', by: null };
  if (options.force) return { skip: false, reason: `${found.reason}; processing it anyway (forced)`, by: found.by };
  return found;
}
