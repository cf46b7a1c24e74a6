/**
 * `ava-quant batch` run again into the same --out folder (the manifest is merged, not replaced), and the summary
 * of a failed row (sizes that are known are shown, the others are an em dash / null, never 0).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, pathOf } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const cli = (...args: string[]) => runCli(args);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const small = () => pathOf(fixture('openwakeword-hello-deepa'));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-cli-batch-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Entry {
  name: string;
  sha256: string;
  source: string;
}
const manifestOf = (out: string) => JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { inputs: Entry[]; outputs: Entry[] };
const names = (es: Entry[]) => es.map((e) => e.name).sort();

describe('batch into an existing --out folder', () => {
  it("merges the manifest: this run's outputs replace entries of the same name, earlier ones stay while their files exist", () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    const out = join(dir, 'out');
    mkdirSync(a);
    mkdirSync(b);
    copyFileSync(small(), join(a, 'one.onnx'));
    copyFileSync(pathOf(fixture('openwakeword-namaste-deepa')), join(b, 'two.onnx'));

    expect(cli('batch', a, '--modes', 'int8,fp16', '--out', out).code).toBe(0);
    const first = manifestOf(out);
    expect(names(first.outputs)).toEqual(['one-FP16.onnx', 'one-INT8.onnx']);

    // Another folder into the same --out: the earlier outputs keep their entries (and hashes).
    expect(cli('batch', b, '--modes', 'int8', '--out', out).code).toBe(0);
    const second = manifestOf(out);
    expect(names(second.outputs)).toEqual(['one-FP16.onnx', 'one-INT8.onnx', 'two-INT8.onnx']);
    expect(names(second.inputs)).toEqual(['one.onnx', 'two.onnx']);
    for (const o of second.outputs) expect(sha(join(out, o.name)), o.name).toBe(o.sha256);
    expect(second.outputs.find((o) => o.name === 'one-INT8.onnx')).toEqual(first.outputs.find((o) => o.name === 'one-INT8.onnx'));

    // A rerun with --force replaces its own entries; an output whose file was removed leaves the manifest.
    unlinkSync(join(out, 'one-FP16.onnx'));
    expect(cli('batch', b, '--modes', 'int8', '--out', out, '--force').code).toBe(0);
    const third = manifestOf(out);
    expect(names(third.outputs)).toEqual(['one-INT8.onnx', 'two-INT8.onnx']);
    for (const o of third.outputs) expect(sha(join(out, o.name)), o.name).toBe(o.sha256);
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('the summary of a failed row', () => {
  it('shows the input size when it is known and an em dash (null in --json) for what is not, never 0', () => {
    const d = join(dir, 'broken');
    mkdirSync(d);
    const junk = new Uint8Array(300_000).fill(7); // 0.29 MB: not a model
    junk[0] = 0x0f;
    writeFileSync(join(d, 'broken.onnx'), junk);
    const text = cli('batch', d);
    expect(text.code).toBe(1);
    const row = text.out.split('\n').find((l) => l.startsWith('broken.onnx'))!;
    expect(row).toMatch(/^broken\.onnx\s+-\s+failed\s+0\.29 MB\s+—\s+\S/);
    expect(row).not.toMatch(/-\s+failed\s+\S+\s+-\s/);
    const json = cli('batch', d, '--json');
    const [r] = JSON.parse(json.out).rows;
    expect(r).toMatchObject({ file: 'broken.onnx', status: 'failed', inBytes: statSync(join(d, 'broken.onnx')).size, outBytes: null });
  });
});

describe('SOURCE_DATE_EPOCH', () => {
  it("dates the manifest as it dates every output's provenance: two runs of the same folder give the same manifest, durations aside", () => {
    const a = join(dir, 'epoch-in');
    mkdirSync(a);
    copyFileSync(small(), join(a, 'one.onnx'));
    const manifests = ['epoch-1', 'epoch-2'].map((o) => {
      const out = join(dir, o);
      const r = runCli(['batch', a, '--modes', 'int8', '--out', out], { SOURCE_DATE_EPOCH: '1700000000' });
      expect(r.code, r.err).toBe(0);
      return readFileSync(join(out, 'manifest.json'), 'utf8');
    });
    expect(JSON.parse(manifests[0]!).createdAt).toBe('2023-11-14T22:13:20.000Z');
    // The same manifest but for how long each run took (durationMs: measured, not derived from the date).
    const timeless = (text: string) => JSON.parse(text, (k, v: unknown) => (k === 'durationMs' ? undefined : v)) as unknown;
    expect(timeless(manifests[1]!)).toEqual(timeless(manifests[0]!));
    expect(manifests[0]).toMatch(/"durationMs"/);
  });
});
