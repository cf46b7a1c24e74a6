/// <reference lib="webworker" />
// Thin comlink entry for the quality check: onnxruntime-web (wasm or webgpu build) + the quality core. No DOM here.
// One check per worker: the page starts a fresh worker for each backend and terminates it afterwards (Cancel too),
// which frees the WebAssembly heap and the GPU device.
import * as Comlink from 'comlink';
import { workerJob } from './job.js';
import { hashBytes } from '../src/core/batch/hashing.js';
import { siblingsOf } from '../src/core/io/files.js';
import { blobSource, type ByteSource } from '../src/core/io/source.js';
import type { ModelView } from '../src/core/onnx/model.js';
import { openModel } from '../src/core/onnx/open.js';
import { AvaError, messageOf } from '../src/core/errors.js';
import {
  externalDataFiles,
  modelFilesDigest,
  runQualityCheck,
  type ModelSpec,
  type OrtModule,
  type PoolingChoice,
  type PoolingConfigJson,
  type TokenizerFiles,
} from '../src/core/quality/index.js';
import { type GpuAdapterLike, adapterInfo, loadOrt, requestAdapter, threading } from './ort-web.js';
import { captureOrtConsole } from './ort-console.js';
import type {
  GpuProbe,
  ModelFilesInput,
  Placement,
  QualityRequest,
  QualityResult,
  QualityWorkerApi,
  RuntimeInfo,
} from './quality-protocol.js';

/** A tokenizer or config file that cannot be used (kind 'tokenizer'). */
class TokenizerFileError extends AvaError {
  override name = 'TokenizerFileError';
  constructor(message: string) {
    super('tokenizer', message);
  }
}

// ---- onnxruntime's log -----------------------------------------------------------------------------------------
// onnxruntime-web prints its C++ log (every level, warnings included) with console.error. Those lines are captured
// here: node placements tell which execution providers ran, warnings go into the report, nothing reaches the page
// console as an "error".
const ortConsole = captureOrtConsole();
const captured = ortConsole.lines;

function placementsOf(lines: string[]): Placement[][] {
  const sessions: Placement[][] = [];
  for (const line of lines) {
    if (/VerifyEachNodeIsAssignedToAnEp\] Node placements/.test(line)) sessions.push([]);
    const m = /(?:All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (m) {
      if (sessions.length === 0) sessions.push([]);
      sessions.at(-1)!.push({ ep: m[1]!, nodes: Number(m[2]) });
    }
  }
  return sessions;
}

const shortEp = (ep: string) =>
  ({ WebGpuExecutionProvider: 'webgpu', JsExecutionProvider: 'webgpu (jsep)', CPUExecutionProvider: 'cpu (wasm)' })[ep] ?? ep;

// ---- helpers ---------------------------------------------------------------------------------------------------

