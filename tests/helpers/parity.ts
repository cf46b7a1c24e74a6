/**
 * The golden comparison shared by the parity suites (tests/int8/parity.test.ts, tests/targets/parity.test.ts,
 * tests/q4/parity.test.ts): our output model against what scripts/parity/make_golden*.py recorded from onnxruntime's
 * quantizers — structure (IR version, opsets, producer, graph I/O, metadata, nodes, initializers), declarations
 * (value_info of every graph) and outputs in onnxruntime-node on the golden's inputs.
 *
 * Tolerance: outputs are compared with REL = 1e-5 relative to the output's magnitude. Both runs execute the same graph
 * with the same kernels; the goldens come from onnxruntime 1.32 (python), the tests run 1.30 (node), possibly on
 * another CPU whose vector kernels differ in the last float bits.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import ort from 'onnxruntime-node';
import { float16BitsToNumber } from '../../src/core/int8/numerics.js';
import { type ModelView, parseModel } from '../../src/core/onnx/model.js';
import {
  type Golden,
  type GoldenInput,
  type GoldenNode,
  type GoldenTensor,
  type OutputSummary,
  defaultSession,
  describeDeclarations,
  describeModel,
  goldenFeeds,
  num,
  opHistogram,
  session,
  sumOf,
} from '../int8/helpers.js';

/** Relative tolerance on output sums / values: the same graph run by onnxruntime 1.30 (node) vs 1.32 (python). */
export const REL = 1e-5;

/** |a - b| within REL of `scale` (floored at 1e-6); NaN only equals NaN. */
export function close(a: number, b: number, scale: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= REL * Math.max(1e-6, scale);
}

/** Items grouped by a key, groups and items in their first-seen order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(key(item)) ?? [];
    list.push(item);
    groups.set(key(item), list);
  }
  return groups;
}

/** Inputs for fixtures whose goldens are all errors (no recorded inputs): make_golden.py's recipe and shapes. */
export const ERROR_FIXTURE_INPUTS: Record<string, GoldenInput[]> = {
  'PP-OCRv4-det': [{ name: 'x', dtype: 'float32', shape: [1, 3, 64, 64], recipe: 'hash float amp=1.0', sha256: '' }],
  'PP-OCRv4-rec': [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 96], recipe: 'hash float amp=1.0', sha256: '' }],
  'ppocr-mobile-v2.0-cls': [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], recipe: 'hash float amp=1.0', sha256: '' }],
};

/** One output of our run: dims, sum, sum of |x| and the first 64 values (float16 outputs widened). */
export interface OutputStats {
  dims: number[];
  sum: number;
  sumAbs: number;
  first64: number[];
}

/** onnxruntime-node hands float16 outputs over as their bit patterns: widen them. */
function asFloat32(t: ort.Tensor): ort.Tensor {
  if (t.type !== 'float16') return t;
  return new ort.Tensor('float32', Float32Array.from(t.data as Uint16Array, float16BitsToNumber), t.dims);
}

