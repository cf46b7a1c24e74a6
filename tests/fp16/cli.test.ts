import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT as FP16_EXIT } from '../../src/cli/io.js';
import { run as runCli } from '../../src/cli/main.js';
import { fixture, pathOf } from '../helpers/fixtures.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(['quantize', ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('quantize <in> <out> fp16 (CLI)', () => {
  let dir: string;
  let input: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ava-fp16-cli-'));
    input = join(dir, 'in.onnx');
    copyFileSync(pathOf(fixture('openwakeword-hello-deepa')), input);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a weight kept float32 under a lowered --max-finite says it is beyond that bound, not beyond float16', async () => {
    const r = await run([input, join(dir, 'bound.onnx'), 'fp16', '--max-finite', '0.1']);
    expect(r.code, r.err).toBe(FP16_EXIT.ok);
    expect(r.out).toMatch(/Kept float32 weight\s+\S+ \(largest \|x\| [\d.]+ is beyond --max-finite 0\.1\)/);
    expect(r.out).not.toMatch(/is beyond float16/);
    rmSync(join(dir, 'bound.onnx'));
  });

  it('converts, prints the size report, never touches the input, leaves no temp file', async () => {
    const before = sha(input);
    const out = join(dir, 'out.onnx');
    const r = await run([input, out, 'fp16']);
    expect(r.code, r.err).toBe(FP16_EXIT.ok);
    expect(sha(input)).toBe(before);
    expect(r.out).toMatch(/Original size\s+0\.30 MB \(316,022 bytes\)/);
    expect(r.out).toMatch(/Quantized size\s+0\.15 MB \([\d,]+ bytes\)/);
    expect(r.out).toMatch(/Size reduction\s+49\.\d%\nSaved\s+0\.15 MB/);
    expect(r.out).toMatch(/Clamped\s+0/);
    expect(r.out).toMatch(/Largest magnitude\s+\d\.\d{4}/);
    expect(r.out).toMatch(/Pow ×2\s+normalisation statistic: float32 from the squares/);
    expect(readdirSync(dir).sort()).toEqual(['in.onnx', 'out.onnx']);
    const s = await ort.InferenceSession.create(out);
    expect(s.inputNames).toEqual(['onnx::Flatten_0']);
    await s.release();
  });

  it('refuses an existing output (5) unless --force; --json gives the report', async () => {
    const out = join(dir, 'exists.onnx');
    writeFileSync(out, 'keep me');
    const r = await run([input, out, 'fp16']);
    expect(r.code).toBe(FP16_EXIT.outputExists);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    const f = await run([
      input,
      out,
      'fp16',
      '--force',
      '--json',
      '--no-keep-io-types',
      '--op-block-list',
      'Relu,Sigmoid',
      '--max-finite=60000',
    ]);
    expect(f.code, f.err).toBe(FP16_EXIT.ok);
    const rep = JSON.parse(f.out);
    expect(rep).toMatchObject({
      mode: 'fp16',
      output: out,
      options: { keepIoTypes: false, opBlockList: ['Relu', 'Sigmoid'], maxFinite: 60000 },
    });
    expect(rep.keptOps.map((k: { op: string }) => k.op).sort()).toEqual(['Add', 'Div', 'Pow', 'ReduceMean', 'Relu', 'Sigmoid', 'Sqrt']);
    expect(rep.outputBytes).toBe(readFileSync(out).length);
  });

  it('exit codes: usage 2, not found 3, bad model 4', async () => {
    expect((await run([input])).code).toBe(FP16_EXIT.usage);
    expect((await run([input, join(dir, 'x.onnx'), 'int3'])).code).toBe(FP16_EXIT.usage);
    expect((await run([input, join(dir, 'x.onnx'), 'fp16', '--bogus'])).code).toBe(FP16_EXIT.usage);
    expect((await run([input, join(dir, 'x.onnx'), 'fp16', '--max-finite', '1e6'])).code).toBe(FP16_EXIT.usage);
    expect((await run([input, join(dir, 'x.onnx'), 'fp16', '--min-positive', 'abc'])).code).toBe(FP16_EXIT.usage);
    expect((await run([input, input, 'fp16', '--force'])).code).toBe(FP16_EXIT.usage);
    expect((await run([join(dir, 'missing.onnx'), join(dir, 'x.onnx'), 'fp16'])).code).toBe(FP16_EXIT.notFound);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'this is not a model at all');
    const bad = await run([junk, join(dir, 'x.onnx'), 'fp16']);
    expect(bad.code).toBe(FP16_EXIT.badModel);
    expect(bad.err).toMatch(/not an ONNX model/);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
    expect((await run(['--help'])).code).toBe(FP16_EXIT.ok);
  });

  it('disk full: exit 6, nothing left behind (on a 64 KiB tmpfs; needs root, as on the dev machines and CI)', async () => {
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    try {
      const r = await run([input, join(mnt, 'out.onnx'), 'fp16']);
      expect(r.code).toBe(FP16_EXIT.diskFull);
      expect(r.err).toMatch(/disk full/);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
