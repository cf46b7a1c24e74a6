/** Output naming templates, version tags, unsafe names, and the "already quantized" skip decision. */
import { describe, expect, it } from 'vitest';
import {
  NamingError,
  baseName,
  isAlreadyQuantizedName,
  normalizeVersionTag,
  outputName,
  previewName,
  quantizedNameSuffix,
  skipDecision,
  templatePattern,
  uniqueNames,
  type NamingOptions,
  type OutputMode,
} from '../../src/core/batch/index.js';

describe('output names', () => {
  const table: [string, OutputMode, NamingOptions, string][] = [
    ['model.onnx', 'int8', {}, 'model-INT8.onnx'],
    ['model.onnx', 'fp16', {}, 'model-FP16.onnx'],
    ['all-MiniLM-L6-v2.onnx', 'int8', { version: 'v1.1' }, 'all-MiniLM-L6-v2-INT8-v1.1.onnx'],
    ['all-MiniLM-L6-v2.onnx', 'fp16', { version: '-v1.1' }, 'all-MiniLM-L6-v2-FP16-v1.1.onnx'],
    ['Model.ONNX', 'int8', { version: '  ' }, 'Model-INT8.onnx'],
    ['model', 'int8', {}, 'model-INT8.onnx'],
    ['weights.bin', 'fp16', {}, 'weights.bin-FP16.onnx'],
    ['some/folder/encoder.onnx', 'int8', { version: '2025.01+rc1' }, 'encoder-INT8-2025.01+rc1.onnx'],
    ['C:\\models\\bge small.onnx', 'fp16', {}, 'bge small-FP16.onnx'],
    ['model.onnx', 'int8', { template: 'transformers.js' }, 'onnx/model_quantized.onnx'],
    ['onnx/model.onnx', 'int8', { template: 'transformers.js' }, 'onnx/model_quantized.onnx'],
    ['repo/onnx/model.onnx', 'fp16', { template: 'transformers.js' }, 'onnx/model_fp16.onnx'],
    ['onnx/encoder_model.onnx', 'int8', { template: 'transformers.js' }, 'onnx/encoder_model_quantized.onnx'],
  ];
  it.each(table)('%s (%s, %o) -> %s', (input, mode, opts, expected) => {
    const out = outputName(input, mode, opts);
    expect(out.path).toBe(expected);
    expect(out.fileName).toBe(expected.split('/').pop());
    expect(out.folder).toBe(expected.includes('/') ? 'onnx' : null);
  });

  it('the transformers.js layout does not apply a version tag, and says so', () => {
    const out = outputName('model.onnx', 'int8', { template: 'transformers.js', version: 'v2' });
    expect(out.path).toBe('onnx/model_quantized.onnx');
    expect(out.notes.join()).toMatch(/version tag "v2" not applied/);
  });

  it('renders the template for a preview, never throwing', () => {
    expect(templatePattern('int8')).toBe('<name>-INT8.onnx');
    expect(templatePattern('fp16', { version: 'v1.1' })).toBe('<name>-FP16-v1.1.onnx');
    expect(templatePattern('fp16', { template: 'transformers.js' })).toBe('onnx/<name>_fp16.onnx');
    expect(previewName('int8', { version: 'v3' })).toEqual({
      ok: true,
      path: 'model-INT8-v3.onnx',
      pattern: '<name>-INT8-v3.onnx',
      notes: [],
    });
    expect(previewName('fp16', {}, 'bge-small.onnx')).toMatchObject({ ok: true, path: 'bge-small-FP16.onnx' });
    const bad = previewName('int8', { version: '../x' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/path separator/);
  });

  it('refuses unsafe names and tags', () => {
    for (const input of [
      '.onnx',
      '',
      '/',
      'dir/',
      '...onnx',
      '...ONNX',
      '../..',
      'a/.onnx',
      'bad\u0000name.onnx',
      `${'x'.repeat(201)}.onnx`,
    ])
      expect(() => outputName(input, 'int8'), input).toThrow(NamingError);
    for (const version of ['v1/2', 'v1\\2', '..', 'v1..2', '-../x', 'v 1', 'v1;rm', '.hidden', 'v1.', 'x'.repeat(33), 'ü1'])
      expect(() => outputName('model.onnx', 'int8', { version }), version).toThrow(NamingError);
    expect(() => outputName('model.onnx', 'int4' as OutputMode)).toThrow(/unknown output mode/);
    expect(() => outputName('model.onnx', 'int8', { template: 'flat' as 'suffix' })).toThrow(/unknown naming template/);
    expect(normalizeVersionTag('--v1')).toBe('v1');
    expect(normalizeVersionTag(null)).toBeNull();
    expect(baseName('x/y/z.onnx')).toBe('z');
  });

  it('makes colliding outputs unique, case-insensitively, avoiding taken names', () => {
    const names = ['a/model.onnx', 'b/model.onnx', 'c/MODEL.onnx'].map((n) => outputName(n, 'int8').path);
    expect(uniqueNames(names)).toEqual(['model-INT8.onnx', 'model-INT8-2.onnx', 'MODEL-INT8-3.onnx']);
    expect(uniqueNames(['x-FP16.onnx'], ['X-fp16.onnx'])).toEqual(['x-FP16-2.onnx']);
    expect(uniqueNames(['onnx/model_quantized.onnx', 'onnx/model_quantized.onnx'])).toEqual([
      'onnx/model_quantized.onnx',
      'onnx/model_quantized-2.onnx',
    ]);
  });
});

describe('already quantized?', () => {
  it('recognises quantized names', () => {
    const yes: [string, string][] = [
      ['model-INT8.onnx', '-INT8'],
      ['model-fp16.onnx', '-fp16'],
      ['model-INT8-v1.1.onnx', '-INT8'],
      ['dir/model_quantized.onnx', '_quantized'],
      ['model_FP16.ONNX', '_FP16'],
      ['model_int8.onnx', '_int8'],
      ['model_uint8.onnx', '_uint8'],
      ['model_q4.onnx', '_q4'],
      ['model_q4f16.onnx', '_q4f16'],
      ['model_bnb4.onnx', '_bnb4'],
      ['model-INT8', '-INT8'],
    ];
    for (const [name, suffix] of yes) {
      expect(quantizedNameSuffix(name), name).toBe(suffix);
      expect(isAlreadyQuantizedName(name), name).toBe(true);
    }
    for (const name of [
      'model.onnx',
      'int8-model.onnx',
      'model-int8x.onnx',
      'model_quantized_v2.onnx',
      'fp16/model.onnx',
      'modelINT8.onnx',
      'model.int8.onnx',
    ])
      expect(isAlreadyQuantizedName(name), name).toBe(false);
  });

  it('decides with the model evidence first, then the name', () => {
    const plain = { quantized: { quantized: false, evidence: [] }, metadata: {} };
    expect(skipDecision('model.onnx', plain)).toEqual({ skip: false, reason: 'not quantized', by: null });
    expect(skipDecision('model.onnx')).toEqual({ skip: false, reason: 'not quantized', by: null });

    const ours = skipDecision('model.onnx', { quantized: { quantized: true, evidence: ['x'] }, metadata: { 'ava.quantization': '{}' } });
    expect(ours).toMatchObject({ skip: true, by: 'metadata' });
    expect(ours.reason).toMatch(/INT8 by AVA Quantizer/);
    expect(skipDecision('model.onnx', { metadata: { 'ava.conversion': '{}' } })).toMatchObject({
      skip: true,
      by: 'metadata',
      reason: expect.stringMatching(/FP16/),
    });

    const card = skipDecision('model.onnx', {
      quantized: { quantized: true, evidence: ['MatMulInteger nodes (36)', 'int8 weights (21.9 MiB)'] },
      metadata: {},
    });
    expect(card).toEqual({ skip: true, reason: 'already quantized: MatMulInteger nodes (36), int8 weights (21.9 MiB)', by: 'model' });

    expect(skipDecision('model-INT8.onnx')).toEqual({
      skip: true,
      reason: 'the name ends in "-INT8", which marks an already quantized model',
      by: 'name',
    });
    // The seed's rule: the name alone skips, and the reason says the model itself shows no sign of it.
    const renamed = skipDecision('model_quantized.onnx', plain);
    expect(renamed.skip).toBe(true);
    expect(renamed.by).toBe('name');
    expect(renamed.reason).toMatch(/no sign of quantization/);

    const forced = skipDecision('model-FP16.onnx', undefined, { force: true });
    expect(forced).toEqual({
      skip: false,
      reason: 'the name ends in "-FP16", which marks an already quantized model; processing it anyway (forced)',
      by: 'name',
    });
  });

  it('does not trip over prototype keys in untrusted metadata', () => {
    expect(skipDecision('m.onnx', { metadata: JSON.parse('{"__proto__": {"ava.quantization": "x"}, "constructor": "y"}') }).skip).toBe(
      false,
    );
  });
});
