/**
 * The FP16 output also loads and runs in onnxruntime-web (WASM backend, in Node), matching the float32
 * model run in onnxruntime-node.
 */
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { bytesOf, fixture, MINILM } from '../helpers/fixtures.js';
import { diff, type Feeds, feedsFor, runModel, toFp16 } from './helpers.js';
import * as ort from 'onnxruntime-node';

ortWeb.env.wasm.numThreads = 1;

async function runWeb(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const s = await ortWeb.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const wf = Object.fromEntries(
      Object.entries(feeds).map(([k, t]) => [k, new ortWeb.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]),
    );
    const out = await s.run(wf);
    return Object.fromEntries(
      Object.entries(out).map(([k, t]) => [k, new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]),
    );
  } finally {
    await s.release();
  }
}

const NAMES = ['silero-vad-legacy', 'ppocr-mobile-v2.0-cls', 'openwakeword-hello-deepa'];

describe('fp16 in onnxruntime-web (wasm)', () => {
  for (const name of NAMES) {
    it(`${name}: loads and runs; close to float32`, async () => {
      const bytes = bytesOf(fixture(name));
      const feeds = feedsFor(name);
      const ref = await runModel(bytes, feeds);
      const got = await runWeb((await toFp16(bytes)).bytes, feeds);
      for (const k of Object.keys(ref)) {
        const d = diff(ref[k]!, got[k]!);
        expect(d.nonFinite, k).toBe(0);
        expect(d.cosine, k).toBeGreaterThan(0.999);
        expect(d.maxRel, k).toBeLessThan(0.1);
      }
    });
  }

  it(`${MINILM}: loads and runs`, async () => {
    const bytes = bytesOf(fixture(MINILM));
    const ids = [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 102];
    const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
    const feeds = { input_ids: t(ids), attention_mask: t(ids.map(() => 1)), token_type_ids: t(ids.map(() => 0)) };
    const ref = await runModel(bytes, feeds);
    const got = await runWeb((await toFp16(bytes)).bytes, feeds);
    const d = diff(ref.last_hidden_state!, got.last_hidden_state!);
    expect(d.nonFinite).toBe(0);
    expect(d.cosine).toBeGreaterThan(0.9999);
  });
});
