/**
 * --fsync (quantize, batch, target mode): the output is flushed to disk before it is put in place; the bytes are the
 * same as without it (the default writes as cp and onnx.save do, unflushed). Unknown elsewhere it is refused.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { parseTargetArgs } from '../../src/cli/target-mode.js';

const env = { SOURCE_DATE_EPOCH: '1796040000', AVA_QUANT_HASH_CACHE: '0' };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-fsync-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--fsync', () => {
  it('quantize: the same bytes with and without it, for INT8 and FP16 (also split with --external-data)', () => {
    for (const mode of ['int8', 'fp16']) {
      const plain = runCli(['quantize', pathOf(fixture(MINILM)), join(dir, `${mode}.onnx`), mode], env);
      const synced = runCli(['quantize', pathOf(fixture(MINILM)), join(dir, `${mode}-s.onnx`), mode, '--fsync'], env);
      expect(plain.code, plain.err).toBe(0);
      expect(synced.code, synced.err).toBe(0);
      expect(Buffer.compare(readFileSync(join(dir, `${mode}.onnx`)), readFileSync(join(dir, `${mode}-s.onnx`)))).toBe(0);
    }
    const split = runCli(['quantize', pathOf(fixture(MINILM)), join(dir, 'split.onnx'), 'int8', '--external-data', '--fsync'], env);
    expect(split.code, split.err).toBe(0);
    expect(readFileSync(join(dir, 'split.onnx_data')).length).toBeGreaterThan(20e6);
  });

  it('batch takes it, and target mode parses it', () => {
    const d = join(dir, 'batch');
    mkdirSync(d);
    copyFileSync(pathOf(fixture(MINILM)), join(d, 'model.onnx'));
    const r = runCli(['batch', d, '--fsync', '--json'], env);
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as { rows: { status: string }[] }).rows.map((x) => x.status)).toEqual(['ok']);
    expect(parseTargetArgs(['a.onnx', 'b.onnx', 'target', '--min-cosine', '0.99', '--fsync']).flags.fsync).toBe(true);
    expect(parseTargetArgs(['a.onnx', 'b.onnx', 'target', '--min-cosine', '0.99']).flags.fsync).toBe(false);
  });
});
