/** `quantize <in> <out> int8`, end to end through the CLI's run() (src/cli/main.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/main.js';

const runQuantizeCommand = (args: string[], io: Parameters<typeof run>[1]) => run(['quantize', ...args], io);
import { parseModel } from '../../src/core/onnx/model.js';
import { fixture, pathOf } from '../helpers/fixtures.js';
import { buildModel, values } from '../helpers/tiny-model.js';
import { session, sha256 } from './helpers.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), isTTY: false }, out, err };
}

describe('ava-quant quantize ... int8', () => {
  let dir: string;
  let input: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ava-int8-cli-'));
    input = pathOf(fixture('openwakeword-hello-deepa'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the model and prints the size report', async () => {
    const before = sha256(readFileSync(input));
    const out = join(dir, 'a.onnx');
    const c = io();
    const code = await runQuantizeCommand([input, out, 'int8', '--preset', 'tjs-q8'], c.io);
    expect(code, c.err.join('')).toBe(0);
    const text = c.out.join('');
    for (const label of [
      'Input',
      'Output',
      'Mode',
      'Original size',
      'Quantized size',
      'Size reduction',
      'Saved',
      'Time',
      'Nodes rewritten',
    ])
      expect(text).toMatch(new RegExp(`^${label}\\s`, 'm'));
    expect(text).toMatch(/Original size\s+\d+\.\d\d MB \([\d,]+ bytes\)/);
    expect(text).toMatch(/Size reduction\s+\d+\.\d%/);
    expect(text).toMatch(/Nodes rewritten\s+.*Gemm 3.*MatMul 3|Nodes rewritten\s+.*MatMul 3.*Gemm 3/);
    expect(sha256(readFileSync(input))).toBe(before);
    const bytes = new Uint8Array(readFileSync(out));
    expect(parseModel(bytes).producerName).toBe('onnx.quantize');
    await (await session(bytes)).release();
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('refuses an existing output unless --force', async () => {
    const out = join(dir, 'exists.onnx');
    writeFileSync(out, 'keep me');
    const c = io();
    expect(await runQuantizeCommand([input, out, 'int8'], c.io)).toBe(5);
    expect(c.err.join('')).toMatch(/exists/);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
    expect(await runQuantizeCommand([input, out, 'int8', '--force'], io().io)).toBe(0);
    expect(readFileSync(out).length).toBeGreaterThan(1000);
  });

  it('--json gives the report', async () => {
    const c = io();
    expect(await runQuantizeCommand([input, join(dir, 'j.onnx'), 'int8', '--per-channel', '--json'], c.io)).toBe(0);
    const r = JSON.parse(c.out.join('')) as {
      mode: string;
      rewritten: Record<string, number>;
      options: { perChannel: boolean };
      outputBytes: number;
    };
    expect(r.mode).toBe('int8');
    expect(r.options.perChannel).toBe(true);
    expect(r.rewritten).toMatchObject({ Gemm: 3, MatMul: 3 });
    expect(r.outputBytes).toBe(readFileSync(join(dir, 'j.onnx')).length);
  });

  it('exit codes: usage 2, not found 3, bad model 4 (also for a refusal), no output left behind', async () => {
    expect(await runQuantizeCommand([input, join(dir, 'u.onnx'), 'int8', '--preset', 'nope'], io().io)).toBe(2);
    expect(await runQuantizeCommand([input, join(dir, 'u.onnx'), 'int8', '--weight-type', 'int4'], io().io)).toBe(2);
    expect(await runQuantizeCommand([input], io().io)).toBe(2);
    expect(await runQuantizeCommand([join(dir, 'missing.onnx'), join(dir, 'u.onnx'), 'int8'], io().io)).toBe(3);
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'this is not a model at all');
    expect(await runQuantizeCommand([junk, join(dir, 'u.onnx'), 'int8'], io().io)).toBe(4);
    const old = join(dir, 'old.onnx');
    writeFileSync(
      old,
      buildModel({
        opset: 5,
        nodes: [{ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: 'mm' }],
        inits: [{ name: 'W', dims: [4, 2], values: values(8) }],
        inputs: [['x', 1, [1, 4]]],
        outputs: [['y', 1, null]],
      }),
    );
    const c = io();
    expect(await runQuantizeCommand([old, join(dir, 'u.onnx'), 'int8'], c.io)).toBe(4);
    expect(c.err.join('')).toMatch(/opset 5/);
    expect(existsSync(join(dir, 'u.onnx'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});
