/**
 * The provenance record every output carries, written and read here: one metadata_props entry whose value is JSON.
 *
 *   metadataEntry(key, record, provenance) -> Part      (a mode's writer calls it once; key = its meta's metadataKey)
 *   describeProvenance(metadata, producer?) -> Provenance | null     (the model card's "made by"; never throws)
 *
 * The record's shape, for every mode:
 *
 *   { "tool": "ava-quantizer",                  TOOL.name (src/core/tool.ts)
 *     "mode": "int8-dynamic" | "fp16" | "q4",   names the mode (its meta id, or "<id>-<variant>")
 *     "reference": "onnxruntime 1.32.0 …",      INT8 / Q4: what is reproduced
 *     "preset": "avx512-vnni",                  modes with presets
 *     …the resolved options…,                   INT8 / Q4 beside "mode"; FP16 under "options" (+ "defaultOpBlockList")
 *     "toolVersion": "0.1.0", "source": { "name": "model.onnx", "sha256": "…" }, "date": "2025-…Z" }
 *
 * The options sit where each mode has always written them (INT8 since its first output): moving them would change
 * every output's bytes. Keys: INT8 and Q4 write `ava.quantization`, FP16 `ava.conversion` (each meta's
 * metadataKey). Provenance (source, tool version, date) is supplied by the callers (the worker, the CLI), so the
 * quantizers stay deterministic: the same input, options and provenance give the same bytes.
 */
import { MIXED_META } from './mixed/meta.js';
import { MODE_METAS, type ModeId } from './modes/registry.js';
import { encodeStringEntry } from './onnx/encode.js';
import { MODEL } from './onnx/model.js';
import { type Part, concatParts, flatten, lazyComputed, lenField, partsSize } from './onnx/writer.js';
import { clip } from './share/schema.js';
import { TOOL, TOOL_DISPLAY_NAME } from './tool.js';

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

/** The fields merged into a mode's record (read back by describeProvenance). */
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
  const entry = (sha?: string | null): Part =>
    lenField(MODEL.metadataProps, encodeStringEntry(key, JSON.stringify({ ...record, ...provenanceFields(p, sha) })));
  const sha = p?.source.sha256;
  if (!(sha instanceof Promise)) return entry();
  const placeholder = entry(PENDING);
  return lazyComputed(
    partsSize([placeholder]),
    async () => {
      const hex = await sha;
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`internal error: a SHA-256 of ${hex.length} characters`);
      const parts = flatten([entry(hex)]);
      return concatParts(parts);
    },
    key,
  );
}

// ---- reading it back -------------------------------------------------------------------------------------------

/** The metadata_props keys our records use (every mode's metadataKey). */
export const PROVENANCE_KEYS: readonly string[] = [...new Set(MODE_METAS.map((m) => m.metadataKey))];
/** producer_name written by onnxruntime.quantization (and by our INT8 quantizer, which reproduces it). */
export const ORT_QUANTIZE_PRODUCER = 'onnx.quantize';

export interface Provenance {
  /** Who made it, as far as the model tells. */
  /** 'ava-quantizer' (TOOL.name) for our own record. */
  madeBy: 'ava-quantizer' | 'onnxruntime' | 'other';
  /** The metadata key read (null for the producer-only case). */
  key: string | null;
  /** The mode the record names: a registry mode, or 'mixed' (target mode / buildMix: src/core/mixed/meta.ts). */
  mode: ModeId | 'mixed' | null;
  /** One line, e.g. "INT8 (dynamic) by ava-quantizer 0.1.0, preset tjs-q8". */
  summary: string;
  preset: string | null;
  /** Options as display pairs, in the record's order (at most 40; values clipped). */
  options: { key: string; value: string }[];
  source: { name: string | null; sha256: string | null } | null;
  tool: { name: string; version: string | null } | null;
  date: string | null;
  /** Reference implementation named by the record (INT8). */
  reference: string | null;
  /** What could not be read (bad JSON, wrong types, …). */
  problems: string[];
}

const MAX_VALUE = 64 * 1024;
const MAX_OPTIONS = 40;
const SHORT = 200;
const KNOWN = new Set(['tool', 'toolVersion', 'mode', 'preset', 'options', 'source', 'date', 'reference']);

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function display(v: unknown): string {
  if (v === null) return 'none';
  if (typeof v === 'string') return clip(v, SHORT);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (!v.length) return '(none)';
    const items = v.slice(0, 20).map((x) => (typeof x === 'string' ? x : safeJson(x)));
    return clip(items.join(', ') + (v.length > 20 ? `, … (${v.length} in all)` : ''), SHORT);
  }
  return clip(safeJson(v), SHORT);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function str(rec: Record<string, unknown>, k: string, problems: string[]): string | null {
  if (!own(rec, k) || rec[k] === null || rec[k] === undefined) return null;
  const v = rec[k];
  if (typeof v !== 'string') {
    problems.push(`"${k}" is not a string`);
    return null;
  }
  return clip(v, SHORT);
}

