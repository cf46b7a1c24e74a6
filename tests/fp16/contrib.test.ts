/**
 * The FP16 converter and the com.microsoft ops the project's own modes emit: MatMulNBits (T1 = A, scales, bias,
 * output; zero points when float) and GatherBlockQuantized (T2 = scales, output) have signatures
 * (src/core/fp16/schema.ts CONTRIB_SCHEMAS, from onnxruntime 1.30's registered contrib schemas), so FP16 converts
 * them instead of keeping them in float32 behind Casts, as transformers.js's q4f16 files have them. Checked on a tiny
 * MatMulNBits model and on all-MiniLM-L6-v2 Q4F16 (MatMul + Gather), loaded and run in onnxruntime-node.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTRIB_SCHEMAS, hasSignatureTable, signatureOf } from '../../src/core/fp16/schema.js';
import { inferTypes } from '../../src/core/fp16/types.js';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { quantizeQ4, quantizeQ4F16 } from '../../src/core/q4/index.js';
import { MINILM, bytesOf, fixture } from '../helpers/fixtures.js';
import { diff, runModel, toFp16 } from './helpers.js';
import { F16, F32, U8, tinyModel } from '../helpers/tiny-model.js';

describe('com.microsoft signatures', () => {
  it('MatMulNBits and GatherBlockQuantized: float16 allowed where onnxruntime allows it; nothing else known', () => {
    const mm = signatureOf('MatMulNBits', 1, 'com.microsoft')!;
    expect(mm.inputs.map((f) => f.v)).toEqual(['T1', 'T2', 'T1', 'T3', 'T4', 'T1']);
    expect(mm.outputs.map((f) => f.v)).toEqual(['T1']);
    expect([...mm.vars.get('T1')!.types].sort((a, b) => a - b)).toEqual([1, 10, 16]);
    expect([...mm.vars.get('T2')!.types]).toEqual([2]);
    expect(mm.vars.get('T3')!.types.has(10)).toBe(true); // float zero points go float16 with the scales
    const gbq = signatureOf('GatherBlockQuantized', 1, 'com.microsoft')!;
    expect(gbq.inputs.map((f) => f.v)).toEqual(['T1', 'Tind', 'T2', 'T1']);
    expect(gbq.outputs.map((f) => f.v)).toEqual(['T2']);
    expect([...gbq.vars.get('T2')!.types].sort((a, b) => a - b)).toEqual([1, 10, 16]);
    expect(gbq.vars.get('T1')!.types.has(10)).toBe(false); // the 4-bit data stays as it is
    expect(Object.keys(CONTRIB_SCHEMAS).sort()).toEqual(['GatherBlockQuantized', 'MatMulNBits']);
    expect(signatureOf('Gelu', 1, 'com.microsoft')).toBeNull();
    expect(signatureOf('MatMulNBits', 1)).toBeNull(); // not a default-domain op
    expect(signatureOf('MatMulNBits', 1, 'org.custom')).toBeNull();
    expect(hasSignatureTable('com.microsoft', 'MatMulNBits')).toBe(true);
    expect(hasSignatureTable('com.microsoft', 'Gelu')).toBe(false);
  });
});

/** A float32 MatMulNBits (K = 32, N = 8, block 32): A [2, 32] -> Y [2, 8], with bias and optional uint8 zero points. */
function matMulNBitsModel(withZeroPoints: boolean): Uint8Array {
  const K = 32;
  const N = 8;
  const packed = Array.from({ length: N * (K / 2) }, (_, i) => (i * 37 + 11) & 0xff);
  return tinyModel(
    {
      nodes: [
        {
          opType: 'MatMulNBits',
          domain: 'com.microsoft',
          name: 'mm',
          inputs: withZeroPoints ? ['a', 'B', 'scales', 'zp', '', 'bias'] : ['a', 'B', 'scales', '', '', 'bias'],
          outputs: ['y'],
          attributes: {
            K: { kind: 'int', value: K },
            N: { kind: 'int', value: N },
            bits: { kind: 'int', value: 4 },
            block_size: { kind: 'int', value: 32 },
          },
        },
        { opType: 'Relu', inputs: ['y'], outputs: ['out'] },
      ],
      inits: [
        { name: 'B', dataType: U8, dims: [N, 1, K / 2], values: packed },
        { name: 'scales', dims: [N], values: Array.from({ length: N }, (_, i) => 0.01 * (i + 1)) },
        ...(withZeroPoints ? [{ name: 'zp', dataType: U8, dims: [N], values: [0x8, 0x7, 0x6, 0x9, 0x8, 0xa, 0x5, 0x8] }] : []),
        { name: 'bias', dims: [N], values: Array.from({ length: N }, (_, i) => 0.1 * i - 0.3) },
      ],
      inputs: [['a', F32, [2, K]]],
      outputs: [['out', F32, [2, N]]],
    },
    17,
    [['com.microsoft', 1]],
  );
}

