/**
 * The whole batch path on the real all-MiniLM-L6-v2: skip decision, naming, INT8 quantization, hashing, a real
 * quality check (onnxruntime-node), manifest, "Download all" zip, provenance, share link and Markdown.
 */
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createManifest,
  describeProvenance,
  hashBytes,
  manifestOutput,
  outputName,
  parseManifest,
  skipDecision,
  verifyHash,
  zipChunks,
  type Digests,
} from '../../src/core/batch/index.js';
import { quantizeInt8, type Int8Report } from '../../src/core/int8/index.js';
import { collectPieces, concatParts, inspectModel, parseModel, type ModelSummary } from '../../src/core/onnx/index.js';
import { retrievalSetFromStrings, runQualityCheck, type QualityReport } from '../../src/core/quality/index.js';
import { buildShareableReport, decodeReport, encodeReport, reportToMarkdown, type ShareableReport } from '../../src/core/share/index.js';
import { miniLM, type MiniLM } from '../quality/helpers.js';
import { TOOL } from './helpers.js';

const INPUT = 'all-MiniLM-L6-v2.onnx';
let m: MiniLM;
let inputSummary: ModelSummary;
let parts: Uint8Array[];
let outBytes: Uint8Array;
let report: Int8Report;
let quality: QualityReport;
let inputDigests: Digests;
let outputDigests: Digests;
let outName: string;

beforeAll(async () => {
  m = await miniLM();
  inputSummary = inspectModel(m.bytes, { fileName: INPUT });
  let pieces;
  ({ parts: pieces, report } = await quantizeInt8(parseModel(m.bytes), { preset: 'ort-default' }));
  outBytes = await collectPieces(pieces);
  parts = [outBytes];
  outName = outputName(INPUT, 'int8', { version: 'v1' }).path;
  [inputDigests, outputDigests] = await Promise.all([hashBytes(m.bytes), hashBytes(parts)]);
  quality = await runQualityCheck({
    ort,
    original: { bytes: m.bytes, name: INPUT },
    quantized: { bytes: outBytes, name: outName },
    tokenizer: m.tokenizer,
    pooling: m.pooling,
    sessionOptions: { executionProviders: ['cpu'] },
    backend: 'onnxruntime-node cpu',
    sentences: [
      'The cat sat on the mat.',
      'Stock markets fell sharply on Monday.',
      'How do I reset my password?',
      'A quick brown fox jumps over the lazy dog.',
    ],
    retrievalSets: [
      retrievalSetFromStrings(
        [
          'Cats are small domesticated felines.',
          'The central bank raised interest rates.',
          'Reset your password from the login page.',
          'Foxes are wild canids.',
          'Bread is baked in an oven.',
          'Rain is expected tomorrow.',
        ],
        ['kittens', 'interest rates', 'forgot my password'],
      ),
    ],
    batchEffectItems: 0,
  });
});

describe('batch pipeline on all-MiniLM-L6-v2', () => {
  it('processes the fp32 model and would skip its own output', () => {
    expect(skipDecision(INPUT, inputSummary)).toEqual({ skip: false, reason: 'not quantized', by: null });
    const out = inspectModel(outBytes, { fileName: outName });
    expect(skipDecision(outName, out)).toMatchObject({ skip: true, by: 'metadata' });
    expect(describeProvenance(out.metadata, { name: out.producerName, version: out.producerVersion })).toMatchObject({
      madeBy: 'ava-quantizer',
      mode: 'int8',
      preset: 'ort-default',
      summary: 'INT8 (dynamic) by ava-quantizer, preset ort-default',
    });
    expect(outName).toBe('all-MiniLM-L6-v2-INT8-v1.onnx');
    expect(outputDigests.bytes).toBe(report.outputBytes);
  });

  it('the share link carries the run and its quality check', () => {
    expect(quality.verdict.pass).toBe(true);
    const r: ShareableReport = buildShareableReport({
      tool: TOOL,
      source: { name: INPUT, bytes: m.bytes.length, sha256: inputDigests.sha256, md5: inputDigests.md5 },
      output: { name: outName, sha256: outputDigests.sha256, md5: outputDigests.md5 },
      report,
      quality,
    });
    expect(r.source.sha256).toBe(m.fixture.sha256);
    expect(r.output.bytes).toBe(outputDigests.bytes);
    expect(r.conversion.reductionPercent).toBeGreaterThan(70);
    expect(r.quality!.cosine).toEqual({
      count: quality.cosine!.count,
      mean: quality.cosine!.mean,
      min: quality.cosine!.min,
      p5: quality.cosine!.p5,
      median: quality.cosine!.median,
      max: quality.cosine!.max,
    });
    expect(r.quality!.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(quality.cosine!.count);
    expect(r.quality!.topK.map((t) => t.k)).toEqual([1, 3, 5]);
    expect(r.quality!.verdict).toMatchObject({ pass: true, metric: 'mean cosine', threshold: 0.95 });
    expect(r.quality!.backend).toBe('onnxruntime-node cpu');

    const link = encodeReport(r);
    expect(link.length).toBeLessThan(3000);
    expect(decodeReport(link)).toEqual(r);
    const md = reportToMarkdown(decodeReport(link));
    expect(md).toContain(`**PASS**: mean cosine ${quality.verdict.value!.toFixed(4)} (threshold 0.950) on onnxruntime-node cpu`);
    expect(md).toContain(`\`${m.fixture.sha256}\``);
  });

  it('"Download all": the zip holds the output and a manifest whose hashes verify', async () => {
    const manifest = createManifest({
      tool: TOOL,
      inputs: [{ name: INPUT, ...inputDigests }],
      outputs: [manifestOutput({ file: { name: outName, ...outputDigests }, source: INPUT, report, quality })],
    });
    const zip = concatParts([...zipChunks([{ name: outName, parts }], { manifest })]);
    const files = unzipSync(zip);
    const back = parseManifest(new TextDecoder().decode(files['manifest.json']));
    expect(back).toEqual(manifest);
    const o = back.outputs[0]!;
    expect(o.quality!.verdict.pass).toBe(true);
    expect(await verifyHash(files[outName]!, `${o.sha256}  ${o.name}`)).toMatchObject({ ok: true, algorithm: 'sha256' });
    expect(await verifyHash(files[outName]!, o.md5.toUpperCase())).toMatchObject({ ok: true, algorithm: 'md5' });
  });
});
