/**
 * External data in and out. In: weights in another file are read by offset and length; a missing, short, absolute or
 * escaping reference is named with its tensor and every mode refuses. Out: an output split into .onnx +
 * .onnx_data (forced here with maxModelBytes 0; automatic over 2 GiB) loads in onnxruntime from another folder,
 * gives the same outputs as the one-file output, and aligns big payloads as onnxruntime's writer does.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { openBytes } from '../../src/core/onnx/open.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { readFloatValues } from '../../src/core/onnx/tensor-data.js';
import { runMode } from '../../src/core/modes/run.js';
import { MINILM, bytesOf, fixture } from '../helpers/fixtures.js';
import { buildModel, rawBytes, values, type TensorSpec } from '../helpers/tiny-model.js';

const K = 16;
const N = 8;
const W: TensorSpec = { name: 'W', dims: [K, N], values: values(K * N, 3) };

function modelWith(location: string, offset = 0, { noLength = false, packedDims = false } = {}): Uint8Array {
  return buildModel({
    opset: 13,
    nodes: [{ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: 'mm' }],
    inits: [{ ...W, storage: { file: location, offset, noLength, packedDims } }],
    inputs: [['x', 1, [2, K]]],
    outputs: [['y', 1, [2, N]]],
  });
}

const weights = (pad = 0, trailing = 0) => {
  const w = rawBytes(W);
  const f = new Uint8Array(pad + w.length + trailing).fill(0x7f);
  f.set(w, pad);
  return f;
};

describe('external data in', () => {
  it('is read by range from the file the location names, and comes back inline in every mode', async () => {
    const { model, problems, externalBytes, externalFiles } = await openBytes(modelWith('weights.bin', 64), 'm.onnx', {
      'weights.bin': weights(64),
    });
    expect(problems).toEqual([]);
    expect(externalBytes).toBe(K * N * 4);
    expect(externalFiles).toEqual([{ path: 'weights.bin', bytes: 64 + K * N * 4 }]);
    for (const mode of ['int8', 'fp16'] as const) {
      const r = await runMode(model, mode === 'int8' ? { mode, options: {} } : { mode, options: {} });
      const out = parseModel(await collectPieces(r.parts));
      expect(
        out.graph.initializers.every((t) => !t.external),
        mode,
      ).toBe(true);
      expect(r.data).toBeNull();
    }
  });

  it("without a length: the tensor's own byte size from its offset, bytes after it ignored, as onnxruntime reads it", async () => {
    // onnxruntime 1.32 (Python, and onnxruntime-node here) loads such a model: the size it reads is the tensor's
    // (tensorprotoutils.cc), the file may go on after it. Only a file too short for the tensor is refused.
    const bytes = modelWith('weights.bin', 64, { noLength: true });
    const data = weights(64, 100);
    const { model, problems, externalBytes } = await openBytes(bytes, 'm.onnx', { 'weights.bin': data });
    expect(problems).toEqual([]);
    expect(externalBytes).toBe(K * N * 4);
    const w = model.graph.initializers.find((t) => t.name === 'W')!;
    expect(Array.from(await readFloatValues(w))).toEqual(Array.from(Float32Array.from(W.values)));
    const tmp = mkdtempSync(join(tmpdir(), 'ava-nolength-'));
    try {
      writeFileSync(join(tmp, 'm.onnx'), bytes);
      writeFileSync(join(tmp, 'weights.bin'), data);
      const x = new ort.Tensor('float32', Float32Array.from(values(2 * K, 5)), [2, K]);
      const original = await ort.InferenceSession.create(join(tmp, 'm.onnx'));
      const want = (await original.run({ x })).y!.data as Float32Array;
      await original.release();
      for (const mode of ['int8', 'fp16'] as const) {
        const r = await runMode(model, { mode, options: {} });
        const out = await ort.InferenceSession.create(await collectPieces(r.parts));
        const got = (await out.run({ x })).y!.data as Float32Array;
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `${mode} [${i}]`).toBeLessThan(0.05);
        await out.release();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    // The same file cut short of the tensor is still refused, naming the bytes it needs.
    const short = await openBytes(bytes, 'm.onnx', { 'weights.bin': weights(64).subarray(0, 64 + 100) });
    expect(short.problems.map((p) => p.message)).toEqual([
      "tensor 'W' is stored in external data that is too short: 'weights.bin' is 164 bytes but the tensor needs bytes 64–576",
    ]);
    // Dims written as one packed field give the same size.
    const packed = await openBytes(modelWith('weights.bin', 64, { noLength: true, packedDims: true }), 'm.onnx', { 'weights.bin': data });
    expect(packed.problems).toEqual([]);
    expect(packed.externalBytes).toBe(K * N * 4);
    const pw = packed.model.graph.initializers.find((t) => t.name === 'W')!;
    expect(pw.dims).toEqual([K, N]);
    expect(Array.from(await readFloatValues(pw))).toEqual(Array.from(Float32Array.from(W.values)));
  });

  it('finds a file dropped without its folder by base name, and a per-tensor file in a subfolder by path', async () => {
    expect((await openBytes(modelWith('data/weights.bin'), 'm.onnx', { 'weights.bin': weights() })).problems).toEqual([]);
    expect((await openBytes(modelWith('data/weights.bin'), 'm.onnx', { 'data/weights.bin': weights() })).problems).toEqual([]);
  });

  const cases: [string, string, Record<string, Uint8Array>, RegExp][] = [
    ['missing', 'weights.bin', {}, /tensor 'W' is stored in external data that 'weights\.bin' was not provided/],
    [
      'too short',
      'weights.bin',
      { 'weights.bin': weights().subarray(0, 100) },
      /tensor 'W' .* is too short: 'weights\.bin' is 100 bytes but the tensor needs bytes 0–512/,
    ],
    [
      'outside the folder',
      '../weights.bin',
      { 'weights.bin': weights() },
      /tensor 'W' .* points outside the model's folder \('\.\.\/weights\.bin'\) \(refused\)/,
    ],
    ['absolute', '/etc/weights.bin', { 'weights.bin': weights() }, /tensor 'W' .* refers to an absolute path \('\/etc\/weights\.bin'\)/],
    ['a Windows drive', 'C:\\data\\weights.bin', { 'weights.bin': weights() }, /absolute path/],
  ];
  for (const [what, location, files, message] of cases)
    it(`${what}: named with its tensor on opening, and every mode refuses before writing anything`, async () => {
      const { problems, model } = await openBytes(modelWith(location), 'm.onnx', files);
      expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(message)]);
      for (const mode of ['int8', 'fp16'] as const) await expect(runMode(model, { mode, options: {} })).rejects.toThrow(message);
    });
});

describe('external data out', () => {
  it('all-MiniLM-L6-v2 INT8 split into .onnx + .onnx_data loads from another folder and equals the one-file output', async () => {
    const { model } = await openBytes(bytesOf(fixture(MINILM)));
    const one = await runMode(model, { mode: 'int8', options: {} });
    const split = await runMode(model, { mode: 'int8', options: { layout: { location: 'model-INT8.onnx_data', maxModelBytes: 0 } } });
    expect(split.data).not.toBeNull();
    expect(split.outputBytes).toBe(split.data!.bytes + split.parts.reduce((a, p) => a + p.length, 0));
    const dir = mkdtempSync(join(tmpdir(), 'ava-ext-'));
    try {
      const onnx = await collectPieces(split.parts);
      writeFileSync(join(dir, 'model-INT8.onnx'), onnx);
      writeFileSync(join(dir, 'model-INT8.onnx_data'), await collectPieces(split.data!.pieces));
      // Every initializer payload of 1024 bytes or more moved; those over 1 MiB start at a multiple of 64 KiB.
      const m = parseModel(onnx);
      const ext = m.graph.initializers.filter((t) => t.external);
      expect(ext.length).toBeGreaterThan(100);
      for (const t of ext) {
        expect(t.external!.location).toBe('model-INT8.onnx_data');
        if (t.external!.length! > 1 << 20) expect(t.external!.offset % 65536).toBe(0);
      }
      expect(m.graph.initializers.filter((t) => !t.external).every((t) => (t.rawData?.length ?? 0) < 1024)).toBe(true);
      const feeds = () => ({
        input_ids: new ort.Tensor('int64', BigInt64Array.from([101n, 7592n, 2088n, 102n]), [1, 4]),
        attention_mask: new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n]), [1, 4]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(4), [1, 4]),
      });
      const a = await (await ort.InferenceSession.create(join(dir, 'model-INT8.onnx'))).run(feeds());
      const b = await (await ort.InferenceSession.create(await collectPieces(one.parts))).run(feeds());
      expect(Array.from(a.last_hidden_state!.data as Float32Array)).toEqual(Array.from(b.last_hidden_state!.data as Float32Array));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
