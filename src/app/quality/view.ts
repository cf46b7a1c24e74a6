/** Display helpers for the quality report. Pure functions (unit-tested in tests/app/quality-view.test.ts). */
import type { Histogram } from '../../core/quality/math.js';
import type { AdapterInfo, QualityBackend, RuntimeInfo } from '../../../workers/quality-protocol.js';

export const BACKEND_LABEL: Record<QualityBackend, string> = { wasm: 'WASM (CPU)', webgpu: 'WebGPU' };

/** 0.987654321 -> "0.9877"; null -> "n/a". */
export function f4(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4);
}

/** Cosines near 1 need more digits to tell FP16 (0.99999x) from INT8 (0.99x): 6 decimals above 0.999. */
export function fcos(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return x > 0.999 && x < 1 ? x.toFixed(6) : x.toFixed(4);
}

export function f3(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3);
}

/** A number as a data attribute: full precision, "" for null. */
export const dataNum = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '' : String(x));

export function formatRange(min: number | null, max: number | null): string {
  return min === null || max === null ? 'n/a' : `${min.toFixed(3)}–${max.toFixed(3)}`;
}

export interface HistogramBin {
  lo: number;
  hi: number;
  count: number;
  /** "0.990–0.995" */
  label: string;
}

/** The histogram's bins with their edges; decimals enough to tell neighbouring edges apart. */
export function histogramBins(h: Histogram): HistogramBin[] {
  const n = h.counts.length;
  const w = (h.hi - h.lo) / n;
  const decimals = Math.min(6, Math.max(2, Math.ceil(-Math.log10(w)) + 1));
  return h.counts.map((count, i) => {
    const lo = h.lo + i * w;
    const hi = i === n - 1 ? h.hi : h.lo + (i + 1) * w;
    return { lo, hi, count, label: `${lo.toFixed(decimals)}–${hi.toFixed(decimals)}` };
  });
}

/** "google swiftshader (fallback adapter)"; "" parts are left out. */
export function formatAdapter(a: AdapterInfo | null): string {
  if (!a) return 'none';
  const parts = [a.vendor, a.architecture, a.device, a.description].filter((s) => s && s.trim().length > 0);
  const head = parts.length ? [...new Set(parts)].join(' ') : 'unnamed adapter';
  const notes = [
    a.isFallbackAdapter ? 'fallback / software adapter' : null,
    a.shaderF16 === false ? 'no shader-f16: float16 models cannot run' : null,
  ].filter(Boolean);
  return notes.length ? `${head} (${notes.join('; ')})` : head;
}

const EP_NAME: Record<string, string> = {
  WebGpuExecutionProvider: 'WebGPU',
  JsExecutionProvider: 'WebGPU (JSEP)',
  CPUExecutionProvider: 'CPU (WASM)',
};

export const epName = (ep: string): string => EP_NAME[ep] ?? ep;

/** "original: 191 nodes on WebGPU, 25 on CPU (WASM)". */
export function formatPlacements(r: RuntimeInfo): string[] {
  return r.placements.map((p) => `${p.model}: ${p.eps.map((e) => `${e.nodes} nodes on ${epName(e.ep)}`).join(', ')}`);
}

/** "2 threads (cross-origin isolated: 2 logical cores)". */
export function formatThreads(r: RuntimeInfo): string {
  return `${r.threads} ${r.threads === 1 ? 'thread' : 'threads'} (${r.threadsReason})`;
}

/** Nodes not on the requested backend's EP (CPU fallback), per model; empty when all ran there or unknown. */
export function fallbackNodes(r: RuntimeInfo): { model: string; nodes: number }[] {
  if (r.backend !== 'webgpu') return [];
  return r.placements
    .map((p) => ({ model: p.model, nodes: p.eps.filter((e) => e.ep === 'CPUExecutionProvider').reduce((a, e) => a + e.nodes, 0) }))
    .filter((x) => x.nodes > 0);
}

/** "26 Nov 2026, 22:41:07" in the user's locale, with the ISO date as fallback. */
export function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  } catch {
    return d.toISOString();
  }
}

/**
 * Whether the quality check can feed this model text: an integer graph input named like token ids (input_ids,
 * ids, …). Other models (speech, vision) get no automatic check after a quantize.
 */
export function looksLikeTextEncoder(s: { inputs: readonly { name: string; dtype: string }[] }): boolean {
  return s.inputs.some((i) => /ids$/i.test(i.name) && /^u?int(32|64)$/.test(i.dtype));
}

/** "99.6%": a mean cosine as the similarity people read (one decimal; never rounded up to 100% unless it is 1). */
export function similarity(cos: number | null | undefined): string {
  if (cos === null || cos === undefined || !Number.isFinite(cos)) return 'n/a';
  const p = Math.max(0, cos) * 100;
  const s = p.toFixed(1);
  return s === '100.0' && cos < 1 ? '99.9+%' : `${s}%`;
}

/** "1 query" / "2 queries". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
