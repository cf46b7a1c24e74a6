/**
 * Behaviour beyond the goldens, on small models built in memory: storage forms (raw / float_data / external data),
 * the opset rules, what is left in float and why, options, bad input, and progress / cancellation on MiniLM.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { OnnxFormatError } from '../../src/core/onnx/errors.js';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { openBytes } from '../../src/core/onnx/open.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { memorySink, writePieces } from '../../src/core/io/write.js';
import { expectCancellation } from '../helpers/cancel.js';
import { Int8Refusal, METADATA_KEY, quantizeInt8, type Int8Progress, type QuantizeInt8Options } from '../../src/core/int8/index.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { buildModel, rawBytes, values, type ModelSpec, type TensorSpec } from '../helpers/tiny-model.js';
import { compactType, valueSlot } from '../../src/core/onnx/infer/index.js';
import { describeModel, joinParts, session, sha256 } from './helpers.js';

const K = 16;
const N = 8;
const V = 10;

/** Gather(E) + x -> MatMul(W) -> Relu -> MatMul(activation B); the Gather output is also a graph output. */
function spec(opts: { opset?: number; storage?: TensorSpec['storage']; w?: number[]; dataType?: number } = {}): ModelSpec {
  const dt = opts.dataType ?? 1;
  return {
    opset: opts.opset ?? 13,
    nodes: [
      { opType: 'Gather', inputs: ['E', 'ids'], outputs: ['emb'], name: 'gather' },
      { opType: 'Add', inputs: ['emb', 'x'], outputs: ['h'], name: 'add' },
      { opType: 'MatMul', inputs: ['h', 'W'], outputs: ['y'], name: 'mm' },
      { opType: 'Relu', inputs: ['y'], outputs: ['z'], name: 'relu' },
      { opType: 'MatMul', inputs: ['z', 'B'], outputs: ['out'], name: 'mm2' },
    ],
    inits: [
      { name: 'E', dims: [V, K], values: values(V * K, 3), dataType: dt },
      { name: 'W', dims: [K, N], values: opts.w ?? values(K * N, 7), dataType: dt, ...(opts.storage ? { storage: opts.storage } : {}) },
    ],
    inputs: [
      ['ids', 7, [2, 3]],
      ['x', dt, [2, 3, K]],
      ['B', dt, [N, 4]],
    ],
    outputs: [
      ['out', dt, null],
      ['emb', dt, null],
    ],
  };
}

async function quantize(bytes: Uint8Array, o: QuantizeInt8Options = {}) {
  const model = parseModel(bytes);
  const r = await quantizeInt8(model, o);
  const out = await joinParts(r.parts);
  return { ...r, out, q: parseModel(out) };
}

function quantizedInits(m: ModelView): Record<string, string> {
  const all = describeModel(m).initializers;
  return Object.fromEntries(Object.entries(all).map(([k, t]) => [k, `${t.dtype}:${t.dims.join('x')}:${t.sha256}`]));
}

async function runModel(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await session(bytes);
  try {
    const r = await s.run(feeds);
    return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await s.release();
  }
}

const feeds = () => ({
  ids: new ort.Tensor('int64', BigInt64Array.from([0n, 3n, 9n, 1n, 1n, 5n]), [2, 3]),
  x: new ort.Tensor('float32', Float32Array.from(values(2 * 3 * K, 13)), [2, 3, K]),
  B: new ort.Tensor('float32', Float32Array.from(values(N * 4, 11)), [N, 4]),
});

