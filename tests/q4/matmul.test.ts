/**
 * The MatMul rewriter (src/core/q4/ops/matmul.ts) on tiny models, run in onnxruntime-node: what the parity goldens
 * do not show. MatMulNBits computes A x dequant(B) where dequant(q) = (q - zp) * scale per block; the output must
 * equal that product computed here from our own packed bytes (so layout, K padding, zero-point nibbles and the
 * scales' order all agree with onnxruntime's kernel), and the node's attributes / the nodes left in float are
 * reported as the options say.
 */
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { parseModel } from '../../src/core/onnx/model.js';
import { quantizeQ4, type Q4Options } from '../../src/core/q4/index.js';
import { buildModel, values, type ModelSpec } from '../helpers/tiny-model.js';
import { joinParts } from '../int8/helpers.js';

const FLOAT = 1;

function mm(K: number, N: number, extra: Partial<ModelSpec> = {}): { bytes: Uint8Array; w: number[] } {
  const w = values(K * N, K * 7 + N).map((x) => x * 0.5);
  const spec: ModelSpec = {
    opset: 14,
    nodes: [{ opType: 'MatMul', inputs: ['A', 'W'], outputs: ['Y'], name: 'mm' }],
    inits: [{ name: 'W', dims: [K, N], values: w }],
    inputs: [['A', FLOAT, [2, K]]],
    outputs: [['Y', FLOAT, [2, N]]],
    ...extra,
  };
  return { bytes: buildModel(spec), w };
}

async function q4(bytes: Uint8Array, o: Partial<Q4Options> = {}) {
  const r = await quantizeQ4(parseModel(bytes), o);
  const out = await joinParts(r.parts);
  return { out, q: parseModel(out), report: r.report };
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** dequant(B) [K, N] from our own initializers (packed [N, kb, bs/2], scales [N, kb], zero points [N, ceil(kb/2)]). */
function dequant(q: ReturnType<typeof parseModel>, K: number, N: number, bs: number): Float32Array {
  const t = (n: string) => q.graph.initializers.find((x) => x.name === n);
  const packed = t('W_Q4')!.rawData!;
  const sb = t('W_scales')!.rawData!;
  const scales = new Float32Array(sb.buffer.slice(sb.byteOffset, sb.byteOffset + sb.length));
  const zp = t('W_zero_points')?.rawData ?? null;
  const kb = Math.ceil(K / bs);
  const zc = Math.ceil(kb / 2);
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / bs);
      const byte = packed[n * kb * (bs / 2) + (k >> 1)]!;
      const v = k & 1 ? byte >> 4 : byte & 0xf;
      const z = zp ? (zp[n * zc + (b >> 1)]! >> ((b & 1) * 4)) & 0xf : 8;
      out[k * N + n] = (v - z) * scales[n * kb + b]!;
    }
  return out;
}

