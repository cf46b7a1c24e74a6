/**
 * One fuzz case through everything that reads a model, in Node, as the app and the CLI run it:
 *  - open: openModel over a streaming source (payloads left in the "file", external data among the siblings);
 *  - parse: parseModel on the bytes in memory (the quality check's reader);
 *  - inspect: the model card (summarize) of the opened model;
 *  - int8 / fp16: runMode + writeOutput to memory (INT8 with a preset chosen by the case index); q4 / q4f16: the 4-bit
 *    modes of src/core/q4 (MatMulNBits; then FP16), collected in memory;
 *  - quality: the quality check's model loading (parseModel, summarize, createEmbedder on onnxruntime-node);
 *  - <mode>Loads: a mode's output loads in onnxruntime-node whenever the input did;
 *  - the input's and siblings' sha256 before and after.
 * Every stage ends in `ok` or a named outcome class; anything else is recorded as `internal` with its stack.
 * `problemsOf` turns a result into the list of broken guarantees (empty = the case passed).
 */
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import { OnnxFormatError } from '../../src/core/onnx/errors.js';
import { openModel, type OpenedModel } from '../../src/core/onnx/open.js';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { summarize } from '../../src/core/onnx/inspect.js';
import type { ByteSource } from '../../src/core/io/source.js';
import { checkRange } from '../../src/core/io/source.js';
import { memorySink } from '../../src/core/io/write.js';
import { type ModeRequest, runMode, writeOutput } from '../../src/core/modes/index.js';
import { Int8Refusal, type PresetName } from '../../src/core/int8/index.js';
import { Fp16OptionError } from '../../src/core/fp16/options.js';
import { Q4OptionError, Q4Refusal } from '../../src/core/q4/index.js';
import { QualityError, createEmbedder } from '../../src/core/quality/embedder.js';
import type { OrtModule, OrtSessionOptionsLike } from '../../src/core/quality/ort.js';
import type { Family, FuzzCase } from './cases.js';

/** Named outcomes. `internal` is never acceptable; the harness adds timeout / out-of-memory / crash. */
export type OutcomeClass =
  | 'ok'
  | 'skipped'
  | 'OnnxFormatError'
  | 'Int8Refusal'
  | 'Fp16OptionError'
  | 'Q4Refusal'
  | 'Q4OptionError'
  | 'QualityError'
  | 'OrtRefused'
  | 'internal';

export interface StageOutcome {
  class: OutcomeClass;
  message?: string;
  /** sha256 of a mode's output, the external-data problems of an opened model, … */
  detail?: string;
  stack?: string;
}

/** Every output mode of the core. */
export const FUZZ_MODES = ['int8', 'fp16', 'q4', 'q4f16'] as const;
export type FuzzMode = (typeof FUZZ_MODES)[number];

export const STAGES = ['open', 'parse', 'inspect', ...FUZZ_MODES, 'quality', 'int8Loads', 'fp16Loads', 'q4Loads', 'q4f16Loads'] as const;
export type Stage = (typeof STAGES)[number];

export interface CaseResult {
  id: string;
  family: Family;
  base: string;
  note: string;
  inputBytes: number;
  stages: Record<Stage, StageOutcome>;
  /** Whether onnxruntime-node loads the input bytes (null: not tried, our reader refused them first). */
  ortInput: { loaded: boolean; message?: string } | null;
  /** sha256 of the model and every sibling, before and after all stages. */
  inputUnchanged: boolean;
  /** A second run of each mode that succeeded gave the same bytes (checked on every 4th case). */
  deterministic: boolean | null;
  ms: number;
  /** Set by the harness when the case never finished. */
  harness?: { class: 'timeout' | 'out-of-memory' | 'crash'; message: string };
}

/** Which classes each stage may end in (besides ok / skipped). */
const ALLOWED: Record<Stage, readonly OutcomeClass[]> = {
  open: ['OnnxFormatError'],
  parse: ['OnnxFormatError'],
  inspect: ['OnnxFormatError'],
  int8: ['OnnxFormatError', 'Int8Refusal'],
  fp16: ['OnnxFormatError', 'Fp16OptionError'],
  q4: ['OnnxFormatError', 'Q4Refusal', 'Q4OptionError'],
  q4f16: ['OnnxFormatError', 'Q4Refusal', 'Q4OptionError', 'Fp16OptionError'],
  quality: ['OnnxFormatError', 'QualityError', 'OrtRefused'],
  int8Loads: [],
  fp16Loads: [],
  q4Loads: [],
  q4f16Loads: [],
};

/** An error onnxruntime raised while loading a model (its own refusal, not ours). */
class OrtRefused extends Error {
  override name = 'OrtRefused';
}

/** Pinned provenance, so outputs are comparable run after run. */
const DATE = '2026-01-01T00:00:00.000Z';
const PRESETS: PresetName[] = ['avx512-vnni', 'tjs-q8', 'ort-default'];
const SESSION = { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], logSeverityLevel: 4 };

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A source that behaves like a file on disk: no `.bytes`, every read a fresh copy. */
function fileLike(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset, length, signal) {
      signal?.throwIfAborted();
      checkRange(name, bytes.length, offset, length);
      return Promise.resolve(bytes.slice(offset, offset + length));
    },
  };
}

