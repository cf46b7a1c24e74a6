/**
 * The Gather rewriter (src/core/q4/ops/gather.ts) on tiny models, run in onnxruntime-node: GatherBlockQuantized
 * returns the dequantized rows of our own int4 / uint4 bytes, for gather axis 0 and 1, float32 and float16 tables;
 * the model keeps its ai.onnx opset (the reference's raise to 21 breaks models), gets IR version 10 for the int4
 * types, and tables that cannot be quantized stay with a reason.
 */
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { parseModel } from '../../src/core/onnx/model.js';
import { quantizeBlockTable } from '../../src/core/kernels/nbits.js';
import { quantizeQ4 } from '../../src/core/q4/index.js';
import { float16BitsToNumber, float16Round } from '../../src/core/int8/numerics.js';
import { buildModel, values, type ModelSpec } from '../helpers/tiny-model.js';
import { joinParts } from '../int8/helpers.js';

const FLOAT = 1;
const F16 = 10;
const I64 = 7;

async function runOut(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    return Object.values(await s.run(feeds))[0]!;
  } finally {
    await s.release();
  }
}

function dequantRows(table: number[], dims: [number, number], bs: number, symmetric: boolean, half: boolean): Float64Array {
  const t = quantizeBlockTable(Float32Array.from(table), dims, 1, bs, symmetric, half ? 'float16' : 'float32');
  const [R, C] = dims;
  const kb = Math.ceil(C / bs);
  const out = new Float64Array(R * C);
  const nib = (b: Uint8Array, i: number) => (b[i >> 1]! >> ((i & 1) * 4)) & 0xf;
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const si = r * kb + Math.floor(c / bs);
      const scale = half ? float16BitsToNumber((t.scales as Uint16Array)[si]!) : (t.scales as Float32Array)[si]!;
      let v = nib(t.packed, r * C + c);
      if (symmetric) v = v >= 8 ? v - 16 : v;
      const z = symmetric ? 0 : nib(t.zeroPoints!, si);
      out[r * C + c] = (v - z) * scale;
    }
  return out;
}

