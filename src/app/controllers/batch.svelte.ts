/**
 * The batch: many models (or a folder) at once, each chosen mode of each, named by a template beside its input (the
 * zip keeps the folders), every input and output hashed (SHA-256 + MD5), one zip with manifest.json, the run recorded
 * in the history. The job logic behind BatchPanel.svelte, with no DOM: tests drive it with the core in Node
 * (tests/app/controllers/batch.test.ts). Outputs are kept as Blobs (the quantize worker's), never as ArrayBuffers.
 *
 *   const b = new BatchController(deps);
 *   b.addFiles(picked); await b.inspected();   // rows: ready / skipped (already quantized) / invalid
 *   b.modes.fp16 = true; await b.runAll();     // rows done; b.lastRun has the manifest and files
 *   await b.makeZip();                         // b.zip: { blob, name }
 */
import type { Digests } from '../../core/batch/hashing.js';
import type { Manifest } from '../../core/batch/manifest.js';
import { previewName, skipDecision, type NamingTemplate, type OutputMode } from '../../core/batch/naming.js';
import { asAvaError } from '../../core/errors.js';
import { formFor } from '../../core/modes/options.js';
import { MODE_IDS, MODE_METAS, modeMeta, type ModeId } from '../../core/modes/registry.js';
import type { ModelSummary } from '../../core/onnx/summary.js';
import { TOOL } from '../../core/tool.js';
import type { QuantizeProgress, QuantizeReport, QuantizeRequest } from '../../../workers/quantize-protocol.js';
import type { PickedFile } from '../batch/entries.js';
import {
  batchManifest,
  isModelPath,
  namingOptions,
  outputReport,
  planNames,
  siblingsOf,
  zipFileName,
  type BatchOutput,
  type RowOutcome,
} from '../batch/plan.js';
import { formatInt } from '../format.js';
import { newEntryId, type HistoryEntry } from '../history/model.js';
import { Job } from '../job.svelte.js';
import { buildRequest } from '../quantize-options.js';
import type { QuantizeDeps } from './quantize.svelte.js';

export interface BatchDeps {
  inspect(file: File, siblings: File[]): Promise<ModelSummary>;
  /** Queued behind the page's other quantize jobs (quantize-bridge.ts runQueued). */
  quantize: QuantizeDeps['quantize'];
  hash(blob: Blob, opts: { signal?: AbortSignal; onProgress?: (p: { bytes: number; total: number | null }) => void }): Promise<Digests>;
  zip(
    files: { name: string; blob: Blob }[],
    manifest: Manifest,
    opts: { onProgress?: (p: { bytes: number; total: number | null }) => void },
  ): Promise<Blob>;
  saveRun(entry: HistoryEntry): Promise<unknown>;
  announce?(message: string): void;
  now?(): Date;
}

/** skipped: the mode would rewrite nothing ("nothing to quantize: …"), so no file was made. */
export type OutStatus = 'pending' | 'running' | 'hashing' | 'done' | 'skipped' | 'error' | 'cancelled';
export interface Out {
  mode: OutputMode;
  /** Path in the zip (beside the input's). */
  name: string;
  status: OutStatus;
  fraction: number;
  phase: string;
  blob: Blob | null;
  digests: Digests | null;
  report: QuantizeReport | null;
  error: string | null;
}
export type RowStatus = 'inspecting' | 'ready' | 'skipped' | 'invalid' | 'queued' | 'running' | 'done' | 'partial' | 'failed' | 'cancelled';
export interface Row {
  id: number;
  path: string;
  file: File;
  siblings: File[];
  externalFiles: File[];
  status: RowStatus;
  /** Skip reason, inspect error, failure, or a note (e.g. "the name ends in -INT8 but … processing it"). */
  message: string;
  input: Digests | null;
  inputFraction: number | null;
  outs: Out[];
}