describe('MatMulNBits through the FP16 converter', () => {
  it('onnxruntime refuses a MatMulNBits whose A and scales disagree (float16 vs float32): T1 binds them', async () => {
    const src = matMulNBitsModel(false);
    const conv = await toFp16(src);
    // Re-type only A: a graph input of float16 feeding MatMulNBits directly, scales left float32.
    const bad = tinyModel(
      {
        nodes: [
          {
            opType: 'MatMulNBits',
            domain: 'com.microsoft',
            inputs: ['a', 'B', 'scales'],
            outputs: ['y'],
            attributes: {
              K: { kind: 'int', value: 32 },
              N: { kind: 'int', value: 8 },
              bits: { kind: 'int', value: 4 },
              block_size: { kind: 'int', value: 32 },
            },
          },
        ],
        inits: [
          { name: 'B', dataType: U8, dims: [8, 1, 16], values: new Array(128).fill(0x88) },
          { name: 'scales', dims: [8], values: new Array(8).fill(0.5) },
        ],
        inputs: [['a', F16, [2, 32]]],
        outputs: [['y', F16, [2, 8]]],
      },
      17,
      [['com.microsoft', 1]],
    );
    await expect(ort.InferenceSession.create(bad)).rejects.toThrow(/T1|type/i);
    await expect(ort.InferenceSession.create(conv.bytes)).resolves.toBeDefined();
  });

  for (const zp of [false, true])
    it(`converts it to float16 (A, scales, bias, output)${zp ? ', uint8 zero points unchanged' : ''}; loads, runs, matches float32`, async () => {
      const src = matMulNBitsModel(zp);
      const conv = await toFp16(src);
      const out = parseModel(conv.bytes);
      const mm = out.graph.nodes.find((n) => n.opType === 'MatMulNBits')!;
      const inits = new Map(out.graph.initializers.map((t) => [t.name, t.dataType]));
      expect(inits.get('scales')).toBe(F16);
      expect(inits.get('bias')).toBe(F16);
      expect(inits.get('B')).toBe(U8);
      if (zp) expect(inits.get('zp')).toBe(U8);
      const types = inferTypes(out).scopes.get(out.graph)!;
      expect(types.get(mm.inputs[0]!)).toBe(F16);
      expect(types.get(mm.outputs[0]!)).toBe(F16);
      expect(conv.report.keptOps.filter((k) => k.op.includes('MatMulNBits'))).toEqual([]);
      const a = new ort.Tensor(
        'float32',
        Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 2),
        [2, 32],
      );
      const ref = await runModel(src, { a });
      const got = await runModel(conv.bytes, { a });
      const d = diff(ref['out']!, got['out']!);
      expect(d.nonFinite).toBe(0);
      expect(d.maxRel).toBeLessThan(2e-2);
    });
});

