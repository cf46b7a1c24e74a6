/** A realistic, valid ShareableReport built by hand (the pipeline test builds one from real runs). */
import type { ShareableReport } from '../../src/core/share/index.js';

export function sampleReport(): ShareableReport {
  return {
    format: 'ava-quantizer-report',
    version: 3,
    tool: { name: 'ava-quantizer', version: '0.1.0' },
    createdAt: '2025-06-01T12:34:56.789Z',
    source: { name: 'all-MiniLM-L6-v2.onnx', bytes: 90378583, sha256: 'a'.repeat(64), md5: 'b'.repeat(32) },
    output: { name: 'all-MiniLM-L6-v2-INT8.onnx', bytes: 23000000, sha256: 'c'.repeat(64), md5: null },
    mode: 'int8',
    preset: 'tjs-q8',
    options: {
      activationSymmetric: false,
      perChannel: true,
      reduceRange: true,
      opTypes: ['MatMul', 'Gather'],
      weightSymmetric: null,
      weightType: 'qint8',
    },
    conversion: {
      inputBytes: 90378583,
      outputBytes: 23000000,
      reductionPercent: 74.55,
      durationMs: 5123,
      rewritten: { Gather: 1, MatMul: 36 },
      keptInFloat: { MatMul: 2 },
      facts: { tensorsQuantized: 37, opset: 14 },
      notes: [],
    },
    quality: {
      verdict: {
        pass: true,
        metric: 'mean cosine',
        value: 0.9871,
        threshold: 0.95,
        reasons: [],
        warnings: ['batch composition changes INT8 embeddings slightly'],
      },
      cosine: { count: 120, mean: 0.9871, min: 0.9512, p5: 0.9633, median: 0.9889, max: 0.9981 },
      histogram: { lo: 0.9, hi: 1, counts: [0, 0, 0, 0, 0, 1, 3, 10, 40, 66] },
      topK: [
        { set: 'retrieval', k: 1, mean: 0.95, min: 0 },
        { set: 'retrieval', k: 3, mean: 0.93, min: 0.6667 },
      ],
      backend: 'onnxruntime-web wasm',
      providers: ['wasm'],
      texts: 120,
      tokenization: 'tokenizer',
      errors: [],
      headline: '98.7% similar · same top result for 20 of 21 searches — passes; worth a look: 1 warning',
    },
    otherBackends: [],
    agreement: null,
  };
}

/** The same report as written by version 2 (no headline, one backend): links and history entries made then still open. */
export function sampleReportV2(): Record<string, unknown> {
  const r = sampleReport() as unknown as Record<string, unknown> & { quality: Record<string, unknown> };
  const { headline: _h, ...quality } = r.quality;
  const { otherBackends: _o, agreement: _a, ...rest } = r;
  return { ...rest, version: 2, quality };
}

/**
 * The same report as written by version 1 (before every mode's report shared one base): links and history entries
 * made then must still open (upgraded: share/report.ts upgradeConversionV1).
 */
export function sampleReportV1(): Record<string, unknown> {
  const r = sampleReportV2();
  return {
    ...r,
    version: 1,
    conversion: {
      originalBytes: 90378583,
      outputBytes: 23000000,
      reductionPercent: 74.55,
      timeMs: 5123,
      int8: { tensorsQuantized: 37, rewritten: { Gather: 1, MatMul: 36 }, leftInFloat: 2, opset: 14 },
      fp16: null,
      notes: [],
    },
  };
}