async function readJson(blob: Blob, what: string): Promise<object> {
  let text: string;
  try {
    text = await blob.text();
  } catch (e) {
    throw new TokenizerFileError(`could not read ${what}: ${messageOf(e)}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v;
  } catch (e) {
    throw new TokenizerFileError(`${what} is not valid JSON: ${messageOf(e)}`);
  }
}

/** The model's files as byte sources (slices of the Files: nothing read whole), and which File each source is. */
function filesOf(m: ModelFilesInput): { model: ByteSource; siblings: Map<string, ByteSource>; blobOf: Map<ByteSource, Blob> } {
  const blobOf = new Map<ByteSource, Blob>();
  const source = (blob: Blob, name: string) => {
    const src = blobSource(blob, name);
    blobOf.set(src, blob);
    return src;
  };
  const others = (m.others ?? []).map((o) => ({ path: o.path, source: source(o.blob, o.path.split('/').pop() ?? o.path) }));
  return { model: source(m.blob, m.name), siblings: siblingsOf(m.path ?? m.name, others), blobOf };
}

/**
 * A model for the quality core: its structure opened by streaming (payloads stay in the Files), and for onnxruntime-web
 * the .onnx bytes (read when its session is created) plus each external-data file as a blob: URL, which onnxruntime-web
 * fetches and streams (a Blob would be read whole with arrayBuffer(), which fails over 2 GB). URLs go into `urls` to
 * be revoked when the check is over.
 */
function modelSpec(m: ModelFilesInput, urls: string[]): ModelSpec {
  const files = filesOf(m);
  let view: ModelView | null = null;
  return {
    name: m.name,
    structure: async () => (view = (await openModel(files)).model),
    load: async () => {
      const externalData = externalDataFiles(view!).map(({ location, source }) => {
        const url = URL.createObjectURL(files.blobOf.get(source)!);
        urls.push(url);
        return { path: location, data: url };
      });
      return { bytes: new Uint8Array(await m.blob.arrayBuffer()), externalData };
    },
    sha256: async () => (await hashBytes(m.blob, { md5: false })).sha256,
  };
}

let used = false;

const api: QualityWorkerApi = {
  async sha256(blob) {
    return workerJob(undefined, async () => {
      return (await hashBytes(blob)).sha256;
    });
  },

  async modelDigest(m) {
    return workerJob(undefined, async () => {
      const files = filesOf(m);
      // External data is part of what a model computes: hash the files it names, by location. Not ONNX: the file alone.
      const external = await openModel(files).then(
        (o) =>
          externalDataFiles(o.model)
            .sort((a, b) => (a.location < b.location ? -1 : 1))
            .map((x) => x.source),
        () => [],
      );
      return (await modelFilesDigest(files.model, external)).sha256;
    });
  },

  async probeGpu(): Promise<GpuProbe> {
    const { adapter, reason } = await requestAdapter();
    return { available: !!adapter, adapter: adapter ? adapterInfo(adapter) : null, reason };
  },

  async check(req: QualityRequest, onProgress): Promise<QualityResult> {
    return workerJob(onProgress, async () => {
      // onnxruntime's environment (threads, wasm paths) is fixed at its first session: one check per worker.
      if (used) throw new Error('internal error: this worker already ran a check (start a fresh one per backend)');
      used = true;
      const { threads, reason } = threading(req.threads);
      const runtime: RuntimeInfo = {
        backend: req.backend,
        ortBuild: '',
        ortVersion: '',
        requestedProviders: [req.backend],
        placements: [],
        threads,
        threadsReason: reason,
        crossOriginIsolated: self.crossOriginIsolated,
        hardwareConcurrency: navigator.hardwareConcurrency ?? null,
        adapter: null,
        ortLog: [],
      };

      let gpuAdapter: GpuAdapterLike | null = null;
      if (req.backend === 'webgpu') {
        const got = await requestAdapter();
        if (!got.adapter) return { report: null, runtime, skipped: `WebGPU not available: ${got.reason}` };
        gpuAdapter = got.adapter;
        runtime.adapter = adapterInfo(got.adapter);
      }

      // Read the small files before onnxruntime starts (a bad tokenizer file is the user's to fix, not a crash); the
      // models are opened by the core, one at a time.
      let tokenizer: TokenizerFiles | null = null;
      if (req.tokenizer) {
        tokenizer = {
          tokenizerJson: await readJson(req.tokenizer.tokenizerJson, 'tokenizer.json'),
          tokenizerConfig: req.tokenizer.tokenizerConfig ? await readJson(req.tokenizer.tokenizerConfig, 'tokenizer_config.json') : null,
        };
      }
      const pooling: PoolingChoice =
        req.poolingMode ?? (req.pooling ? ((await readJson(req.pooling, '1_Pooling/config.json')) as PoolingConfigJson) : null);

      const { ort, build } = await loadOrt(req.backend);
      runtime.ortBuild = build;
      runtime.ortVersion = ort.env.versions.web ?? ort.env.versions.common ?? '';
      ort.env.wasm.numThreads = threads;
      ort.env.wasm.proxy = false; // already off the main thread
      ort.env.logLevel = 'warning';
      if (gpuAdapter) ort.env.webgpu.adapter = gpuAdapter as never;

      captured.length = 0;
      ortConsole.capturing = true;
      let report;
      const urls: string[] = [];
      try {
        report = await runQualityCheck({
          ort: ort as unknown as OrtModule,
          original: modelSpec(req.original, urls),
          quantized: modelSpec(req.quantized, urls),
          tokenizer,
          pooling,
          ...(req.outputName ? { outputName: req.outputName } : {}),
          sentenceSets: req.sentenceSets,
          retrievalSets: req.retrievalSets,
          sentences: req.sentences,
          threshold: req.threshold,
          // Verbose session logging: onnxruntime logs the node placements (which EP runs what) only at that level.
          sessionOptions: { executionProviders: [req.backend], logSeverityLevel: 0 } as { executionProviders: string[] },
          backend: `onnxruntime-web ${req.backend}`,
          onProgress: onProgress ? (p) => void onProgress(p) : undefined,
        });
      } finally {
        ortConsole.capturing = false;
        for (const u of urls) URL.revokeObjectURL(u);
      }

      // Which EPs ran, from the placement log (sessions are created original first, then quantized).
      const sessions = placementsOf(captured);
      const roles = (['original', 'quantized'] as const).filter((r) => report.models[r].loaded);
      runtime.placements = sessions.slice(0, 2).map((eps, i) => ({ model: roles[i] ?? (i === 0 ? 'original' : 'quantized'), eps }));
      runtime.ortLog = captured.filter((l) => /\[[WEF]:onnxruntime/.test(l)).slice(0, 50);
      const device = (ort.env.webgpu as { device?: { adapterInfo?: GpuAdapterLike['info'] } }).device;
      if (req.backend === 'webgpu' && device?.adapterInfo && gpuAdapter)
        runtime.adapter = adapterInfo({ info: device.adapterInfo, features: gpuAdapter.features });
      if (runtime.placements.length) {
        const eps = [...new Set(runtime.placements.flatMap((p) => p.eps.map((e) => e.ep)))];
        report.backend.ranProviders = eps.map(shortEp);
        report.backend.note =
          "from onnxruntime's node-placement log: " +
          runtime.placements.map((p) => `${p.model} ${p.eps.map((e) => `${e.nodes} nodes on ${shortEp(e.ep)}`).join(', ')}`).join('; ');
      }
      return { report, runtime, skipped: null };
    });
  },
};

Comlink.expose(api);