const PHASE: Record<QuantizeProgress['phase'], string> = {
  reading: 'reading the file',
  parsing: 'parsing',
  analyzing: 'inferring tensor types',
  quantizing: 'quantizing weights',
  converting: 'converting weights',
  writing: 'writing the model',
  packaging: 'preparing the output',
};

const WAITING: RowStatus[] = ['ready', 'queued', 'done', 'partial', 'failed', 'cancelled'];
const plural = (n: number, one: string, many = `${one}s`) => `${formatInt(n)} ${n === 1 ? one : many}`;

export class BatchController {
  rows = $state<Row[]>([]);
  notice = $state('');
  announcement = $state('');
  modes = $state<Record<OutputMode, boolean>>(Object.fromEntries(MODE_IDS.map((m, i) => [m, i === 0])) as Record<OutputMode, boolean>);
  /** The preset of each mode that has presets (each mode's other options are its defaults). */
  presets = $state<Record<string, string>>(
    Object.fromEntries(MODE_METAS.filter((m) => m.defaultPreset).map((m) => [m.id, m.defaultPreset!])),
  );
  template = $state<NamingTemplate>('suffix');
  version = $state('');
  runError = $state<string | null>(null);
  lastRun = $state.raw<{ manifest: Manifest; files: { name: string; blob: Blob }[]; createdAt: string } | null>(null);
  zip = $state.raw<{ blob: Blob; name: string } | null>(null);
  zipError = $state<string | null>(null);
  zipFraction = $state(0);
  readonly job = new Job<void>();
  readonly zipJob = new Job<Blob>();

  readonly chosen = $derived(MODE_IDS.filter((m) => this.modes[m]));
  readonly naming = $derived(namingOptions({ template: this.template, version: this.version }));
  readonly sampleName = $derived(this.rows.find((r) => r.status !== 'skipped' && r.status !== 'invalid')?.path ?? 'model.onnx');
  readonly previews = $derived(this.chosen.map((m) => ({ mode: m, p: previewName(m, this.naming, this.sampleName) })));
  readonly namingError = $derived(this.previews.map((x) => x.p).find((p) => !p.ok)?.error ?? null);
  readonly eligible = $derived(this.rows.filter((r) => WAITING.includes(r.status)));
  readonly planned = $derived.by(() => {
    if (this.namingError) return new Map<number, ReturnType<typeof planNames>[number]>();
    const p = planNames(
      this.eligible.map((r) => r.path),
      this.chosen,
      this.naming,
    );
    return new Map(this.eligible.map((r, i) => [r.id, p[i]!]));
  });
  readonly inspecting = $derived(this.rows.some((r) => r.status === 'inspecting'));
  readonly running = $derived(this.job.busy);
  readonly canRun = $derived(!this.running && !this.inspecting && this.eligible.length > 0 && this.chosen.length > 0 && !this.namingError);
  readonly doneCount = $derived(this.rows.filter((r) => r.status === 'done' || r.status === 'partial' || r.status === 'failed').length);

  #deps: BatchDeps;
  #nextId = 1;
  #inspectQueue: Promise<void> = Promise.resolve();

  constructor(deps: BatchDeps) {
    this.#deps = deps;
  }

