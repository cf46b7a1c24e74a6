/// <reference lib="webworker" />
// Thin comlink entry: File -> openModel (streaming) -> runMode (any mode of the registry) -> Blob (+ report). No DOM here.
import * as Comlink from 'comlink';
import { workerJob } from './job.js';
import { openModel } from '../src/core/onnx/open.js';
import { blobSource } from '../src/core/io/source.js';
import { siblingsOf } from '../src/core/io/files.js';
import { outputTarget } from './output-target.js';
import { hashBytes } from '../src/core/batch/hashing.js';
import type { HashWorkerApi } from './hash-protocol.js';
import { type ModeRequest, modeMeta } from '../src/core/modes/registry.js';
import { runMode, writeOutput } from '../src/core/modes/run.js';
import { TOOL } from '../src/core/tool.js';
import type { QuantizeProgress, QuantizeProgressCallback, QuantizeWorkerApi } from './quantize-protocol.js';
import { AvaError, FileReadError, messageOf } from '../src/core/errors.js';
import { WHERE_CHOICES, isRuntimeVersion, isTargetId, qualityBackendFor } from '../src/core/targets/index.js';
import { OptionError } from '../src/core/modes/options.js';
import { checkOutput } from './output-check.js';

/**
 * SHA-256 of the source on a worker of its own, so hashing runs on another core beside the work here (the
 * provenance record needs it only when the writer reaches it, at the end of the output). Falls back to hashing
 * here where nested workers are not available.
 */
async function sha256Beside(file: File): Promise<string> {
  if (typeof Worker === 'undefined') return (await hashBytes(file, { md5: false })).sha256;
  const w = new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'ava-hash-source' });
  try {
    return await Comlink.wrap<HashWorkerApi>(w).sha256(file);
  } finally {
    w.terminate();
  }
}

/** A file's path as given (folder drops and pickers set webkitRelativePath), else its name. */
const pathOf = (f: File): string => f.webkitRelativePath || f.name;

/** Sends progress at most every `ms` within a phase; phase changes and the end of a phase always go through. */
function throttled(cb: QuantizeProgressCallback | undefined, ms = 100): (p: QuantizeProgress) => void {
  let last = 0;
  let phase = '';
  return (p) => {
    if (!cb) return;
    const now = Date.now();
    if (p.phase === phase && p.fraction < 1 && now - last < ms) return;
    last = now;
    phase = p.phase;
    void cb(p);
  };
}

const api: QuantizeWorkerApi = {
  async quantize(file, externalFiles, request, onProgress) {
    const progress = throttled(onProgress);
    return workerJob(onProgress, async () => {
      // A bad target is the request's fault: said before any work.
      if (request.target && !isTargetId(request.target.id))
        throw new OptionError(`unknown target '${String(request.target.id)}' (use ${WHERE_CHOICES.join(', ')})`);
      if (request.target?.runtimeVersion !== undefined && !isRuntimeVersion(request.target.runtimeVersion))
        throw new OptionError(`not a runtime version: '${request.target.runtimeVersion}' (e.g. 1.22 or 1.30.0)`);
      // The model is opened by streaming: its structure is read, tensor payloads stay in the File (read by slices).
      const siblings = siblingsOf(
        pathOf(file),
        externalFiles.map((f) => ({ path: pathOf(f), source: blobSource(f) })),
      );
      let opened;
      try {
        opened = await openModel(
          { model: blobSource(file), siblings },
          { onProgress: (done, total) => progress({ phase: 'reading', fraction: total ? done / total : 1, done, total }) },
        );
      } catch (e) {
        if (e instanceof AvaError) throw e;
        throw new FileReadError(`could not read the file: ${messageOf(e)}`);
      }
      await onProgress?.({ phase: 'parsing', fraction: 1 });

      // Where the output came from, recorded in its metadata (the CLI records the same fields); hashed beside the work.
      const sha256 = sha256Beside(file);
      sha256.catch(() => undefined);
      const provenance = { source: { name: file.name, sha256 }, toolVersion: TOOL.version, date: request.date ?? new Date().toISOString() };
      const name = request.output?.name ?? 'model.onnx';
      const jobId = request.output?.jobId ?? `job-${Date.now().toString(36)}`;
      const layout = { location: `${name}_data`, ...(request.output?.externalData ? { maxModelBytes: 0 } : {}) };
      const req = { mode: request.mode, options: { ...request.options, provenance, layout } } as ModeRequest;
      const phase = modeMeta(request.mode).verb;
      const t0 = Date.now();
      const result = await runMode(opened.model, req, { force: request.force === true });

      // Streamed to disk (the picked file, else OPFS): the output is never held in memory as a whole.
      // Messages name the files as the user saves them (the model, or its data file `<name>_data`).
      const main = await outputTarget(`${jobId}.onnx`, result.outputBytes - (result.data?.bytes ?? 0), request.output?.handle, name);
      const targets = [main];
      let dataFile: Blob | undefined;
      try {
        await writeOutput(result, main.sink, {
          onProgress: (done, total, item) =>
            progress({ phase, fraction: total ? done / total : 1, done, total, ...(item ? { item } : {}) }),
          dataSink: async () => {
            const t = await outputTarget(`${jobId}.onnx_data`, result.data?.bytes ?? 0, undefined, layout.location);
            targets.push(t);
            return t.sink;
          },
        });
        progress({ phase: 'packaging', fraction: 0 });
        if (targets[1]) dataFile = await targets[1].finish();
        const blob = await main.finish();
        result.report.durationMs = Date.now() - t0;
        const outputBytes = blob.size + (dataFile?.size ?? 0);
        if (result.outputBytes !== outputBytes) {
          throw new Error(`internal error: output size mismatch (written ${outputBytes}, report ${result.outputBytes})`);
        }
        const data = dataFile && result.data ? { name: result.data.location, blob: dataFile } : undefined;
        const targetCheck = await checkOutput(blob, name, data, request.target);
        progress({ phase: 'packaging', fraction: 1 });
        return {
          blob,
          ...(data ? { data } : {}),
          storage: main.kind,
          report: result.report,
          outputBytes,
          targetCheck,
          targetRequested: !!request.target,
          qualityBackend: qualityBackendFor(targetCheck.target).page,
        };
      } catch (e) {
        for (const t of targets) await t.abort();
        throw e;
      }
    });
  },
};

Comlink.expose(api);
