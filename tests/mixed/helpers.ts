/** Shared setup for the mixed-precision tests: MiniLM with its nodes renamed or unnamed, and a few-sentence embedder. */
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs/minimal.js';
import { GRAPH, NODE, parseModel } from '../../src/core/onnx/model.js';
import { concatParts, lenField, rebuild, writeModel, type Part } from '../../src/core/onnx/writer.js';
import { createEmbedder, createTokenizer, type PoolingConfigJson, type TokenizerFiles } from '../../src/core/quality/index.js';
import type { OrtModule } from '../../src/core/quality/index.js';

const { Writer } = protobuf;

/** The model with every main-graph node's name replaced by `name(i)` (null: no name field at all). */
export function renameNodes(bytes: Uint8Array, name: (old: string, i: number) => string | null): Uint8Array {
  const m = parseModel(bytes);
  let k = -1;
  const graph = rebuild(m.graph, (f) => {
    if (f.no !== GRAPH.node) return undefined;
    const n = m.graph.nodes[++k]!;
    const fresh = name(n.name, k);
    const body = rebuild(n, (nf) => (nf.no === NODE.name ? [] : undefined));
    if (fresh !== null)
      body.push(
        Writer.create()
          .uint32((NODE.name << 3) | 2)
          .string(fresh)
          .finish(),
      );
    return [lenField(GRAPH.node, body as Part[])];
  });
  return concatParts(writeModel(m, { graph }));
}

export const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'How do I reset my password?',
  'Quantization shrinks a model by storing its weights with fewer bits.',
  'It will rain tomorrow in the mountains.',
];

/** L2-normalised mean-pooled embeddings of SENTENCES (onnxruntime-node). */
export async function embedSentences(bytes: Uint8Array, tokenizer: TokenizerFiles, pooling: PoolingConfigJson): Promise<Float32Array[]> {
  const tok = createTokenizer(tokenizer, {});
  const emb = await createEmbedder({ ort: ort as unknown as OrtModule, model: bytes, pooling });
  try {
    return (
      await emb.embed(
        SENTENCES.map((s) => tok.encode(s)),
        tok.padId,
      )
    ).vectors;
  } finally {
    await emb.release();
  }
}

export function meanCos(a: Float32Array[], b: Float32Array[]): number {
  let s = 0;
  a.forEach((v, i) => {
    let d = 0;
    for (let j = 0; j < v.length; j++) d += v[j]! * b[i]![j]!;
    s += d;
  });
  return s / a.length;
}
