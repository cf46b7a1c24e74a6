/**
 * Tensor work on worker threads (src/node/tensor-workers.ts, src/core/offload.ts) by the real CLI: INT8 and FP16.
 * Forced on (AVA_QUANT_WORKERS=1) for all-MiniLM-L6-v2, one file and one data file per tensor: the workers take
 * weights and the output is byte-identical to one thread's. A weight holding NaN fails with the message and exit code
 * of one thread (the worker's failure makes the main thread quantize that weight and raise its own error). By default
 * a model under 256 MiB gets no worker.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from '../../src/core/onnx/open.js';
import { modelFilesOf } from '../../src/node/files.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { tensorWorkerCount } from '../../src/node/tensor-workers.js';

const EPOCH = '1796040000';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-workers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `quantize <model> <out> <mode> --json` with AVA_QUANT_WORKERS=`workers` (unset: the CLI's choice). */
function quantize(model: string, out: string, workers?: '0' | '1', mode: 'int8' | 'fp16' = 'int8') {
  const env: Record<string, string> = { SOURCE_DATE_EPOCH: EPOCH, AVA_QUANT_HASH_CACHE: '0' };
  if (workers) env.AVA_QUANT_WORKERS = workers;
  return runCli(['quantize', model, out, mode, '--json'], env);
}

/** The --json report without what differs between runs (times, output path, the threads' own figures). */
function report(out: string): Record<string, unknown> {
  const { totalMs: _t, durationMs: _d, output: _o, tensorThreads: _w, ...rest } = JSON.parse(out) as Record<string, unknown>;
  return rest;
}

describe('tensor work on worker threads', () => {
  for (const name of [MINILM, 'all-MiniLM-L6-v2-external-per-tensor'])
    for (const mode of ['int8', 'fp16'] as const)
      it(`${name} ${mode}: the workers take tensors; output and report are byte-identical to one thread's`, () => {
        const one = quantize(pathOf(fixture(name)), join(dir, `${name}-${mode}-1.onnx`), '0', mode);
        const many = quantize(pathOf(fixture(name)), join(dir, `${name}-${mode}-n.onnx`), '1', mode);
        expect(one.code, one.err).toBe(0);
        expect(many.code, many.err).toBe(0);
        expect(JSON.parse(one.out).tensorThreads).toBeNull();
        const stats = JSON.parse(many.out).tensorThreads as { threads: number; tasks: number; bytes: number };
        expect(stats.threads).toBeGreaterThanOrEqual(1);
        expect(stats.tasks).toBeGreaterThan(0);
        expect(stats.bytes).toBeGreaterThanOrEqual(stats.tasks * (256 << 10));
        expect(report(many.out)).toEqual(report(one.out));
        const a = readFileSync(join(dir, `${name}-${mode}-1.onnx`));
        const b = readFileSync(join(dir, `${name}-${mode}-n.onnx`));
        expect(Buffer.compare(a, b)).toBe(0);
      });

  it('weights holding NaN fail as on one thread (same message, same exit code)', async () => {
    // all-MiniLM-L6-v2 with NaN as the first value of every MatMul weight of 256 KiB or more: the first of them the
    // workers take fails there and is quantized again on the main thread, which names the weight.
    const src = pathOf(fixture(MINILM));
    const files = modelFilesOf(src);
    let offsets: number[];
    try {
      const { model } = await openModel(files);
      const matmulB = new Set(model.graph.nodes.filter((n) => n.opType === 'MatMul').map((n) => n.inputs[1]));
      offsets = model.graph.initializers
        .filter((t) => matmulB.has(t.name) && t.data && t.data.length >= 256 << 10)
        .map((t) => t.data!.offset);
    } finally {
      await files.close();
    }
    expect(offsets.length).toBeGreaterThan(10);
    const bytes = readFileSync(src);
    for (const o of offsets) bytes.writeFloatLE(NaN, o);
    const bad = join(dir, 'nan.onnx');
    writeFileSync(bad, bytes);

    const one = quantize(bad, join(dir, 'nan-1.onnx'), '0');
    const many = quantize(bad, join(dir, 'nan-n.onnx'), '1');
    expect(one.code).not.toBe(0);
    expect((JSON.parse(one.out) as { error: { message: string } }).error.message).toMatch(/tensor '.+' contains NaN values/);
    expect(many.code).toBe(one.code);
    expect(many.out).toBe(one.out);
    expect(many.err).toBe(one.err);
  });

  it('batch: the same outputs and manifest digests with workers forced as without', () => {
    const runs = (['0', '1'] as const).map((w) => {
      const d = join(dir, `batch-${w}`);
      mkdirSync(d);
      copyFileSync(pathOf(fixture(MINILM)), join(d, 'model.onnx'));
      const r = runCli(['batch', d, '--modes', 'int8,fp16', '--json'], { SOURCE_DATE_EPOCH: EPOCH, AVA_QUANT_WORKERS: w });
      expect(r.code, r.err).toBe(0);
      const m = JSON.parse(r.out) as { manifest: { outputs: { name: string; sha256: string }[] } };
      return m.manifest.outputs.map((o) => [o.name, o.sha256]);
    });
    expect(runs[0]!.length).toBe(2);
    expect(runs[1]).toEqual(runs[0]);
  });

  it('by default a model under 256 MiB gets none', () => {
    const r = quantize(pathOf(fixture(MINILM)), join(dir, 'default.onnx'));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).tensorThreads).toBeNull();
  });
});

describe('how many workers the CLI starts (tensorWorkerCount)', () => {
  const big = { mode: 'int8', inputBytes: 2 ** 31, hashingBytes: 0 };
  it('INT8 of a big model with external data (its small .onnx hashed at once): a worker per spare core, at most 3', () => {
    expect(tensorWorkerCount(big, {}, 2)).toBe(1);
    expect(tensorWorkerCount(big, {}, 8)).toBe(3);
    expect(tensorWorkerCount(big, {}, 1)).toBe(0);
  });
  it('a one-file model whose hash is being computed leaves one core fewer; remembered, it does not', () => {
    expect(tensorWorkerCount({ ...big, hashingBytes: 470e6 }, {}, 2)).toBe(0);
    expect(tensorWorkerCount({ ...big, hashingBytes: 470e6 }, {}, 4)).toBe(2);
    expect(tensorWorkerCount({ ...big, hashingBytes: 0 }, {}, 2)).toBe(1);
  });
  it('none for FP16 or a model under 256 MiB; AVA_QUANT_WORKERS=1 forces them, =0 forbids them', () => {
    expect(tensorWorkerCount({ ...big, mode: 'fp16' }, {}, 2)).toBe(0);
    expect(tensorWorkerCount({ ...big, inputBytes: 200 << 20 }, {}, 2)).toBe(0);
    expect(tensorWorkerCount({ ...big, mode: 'fp16', inputBytes: 1 }, { AVA_QUANT_WORKERS: '1' }, 2)).toBe(1);
    expect(tensorWorkerCount({ ...big, mode: 'fp16', inputBytes: 1 }, { AVA_QUANT_WORKERS: '1' }, 1)).toBe(1);
    expect(tensorWorkerCount(big, { AVA_QUANT_WORKERS: '0' }, 8)).toBe(0);
  });
});
