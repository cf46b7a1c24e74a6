/** Shared setup for the quality tests: real MiniLM fixture files, probe files, and a deliberately damaged copy. */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { concatParts, parseModel, writeModel } from '../../src/core/onnx/index.js';
import { encodeNode, encodeTensor, encodeValueInfo, type NewNode } from '../../src/core/onnx/encode.js';
import { GRAPH } from '../../src/core/onnx/model.js';
import { lenField, rebuild, type Part } from '../../src/core/onnx/writer.js';
import * as ort from 'onnxruntime-node';
import {
  loadProbes,
  type OrtModule,
  type ProbeBundle,
  type QualityCheckOptions,
  type TokenizerFiles,
} from '../../src/core/quality/index.js';
import { MINILM, fixture, pathOf, type Fixture } from '../helpers/fixtures.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
export const PROBES_DIR = path.join(REPO, 'public', 'probes');

/** Waits for `npm run fixtures` (possibly still running in another process) to write the manifest. */
export async function waitForFixtures(timeoutMs = 10 * 60_000): Promise<void> {
  const manifest = path.join(process.env.FIXTURES_DIR ?? path.join(REPO, '.cache', 'fixtures'), 'manifest.json');
  const t0 = Date.now();
  while (!existsSync(manifest)) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`no ${manifest} after ${timeoutMs / 1000}s: run \`npm run fixtures\``);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export interface MiniLM {
  fixture: Fixture;
  bytes: Uint8Array;
  tokenizer: TokenizerFiles;
  pooling: Record<string, unknown>;
  reference: { sentences: string[]; input_ids: number[][]; attention_mask: number[][]; embeddings: number[][] };
}

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

let cached: MiniLM | null = null;
export async function miniLM(): Promise<MiniLM> {
  if (cached) return cached;
  await waitForFixtures();
  const f = fixture(MINILM);
  const extra = f.extra as Record<string, string>;
  const b = readFileSync(pathOf(f));
  cached = {
    fixture: f,
    bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    tokenizer: { tokenizerJson: json(pathOf(f, f.tokenizer!)), tokenizerConfig: json(pathOf(f, extra.tokenizerConfig!)) },
    pooling: json(pathOf(f, extra.poolingConfig!)),
    reference: json(pathOf(f, extra.reference!)) as unknown as MiniLM['reference'],
  };
  return cached;
}

export function probes(): Promise<ProbeBundle> {
  return loadProbes(async (file) => JSON.parse(await readFile(path.join(PROBES_DIR, file), 'utf8')));
}

/** The shipped English probe sentences (the `en` set) and the four-document seed retrieval set. */
export const englishSets = (p: ProbeBundle) => p.sentenceSets.filter((s) => s.id === 'en');
export const seedRetrieval = (p: ProbeBundle) => p.retrievalSets.filter((s) => s.id === 'seed-4doc');

/** A quality check of MiniLM as the CLI runs it: its tokenizer and pooling, onnxruntime-node on the CPU. */
export function onNodeCpu(m: MiniLM): Pick<QualityCheckOptions, 'ort' | 'tokenizer' | 'pooling' | 'sessionOptions' | 'backend'> {
  return {
    ort: ort as unknown as OrtModule,
    tokenizer: m.tokenizer,
    pooling: m.pooling,
    sessionOptions: { executionProviders: ['cpu'] },
    backend: 'onnxruntime-node cpu',
  };
}

/**
 * A copy of the model with one float initializer transformed (e.g. scaled by 3), written with the core's
 * lossless writer: every other byte of the file is carried through unchanged.
 */
