/**
 * "Smallest model that meets a bar" (target mode, src/core/mixed) on one model card: the bar and the search budget
 * as a form, the run in the target worker (target-bridge.ts runTarget) with progress and Cancel, and the answer —
 * the report (points for the size-vs-quality plot, the precision per layer group, the verdict, the quality report)
 * and the file to download. No DOM: tests drive it with the worker's job on onnxruntime-node
 * (tests/app/controllers/target.test.ts).
 *
 *   const t = new TargetController({ file, externalFiles, companions: () => [...], name }, deps);
 *   t.form.minCosine = '0.99'; await t.start();   // t.result: TargetResult (report, file, targetCheck, fromCache)
 *   t.cancel(); t.dispose();
 *
 * Results are cached by the worker (IndexedDB, the engine's cache key): the same model, bar and budget again come
 * back at once (`result.fromCache`), the answer rebuilt from the cached report.
 */
import { AvaError } from '../../core/errors.js';
import type { Precision, TargetBar, TargetPoint, TargetReport } from '../../core/mixed/index.js';
import { COSINE_BAR_RANGE, loadProbes, OVERLAP_BAR_RANGE, PROBE_FILES } from '../../core/quality/index.js';
import { type NumberRange, OptionError, parseNumberOption } from '../../core/modes/options.js';
import { qualityBackendFor, type TargetId } from '../../core/targets/index.js';
import type { TargetProgress, TargetRequest, TargetResult } from '../../../workers/target-protocol.js';
import type { BackendRun } from '../quality/types.js';
import { formatMiB } from '../format.js';
import { Job } from '../job.svelte.js';
import type { ModelName } from '../names.js';
import { NO_COMPANIONS, pathOf, type Companions } from '../quality/companions.js';

export interface TargetSource {
  file: File;
  externalFiles: File[];
  /** The rest of the model's drop, read anew at each run (tokenizer.json may come later). */
  companions: () => File[];
  name: ModelName;
}

export interface TargetDeps {
  /** Runs target mode in its worker (target-bridge.ts runTarget); rejects with an AvaError (kind 'abort' on cancel). */
  run(request: TargetRequest, opts: { signal: AbortSignal; onProgress: (p: TargetProgress) => void }): Promise<TargetResult>;
  /** The cached answer for the request, or null (target-bridge.ts lookupTarget): nothing is measured. */
  lookup(request: TargetRequest, opts: { signal: AbortSignal }): Promise<TargetResult | null>;
  newJobId(): string;
  removeJobFiles(jobId: string): Promise<void>;
  /** A shipped probe file (public/probes/<file>) as parsed JSON. */
  loadProbeFile(file: string): Promise<unknown>;
  findCompanions(model: File, others: readonly File[]): Promise<Companions>;
  announce?(message: string): void;
  now?(): Date;
  /** Remembers the form of the last run (the page: localStorage), so the next visit starts from it. */
  saveForm?(form: TargetForm): void;
}

/** The sentence sets target mode may verify on (the shipped ones; the retrieval sets always come along). */
export const TARGET_PROBES = [
  { id: 'en', file: 'en.json', label: 'English (107 sentences)' },
  { id: 'multi', file: 'multi.json', label: 'Multilingual (112 sentences, 14 languages)' },
] as const;

/** The precisions a layer group may take besides float32. */
export const TARGET_CANDIDATES: readonly Exclude<Precision, 'fp32'>[] = ['fp16', 'int8', 'q4'];

export interface TargetForm {
  useCosine: boolean;
  /** Mean cosine bar, e.g. "0.99". */
  minCosine: string;
  useTop5: boolean;
  /** Top-5 retrieval overlap bar, 0..1, e.g. "0.95". */
  minTop5: string;
  /** Sentence set ids (TARGET_PROBES). */
  probes: string[];
  /** Sentences in the sensitivity subset. */
  subset: string;
  candidates: Exclude<Precision, 'fp32'>[];
  /** Mixes the search verifies on the full set. */
  maxVerifications: string;
  /** Also measure all-FP16 and all-Q4 on the full set. */
  uniform: boolean;
}