describe('Gather -> GatherBlockQuantized', () => {
  for (const half of [false, true])
    for (const symmetric of [true, false])
      it(`${half ? 'float16' : 'float32'} table [40, 70], block 32, ${symmetric ? 'int4' : 'uint4 + zero points'}: rows dequantize as onnxruntime reads them`, async () => {
        const table = values(40 * 70, 5).map((x) => (half ? float16Round(x) : x));
        const spec: ModelSpec = {
          opset: 14,
          irVersion: 8,
          nodes: [{ opType: 'Gather', inputs: ['T', 'ids'], outputs: ['E'], name: 'emb' }],
          inits: [{ name: 'T', dims: [40, 70], dataType: half ? F16 : FLOAT, values: table }],
          inputs: [['ids', I64, [3]]],
          outputs: [['E', half ? F16 : FLOAT, [3, 70]]],
        };
        const r = await quantizeQ4(parseModel(buildModel(spec)), { opTypes: ['MatMul', 'Gather'], blockSize: 32, symmetric });
        const out = await joinParts(r.parts);
        const q = parseModel(out);
        expect(r.report.rewritten).toEqual({ Gather: 1 });
        const n = q.graph.nodes[0]!;
        expect([n.opType, n.domain, n.name]).toEqual(['GatherBlockQuantized', 'com.microsoft', 'emb_Q4']);
        expect(Object.fromEntries(n.attributes.map((a) => [a.name, a.i]))).toEqual({ block_size: 32, gather_axis: 0, quantize_axis: 1 });
        expect(q.graph.initializers.map((t) => [t.name, t.dataType, t.dims])).toEqual([
          ['T_Q4', symmetric ? 22 : 21, [40, 70]],
          ['T_scales', half ? F16 : FLOAT, [40, 3]],
          ...(symmetric ? [] : [['T_zero_points', 21, [40, 3]]]),
        ]);
        // The reference would set the opset to 21; we keep 14 (and say so). int4 needs IR 10.
        expect(q.opsets.find((o) => o.domain === '')!.version).toBe(14);
        expect(q.irVersion).toBe(10);
        expect(r.report.notes.join(' ')).toMatch(/opset stays 14/);
        const ids = [39, 0, 17];
        const e = await runOut(out, { ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [3]) });
        const got = half ? Array.from(e.data as Uint16Array, float16BitsToNumber) : Array.from(e.data as Float32Array);
        const d = dequantRows(table, [40, 70], 32, symmetric, half);
        ids.forEach((row, i) => {
          for (let c = 0; c < 70; c++) {
            const want = d[row * 70 + c]!;
            expect(Math.abs(got[i * 70 + c]! - want), `row ${row} col ${c}`).toBeLessThanOrEqual(
              half ? Math.abs(want) * 1e-3 + 1e-6 : 1e-6,
            );
          }
        });
      });

  it('gather axis 1 (columns of a [6, 40] table), blocks still along axis 1', async () => {
    const table = values(240, 9);
    const spec: ModelSpec = {
      opset: 14,
      nodes: [{ opType: 'Gather', inputs: ['T', 'cols'], outputs: ['E'], name: 'g', attributes: { axis: { kind: 'int', value: 1 } } }],
      inits: [{ name: 'T', dims: [6, 40], values: table }],
      inputs: [['cols', I64, [2]]],
      outputs: [['E', FLOAT, [6, 2]]],
    };
    const r = await quantizeQ4(parseModel(buildModel(spec)), { opTypes: ['Gather'], blockSize: 16, symmetric: false });
    const out = await joinParts(r.parts);
    expect(parseModel(out).graph.nodes[0]!.attributes.find((a) => a.name === 'gather_axis')!.i).toBe(1);
    const e = (await runOut(out, { cols: new ort.Tensor('int64', BigInt64Array.from([3n, 39n]), [2]) })).data as Float32Array;
    const d = dequantRows(table, [6, 40], 16, false, false);
    for (let row = 0; row < 6; row++) [3, 39].forEach((c, j) => expect(Math.abs(e[row * 2 + j]! - d[row * 40 + c]!)).toBeLessThan(1e-6));
  });

  it('a 1-D table and an integer table stay (reasons given); a Gather on an activation is not reported', async () => {
    const spec: ModelSpec = {
      opset: 14,
      nodes: [
        { opType: 'Gather', inputs: ['T1', 'i'], outputs: ['E1'], name: 'vec' },
        { opType: 'Gather', inputs: ['Ti', 'i'], outputs: ['E2'], name: 'ints' },
        { opType: 'Shape', inputs: ['X'], outputs: ['s'], name: 'shape' },
        { opType: 'Gather', inputs: ['s', 'i0'], outputs: ['E3'], name: 'dim' },
      ],
      inits: [
        { name: 'T1', dims: [64], values: values(64, 1) },
        { name: 'Ti', dims: [8, 32], dataType: I64, values: Array.from({ length: 256 }, (_, i) => i) },
        { name: 'i0', dims: [], dataType: I64, values: [0] },
      ],
      inputs: [
        ['i', I64, [2]],
        ['X', FLOAT, [3, 4]],
      ],
      outputs: [
        ['E1', FLOAT, [2]],
        ['E2', I64, [2, 32]],
        ['E3', I64, []],
      ],
    };
    const r = await quantizeQ4(parseModel(buildModel(spec)), { opTypes: ['MatMul', 'Gather'] });
    expect(r.report.rewritten).toEqual({});
    const why = Object.fromEntries(r.report.leftInFloat.map((l) => [l.node, l.reason]));
    expect(why['vec']).toMatch(/quantize axis 1 is outside its table's 1 dimension/);
    expect(why['ints']).toMatch(/int64; only float32 and float16 tables/);
    expect(why['dim']).toBeUndefined();
    expect(r.report.notes.join(' ')).toMatch(/no MatMul/);
  });
});
