/**
 * Quantizing one model card: the mode and its options, the job (queued behind other cards, progress, Cancel), and
 * the finished results side by side — one per mode, kept when another mode runs or a run is cancelled. No DOM:
 * tests drive it with the core in Node (tests/app/controllers/quantize.test.ts).
 *
 *   const c = new QuantizeController({ file, externalFiles, name, summary }, deps);
 *   c.mode = 'fp16'; await c.start();          // result in c.results, selected; its quality controller quick-checks
 *   c.cancel();                                // a running job: terminated, c.state 'cancelled', earlier results kept
 *   c.dispose();                               // object URLs revoked, OPFS files removed
 *
 * Where the page starts a quantize job: QuantizePanel.svelte calls `start()`, which calls `deps.quantize` =
 * quantize-bridge.ts `runQueued` → workers/quantize.worker.ts → runMode.
 */
import { alreadyQuantized } from '../../core/modes/already.js';
import { MODE_IDS, MODE_METAS, modeMeta, type ModeId } from '../../core/modes/registry.js';
import { withPreset } from '../../core/modes/options.js';
import { DEFAULT_TARGET, TARGETS, type TargetId } from '../../core/targets/index.js';
import type { ModelSummary } from '../../core/onnx/summary.js';
import type { QuantizeProgress, QuantizeReport, QuantizeRequest, QuantizeResult } from '../../../workers/quantize-protocol.js';
import { formatBytes, formatMiB } from '../format.js';
import { Job } from '../job.svelte.js';
import { outputFileFor, type ModelName } from '../names.js';
import { buildRequest, initialForms } from '../quantize-options.js';
import type { QualityController } from './quality.svelte.js';

export interface QuantizeSource {
  file: File;
  /** Dropped files named by the model's external-data references. */
  externalFiles: File[];
  name: ModelName;
  summary: ModelSummary;
}

export interface QuantizeDeps {
  /** Runs a job behind the others (quantize-bridge.ts runQueued): onStart when it leaves the queue. */
  quantize(
    file: File,
    externalFiles: File[],
    request: QuantizeRequest,
    opts: { signal: AbortSignal; onProgress: (p: QuantizeProgress) => void; onStart: () => void },
  ): Promise<QuantizeResult>;
  newJobId(): string;
  /** Removes a job's files from the origin-private file system (a cancelled or replaced output). */
  removeJobFiles(jobId: string): Promise<void>;
  /** The quality check of a finished result (null when there is none to run, e.g. the model is not a text encoder). */
  quality?(result: Omit<ModelResult, 'quality'>): QualityController | null;
  announce?(message: string): void;
  /** The date recorded in the output (the page's clock). */
  now?(): Date;
}

/** One finished run: a column of the side-by-side view. */
export interface ModelResult {
  id: number;
  mode: ModeId;
  report: QuantizeReport;
  outputBytes: number;
  blob: Blob;
  /** Download name, "<model name>-INT8.onnx". */
  name: string;
  url: string;
  /** The external-data file of an output over 2 GiB. */
  data?: { name: string; url: string; bytes: number; blob: Blob };
  /** Written straight into the file the user picked. */
  saved: boolean;
  /** Page wall time from leaving the queue to the result, ms. */
  wallMs: number;
  /** Its OPFS files (removed when the result is replaced or the card goes). */
  jobId: string | null;
  quality: QualityController | null;
  createdAt: string;
  /** The output checked against the target (the request's): what cannot run there, with versions and sources. */
  targetCheck: QuantizeResult['targetCheck'];
  targetRequested: boolean;
  /** Where the quality check should run for that target in the page (and what it approximates). */
  qualityBackend: QuantizeResult['qualityBackend'];
}

/**
 * The quality check's WebGPU choice for a result: on when its target's matching backend is WebGPU (browser-webgpu),
 * else the user's saved choice (null: on for a hardware adapter). WASM always runs.
 */
export function webgpuChoiceFor(r: Pick<ModelResult, 'qualityBackend'>, saved: boolean | null): boolean | null {
  return r.qualityBackend.backend === 'webgpu' ? true : saved;
}

export type PanelState = 'idle' | 'queued' | 'running' | 'done' | 'error' | 'refused' | 'cancelled';

/** Overall progress 0..1 of a quantize job: the phases weighted by how long they roughly take. */
const SPAN: Record<QuantizeProgress['phase'], [number, number]> = {
  reading: [0, 0.25],
  parsing: [0.25, 0.3],
  analyzing: [0.3, 0.35],
  quantizing: [0.35, 0.95],
  converting: [0.35, 0.92],
  writing: [0.92, 0.96],
  packaging: [0.96, 1],
};