/** The engine's defaults (src/core/mixed/target.ts, as the CLI's `quantize … target`), bar 0.99 mean cosine. */
export function defaultTargetForm(): TargetForm {
  return {
    useCosine: true,
    minCosine: '0.99',
    useTop5: false,
    minTop5: '0.95',
    probes: ['en', 'multi'],
    subset: '24',
    candidates: [...TARGET_CANDIDATES],
    maxVerifications: '6',
    uniform: true,
  };
}

/** A stored form (untrusted JSON) read back: known fields of the right type, the defaults for the rest. */
export function readStoredForm(raw: unknown): TargetForm {
  const d = defaultTargetForm();
  if (!raw || typeof raw !== 'object') return d;
  const r = raw as Record<string, unknown>;
  const str = (k: keyof TargetForm) => (typeof r[k] === 'string' ? (r[k] as string) : (d[k] as string));
  const bool = (k: keyof TargetForm) => (typeof r[k] === 'boolean' ? (r[k] as boolean) : (d[k] as boolean));
  const list = <T extends string>(k: keyof TargetForm, known: readonly T[]): T[] =>
    Array.isArray(r[k]) ? (r[k] as unknown[]).filter((x): x is T => known.includes(x as T)) : (d[k] as T[]);
  return {
    useCosine: bool('useCosine'),
    minCosine: str('minCosine'),
    useTop5: bool('useTop5'),
    minTop5: str('minTop5'),
    probes: list(
      'probes',
      TARGET_PROBES.map((p) => p.id),
    ),
    subset: str('subset'),
    candidates: list('candidates', TARGET_CANDIDATES),
    maxVerifications: str('maxVerifications'),
    uniform: bool('uniform'),
  };
}

export type ParsedTargetForm =
  | {
      ok: true;
      bar: TargetBar;
      probes: string[];
      subset: number;
      candidates: Exclude<Precision, 'fp32'>[];
      maxVerifications: number;
      uniform: boolean;
    }
  | { ok: false; error: string };

/** A bar from the form: the range and the wording of the CLI's flags and the engine ("above -1 and at most 1"). */
function num(text: string, what: string, range: NumberRange): number | string {
  try {
    return parseNumberOption(range, text, what);
  } catch (e) {
    if (e instanceof OptionError) return e.message;
    throw e;
  }
}

function int(text: string, what: string, lo: number): number | string {
  const t = text.trim();
  const n = Number(t);
  if (t === '' || !Number.isInteger(n) || n < lo) return `${what} must be a whole number ≥ ${lo} (got "${text}")`;
  return n;
}

/** The form checked: the bar (at least one of the two), the probe sets (at least one), the budget. */
export function parseTargetForm(f: TargetForm): ParsedTargetForm {
  if (!f.useCosine && !f.useTop5) return { ok: false, error: 'choose a bar: a minimum mean cosine, a minimum top-5 overlap, or both' };
  const bar: TargetBar = {};
  if (f.useCosine) {
    const c = num(f.minCosine, 'Minimum mean cosine', COSINE_BAR_RANGE);
    if (typeof c === 'string') return { ok: false, error: c };
    bar.minCosine = c;
  }
  if (f.useTop5) {
    const t = num(f.minTop5, 'Minimum top-5 overlap', OVERLAP_BAR_RANGE);
    if (typeof t === 'string') return { ok: false, error: t };
    bar.minTop5Overlap = t;
  }
  const probes = TARGET_PROBES.map((p) => p.id).filter((id) => f.probes.includes(id));
  if (!probes.length) return { ok: false, error: 'choose at least one sentence set to verify on' };
  const subset = int(f.subset, 'Sentences in the sensitivity subset', 1);
  if (typeof subset === 'string') return { ok: false, error: subset };
  const candidates = TARGET_CANDIDATES.filter((c) => f.candidates.includes(c));
  if (!candidates.length) return { ok: false, error: 'choose at least one precision a layer group may take' };
  const maxVerifications = int(f.maxVerifications, 'Mixes verified', 1);
  if (typeof maxVerifications === 'string') return { ok: false, error: maxVerifications };
  return { ok: true, bar, probes, subset, candidates, maxVerifications, uniform: f.uniform };
}

