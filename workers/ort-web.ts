/// <reference lib="webworker" />
/**
 * onnxruntime-web in a worker, shared by the quality worker and the target worker: the WASM or WebGPU build with its
 * files served by the app (never a CDN), the WebGPU adapter, and the thread count.
 */
// The .wasm / .mjs files of onnxruntime-web are emitted by Vite next to the app (hashed names), so they load from
// wherever the app is served (any sub-path), never from a CDN.
import wasmBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import wasmModuleUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import gpuBinaryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import gpuModuleUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { messageOf } from '../src/core/errors.js';
import type { AdapterInfo, QualityBackend } from './quality-protocol.js';

/** The WebGPU surface used here (the DOM lib in this TypeScript has no WebGPU types). */
export interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  features?: { has(name: string): boolean };
}
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

/** Most threads the check uses; onnxruntime's own default is about half the cores, capped at 4. */
export const MAX_THREADS = 4;

export function adapterInfo(a: GpuAdapterLike): AdapterInfo {
  const i = a.info ?? {};
  return {
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    device: i.device ?? '',
    description: i.description ?? '',
    isFallbackAdapter: i.isFallbackAdapter ?? a.isFallbackAdapter ?? null,
    shaderF16: a.features ? a.features.has('shader-f16') : null,
  };
}

export async function requestAdapter(): Promise<{ adapter: GpuAdapterLike | null; reason: string | null }> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { adapter: null, reason: 'this browser has no WebGPU (navigator.gpu is missing in workers)' };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    return adapter
      ? { adapter, reason: null }
      : { adapter: null, reason: 'navigator.gpu.requestAdapter() gave no adapter (WebGPU disabled or no usable GPU)' };
  } catch (e) {
    return { adapter: null, reason: `navigator.gpu.requestAdapter() failed: ${messageOf(e)}` };
  }
}

export function threading(override: number | undefined): { threads: number; reason: string } {
  const hc = typeof navigator.hardwareConcurrency === 'number' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : null;
  if (override !== undefined) {
    const t = Math.max(1, Math.floor(override));
    if (t > 1 && !self.crossOriginIsolated)
      return { threads: 1, reason: `${t} threads requested, but the page is not cross-origin isolated (no SharedArrayBuffer): 1 thread` };
    return { threads: t, reason: `${t} requested` };
  }
  if (!self.crossOriginIsolated) return { threads: 1, reason: 'page not cross-origin isolated (no SharedArrayBuffer): single-threaded' };
  const t = Math.max(1, Math.min(MAX_THREADS, hc ?? 1));
  return {
    threads: t,
    reason: `cross-origin isolated: ${hc ?? 'unknown'} logical cores${hc !== null && hc > MAX_THREADS ? `, capped at ${MAX_THREADS}` : ''}`,
  };
}

/** The onnxruntime-web build for a backend: the plain WASM build, or the WebGPU build (WebGPU EP + WASM CPU EP). */
export async function loadOrt(backend: QualityBackend) {
  if (backend === 'webgpu') {
    const ort = await import('onnxruntime-web/webgpu');
    ort.env.wasm.wasmPaths = { wasm: gpuBinaryUrl, mjs: gpuModuleUrl };
    return { ort, build: 'onnxruntime-web/webgpu' };
  }
  const ort = await import('onnxruntime-web/wasm');
  ort.env.wasm.wasmPaths = { wasm: wasmBinaryUrl, mjs: wasmModuleUrl };
  return { ort, build: 'onnxruntime-web/wasm' };
}
