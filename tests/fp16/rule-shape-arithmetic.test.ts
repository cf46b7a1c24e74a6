/**
 * Policy rule `shape-arithmetic` (src/core/fp16/rules/shape-arithmetic.ts): float computations whose result ends
 * in a shape or an integer stay float32, and a Cast of shape data to float is not retargeted to float16. Each case
 * runs in onnxruntime-node: the converted model's output shape equals the float32 model's (before the rule, float16
 * rounding changed it or made the model fail at run time).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseModel } from '../../src/core/onnx/model.js';
import { INTEGER_TYPES, shapeInputs } from '../../src/core/fp16/rules/shape-arithmetic.js';
import { formalAt, signatureOf } from '../../src/core/fp16/schema.js';
import { SHAPE_INPUTS } from '../../src/core/fp16/shape-inputs.generated.js';
import { diff, expectAllConverted, runModel, toFp16 } from './helpers.js';
import { allNodes, castsOf, F16, F32, I64, type GraphSpec, tinyModel } from '../helpers/tiny-model.js';

const f32 = (dims: number[], f: (i: number) => number = (i) => (i % 7) / 7) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => f(i)),
    dims,
  );
const i64 = (dims: number[], v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);
const cast = (from: string, to: string, type: number, name = to) => ({
  opType: 'Cast',
  inputs: [from],
  outputs: [to],
  name,
  attributes: { to: { kind: 'int' as const, value: type } },
});
const shapeKept = (r: Awaited<ReturnType<typeof toFp16>>['report']) =>
  r.keptOps
    .filter((k) => k.reasons.some((x) => x.rule === 'shape-arithmetic'))
    .flatMap((k) => k.examples)
    .sort();

/** Converts, runs both in onnxruntime-node, returns the outputs; the output shapes must be float32's. */
async function sameShapes(model: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const conv = await toFp16(model);
  const ref = await runModel(model, feeds);
  const got = await runModel(conv.bytes, feeds);
  for (const k of Object.keys(ref)) expect(got[k]!.dims, k).toEqual(ref[k]!.dims);
  return { conv, ref, got, out: parseModel(conv.bytes) };
}

