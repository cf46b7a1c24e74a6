/**
 * Layer groups and per-group precision (src/core/mixed: groups.ts, compose.ts, sizes.ts) on all-MiniLM-L6-v2:
 * the groups come from the graph (named, generically named and unnamed nodes; a fallback for graphs without layer
 * names), every precision on every group and mixes with every pair of neighbouring precisions load and run in
 * onnxruntime-node and stay close to fp32, uniform assignments are the plain modes byte for byte, and the predicted
 * sizes match the real files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convertFp16 } from '../../src/core/fp16/index.js';
import { quantizeInt8 } from '../../src/core/int8/index.js';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { quantizeQ4 } from '../../src/core/q4/index.js';
import { modelDigest } from '../../src/core/quality/index.js';
import {
  PRECISIONS,
  buildMix,
  layerGroups,
  predictMixBytes,
  resolveMixOptions,
  type Assignment,
  type Precision,
} from '../../src/core/mixed/index.js';
import { buildModel, values } from '../helpers/tiny-model.js';
import { miniLM, type MiniLM } from '../quality/helpers.js';
import { embedSentences, meanCos, renameNodes } from './helpers.js';

let m: MiniLM;
let model: ModelView;
let reference: Float32Array[];
beforeAll(async () => {
  m = await miniLM();
  model = parseModel(m.bytes);
  reference = await embedSentences(m.bytes, m.tokenizer, m.pooling);
});

const LAYERS = ['layer.0', 'layer.1', 'layer.2', 'layer.3', 'layer.4', 'layer.5'];
const all = (p: Precision): Assignment => Object.fromEntries(['embeddings', ...LAYERS, 'rest'].map((g) => [g, p]));

describe('layer groups', () => {
  it('MiniLM: embeddings, layer.0-5 (6 weighted MatMuls each), rest; every node in exactly one group', () => {
    const plan = layerGroups(model);
    expect(plan.method).toBe('names');
    expect(plan.groups.map((g) => g.id)).toEqual(['embeddings', ...LAYERS, 'rest']);
    const names = plan.groups.flatMap((g) => g.nodes);
    expect(names.length).toBe(model.graph.nodes.length);
    expect(new Set(names).size).toBe(names.length);
    for (const g of plan.groups.filter((x) => x.kind === 'layer')) {
      expect(
        g.weights
          .filter((w) => w.role === 'matmul-b')
          .map((w) => w.dims.join('x'))
          .sort(),
      ).toEqual(['1536x384', '384x1536', '384x384', '384x384', '384x384', '384x384']);
      // Scope-named nodes of the layer, and generic ones ("Constant_208") that feed it.
      expect(g.nodes.every((n) => n.includes(`/${g.id}/`) || /^[A-Za-z]+_\d+$/.test(n))).toBe(true);
      expect(g.nodes.filter((n) => n.includes(`/${g.id}/`)).length).toBeGreaterThan(70);
    }
    const emb = plan.groups[0]!;
    expect(
      emb.weights
        .filter((w) => w.role === 'gather-table')
        .map((w) => w.name)
        .sort(),
    ).toEqual([
      'm.embeddings.position_embeddings.weight',
      'm.embeddings.token_type_embeddings.weight',
      'm.embeddings.word_embeddings.weight',
    ]);
    // Every initializer is owned by exactly one group, and the groups' weights add up to the model's.
    const owned = plan.groups.flatMap((g) => g.weights.map((w) => w.name));
    expect(new Set(owned).size).toBe(owned.length);
    expect(owned.length).toBe(model.graph.initializers.length);
    expect(plan.groups.find((g) => g.id === 'rest')!.weightBytes).toBe(0);
  });

  for (const variant of ['generic names (node_<i>)', 'no names at all'] as const)
    it(`MiniLM with ${variant}: the same weights per layer, from initializer names and consumers`, async () => {
      const bytes = renameNodes(m.bytes, (_n, i) => (variant === 'no names at all' ? null : `node_${i}`));
      const plan = layerGroups(parseModel(bytes));
      const named = layerGroups(model);
      expect(plan.method).toBe('names');
      for (const id of ['embeddings', ...LAYERS]) {
        const ws = (p: typeof plan) =>
          p.groups
            .find((g) => g.id === id)!
            .weights.filter((w) => w.role !== 'other')
            .map((w) => w.name)
            .sort();
        expect(ws(plan), id).toEqual(ws(named));
      }
      if (variant === 'no names at all') {
        // Node lists need names: compose names them first, and a mix of all four precisions runs.
        expect(plan.groups.reduce((a, g) => a + g.unnamed, 0)).toBe(model.graph.nodes.length);
        const a: Assignment = {
          embeddings: 'int8',
          'layer.0': 'q4',
          'layer.1': 'fp16',
          'layer.2': 'int8',
          'layer.3': 'fp32',
          'layer.4': 'q4',
          'layer.5': 'fp16',
        };
        const mix = await buildMix(parseModel(bytes), a);
        const out = parseModel(mix.bytes);
        expect(out.graph.nodes.every((n) => n.name)).toBe(true);
        expect(out.graph.nodes.some((n) => n.opType === 'MatMulNBits')).toBe(true);
        expect(out.graph.nodes.some((n) => n.opType === 'MatMulInteger')).toBe(true);
        const cos = meanCos(reference, await embedSentences(mix.bytes, m.tokenizer, m.pooling));
        expect(cos).toBeGreaterThan(0.97);
      }
    });

  it('a graph without layer names falls back to runs of consecutive weighted MatMuls', () => {
    // 16 MatMul -> Relu pairs with generic names: 8 groups of 2 MatMuls each.
    const nodes = [];
    const inits = [];
    let x = 'x';
    for (let i = 0; i < 16; i++) {
      nodes.push({ opType: 'MatMul', inputs: [x, `w${i}`], outputs: [`m${i}`], name: `MatMul_${i}` });
      nodes.push({ opType: 'Relu', inputs: [`m${i}`], outputs: [`r${i}`], name: `Relu_${i}` });
      inits.push({ name: `w${i}`, dims: [8, 8], values: values(64, i + 1) });
      x = `r${i}`;
    }
    const plan = layerGroups(parseModel(buildModel({ nodes, inits, inputs: [['x', 1, [2, 8]]], outputs: [[x, 1, [2, 8]]] })));
    expect(plan.method).toBe('matmul-runs');
    expect(plan.groups.map((g) => g.id)).toEqual(['block.0', 'block.1', 'block.2', 'block.3', 'block.4', 'block.5', 'block.6', 'block.7']);
    expect(plan.groups.map((g) => g.nodes)).toEqual(
      Array.from({ length: 8 }, (_, b) => [`MatMul_${2 * b}`, `Relu_${2 * b}`, `MatMul_${2 * b + 1}`, `Relu_${2 * b + 1}`]),
    );
    expect(plan.notes.join(' ')).toMatch(/no layer index: 16 weighted .* groups of 2/);
  });
});

describe('uniform assignments are the plain modes', () => {
  it('all-int8 = quantizeInt8, all-fp16 = convertFp16, all-q4 = quantizeQ4 (same options), all-fp32 = the input, byte for byte', async () => {
    const int8 = await buildMix(model, all('int8'), { int8: { preset: 'tjs-q8' } });
    expect(int8.report.uniform).toBe('int8');
    expect(Buffer.compare(int8.bytes, await collectPieces((await quantizeInt8(model, { preset: 'tjs-q8' })).parts))).toBe(0);
    const fp16 = await buildMix(model, all('fp16'));
    expect(Buffer.compare(fp16.bytes, await collectPieces((await convertFp16(model)).parts))).toBe(0);
    const q4 = await buildMix(model, all('q4'), { q4: { preset: 'tjs-q4' } });
    expect(Buffer.compare(q4.bytes, await collectPieces((await quantizeQ4(model, { preset: 'tjs-q4' })).parts))).toBe(0);
    expect(Buffer.compare((await buildMix(model, {})).bytes, m.bytes)).toBe(0);
  });

  it('through node lists (every group but the weightless rest): int8 and q4 compute exactly the plain model (same digest); fp16 cannot (rest stays float32)', async () => {
    const digest = async (b: Uint8Array) => (await modelDigest(b)).sha256;
    for (const p of ['int8', 'q4'] as const) {
      const listed = await buildMix(model, { ...all(p), rest: 'fp32' });
      expect(listed.report.uniform).toBeNull();
      expect(listed.report.steps.map((s) => s.mode)).toEqual([p]);
      const plain = await buildMix(model, all(p));
      // The graph and weights are identical; only metadata_props differ (the mixed record vs the mode's).
      expect(await digest(listed.bytes), p).toBe(await digest(plain.bytes));
      expect(Buffer.compare(listed.bytes, plain.bytes)).not.toBe(0);
    }
    // FP16 through a node list keeps the rest group (attention-mask arithmetic) in float32 with Casts around it, so
    // the graph differs from plain FP16, which converts it too; the weights are the same size.
    const listed = await buildMix(model, { ...all('fp16'), rest: 'fp32' });
    const plain = await buildMix(model, all('fp16'));
    expect(await digest(listed.bytes)).not.toBe(await digest(plain.bytes));
    expect(Math.abs(listed.bytes.length - plain.bytes.length)).toBeLessThan(4096);
  });
});

describe('mixes load and run', () => {
  // A de Bruijn sequence over the four precisions: every ordered pair of neighbouring precisions occurs (16 pairs
  // over 17 positions, cut into windows of 7 groups that overlap by one; the rest group cycles through all four).
  const seq: Precision[] = [
    'fp32',
    'fp32',
    'fp16',
    'fp32',
    'int8',
    'fp32',
    'q4',
    'fp16',
    'fp16',
    'int8',
    'fp16',
    'q4',
    'int8',
    'int8',
    'q4',
    'q4',
    'fp32',
    'fp32',
    'fp32',
  ];
  const mixes: Assignment[] = [0, 6, 12].map((s, k) => ({
    ...Object.fromEntries(['embeddings', ...LAYERS].map((g, i) => [g, seq[s + i]!])),
    rest: PRECISIONS[k + 1]!,
  }));
  mixes.push({ ...all('q4'), embeddings: 'fp32', rest: 'fp32' });

  it('the windows cover every ordered pair of neighbouring precisions', () => {
    const pairs = new Set<string>();
    for (const a of mixes.slice(0, 3)) {
      const ps = ['embeddings', ...LAYERS].map((g) => a[g]!);
      for (let i = 1; i < ps.length; i++) pairs.add(`${ps[i - 1]}>${ps[i]}`);
    }
    expect(pairs.size).toBe(16);
  });

  for (const a of mixes)
    it(`${JSON.stringify(a)}: loads, runs, close to fp32; predicted size within 0.5% of the file`, async () => {
      const { bytes, report } = await buildMix(model, a);
      const used = new Set(Object.values(a).filter((p) => p !== 'fp32'));
      expect(report.steps.map((s) => s.mode).sort()).toEqual([...used].sort());
      const meta = parseModel(bytes).metadata.filter((x) => x.key.startsWith('ava.'));
      expect(meta.map((x) => x.key)).toEqual(['ava.quantization']);
      expect(JSON.parse(meta[0]!.value)).toMatchObject({ mode: 'mixed', assignment: a });
      const cos = meanCos(reference, await embedSentences(bytes, m.tokenizer, m.pooling));
      expect(cos).toBeGreaterThan(0.95);
      expect(cos).toBeLessThan(1);
      expect(Math.abs(report.predictedBytes - bytes.length) / bytes.length).toBeLessThan(0.005);
      expect(report.predictedBytes).toBe(predictMixBytes(m.bytes.length, layerGroups(model).groups, a, resolveMixOptions()));
    });

  it('every group alone at every precision loads and runs (the sensitivity models)', async () => {
    const session = async (b: Uint8Array) => {
      const s = await ort.InferenceSession.create(b);
      const t = (v: bigint[]) => new ort.Tensor('int64', BigInt64Array.from(v), [1, v.length]);
      const r = await s.run({
        input_ids: t([101n, 7592n, 2088n, 102n]),
        attention_mask: t([1n, 1n, 1n, 1n]),
        token_type_ids: t([0n, 0n, 0n, 0n]),
      });
      await s.release();
      return r.last_hidden_state!.data as Float32Array;
    };
    for (const g of ['embeddings', ...LAYERS, 'rest'])
      for (const p of ['fp16', 'int8', 'q4'] as const) {
        const { bytes } = await buildMix(model, { [g]: p });
        const out = await session(bytes);
        expect(out.length, `${g} ${p}`).toBe(4 * 384);
        expect(out.every(Number.isFinite), `${g} ${p}`).toBe(true);
      }
  });

  it('refuses unknown groups and precisions by name', async () => {
    await expect(buildMix(model, { 'layer.9': 'int8' })).rejects.toThrow(/no layer group 'layer.9'.*groups: embeddings, layer.0/);
    await expect(buildMix(model, { 'layer.1': 'int3' })).rejects.toThrow(/precision 'int3' is not one of fp32, fp16, int8, q4/);
  });

  it('cancels: an aborted signal rejects with an AbortError', async () => {
    const c = new AbortController();
    const run = buildMix(
      model,
      { embeddings: 'q4', 'layer.0': 'int8', 'layer.1': 'fp16' },
      {},
      (p) => {
        if (p.step === 'int8') c.abort();
      },
      c.signal,
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });
});