describe('all-MiniLM-L6-v2 Q4F16 (MatMul + Gather): MatMulNBits and GatherBlockQuantized in float16', () => {
  let model: ModelView;
  beforeAll(() => {
    model = parseModel(bytesOf(fixture(MINILM)));
  });

  it('every MatMulNBits reads float16 A and scales and writes float16; GatherBlockQuantized has float16 scales; onnxruntime-node loads and runs it, within float16 rounding of Q4', async () => {
    const opts = { blockSize: 32 as const, symmetric: false, opTypes: ['MatMul' as const, 'Gather' as const] };
    const q4 = await collectPieces((await quantizeQ4(model, opts)).parts);
    const r = await quantizeQ4F16(model, opts);
    const bytes = await collectPieces(r.parts);
    const out = parseModel(bytes);
    const types = inferTypes(out).scopes.get(out.graph)!;
    const inits = new Map(out.graph.initializers.map((t) => [t.name, t.dataType]));
    const mms = out.graph.nodes.filter((n) => n.opType === 'MatMulNBits');
    const gbqs = out.graph.nodes.filter((n) => n.opType === 'GatherBlockQuantized');
    expect(mms).toHaveLength(36);
    expect(gbqs.length).toBeGreaterThan(0);
    for (const n of mms) {
      expect([types.get(n.inputs[0]!), inits.get(n.inputs[2]!), types.get(n.outputs[0]!)], n.name).toEqual([F16, F16, F16]);
      expect(inits.get(n.inputs[1]!)).toBe(U8);
    }
    for (const n of gbqs) expect([inits.get(n.inputs[2]!), types.get(n.outputs[0]!)], n.name).toEqual([F16, F16]);
    expect(r.report.fp16.keptOps.filter((k) => /MatMulNBits|GatherBlockQuantized/.test(k.op))).toEqual([]);

    // onnxruntime checks every node's types against its kernels' type constraints when it loads the model (a
    // MatMulNBits with float16 A and float32 scales is refused: see the tiny case above), so loading it proves the
    // float16 binding. What the CPU EP then does is its business: with graph optimizations off it still inserts
    // Casts around float16 regions whose neighbours have no float16 kernel, and reports which.
    const dir = mkdtempSync(path.join(tmpdir(), 'ava-q4f16-'));
    try {
      const optimizedModelFilePath = path.join(dir, 'opt.onnx');
      const s = await ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: 'disabled',
        optimizedModelFilePath,
        logSeverityLevel: 3,
      });
      await s.release();
      const ran = parseModel(new Uint8Array(readFileSync(optimizedModelFilePath)));
      const original = new Set(out.graph.nodes.map((n) => n.name));
      const inserted = ran.graph.nodes.filter((n) => n.opType === 'Cast' && !original.has(n.name)).length;
      const contrib = ran.graph.nodes.filter((n) => n.opType === 'MatMulNBits' || n.opType === 'GatherBlockQuantized');
      expect(contrib).toHaveLength(mms.length + gbqs.length);
      console.info(
        `[fp16 contrib] onnxruntime-node CPU EP, optimizations off: ${inserted} Casts inserted (float16 regions without CPU kernels)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const ids = BigInt64Array.from([101, 2023, 2003, 1037, 3231, 6251, 1012, 102], BigInt);
    const feeds = {
      input_ids: new ort.Tensor('int64', ids, [1, 8]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(8).fill(1n), [1, 8]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(8), [1, 8]),
    };
    const run = async (b: Uint8Array) => {
      const s = await ort.InferenceSession.create(b, { logSeverityLevel: 3 });
      const o = await s.run(Object.fromEntries(s.inputNames.map((n) => [n, feeds[n as keyof typeof feeds]])));
      await s.release();
      return o[s.outputNames[0]!]!.data as Float32Array;
    };
    const [a, b] = [await run(q4), await run(bytes)];
    expect(b.length).toBe(a.length);
    // Per token (384 values each): the float16 run stays within float16 rounding of the float32 Q4 run.
    let worst = 1;
    for (let t = 0; t < a.length / 384; t++) {
      let dot = 0,
        na = 0,
        nb = 0;
      for (let i = t * 384; i < (t + 1) * 384; i++) {
        dot += a[i]! * b[i]!;
        na += a[i]! * a[i]!;
        nb += b[i]! * b[i]!;
      }
      worst = Math.min(worst, dot / Math.sqrt(na * nb));
    }
    console.info(
      `[fp16 contrib] MiniLM Q4F16 (MatMul + Gather): ${mms.length} MatMulNBits, ${gbqs.length} GatherBlockQuantized in float16; ${bytes.length} bytes (Q4: ${q4.length}); worst per-token cosine vs Q4 ${worst.toFixed(5)}`,
    );
    expect(worst).toBeGreaterThan(0.999);
  });
});