describe('int8 on small in-memory models', () => {
  it('quantizes, loads and runs in onnxruntime-node; reports what stayed float and why', async () => {
    const bytes = buildModel(spec());
    const before = sha256(bytes);
    const r = await quantize(bytes);
    expect(sha256(bytes)).toBe(before); // input untouched
    expect(r.report.rewritten).toEqual({ Gather: 1, MatMul: 1 });
    expect(r.report.tensorsQuantized).toBe(2);
    expect(r.report.leftInFloat).toEqual([
      { opType: 'MatMul', node: 'mm2', graph: '', reason: 'two activation inputs: not quantized (MatMulConstBOnly)' },
    ]);
    expect(r.q.producerName).toBe('onnx.quantize');
    const meta = JSON.parse(r.q.metadata.find((m) => m.key === METADATA_KEY)!.value) as Record<string, unknown>;
    // No options: the default preset (avx512-vnni), recorded by name.
    expect(meta).toMatchObject({
      mode: 'int8-dynamic',
      preset: 'avx512-vnni',
      weightType: 'qint8',
      perChannel: true,
      matMulConstBOnly: true,
    });
    expect(r.q.opsets).toEqual([{ domain: '', version: 13 }]); // no com.microsoft: nothing from that domain emitted
    const ops = r.q.graph.nodes.map((n) => n.opType);
    expect(ops).toEqual(expect.arrayContaining(['DynamicQuantizeLinear', 'MatMulInteger', 'Cast', 'DequantizeLinear']));
    expect(r.q.graph.nodes.find((n) => n.opType === 'Gather')!.outputs).toEqual(['emb_quantized']);
    expect(r.q.graph.nodes.find((n) => n.opType === 'DequantizeLinear')!.outputs).toEqual(['emb']);
    expect(r.q.graph.initializers.map((t) => t.name)).not.toContain('W'); // unused float weight removed
    const fp = await runModel(bytes, feeds());
    const q = await runModel(r.out, feeds());
    for (const k of ['out', 'emb']) {
      const a = fp[k]!;
      const b = q[k]!;
      let err = 0;
      let mag = 0;
      for (let i = 0; i < a.length; i++) {
        err = Math.max(err, Math.abs(a[i]! - b[i]!));
        mag = Math.max(mag, Math.abs(a[i]!));
      }
      expect(err / mag, k).toBeLessThan(0.05);
    }
  });

  it('writes value_info and graph output shapes from shape inference, with the onnx.infer marker (as the reference)', async () => {
    const r = await quantize(buildModel(spec()));
    const decl = (l: ModelView['graph']['valueInfo']) => l.map((v) => [v.name, compactType(valueSlot(v).type)]);
    // Hand-derived: ids [2,3] gathers rows of E [10,16]; x is [2,3,16]; W [16,8]; B [8,4]. Node outputs that are not
    // graph outputs get value_info in node order; the declared outputs (no shape) gain the inferred shapes.
    expect(decl(r.q.graph.valueInfo)).toEqual([
      ['h', [1, [2, 3, K]]],
      ['y', [1, [2, 3, N]]],
      ['z', [1, [2, 3, N]]],
    ]);
    expect(decl(r.q.graph.outputs)).toEqual([
      ['out', [1, [2, 3, 4]]],
      ['emb', [1, [2, 3, K]]],
    ]);
    expect(r.q.metadata[0]).toEqual({ key: 'onnx.infer', value: 'onnxruntime.quant' });
    expect(r.report.notes.join(' ')).not.toContain('shape inference fails');
  });

  it("keeps the file's value_info when onnx shape inference would fail (the reference raises), and says so", async () => {
    // An initializer contradicting its declared graph input makes onnx.shape_inference.infer_shapes raise.
    const s = spec();
    s.inputs.push(['W', 1, [K, N + 1]]);
    const r = await quantize(buildModel(s));
    expect(r.q.graph.valueInfo).toEqual([]);
    expect(r.q.metadata.map((m) => m.key)).toEqual([METADATA_KEY]);
    expect(r.report.notes.join(' ')).toMatch(
      /ONNX shape inference fails on this model \(\[ShapeInferenceError\] Inferred shape and existing shape differ in dimension 1: \(8\) vs \(9\)\)/,
    );
    // Element types still come from what was inferred: the MatMul with the constant W is quantized.
    expect(r.report.rewritten).toEqual({ Gather: 1, MatMul: 1 });
  });

  it('float_data, raw_data and external-data weights give identical quantized initializers', async () => {
    const raw = await quantize(buildModel(spec()));
    const typed = await quantize(buildModel(spec({ storage: 'typed' })));
    expect(quantizedInits(typed.q)).toEqual(quantizedInits(raw.q));

    const ext = buildModel(spec({ storage: { file: 'weights.bin', offset: 16 } }));
    const w: TensorSpec = { name: 'W', dims: [K, N], values: values(K * N, 7) };
    const file = new Uint8Array(16 + rawBytes(w).length);
    file.set(rawBytes(w), 16);
    // Without its file: opening names the tensor and the file, and the model cannot be written.
    const missing = await openBytes(ext, 'm.onnx');
    expect(missing.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/tensor 'W' is stored in external data that 'weights\.bin' was not provided/),
    ]);
    await expect(quantizeInt8(missing.model)).rejects.toThrow(/tensor 'W' is stored in external data that 'weights\.bin' was not provided/);
    await expect(quantizeInt8(parseModel(ext))).rejects.toThrow(
      /'W' is stored in the external data file 'weights\.bin', which was not provided/,
    );
    await expect(quantizeInt8(parseModel(ext))).rejects.toBeInstanceOf(OnnxFormatError);
    // With it: read by offset and length, and the output holds the weights inline (no reference to weights.bin).
    const opened = await openBytes(ext, 'm.onnx', { 'weights.bin': file });
    expect(opened.problems).toEqual([]);
    const withFile = await quantizeInt8(opened.model);
    const q = parseModel(await collectPieces(withFile.parts));
    expect(quantizedInits(q)).toEqual(quantizedInits(raw.q));
    expect(q.graph.initializers.some((t) => t.external)).toBe(false);
  });

  it('opset 10: activations go through ReduceMin/ReduceMax + QuantizeLinear (no DynamicQuantizeLinear) and the model runs', async () => {
    const bytes = buildModel(spec({ opset: 10 }));
    const r = await quantize(bytes);
    const ops = r.q.graph.nodes.map((n) => n.opType);
    expect(ops).not.toContain('DynamicQuantizeLinear');
    expect(ops).toEqual(expect.arrayContaining(['ReduceMin', 'ReduceMax', 'Floor', 'QuantizeLinear', 'MatMulInteger']));
    expect(r.q.graph.initializers.map((t) => t.name)).toEqual(expect.arrayContaining(['fixed_quantization_range_uint8', 'fixed_zero']));
    expect(r.report.notes.join(' ')).toMatch(/opset 10/);
    const q = await runModel(r.out, feeds());
    expect(q.out!.every(Number.isFinite)).toBe(true);
  });

  it('opsets below 10: simple models are upgraded to 11, others refused with the reason', async () => {
    const up = await quantize(buildModel(spec({ opset: 8 })));
    expect(up.q.opsets).toEqual([{ domain: '', version: 11 }]);
    expect(up.report.rewritten).toEqual({ Gather: 1, MatMul: 1 });

    const old = buildModel(spec({ opset: 5 }));
    await expect(quantizeInt8(parseModel(old))).rejects.toThrow(/opset 5 is older than 6/);
    const upsample = spec({ opset: 9 });
    upsample.nodes.push({ opType: 'Upsample', inputs: ['out', 'scales'], outputs: ['up'], name: 'up' });
    upsample.inits!.push({ name: 'scales', dims: [3], values: [1, 2, 2] }); // a model that reads an undefined name is refused before anything else
    await expect(quantizeInt8(parseModel(buildModel(upsample)))).rejects.toThrow(Int8Refusal);
    await expect(quantizeInt8(parseModel(buildModel(upsample)))).rejects.toThrow(
      /version_converter adapters AVA does not implement \(for Upsample\)/,
    );
  });

  it('float16 activations and tables stay float (the reference would emit an unloadable model)', async () => {
    const bytes = buildModel(spec({ dataType: 10 }));
    const r = await quantize(bytes);
    const reasons = r.report.leftInFloat.map((l) => `${l.node}: ${l.reason}`);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gather: .*float16 and DequantizeLinear takes float16 scales only from opset 19/),
        expect.stringMatching(/^mm: .*float16 and DynamicQuantizeLinear only takes float32/),
      ]),
    );
    await (await session(r.out)).release(); // loads
  });

  it('selection options: excluded nodes, op types, node lists', async () => {
    const bytes = buildModel(spec());
    const ex = await quantize(bytes, { excludeNodes: ['mm'] });
    expect(ex.report.rewritten).toEqual({ Gather: 1 });
    expect(ex.report.leftInFloat.find((l) => l.node === 'mm')?.reason).toBe('excluded by name');
    const only = await quantize(bytes, { opTypes: ['Gather'] });
    expect(only.report.rewritten).toEqual({ Gather: 1 });
    expect(only.report.leftInFloat.find((l) => l.node === 'mm')?.reason).toBe('op type MatMul not selected');
    const list = await quantize(bytes, { nodesToQuantize: ['mm'] });
    expect(list.report.rewritten).toEqual({ MatMul: 1 });
    const noConstB = await quantize(bytes, { matMulConstBOnly: false });
    expect(noConstB.report.rewritten).toEqual({ Gather: 1, MatMul: 2 });
    await (await session(noConstB.out)).release();
  });

  it('contrib Attention -> QAttention (runs in onnxruntime-node); with qkv_hidden_sizes it stays float, as in the reference', async () => {
    const s = (extra: Record<string, { kind: 'ints'; value: number[] }> = {}): ModelSpec => ({
      opset: 13,
      extraOpsets: [['com.microsoft', 1]],
      nodes: [
        {
          opType: 'Attention',
          domain: 'com.microsoft',
          inputs: ['x', 'W', 'b'],
          outputs: ['y'],
          name: 'attn',
          attributes: { num_heads: { kind: 'int', value: 2 }, ...extra },
        },
      ],
      inits: [
        { name: 'W', dims: [4, 12], values: values(48) },
        { name: 'b', dims: [12], values: values(12, 5) },
      ],
      inputs: [['x', 1, [1, 3, 4]]],
      outputs: [['y', 1, null]],
    });
    const bytes = buildModel(s());
    const r = await quantize(bytes, { preset: 'avx512-vnni' });
    expect(r.report.rewritten).toEqual({ Attention: 1 });
    expect(r.q.graph.nodes.map((n) => `${n.domain}:${n.opType}`)).toEqual([':DynamicQuantizeLinear', 'com.microsoft:QAttention']);
    const x = { x: new ort.Tensor('float32', Float32Array.from(values(12, 9)), [1, 3, 4]) };
    const fp = (await runModel(bytes, x)).y!;
    const q = (await runModel(r.out, x)).y!;
    expect(Math.max(...fp.map((v, i) => Math.abs(v - q[i]!)))).toBeLessThan(0.05);

    const qkv = await quantize(buildModel(s({ qkv_hidden_sizes: { kind: 'ints', value: [4, 4, 4] } })));
    expect(qkv.report.rewritten).toEqual({});
    expect(qkv.report.leftInFloat).toEqual([
      expect.objectContaining({ opType: 'Attention', node: 'attn', reason: expect.stringMatching(/qkv_hidden_sizes/) }),
    ]);
  });

  it('per-channel is declined for a weight that is not 2-D (the reference emits a model onnxruntime cannot run)', async () => {
    const s: ModelSpec = {
      nodes: [{ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: 'bmm' }],
      inits: [{ name: 'W', dims: [3, 8, 4], values: values(96) }],
      inputs: [['x', 1, [3, 2, 8]]],
      outputs: [['y', 1, null]],
    };
    const pc = await quantize(buildModel(s), { preset: 'tjs-q8' });
    expect(pc.report.rewritten).toEqual({});
    expect(pc.report.leftInFloat[0]!.reason).toMatch(/per-channel quantization of its 3-D weight 'W'/);
    const pt = await quantize(buildModel(s), { preset: 'ort-default' });
    expect(pt.report.rewritten).toEqual({ MatMul: 1 });
    const x = { x: new ort.Tensor('float32', Float32Array.from(values(48, 4)), [3, 2, 8]) };
    expect((await runModel(pt.out, x)).y!.every(Number.isFinite)).toBe(true);
  });

  it('refuses non-finite weights and models without the default ONNX domain', async () => {
    const w = values(K * N, 7);
    w[5] = NaN;
    // Weights are read when the output is written: the NaN stops the write with the tensor named.
    const nan = await quantizeInt8(parseModel(buildModel(spec({ w }))));
    await expect(collectPieces(nan.parts)).rejects.toThrow(/'W' contains NaN/);
    const noDomain = buildModel({ ...spec(), opset: 13 });
    const m = parseModel(noDomain);
    m.opsets.length = 0;
    await expect(quantizeInt8(m)).rejects.toThrow(/default ONNX domain exactly once/);
  });
});