describe('MatMul -> MatMulNBits', () => {
  for (const [K, N, bs] of [
    [70, 5, 32],
    [64, 1, 16],
    [300, 9, 128],
    [33, 4, 64],
  ] as const)
    for (const symmetric of [true, false])
      it(`[${K}, ${N}] block ${bs} ${symmetric ? 'symmetric' : 'zero points'}: onnxruntime computes A x dequant(our bytes)`, async () => {
        const { bytes } = mm(K, N);
        const { out, q, report } = await q4(bytes, { blockSize: bs, symmetric });
        expect(report.rewritten).toEqual({ MatMul: 1 });
        const node = q.graph.nodes.find((n) => n.opType === 'MatMulNBits')!;
        expect(node.domain).toBe('com.microsoft');
        expect(node.name).toBe('mm_Q4');
        expect(node.inputs).toEqual(['A', 'W_Q4', 'W_scales', ...(symmetric ? [] : ['W_zero_points'])]);
        expect(Object.fromEntries(node.attributes.map((a) => [a.name, a.i]))).toEqual({ K, N, bits: 4, block_size: bs });
        expect(q.graph.initializers.map((t) => t.name)).not.toContain('W'); // the float weight is gone
        const a = Float32Array.from(values(2 * K, 99));
        const y = (await run(out, { A: new ort.Tensor('float32', a, [2, K]) })).Y!.data as Float32Array;
        const d = dequant(q, K, N, bs);
        for (let r = 0; r < 2; r++)
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += a[r * K + k]! * d[k * N + n]!;
            expect(Math.abs(y[r * N + n]! - s)).toBeLessThan(1e-4 * Math.max(1, Math.abs(s)));
          }
      });

  it('accuracy_level: written when 1-4 (the model runs with 4 = int8 compute), left out at 0', async () => {
    const { bytes } = mm(64, 8);
    const with4 = await q4(bytes, { accuracyLevel: 4 });
    const attrs = with4.q.graph.nodes.find((n) => n.opType === 'MatMulNBits')!.attributes;
    expect(attrs.find((a) => a.name === 'accuracy_level')?.i).toBe(4);
    const y = await run(with4.out, { A: new ort.Tensor('float32', Float32Array.from(values(128, 3)), [2, 64]) });
    expect(y.Y!.dims).toEqual([2, 8]);
    const with0 = await q4(bytes, { accuracyLevel: 0 });
    expect(with0.q.graph.nodes.find((n) => n.opType === 'MatMulNBits')!.attributes.map((a) => a.name)).toEqual([
      'K',
      'N',
      'bits',
      'block_size',
    ]);
  });

  it('leaves in float, with the reason: B not an initializer, batched B, 1-D B, integer B, excluded nodes', async () => {
    const spec: ModelSpec = {
      opset: 14,
      nodes: [
        { opType: 'MatMul', inputs: ['A', 'B'], outputs: ['Y1'], name: 'dyn' },
        { opType: 'MatMul', inputs: ['A3', 'Wb'], outputs: ['Y2'], name: 'batched' },
        { opType: 'MatMul', inputs: ['A', 'W1'], outputs: ['Y3'], name: 'vec' },
        { opType: 'MatMul', inputs: ['I', 'Wi'], outputs: ['Y4'], name: 'int' },
        { opType: 'MatMul', inputs: ['A', 'W'], outputs: ['Y5'], name: 'skip_me' },
      ],
      inits: [
        { name: 'Wb', dims: [2, 32, 4], values: values(256, 1) },
        { name: 'W1', dims: [32], values: values(32, 2) },
        { name: 'Wi', dims: [32, 4], dataType: 6, values: Array.from({ length: 128 }, (_, i) => i % 7) },
        { name: 'W', dims: [32, 4], values: values(128, 3) },
      ],
      inputs: [
        ['A', FLOAT, [2, 32]],
        ['B', FLOAT, [32, 4]],
        ['A3', FLOAT, [2, 2, 32]],
        ['I', 6, [2, 32]],
      ],
      outputs: [
        ['Y1', FLOAT, [2, 4]],
        ['Y2', FLOAT, [2, 2, 4]],
        ['Y3', FLOAT, [2]],
        ['Y4', 6, [2, 4]],
        ['Y5', FLOAT, [2, 4]],
      ],
    };
    const { q, report } = await q4(buildModel(spec), { excludeNodes: ['skip_me'] });
    expect(report.rewritten).toEqual({});
    expect(q.graph.nodes.every((n) => n.opType === 'MatMul')).toBe(true);
    const why = Object.fromEntries(report.leftInFloat.map((l) => [l.node, l.reason]));
    expect(why['dyn']).toMatch(/B 'B' is not an initializer/);
    expect(why['batched']).toMatch(/batch dims \[2\]/);
    expect(why['vec']).toMatch(/1 dimension/);
    expect(why['int']).toMatch(/int32; only float32 and float16/);
    expect(why['skip_me']).toBe('in the exclude list');
    expect(report.notes.join(' ')).not.toMatch(/no MatMul/);
  });

  it('nodesToInclude quantizes a named MatMul whatever the op types; a com.microsoft opset already there is set to 1, not repeated', async () => {
    const { bytes } = mm(64, 4, { extraOpsets: [['com.microsoft', 1]] });
    const { q, report } = await q4(bytes, { opTypes: ['Gather'], nodesToInclude: ['mm'] });
    expect(report.rewritten).toEqual({ MatMul: 1 });
    expect(q.opsets.map((o) => [o.domain, o.version])).toEqual([
      ['', 14],
      ['com.microsoft', 1],
    ]);
  });
});
