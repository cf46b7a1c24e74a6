/**
 * The quality check of one pair (an original and its quantized copy): the job logic behind the quality panel, with
 * no DOM, so tests drive it on onnxruntime-node (tests/app/controllers/quality.test.ts).
 *
 *   const q = new QualityController({ original, quantized, sources: () => [...], outputs: ['last_hidden_state'] }, deps);
 *   await q.prepare();              // tokenizer files among the dropped ones, WebGPU adapter
 *   await q.runQuick();             // the quick check after a quantize: a small probe subset on WASM (seconds)
 *   await q.run(false);             // the full check on the chosen probes, on WASM and (when on) WebGPU
 *   q.answer?.report.verdict.headline; q.cancel(); q.dispose();
 *
 * Everything that touches a worker, storage or the network is a dependency (`QualityDeps`): the page passes the
 * quality worker's bridge and IndexedDB (quality-deps.ts), tests pass the same core on onnxruntime-node and a Map.
 * Reports are cached under both models' digests + tokenizer files + probe selection + threshold + output/pooling +
 * backend; the quick check has its own entry.
 */
import { asAvaError } from '../../core/errors.js';
import {
  compareBackendReports,
  loadProbes,
  PROBE_FILES,
  quickSelection,
  retrievalSetFromStrings,
  type BackendComparison,
  type ProbeBundle,
  type QualityReport,
} from '../../core/quality/index.js';
import type { GpuProbe, ModelFilesInput, QualityBackend, QualityRequest, QualityResult } from '../../../workers/quality-protocol.js';
import type { QualityProgress } from '../../core/quality/index.js';
import { cacheKey, type CachedResult } from '../quality/cache.js';
import { NO_COMPANIONS, type Companions } from '../quality/companions.js';
import { defaultForm, PROBE_CHOICES, readForm, userTextsCanonical, type Selection, type SelectionForm } from '../quality/selection.js';
import type { RunState } from '../quality/types.js';
import { Job } from '../job.svelte.js';

export const BACKENDS: readonly QualityBackend[] = ['wasm', 'webgpu'];

/** How the sentence vector is read: '' = what the model and its 1_Pooling/config.json say. */
export type PoolingMode = '' | 'mean' | 'cls' | 'none';

export interface QualityPair {
  original: ModelFilesInput;
  quantized: ModelFilesInput;
  /** Where the tokenizer files may be: model files with the rest of their drop, in order of preference (read anew on refreshCompanions()). */
  sources: () => { model: File; others: File[] }[];
  /** The models' graph outputs, to choose from (the original's). */
  outputs?: string[];
}

export interface QualityDeps {
  runCheck(request: QualityRequest, opts: { signal: AbortSignal; onProgress: (p: QualityProgress) => void }): Promise<QualityResult>;
  /** SHA-256 of a model without its metadata_props, followed by its external data (core/quality/digest.ts). */
  modelDigest(model: ModelFilesInput): Promise<string>;
  sha256(blob: Blob): Promise<string>;
  loadCached(key: string): Promise<Pick<CachedResult, 'result' | 'storedAt'> | null>;
  storeCached(key: string, result: QualityResult): Promise<void>;
  probeGpu(): Promise<GpuProbe>;
  /** A shipped probe file (public/probes/<file>) as parsed JSON. */
  loadProbeFile(file: string): Promise<unknown>;
  findCompanions(model: File, others: readonly File[]): Promise<Companions>;
  /** The reports now shown for this output, the first one the primary (WASM, else the quick check); [] when none. */
  publish?(quantized: Blob, reports: QualityReport[]): void;
  announce?(message: string): void;
  /** Remembers the form (the page: localStorage). */
  saveForm?(form: SelectionForm, webgpu: boolean | null): void;
}

export interface QualityOptions {
  form?: SelectionForm;
  /** The user's WebGPU choice; null = on for a hardware adapter, off for a software one. */
  webgpu?: boolean | null;
}

export const BACKEND_NAME: Record<QualityBackend, string> = { wasm: 'WASM (CPU)', webgpu: 'WebGPU' };

/** The answer of a check: the report it is read from and which run made it. */
export interface Answer {
  report: QualityReport;
  /** 'quick': the automatic check on a probe subset; 'full': the chosen probe sets. */
  kind: 'quick' | 'full';
  backend: QualityBackend;
}

