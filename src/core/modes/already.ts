/**
 * "Is this model already quantized?" — one answer for the CLI's quantize and batch, the page's card and batch, and
 * runMode's refusal: our own provenance metadata (a mode's `metadataKey`), else the model card's quantization
 * detection (src/core/onnx/inspect.ts: quantization ops, int8/uint8/fp16 weights, producer `onnx.quantize`).
 */
import type { ModelSummary } from '../onnx/summary.js';
import { TOOL_DISPLAY_NAME } from '../tool.js';
import { MIXED_META } from '../mixed/meta.js';
import { MODE_METAS } from './registry.js';

/** What the model says about itself, e.g. from its ModelSummary (any subset; missing parts are simply not used). */
export type QuantizedEvidence = Partial<Pick<ModelSummary, 'quantized' | 'metadata'>>;

export interface AlreadyQuantized {
  /** "already quantized: MatMulInteger nodes (36), int8 weights (21.9 MiB), producer 'onnx.quantize'". */
  reason: string;
  /** The individual findings. */
  evidence: string[];
  /** Our metadata, or the model's content. */
  by: 'metadata' | 'model';
}

const has = (o: Record<string, string> | undefined, k: string): boolean => !!o && Object.prototype.hasOwnProperty.call(o, k);

/** The mode a provenance record names ("int8-dynamic" -> int8, "q4" -> q4), else the first mode writing that key. */
function modeOfRecord(key: string, value: string | undefined) {
  let mode = '';
  try {
    const rec: unknown = JSON.parse(value ?? '');
    if (rec && typeof rec === 'object' && typeof (rec as { mode?: unknown }).mode === 'string')
      mode = (rec as { mode: string }).mode.toLowerCase();
  } catch {
    /* an unreadable record still says which tool wrote it */
  }
  const writers = [...MODE_METAS, MIXED_META];
  return (
    writers.find((m) => m.metadataKey === key && (mode === m.id || mode.startsWith(`${m.id}-`))) ??
    writers.find((m) => m.metadataKey === key)!
  );
}

export function alreadyQuantized(e: QuantizedEvidence | null | undefined): AlreadyQuantized | null {
  for (const key of new Set(MODE_METAS.map((m) => m.metadataKey))) {
    if (!has(e?.metadata, key)) continue;
    const m = modeOfRecord(key, e!.metadata![key]);
    const done = m.verb === 'quantizing' ? 'quantized to' : 'converted to';
    const finding = `it carries ${key} metadata`;
    return { reason: `already ${done} ${m.label} by ${TOOL_DISPLAY_NAME} (${finding})`, evidence: [finding], by: 'metadata' };
  }
  if (e?.quantized?.quantized) {
    const evidence = e.quantized.evidence.length ? e.quantized.evidence : ['the model card says so'];
    return { reason: `already quantized: ${evidence.slice(0, 4).join(', ')}`, evidence: [...evidence], by: 'model' };
  }
  return null;
}