/** "mean cosine ≥ 0.99 and top-5 overlap ≥ 0.95". */
export function barText(bar: TargetBar): string {
  return [
    bar.minCosine !== undefined ? `mean cosine ≥ ${bar.minCosine}` : null,
    bar.minTop5Overlap !== undefined ? `top-5 overlap ≥ ${bar.minTop5Overlap}` : null,
  ]
    .filter(Boolean)
    .join(' and ');
}

/** One row of the per-layer-group table: the answer's precision and its predicted bytes. */
export interface GroupRow {
  id: string;
  kind: string;
  nodes: number;
  weightBytes: number;
  precision: Precision;
  predictedBytes: number;
}

/** The precision per layer group of the answer (every group; fp32 where it stays float32). */
export function groupRows(report: TargetReport): GroupRow[] {
  const a = report.chosen?.assignment ?? {};
  return report.groups.map((g) => {
    const precision = a[g.id] ?? 'fp32';
    return { id: g.id, kind: g.kind, nodes: g.nodes, weightBytes: g.weightBytes, precision, predictedBytes: g.predictedBytes[precision] };
  });
}

/** The measure the plot's y axis shows: mean cosine, unless the bar is on top-5 overlap alone. */
export function plotMeasure(bar: TargetBar): 'meanCosine' | 'top5Overlap' {
  return bar.minCosine === undefined && bar.minTop5Overlap !== undefined ? 'top5Overlap' : 'meanCosine';
}

export interface PlotPoint {
  x: number;
  y: number;
  kind: TargetPoint['kind'];
  label: string;
  probes: TargetPoint['probes'];
  meetsBar: boolean;
  int8: boolean;
  chosen: boolean;
}

export interface Plot {
  measure: 'meanCosine' | 'top5Overlap';
  /** The bar on that measure (null: the bar is on the other one only). */
  bar: number | null;
  points: PlotPoint[];
  /** Points with no value for the measure (e.g. no retrieval): not drawn, counted. */
  missing: number;
  x: { lo: number; hi: number };
  y: { lo: number; hi: number };
}

/** The size-vs-quality plot of a report: every measured model (x bytes, y the measure), the bar, INT8 and the answer. */
export function plotOf(report: TargetReport): Plot {
  const measure = plotMeasure(report.bar);
  const bar = measure === 'meanCosine' ? (report.bar.minCosine ?? null) : (report.bar.minTop5Overlap ?? null);
  const same = (p: TargetPoint, q: TargetPoint | null) => !!q && p.bytes === q.bytes && p.label === q.label && p.probes === q.probes;
  let missing = 0;
  const points: PlotPoint[] = [];
  for (const p of report.points) {
    const y = p[measure];
    if (y === null || !Number.isFinite(y)) {
      missing++;
      continue;
    }
    points.push({
      x: p.bytes,
      y,
      kind: p.kind,
      label: p.label,
      probes: p.probes,
      meetsBar: p.meetsBar,
      int8: same(p, report.int8),
      chosen: same(p, report.chosen),
    });
  }
  const xs = points.map((p) => p.x);
  const ys = [...points.map((p) => p.y), ...(bar !== null ? [bar] : [])];
  const xhi = Math.max(1, ...xs, report.model.bytes);
  const ylo0 = ys.length ? Math.min(...ys) : 0;
  const ylo = Math.max(-1, ylo0 - Math.max(1e-4, (1 - ylo0) * 0.05));
  return { measure, bar, points, missing, x: { lo: 0, hi: xhi }, y: { lo: ylo, hi: 1 } };
}