export class QualityController {
  form = $state<SelectionForm>(defaultForm());
  webgpu = $state<boolean | null>(null);
  /** The output and pooling to read the sentence vector from ('' = automatic). */
  output = $state('');
  pooling = $state<PoolingMode>('');
  companions = $state<Companions | null>(null);
  gpu = $state<GpuProbe | null>(null);
  runs = $state<Record<QualityBackend, RunState>>({ wasm: { status: 'idle' }, webgpu: { status: 'idle' } });
  /** The quick check (WASM, probe subset), run by itself after a quantize. */
  quick = $state<RunState>({ status: 'idle' });
  /** Cache and hashing problems: shown, never swallowed. */
  notices = $state<string[]>([]);
  phase = $state<'preparing' | 'hashing' | 'ready'>('preparing');
  /** The two models' digests once hashed. */
  digests = $state<{ original: string; quantized: string } | null>(null);

  /** The full check (all backends in turn) and the quick check, each one cancellable job. */
  readonly fullJob = new Job<void, QualityProgress>();
  readonly quickJob = new Job<void, QualityProgress>();

  readonly parsed = $derived(readForm(this.form));
  readonly gpuOn = $derived(!!this.gpu?.available && (this.webgpu ?? !this.gpu.adapter?.isFallbackAdapter));
  readonly busy = $derived(this.fullJob.busy || this.quickJob.busy);
  /** Every backend that would run has a result on screen: the button re-runs (ignoring the cache). */
  readonly allShown = $derived(BACKENDS.filter((b) => b === 'wasm' || this.gpuOn).every((b) => this.runs[b].status === 'done'));
  readonly running = $derived(BACKENDS.find((b) => this.runs[b].status === 'running') ?? null);

  readonly pair: QualityPair;
  #deps: QualityDeps;
  #prepared: Promise<void> | null = null;
  #lookupId = 0;
  #disposed = false;
  #textHashes = new Map<string, Promise<string>>();

  constructor(pair: QualityPair, deps: QualityDeps, opts: QualityOptions = {}) {
    this.pair = pair;
    this.#deps = deps;
    if (opts.form) this.form = opts.form;
    if (opts.webgpu !== undefined) this.webgpu = opts.webgpu;
  }

  /** The names the report should go by (the quantized file). */
  get name(): string {
    return this.pair.quantized.name;
  }

