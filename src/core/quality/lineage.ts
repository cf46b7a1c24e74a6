/**
 * Do the two models share a graph lineage, i.e. is the "quantized" one a copy of the "original"? Comparing two
 * unrelated models measures how different they are, not what quantization lost, and advice such as "try FP16" would
 * mislead. Read from the structures alone (no session):
 * - provenance: our outputs record `ava.quantization` / `ava.conversion` metadata with the source file's SHA-256
 *   (src/core/provenance.ts); it either names the original's SHA-256 (linked) or another file (unrelated);
 *   two outputs of the same source are linked too;
 * - graph inputs (name and element type; float16 counts as float: FP16 without keep_io_types);
 * - weight elements: tensors of rank >= 2 (scales and zero points of quantization are rank 0 or 1, or inputs 2+ of
 *   MatMulNBits / GatherBlockQuantized: one per block), packed 4-bit
 *   weights (MatMulNBits B, GatherBlockQuantized data stored as bytes) counted per value (int4 / uint4 tensors are
 *   counted per element already); more than 1% apart is a different model.
 */
import { describeProvenance } from '../provenance.js';
import { DT, dtypeName, elementCount } from '../onnx/dtypes.js';
import { graphInputs } from '../onnx/inspect.js';
import { forEachGraph, type ModelView, type TensorView } from '../onnx/model.js';
import type { LineageReport } from './report.js';

/** What the lineage check reads from one model. */
export interface LineageFacts {
  /** "name:dtype", sorted. */
  inputs: string[];
  weights: number;
  /** Our provenance record's source, when the model carries one. */
  source: { name: string | null; sha256: string | null } | null;
  /** The metadata key it was read from (ava.quantization / ava.conversion). */
  key: string | null;
}

/** Relative difference of weight counts above which two models are taken as different. */
export const WEIGHT_TOLERANCE = 0.01;

export function lineageFacts(m: ModelView): LineageFacts {
  const inputs = graphInputs(m.graph)
    .map((i) => {
      const t = i.kind === 'tensor' ? (i.elemType === DT.FLOAT16 ? 'float32' : dtypeName(i.elemType)) : i.kind;
      return `${i.name}:${t === 'float' ? 'float32' : t}`;
    })
    .sort();
  // Packed low-bit weights: the first input of GatherBlockQuantized, the second of MatMulNBits (attribute bits, default 4).
  const packed = new Map<string, number>();
  const blockParams = new Set<string>();
  const tensors: TensorView[] = [];
  forEachGraph(m.graph, (g) => {
    tensors.push(...g.initializers);
    for (const n of g.nodes) {
      if (n.opType === 'Constant') for (const a of n.attributes) if (a.t) tensors.push(a.t);
      const bits = n.attributes.find((a) => a.name === 'bits')?.i ?? 4;
      if (n.opType === 'MatMulNBits' && n.inputs[1]) packed.set(n.inputs[1], 8 / bits);
      if (n.opType === 'GatherBlockQuantized' && n.inputs[0]) packed.set(n.inputs[0], 8 / bits);
      // Block scales and zero points are rank 2 (one per block): not weights.
      if (n.opType === 'MatMulNBits' || n.opType === 'GatherBlockQuantized') for (const x of n.inputs.slice(2)) if (x) blockParams.add(x);
    }
  });
  let weights = 0;
  // Packed bytes (uint8 / int8 storage) hold 8 / bits values each; int4 / uint4 tensors (GatherBlockQuantized's data
  // as the quantizer writes it) already count one element per value.
  const byteStored = (t: TensorView) => t.dataType === DT.UINT8 || t.dataType === DT.INT8;
  for (const t of tensors)
    if (t.dims.length >= 2 && !blockParams.has(t.name)) weights += elementCount(t.dims) * (byteStored(t) ? (packed.get(t.name) ?? 1) : 1);
  const prov = describeProvenance(m.metadata, { name: m.producerName, version: m.producerVersion });
  return { inputs, weights, source: prov?.source ?? null, key: prov?.key ?? null };
}

/**
 * The lineage of `original` and `quantized`. `originalSha256` gives the original file's SHA-256 (lowercase hex); it is
 * called only when the quantized file's provenance names a source SHA-256 to compare with.
 */
export async function checkLineage(
  o: LineageFacts,
  q: LineageFacts,
  originalSha256?: () => Promise<string | null>,
): Promise<LineageReport> {
  const evidence: string[] = [];
  const differences: string[] = [];
  let linked = false;
  if (q.source?.sha256) {
    const sha = originalSha256 ? await originalSha256().catch(() => null) : null;
    if (sha && sha.toLowerCase() === q.source.sha256.toLowerCase()) {
      linked = true;
      evidence.push(`the quantized file's ${q.key} metadata records the original's SHA-256 (${sha.slice(0, 12)}…) as its source`);
    } else if (o.source?.sha256 && o.source.sha256.toLowerCase() === q.source.sha256.toLowerCase()) {
      linked = true;
      evidence.push(`both files record the same source (SHA-256 ${q.source.sha256.slice(0, 12)}…) in their metadata`);
    } else if (sha)
      differences.push(
        `the quantized file's ${q.key} metadata says it was made from ${q.source.name ? `'${q.source.name}' ` : ''}with SHA-256 ${q.source.sha256.slice(0, 12)}…, ` +
          `but the original's SHA-256 is ${sha.slice(0, 12)}…`,
      );
  }
  if (o.inputs.join(',') !== q.inputs.join(','))
    differences.push(`the graph inputs differ (original ${o.inputs.join(', ') || 'none'}; quantized ${q.inputs.join(', ') || 'none'})`);
  else evidence.push('the same graph inputs');
  const rel = Math.abs(o.weights - q.weights) / Math.max(1, o.weights, q.weights);
  if (rel > WEIGHT_TOLERANCE)
    differences.push(
      `the weight counts differ (original ${o.weights.toLocaleString('en-US')}, quantized ${q.weights.toLocaleString('en-US')})`,
    );
  else
    evidence.push(
      `the same number of weights (${o.weights.toLocaleString('en-US')}${rel > 0 ? ` within ${(WEIGHT_TOLERANCE * 100).toFixed(0)}%` : ''})`,
    );
  const status: LineageReport['status'] = differences.length ? 'unrelated' : linked ? 'linked' : 'unverified';
  return { status, evidence, differences, weights: { original: o.weights, quantized: q.weights } };
}

/** One sentence for the report when the models are not an original and its copy (null otherwise). */
export function lineageWarning(l: LineageReport | null): string | null {
  if (!l || l.status !== 'unrelated') return null;
  return (
    `these two models do not share a graph lineage (${l.differences.join('; ')}): the check measures how two different models differ, ` +
    'not what quantization lost, so it gives no quantization advice'
  );
}
