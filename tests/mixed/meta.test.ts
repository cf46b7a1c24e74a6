/**
 * A mixed-precision output (target mode's answer) explains itself like a mode's output: its record reads as mode
 * 'mixed' (MIXED), it counts as already quantized (by its metadata and by its -MIXED name), and its name is
 * <base>-MIXED.onnx.
 */
import { describe, expect, it } from 'vitest';
import { buildMix } from '../../src/core/mixed/index.js';
import { MIXED_META, mixedFileName } from '../../src/core/mixed/meta.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { summarize } from '../../src/core/onnx/inspect.js';
import { describeProvenance } from '../../src/core/provenance.js';
import { alreadyQuantized } from '../../src/core/modes/already.js';
import { isAlreadyQuantizedName, quantizedNameSuffix } from '../../src/core/batch/naming.js';
import { MINILM, bytesOf, fixture } from '../helpers/fixtures.js';

describe('mixed-precision outputs: name, provenance, already quantized', () => {
  it('a mix records mode "mixed", read back as MIXED with its source; the card and runMode call it already quantized', async () => {
    const provenance = { source: { name: 'model.onnx', sha256: 'ab'.repeat(32) }, toolVersion: '9.9.9', date: '2026-01-01T00:00:00.000Z' };
    const mix = await buildMix(
      parseModel(bytesOf(fixture(MINILM))),
      { embeddings: 'int8', 'layer.0': 'fp16', 'layer.1': 'q4' },
      { provenance },
    );
    const out = parseModel(mix.bytes);
    const p = describeProvenance(out.metadata, { name: out.producerName, version: out.producerVersion })!;
    expect(p.mode).toBe('mixed');
    expect(p.problems).toEqual([]);
    expect(p.summary).toMatch(/^MIXED by ava-quantizer 9\.9\.9/);
    expect(p.source).toEqual({ name: 'model.onnx', sha256: 'ab'.repeat(32) });
    expect(p.options.map((o) => o.key)).toContain('assignment');
    const s = summarize(out, { fileName: 'model-MIXED.onnx' }, mix.bytes.length);
    expect(alreadyQuantized({ quantized: s.quantized, metadata: s.metadata })?.reason).toMatch(/^already quantized to MIXED by /);
  });

  it('names: <base>-MIXED.onnx, recognised as quantized (with a version tag too, and the transformers.js form)', () => {
    expect(mixedFileName('onnx/model.onnx')).toBe('model-MIXED.onnx');
    expect(mixedFileName('C:\\models\\e5.ONNX')).toBe('e5-MIXED.onnx');
    expect(quantizedNameSuffix('model-MIXED.onnx')).toBe(MIXED_META.suffix);
    expect(isAlreadyQuantizedName('model-MIXED-v1.1.onnx')).toBe(true);
    expect(isAlreadyQuantizedName('onnx/model_mixed.onnx')).toBe(true);
    expect(isAlreadyQuantizedName('mixed.onnx')).toBe(false);
  });
});
