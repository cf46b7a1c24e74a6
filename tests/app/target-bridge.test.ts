import { describe, expect, it } from 'vitest';
import { FakeWorker } from './fake-worker.js';
import { runTarget } from '../../src/app/target-bridge.js';
import { AvaError, toErrorData } from '../../src/core/errors.js';
import type { TargetRequest, TargetResult, TargetWorkerApi } from '../../workers/target-protocol.js';

const request = {
  model: { blob: new Blob([new Uint8Array(3)]), name: 'm.onnx' },
  tokenizer: null,
  pooling: null,
  bar: { minCosine: 0.99 },
  probes: { sentenceSets: [], retrievalSets: [] },
  output: { jobId: 'job-1' },
} as TargetRequest;
const result = {
  report: { cacheKey: 'k' },
  file: new Blob([new Uint8Array(5)]),
  fileName: 'm-MIXED.onnx',
  storage: 'memory',
  targetCheck: null,
  fromCache: false,
  runtime: { backend: 'wasm', ortBuild: 'x', threads: 1, threadsReason: '' },
  qualityBackend: { backend: 'wasm', exact: true, note: null },
  cacheNote: null,
} as unknown as TargetResult;

function factory(run: TargetWorkerApi['run']) {
  const workers: FakeWorker[] = [];
  return {
    workers,
    make: () => {
      const w = new FakeWorker({ run });
      workers.push(w);
      return w as unknown as Worker;
    },
  };
}

describe('runTarget (src/app/target-bridge.ts)', () => {
  it('relays progress, returns the result, and the worker is gone afterwards', async () => {
    const seen: unknown[] = [];
    const f = factory(async (_req, cb) => {
      await cb?.({ phase: 'sensitivity', fraction: 0.4, done: 3, total: 21, message: 'layer.2 at int8' });
      return result;
    });
    const r = await runTarget(request, { factory: f.make, onProgress: (p) => seen.push(p) });
    expect(r.fileName).toBe('m-MIXED.onnx');
    expect(await r.file!.arrayBuffer()).toHaveProperty('byteLength', 5);
    expect(seen).toEqual([{ phase: 'sensitivity', fraction: 0.4, done: 3, total: 21, message: 'layer.2 at int8' }]);
    expect(f.workers.every((w) => w.terminated)).toBe(true);
  });

  it('cancel terminates the worker at once, rejects with kind abort and removes the job files', async () => {
    const removed: string[] = [];
    const f = factory(() => new Promise<TargetResult>(() => undefined));
    const c = new AbortController();
    const run = runTarget(request, { factory: f.make, signal: c.signal, removeFiles: async (id) => void removed.push(id) });
    setTimeout(() => c.abort(), 10);
    await expect(run).rejects.toMatchObject({ kind: 'abort' });
    expect(removed).toEqual(['job-1']);
    expect(f.workers[0]!.terminated).toBe(true);
  });

  it("the worker's errors come back as AvaErrors of their kind", async () => {
    const f = factory(async () => {
      throw toErrorData(new AvaError('options', 'minCosine must be above -1 and at most 1 (got 2)'));
    });
    await expect(runTarget(request, { factory: f.make, removeFiles: async () => undefined })).rejects.toMatchObject({
      kind: 'options',
      message: 'minCosine must be above -1 and at most 1 (got 2)',
    });
  });
});