export const PHASE_LABEL: Record<QuantizeProgress['phase'], string> = {
  reading: 'Reading the file',
  parsing: 'Parsing the model',
  analyzing: 'Inferring tensor types',
  quantizing: 'Quantizing weights',
  converting: 'Converting weights to float16',
  writing: 'Writing the model',
  packaging: 'Preparing the download',
};

/** Overall fraction 0..1 for a progress report (the bar and its text show this one number). */
export function overallFraction(p: QuantizeProgress): number {
  const [a, b] = SPAN[p.phase];
  return a + (b - a) * Math.min(1, Math.max(0, p.fraction));
}

/** "Parsing the model… 27%" and, when the phase counts bytes, "12.0 MiB of 86.2 MiB": the same percentage as the bar. */
export function describeProgress(p: QuantizeProgress): { status: string; detail: string } {
  const pct = `${Math.round(overallFraction(p) * 100)}%`;
  const bytes = p.done !== undefined && p.total !== undefined ? `${formatBytes(p.done)} of ${formatBytes(p.total)}` : '';
  return { status: `${PHASE_LABEL[p.phase]}… ${pct}`, detail: [bytes, p.item ?? ''].filter(Boolean).join(' · ') };
}

let nextResultId = 1;

export class QuantizeController {
  mode = $state<ModeId>(MODE_METAS.find((m) => m.recommended)?.id ?? MODE_IDS[0]!);
  forms = $state(initialForms());
  readonly built = $derived(buildRequest(this.mode, this.forms[this.mode]));
  /** "Where will it run?": the output is checked against it (default: Android / iOS ARM64, the seed's device). */
  target = $state<TargetId>(DEFAULT_TARGET);
  /** The user picked the target: from then on INT8's preset follows it (unless they chose a preset themselves). */
  targetPicked = $state(false);
  /** The INT8 preset the last target choice set (so a later choice may replace it). */
  #targetPreset: string | null = null;
  readonly job = new Job<QuantizeResult, QuantizeProgress>();
  /** The mode of the last job (running, failed, refused or cancelled). */
  jobMode = $state<ModeId | null>(null);
  /** Finished results, one per mode, in the registry's order. */
  results = $state.raw<ModelResult[]>([]);
  /** The result whose details are shown. */
  selected = $state<ModeId | null>(null);
  /** Refused, not failed: the model is already quantized, or the mode would rewrite nothing. "Quantize anyway" goes on. */
  refusal = $state<{ mode: ModeId; reason: 'already-quantized' | 'nothing-to-do'; message: string } | null>(null);
  /** An already quantized model is refused until "Quantize anyway" (what the model card found). */
  readonly already: ReturnType<typeof alreadyQuantized>;
  readonly source: QuantizeSource;

  #deps: QuantizeDeps;
  #disposed = false;

  constructor(source: QuantizeSource, deps: QuantizeDeps) {
    this.source = source;
    this.#deps = deps;
    this.already = alreadyQuantized(source.summary);
  }

  get busy(): boolean {
    return this.job.busy;
  }

  /** What the panel shows below the form: the job's state, or 'refused'; 'done' once a result exists and nothing else happened. */
  get state(): PanelState {
    if (this.job.busy) return this.job.status as PanelState;
    if (this.refusal) return 'refused';
    if (this.job.status === 'cancelled') return 'cancelled';
    if (this.job.status === 'error') return 'error';
    return this.results.length ? 'done' : 'idle';
  }

  /** The download name of a mode's output. */
  outputName(mode: ModeId): string {
    return outputFileFor(this.source.name.base, mode);
  }

  resultFor(mode: ModeId): ModelResult | null {
    return this.results.find((r) => r.mode === mode) ?? null;
  }

  get shown(): ModelResult | null {
    return (this.selected && this.resultFor(this.selected)) || this.results.at(-1) || null;
  }

  select(mode: ModeId): void {
    if (this.resultFor(mode)) this.selected = mode;
  }

