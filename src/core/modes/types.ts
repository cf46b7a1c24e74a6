/**
 * The contract of an output mode (see README.md in this folder): its pure-data description (ModeMeta, with ONE
 * table of options), how it runs (ModeRun) and the report base every mode shares (ModeReportBase).
 */
import type { ModelView } from '../onnx/model.js';
import type { ModelOutput, Piece } from '../onnx/writer.js';
import type { WeightRole } from './predict.js';

/** One part of a mode's typical saving: `percent` smaller on the float weights of `roles`, said as `on`. */
export interface SavingPart {
  percent: number;
  /** What it applies to, in words ("the MatMul weights"). */
  on: string;
  /** The weights it applies to, by how they are read (predict.ts WeightRole). */
  roles: readonly WeightRole[];
}

// ---- the options table ---------------------------------------------------------------------------------------

/** How the page shows an option. */
export interface PageControl {
  /**
   * checkbox (boolean), select (enum), checkboxes (a list with fixed choices, one box each), textarea (a free list:
   * one name per line or comma-separated), number (a text field; empty = the default).
   */
  control: 'checkbox' | 'select' | 'checkboxes' | 'textarea' | 'number';
  /** The control's accessible name. */
  label: string;
  /** One line under the control. */
  hint?: string;
  /** Inside the "Advanced" section. */
  advanced: boolean;
}

interface OptionBase<K extends string> {
  /** The key in the mode's options object (and in its report's `options`). */
  key: K;
  /** The CLI flag. A boolean also takes `--no-<name>`; the other kinds take a value (`--flag V` or `--flag=V`). */
  flag: `--${string}`;
  /** One line for `--help` and the README's option list. */
  help: string;
  page: PageControl;
  /** The value comes from the chosen preset: the default is the default preset's (the table's `default`). */
  fromPreset?: boolean;
}

export interface BooleanOption<K extends string = string> extends OptionBase<K> {
  kind: 'boolean';
  default: boolean;
}

export interface EnumOption<K extends string = string> extends OptionBase<K> {
  kind: 'enum';
  /** Value and what it means (the page's option text; the CLI's help lists the values). Numbers stay numbers. */
  choices: readonly { value: string | number; label: string }[];
  default: string | number;
}

export interface ListOption<K extends string = string> extends OptionBase<K> {
  kind: 'list';
  /** The value's name in `--help` (e.g. "A,B"). */
  valueName: string;
  /** When set, the only values allowed (the CLI refuses others, the page shows one checkbox each), in this order. */
  choices?: readonly string[];
  default: readonly string[];
  /** The message when the list is empty and must not be (null: an empty list is allowed). */
  emptyError?: string;
}

export interface NumberOption<K extends string = string> extends OptionBase<K> {
  kind: 'number';
  valueName: string;
  default: number;
  /** Allowed range; `minExclusive`: the value must be greater than `min`; `integer`: a whole number. */
  integer?: boolean;
  min?: number;
  minExclusive?: boolean;
  max?: number;
}

export type OptionSpec<K extends string = string> = BooleanOption<K> | EnumOption<K> | ListOption<K> | NumberOption<K>;
export type OptionKind = OptionSpec['kind'];
export type OptionValue = boolean | string | number | readonly string[];

// ---- presets ---------------------------------------------------------------------------------------------------

export interface ModePreset {
  id: string;
  /** One line: what it is and where it comes from. */
  description: string;
  /**
   * 'recipe': a published set of arguments (onnxruntime's defaults, transformers.js, Optimum); 'target': chosen
   * for where the model will run (ARM64, AVX2, …). Target presets are shown in their own group.
   */
  group: 'recipe' | 'target';
  /** The values it gives the table's `fromPreset` options (and possibly engine-only settings). */
  values: object;
}

// ---- meta --------------------------------------------------------------------------------------------------------

