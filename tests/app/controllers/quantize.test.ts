/**
 * The quantize controller without a DOM: real runs of the core (runMode, as the worker does) on all-MiniLM-L6-v2 and
 * on small ONNX node tests, driven the way the quantize panel drives it.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuantizeController, describeProgress, overallFraction, type QuantizeDeps } from '../../../src/app/controllers/quantize.svelte.js';
import { QualityController } from '../../../src/app/controllers/quality.svelte.js';
import { modelName } from '../../../src/app/names.js';
import { withRelativePath } from '../../../src/app/quality/companions.js';
import { inspectModel } from '../../../src/core/onnx/index.js';
import { fixture, MINILM, nodeTestModels, pathOf } from '../../helpers/fixtures.js';
import { nodeQualityDeps, nodeQuantize } from './node-deps.js';

function source(path: string, rel = basename(path)) {
  const bytes = readFileSync(path);
  const file = withRelativePath(new File([bytes], basename(rel)), rel);
  return { file, externalFiles: [], name: modelName(rel), summary: inspectModel(new Uint8Array(bytes), { fileName: basename(rel) }) };
}

function deps(extra: Partial<QuantizeDeps> = {}) {
  const removed: string[] = [];
  const announced: string[] = [];
  let n = 0;
  const d: QuantizeDeps = {
    quantize: nodeQuantize,
    newJobId: () => `job-${++n}`,
    removeJobFiles: async (id) => void removed.push(id),
    announce: (m) => void announced.push(m),
    now: () => new Date('2026-11-30T12:00:00.000Z'),
    ...extra,
  };
  return { d, removed, announced };
}

describe('QuantizeController', () => {
  it('INT8 then FP16: both results stay side by side, named after the model', async () => {
    const { d, announced } = deps();
    const made: string[] = [];
    d.quality = (r) => (
      made.push(r.name),
      new QualityController(
        { original: { blob: c.source.file, name: 'model.onnx' }, quantized: { blob: r.blob, name: r.name }, sources: () => [] },
        nodeQualityDeps(),
      )
    );
    const c = new QuantizeController(source(pathOf(fixture(MINILM)), 'all-MiniLM-L6-v2/onnx/model.onnx'), d);
    expect(c.mode).toBe('int8');
    expect(c.state).toBe('idle');
    const run = c.start();
    expect(c.busy).toBe(true); // queued behind other cards, then running (here it starts at once)
    expect(c.state).toBe('running');
    await run;
    expect(c.state).toBe('done');
    c.mode = 'fp16';
    await c.start();
    expect(c.results.map((r) => [r.mode, r.name])).toEqual([
      ['int8', 'all-MiniLM-L6-v2-INT8.onnx'],
      ['fp16', 'all-MiniLM-L6-v2-FP16.onnx'],
    ]);
    expect(made).toEqual(['all-MiniLM-L6-v2-INT8.onnx', 'all-MiniLM-L6-v2-FP16.onnx']);
    expect(c.selected).toBe('fp16');
    const [int8, fp16] = c.results;
    const original = c.source.file.size;
    expect(int8!.outputBytes / original).toBeLessThan(0.26);
    expect(fp16!.outputBytes / original).toBeLessThan(0.51);
    expect(int8!.blob.size).toBe(int8!.outputBytes);
    expect(int8!.quality).toBeInstanceOf(QualityController);
    expect(announced).toContain('Quantizing all-MiniLM-L6-v2 to INT8…');
    expect(announced.at(-1)).toMatch(/^all-MiniLM-L6-v2: FP16 done, \d+\.\d+ MiB$/);

    // Running INT8 again and cancelling keeps the finished INT8 result; the state says "cancelled".
    c.mode = 'int8';
    const again = c.start();
    c.cancel();
    await again;
    expect(c.state).toBe('cancelled');
    expect(c.results.map((r) => r.mode)).toEqual(['int8', 'fp16']);
    expect(c.resultFor('int8')).toBe(int8);
    expect(announced.at(-1)).toBe('Cancelled quantization of all-MiniLM-L6-v2');

    // A new INT8 run replaces the old INT8 column only.
    await c.start();
    expect(c.resultFor('int8')).not.toBe(int8);
    expect(c.resultFor('fp16')).toBe(fp16);
    c.dispose();
    expect(c.results).toEqual([]);
  });

  it('refusals are not failures: already quantized, nothing to quantize; "Quantize anyway" goes on', async () => {
    const int8Path = pathOf(fixture(MINILM));
    const made = await nodeQuantize(source(int8Path).file, [], { mode: 'int8', options: {} } as never);
    // As the worker returns it: checked against android-arm64 (no target named), where MiniLM's INT8 runs.
    expect(made.targetCheck).toMatchObject({ target: 'android-arm64', ok: true, unsupported: [] });
    expect(made.targetRequested).toBe(false);
    expect(made.qualityBackend.backend).toBe('wasm');
    const bytes = new Uint8Array(await made.blob.arrayBuffer());
    const file = new File([bytes], 'model-INT8.onnx');
    const quantized = new QuantizeController(
      { file, externalFiles: [], name: modelName('model-INT8.onnx'), summary: inspectModel(bytes, { fileName: 'model-INT8.onnx' }) },
      deps().d,
    );
    expect(quantized.already?.reason).toMatch(/quantized/);
    quantized.mode = 'fp16';
    await quantized.start();
    expect(quantized.state).toBe('refused');
    expect(quantized.refusal?.reason).toBe('already-quantized');
    await quantized.start({ force: true });
    expect(quantized.state).toBe('done');
    expect(quantized.results.map((r) => r.mode)).toEqual(['fp16']);

    const relu = nodeTestModels().find((p) => /[\\/]test_relu[\\/]model\.onnx$/.test(p))!;
    const c = new QuantizeController(source(relu), deps().d);
    await c.start();
    expect(c.state).toBe('refused');
    expect(c.refusal).toMatchObject({ mode: 'int8', reason: 'nothing-to-do' });
    expect(c.refusal!.message).toContain('nothing to quantize');
    expect(c.results).toEqual([]);
  });

  it('a failure is shown as an error and the form stays usable', async () => {
    const adagrad = nodeTestModels().find((p) => /[\\/]test_adagrad[\\/]model\.onnx$/.test(p))!;
    const c = new QuantizeController(source(adagrad), deps().d);
    await c.start();
    expect(c.state).toBe('error');
    expect(c.job.error?.kind).toBe('refused');
    expect(c.busy).toBe(false);
  });

  it('the progress bar and its text say the same percentage', () => {
    const p = { phase: 'parsing' as const, fraction: 0 };
    expect(overallFraction(p)).toBe(0.25);
    expect(describeProgress(p).status).toBe('Parsing the model… 25%');
    expect(describeProgress({ phase: 'reading', fraction: 0.5, done: 512, total: 1024 })).toEqual({
      status: 'Reading the file… 13%',
      detail: '512 bytes of 1.0 KiB',
    });
  });
});
