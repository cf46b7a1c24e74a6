/**
 * all-MiniLM-L6-v2 in FP16: half the size, and sentence embeddings (attention-masked mean pooling of
 * last_hidden_state) that match float32 to cosine >= 0.9999 on real English sentences (onnxruntime-node).
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { bytesOf, fixture, MINILM, pathOf } from '../helpers/fixtures.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { cosine, evaluate, FLOAT16, tensor } from '../helpers/fp16-eval.js';
import { toFp16 } from './helpers.js';

const SENTENCES = [
  'The cat sat quietly on the warm windowsill, watching the rain.',
  'Quarterly revenue rose 12 percent, driven by strong demand in Asia.',
  'How do I reset my password if I no longer have access to my email?',
  'Photosynthesis converts light energy into chemical energy stored in glucose.',
  'She finished the marathon in just under four hours despite the heat.',
  'The committee postponed its decision until more data becomes available.',
  'Add two cups of flour and stir until the batter is smooth.',
  'A sudden drop in pressure often signals an approaching storm.',
  'Our flight was delayed because of a mechanical issue with the landing gear.',
  'The museum reopened after a two-year renovation of its east wing.',
  'Quantum computers use qubits, which can represent zero and one at once.',
  'Please remember to water the tomatoes every morning while I am away.',
  'The defendant pleaded not guilty to all charges on Tuesday.',
  'Regular exercise can lower blood pressure and improve sleep quality.',
  'He forgot his umbrella, so he arrived at the meeting completely soaked.',
  'The library extends its opening hours during the exam period.',
  'Volcanic ash grounded hundreds of flights across northern Europe.',
  'I would like to book a table for four at seven o’clock tonight.',
  'The algorithm sorts the list in O(n log n) time on average.',
  'Children learn languages faster when they are exposed to them early.',
  'The river burst its banks after three days of heavy rainfall.',
  'Can you recommend a good book about the history of mathematics?',
  'Electric cars are becoming cheaper as battery prices continue to fall.',
  'The orchestra played Beethoven’s Ninth Symphony to a sold-out hall.',
  'Do not operate heavy machinery after taking this medication.',
  'Scientists discovered a new species of frog in the Andean cloud forest.',
  'The startup raised $40 million to expand its delivery network.',
  'My grandmother still writes letters by hand and sends them by post.',
  'Wi-Fi is free for all guests staying at the hotel.',
  'Despite the warnings, thousands gathered on the beach to watch the eclipse.',
];

describe(`fp16 ${MINILM}`, () => {
  it('computes the same embeddings with float16 arithmetic per node (tests/helpers/fp16-eval.ts), no float16 value overflows', async () => {
    const bytes = bytesOf(fixture(MINILM));
    const { bytes: fp16 } = await toFp16(bytes);
    const ids = [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 102]; // [CLS] the quick brown fox jumps over the lazy dog [SEP]
    const L = ids.length;
    const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, L]);
    const s = await ort.InferenceSession.create(bytes);
    const ref = (await s.run({ input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), token_type_ids: i64(ids.map(() => 0)) }))
      .last_hidden_state!;
    await s.release();
    let nonFinite = 0;
    let f16Values = 0;
    const got = evaluate(
      parseModel(fp16),
      {
        input_ids: tensor(7, [1, L], ids),
        attention_mask: tensor(
          7,
          [1, L],
          ids.map(() => 1),
        ),
        token_type_ids: tensor(
          7,
          [1, L],
          ids.map(() => 0),
        ),
      },
      {
        onNode: (_n, outs) => {
          for (const o of outs)
            if (o.type === FLOAT16) {
              f16Values += o.data.length;
              for (const v of o.data) if (!Number.isFinite(v)) nonFinite++;
            }
        },
      },
    ).last_hidden_state!;
    expect(got.dims).toEqual(ref.dims);
    expect(f16Values).toBeGreaterThan(1e6); // it did compute in float16
    expect(nonFinite).toBe(0);
    const D = ref.dims[2]!;
    const r = ref.data as Float32Array;
    const tokenCos = ids.map((_, j) => cosine(r.subarray(j * D, (j + 1) * D), got.data.subarray(j * D, (j + 1) * D)));
    const pool = (x: ArrayLike<number>) => Array.from({ length: D }, (_, d) => ids.reduce((a, _i, j) => a + x[j * D + d]!, 0) / L);
    console.log(
      `[fp16] ${MINILM} under float16 arithmetic: min token cosine ${Math.min(...tokenCos).toFixed(6)}, pooled ${cosine(pool(r), pool(got.data)).toFixed(8)}`,
    );
    expect(Math.min(...tokenCos)).toBeGreaterThan(0.9995);
    expect(cosine(pool(r), pool(got.data))).toBeGreaterThan(0.99999);
  });

  it('is at most 51% of the size and keeps mean-pooled embeddings at cosine >= 0.9999', async () => {
    const f = fixture(MINILM);
    const bytes = bytesOf(f);
    const { bytes: fp16, report } = await toFp16(bytes);
    expect(fp16.length / bytes.length).toBeLessThanOrEqual(0.51);
    expect(report.outputBytes).toBe(fp16.length);
    // Only the 13 decomposed LayerNorm statistics stay float32, from the squares to the division (Pow(x − mean, 2),
    // ReduceMean, Add(eps), Sqrt, Div): squares overflow float16 and the 1e-12 epsilon vanishes in it.
    expect(report.keptOps.map((k) => [k.op, k.count, k.reasons.map((r) => r.rule)])).toEqual(
      ['Add', 'Div', 'Pow', 'ReduceMean', 'Sqrt'].map((op) => [op, 13, ['normalisation-statistics']]),
    );
    expect(report.weights.clamped).toBe(1); // the -3.4e38 attention-mask constant -> -65504

    const extra = f.extra as { tokenizerConfig: string };
    const tok = new Tokenizer(
      JSON.parse(readFileSync(pathOf(f, f.tokenizer!), 'utf8')),
      JSON.parse(readFileSync(pathOf(f, extra.tokenizerConfig), 'utf8')),
    );
    const enc = SENTENCES.map((s) => tok.encode(s, { return_token_type_ids: true }));
    const L = Math.max(...enc.map((e) => e.ids.length));
    const B = SENTENCES.length;
    const ids = new BigInt64Array(B * L);
    const mask = new BigInt64Array(B * L);
    const types = new BigInt64Array(B * L);
    enc.forEach((e, b) =>
      e.ids.forEach((id, j) => {
        ids[b * L + j] = BigInt(id);
        mask[b * L + j] = 1n;
        types[b * L + j] = BigInt(e.token_type_ids?.[j] ?? 0);
      }),
    );
    expect(enc[0]!.ids[0]).toBe(101); // [CLS]
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [B, L]),
      attention_mask: new ort.Tensor('int64', mask, [B, L]),
      token_type_ids: new ort.Tensor('int64', types, [B, L]),
    };

    const embed = async (model: Uint8Array) => {
      const s = await ort.InferenceSession.create(model);
      try {
        const h = (await s.run(feeds)).last_hidden_state!;
        const [, , D] = h.dims as [number, number, number];
        const data = h.data as Float32Array;
        return enc.map((e, b) => {
          const v = new Float64Array(D);
          for (let j = 0; j < e.ids.length; j++) for (let d = 0; d < D; d++) v[d]! += data[(b * L + j) * D + d]!;
          return v.map((x) => x / e.ids.length);
        });
      } finally {
        await s.release();
      }
    };
    const a = await embed(bytes);
    const b = await embed(fp16);
    const cos = a.map((x, i) => cosine(x, b[i]!));
    const mean = cos.reduce((s, c) => s + c, 0) / cos.length;
    const min = Math.min(...cos);
    console.log(
      `[fp16] ${MINILM}: ${(100 * report.ratio).toFixed(2)}% of the size, mean cosine ${mean.toFixed(8)}, min ${min.toFixed(8)} over ${B} sentences`,
    );
    expect(mean).toBeGreaterThanOrEqual(0.9999);
    expect(min).toBeGreaterThan(0.999);
  });
});