/**
 * The answer's final quality report as a column of the quality report view (the worker ran it on the backend named
 * in `result.runtime`); null when there is no answer. What the target worker does not record (placements, the
 * adapter, onnxruntime's log) is left empty.
 */
export function qualityRunOf(r: TargetResult): BackendRun | null {
  const report = r.report.quality;
  if (!report) return null;
  const runtime = {
    backend: r.runtime.backend,
    ortBuild: r.runtime.ortBuild,
    ortVersion: '',
    requestedProviders: report.backend.requestedProviders,
    placements: [],
    threads: r.runtime.threads,
    threadsReason: r.runtime.threadsReason,
    crossOriginIsolated: typeof globalThis.crossOriginIsolated === 'boolean' ? globalThis.crossOriginIsolated : false,
    hardwareConcurrency: typeof navigator !== 'undefined' ? (navigator.hardwareConcurrency ?? null) : null,
    adapter: null,
    ortLog: [],
  };
  return {
    backend: r.runtime.backend,
    state: { status: 'done', result: { report, runtime, skipped: null }, key: r.report.cacheKey, cachedAt: null, wallMs: null },
  };
}

export class TargetController {
  form = $state<TargetForm>(defaultTargetForm());
  readonly parsed = $derived(parseTargetForm(this.form));
  readonly job = new Job<TargetResult, TargetProgress>();
  /** A cache lookup (when the panel opens): quiet, no progress; a run started meanwhile wins. */
  readonly lookupJob = new Job<TargetResult | null>();
  /** The last answer (kept when a later run is cancelled or fails). */
  result = $state.raw<TargetResult | null>(null);
  /** Its download link (an object URL of the answer's file). */
  url = $state<string | null>(null);
  /** The target and bar the shown result was made for. */
  shownFor = $state<{ target: TargetId; bar: TargetBar } | null>(null);

  readonly source: TargetSource;
  #deps: TargetDeps;
  #jobId: string | null = null;
  #disposed = false;

  constructor(source: TargetSource, deps: TargetDeps, form?: TargetForm) {
    this.source = source;
    this.#deps = deps;
    if (form) this.form = form;
  }

  get busy(): boolean {
    return this.job.busy;
  }

  /** The answer's download name ("<base>-MIXED.onnx", from the worker). */
  get fileName(): string | null {
    return this.result?.fileName ?? null;
  }

