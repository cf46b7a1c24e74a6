import { FakeWorker } from './fake-worker.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InspectBridge } from '../../src/app/worker-bridge.js';
import { toErrorData } from '../../src/core/errors.js';
import { OnnxFormatError } from '../../src/core/onnx/errors.js';
import type { InspectWorkerApi, ProgressCallback } from '../../workers/protocol.js';
import type { ModelSummary } from '../../src/core/onnx/summary.js';

const fakeSummary = { fileName: 'm.onnx' } as ModelSummary;
const file = new File([new Uint8Array([1, 2, 3])], 'm.onnx');

function setup(impl: (file: unknown, others: File[], cb?: ProgressCallback) => Promise<ModelSummary>, idleMs = 50) {
  const workers: FakeWorker[] = [];
  const bridge = new InspectBridge(idleMs, () => {
    const w = new FakeWorker({ inspect: impl as InspectWorkerApi['inspect'] });
    workers.push(w);
    return w as unknown as Worker;
  });
  return { bridge, workers };
}

afterEach(() => vi.useRealTimers());

describe('InspectBridge', () => {
  it('starts the worker lazily and returns the summary', async () => {
    const { bridge, workers } = setup(async () => fakeSummary);
    expect(workers).toHaveLength(0);
    expect(bridge.running).toBe(false);
    await expect(bridge.inspect(file, [])).resolves.toEqual(fakeSummary);
    expect(workers).toHaveLength(1);
    bridge.terminate();
  });

  it('passes siblings and relays progress through a proxied callback', async () => {
    const seen: unknown[] = [];
    const { bridge } = setup(async (_f, others, cb) => {
      await cb?.({ phase: 'reading', loaded: 1, total: 3 });
      await cb?.({ phase: 'parsing' });
      // (Node's structured clone keeps a File's bytes, not its name; the browser keeps both.)
      return { ...fakeSummary, metadata: { sizes: others.map((f) => f.size) } } as unknown as ModelSummary;
    });
    const s = await bridge.inspect(file, [new File([new Uint8Array(42)], 'm.onnx.data')], { onProgress: (p) => seen.push(p) });
    expect(s.metadata).toEqual({ sizes: [42] });
    expect(seen).toEqual([{ phase: 'reading', loaded: 1, total: 3 }, { phase: 'parsing' }]);
    bridge.terminate();
  });

  it('terminates the worker after the idle timeout and restarts it on demand', async () => {
    const { bridge, workers } = setup(async () => fakeSummary, 30);
    await bridge.inspect(file, []);
    expect(bridge.running).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect(bridge.running).toBe(false);
    expect(workers[0]!.terminated).toBe(true);
    await bridge.inspect(file, []);
    expect(workers).toHaveLength(2);
    bridge.terminate();
  });

  it('aborts by terminating the worker', async () => {
    const { bridge, workers } = setup(() => new Promise<ModelSummary>(() => {}));
    const ctl = new AbortController();
    const p = bridge.inspect(file, [], { signal: ctl.signal });
    await new Promise((r) => setTimeout(r, 10));
    ctl.abort();
    await expect(p).rejects.toMatchObject({ kind: 'abort' });
    expect(workers[0]!.terminated).toBe(true);
    expect(bridge.running).toBe(false);
    await expect(bridge.inspect(file, [], { signal: ctl.signal })).rejects.toMatchObject({ kind: 'abort' });
  });

  it("keeps an OnnxFormatError's kind and message across the worker boundary and marks other errors as internal", async () => {
    // What the inspect worker throws: the error as plain data (src/core/errors.ts).
    const { bridge } = setup(async () => {
      throw toErrorData(new OnnxFormatError('not an ONNX model: the file is empty'));
    });
    await expect(bridge.inspect(file, [])).rejects.toMatchObject({
      kind: 'format',
      message: 'not an ONNX model: the file is empty',
    });
    bridge.terminate();
    const { bridge: b2 } = setup(async () => {
      throw new TypeError('x is undefined');
    });
    await expect(b2.inspect(file, [])).rejects.toMatchObject({ kind: 'internal', message: 'internal error: x is undefined' });
    b2.terminate();
  });

  it('rejects in-flight calls when the worker reports an error event', async () => {
    const { bridge, workers } = setup(() => new Promise<ModelSummary>(() => {}));
    const p = bridge.inspect(file, []);
    await new Promise((r) => setTimeout(r, 10));
    workers[0]!.dispatchEvent(Object.assign(new Event('error'), { message: 'boom' }));
    await expect(p).rejects.toMatchObject({ kind: 'internal', message: 'internal error: worker failed: boom' });
  });
});
