/// <reference lib="webworker" />
// Thin comlink entry for target mode: onnxruntime-web (wasm or webgpu build, as the quality worker loads it) + the
// job in target-job.ts; the answer goes to OPFS like the quantize worker's outputs (output-target.ts), reports are
// cached in IndexedDB (database "ava-target"). One run per worker: the bridge starts a fresh one per run and a cancel
// terminates it. No DOM here.
import * as Comlink from 'comlink';
import { workerJob } from './job.js';
import { toErrorData } from '../src/core/errors.js';
import { createStore, get, set } from 'idb-keyval';
import type { TargetReport } from '../src/core/mixed/index.js';
import { loadOrt, requestAdapter, threading } from './ort-web.js';
import { outputTarget } from './output-target.js';
import { type TargetReportCache, runTargetJob } from './target-job.js';
import type { TargetRequest, TargetResult, TargetWorkerApi } from './target-protocol.js';
import { captureOrtConsole } from './ort-console.js';

// onnxruntime's C++ log (warnings too) comes as console.error: kept out of the page console, as the quality worker does.
captureOrtConsole();

const store = createStore('ava-target', 'reports');
const cache: TargetReportCache = {
  get: (key) => get<TargetReport>(key, store),
  set: (key, report) => set(key, report, store),
};

/** Sends progress at most every `ms` within a phase; phase changes and the end always go through. */
function throttled<P extends { phase: string; fraction: number }>(
  cb: ((p: P) => void) | undefined,
  ms = 150,
): ((p: P) => void) | undefined {
  if (!cb) return undefined;
  let last = 0;
  let phase = '';
  return (p) => {
    const now = Date.now();
    if (p.phase === phase && p.fraction < 1 && now - last < ms) return;
    last = now;
    phase = p.phase;
    void cb(p);
  };
}

let used = false;

/** One job per worker: a run, or a cache lookup (`req.cacheOnly`: null when nothing is cached; no adapter needed). */
function job(req: TargetRequest, onProgress: Parameters<TargetWorkerApi['run']>[1]): Promise<TargetResult | null> {
  return workerJob(onProgress, async () => {
    if (used) throw new Error('internal error: this worker already ran target mode (start a fresh one per run)');
    used = true;
    const backend = req.backend ?? 'wasm';
    const { threads, reason } = threading(req.threads);
    const { ort, build } = await loadOrt(backend);
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false; // already off the main thread
    ort.env.logLevel = 'error';
    if (backend === 'webgpu' && !req.cacheOnly) {
      const got = await requestAdapter();
      if (!got.adapter) throw new Error(`WebGPU not available: ${got.reason}`);
      ort.env.webgpu.adapter = got.adapter as never;
    }
    const jobId = req.output?.jobId ?? `target-${Date.now().toString(36)}`;
    const r = await runTargetJob(
      req,
      {
        ort: ort as never,
        backendLabel: `onnxruntime-web ${backend}`,
        sessionOptions: { executionProviders: [backend] },
        cache,
        async write(bytes) {
          const t = await outputTarget(`${jobId}.onnx`, bytes.length, req.output?.handle);
          try {
            await t.sink.write(bytes);
            return { file: await t.finish(), storage: t.kind };
          } catch (e) {
            await t.abort();
            throw e;
          }
        },
      },
      throttled(onProgress),
    );
    return r && { ...r, runtime: { backend, ortBuild: build, threads, threadsReason: reason } };
  });
}

const api: TargetWorkerApi = {
  async run(req, onProgress) {
    const r = await job({ ...req, cacheOnly: false }, onProgress);
    if (!r) throw toErrorData(new Error('internal error: target mode gave no result'));
    return r;
  },
  lookup: (req) => job({ ...req, cacheOnly: true }, undefined),
};

Comlink.expose(api);