export function withInitializer(
  bytes: Uint8Array,
  pick: (name: string, dims: number[]) => boolean,
  f: (x: number, i: number) => number,
): { bytes: Uint8Array; name: string } {
  const m = parseModel(bytes);
  const t = m.graph.initializers.find((x) => x.dataType === 1 && x.rawData && pick(x.name, x.dims));
  if (!t) throw new Error('no matching float initializer');
  const src = new Float32Array(t.rawData!.slice().buffer);
  const out = src.map(f);
  let k = -1;
  const graph = rebuild(m.graph, (field) => {
    if (field.no !== GRAPH.initializer) return undefined;
    k++;
    if (m.graph.initializers[k] !== t) return undefined;
    return [
      lenField(GRAPH.initializer, encodeTensor({ name: t.name, dataType: t.dataType, dims: t.dims, raw: new Uint8Array(out.buffer) })),
    ];
  });
  return { bytes: concatParts(writeModel(m, { graph })), name: t.name };
}

/** The first feed-forward up-projection (384 x 1536, layer 0) scaled by 3. */
export function damagedMiniLM(bytes: Uint8Array): { bytes: Uint8Array; name: string } {
  return withInitializer(
    bytes,
    (_n, d) => d.length === 2 && d[0] === 384 && d[1] === 1536,
    (x) => x * 3,
  );
}