function entriesOf(metadata: unknown): Map<string, string> {
  const m = new Map<string, string>();
  if (Array.isArray(metadata)) {
    for (const e of metadata) if (isObj(e) && typeof e.key === 'string' && typeof e.value === 'string') m.set(e.key, e.value);
  } else if (isObj(metadata)) {
    for (const k of Object.keys(metadata)) if (typeof metadata[k] === 'string') m.set(k, metadata[k] as string);
  }
  return m;
}

/**
 * Reads what made a model from its metadata_props (a record, as in ModelSummary.metadata, or key/value entries)
 * and optionally its producer. Returns null when nothing says it was quantized or converted.
 */
export function describeProvenance(
  metadata: Record<string, string> | readonly { key: string; value: string }[] | null | undefined,
  producer?: { name?: string | null; version?: string | null } | null,
): Provenance | null {
  try {
    return describe(entriesOf(metadata), producer ?? null);
  } catch (e) {
    // Defensive: nothing above should throw, but untrusted input must never break the caller.
    return {
      madeBy: 'other',
      key: null,
      mode: null,
      summary: 'unreadable provenance',
      preset: null,
      options: [],
      source: null,
      tool: null,
      date: null,
      reference: null,
      problems: [String(e)],
    };
  }
}

function describe(meta: Map<string, string>, producer: { name?: string | null; version?: string | null } | null): Provenance | null {
  const key = PROVENANCE_KEYS.find((k) => meta.has(k)) ?? null;
  const producerName = typeof producer?.name === 'string' ? producer.name : null;
  const producerVersion = typeof producer?.version === 'string' ? producer.version : null;
  if (!key) {
    if (producerName !== ORT_QUANTIZE_PRODUCER) return null;
    const version = producerVersion ? clip(producerVersion, SHORT) : null;
    return {
      madeBy: 'onnxruntime',
      key: null,
      mode: 'int8',
      summary: `quantized by onnxruntime.quantization (producer ${ORT_QUANTIZE_PRODUCER}${version ? ` ${version}` : ''})`,
      preset: null,
      options: [],
      source: null,
      tool: { name: ORT_QUANTIZE_PRODUCER, version },
      date: null,
      reference: null,
      problems: [],
    };
  }
  const problems: string[] = [];
  const raw = meta.get(key)!;
  let rec: Record<string, unknown> = {};
  if (raw.length > MAX_VALUE) problems.push(`${key} is too large to read (${raw.length} characters)`);
  else {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (isObj(parsed)) rec = parsed;
      else problems.push(`${key} is not a JSON object`);
    } catch {
      problems.push(`${key} is not valid JSON`);
    }
  }

  const toolName = str(rec, 'tool', problems);
  const toolVersion = str(rec, 'toolVersion', problems);
  // The key is ours; a record naming another tool is shown as such.
  const madeBy = toolName === null || toolName === TOOL.name ? 'ava-quantizer' : 'other';
  const modeText = str(rec, 'mode', problems);
  // The mode the record names ("int8-dynamic" -> int8, "q4" -> q4, "mixed") among the writers of this key; else the first.
  const writers: readonly { id: ModeId | 'mixed'; label: string; metadataKey: string }[] = [...MODE_METAS, MIXED_META].filter(
    (m) => m.metadataKey === key,
  );
  const named = modeText
    ? writers.find((m) => modeText.toLowerCase() === m.id || modeText.toLowerCase().startsWith(`${m.id}-`))
    : undefined;
  if (modeText && !named) problems.push(`"mode" ${JSON.stringify(modeText)} does not match the key ${key}`);
  const meta0 = named ?? writers[0]!;
  const mode = meta0.id;
  const preset = str(rec, 'preset', problems);
  const date = str(rec, 'date', problems);
  const reference = str(rec, 'reference', problems);

  let source: Provenance['source'] = null;
  if (own(rec, 'source') && rec.source !== null) {
    if (isObj(rec.source)) source = { name: str(rec.source, 'name', problems), sha256: str(rec.source, 'sha256', problems) };
    else problems.push('"source" is not an object');
  }

  const options: { key: string; value: string }[] = [];
  const addOption = (k: string, v: unknown): void => {
    if (options.length < MAX_OPTIONS) options.push({ key: clip(k, 100), value: display(v) });
  };
  if (own(rec, 'options')) {
    if (isObj(rec.options)) for (const k of Object.keys(rec.options)) addOption(k, rec.options[k]);
    else if (rec.options !== null) problems.push('"options" is not an object');
  }
  // The INT8 quantizer writes its options at the top level; FP16 adds "defaultOpBlockList".
  for (const k of Object.keys(rec)) if (!KNOWN.has(k)) addOption(k, rec[k]);

  const label = `${meta0.label}${modeText && /dynamic/i.test(modeText) ? ' (dynamic)' : ''}`;
  const by = toolName ?? TOOL_DISPLAY_NAME;
  const summary = `${label} by ${by}${toolVersion ? ` ${toolVersion}` : ''}${preset ? `, preset ${preset}` : ''}`;
  return {
    madeBy,
    key,
    mode,
    summary: clip(summary, 2 * SHORT),
    preset,
    options,
    source,
    tool: { name: toolName ?? TOOL.name, version: toolVersion },
    date,
    reference,
    problems,
  };
}