describe('shape arithmetic stays float32', () => {
  it('the shape consumers come from ONNX shape inference (shape-inputs.generated.ts) and fit the op signatures', () => {
    expect(Object.keys(SHAPE_INPUTS).sort()).toEqual(['Range', 'Resize', 'Upsample']);
    expect(shapeInputs('Resize', 10)).toEqual([1]); // Resize-10 (X, scales)
    expect(shapeInputs('Resize', 13)).toEqual([2]); // Resize-11+ (X, roi, scales, sizes): sizes is int64, reached through a Cast
    expect(shapeInputs('Upsample', 7)).toEqual([]); // scales was an attribute
    expect(shapeInputs('Upsample', 9)).toEqual([1]);
    expect(shapeInputs('Range', 11)).toEqual([0, 1, 2]);
    expect(shapeInputs('Relu', 14)).toEqual([]);
    for (const [op, versions] of Object.entries(SHAPE_INPUTS))
      for (const [since, inputs] of versions)
        for (const [i] of inputs) {
          const sig = signatureOf(op, since)!;
          const f = formalAt(sig.inputs, i)!.formal.v;
          const types = f.startsWith('=') ? new Set([Number(f.slice(1))]) : sig.vars.get(f)!.types;
          expect(types.has(F32), `${op}-${since} input ${i}`).toBe(true);
        }
    expect([...INTEGER_TYPES].every((t) => t !== F32 && t !== F16)).toBe(true);
  });

  it("the issue's Resize: scales = Concat([1, 1], Mul([1.1, 1.1], [1.0])) gives 1×4×11×11 as in float32, and the Add with an 11×11 tensor runs", async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['s', 'one'], outputs: ['s2'], name: 'mul' },
        { opType: 'Concat', inputs: ['ones', 's2'], outputs: ['scales'], name: 'concat', attributes: { axis: { kind: 'int', value: 0 } } },
        {
          opType: 'Resize',
          inputs: ['x', '', 'scales'],
          outputs: ['r'],
          name: 'resize',
          attributes: { mode: { kind: 'string', value: 'nearest' } },
        },
        { opType: 'Add', inputs: ['r', 'b'], outputs: ['y'], name: 'add' },
      ],
      inits: [
        { name: 's', dims: [2], values: [1.1, 1.1] },
        { name: 'one', dims: [1], values: [1] },
        { name: 'ones', dims: [2], values: [1, 1] },
      ],
      inputs: [
        ['x', F32, [1, 4, 10, 10]],
        ['b', F32, [1, 4, 11, 11]],
      ],
      outputs: [['y', F32, [1, 4, 11, 11]]],
    };
    const { conv, ref, got, out } = await sameShapes(tinyModel(g, 13), { x: f32([1, 4, 10, 10]), b: f32([1, 4, 11, 11], (i) => i / 484) });
    expect(got.y!.dims).toEqual([1, 4, 11, 11]);
    expect(diff(ref.y!, got.y!).maxAbs).toBeLessThan(2e-3);
    expect(shapeKept(conv.report)).toEqual(['concat', 'mul']);
    expect(out.graph.initializers.map((t) => [t.name, t.dataType])).toEqual([
      ['s', F32],
      ['one', F32],
      ['ones', F32],
    ]);
  });

  it('a float size computed from Shape feeds Reshape through Floor and a Cast to int64: the Cast to float is not retargeted', async () => {
    // n = Cast(Shape(x)[1]) = 4098 is 4096 in float16; Reshape(x, [2, floor(n * 0.5)]) needs 2049.
    const g: GraphSpec = {
      nodes: [
        { opType: 'Shape', inputs: ['x'], outputs: ['shp'], name: 'shape' },
        { opType: 'Gather', inputs: ['shp', 'idx1'], outputs: ['len'], name: 'gather', attributes: { axis: { kind: 'int', value: 0 } } },
        cast('len', 'lenf', F32, 'to_float'),
        { opType: 'Mul', inputs: ['lenf', 'half'], outputs: ['h'], name: 'half' },
        { opType: 'Floor', inputs: ['h'], outputs: ['hf'], name: 'floor' },
        cast('hf', 'hi', I64, 'to_int'),
        { opType: 'Concat', inputs: ['two', 'hi'], outputs: ['target'], name: 'target', attributes: { axis: { kind: 'int', value: 0 } } },
        { opType: 'Reshape', inputs: ['x', 'target'], outputs: ['r'], name: 'reshape' },
        // the float size is also read by an activation computation, which stays float16 through its own Cast
        { opType: 'Mul', inputs: ['r', 'lenf'], outputs: ['y'], name: 'scale' },
      ],
      inits: [
        { name: 'idx1', dataType: I64, dims: [1], values: [1] },
        { name: 'half', dims: [], values: [0.5] },
        { name: 'two', dataType: I64, dims: [1], values: [2] },
      ],
      inputs: [['x', F32, [1, 4098]]],
      outputs: [['y', F32, null]],
    };
    const { conv, ref, got, out } = await sameShapes(tinyModel(g, 13), { x: f32([1, 4098], (i) => (i % 13) / 1300) });
    expect(got.y!.dims).toEqual([2, 2049]);
    expect(diff(ref.y!, got.y!).cosine).toBeGreaterThan(0.9999);
    expect(shapeKept(conv.report)).toEqual(['floor', 'half']);
    expect(conv.report.keptOps.find((k) => k.op === 'Mul')!.examples).toEqual(['half']); // 'scale' is float16
    const toFloat = allNodes(out.graph).find((n) => n.name === 'to_float')!;
    expect(toFloat.attributes.find((a) => a.name === 'to')!.i).toBe(F32);
    expect(castsOf(out)).toContainEqual({ from: 'lenf', to: F16 });
    expect(conv.report.nodes.castsRetargeted).toBe(0);
  });

  it('Range: start, limit and delta computed in float keep their float32 values (its output length is ceil((limit − start) / delta))', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Shape', inputs: ['x'], outputs: ['shp'], name: 'shape' },
        cast('shp', 'shpf', F32, 'to_float'),
        { opType: 'ReduceMax', inputs: ['shpf'], outputs: ['n'], name: 'n', attributes: { keepdims: { kind: 'int', value: 0 } } },
        { opType: 'Mul', inputs: ['n', 'k'], outputs: ['limit'], name: 'limit' },
        { opType: 'Range', inputs: ['zero', 'limit', 'delta'], outputs: ['r'], name: 'range' },
        { opType: 'Mul', inputs: ['r', 'w'], outputs: ['y'], name: 'scale' },
      ],
      inits: [
        { name: 'k', dims: [], values: [1.1] },
        { name: 'zero', dims: [], values: [0] },
        { name: 'delta', dims: [], values: [0.7] },
        { name: 'w', dims: [], values: [0.5] },
      ],
      inputs: [['x', F32, [7]]],
      outputs: [['y', F32, null]],
    };
    // x of length 7: float32 7 * 1.1 = 7.7000003, / 0.7 -> 12 elements; in float16 1.1 is 1.0996: 7.6953 -> 11
    for (const len of [7, 1000]) {
      const gl = { ...g, inputs: [['x', F32, [len]]] as GraphSpec['inputs'] };
      const { conv, ref, got } = await sameShapes(tinyModel(gl, 13), { x: f32([len]) });
      expect(got.y!.dims, String(len)).toEqual(ref.y!.dims);
      expect(diff(ref.y!, got.y!).maxRel).toBeLessThan(1e-3);
      expect(shapeKept(conv.report)).toEqual(['limit', 'n']);
    }
  });

  it('Cast to an integer type used as data (a count) and ConstantOfShape: Round / Ceil chains on shapes stay float32', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Shape', inputs: ['x'], outputs: ['shp'], name: 'shape' },
        cast('shp', 'shpf', F32, 'to_float'),
        { opType: 'Div', inputs: ['shpf', 'three'], outputs: ['d'], name: 'div' },
        { opType: 'Ceil', inputs: ['d'], outputs: ['c'], name: 'ceil' },
        cast('c', 'ci', I64, 'to_int'),
        { opType: 'ConstantOfShape', inputs: ['ci'], outputs: ['zeros'], name: 'zeros' },
        { opType: 'Round', inputs: ['d'], outputs: ['rd'], name: 'round' },
        cast('rd', 'count', I64, 'count'),
      ],
      inits: [{ name: 'three', dims: [], values: [3] }],
      inputs: [['x', F32, [6145]]],
      outputs: [
        ['zeros', F32, null],
        ['count', I64, null],
      ],
    };
    // 6145 is 6144 in float16: ceil(6145 / 3) = 2049 (float32) vs 2048; round(2048.33) vs round(2048) agree, the shape does not
    const { conv, ref, got } = await sameShapes(tinyModel(g, 13), { x: f32([6145]) });
    expect(got.zeros!.dims).toEqual([2049]);
    expect(Array.from(got.count!.data as BigInt64Array)).toEqual(Array.from(ref.count!.data as BigInt64Array));
    expect(shapeKept(conv.report)).toEqual(['ceil', 'div', 'round']);
  });

  it('data is not shape arithmetic: a Cast to int64 of values computed from a float input leaves them float16', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'ten'], outputs: ['m'], name: 'mul' },
        { opType: 'Floor', inputs: ['m'], outputs: ['f'], name: 'floor' },
        cast('f', 'y', I64, 'to_int'),
      ],
      inits: [{ name: 'ten', dims: [], values: [10] }],
      inputs: [['x', F32, [4]]],
      outputs: [['y', I64, [4]]],
    };
    const conv = await expectAllConverted(g, 2);
    const r = await runModel(conv.bytes, { x: f32([4], (i) => i / 4) });
    expect(Array.from(r.y!.data as BigInt64Array)).toEqual([0n, 2n, 5n, 7n]);
  });

  it('an integer graph input is a size, not data: Cast(size) to float feeding Range is not retargeted (window functions)', async () => {
    const g: GraphSpec = {
      nodes: [
        cast('size', 'sizef', F32, 'to_float'),
        { opType: 'Range', inputs: ['zero', 'sizef', 'one'], outputs: ['r'], name: 'range' },
        { opType: 'Div', inputs: ['r', 'sizef'], outputs: ['y'], name: 'div' },
      ],
      inits: [
        { name: 'zero', dims: [], values: [0] },
        { name: 'one', dims: [], values: [1] },
      ],
      inputs: [['size', I64, []]],
      outputs: [['y', F32, null]],
    };
    const { conv, got } = await sameShapes(tinyModel(g, 13), { size: i64([], [4097]) });
    expect(got.y!.dims).toEqual([4097]); // a float16 size would be 4096
    const out = parseModel(conv.bytes);
    expect(allNodes(out.graph).find((n) => n.name === 'to_float')!.attributes[0]!.i).toBe(F32);
  });
});