const f32 = (x: number) => new Uint8Array(Float32Array.of(x).buffer);
const i8 = (x: Int8Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

function quantizeSymmetric(w: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (const x of w) max = Math.max(max, Math.abs(x));
  const scale = max / 127;
  return { q: Int8Array.from(w, (x) => Math.max(-127, Math.min(127, Math.round(x / scale)))), scale };
}

/**
 * Real (hand-built) dynamic INT8 on one MatMul, exactly the pattern onnxruntime's quantize_dynamic emits:
 * DynamicQuantizeLinear(X) -> MatMulInteger(Xq, Wq, Xzp, Wzp) -> Cast -> Mul(Xscale * Wscale).
 * The activation scale is computed over the whole batch, so embeddings depend on batch neighbours.
 */
export function dynamicInt8OneMatMul(bytes: Uint8Array): Uint8Array {
  const m = parseModel(bytes);
  const inits = new Map(m.graph.initializers.map((t) => [t.name, t]));
  const node = m.graph.nodes.find((n) => n.opType === 'MatMul' && inits.get(n.inputs[1]!)?.dims.join('x') === '384x1536')!;
  const w = inits.get(node.inputs[1]!)!;
  const { q, scale } = quantizeSymmetric(new Float32Array(w.rawData!.slice().buffer));
  const [x, y] = [node.inputs[0]!, node.outputs[0]!];
  const p = `${w.name}_dq`;
  const nodes: NewNode[] = [
    { opType: 'DynamicQuantizeLinear', inputs: [x], outputs: [`${p}_xq`, `${p}_xs`, `${p}_xz`], name: `${p}_dql` },
    { opType: 'MatMulInteger', inputs: [`${p}_xq`, `${p}_wq`, `${p}_xz`, `${p}_wz`], outputs: [`${p}_i32`], name: `${p}_mmi` },
    { opType: 'Cast', inputs: [`${p}_i32`], outputs: [`${p}_f`], name: `${p}_cast`, attributes: { to: { kind: 'int', value: 1 } } },
    { opType: 'Mul', inputs: [`${p}_xs`, `${p}_ws`], outputs: [`${p}_s`], name: `${p}_scale` },
    { opType: 'Mul', inputs: [`${p}_f`, `${p}_s`], outputs: [y], name: `${p}_out` },
  ];
  let ni = -1;
  let ii = -1;
  const graph = rebuild(
    m.graph,
    (f) => {
      if (f.no === GRAPH.node && m.graph.nodes[++ni] === node) return nodes.map((n) => lenField(GRAPH.node, encodeNode(n)));
      if (f.no === GRAPH.initializer && m.graph.initializers[++ii] === w)
        return [lenField(GRAPH.initializer, encodeTensor({ name: `${p}_wq`, dataType: 3, dims: w.dims, raw: i8(q) }))];
      return undefined;
    },
    [
      lenField(GRAPH.initializer, encodeTensor({ name: `${p}_ws`, dataType: 1, dims: [], raw: f32(scale) })),
      lenField(GRAPH.initializer, encodeTensor({ name: `${p}_wz`, dataType: 3, dims: [], raw: new Uint8Array(1) })),
    ] as Part[],
  );
  return concatParts(writeModel(m, { graph }));
}

/** The word-embedding table stored as INT8 and read through DequantizeLinear (a QDQ-style weight). */
export function int8EmbeddingTable(bytes: Uint8Array): Uint8Array {
  const m = parseModel(bytes);
  const ids = m.graph.nodes.find((n) => n.opType === 'Gather' && n.inputs[1] === 'input_ids')!;
  const w = m.graph.initializers.find((t) => t.name === ids.inputs[0])!;
  const { q, scale } = quantizeSymmetric(new Float32Array(w.rawData!.slice().buffer));
  const dq: NewNode = {
    opType: 'DequantizeLinear',
    inputs: [`${w.name}_q`, `${w.name}_s`, `${w.name}_z`],
    outputs: [w.name],
    name: `${w.name}_dq`,
  };
  let ni = -1;
  let ii = -1;
  const graph = rebuild(
    m.graph,
    (f) => {
      if (f.no === GRAPH.node && ++ni === 0)
        return [lenField(GRAPH.node, encodeNode(dq)), new Uint8Array(m.graph.buf.subarray(f.start, f.end))];
      if (f.no === GRAPH.initializer && m.graph.initializers[++ii] === w)
        return [lenField(GRAPH.initializer, encodeTensor({ name: `${w.name}_q`, dataType: 3, dims: w.dims, raw: i8(q) }))];
      return undefined;
    },
    [
      lenField(GRAPH.initializer, encodeTensor({ name: `${w.name}_s`, dataType: 1, dims: [], raw: f32(scale) })),
      lenField(GRAPH.initializer, encodeTensor({ name: `${w.name}_z`, dataType: 3, dims: [], raw: new Uint8Array(1) })),
    ] as Part[],
  );
  return concatParts(writeModel(m, { graph }));
}

/** Token inputs declared int32 (renamed int32_<name>, cast to int64 inside): the check must feed Int32Array. */
export function int32Inputs(bytes: Uint8Array): Uint8Array {
  const m = parseModel(bytes);
  const names = ['input_ids', 'attention_mask', 'token_type_ids'];
  let ni = -1;
  const graph = rebuild(m.graph, (f) => {
    if (f.no === GRAPH.input) {
      const v = m.graph.inputs.find((i) => i.buf === m.graph.buf && i.fields[0]!.start >= f.vstart && i.fields[0]!.start < f.end)!;
      if (!names.includes(v.name)) return undefined;
      return [lenField(GRAPH.input, encodeValueInfo(`int32_${v.name}`, 6, ['batch_size', 'sequence_length']))];
    }
    if (f.no === GRAPH.node && ++ni === 0)
      return [
        ...names.map((n) =>
          lenField(
            GRAPH.node,
            encodeNode({
              opType: 'Cast',
              inputs: [`int32_${n}`],
              outputs: [n],
              name: `cast_${n}`,
              attributes: { to: { kind: 'int', value: 7 } },
            }),
          ),
        ),
        new Uint8Array(m.graph.buf.subarray(f.start, f.end)),
      ];
    return undefined;
  });
  return concatParts(writeModel(m, { graph }));
}

/** Adds a rank-2 output "sentence_embedding" = ReduceMean(last_hidden_state, axis 1) (unmasked: exact for unpadded input). */
export function withSentenceOutput(bytes: Uint8Array): Uint8Array {
  const m = parseModel(bytes);
  const graph = rebuild(m.graph, undefined, [
    lenField(
      GRAPH.node,
      encodeNode({
        opType: 'ReduceMean',
        inputs: ['last_hidden_state'],
        outputs: ['sentence_embedding'],
        name: 'pool',
        attributes: { axes: { kind: 'ints', value: [1] }, keepdims: { kind: 'int', value: 0 } },
      }),
    ),
    lenField(GRAPH.output, encodeValueInfo('sentence_embedding', 1, ['batch_size', 384])),
  ]);
  return concatParts(writeModel(m, { graph }));
}