  #row(id: number): Row | undefined {
    return this.rows.find((r) => r.id === id);
  }

  #say(m: string): void {
    this.announcement = m;
    this.#deps.announce?.(m);
  }

  /** Adds the models among `picked` (their siblings stay with them) and reads each one's card in turn. */
  addFiles(picked: PickedFile[]): void {
    const models = picked.filter((p) => isModelPath(p.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const others = picked.length - models.length;
    if (!models.length) {
      this.notice = `No .onnx model among the ${plural(picked.length, 'file')}: drop .onnx files or a folder that holds them.`;
      return;
    }
    let added = 0;
    for (const m of models) {
      if (this.rows.some((r) => r.path === m.path && r.file.size === m.file.size && r.file.lastModified === m.file.lastModified)) continue;
      const siblings = siblingsOf(m.path, picked).map((p) => p.file);
      const id = this.#nextId++;
      this.rows.push({
        id,
        path: m.path,
        file: m.file,
        siblings,
        externalFiles: [],
        status: 'inspecting',
        message: '',
        input: null,
        inputFraction: null,
        outs: [],
      });
      added++;
      this.#inspect(id);
    }
    const dupes = models.length - added;
    this.notice =
      `Added ${plural(added, 'model')}` +
      (dupes ? ` (${dupes} already in the batch)` : '') +
      (others ? `; ${plural(others, 'other file')} (external data, tokenizers, …) kept with ${added === 1 ? 'it' : 'them'}` : '') +
      '.';
    this.#say(this.notice);
    this.zip = null;
  }

  /** Resolves when every row added so far has been inspected. */
  inspected(): Promise<void> {
    return this.#inspectQueue;
  }

  #inspect(id: number): void {
    this.#inspectQueue = this.#inspectQueue.then(async () => {
      const row = this.#row(id);
      if (!row) return;
      try {
        // A plain array: reactive proxies cannot be posted to a worker.
        const summary = await this.#deps.inspect(row.file, [...row.siblings]);
        const r = this.#row(id);
        if (!r) return;
        const locations = new Set(summary.externalData.filter((x) => x.resolved).map((x) => x.location));
        r.externalFiles = r.siblings.filter((f) => locations.has(f.name));
        const missing = [...new Set(summary.externalData.filter((x) => !x.resolved).map((x) => x.location))];
        const skip = skipDecision(r.path, summary);
        if (skip.skip) {
          r.status = 'skipped';
          r.message = skip.reason;
        } else if (missing.length) {
          r.status = 'invalid';
          r.message = `missing external data: ${missing.join(', ')} (drop the folder that holds them)`;
        } else {
          r.status = 'ready';
          r.message = skip.reason === 'not quantized' ? '' : skip.reason;
        }
      } catch (e) {
        const r = this.#row(id);
        if (!r) return;
        r.status = 'invalid';
        r.message = asAvaError(e).message;
      }
    });
  }

  remove(id: number): void {
    if (this.running) return;
    this.rows = this.rows.filter((x) => x.id !== id);
  }

  clear(): void {
    if (this.running) return;
    this.rows = [];
    this.lastRun = null;
    this.zip = null;
    this.notice = '';
    this.runError = null;
  }

  #requests(): Record<OutputMode, QuantizeRequest> | string {
    const out: Partial<Record<OutputMode, QuantizeRequest>> = {};
    for (const m of MODE_IDS) {
      const b = buildRequest(m, formFor(modeMeta(m), this.presets[m] ?? null));
      if (!b.ok) return b.error;
      out[m] = b.request;
    }
    return out as Record<OutputMode, QuantizeRequest>;
  }

  /** Quantizes every eligible row into every chosen mode, one at a time; one failure does not stop the rest. */
  async runAll(): Promise<void> {
    if (!this.canRun) return;
    const reqs = this.#requests();
    if (typeof reqs === 'string') {
      this.runError = reqs;
      return;
    }
    this.runError = null;
    this.zip = null;
    this.lastRun = null;
    const targets = this.eligible.slice();
    const chosen = [...this.chosen];
    const plan = planNames(
      targets.map((r) => r.path),
      chosen,
      this.naming,
    );
    for (const [k, r] of targets.entries()) {
      r.status = 'queued';
      r.input = null;
      r.inputFraction = null;
      r.message = plan[k]!.error ?? '';
      r.outs = chosen.map((mode) => ({
        mode,
        name: plan[k]!.names[mode] ?? '',
        status: 'pending',
        fraction: 0,
        phase: 'waiting',
        blob: null,
        digests: null,
        report: null,
        error: null,
      }));
    }
    const createdAt = (this.#deps.now?.() ?? new Date()).toISOString();
    this.#say(`Quantizing ${plural(targets.length, 'model')}…`);
    const label = (m: ModeId) => modeMeta(m).label;
    await this.job.run(async ({ signal }) => {
      for (const [k, r] of targets.entries()) {
        if (signal.aborted) break;
        if (plan[k]!.error) {
          r.status = 'failed';
          r.outs = [];
          continue;
        }
        r.status = 'running';
        r.message = '';
        try {
          r.inputFraction = 0;
          // Progress arrives on its own channel, possibly after the result: each handler checks it is still current.
          r.input = await this.#deps.hash(r.file, {
            signal,
            onProgress: (p) => void (r.input === null && (r.inputFraction = p.total ? p.bytes / p.total : 0)),
          });
        } catch (e) {
          const err = asAvaError(e);
          if (err.kind === 'abort') break;
          r.status = 'failed';
          r.message = `could not read the input: ${err.message}`;
          continue;
        } finally {
          r.inputFraction = null;
        }
        for (const o of r.outs) {
          if (signal.aborted) break;
          o.status = 'running';
          o.phase = 'waiting for the quantizer';
          try {
            const res = await this.#deps.quantize(
              r.file,
              [...r.externalFiles],
              { ...reqs[o.mode], date: createdAt },
              {
                signal,
                onStart: () => (o.phase = 'starting'),
                onProgress: (p) => {
                  if (o.status !== 'running') return;
                  o.phase = PHASE[p.phase];
                  o.fraction = p.fraction;
                },
              },
            );
            o.blob = res.blob;
            o.report = res.report;
            o.status = 'hashing';
            o.phase = 'hashing the output';
            o.fraction = 0;
            o.digests = await this.#deps.hash(res.blob, {
              signal,
              onProgress: (p) => void (o.status === 'hashing' && (o.fraction = p.total ? p.bytes / p.total : 0)),
            });
            o.status = 'done';
          } catch (e) {
            const err = asAvaError(e);
            if (err.kind === 'abort' || signal.aborted) {
              o.status = 'cancelled';
              break;
            }
            o.error = err.message;
            if (err.kind === 'nothing-to-do') {
              // Not a success and not a failure: said as a skip, with the reason; nothing is written.
              o.status = 'skipped';
              this.#say(`${r.path}: ${label(o.mode)} skipped: ${o.error}`);
            } else {
              o.status = 'error';
              this.#say(`${r.path}: ${label(o.mode)} failed: ${o.error}`);
            }
          }
        }
        const ok = r.outs.filter((o) => o.status === 'done').length;
        const skippedOuts = r.outs.filter((o) => o.status === 'skipped');
        r.status =
          signal.aborted && ok + skippedOuts.length < r.outs.length
            ? 'cancelled'
            : skippedOuts.length === r.outs.length
              ? 'skipped'
              : ok + skippedOuts.length === r.outs.length
                ? 'done'
                : ok > 0
                  ? 'partial'
                  : 'failed';
        if (r.status === 'skipped') r.message = skippedOuts[0]!.error ?? '';
      }
    });
    const cancelled = this.job.status === 'cancelled';
    for (const r of targets) {
      if (r.status === 'queued' || r.status === 'running') r.status = 'cancelled';
      for (const o of r.outs) if (o.status === 'pending' || o.status === 'running' || o.status === 'hashing') o.status = 'cancelled';
    }
    await this.#finish(targets, chosen, createdAt, cancelled);
  }

  /** What one row came to (for the manifest). */
  outcome(r: Row): RowOutcome {
    const label = (m: ModeId) => modeMeta(m).label;
    const outputs: BatchOutput[] = r.outs
      .filter((o) => o.status === 'done' && o.digests && o.report)
      .map((o) => ({ mode: o.mode, name: o.name, digests: { ...o.digests! }, report: $state.snapshot(o.report) as QuantizeReport }));
    const failures = [
      ...(r.status === 'failed' && r.message ? [r.message] : []),
      ...r.outs.filter((o) => o.status === 'error').map((o) => `${label(o.mode)} failed: ${o.error}`),
      ...r.outs.filter((o) => o.status === 'cancelled').map((o) => `${label(o.mode)} cancelled`),
    ];
    const outsSkipped = r.outs.filter((o) => o.status === 'skipped');
    const skipped =
      r.status === 'skipped' && !outsSkipped.length ? r.message : r.status === 'invalid' ? `not a usable model: ${r.message}` : null;
    const skippedOutputs = outsSkipped.map((o) => `${label(o.mode)} skipped: ${o.error}`);
    return { path: r.path, input: r.input ? { ...r.input } : null, outputs, skipped, skippedOutputs, failures };
  }

  async #finish(targets: Row[], chosen: OutputMode[], createdAt: string, cancelled: boolean): Promise<void> {
    const others = this.rows.filter((r) => !targets.includes(r) && (r.status === 'skipped' || r.status === 'invalid'));
    const outcomes = [...targets, ...others].map((r) => this.outcome(r));
    const outputs = outcomes.reduce((a, o) => a + o.outputs.length, 0);
    const failed = targets.filter((r) => r.status === 'failed' || r.status === 'partial').length;
    this.#say(`Batch ${cancelled ? 'cancelled' : 'finished'}: ${plural(outputs, 'output')}${failed ? `, ${failed} with errors` : ''}.`);
    if (!outcomes.some((o) => o.input)) return;
    try {
      const manifest = batchManifest(outcomes, TOOL, createdAt);
      const files = targets.flatMap((r) =>
        r.outs.filter((o) => o.status === 'done' && o.blob).map((o) => ({ name: o.name, blob: o.blob! })),
      );
      this.lastRun = { manifest, files, createdAt };
      const reports = outcomes.flatMap((o) => o.outputs.map((out) => outputReport(o, out, TOOL, createdAt)));
      const entry: HistoryEntry = {
        v: 1,
        id: newEntryId(),
        kind: 'batch',
        createdAt,
        title: `Batch: ${plural(targets.length, 'model')}, ${plural(outputs, 'output')}, ${others.length} skipped${failed ? `, ${failed} with errors` : ''}${cancelled ? ' (cancelled)' : ''}`,
        settings: { modes: [...chosen], ...this.#presetSettings(chosen), template: this.template, version: this.naming.version ?? null },
        reports,
        manifest,
        skipped: manifest.skipped,
      };
      await this.#deps.saveRun(entry);
    } catch (e) {
      this.runError = `Could not write the manifest: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** `preset` (one mode with presets) or `<mode>Preset` for each chosen mode that has presets. */
  #presetSettings(chosen: OutputMode[]): Record<string, string> {
    const withPresets = chosen.filter((m) => this.presets[m]);
    if (withPresets.length === 1) return { preset: this.presets[withPresets[0]!]! };
    return Object.fromEntries(withPresets.map((m) => [`${m}Preset`, this.presets[m]!]));
  }

  cancel(): void {
    if (!this.running) return;
    this.job.cancel();
    this.#say('Cancelling the batch…');
  }

  /** One zip of the last run's outputs with its manifest.json first (streamed in the hash worker). */
  async makeZip(): Promise<void> {
    const run = this.lastRun;
    if (!run || this.zipJob.busy) return;
    this.zipError = null;
    this.zipFraction = 0;
    this.zip = null;
    const outcome = await this.zipJob.run(() =>
      this.#deps.zip(run.files, $state.snapshot(run.manifest) as Manifest, {
        onProgress: (p) => (this.zipFraction = p.total ? p.bytes / p.total : 0),
      }),
    );
    if (outcome.status === 'done') {
      this.zip = { blob: outcome.result, name: zipFileName(this.#deps.now?.() ?? new Date()) };
      this.#say(`The zip is ready: ${this.zip.name}`);
    } else if (outcome.status === 'error') {
      this.zipError = outcome.error.message;
    }
  }
}
