/// <reference types="vite/client" />
// Browser side of `npm run bench -- --quality`: one throughput case per worker (onnxruntime's threads are fixed at
// its first session), with the same onnxruntime-web builds and wasm files as the app's quality worker.
import wasmBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import wasmModuleUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import gpuBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import gpuModuleUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import type { OrtModule } from '../src/core/quality/index.js';
import { measureThroughput, type ThroughputCase } from './quality-throughput.js';

export interface WorkerCase extends Omit<ThroughputCase, 'model' | 'sessionOptions'> {
  backend: 'wasm' | 'webgpu';
  threads: number;
  modelUrl: string;
}

self.onmessage = async (ev: MessageEvent<WorkerCase>) => {
  const c = ev.data;
  // onnxruntime logs through console.error; the bench page does not care, keep its console quiet.
  console.error = () => undefined;
  try {
    const ort = c.backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
    ort.env.wasm.wasmPaths =
      c.backend === 'webgpu' ? { wasm: gpuBinaryUrl, mjs: gpuModuleUrl } : { wasm: wasmBinaryUrl, mjs: wasmModuleUrl };
    ort.env.wasm.numThreads = c.threads;
    ort.env.wasm.proxy = false;
    const gpu = (
      navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }
    ).gpu;
    let adapter = '';
    if (c.backend === 'webgpu') {
      const a = gpu ? await gpu.requestAdapter() : null;
      if (!a) throw new Error('no WebGPU adapter');
      adapter = [a.info?.vendor, a.info?.architecture].filter(Boolean).join(' ');
    }
    const model = new Uint8Array(await (await fetch(c.modelUrl)).arrayBuffer());
    const r = await measureThroughput(ort as unknown as OrtModule, { ...c, model, sessionOptions: { executionProviders: [c.backend] } });
    self.postMessage({ ok: true, result: r, adapter, isolated: self.crossOriginIsolated });
  } catch (e) {
    self.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
};
