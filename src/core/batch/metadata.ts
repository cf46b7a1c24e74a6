/**
 * Self-describing outputs: the `metadata_props` record our outputs carry, and reading it back for display.
 *
 *   buildProvenance({ mode, preset, options, source, tool, date }) -> { key, value }   (one metadata_props entry)
 *   provenanceRecord(input) -> object                       (the same record, for a quantizer that serialises it)
 *   describeProvenance(metadata, producer?) -> Provenance | null                      (never throws)
 *
 * Keys (shared with the quantizers): INT8 writes `ava.quantization` (src/core/int8/quantize.ts METADATA_KEY), FP16
 * writes `ava.conversion` (src/core/fp16/convert.ts CONVERSION_METADATA_KEY); the value is JSON. The record made here
 * is a superset of what they write today:
 *
 *   {"tool":"ava-quantizer","toolVersion":"0.1.0","mode":"int8-dynamic"|"fp16","preset":"tjs-q8"|null,
 *    "options":{…sorted…},"source":{"name":"model.onnx","sha256":"…"},"date":"2025-…Z"}
 *
 * describeProvenance reads that, and the current quantizer shapes (INT8: options flat at the top level beside
 * "reference"; FP16: "options" object plus "defaultOpBlockList"), and a model whose producer is onnxruntime's
 * `onnx.quantize` without our key. Metadata is untrusted: bad JSON, wrong types, huge values and prototype keys
 * give a partial description with `problems`, never an exception; every displayed string is clipped.
 */
import { clip } from '../share/schema.js';
import { TOOL, TOOL_DISPLAY_NAME } from '../tool.js';

export const PROVENANCE_KEYS = { int8: 'ava.quantization', fp16: 'ava.conversion' } as const;
/** producer_name written by onnxruntime.quantization (and by our INT8 quantizer, which reproduces it). */
export const ORT_QUANTIZE_PRODUCER = 'onnx.quantize';

export interface ProvenanceInput {
  mode: 'int8' | 'fp16';
  preset?: string | null;
  options?: Record<string, unknown>;
  /** The input file the output was made from. */
  source?: { name: string; sha256?: string | null } | null;
  tool: { name: string; version: string };
  /** Default: now. */
  date?: Date | string;
}

const MODE_NAME = { int8: 'int8-dynamic', fp16: 'fp16' } as const;

function sortedJsonSafe(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined && k !== '__proto__') out[k] = o[k];
  return out;
}

export function provenanceRecord(p: ProvenanceInput): Record<string, unknown> {
  const date = p.date === undefined ? new Date().toISOString() : typeof p.date === 'string' ? p.date : p.date.toISOString();
  return {
    tool: p.tool.name,
    toolVersion: p.tool.version,
    mode: MODE_NAME[p.mode],
    preset: p.preset ?? null,
    options: sortedJsonSafe(p.options ?? {}),
    source: p.source ? { name: p.source.name, sha256: p.source.sha256 ?? null } : null,
    date,
  };
}

/** The metadata_props entry for an output (key by mode, JSON value with a stable key order). */
export function buildProvenance(p: ProvenanceInput): { key: string; value: string } {
  if (p.mode !== 'int8' && p.mode !== 'fp16') throw new TypeError(`unknown mode ${JSON.stringify(p.mode)}`);
  return { key: PROVENANCE_KEYS[p.mode], value: JSON.stringify(provenanceRecord(p)) };
}

export interface Provenance {
  /** Who made it, as far as the model tells. */
  /** 'ava-quantizer' (TOOL.name) for our own record. */
  madeBy: 'ava-quantizer' | 'onnxruntime' | 'other';
  /** The metadata key read (null for the producer-only case). */
  key: string | null;
  mode: 'int8' | 'fp16' | null;
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
    return { madeBy: 'other', key: null, mode: null, summary: 'unreadable provenance', preset: null, options: [], source: null, tool: null, date: null, reference: null, problems: [String(e)] };
  }
}

function describe(meta: Map<string, string>, producer: { name?: string | null; version?: string | null } | null): Provenance | null {
  const key = meta.has(PROVENANCE_KEYS.int8) ? PROVENANCE_KEYS.int8 : meta.has(PROVENANCE_KEYS.fp16) ? PROVENANCE_KEYS.fp16 : null;
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
  const keyMode = key === PROVENANCE_KEYS.int8 ? 'int8' : 'fp16';
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
  const mode: 'int8' | 'fp16' = keyMode;
  if (modeText && !modeText.toLowerCase().startsWith(keyMode)) problems.push(`"mode" ${JSON.stringify(modeText)} does not match the key ${key}`);
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

  const label = mode === 'int8' ? `INT8${modeText && /dynamic/i.test(modeText) ? ' (dynamic)' : ''}` : 'FP16';
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
