/**
 * Nothing half-written (issue 15): a CLI run that is cancelled (SIGINT / SIGTERM while the output is being written)
 * or that fails while writing leaves no output and no temporary file, and the input is unchanged.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModel } from '../../src/core/onnx/model.js';
import { atomicFileSink, removePendingTempFiles } from '../../src/node/files.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'ava-quant.mjs');
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-cancel-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `quantize`, waits until its temporary output file exists, sends `signal`, and returns how it ended. */
async function cancelWhileWriting(
  mode: 'int8' | 'fp16',
  signal: NodeJS.Signals,
  sub: string,
  extra: string[] = [],
  env: Record<string, string> = {},
) {
  const d = join(dir, sub);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d);
  const input = join(d, 'model.onnx');
  copyFileSync(pathOf(fixture(MINILM)), input);
  const before = sha(input);
  const out = join(d, `model-${mode}.onnx`);
  const child = spawn(process.execPath, [BIN, 'quantize', input, out, mode, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((ok) =>
    child.on('exit', (code, sig) => ok({ code, signal: sig })),
  );
  let sawTemp = false;
  for (let i = 0; i < 3000 && child.exitCode === null; i++) {
    if (readdirSync(d).some((f) => f.startsWith('.model-') && f.includes('.tmp-'))) {
      sawTemp = true;
      child.kill(signal);
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const end = await exited;
  return { sawTemp, end, stderr, stdout, files: readdirSync(d).sort(), inputUnchanged: sha(input) === before };
}

describe('a cancelled CLI run leaves nothing behind', () => {
  it.each([
    ['int8', 'SIGINT', 130],
    ['fp16', 'SIGTERM', 143],
    ['fp16', 'SIGHUP', 129], // the terminal closed
    ['int8', 'SIGQUIT', 131],
  ] as const)('%s quantize, %s while the output is being written: exit %i, no output, no temporary file', async (mode, signal, code) => {
    const r = await cancelWhileWriting(mode, signal, `${mode}-${signal}`);
    expect(r.sawTemp, 'the temporary output existed when the signal was sent').toBe(true);
    expect(r.end.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(/^ava-quant: cancelled \(removed 1 unfinished output file\)$/m);
    expect(r.files).toEqual(['model.onnx']);
    expect(r.inputUnchanged).toBe(true);
  });
});

describe('cancelled while worker threads quantize weights (src/node/quantize-pool.ts)', () => {
  it('int8, SIGINT: exit 130, no output, no temporary file, and the process does not wait for the workers', async () => {
    const r = await cancelWhileWriting('int8', 'SIGINT', 'workers', [], { AVA_QUANT_WORKERS: '1' });
    expect(r.sawTemp).toBe(true);
    expect(r.end.code, r.stderr).toBe(130);
    expect(r.files).toEqual(['model.onnx']);
    expect(r.inputUnchanged).toBe(true);
  });
});

describe('cancelled with --json, or with its stderr closed', () => {
  it('--json: the cancellation is also a JSON error on stdout, as every other error', async () => {
    const r = await cancelWhileWriting('fp16', 'SIGTERM', 'json', ['--json']);
    expect(r.sawTemp).toBe(true);
    expect(r.end.code, r.stderr).toBe(143);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 143, message: 'cancelled (removed 1 unfinished output file)' } });
    expect(r.files).toEqual(['model.onnx']);
  });

  it('stderr piped into a reader that quits at once (`2>&1 | head -1`): the run finishes, the output is whole, no temporary file', async () => {
    const d = join(dir, 'epipe');
    mkdirSync(d, { recursive: true });
    const out = join(d, 'out.onnx');
    const child = spawn(process.execPath, [BIN, 'quantize', pathOf(fixture(MINILM)), out, 'fp16'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.once('data', () => child.stderr.destroy()); // the reader goes away after its first line
    const code = await new Promise<number | null>((ok) => child.on('exit', (c) => ok(c)));
    expect(code).toBe(0);
    expect(readdirSync(d)).toEqual(['out.onnx']);
    expect(parseModel(new Uint8Array(readFileSync(out))).graph.initializers.length).toBeGreaterThan(0);
  });
});

describe('a CLI run that fails while writing leaves nothing behind', () => {
  it('INT8 meets a NaN weight in the middle of the output (a refusal raised by the tensor work): exit 4, no file', () => {
    const d = join(dir, 'nan');
    mkdirSync(d, { recursive: true });
    const bytes = new Uint8Array(readFileSync(pathOf(fixture('openwakeword-hello-deepa'))));
    const m = parseModel(bytes);
    // The last float weight of a MatMul: its tensor is quantized while the output is written, after earlier pieces.
    const w = [...m.graph.initializers].reverse().find((t) => t.dataType === 1 && t.rawData && t.rawData.length >= 1024)!;
    expect(w).toBeDefined();
    const at = w.rawData!.byteOffset - bytes.byteOffset + 16;
    new DataView(bytes.buffer).setFloat32(at, NaN, true);
    const input = join(d, 'nan.onnx');
    writeFileSync(input, bytes);
    const before = sha(input);
    const r = spawnSync(process.execPath, [BIN, 'quantize', input, join(d, 'out.onnx'), 'int8'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/contains NaN values/);
    expect(readdirSync(d)).toEqual(['nan.onnx']);
    expect(sha(input)).toBe(before);
  });
});

describe('a signal while the temp output file is being opened', () => {
  it('the temp file exists as soon as the sink is asked for, so the signal handler removes it and nothing comes back', async () => {
    const d = join(dir, 'opening');
    mkdirSync(d, { recursive: true });
    // What the signal handler does, at the worst moment: right after the sink was asked for, before its open settled
    // (an asynchronous create still queued behind reads in the I/O thread pool used to make the file afterwards).
    const pending = atomicFileSink(join(d, 'out.onnx'));
    expect(readdirSync(d)).toHaveLength(1);
    expect(removePendingTempFiles()).toHaveLength(1);
    // The open (no O_CREAT) either failed on the removed file or had already opened it: either way nothing is made.
    const sink = await pending.catch(() => null);
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(d)).toEqual([]);
    await sink?.abort();
    expect(readdirSync(d)).toEqual([]);
  });
});
