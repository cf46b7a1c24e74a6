/**
 * Embedding throughput of one model on one runtime: tokenize the sentences once, then time session.run over them in
 * batches (sorted by length, like the quality check), after one warm-up batch. Shared by the Node side
 * (bench/quality.ts) and the browser worker (bench/quality-worker.ts). No DOM, no Node APIs.
 */
import {
  createEmbedder,
  createTokenizer,
  type OrtModule,
  type OrtSessionOptionsLike,
  type PoolingConfigJson,
  type TokenizerFiles,
} from '../src/core/quality/index.js';

export interface ThroughputCase {
  model: Uint8Array;
  tokenizer: TokenizerFiles;
  pooling: PoolingConfigJson | null;
  sentences: string[];
  batchSize: number;
  sessionOptions: OrtSessionOptionsLike;
}

export interface ThroughputResult {
  sentences: number;
  tokens: number;
  loadMs: number;
  /** Time to embed every sentence once (after the warm-up batch). */
  ms: number;
  sentencesPerSecond: number;
}

export async function measureThroughput(ort: OrtModule, c: ThroughputCase): Promise<ThroughputResult> {
  const tok = createTokenizer(c.tokenizer);
  const encs = c.sentences.map((s) => tok.encode(s)).sort((a, b) => a.ids.length - b.ids.length);
  const t0 = performance.now();
  const emb = await createEmbedder({ ort, model: c.model, sessionOptions: c.sessionOptions, pooling: c.pooling });
  const loadMs = performance.now() - t0;
  try {
    const batches: (typeof encs)[] = [];
    for (let i = 0; i < encs.length; i += c.batchSize) batches.push(encs.slice(i, i + c.batchSize));
    await emb.embed(batches[Math.floor(batches.length / 2)]!, tok.padId); // warm-up (kernels, shaders, arenas)
    const t1 = performance.now();
    for (const b of batches) await emb.embed(b, tok.padId);
    const ms = performance.now() - t1;
    return {
      sentences: encs.length,
      tokens: encs.reduce((a, e) => a + e.ids.length, 0),
      loadMs,
      ms,
      sentencesPerSecond: (encs.length / ms) * 1000,
    };
  } finally {
    await emb.release();
  }
}