  /** Tokenizer files and the WebGPU probe (once; call refreshCompanions() when files arrive later). */
  prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      await this.refreshCompanions();
      this.gpu = await this.#deps.probeGpu().catch((e: unknown) => ({ available: false, adapter: null, reason: asAvaError(e).message }));
      if (this.phase === 'preparing') this.phase = 'ready';
    })();
    return this.#prepared;
  }

  /** Looks for tokenizer.json / tokenizer_config.json / 1_Pooling/config.json among the sources' files again. */
  async refreshCompanions(): Promise<void> {
    let found: Companions = NO_COMPANIONS;
    for (const s of this.pair.sources()) {
      const c = await this.#deps.findCompanions(s.model, s.others);
      if (c.tokenizerJson) {
        found = c;
        break;
      }
      if (found === NO_COMPANIONS && (c.pooling || c.tokenizerConfig)) found = c;
    }
    const cur = this.companions;
    if (cur && cur.tokenizerJson === found.tokenizerJson && cur.tokenizerConfig === found.tokenizerConfig && cur.pooling === found.pooling)
      return;
    this.companions = found;
  }

  /** The answer to show: the full check on WASM when it ran, else the quick check, else the full check on another backend. */
  get answer(): Answer | null {
    const full = this.runs.wasm;
    if (full.status === 'done' && full.result.report) return { report: full.result.report, kind: 'full', backend: 'wasm' };
    if (this.quick.status === 'done' && this.quick.result.report)
      return { report: this.quick.result.report, kind: 'quick', backend: 'wasm' };
    for (const b of BACKENDS) {
      const r = this.runs[b];
      if (r.status === 'done' && r.result.report) return { report: r.result.report, kind: 'full', backend: b };
    }
    return null;
  }

  /** The full check's reports per backend (WASM first), for the report view and the share link. */
  get fullReports(): { backend: QualityBackend; report: QualityReport }[] {
    return BACKENDS.flatMap((b) => {
      const r = this.runs[b];
      return r.status === 'done' && r.result.report ? [{ backend: b, report: r.result.report }] : [];
    });
  }

  /** WASM vs WebGPU, when both completed. */
  get comparison(): BackendComparison | null {
    const done = this.fullReports.filter((x) => x.report.errors.length === 0 && x.report.cosine !== null);
    return done.length >= 2 ? compareBackendReports(done[0]!.report, done[1]!.report) : null;
  }

  /** "output=…;pooling=…" for the cache key and the request; '' for the default. */
  get vectorKey(): string {
    return this.output || this.pooling ? `output=${this.output || 'auto'};pooling=${this.pooling || 'auto'}` : '';
  }

  #notice(e: unknown): void {
    const m = e instanceof Error ? e.message : String(e);
    if (!this.notices.includes(m)) this.notices = [...this.notices, m];
  }

  #textHash(s: string): Promise<string> {
    let p = this.#textHashes.get(s);
    if (!p) {
      p = this.#deps.sha256(new Blob([s]));
      this.#textHashes.set(s, p);
    }
    return p;
  }

  async #keys(probes: string[], userTexts: string, threshold: number): Promise<Record<QualityBackend, string>> {
    const c = this.companions ?? NO_COMPANIONS;
    const d = this.#deps;
    const [o, q, tj, tc, pl, texts] = await Promise.all([
      d.modelDigest(this.pair.original),
      d.modelDigest(this.pair.quantized),
      c.tokenizerJson ? d.sha256(c.tokenizerJson) : '-',
      c.tokenizerConfig ? d.sha256(c.tokenizerConfig) : '-',
      c.pooling ? d.sha256(c.pooling) : '-',
      userTexts ? this.#textHash(userTexts) : '-',
    ]);
    this.digests = { original: o, quantized: q };
    const parts = {
      original: o,
      quantized: q,
      tokenizer: [tj, tc, pl].join(','),
      probes,
      userTexts: texts,
      threshold,
      ...(this.vectorKey ? { vector: this.vectorKey } : {}),
    };
    return { wasm: cacheKey({ ...parts, backend: 'wasm' }), webgpu: cacheKey({ ...parts, backend: 'webgpu' }) };
  }

  #keysFor(sel: Selection): Promise<Record<QualityBackend, string>> {
    return this.#keys(sel.probes, userTextsCanonical(sel), sel.threshold);
  }

  /** A plain copy for the worker (reactive proxies cannot be posted). */
  #plain(m: ModelFilesInput): ModelFilesInput {
    return { blob: m.blob, name: m.name, path: m.path ?? m.name, others: (m.others ?? []).map((o) => ({ path: o.path, blob: o.blob })) };
  }

  #request(
    backend: QualityBackend,
    sets: { sentenceSets: ProbeBundle['sentenceSets']; retrievalSets: ProbeBundle['retrievalSets'] },
    sentences: string[],
    threshold: number,
  ): QualityRequest {
    const comp = this.companions ?? NO_COMPANIONS;
    return {
      backend,
      original: this.#plain(this.pair.original),
      quantized: this.#plain(this.pair.quantized),
      tokenizer: comp.tokenizerJson ? { tokenizerJson: comp.tokenizerJson, tokenizerConfig: comp.tokenizerConfig } : null,
      pooling: comp.pooling,
      ...(this.pooling ? { poolingMode: this.pooling } : {}),
      ...(this.output ? { outputName: this.output } : {}),
      sentenceSets: [...sets.sentenceSets],
      retrievalSets: [...sets.retrievalSets],
      sentences,
      threshold,
    };
  }

  async #sets(sel: Selection): Promise<{ sentenceSets: ProbeBundle['sentenceSets']; retrievalSets: ProbeBundle['retrievalSets'] }> {
    const bundle = await loadProbes((f) => this.#deps.loadProbeFile(f), sel.probes);
    const retrievalSets = [...bundle.retrievalSets];
    if (sel.documents.length >= 2 && sel.queries.length >= 1) retrievalSets.push(retrievalSetFromStrings(sel.documents, sel.queries));
    return { sentenceSets: bundle.sentenceSets, retrievalSets };
  }

  /** Tells the share links and the history which reports are shown for this output. */
  #publish(): void {
    const a = this.answer;
    if (!this.#deps.publish) return;
    const full = this.fullReports.map((x) => x.report);
    this.#deps.publish(this.pair.quantized.blob, a ? (a.kind === 'quick' ? [a.report] : full) : []);
  }

  /** What the webgpu column shows when WebGPU is not run: "not available" (visible), or nothing when just unticked. */
  #gpuOff(): RunState {
    return this.gpu && !this.gpu.available
      ? { status: 'skipped', reason: `WebGPU not available: ${this.gpu.reason ?? 'unknown'}` }
      : { status: 'idle' };
  }

  /** Shows cached reports for the current files and selection (quick and full). */
  async lookupCached(): Promise<void> {
    await this.prepare();
    if (this.#disposed || this.busy || !this.parsed.ok) return;
    const id = ++this.#lookupId;
    const sel = this.parsed.selection;
    this.phase = 'hashing';
    let keys: Record<QualityBackend, string>;
    let quickKey: string;
    try {
      keys = await this.#keysFor(sel);
      quickKey = (await this.#keys(['quick'], '', sel.threshold)).wasm;
    } catch (e) {
      if (id === this.#lookupId) {
        this.phase = 'ready';
        this.#notice(asAvaError(e));
      }
      return;
    }
    if (id !== this.#lookupId || this.busy || this.#disposed) return;
    this.phase = 'ready';
    for (const b of BACKENDS) {
      const cur = this.runs[b];
      if (cur.status === 'done' && cur.key === keys[b]) continue;
      if (b === 'webgpu' && !this.gpuOn) {
        this.runs[b] = this.#gpuOff();
        continue;
      }
      try {
        const hit = await this.#deps.loadCached(keys[b]);
        if (id !== this.#lookupId || this.busy || this.#disposed) return;
        this.runs[b] = hit
          ? { status: 'done', result: hit.result, key: keys[b], cachedAt: hit.storedAt, wallMs: null }
          : { status: 'idle' };
      } catch (e) {
        this.#notice(e);
        this.runs[b] = { status: 'idle' };
      }
    }
    if (this.quick.status !== 'done' || this.quick.key !== quickKey) {
      const hit = await this.#deps.loadCached(quickKey).catch((e: unknown) => (this.#notice(e), null));
      if (id === this.#lookupId && !this.busy && hit)
        this.quick = { status: 'done', result: hit.result, key: quickKey, cachedAt: hit.storedAt, wallMs: null };
    }
    this.#publish();
  }

  /**
   * The quick check: every probe sentence set thinned to about 24 texts plus the whole retrieval sets
   * (core/quality/probes.ts quickSelection), on WASM, at the form's threshold. Cached like the full check.
   */
  async runQuick(): Promise<void> {
    if (this.busy) return;
    const threshold = this.parsed.ok ? this.parsed.selection.threshold : Number(defaultForm().threshold);
    this.notices = [];
    this.quick = { status: 'queued' };
    const outcome = await this.quickJob.run(async ({ signal, progress }) => {
      await this.prepare();
      this.phase = 'hashing';
      const key = (await this.#keys(['quick'], '', threshold)).wasm;
      this.phase = 'ready';
      const hit = await this.#deps.loadCached(key).catch((e: unknown) => (this.#notice(e), null));
      if (hit) {
        this.quick = { status: 'done', result: hit.result, key, cachedAt: hit.storedAt, wallMs: null };
        return;
      }
      const sets = quickSelection(await loadProbes((f) => this.#deps.loadProbeFile(f), PROBE_FILES));
      const t0 = now();
      this.quick = { status: 'running', progress: null, startedAt: t0 };
      const result = await this.#deps.runCheck(this.#request('wasm', sets, [], threshold), {
        signal,
        onProgress: (p) => {
          progress(p);
          const cur = this.quick;
          if (cur.status === 'running') this.quick = { ...cur, progress: p };
        },
      });
      this.quick = { status: 'done', result, key, cachedAt: null, wallMs: now() - t0 };
      if (result.report) await this.#deps.storeCached(key, snapshot(result)).catch((e: unknown) => this.#notice(e));
    });
    this.phase = 'ready';
    if (outcome.status === 'error') {
      this.quick = { status: 'error', message: outcome.error.message };
      this.#deps.announce?.(`Quick check of ${this.name} failed: ${outcome.error.message}`);
    } else if (outcome.status === 'cancelled') {
      this.quick = { status: 'idle' };
    } else if (outcome.status === 'done') {
      const done = this.quick as RunState;
      if (done.status === 'done') {
        const h = done.result.report?.verdict.headline;
        this.#deps.announce?.(h ? `Quick check of ${this.name}: ${h}` : `Quick check of ${this.name}: not run (${done.result.skipped})`);
      }
    }
    this.#publish();
    // A full check of the same files may be cached from an earlier visit: show it too.
    if (outcome.status === 'done') void this.lookupCached();
  }

  /** The full check on the chosen selection; `force` ignores the cache (Re-run). */
  async run(force: boolean): Promise<void> {
    if (this.busy || !this.parsed.ok) return;
    const sel = this.parsed.selection;
    this.#lookupId++;
    this.notices = [];
    this.runs.wasm = { status: 'queued' };
    this.#deps.announce?.(`Quality check of ${this.name} started`);
    const outcome = await this.fullJob.run(async ({ signal, progress }) => {
      await this.prepare();
      if (signal.aborted) return;
      const backends = BACKENDS.filter((b) => b === 'wasm' || this.gpuOn);
      for (const b of BACKENDS) this.runs[b] = backends.includes(b) ? { status: 'queued' } : this.#gpuOff();
      this.phase = 'hashing';
      const keys = await this.#keysFor(sel);
      const sets = await this.#sets(sel);
      this.phase = 'ready';
      for (const b of backends) {
        if (signal.aborted) return;
        if (!force) {
          const hit = await this.#deps.loadCached(keys[b]).catch((e: unknown) => (this.#notice(e), null));
          if (hit) {
            this.runs[b] = { status: 'done', result: hit.result, key: keys[b], cachedAt: hit.storedAt, wallMs: null };
            continue;
          }
        }
        const t0 = now();
        this.runs[b] = { status: 'running', progress: null, startedAt: t0 };
        let result: QualityResult;
        try {
          result = await this.#deps.runCheck(this.#request(b, sets, sel.sentences, sel.threshold), {
            signal,
            onProgress: (p) => {
              progress(p);
              const cur = this.runs[b];
              if (cur.status === 'running') this.runs[b] = { ...cur, progress: p };
            },
          });
        } catch (e) {
          const err = asAvaError(e);
          if (err.kind === 'abort' || signal.aborted) throw err;
          this.runs[b] = { status: 'error', message: err.message };
          this.#deps.announce?.(`Quality check on ${BACKEND_NAME[b]} failed: ${err.message}`);
          continue;
        }
        if (signal.aborted) return;
        this.runs[b] = { status: 'done', result, key: keys[b], cachedAt: null, wallMs: now() - t0 };
        const v = result.report?.verdict;
        this.#deps.announce?.(
          v ? `Quality check on ${BACKEND_NAME[b]}: ${v.headline}` : `Quality check on ${BACKEND_NAME[b]}: not run (${result.skipped})`,
        );
        if (result.report) await this.#deps.storeCached(keys[b], snapshot(result)).catch((e: unknown) => this.#notice(e));
      }
    });
    this.phase = 'ready';
    if (outcome.status === 'error') {
      this.#notice(outcome.error);
      for (const b of BACKENDS)
        if (this.runs[b].status === 'queued' || this.runs[b].status === 'running')
          this.runs[b] = { status: 'error', message: outcome.error.message };
    }
    this.#publish();
  }

  /** Stops the running check (its worker is terminated); the backends that did not finish go back to idle. */
  cancel(): void {
    const was = this.busy;
    this.fullJob.cancel();
    this.quickJob.cancel();
    for (const b of BACKENDS) if (this.runs[b].status === 'queued' || this.runs[b].status === 'running') this.runs[b] = { status: 'idle' };
    if (this.quick.status === 'queued' || this.quick.status === 'running') this.quick = { status: 'idle' };
    this.phase = 'ready';
    if (was) this.#deps.announce?.(`Cancelled the quality check of ${this.name}`);
  }

  /** Remembers the form (and so its cached reports) for the next visit. */
  saveForm(): void {
    this.#deps.saveForm?.(snapshot(this.form), this.webgpu);
  }

  toggleProbe(file: string, on: boolean): void {
    this.form.probes = on ? [...new Set([...this.form.probes, file])] : this.form.probes.filter((f) => f !== file);
  }

  dispose(): void {
    this.#disposed = true;
    this.cancel();
  }
}

/** The probe sets the check can choose from (shipped with the app). */
export { PROBE_CHOICES };

const now = (): number => (globalThis.performance ? performance.now() : Date.now());

/** A plain (non-reactive) deep copy: what crosses to a worker or into IndexedDB. */
function snapshot<T>(x: T): T {
  return $state.snapshot(x) as T;
}