export function classify(e: unknown): StageOutcome {
  const err = e instanceof Error ? e : new Error(String(e));
  const named: [new (...a: never[]) => Error, OutcomeClass][] = [
    [OnnxFormatError, 'OnnxFormatError'],
    [Int8Refusal, 'Int8Refusal'],
    [Fp16OptionError, 'Fp16OptionError'],
    [Q4Refusal, 'Q4Refusal'],
    [Q4OptionError, 'Q4OptionError'],
    [QualityError, 'QualityError'],
    [OrtRefused, 'OrtRefused'],
  ];
  const hit = named.find(([C]) => err instanceof C);
  // A named error must still read as the user's problem: an empty message or "internal error: …" is a bug.
  if (hit && err.message && !/^internal\b/i.test(err.message)) return { class: hit[1], message: err.message };
  return {
    class: 'internal',
    message: `${err.name}: ${err.message}`,
    ...(err.stack ? { stack: err.stack.split('\n').slice(0, 12).join('\n') } : {}),
  };
}

async function stage(fn: () => Promise<string | undefined | void>): Promise<StageOutcome> {
  try {
    const detail = await fn();
    return detail ? { class: 'ok', detail } : { class: 'ok' };
  } catch (e) {
    return classify(e);
  }
}

const skipped: StageOutcome = { class: 'skipped' };

/** onnxruntime-node with its load errors marked as onnxruntime's refusals. */
const refusingOrt: OrtModule = {
  InferenceSession: {
    async create(model: Uint8Array | string, options?: OrtSessionOptionsLike) {
      try {
        const o = options as ort.InferenceSession.SessionOptions;
        return await (typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o));
      } catch (e) {
        throw new OrtRefused(e instanceof Error ? e.message : String(e));
      }
    },
  },
  Tensor: ort.Tensor as unknown as OrtModule['Tensor'],
};

async function ortLoads(bytes: Uint8Array): Promise<void> {
  const s = await refusingOrt.InferenceSession.create(bytes, SESSION);
  await s.release?.();
}

function openCase(c: FuzzCase): Promise<OpenedModel> {
  const siblings = new Map(Object.entries(c.siblings).map(([k, v]) => [k, fileLike(v, k)] as const));
  return openModel({ model: fileLike(c.model, c.modelName), siblings });
}

type FuzzRequest = ModeRequest;

/**
 * Every mode through the one entry point, with `force` (an already-quantized or nothing-to-do input is processed
 * anyway: the fuzz exercises the engines on every mutation; the refusals are tested in tests/modes).
 */
async function runOneMode(model: ModelView, req: FuzzRequest): Promise<Uint8Array> {
  const result = await runMode(model, req, { force: true });
  const sink = memorySink();
  await writeOutput(result, sink);
  const out = sink.bytes();
  if (out.length !== result.outputBytes) throw new Error(`internal error: wrote ${out.length} bytes, planned ${result.outputBytes}`);
  return out;
}

/** The request each mode gets for case `index`. */
export function requestsFor(index: number, sourceSha: string, name: string): Record<FuzzMode, FuzzRequest> {
  const provenance = { source: { name, sha256: sourceSha }, toolVersion: 'fuzz', date: DATE };
  return {
    int8: { mode: 'int8', options: { preset: PRESETS[index % PRESETS.length]!, provenance } },
    fp16: { mode: 'fp16', options: { provenance } },
    q4: { mode: 'q4', options: {} },
    q4f16: { mode: 'q4f16', options: {} },
  };
}

