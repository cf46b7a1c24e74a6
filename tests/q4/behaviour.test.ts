/**
 * quantizeQ4 / quantizeQ4F16 as a caller sees them on all-MiniLM-L6-v2: the report (sizes, what was rewritten, what
 * stayed float), the metadata record, progress and cancellation, bad options, the input left untouched, and a model
 * opened by ranges with its big weights read in chunks giving the same bytes as from memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { openModel } from '../../src/core/onnx/open.js';
import { blobSource } from '../../src/core/io/source.js';
import { chunking } from '../../src/core/onnx/tensor-data.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { expectCancellation } from '../helpers/cancel.js';
import {
  Q4OptionError,
  Q4_METADATA_KEY,
  quantizeQ4,
  quantizeQ4F16,
  resolveQ4Options,
  type Q4Progress,
  type QuantizeQ4Options,
} from '../../src/core/q4/index.js';
import { matmulChunking } from '../../src/core/q4/ops/matmul.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { sha256 } from '../int8/helpers.js';

let bytes: Uint8Array;
let model: ModelView;
beforeAll(() => {
  bytes = new Uint8Array(readFileSync(pathOf(fixture(MINILM))));
  model = parseModel(bytes);
});

describe('Q4 report and output (all-MiniLM-L6-v2)', () => {
  it('reports sizes, rewritten nodes, what stayed float and why; records what was done in metadata', async () => {
    const before = sha256(bytes);
    const progress: Q4Progress[] = [];
    const r = await quantizeQ4(model, {}, (p) => progress.push(p));
    const out = await collectPieces(r.parts);
    const rep = r.report;
    expect(sha256(bytes)).toBe(before);
    expect(rep.mode).toBe('q4');
    expect(rep.options).toMatchObject({ preset: 'tjs-q4', blockSize: 32, symmetric: true, accuracyLevel: 0, opTypes: ['MatMul'] });
    expect(rep.inputBytes).toBe(bytes.length);
    expect(rep.outputBytes).toBe(out.length);
    expect(rep.rewritten).toEqual({ MatMul: 36 });
    expect(rep.tensorsQuantized).toBe(36);
    // The 12 attention MatMuls (Q x K^T, scores x V) read two activations: not candidates with a constant weight.
    expect(rep.leftInFloat).toHaveLength(12);
    expect(rep.leftInFloat.every((l) => l.opType === 'MatMul' && /is not an initializer/.test(l.reason))).toBe(true);
    // The word / position / token-type tables (11.9 M floats) and the LayerNorm weights and biases stay float32.
    expect(rep.floatInitializers.bytes).toBeGreaterThan(47e6);
    expect(rep.floatInitializers.bytes).toBeLessThan(49e6);
    expect([rep.opset, rep.irVersion]).toEqual([14, model.irVersion]);
    expect(rep.durationMs).toBeGreaterThanOrEqual(0);
    const q = parseModel(out);
    const meta = JSON.parse(q.metadata.find((m) => m.key === Q4_METADATA_KEY)!.value) as Record<string, unknown>;
    expect(meta).toMatchObject({ tool: 'ava-quantizer', mode: 'q4', preset: 'tjs-q4', blockSize: 32, symmetric: true });
    // Progress: input bytes of the 36 weights, monotone, ending at the total.
    const last = progress.at(-1)!;
    expect(last.done).toBe(last.total);
    expect(last.total).toBe(progress[0]!.total);
    expect(last.total).toBe(4 * (6 * (4 * 384 * 384 + 2 * 384 * 1536)));
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);
    expect(progress.length).toBe(37);
  });

  it('cancellation: an aborted signal stops before any work, and an abort while writing stops the weights', async () => {
    await expectCancellation((onProgress, signal) => quantizeQ4(model, {}, onProgress, signal));
  });

  it('bad options are refused with the option and the accepted values named', () => {
    expect(() => resolveQ4Options({ blockSize: 24 as 32 })).toThrow(Q4OptionError);
    expect(() => resolveQ4Options({ blockSize: 24 as 32 })).toThrow(/block size 24 .*16, 32, 64, 128, 256/);
    expect(() => resolveQ4Options({ accuracyLevel: 5 })).toThrow(/accuracy level 5 is not 0-4/);
    expect(() => resolveQ4Options({ opTypes: ['Conv' as 'MatMul'] })).toThrow(/'Conv' cannot be 4-bit quantized/);
    expect(() => resolveQ4Options({ preset: 'q3' as 'tjs-q4' })).toThrow(/unknown Q4 preset 'q3'/);
    expect(resolveQ4Options({ preset: 'ort-default' })).toMatchObject({ blockSize: 128, symmetric: false });
  });

  it('a model opened by ranges, weights and tables read from it in chunks: the same bytes as from memory', async () => {
    const prov = { source: { name: 'model.onnx', sha256: '0'.repeat(64) }, toolVersion: '0', date: '2026-01-01T00:00:00.000Z' };
    const cases: QuantizeQ4Options[] = [
      { symmetric: false },
      // The word embedding [30522, 384] too: in slices of whole rows (axis 1) or of blocks along the vocabulary (axis 0).
      { opTypes: ['MatMul', 'Gather'] },
      { opTypes: ['Gather'], gatherQuantizeAxis: 0, symmetric: false, blockSize: 64 },
    ];
    const mem = [];
    for (const o of cases) mem.push(await collectPieces((await quantizeQ4(model, { provenance: prov, ...o })).parts));
    const before = [chunking.aboveBytes, matmulChunking.bytes];
    // The FFN weights (2.25 MiB each) are read from the file in chunks of 512 rows: 3 reads for [1536, 384].
    chunking.aboveBytes = 1 << 20;
    matmulChunking.bytes = 256 << 10;
    try {
      const { model: opened } = await openModel(blobSource(new Blob([bytes as Uint8Array<ArrayBuffer>]), 'model.onnx'), {
        holeThreshold: 4096,
      });
      for (const [i, o] of cases.entries()) {
        const streamed = await collectPieces((await quantizeQ4(opened, { provenance: prov, ...o })).parts);
        expect(Buffer.from(streamed).equals(Buffer.from(mem[i]!)), JSON.stringify(o)).toBe(true);
      }
    } finally {
      [chunking.aboveBytes, matmulChunking.bytes] = before as [number, number];
    }
  });
});

describe('Q4F16 report', () => {
  it('reports both steps: the Q4 weights, and the FP16 step converting MatMulNBits too (nothing com.microsoft kept)', async () => {
    const r = await quantizeQ4F16(model, { blockSize: 32 });
    const out = await collectPieces(r.parts);
    expect(r.report.mode).toBe('q4f16');
    expect(r.report.outputBytes).toBe(out.length);
    expect(r.report.inputBytes).toBe(bytes.length);
    expect(r.report.q4.rewritten).toEqual({ MatMul: 36 });
    expect(out.length).toBeLessThan(r.report.q4.outputBytes);
    // The FP16 converter knows MatMulNBits' signature (src/core/fp16/schema.ts CONTRIB_SCHEMAS): it is converted,
    // not kept behind Casts, and the report has no note about com.microsoft ops left in float32.
    expect(r.report.fp16.keptOps.find((k) => /MatMulNBits$/.test(k.op))).toBeUndefined();
    expect(r.report.notes.join(' ')).not.toMatch(/MatMulNBits\/GatherBlockQuantized nodes stay float32/);
    expect(r.report.fp16.nodes.converted).toBeGreaterThanOrEqual(36);
    const q = parseModel(out);
    const keys = q.metadata.map((m) => m.key);
    expect(keys).toContain(Q4_METADATA_KEY);
    expect(keys).toContain('ava.conversion');
  });
});
