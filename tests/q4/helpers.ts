/**
 * Helpers for the Q4 tests: the goldens of scripts/parity/make_golden_q4.py and a describer that turns one of our
 * output models into the golden's shape (int4 / uint4 tensors unpacked one element per byte, as
 * numpy_helper.to_array(t).tobytes() gives them with ml_dtypes).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DT } from '../../src/core/onnx/dtypes.js';
import type { ModelView, TensorView, GraphView } from '../../src/core/onnx/model.js';
import { type Golden, type GoldenNode, type GoldenTensor, type OutputSummary, REPO, describeModel, sha256 } from '../int8/helpers.js';

export const Q4_GOLDEN_DIR = path.join(REPO, 'tests', 'golden', 'q4');

type Outputs = NonNullable<Golden['outputs']>;
export interface Q4Golden extends Omit<Golden, 'nodes' | 'initializers' | 'reference'> {
  reference: { preset: string; onnxruntime: string; args: { block_size: number; is_symmetric: boolean; op_types_to_quantize: string[] | null; bits: number } };
  nodes?: GoldenNode[] | { same_as_preset: string };
  initializers?: Record<string, GoldenTensor> | { same_as_preset: string };
  outputs_default?: Outputs;
  outputs_opset_kept?: Outputs;
  outputs_default_opset_kept?: Outputs;
}

export function loadQ4Goldens(): Q4Golden[] {
  let files: string[] = [];
  try {
    files = readdirSync(Q4_GOLDEN_DIR).filter((f) => f.endsWith('.json') && f !== 'kernel-cases.json').sort();
  } catch {
    return [];
  }
  return files.map((f) => ({ file: f, ...(JSON.parse(readFileSync(path.join(Q4_GOLDEN_DIR, f), 'utf8')) as Omit<Q4Golden, 'file'>) }));
}

/** The golden's node list, following a same_as_preset reference to another golden of the fixture. */
export function goldenNodes(g: Q4Golden, all: Q4Golden[]): GoldenNode[] {
  const n = g.nodes!;
  if (Array.isArray(n)) return n;
  return goldenNodes(all.find((x) => x.fixture.name === g.fixture.name && x.reference.preset === n.same_as_preset)!, all);
}
export function goldenInits(g: Q4Golden, all: Q4Golden[]): Record<string, GoldenTensor> {
  const i = g.initializers!;
  if ('same_as_preset' in i && typeof i.same_as_preset === 'string') return goldenInits(all.find((x) => x.fixture.name === g.fixture.name && x.reference.preset === i.same_as_preset)!, all);
  return i as Record<string, GoldenTensor>;
}

function unpack4(b: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (b[i >>> 1]! >> ((i & 1) * 4)) & 0xf;
  return out;
}

function int4Fix(g: GraphView, prefix: string, inits: Record<string, GoldenTensor>): void {
  for (const t of g.initializers) if (t.dataType === DT.INT4 || t.dataType === DT.UINT4) inits[(prefix ? `${prefix}/` : '') + t.name] = describeInt4(t);
  g.nodes.forEach((n, idx) => {
    for (const a of n.attributes) {
      const key = `${prefix ? `${prefix}/` : ''}${n.name || `${n.opType}#${idx}`}:${a.name}`;
      if (a.g) int4Fix(a.g, key, inits);
      a.graphs?.forEach((sg, i) => int4Fix(sg, `${key}:${i}`, inits));
    }
  });
}

function describeInt4(t: TensorView): GoldenTensor {
  const count = t.dims.reduce((a, b) => a * b, 1);
  const v = unpack4(t.rawData!, count);
  const first8 = [...v.slice(0, 8)].map((x) => String(t.dataType === DT.INT4 && x >= 8 ? x - 16 : x));
  return { dtype: t.dataType, dims: t.dims, sha256: sha256(v), first8 };
}

/** describeModel (int8 helpers) with int4 / uint4 initializers described as numpy sees them. */
export function describeQ4Model(m: ModelView) {
  const d = describeModel(m);
  int4Fix(m.graph, '', d.initializers);
  return d;
}

export type { OutputSummary };