/** Runs session `s` once on `feeds` (those its inputs name), releases it, and summarizes every output by name. */
export async function summarize(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<Record<string, OutputStats>> {
  try {
    const out = await s.run(Object.fromEntries(s.inputNames.map((n) => [n, feeds[n]!])));
    return Object.fromEntries(Object.entries(out).map(([n, t]) => [n, { dims: [...t.dims], ...sumOf(asFloat32(t)) }]));
  } finally {
    await s.release();
  }
}

/**
 * Runs `bytes` on input set k of a golden (goldenFeeds), graph optimizations disabled, or with onnxruntime's default
 * options (`defaults`; `optimizedPath` receives the graph it runs).
 */
export async function runSummaries(
  bytes: Uint8Array,
  inputs: GoldenInput[],
  k: number,
  opts: { defaults?: boolean; optimizedPath?: string } = {},
) {
  const feeds = goldenFeeds(inputs, k);
  return summarize(opts.defaults ? await defaultSession(bytes, opts.optimizedPath) : await session(bytes), feeds);
}

/** One output against the reference's summary: shape, sum, sum of |x| and the first 64 values within REL. */
export function expectOutput(name: string, o: OutputStats, r: OutputSummary, label: string): void {
  expect(o.dims, `${label} ${name} shape`).toEqual(r.shape);
  const sumAbs = num(r.sum_abs);
  expect(close(o.sum, num(r.sum), sumAbs), `${label} ${name} sum ${o.sum} vs ${r.sum}`).toBe(true);
  expect(close(o.sumAbs, sumAbs, sumAbs), `${label} ${name} sum_abs ${o.sumAbs} vs ${sumAbs}`).toBe(true);
  const scale =
    sumAbs /
    Math.max(
      1,
      o.dims.reduce((a, b) => a * b, 1),
    );
  r.first64.forEach((v, i) => expect(close(o.first64[i]!, num(v), Math.max(Math.abs(num(v)), scale)), `${label} ${name}[${i}]`).toBe(true));
}

export type ReferenceRun = Record<string, OutputSummary> | { error: string };
type Outputs = NonNullable<Golden['outputs']>;

/** The error of a reference run that failed, else null. */
export function runError(r: ReferenceRun): string | null {
  return 'error' in r && typeof r.error === 'string' ? r.error : null;
}

/**
 * Our outputs on every recorded input set against the reference-quantized model's (`refs[k]`), with `run` giving
 * ours for input set k. A reference run that failed is skipped and named in `skipped`; `ours[k]` is our run of set k.
 */
export async function expectOutputs(
  inputs: GoldenInput[][],
  refs: ReferenceRun[],
  run: (inputs: GoldenInput[], k: number) => Promise<Record<string, OutputStats>>,
  label: string,
): Promise<{ ours: (Record<string, OutputStats> | undefined)[]; skipped: string[] }> {
  const ours: (Record<string, OutputStats> | undefined)[] = [];
  const skipped: string[] = [];
  for (let k = 0; k < inputs.length; k++) {
    const ref = refs[k]!;
    const error = runError(ref);
    if (error !== null) {
      skipped.push(error);
      continue;
    }
    ours[k] = await run(inputs[k]!, k);
    for (const [name, r] of Object.entries(ref as Record<string, OutputSummary>)) expectOutput(name, ours[k]![name]!, r, label);
  }
  return { ours, skipped };
}

/**
 * INT8 goldens (make_golden.py, make_golden_targets.py): our outputs with graph optimizations disabled against the
 * reference-quantized model's (reference runs that failed are skipped and returned), then under onnxruntime's default
 * session options: the graph onnxruntime optimizes ours into must be the reference's, op for op, and its outputs the
 * reference's.
 */
export async function expectInt8Outputs(
  out: Uint8Array,
  outs: Outputs,
  label: string,
): Promise<{ ours: (Record<string, OutputStats> | undefined)[]; skipped: string[] }> {
  const plain = await expectOutputs(outs.inputs, outs.quantized, (inputs, k) => runSummaries(out, inputs, k), label);
  for (const ref of outs.quantized_default!)
    expect(runError(ref), `the reference-quantized model fails under default options: ${JSON.stringify(ref).slice(0, 200)}`).toBeNull();
  const dir = mkdtempSync(path.join(tmpdir(), 'ava-parity-'));
  try {
    const optimizedPath = path.join(dir, 'optimized.onnx');
    const run = (inputs: GoldenInput[], k: number) =>
      runSummaries(out, inputs, k, { defaults: true, ...(k === 0 ? { optimizedPath } : {}) });
    await expectOutputs(outs.inputs, outs.quantized_default!, run, `${label} (default options)`);
    expect(opHistogram(parseModel(new Uint8Array(readFileSync(optimizedPath)))), 'graph onnxruntime runs under default options').toEqual(
      outs.optimized_ops,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return plain;
}

/**
 * Our model's structure against a golden: opsets (file order; `opsets` overrides the golden's), producer, IR version,
 * graph inputs / outputs, metadata (the golden's, then our `metadataKey` entry last), every node in order (subgraphs
 * nested) and every initializer (name, order, dtype, dims, sha256 of its values). `got` is describeModel(q) or a
 * variant of it.
 */
export function expectStructure(
  q: ModelView,
  got: ReturnType<typeof describeModel>,
  want: NonNullable<Golden['output']>,
  golden: { nodes: GoldenNode[]; initializers: Record<string, GoldenTensor>; opsets?: (string | number)[][]; metadataKey: string },
): void {
  expect(got.opsets).toEqual(golden.opsets ?? Object.entries(want.opsets));
  expect([q.producerName, q.producerVersion]).toEqual([want.producer_name, want.producer_version]);
  expect(q.irVersion).toBe(want.ir_version);
  expect(q.graph.inputs.map((i) => i.name)).toEqual(want.graph_inputs);
  expect(q.graph.outputs.map((o) => o.name)).toEqual(want.graph_outputs);
  expect(q.metadata.filter((m) => m.key !== golden.metadataKey).map((m) => [m.key, m.value])).toEqual(want.metadata_props);
  expect(q.metadata[q.metadata.length - 1]?.key).toBe(golden.metadataKey);
  expect(got.nodes.length).toBe(golden.nodes.length);
  for (let i = 0; i < got.nodes.length; i++) expect(got.nodes[i], `node ${i}`).toEqual(golden.nodes[i]);
  expect(Object.keys(got.initializers)).toEqual(Object.keys(golden.initializers));
  for (const [name, t] of Object.entries(golden.initializers)) {
    const o = got.initializers[name]!;
    expect({ name, dtype: o.dtype, dims: o.dims, sha256: o.sha256 }).toEqual({ name, dtype: t.dtype, dims: t.dims, sha256: t.sha256 });
  }
}

/**
 * value_info of every graph (names, order, element types, dims and dim names, as the reference's shape inference
 * left them), the graph input / output types inference merged into, and the main graph's value_info byte for byte.
 */
export function expectDeclarations(q: ModelView, g: Pick<Golden, 'value_info' | 'graph_io' | 'output'>): void {
  const decl = describeDeclarations(q);
  expect(Object.keys(decl.value_info)).toEqual(Object.keys(g.value_info!));
  for (const [key, list] of Object.entries(g.value_info!)) {
    const ours = decl.value_info[key]!;
    expect(ours.length, `value_info count of graph '${key}'`).toBe(list.length);
    list.forEach((e, i) => expect(ours[i], `value_info[${i}] of graph '${key}'`).toEqual(e));
  }
  expect(decl.graph_io).toEqual(g.graph_io);
  const viHash = createHash('sha256');
  for (const v of q.graph.valueInfo) viHash.update(q.buf.subarray(v.fields[0]!.start, v.fields[v.fields.length - 1]!.end));
  expect(viHash.digest('hex'), 'main-graph value_info bytes').toBe(g.output!.value_info_sha256);
}
