/** Plain-text rendering of the model card for the terminal. */
import type { ModelSummary, TensorInfo } from '../core/onnx/summary.js';
import { MODE_METAS } from '../core/modes/registry.js';
import { fmtInt } from '../core/onnx/wire.js';
import { mb } from './io.js';

function shape(t: TensorInfo): string {
  return t.shape ? `[${t.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '(unknown shape)';
}

export function formatCard(s: ModelSummary): string {
  const lines: string[] = [];
  const kv = (k: string, v: string | number) => lines.push(`${k.padEnd(22)}${v}`);
  lines.push(`Model: ${s.fileName}`);
  kv('File size', `${mb(s.fileBytes)} (${fmtInt(s.fileBytes)} bytes)`);
  kv('IR version', s.irVersion);
  kv('Opsets', s.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', '));
  kv('Producer', `${s.producerName} ${s.producerVersion}`.trim() || '(none)');
  kv('Graph', s.graphName || '(unnamed)');
  for (const i of s.inputs) kv('Input', `${i.name}: ${i.dtype} ${shape(i)}`);
  for (const o of s.outputs) kv('Output', `${o.name}: ${o.dtype} ${shape(o)}`);
  kv('Nodes', `${s.nodeCount}${s.subgraphCount ? ` (in ${s.subgraphCount + 1} graphs)` : ''}`);
  kv('Parameters', fmtInt(s.parameterCount));
  for (const [t, b] of Object.entries(s.initializerBytesByType)) kv(`  ${t} weights`, mb(b));
  kv('Embedding dimension', s.embeddingDim ?? '—');
  kv('Quantized', s.quantized.quantized ? `yes (${s.quantized.evidence.join('; ')})` : 'no');
  if (s.externalData.length) {
    const missing = s.externalData.filter((e) => !e.resolved);
    const files = [...new Set(s.externalData.map((e) => e.location))];
    kv(
      'External data',
      `${s.externalData.length} tensors in ${files.join(', ')}${missing.length ? ` — MISSING: ${[...new Set(missing.map((e) => e.location))].join(', ')}` : ''}`,
    );
  }
  for (const [k, v] of Object.entries(s.metadata)) kv(`  meta ${k}`, v);
  // Every registered mode, in the registry's order (default options of each).
  for (const m of MODE_METAS) {
    const b = s.predictedBytes[m.id];
    if (b !== undefined) kv(`Predicted ${m.label} size`, `${mb(b)} (${pct(b, s.totalBytes)})`);
  }
  lines.push('Ops:');
  for (const [op, c] of Object.entries(s.opCounts)) lines.push(`  ${op.padEnd(28)}${String(c).padStart(6)}`);
  return lines.join('\n');
}

function pct(a: number, b: number): string {
  return b ? `${((a / b) * 100).toFixed(1)}% of the original` : '—';
}
