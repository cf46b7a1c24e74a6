import { FakeWorker } from './fake-worker.js';
import { describe, expect, it } from 'vitest';
import { QuantizeBridge } from '../../src/app/quantize-bridge.js';
import { toErrorData } from '../../src/core/errors.js';
import { Int8Refusal } from '../../src/core/int8/index.js';
import type { QuantizeResult, QuantizeWorkerApi } from '../../workers/quantize-protocol.js';

const file = new File([new Uint8Array([1, 2, 3])], 'm.onnx');
const int8 = { mode: 'int8', options: { preset: 'ort-default' } } as const;
const report = { mode: 'int8', quantizedBytes: 4 } as unknown as QuantizeResult['report'];
/** The target check the worker adds (its content is the worker's: tests/app/quantize-worker-target.test.ts). */
const checked = {
  targetCheck: { ok: true } as QuantizeResult['targetCheck'],
  targetRequested: false,
  qualityBackend: { backend: 'wasm' as const, exact: false, note: null },
};

function setup(impl: QuantizeWorkerApi['quantize']) {
  const workers: FakeWorker[] = [];
  const bridge = new QuantizeBridge(50, () => {
    const w = new FakeWorker({ quantize: impl });
    workers.push(w);
    return w as unknown as Worker;
  });
  return { bridge, workers };
}

describe('QuantizeBridge', () => {
  it('returns the Blob and report, relaying progress', async () => {
    const seen: unknown[] = [];
    const { bridge } = setup(async (_f, _x, req, cb) => {
      await cb?.({ phase: 'quantizing', fraction: 0.5, done: 1, total: 2, item: 'w' });
      return {
        blob: new Blob([new Uint8Array(4)]),
        storage: 'memory' as const,
        ...checked,
        report: { ...report, options: req.options } as never,
        outputBytes: 4,
      };
    });
    const r = await bridge.quantize(file, [], int8, { onProgress: (p) => seen.push(p) });
    expect(r.blob.size).toBe(4);
    expect(r.report).toMatchObject({ options: { preset: 'ort-default' } });
    expect(seen).toEqual([{ phase: 'quantizing', fraction: 0.5, done: 1, total: 2, item: 'w' }]);
    bridge.terminate();
  });

  it('refuses an output whose Blob size differs from its byte count', async () => {
    const { bridge } = setup(async () => ({
      blob: new Blob([new Uint8Array(3)]),
      storage: 'memory' as const,
      ...checked,
      report,
      outputBytes: 4,
    }));
    await expect(bridge.quantize(file, [], int8)).rejects.toMatchObject({ kind: 'internal' });
    bridge.terminate();
  });

  it('runs queued jobs one at a time; a job cancelled while queued never starts', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    // (Node's structured clone drops File names: the job is named through the request.)
    const job = (name: string) => ({ mode: 'int8' as const, options: { excludeNodes: [name] } });
    const { bridge } = setup(async (_f, _x, req) => {
      const name = (req.options as { excludeNodes: string[] }).excludeNodes[0];
      order.push(`start ${name}`);
      if (name === 'a') await gate;
      order.push(`end ${name}`);
      return { blob: new Blob([]), storage: 'memory' as const, ...checked, report, outputBytes: 0 };
    });
    const started: string[] = [];
    const a = bridge.runQueued(file, [], job('a'), { onStart: () => started.push('a') });
    const ctl = new AbortController();
    const b = bridge.runQueued(file, [], job('b'), { signal: ctl.signal, onStart: () => started.push('b') });
    const c = bridge.runQueued(file, [], job('c'), { onStart: () => started.push('c') });
    await new Promise((r) => setTimeout(r, 20));
    expect(started).toEqual(['a']);
    ctl.abort();
    release();
    await a;
    await expect(b).rejects.toMatchObject({ kind: 'abort' });
    await c;
    expect(started).toEqual(['a', 'c']);
    expect(order).toEqual(['start a', 'end a', 'start c', 'end c']);
    bridge.terminate();
  });

  it('cancelling a running job terminates the worker; the next job starts a new one', async () => {
    let calls = 0;
    const { bridge, workers } = setup(async () => {
      if (calls++ === 0) await new Promise(() => {});
      return { blob: new Blob([]), storage: 'memory' as const, ...checked, report, outputBytes: 0 };
    });
    const ctl = new AbortController();
    const p = bridge.runQueued(file, [], int8, { signal: ctl.signal });
    await new Promise((r) => setTimeout(r, 20));
    ctl.abort();
    await expect(p).rejects.toMatchObject({ kind: 'abort' });
    expect(workers[0]!.terminated).toBe(true);
    expect(bridge.running).toBe(false);
    await expect(bridge.runQueued(file, [], int8)).resolves.toMatchObject({ outputBytes: 0 });
    expect(workers).toHaveLength(2);
    bridge.terminate();
  });
});

describe('errors from the quantize worker', () => {
  it('arrive as AvaErrors with the kind and message the worker gave them', async () => {
    const { bridge } = setup(async () => {
      throw toErrorData(new Int8Refusal('the model must import the default ONNX domain exactly once'));
    });
    await expect(bridge.quantize(file, [], int8)).rejects.toMatchObject({
      name: 'Int8Refusal',
      kind: 'refused',
      message: 'the model must import the default ONNX domain exactly once',
    });
    bridge.terminate();
  });
});