  /**
   * Runs target mode for `target` (checked against it; the search measures on its matching page backend) with INT8's
   * preset `int8Preset` (null: the mode's default). `noCache`: measure again. Resolves when the job ends.
   */
  async start(target: TargetId, int8Preset: string | null, opts: { noCache?: boolean } = {}): Promise<void> {
    const p = this.parsed;
    if (this.job.busy || !p.ok || this.#disposed) return;
    this.lookupJob.cancel(); // a run wins over a cache lookup still going
    this.#deps.saveForm?.($state.snapshot(this.form) as TargetForm);
    const jobId = this.#deps.newJobId();
    const title = this.source.name.title;
    this.#deps.announce?.(`Looking for the smallest ${title} with ${barText(p.bar)}…`);
    const outcome = await this.job.run(async ({ signal, progress, started }) => {
      started();
      signal.addEventListener('abort', () => void this.#deps.removeJobFiles(jobId), { once: true });
      const request = await this.#request(p, target, int8Preset, jobId, opts.noCache === true);
      signal.throwIfAborted();
      return this.#deps.run(request, { signal, onProgress: progress });
    });
    if (outcome.status === 'done') {
      this.#show(outcome.result, jobId, target, p.bar);
    } else if (outcome.status === 'error') {
      void this.#deps.removeJobFiles(jobId);
      this.#deps.announce?.(`${title}: target mode failed: ${outcome.error.message}`);
    }
  }

  /**
   * Shows the cached answer for the current form at once, when there is one (nothing is measured; a miss shows
   * nothing). Skipped while a run is going; a run started meanwhile wins.
   */
  async lookupCached(target: TargetId, int8Preset: string | null): Promise<boolean> {
    const p = this.parsed;
    if (this.job.busy || this.lookupJob.busy || !p.ok || this.#disposed) return false;
    const jobId = this.#deps.newJobId();
    const outcome = await this.lookupJob.run(async ({ signal, started }) => {
      started();
      signal.addEventListener('abort', () => void this.#deps.removeJobFiles(jobId), { once: true });
      const request = await this.#request(p, target, int8Preset, jobId, false);
      signal.throwIfAborted();
      return this.#deps.lookup(request, { signal });
    });
    if (outcome.status !== 'done' || !outcome.result) {
      void this.#deps.removeJobFiles(jobId);
      return false;
    }
    if (this.job.busy) {
      void this.#deps.removeJobFiles(jobId);
      return false;
    }
    this.#show(outcome.result, jobId, target, p.bar);
    return true;
  }

  /** The worker request for the form (probes and tokenizer files read now). */
  async #request(
    p: Extract<ParsedTargetForm, { ok: true }>,
    target: TargetId,
    int8Preset: string | null,
    jobId: string,
    noCache: boolean,
  ): Promise<TargetRequest> {
    const others = this.source.companions();
    const c = await this.#deps.findCompanions(this.source.file, others).catch(() => NO_COMPANIONS);
    if (p.bar.minTop5Overlap !== undefined && !c.tokenizerJson)
      throw new AvaError(
        'options',
        'a top-5 overlap bar needs the tokenizer: drop tokenizer.json with the model (retrieval needs real text)',
      );
    const all = await loadProbes((f) => this.#deps.loadProbeFile(f), PROBE_FILES);
    const probes = { sentenceSets: all.sentenceSets.filter((s) => p.probes.includes(s.id)), retrievalSets: all.retrievalSets };
    const files = [...new Set([...this.source.externalFiles, ...others])];
    return {
      model: {
        blob: this.source.file,
        name: this.source.file.name,
        path: pathOf(this.source.file),
        others: files.map((f) => ({ path: pathOf(f), blob: f })),
      },
      tokenizer: c.tokenizerJson ? { tokenizerJson: c.tokenizerJson, tokenizerConfig: c.tokenizerConfig } : null,
      pooling: c.pooling,
      bar: p.bar,
      probes,
      sensitivitySentences: p.subset,
      candidates: p.candidates,
      maxVerifications: p.maxVerifications,
      uniform: p.uniform,
      ...(int8Preset ? { int8: { preset: int8Preset as never } } : {}),
      backend: qualityBackendFor(target).page.backend,
      target: { id: target },
      output: { jobId },
      date: (this.#deps.now?.() ?? new Date()).toISOString(),
      ...(noCache ? { noCache: true } : {}),
    };
  }

  #show(r: TargetResult, jobId: string, target: TargetId, bar: TargetBar): void {
    this.#release();
    this.result = r;
    this.url = r.file ? URL.createObjectURL(r.file) : null;
    this.#jobId = r.storage === 'opfs' ? jobId : null;
    this.shownFor = { target, bar };
    this.#deps.announce?.(`${this.source.name.title}: ${r.report.verdict.statement}${r.file ? ` (${formatMiB(r.file.size)})` : ''}`);
  }

  cancel(): void {
    if (!this.job.busy) return;
    this.job.cancel();
    this.#deps.announce?.(`Cancelled the search for ${this.source.name.title}`);
  }

  #release(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    if (this.#jobId) void this.#deps.removeJobFiles(this.#jobId);
    this.url = null;
    this.#jobId = null;
  }

  dispose(): void {
    this.#disposed = true;
    this.job.cancel();
    this.lookupJob.cancel();
    this.#release();
    this.result = null;
  }
}