  /**
   * "Where will it run?": sets the target the output is checked against and, unless the user chose another INT8
   * preset than the default (or the one a target chose), INT8's preset: the target's (TARGETS[id].int8Preset,
   * Optimum's arguments). Until the user picks, INT8 keeps its default preset, as the CLI does without --target.
   */
  chooseTarget(id: TargetId): void {
    this.target = id;
    this.targetPicked = true;
    const meta = modeMeta('int8');
    const cur = this.forms.int8.preset;
    if (cur !== meta.defaultPreset && cur !== this.#targetPreset) return;
    const preset = TARGETS[id].int8Preset;
    this.forms.int8 = withPreset(meta, this.forms.int8, preset);
    this.#targetPreset = preset;
  }

  /** The INT8 preset target mode should use: the picked target's, else null (the INT8 mode's default). */
  get targetInt8Preset(): string | null {
    return this.targetPicked ? TARGETS[this.target].int8Preset : null;
  }

  /** Overall progress of the running job, 0..1 (0 while queued). */
  get fraction(): number {
    return this.job.progress ? overallFraction(this.job.progress) : 0;
  }

  /**
   * Quantizes with the current mode and options. `force`: "Quantize anyway" (an already quantized model, or an output
   * that rewrites nothing). `handle`: write straight into this file (File System Access). Resolves when the job ends.
   */
  async start(opts: { force?: boolean; handle?: FileSystemFileHandle } = {}): Promise<void> {
    if (this.job.busy || !this.built.ok || this.#disposed) return;
    const request: QuantizeRequest = {
      ...$state.snapshot(this.built.request),
      target: { id: this.target },
      ...(opts.force ? { force: true } : {}),
    } as QuantizeRequest;
    const mode = request.mode;
    const jobId = this.#deps.newJobId();
    const name = opts.handle?.name ?? this.outputName(mode);
    const output = { name, jobId, ...(opts.handle ? { handle: opts.handle } : {}) };
    const date = (this.#deps.now?.() ?? new Date()).toISOString();
    this.jobMode = mode;
    this.refusal = null;
    const label = modeMeta(mode).label;
    const file = this.source.file;
    this.#deps.announce?.(`Quantizing ${this.source.name.title} to ${label}…`);
    const outcome = await this.job.run(
      ({ signal, progress, started }) => {
        // A cancel terminates the worker mid-write: its partial files go too.
        signal.addEventListener('abort', () => void this.#deps.removeJobFiles(jobId), { once: true });
        return this.#deps.quantize(
          file,
          [...this.source.externalFiles],
          { ...request, date, output },
          { signal, onProgress: progress, onStart: started },
        );
      },
      { queued: true },
    );
    if (outcome.status === 'done') {
      const res = outcome.result;
      const base: Omit<ModelResult, 'quality'> = {
        id: nextResultId++,
        mode,
        report: res.report,
        outputBytes: res.outputBytes,
        blob: res.blob,
        name,
        url: URL.createObjectURL(res.blob),
        ...(res.data
          ? { data: { name: res.data.name, url: URL.createObjectURL(res.data.blob), bytes: res.data.blob.size, blob: res.data.blob } }
          : {}),
        saved: res.storage === 'picked',
        wallMs: this.job.elapsedMs ?? 0,
        jobId: res.storage === 'opfs' ? jobId : null,
        createdAt: date,
        targetCheck: res.targetCheck,
        targetRequested: res.targetRequested,
        qualityBackend: res.qualityBackend,
      };
      const result: ModelResult = { ...base, quality: this.#deps.quality?.(base) ?? null };
      const old = this.resultFor(mode);
      this.results = MODE_IDS.flatMap((m) => (m === mode ? [result] : this.results.filter((r) => r.mode === m)));
      if (old) this.#release(old);
      this.selected = mode;
      this.#deps.announce?.(`${this.source.name.title}: ${label} done, ${formatMiB(res.outputBytes)}`);
    } else if (outcome.status === 'error') {
      const err = outcome.error;
      if (err.kind === 'already-quantized' || err.kind === 'nothing-to-do') {
        this.refusal = { mode, reason: err.kind, message: err.message };
        this.#deps.announce?.(`${this.source.name.title}: ${err.message}`);
      } else {
        this.#deps.announce?.(`${this.source.name.title}: ${label} failed: ${err.message}`);
      }
    }
  }

  /** Stops the running or queued job at once; finished results stay. */
  cancel(): void {
    if (!this.job.busy) return;
    this.job.cancel();
    this.#deps.announce?.(`Cancelled quantization of ${this.source.name.title}`);
  }

  /** Frees one result: its object URLs, its OPFS files and its quality check. */
  #release(r: ModelResult): void {
    URL.revokeObjectURL(r.url);
    if (r.data) URL.revokeObjectURL(r.data.url);
    if (r.jobId) void this.#deps.removeJobFiles(r.jobId);
    r.quality?.dispose();
  }

  /** The card goes away: cancel, and free every result. */
  dispose(): void {
    this.#disposed = true;
    this.job.cancel();
    for (const r of this.results) this.#release(r);
    this.results = [];
  }
}