/** Runs every stage of case `c` (see the module comment). */
export async function runCase(c: FuzzCase): Promise<CaseResult> {
  const t0 = Date.now();
  const before = [sha(c.model), ...Object.values(c.siblings).map(sha)];
  const stages = {} as Record<Stage, StageOutcome>;

  let opened: OpenedModel | null = null;
  stages.open = await stage(async () => {
    opened = await openCase(c);
    return opened.problems.length ? `external data problems: ${opened.problems.map((p) => p.message).join('; ')}` : undefined;
  });
  stages.parse = await stage(async () => void parseModel(c.model));
  const o = opened as OpenedModel | null;
  stages.inspect = o
    ? await stage(async () => void summarize(o.model, { fileName: c.modelName, fileBytes: c.model.length }, c.model.length))
    : skipped;

  const reqs = requestsFor(c.index, before[0]!, c.modelName);
  const outputs: Partial<Record<FuzzMode, Uint8Array>> = {};
  for (const mode of FUZZ_MODES) {
    stages[mode] = o
      ? await stage(async () => {
          const out = await runOneMode(o.model, reqs[mode]);
          outputs[mode] = out;
          return `output ${out.length} bytes, sha256 ${sha(out)}`;
        })
      : skipped;
  }

  // The quality check's loading: it reads the bytes in memory (parseModel), then onnxruntime loads them.
  stages.quality = await stage(async () => {
    const view = parseModel(c.model);
    summarize(view, { fileName: c.modelName }, c.model.length);
    const emb = await createEmbedder({ ort: refusingOrt, model: c.model, modelView: view, sessionOptions: SESSION });
    await emb.release();
  });
  // Did onnxruntime itself load the input? (The quality check refuses some models after loading them, or before:
  // inputs it cannot fill, a string input.)
  let ortInput: { loaded: boolean; message?: string } | null = null;
  if (stages.quality.class === 'OrtRefused') ortInput = { loaded: false, message: stages.quality.message! };
  else if (stages.quality.class === 'ok') ortInput = { loaded: true };
  else if (stages.quality.class === 'QualityError')
    ortInput = await ortLoads(c.model).then(
      () => ({ loaded: true }),
      (e: Error) => ({ loaded: false, message: e.message }),
    );
  const inputLoaded = ortInput?.loaded ?? false;

  for (const mode of FUZZ_MODES) {
    const out = outputs[mode];
    stages[`${mode}Loads`] = out && inputLoaded ? await stage(() => ortLoads(out)) : skipped;
  }

  let deterministic: boolean | null = null;
  if (c.index % 4 === 0 && (outputs.int8 || outputs.fp16)) {
    deterministic = true;
    for (const mode of FUZZ_MODES) {
      const first = outputs[mode];
      if (!first) continue;
      try {
        const again = await runOneMode((await openCase(c)).model, reqs[mode]);
        if (sha(again) !== sha(first)) deterministic = false;
      } catch {
        deterministic = false;
      }
    }
  }

  const after = [sha(c.model), ...Object.values(c.siblings).map(sha)];
  return {
    id: c.id,
    family: c.family,
    base: c.base,
    note: c.note,
    inputBytes: c.model.length + Object.values(c.siblings).reduce((a, b) => a + b.length, 0),
    stages,
    ortInput,
    inputUnchanged: before.every((h, i) => h === after[i]),
    deterministic,
    ms: Date.now() - t0,
  };
}

const refused = (s: StageOutcome) => s.class === 'OnnxFormatError';
const firstLine = (m: string) =>
  m
    .trim()
    .split('\n')
    .pop()!
    .replace(/^.*?\] /, '')
    .slice(0, 200);

/** onnxruntime's load-time errors for a structurally broken graph (onnxruntime/core/graph/graph.cc). */
export const STRUCTURAL =
  /is not a graph input, initializer, or output of a previous node|not acyclic|has cycles|does not exist in the graph|Duplicate definition/i;

/** The guarantees a result breaks (empty when the case passed). */
export function problemsOf(r: CaseResult): string[] {
  const out: string[] = [];
  if (r.harness) return [`${r.harness.class}: ${r.harness.message}`];
  for (const s of STAGES) {
    const o = r.stages[s];
    if (!o) {
      out.push(`${s}: no outcome`);
      continue;
    }
    if (o.class === 'ok' || o.class === 'skipped') continue;
    if (!ALLOWED[s].includes(o.class))
      out.push(`${s}: ${o.class === 'internal' ? 'internal error' : `unexpected ${o.class}`}: ${o.message}`);
  }
  if (!r.inputUnchanged) out.push('the input bytes changed');
  if (r.deterministic === false) out.push('a mode gave different bytes on a second run');
  const { open, parse } = r.stages;
  // Every mode refuses exactly the files the others refuse as bad (OnnxFormatError), with the same message.
  const ran = FUZZ_MODES.filter((m) => r.stages[m].class !== 'skipped');
  const verdicts = new Set(ran.map((m) => (refused(r.stages[m]) ? `refused: ${r.stages[m].message}` : 'not refused')));
  if (verdicts.size > 1)
    out.push(
      `modes disagree: ${ran.map((m) => `${m} ${r.stages[m].class}${r.stages[m].message ? ` (${r.stages[m].message})` : ''}`).join(', ')}`,
    );
  if ((open.class === 'ok') !== (parse.class === 'ok') && !/external data/.test(r.family))
    out.push(
      `the streaming reader and the in-memory reader disagree: open ${open.class} (${open.message ?? ''}), parse ${parse.class} (${parse.message ?? ''})`,
    );
  // onnxruntime's own verdict on the graph, as an independent oracle: a graph it calls invalid (a tensor nothing
  // defines, a name defined twice, a cycle) must be refused by every mode, before any output is written.
  if (r.ortInput && !r.ortInput.loaded && STRUCTURAL.test(r.ortInput.message ?? ''))
    for (const mode of FUZZ_MODES)
      if (r.stages[mode].class !== 'skipped' && !refused(r.stages[mode]))
        out.push(
          `${mode} ${r.stages[mode].class === 'ok' ? 'wrote an output for' : `refused with ${r.stages[mode].class}, not as a bad file,`} a graph onnxruntime calls invalid (${firstLine(r.ortInput.message!)})`,
        );
  if (r.family === 'control' && (open.class !== 'ok' || FUZZ_MODES.some((m) => refused(r.stages[m]))))
    out.push('an unmodified fixture was refused');
  return out;
}