describe('progress and cancellation (all-MiniLM-L6-v2)', () => {
  let model: ModelView;
  beforeAll(() => {
    model = parseModel(new Uint8Array(readFileSync(pathOf(fixture(MINILM)))));
  });

  it('reports progress per tensor, monotonically, ending at the total', async () => {
    const seen: Int8Progress[] = [];
    const t0 = performance.now();
    const r = await quantizeInt8(model, { preset: 'ort-default' }, (p) => seen.push(p));
    await writePieces(r.parts, memorySink());
    console.info(
      `[int8] all-MiniLM-L6-v2 ort-default quantized in ${Math.round(performance.now() - t0)} ms (report: ${r.report.durationMs} ms), ${r.report.outputBytes} bytes`,
    );
    expect(seen.length).toBe(r.report.tensorsQuantized + 1);
    expect(seen[0]!.done).toBe(0);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.done).toBeGreaterThan(seen[i - 1]!.done);
      expect(seen[i]!.total).toBe(seen[0]!.total);
      expect(seen[i]!.tensor).not.toBe('');
    }
    expect(seen.at(-1)!.done).toBe(seen[0]!.total);
    expect(seen[0]!.total).toBeGreaterThan(80e6); // the float weights (~87 MB)
  });

  it('stops with an AbortError: already aborted, aborted from a progress callback, aborted by a timer', async () => {
    // The tensor work runs while the output is written: an abort stops the writer and every job in flight.
    await expectCancellation((onProgress, signal) => quantizeInt8(model, {}, onProgress, signal));

    const timer = new AbortController();
    let last = 0;
    setTimeout(() => timer.abort(), 50);
    const t = await quantizeInt8(model, {}, (p) => (last = p.done), timer.signal);
    await expect(writePieces(t.parts, memorySink(), { signal: timer.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(last).toBeGreaterThan(0);
  });
});