/** Everything the CLI, the page and the README say about a mode. Pure data: no engine code. */
export interface ModeMeta<Id extends string = string> {
  id: Id;
  /** "INT8". */
  label: string;
  /** Output name suffix: model.onnx -> model-INT8.onnx. */
  suffix: `-${string}`;
  /** transformers.js' layout: onnx/model.onnx -> onnx/model_quantized.onnx (`<base><suffix>.onnx`). */
  transformersJs: { suffix: `_${string}`; fileName: string };
  /**
   * The typical saving on the weights the mode rewrites (default preset), one part per kind of weight: what the CLI's
   * help and the README say where no model is known. It is not a saving on the whole model (how much of a model those
   * weights are varies: Q4 leaves a MiniLM's large embedding table in float32); where a model is known the CLI and the
   * page compute its saving from its weights (`<mode>/predict.ts`). tests/modes/predict.test.ts holds each part to
   * the mode's predictor on the fixtures.
   */
  typicalSaving: readonly SavingPart[];
  /** Recommended in the page's mode choice. */
  recommended: boolean;
  /** One line under the mode's radio button. */
  summary: string;
  /** A short paragraph for `--help` and the README. */
  description: string;
  /** The verb for the work ("quantizing", "converting") and the progress phase the page shows while it runs. */
  verb: 'quantizing' | 'converting';
  /** The metadata_props key of the provenance record the mode writes (src/core/provenance.ts). */
  metadataKey: string;
  /** Presets (empty: the mode has none). `defaultPreset` is used when none is given. */
  presets: readonly ModePreset[];
  defaultPreset: string | null;
  /** THE option table: the CLI's parser and help, the page's form and the README's option list come from it. */
  options: readonly OptionSpec[];
  /**
   * The mode's own numbers that a shared report or manifest keeps beside the base (ConversionSummary.facts):
   * `path` into the mode's report, `label` as people read it.
   */
  reportFacts: readonly { key: string; label: string; path: string }[];
}

// ---- running ---------------------------------------------------------------------------------------------------

export interface ModeProgress {
  /** 0..1 of the mode's own work. */
  fraction: number;
  done?: number;
  total?: number;
  /** The tensor or step being processed. */
  item?: string;
}

/** One op type left in float32 for one reason. */
export interface KeptInFloat {
  opType: string;
  reason: string;
  count: number;
  /** Up to 50 node names (inside a subgraph: "graph / node"). */
  nodes: string[];
  /** The rule that decided, when the mode has named rules (FP16: policy.ts KEEP_RULES). */
  rule?: string;
}

/**
 * What every mode reports, under the same names. A mode's report is this base plus its own extras beside it
 * (INT8: reference, opset, tensorsQuantized, leftInFloat; FP16: weights, nodes, keptOps, unknownTypes).
 */
export interface ModeReportBase<Id extends string = string> {
  mode: Id;
  /** The options as resolved (defaults and preset applied). */
  options: object;
  /** The model file plus its external data. */
  inputBytes: number;
  /** The output file plus its external-data file. */
  outputBytes: number;
  /** Time of the work, including writing when the output was written (writeOutput sets it). */
  durationMs: number;
  /** Original nodes rewritten, by op type. Empty: the mode changed nothing (see nothingDone). */
  rewritten: Record<string, number>;
  /** What stayed in float and why, most frequent first. */
  keptInFloat: KeptInFloat[];
  /** Other things worth knowing (deviations from the reference that applied, external data, …). */
  notes: string[];
}

/** A mode's planned output: tensor work happens when the pieces are written. */
export interface ModeOutput<R extends ModeReportBase = ModeReportBase> {
  parts: Piece[];
  /** The external-data file next to it, when the output is split (see ExternalLayout). */
  data: ModelOutput['data'];
  report: R;
}

/**
 * Plans the output of `options` for `model`. Async; reports progress 0..1; stops with an AbortError when `signal`
 * aborts. Throws AvaErrors (src/core/errors.ts) for what is the input's or the options' fault.
 */
export type ModeRun<O, R extends ModeReportBase> = (
  model: ModelView,
  options: O,
  onProgress?: (p: ModeProgress) => void,
  signal?: AbortSignal,
) => Promise<ModeOutput<R>>;

export interface ModeDefinition<Id extends string, O, R extends ModeReportBase<Id>> {
  meta: ModeMeta<Id>;
  run: ModeRun<O, R>;
}
