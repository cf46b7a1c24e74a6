import { describe, expect, it } from 'vitest';
import { hashBytes, parseManifest, manifestToJson } from '../../src/core/batch/index.js';
import { decodeReport, encodeReport } from '../../src/core/share/index.js';
import {
  batchManifest,
  namingOptions,
  outputReport,
  planNames,
  recordedHashes,
  siblingsOf,
  zipFileName,
  type RowOutcome,
} from '../../src/app/batch/plan.js';
import { smallRuns, TOOL } from '../batch/helpers.js';

describe('batch plan', () => {
  it('names every model x mode uniquely, and reports unusable names per model', () => {
    const tjs = planNames(['a/model.onnx', 'b/model.onnx'], ['int8', 'fp16'], { template: 'transformers.js' });
    // The zip keeps the folders: each output beside its input (in its onnx/ folder for transformers.js).
    expect(tjs.map((p) => p.names)).toEqual([
      { int8: 'a/onnx/model_quantized.onnx', fp16: 'a/onnx/model_fp16.onnx' },
      { int8: 'b/onnx/model_quantized.onnx', fp16: 'b/onnx/model_fp16.onnx' },
    ]);
    expect(
      planNames(['repo/onnx/model.onnx', 'models/more/a.onnx'], ['int8'], { template: 'transformers.js' }).map((p) => p.names.int8),
    ).toEqual(['repo/onnx/model_quantized.onnx', 'models/more/onnx/a_quantized.onnx']);
    expect(planNames(['models/more/a.onnx', 'models/a.onnx'], ['fp16'], {}).map((p) => p.names.fp16)).toEqual([
      'models/more/a-FP16.onnx',
      'models/a-FP16.onnx',
    ]);
    // Two inputs that would write the same file still get unique names.
    expect(planNames(['m/x.onnx', 'M/x.onnx'], ['int8'], {}).map((p) => p.names.int8)).toEqual(['m/x-INT8.onnx', 'M/x-INT8-2.onnx']);
    const suffix = planNames(['x.onnx', 'bad\u0001.onnx'], ['int8'], namingOptions({ template: 'suffix', version: 'v1.1' }));
    expect(suffix[0]).toEqual({ names: { int8: 'x-INT8-v1.1.onnx' }, error: null });
    expect(suffix[1]!.names).toEqual({});
    expect(suffix[1]!.error).toMatch(/control characters/);
    // manifest.json is reserved in the zip.
    expect(planNames(['manifest.json.onnx'], ['int8'], {})[0]!.names.int8).toBe('manifest.json-INT8.onnx');
    expect(namingOptions({ template: 'transformers.js', version: 'v2' }).version).toBeNull();
  });

  it('keeps siblings in the same folder only', () => {
    const f = (path: string) => ({ path, file: new File([], path.split('/').pop()!) });
    const all = [f('m/a.onnx'), f('m/a.onnx_data'), f('m/sub/b.onnx'), f('tokenizer.json')];
    expect(siblingsOf('m/a.onnx', all).map((p) => p.path)).toEqual(['m/a.onnx_data']);
    expect(siblingsOf('x.onnx', all).map((p) => p.path)).toEqual(['tokenizer.json']);
  });

  it('builds a manifest, per-output reports that survive a share link, and the recorded-hash list', async () => {
    const runs = await smallRuns();
    const input = await hashBytes(runs.bytes);
    const out = await hashBytes(runs.int8.parts);
    const createdAt = '2025-01-31T12:00:00.000Z';
    const rows: RowOutcome[] = [
      {
        path: 'dir/hello.onnx',
        input,
        outputs: [{ mode: 'int8', name: 'hello-INT8.onnx', digests: out, report: runs.int8.report }],
        skipped: null,
        skippedOutputs: [],
        failures: ['FP16 failed: boom'],
      },
      { path: 'dir/hello-INT8.onnx', input: null, outputs: [], skipped: 'already quantized', skippedOutputs: [], failures: [] },
    ];
    const m = batchManifest(rows, TOOL, createdAt);
    expect(parseManifest(manifestToJson(m))).toEqual(m);
    expect(m.inputs).toEqual([{ name: 'dir/hello.onnx', ...input }]);
    expect(m.outputs[0]).toMatchObject({
      name: 'hello-INT8.onnx',
      source: 'dir/hello.onnx',
      sha256: out.sha256,
      md5: out.md5,
      bytes: out.bytes,
      mode: 'int8',
    });
    expect(m.skipped).toEqual([
      { name: 'dir/hello.onnx', reason: 'FP16 failed: boom' },
      { name: 'dir/hello-INT8.onnx', reason: 'already quantized' },
    ]);
    const r = outputReport(rows[0]!, rows[0]!.outputs[0]!, TOOL, createdAt);
    expect(decodeReport(encodeReport(r))).toEqual(r);
    expect(r.source).toEqual({ name: 'dir/hello.onnx', ...input });
    expect(r.output).toEqual({ name: 'hello-INT8.onnx', ...out });

    const rec = recordedHashes([
      { name: 'dir/hello.onnx', role: 'input', sha256: input.sha256, md5: input.md5 },
      { name: 'dir/hello.onnx', role: 'input', sha256: input.sha256, md5: null },
    ]);
    expect(rec).toEqual([
      { label: 'hello.onnx (input) · SHA-256', value: input.sha256 },
      { label: 'hello.onnx (input) · MD5', value: input.md5 },
    ]);
  });

  it('names the zip after the local date and time', () => {
    expect(zipFileName(new Date(2025, 0, 31, 9, 5, 7))).toBe('ava-quantizer-batch-2025-01-31-090507.zip');
  });
});
