/**
 * Everything derived from a mode's option table (meta.ts `options`), so the CLI, the page and the README cannot
 * drift apart:
 *
 *   parseModeFlags(meta, args)      the CLI's parser (throws OptionError, kind 'options')
 *   modeHelp(meta)                  the CLI's `quantize … <mode> --help` option lines
 *   formFor(meta, preset?)          the page's form state; withPreset() when the preset changes
 *   optionsFromForm(meta, form)     the page's request: the preset plus only what differs from it
 *   optionsMarkdown(metas, shared)  the README's option list (between <!-- options:begin/end --> markers)
 *
 * Values are checked by the same rules everywhere (choices, number ranges, an empty list where one is needed);
 * cross-option rules stay in the engine (e.g. FP16's minPositive < maxFinite: Fp16OptionError).
 */
import { AvaError } from '../errors.js';
import type { EnumOption, ListOption, ModeMeta, ModePreset, NumberOption, OptionSpec, OptionValue } from './types.js';

/** `--exclude-nodes`: the same row in every mode that rewrites nodes by name (INT8, Q4). */
export const EXCLUDE_NODES_OPTION = {
  key: 'excludeNodes',
  kind: 'list',
  flag: '--exclude-nodes',
  valueName: 'a,b',
  default: [],
  help: 'node names to leave in float',
  page: { control: 'textarea', label: 'Exclude nodes', hint: 'Node names, one per line or separated by commas.', advanced: true },
} as const satisfies ListOption<'excludeNodes'>;

/**
 * A mode's typical saving in words, stating what it applies to (ModeMeta.typicalSaving): "about 84% smaller on the
 * MatMul weights (…)"; parts joined by "; ". For where no model is known (help, README); with a model, its own
 * saving is computed from its weights (registry.ts predictMode).
 */
export function typicalSavingText(m: Pick<ModeMeta<string>, 'typicalSaving'>): string {
  return m.typicalSaving.map((p) => `about ${p.percent}% smaller on ${p.on}`).join('; ');
}

/**
 * A mode's names from its label and its transformers.js name: label 'INT8' -> output suffix '-INT8' (model-INT8.onnx);
 * transformers.js name 'quantized' -> suffix '_quantized', file model_quantized.onnx (transformers.js' `dtype` file
 * names, e.g. onnx/model_q4f16.onnx).
 */
export function modeNames<const Id extends string, const Label extends string, const Js extends string>(id: Id, label: Label, js: Js) {
  return {
    id,
    label,
    suffix: `-${label}` as const,
    transformersJs: { suffix: `_${js}` as const, fileName: `model_${js}.onnx` as const },
  };
}

/** The modes that quantize (INT8, Q4, Q4F16): their verb and the metadata key of their provenance record. */
export const QUANTIZING = { verb: 'quantizing', metadataKey: 'ava.quantization' } as const;

/** The report facts INT8 and Q4 keep (their reports share these names). */
export const QUANTIZED_FACTS = [
  { key: 'tensorsQuantized', label: 'Tensors quantized', path: 'tensorsQuantized' },
  { key: 'opset', label: 'Opset', path: 'opset' },
] as const;

/** A bad option value (kind 'options'): the CLI exits 2, the page shows the message under the form. */
export class OptionError extends AvaError {
  override name = 'OptionError';
  constructor(message: string) {
    super('options', message);
  }
}

/** "a, b\nc,,a" -> ["a", "b", "c"]: names separated by commas or line breaks, trimmed, empty ones and repeats dropped. */
export function parseList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\n,]/)
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}

export function presetOf(meta: ModeMeta, id: string | null | undefined): ModePreset | null {
  const want = id ?? meta.defaultPreset;
  return meta.presets.find((p) => p.id === want) ?? null;
}

/** The value an option has when not set: the preset's for `fromPreset` options, else the table's default. */
export function baseValue(meta: ModeMeta, spec: OptionSpec, presetId?: string | null): OptionValue {
  if (spec.fromPreset) {
    const v = (presetOf(meta, presetId)?.values as Record<string, unknown> | undefined)?.[spec.key];
    if (v !== undefined) return v as OptionValue;
  }
  return spec.default;
}

// ---- value rules (CLI and page) -------------------------------------------------------------------------------

/** The range rule of a number option (also the CLI's other numeric flags: src/cli/io.ts numberFlag). */
export type NumberRange = Pick<NumberOption, 'integer' | 'min' | 'minExclusive' | 'max'>;

