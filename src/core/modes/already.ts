/**
 * "Is this model already quantized?" — one answer for the CLI's quantize and batch, the page's card and batch, and
 * runMode's refusal: our own provenance metadata (a mode's `metadataKey`), else the model card's quantization
 * detection (src/core/onnx/inspect.ts: quantization ops, int8/uint8/fp16 weights, producer `onnx.quantize`).
 */
import type { ModelSummary } from '../onnx/summary.js';
import { TOOL_DISPLAY_NAME } from '../tool.js';
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

export function alreadyQuantized(e: QuantizedEvidence | null | undefined): AlreadyQuantized | null {
  for (const m of MODE_METAS) {
    if (!has(e?.metadata, m.metadataKey)) continue;
    const done = m.verb === 'quantizing' ? 'quantized to' : 'converted to';
    const finding = `it carries ${m.metadataKey} metadata`;
    return { reason: `already ${done} ${m.label} by ${TOOL_DISPLAY_NAME} (${finding})`, evidence: [finding], by: 'metadata' };
  }
  if (e?.quantized?.quantized) {
    const evidence = e.quantized.evidence.length ? e.quantized.evidence : ['the model card says so'];
    return { reason: `already quantized: ${evidence.slice(0, 4).join(', ')}`, evidence: [...evidence], by: 'model' };
  }
  return null;
}
