/**
 * Policy rule `out-of-range-weights` (src/core/fp16/rules/out-of-range.ts): with outOfRange 'keep-fp32' (default),
 * weights with genuine values beyond float16's range stay float32 with everything that reads them, up to a
 * range-reducing op; infinity stand-ins (|x| >= 1e9) clamp. The real case (PP-OCRv4-det's BatchNormalization
 * variance of ~1e8) is in fixtures.test.ts.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseModel } from '../../src/core/onnx/model.js';
import { runModel, toFp16 } from './helpers.js';
import { F16, F32, type GraphSpec, rawBytes, tinyModel } from '../helpers/tiny-model.js';
import { openBytes } from '../../src/core/onnx/open.js';
import { convertFp16 } from '../../src/core/fp16/convert.js';
import { collectPieces, concatParts } from '../../src/core/onnx/writer.js';

const t = (dims: number[], values: number[]) => new ort.Tensor('float32', Float32Array.from(values), dims);

describe('weights beyond the float16 range', () => {
  it('weights in external data get the same verdicts as weights inside the model (the range of every weight is read)', async () => {
    // A bge-m3-style model keeps its weights in model.onnx_data: the out-of-range rule must see them too.
    const inits = [
      { name: 'big', dims: [1], values: [2 ** 20] },
      { name: 'w', dims: [3], values: [0.5, -3e5, 2] }, // 3e5 > 65504: genuine, not a sentinel
      { name: 'mask', dims: [3], values: [0, 0, -3.4028234663852886e38] },
    ];
    const g = (ext: boolean): GraphSpec => {
      let offset = 0;
      return {
        nodes: [
          { opType: 'Mul', inputs: ['x', 'big'], outputs: ['a'] },
          { opType: 'Add', inputs: ['a', 'w'], outputs: ['b'] },
          { opType: 'Add', inputs: ['b', 'mask'], outputs: ['y'] },
        ],
        inits: inits.map((t) => {
          if (!ext) return t;
          const storage = { file: 'model.onnx_data', offset };
          offset += rawBytes(t).length;
          return { ...t, storage };
        }),
        inputs: [['x', F32, [3]]],
        outputs: [['y', F32, [3]]],
      };
    };
    const inline = await toFp16(tinyModel(g(false)));
    const data = concatParts(inits.map((t) => rawBytes(t)));
    const opened = await openBytes(tinyModel(g(true)), 'model.onnx', { 'model.onnx_data': data });
    expect(opened.problems).toEqual([]);
    const { parts, report } = await convertFp16(opened.model);
    const out = parseModel(await collectPieces(parts));
    expect(report.weights.outOfRange).toEqual(inline.report.weights.outOfRange);
    expect(report.weights.outOfRange.map((w) => w.name)).toEqual(['big', 'w']);
    expect(report.keptOps).toEqual(inline.report.keptOps);
    expect(report.weights.clamped).toBe(inline.report.weights.clamped);
    const types = (m: ReturnType<typeof parseModel>) => m.graph.initializers.map((x) => [x.name, x.dataType]);
    expect(types(out)).toEqual(types(parseModel(inline.bytes)));
    expect(
      types(out)
        .filter(([, dt]) => dt === F32)
        .map(([n]) => n),
    ).toEqual(expect.arrayContaining(['big', 'w']));
  });

  it('weights beyond the float16 range: kept float32 with their consumers up to a range-reducing op; sentinels clamp', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'big'], outputs: ['a'] }, // x * 2^20: exceeds float16
        { opType: 'Add', inputs: ['a', 'one'], outputs: ['b'] },
        { opType: 'Log', inputs: ['b'], outputs: ['c'] }, // back in range
        { opType: 'Add', inputs: ['c', 'mask'], outputs: ['y'] }, // mask: -3.4e38 sentinel
      ],
      inits: [
        { name: 'big', dims: [1], values: [2 ** 20] },
        { name: 'one', dims: [1], values: [1] },
        { name: 'mask', dims: [3], values: [0, 0, -3.4028234663852886e38] },
      ],
      inputs: [['x', F32, [3]]],
      outputs: [['y', F32, [3]]],
    };
    const feeds = { x: t([3], [0.5, 2, 0.01]) };
    const model = tinyModel(g);
    const conv = await toFp16(model);
    const out = parseModel(conv.bytes);
    expect(conv.report.weights.outOfRange).toEqual([{ name: 'big', largestMagnitude: 2 ** 20 }]);
    expect(conv.report.keptOps.map((k) => k.op).sort()).toEqual(['Add', 'Log', 'Mul']);
    expect(conv.report.keptOps.flatMap((k) => k.reasons.map((r) => r.rule))).toEqual([
      'out-of-range-weights',
      'out-of-range-weights',
      'out-of-range-weights',
    ]);
    expect(conv.report.keptOps.find((k) => k.op === 'Mul')!.reasons[0]!.reason).toBe("reads values beyond the float16 range (from 'big')");
    expect(out.graph.initializers.map((x) => [x.name, x.dataType])).toEqual([
      ['big', F32],
      ['one', F32],
      ['mask', F16],
    ]);
    expect(conv.report.weights.clamped).toBe(1);
    const ref = await runModel(model, feeds);
    const got = await runModel(conv.bytes, feeds);
    const a = Array.from(ref.y!.data as Float32Array);
    const b = Array.from(got.y!.data as Float32Array);
    expect(Math.abs(a[0]! - b[0]!)).toBeLessThan(1e-2);
    expect(Math.abs(a[1]! - b[1]!)).toBeLessThan(1e-2);
    expect(b[2]).toBeLessThan(-60000); // still "minus infinity" for a softmax
    // The reference behaviour (clamping) changes the result: log(1 + 0.5 * 65504) instead of log(1 + 0.5 * 2^20)
    const clamp = await runModel((await toFp16(model, { outOfRange: 'clamp' })).bytes, feeds);
    expect(Math.abs((clamp.y!.data as Float32Array)[0]! - a[0]!)).toBeGreaterThan(2.5);
  });

  it("outOfRange: 'clamp' converts them like the reference converters (and reports the clamping)", async () => {
    const g: GraphSpec = {
      nodes: [{ opType: 'Mul', inputs: ['x', 'big'], outputs: ['y'] }],
      inits: [{ name: 'big', dims: [2], values: [2 ** 20, 1] }],
      inputs: [['x', F32, [2]]],
      outputs: [['y', F32, [2]]],
    };
    const conv = await toFp16(tinyModel(g), { outOfRange: 'clamp' });
    expect(conv.report.keptOps).toEqual([]);
    expect(conv.report.weights.outOfRange).toEqual([]);
    expect(conv.report.weights.clamped).toBe(1);
    expect(parseModel(conv.bytes).graph.initializers[0]!.dataType).toBe(F16);
  });
});
