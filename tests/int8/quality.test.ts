/**
 * all-MiniLM-L6-v2, every preset: the INT8 file is at most 26% of the fp32 file, and mean-pooled sentence
 * embeddings (attention-mask weighted, as sentence-transformers pools; the quality check's meanPool / cosine) stay close to fp32: mean cosine >= 0.99
 * over 30 varied English sentences for the per-channel presets (tjs-q8, avx512-vnni).
 *
 * ort-default (per-tensor weights, onnxruntime's own defaults) does NOT reach 0.99 on this model: ~0.967 mean
 * cosine. Its output is byte-identical to the reference's (tests/int8/parity.test.ts), so this is the quality of
 * the recipe, not of our implementation; it is held to 0.95 here so a regression still shows. Tokenized with @huggingface/tokenizers from the fixture's tokenizer.json;
 * one sentence per run (dynamic quantization depends on the batch, so no padding neighbours).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { quantizeInt8, type RecipeName } from '../../src/core/int8/index.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { cosine, meanPool } from '../../src/core/quality/math.js';
import { joinParts, session } from './helpers.js';

const SENTENCES = [
  'The cat sat quietly on the warm windowsill.',
  'Interest rates rose for the third consecutive quarter.',
  'How do I reset my password if I forgot my email?',
  'Photosynthesis converts light energy into chemical energy.',
  'She scored the winning goal in the final minute of the match.',
  'The recipe calls for two cups of flour and a pinch of salt.',
  'Quantum computers exploit superposition and entanglement.',
  'Please remember to water the plants while I am away.',
  'The museum reopened after a two-year renovation.',
  'Our flight was delayed by three hours because of fog.',
  'He plays the violin in the city orchestra on weekends.',
  'The new smartphone has a brighter display and longer battery life.',
  'Volcanic eruptions can affect global temperatures for years.',
  'I would like a table for four near the window, please.',
  'The committee postponed the vote until next Tuesday.',
  'Regular exercise improves both mood and sleep quality.',
  'The river flooded the valley after days of heavy rain.',
  'Can you recommend a good book about ancient Rome?',
  'The software update fixed several security vulnerabilities.',
  'Children learn languages faster than most adults.',
  'The bakery on the corner sells the best croissants in town.',
  'Astronomers discovered a planet orbiting a distant star.',
  'Traffic was unusually light on the highway this morning.',
  'The contract must be signed by both parties before Friday.',
  'A gentle breeze carried the scent of pine through the forest.',
  'Electric cars are becoming cheaper every year.',
  'The professor explained the theorem with a simple drawing.',
  'My grandmother knits sweaters for the whole family every winter.',
  'The stock market fell sharply after the announcement.',
  'Dolphins communicate using clicks and whistles.',
];

describe('all-MiniLM-L6-v2 INT8 quality', () => {
  let bytes: Uint8Array;
  let model: ModelView;
  let encoded: { ids: number[]; mask: number[]; types: number[] }[];
  let fp32: Float32Array[];

  async function embed(modelBytes: Uint8Array): Promise<Float32Array[]> {
    const s = await session(modelBytes);
    try {
      const out: Float32Array[] = [];
      for (const e of encoded) {
        const n = e.ids.length;
        const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, n]);
        const r = await s.run({ input_ids: t(e.ids), attention_mask: t(e.mask), token_type_ids: t(e.types) });
        const h = r.last_hidden_state!;
        out.push(meanPool(h.data as Float32Array, e.mask, n, h.dims[2]!));
      }
      return out;
    } finally {
      await s.release();
    }
  }

  beforeAll(async () => {
    const f = fixture(MINILM);
    bytes = new Uint8Array(readFileSync(pathOf(f)));
    model = parseModel(bytes);
    const tok = new Tokenizer(
      JSON.parse(readFileSync(pathOf(f, f.tokenizer!), 'utf8')) as object,
      JSON.parse(readFileSync(pathOf(f, (f.extra as { tokenizerConfig: string }).tokenizerConfig), 'utf8')) as object,
    );
    encoded = SENTENCES.map((s) => {
      const e = tok.encode(s, { return_token_type_ids: true });
      return { ids: e.ids, mask: e.attention_mask, types: e.token_type_ids };
    });
    expect(encoded[0]!.ids[0]).toBe(101); // [CLS]
    expect(encoded[0]!.ids.at(-1)).toBe(102); // [SEP]
    fp32 = await embed(bytes);
  });

  const MIN_MEAN_COSINE: Record<RecipeName, number> = { 'ort-default': 0.95, 'tjs-q8': 0.99, 'avx512-vnni': 0.99 };
  for (const preset of ['ort-default', 'tjs-q8', 'avx512-vnni'] as RecipeName[]) {
    it(`${preset}: <= 26% of the file, mean cosine >= ${MIN_MEAN_COSINE[preset]}`, async () => {
      const { parts, report } = await quantizeInt8(model, { preset });
      const out = await joinParts(parts);
      const ratio = out.length / bytes.length;
      expect(report.outputBytes).toBe(out.length);
      expect(ratio).toBeLessThanOrEqual(0.26);
      const q = await embed(out);
      const cos = q.map((v, i) => cosine(v, fp32[i]!));
      const mean = cos.reduce((a, b) => a + b, 0) / cos.length;
      console.info(
        `[int8] MiniLM ${preset}: ${(ratio * 100).toFixed(2)}% of fp32, mean cosine ${mean.toFixed(5)}, min ${Math.min(...cos).toFixed(5)}`,
      );
      expect(mean).toBeGreaterThanOrEqual(MIN_MEAN_COSINE[preset]);
    });
  }
});