/** A range in words, the one wording of every message about one: "above -1 and at most 1", "at least 0 and at most 1". */
export function numberRangeText(spec: NumberRange): string {
  const lo = spec.min === undefined ? null : `${spec.minExclusive ? 'above' : 'at least'} ${spec.min}`;
  const hi = spec.max === undefined ? null : `at most ${spec.max}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

/**
 * What is wrong with a number given as a number (an engine's option, not typed text), said as parseNumberOption says
 * it: `minCosine must be above -1 and at most 1 (got 2)`; null when it is in range.
 */
export function numberRangeProblem(spec: NumberRange, n: number, name: string): string | null {
  if (typeof n !== 'number' || !Number.isFinite(n)) return `${name} must be a number (got ${String(n)})`;
  if (spec.integer && !Number.isInteger(n)) return `${name} must be a whole number (got ${n})`;
  const low = spec.min !== undefined && (spec.minExclusive ? n <= spec.min : n < spec.min);
  const high = spec.max !== undefined && n > spec.max;
  return low || high ? `${name} must be ${numberRangeText(spec)} (got ${n})` : null;
}

/** A number option's value from text; `name` is the flag or the label the message uses. Throws OptionError. */
export function parseNumberOption(spec: NumberRange, text: string, name: string): number {
  const t = text.trim();
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) throw new OptionError(`${name} must be a number (got "${text}")`);
  if (spec.integer && !Number.isInteger(n)) throw new OptionError(`${name} must be a whole number (got ${t})`);
  const low = spec.min !== undefined && (spec.minExclusive ? n <= spec.min : n < spec.min);
  const high = spec.max !== undefined && n > spec.max;
  if (low || high) throw new OptionError(`${name} must be ${numberRangeText(spec)} (got ${t})`);
  return n;
}

function parseEnumOption(spec: EnumOption, text: string, name: string): string | number {
  const c = spec.choices.find((x) => String(x.value).toLowerCase() === text.trim().toLowerCase());
  if (!c) throw new OptionError(`${name} takes ${spec.choices.map((x) => x.value).join(', ')} (got '${text}')`);
  return c.value;
}

function checkList(spec: ListOption, values: string[], name: string): string[] {
  if (spec.choices) {
    const bad = values.filter((v) => !spec.choices!.includes(v));
    if (bad.length)
      throw new OptionError(
        `${name}: unknown ${bad.length === 1 ? 'value' : 'values'} ${bad.map((b) => `'${b}'`).join(', ')} (use ${spec.choices.join(', ')})`,
      );
  }
  if (!values.length && spec.emptyError) throw new OptionError(spec.emptyError);
  return values;
}

// ---- the CLI ---------------------------------------------------------------------------------------------------

const noFlag = (spec: OptionSpec) => `--no-${spec.flag.slice(2)}`;

/** The flags of a table that take no value (booleans and their --no- forms). */
export function booleanFlags(meta: ModeMeta): string[] {
  return meta.options.filter((o) => o.kind === 'boolean').flatMap((o) => [o.flag, noFlag(o)]);
}

/** The flags of a table that take a value (`--preset` when the mode has presets). */
export function valueFlags(meta: ModeMeta): string[] {
  return [...(meta.presets.length ? ['--preset'] : []), ...meta.options.filter((o) => o.kind !== 'boolean').map((o) => o.flag)];
}

/** One flag word of a command line: the flag, whether it came as `--flag=value`, and `value()` to take its value. */
export interface FlagWord {
  flag: string;
  inline: boolean;
  /** The part after `=`, else the next word (consumed); `missing(flag)` is thrown when there is none (or it is empty). */
  value(): string;
}

/**
 * Walks a command's words, shared by every parser of the CLI and the modes: calls `onFlag` for each word that starts
 * with `prefix` (`--flag`, `--flag=value`) and returns the other words in order. `allowEmpty` lets a value be ''.
 */
export function walkArgs(
  args: readonly string[],
  onFlag: (w: FlagWord) => void,
  missing: (flag: string) => Error,
  opts: { prefix?: string; allowEmpty?: boolean } = {},
): string[] {
  const prefix = opts.prefix ?? '-';
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    if (!raw.startsWith(prefix)) {
      positionals.push(raw);
      continue;
    }
    const eq = raw.indexOf('=');
    const flag = eq >= 0 ? raw.slice(0, eq) : raw;
    const value = (): string => {
      const v = eq >= 0 ? raw.slice(eq + 1) : args[++i];
      if (v === undefined || (v === '' && !opts.allowEmpty)) throw missing(flag);
      return v;
    };
    onFlag({ flag, inline: eq >= 0, value });
  }
  return positionals;
}

/**
 * Parses a mode's flags: `--flag V` / `--flag=V`, booleans as `--flag` / `--no-flag`. Returns the options given
 * (with `preset` set to the default preset when the mode has presets) and the other words. Throws OptionError for
 * an unknown flag, a missing or bad value.
 */
export function parseModeFlags(meta: ModeMeta, args: readonly string[]): { options: Record<string, unknown>; positionals: string[] } {
  const options: Record<string, unknown> = meta.defaultPreset ? { preset: meta.defaultPreset } : {};
  const onFlag = ({ flag, inline, value }: FlagWord): void => {
    if (flag === '--preset' && meta.presets.length) {
      const v = value();
      if (!meta.presets.some((p) => p.id === v))
        throw new OptionError(`unknown preset '${v}' (use ${meta.presets.map((p) => p.id).join(', ')})`);
      options.preset = v;
      return;
    }
    const spec = meta.options.find((o) => o.flag === flag || (o.kind === 'boolean' && noFlag(o) === flag));
    if (!spec) throw new OptionError(`unknown option ${flag} for ${meta.label}`);
    if (spec.kind === 'boolean') {
      if (inline) throw new OptionError(`${flag} takes no value (use ${spec.flag} or ${noFlag(spec)})`);
      options[spec.key] = flag === spec.flag;
    } else if (spec.kind === 'enum') options[spec.key] = parseEnumOption(spec, value(), flag);
    else if (spec.kind === 'number') options[spec.key] = parseNumberOption(spec, value(), flag);
    else options[spec.key] = checkList(spec, parseList(value()), flag);
  };
  const positionals = walkArgs(args, onFlag, (flag) => new OptionError(`${flag} needs a value`));
  return { options, positionals };
}

const showValue = (v: OptionValue): string =>
  typeof v === 'boolean' ? (v ? 'on' : 'off') : Array.isArray(v) ? (v.length ? v.join(',') : 'none') : String(v);

function defaultText(meta: ModeMeta, spec: OptionSpec): string {
  if (spec.fromPreset && meta.defaultPreset) return `from the preset; ${meta.defaultPreset}: ${showValue(baseValue(meta, spec))}`;
  if (spec.kind === 'list' && spec.choices && spec.default.length === spec.choices.length) return 'all';
  return showValue(spec.default);
}

function flagText(spec: OptionSpec): string {
  if (spec.kind === 'boolean') return `${spec.flag} | ${noFlag(spec)}`;
  if (spec.kind === 'enum') return `${spec.flag} ${spec.choices.map((c) => c.value).join('|')}`;
  return `${spec.flag} ${spec.valueName}`;
}

function valuesText(spec: OptionSpec): string {
  if (spec.kind === 'enum') return spec.choices.map((c) => (String(c.value) === c.label ? c.label : `${c.value} = ${c.label}`)).join('; ');
  if (spec.kind === 'list' && spec.choices) return spec.choices.join(', ');
  if (spec.kind === 'number') return numberRangeText(spec) || 'a number';
  return '';
}

/** Two columns: the flag, then the text (wrapped under the flag when the flag is long). */
export function helpLines(rows: readonly [string, string][], width = 30): string[] {
  const out: string[] = [];
  for (const [flag, text] of rows) {
    if (flag.length + 2 < width) out.push(`  ${flag.padEnd(width - 2)}${text}`);
    else out.push(`  ${flag}`, `${' '.repeat(width)}${text}`);
  }
  return out;
}

/** The option lines of a mode's `--help`: presets, then every row of the table. */
export function modeHelp(meta: ModeMeta): string[] {
  const rows: [string, string][] = [];
  if (meta.presets.length) {
    rows.push([`--preset ${meta.presets.map((p) => p.id).join('|')}`, `recipe (default ${meta.defaultPreset}; see the README)`]);
    for (const p of meta.presets) rows.push([`    ${p.id}`, p.description]);
  }
  for (const o of meta.options) {
    const values = valuesText(o);
    rows.push([flagText(o), `${o.help}${values && o.kind !== 'enum' ? ` (${values})` : ''} [default: ${defaultText(meta, o)}]`]);
    if (o.kind === 'enum') for (const c of o.choices) if (String(c.value) !== c.label) rows.push([`    ${c.value}`, c.label]);
  }
  return helpLines(rows);
}

// ---- the page --------------------------------------------------------------------------------------------------

/** A control's state: checkbox -> boolean, select / textarea / number -> text, checkboxes -> the checked values. */
export type FormValue = boolean | string | string[];

export interface ModeForm {
  /** The chosen preset (null: the mode has none). */
  preset: string | null;
  values: Record<string, FormValue>;
}

function formValue(spec: OptionSpec, v: OptionValue): FormValue {
  if (spec.page.control === 'checkbox') return v === true;
  if (spec.page.control === 'checkboxes') return [...(v as readonly string[])];
  if (spec.page.control === 'textarea') return (v as readonly string[]).join(', ');
  if (spec.page.control === 'number') return '';
  return String(v);
}

/** The form for a mode, with the preset's values (default: the default preset). */
export function formFor(meta: ModeMeta, presetId: string | null = meta.defaultPreset): ModeForm {
  const values: Record<string, FormValue> = {};
  for (const o of meta.options) values[o.key] = formValue(o, baseValue(meta, o, presetId));
  return { preset: presetId, values };
}

/** The form after choosing another preset: its values for the `fromPreset` options, the rest as they were. */
export function withPreset(meta: ModeMeta, form: ModeForm, presetId: string): ModeForm {
  const fresh = formFor(meta, presetId);
  const values = { ...form.values };
  for (const o of meta.options) if (o.fromPreset) values[o.key] = fresh.values[o.key]!;
  return { preset: presetId, values };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The options a form asks for: the preset (when the mode has presets) plus only the values that differ from it
 * (or from the table's defaults). `{ ok: false, error }` names the first bad value, by its label.
 */
export function optionsFromForm(
  meta: ModeMeta,
  form: ModeForm,
): { ok: true; options: Record<string, unknown> } | { ok: false; error: string } {
  const options: Record<string, unknown> = meta.presets.length ? { preset: form.preset ?? meta.defaultPreset } : {};
  try {
    for (const o of meta.options) {
      const base = baseValue(meta, o, form.preset);
      const v = form.values[o.key];
      if (o.kind === 'boolean') {
        if (typeof v === 'boolean' && v !== base) options[o.key] = v;
      } else if (o.kind === 'enum') {
        const s = parseEnumOption(o, String(v ?? base), o.page.label);
        if (s !== base) options[o.key] = s;
      } else if (o.kind === 'number') {
        if (typeof v === 'string' && v.trim() !== '') {
          const n = parseNumberOption(o, v, o.page.label);
          if (n !== base) options[o.key] = n;
        }
      } else {
        const raw = Array.isArray(v) ? v : parseList(typeof v === 'string' ? v : '');
        const list = checkList(o, o.choices ? o.choices.filter((c) => raw.includes(c)) : raw, o.page.label);
        if (!sameList(list, base as readonly string[])) options[o.key] = list;
      }
    }
  } catch (e) {
    if (e instanceof OptionError) return { ok: false, error: e.message };
    throw e;
  }
  return { ok: true, options };
}

// ---- the README --------------------------------------------------------------------------------------------------

const md = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (s: string) => `\`${s}\``;

function pageText(o: OptionSpec): string {
  const kind = { checkbox: 'checkbox', select: 'select', checkboxes: 'checkboxes', textarea: 'text box', number: 'number field' }[
    o.page.control
  ];
  return `${kind} "${o.page.label}"${o.page.advanced ? ' (Advanced)' : ''}`;
}

/**
 * The README's option list: one table per mode (flag, values, default, what it does, how the page shows it),
 * then the flags every mode shares. Deterministic, so a test can compare it with the README.
 */
export function optionsMarkdown(metas: readonly ModeMeta[], shared: readonly { flag: string; help: string; page: string }[]): string {
  const L: string[] = [];
  for (const m of metas) {
    L.push(`**${m.label}** (\`quantize <in.onnx> <out.onnx> ${m.id}\`, ${typicalSavingText(m)}, output \`<name>${m.suffix}.onnx\`):`, '');
    L.push('| flag | values | default | what it does | in the page |', '| --- | --- | --- | --- | --- |');
    if (m.presets.length)
      L.push(
        `| ${code('--preset P')} | ${m.presets.map((p) => code(p.id)).join(', ')} | ${code(m.defaultPreset ?? '')} | the recipe: ${m.presets.map((p) => `${code(p.id)} ${md(p.description)}`).join('; ')} | select "Preset" |`,
      );
    for (const o of m.options) {
      const flags =
        o.kind === 'boolean' ? `${code(o.flag)} / ${code(noFlag(o))}` : code(`${o.flag} ${o.kind === 'enum' ? 'V' : o.valueName}`);
      const values = o.kind === 'boolean' ? 'on / off' : md(valuesText(o) || 'names');
      L.push(`| ${flags} | ${values} | ${md(defaultText(m, o))} | ${md(o.help)} | ${md(pageText(o))} |`);
    }
    L.push('');
  }
  L.push('**Every mode:**', '', '| flag | what it does | in the page |', '| --- | --- | --- |');
  for (const s of shared) L.push(`| ${code(s.flag)} | ${md(s.help)} | ${md(s.page)} |`);
  return L.join('\n');
}
