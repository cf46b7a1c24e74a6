/**
 * The real `ava-quant` command as a subprocess on the fixtures: every subcommand, --json shapes, error paths and
 * their exit codes. (INT8/FP16 quantize details are in tests/int8 and tests/fp16.)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { damagedMiniLM } from '../quality/helpers.js';
import { runCli } from '../helpers/cli.js';

const cli = (...args: string[]) => runCli(args);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

let dir: string;
const small = () => pathOf(fixture('openwakeword-hello-deepa'));
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('usage', () => {
  it('no arguments prints usage and exits 2; --help exits 0', () => {
    const none = cli();
    expect(none.code).toBe(2);
    expect(none.out).toMatch(/Usage:[\s\S]*inspect[\s\S]*quantize[\s\S]*batch[\s\S]*check[\s\S]*verify/);
    expect(cli('--help').code).toBe(0);
    for (const c of ['inspect', 'quantize', 'batch', 'check', 'verify']) {
      const h = cli(c, '--help');
      expect(h.code, c).toBe(0);
      expect(h.out, c).toMatch(/Usage:/);
    }
  });
  it('--version prints the version every output records (the package version), -V too; --json as an object', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
    for (const flag of ['--version', '-V']) {
      const r = cli(flag);
      expect(r.code, flag).toBe(0);
      expect(r.out, flag).toBe(`${pkg.name} ${pkg.version}\n`);
    }
    expect(JSON.parse(cli('--version', '--json').out)).toEqual({ name: pkg.name, version: pkg.version });
    expect(cli('--help').out).toMatch(/--version/);
    // The same version as the provenance of a written output.
    const out = join(dir, 'version-int8.onnx');
    expect(cli('quantize', small(), out, 'int8').code).toBe(0);
    const meta = (JSON.parse(cli('inspect', out, '--json').out) as { metadata: Record<string, string> }).metadata;
    expect(JSON.parse(meta['ava.quantization']!)).toMatchObject({ tool: pkg.name, toolVersion: pkg.version });
  });
  it('an unknown command exits 2 with one line', () => {
    const r = cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('inspect', () => {
  it('--json has the documented shape and the right numbers', () => {
    const r = cli('inspect', pathOf(fixture(MINILM)), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const k of [
      'irVersion',
      'opsets',
      'inputs',
      'outputs',
      'opCounts',
      'parameterCount',
      'initializerBytesByType',
      'embeddingDim',
      'quantized',
      'predictedBytes',
    ])
      expect(j, k).toHaveProperty(k);
    expect(j.embeddingDim).toBe(384);
    expect(j.predictedBytes.int8).toBeLessThan(j.fileBytes * 0.26);
    // predictedBytes: one number per registered mode (src/core/modes/<mode>/predict.ts), int8 and fp16 as before.
    expect(Object.keys(j.predictedBytes).sort()).toEqual(['fp16', 'int8', 'q4', 'q4f16']);
    expect(j.predictedBytes.q4f16).toBeLessThan(j.predictedBytes.q4);
    const card = cli('inspect', pathOf(fixture(MINILM)));
    for (const label of ['INT8', 'FP16', 'Q4', 'Q4F16'])
      expect(card.out).toMatch(new RegExp(`Predicted ${label} size\\s+[\\d.]+ MB \\([\\d.]+% of the original\\)`));
  });
  it('missing file exits 3; not ONNX exits 4 with the reason on stderr', () => {
    expect(cli('inspect', join(dir, 'nope.onnx')).code).toBe(3);
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'PK\x03\x04 this is a zip');
    const r = cli('inspect', bad);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/ZIP header/);
    expect(r.out).toBe('');
  });
});

describe('verify', () => {
  it('matches sha256 and md5, rejects a wrong hash and a malformed one', () => {
    const p = small();
    const md5 = createHash('md5').update(readFileSync(p)).digest('hex');
    expect(cli('verify', p, sha(p)).code).toBe(0);
    expect(cli('verify', p, `${md5.toUpperCase()}  hello_deepa.onnx`).code).toBe(0);
    const wrong = cli('verify', p, '0'.repeat(64));
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/does not match/);
    expect(cli('verify', p, 'xyz').code).toBe(2);
    const j = JSON.parse(cli('verify', p, sha(p), '--json').out);
    expect(j).toMatchObject({ ok: true, algorithm: 'sha256' });
  });
});

describe('quantize', () => {
  it('refuses an existing output without --force, never touches the input, removes nothing else', () => {
    const input = join(dir, 'in.onnx');
    copyFileSync(small(), input);
    const before = sha(input);
    const out = join(dir, 'out.onnx');
    for (const mode of ['int8', 'fp16']) {
      writeFileSync(out, 'keep me');
      const r = cli('quantize', input, out, mode);
      expect(r.code, mode).toBe(5);
      expect(readFileSync(out, 'utf8')).toBe('keep me');
      expect(cli('quantize', input, out, mode, '--force').code, mode).toBe(0);
    }
    expect(cli('quantize', input, input, 'fp16', '--force').code).toBe(2);
    expect(sha(input)).toBe(before);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
  it("says the saving it expects for this model (predicted from its weights), not a fixed figure per mode; help says what each mode's figure applies to", () => {
    // all-MiniLM-L6-v2 Q4, default preset: the embedding table stays float32, so about 40% smaller, not 65%.
    const r = cli('quantize', pathOf(fixture(MINILM)), join(dir, 'minilm-q4.onnx'), 'q4');
    expect(r.code, r.err).toBe(0);
    const expected = Number(
      /^Mode\s+Q4 \(expected: about (\d+\.\d)% smaller for this model, predicted from its weights\)$/m.exec(r.out)![1],
    );
    const real = Number(/^Size reduction\s+(\d+\.\d)%$/m.exec(r.out)![1]);
    expect(Math.abs(expected - real), `expected ${expected}, real ${real}`).toBeLessThan(1);
    expect(real).toBeLessThan(45);
    const help = cli('quantize', '--help').out;
    for (const m of ['INT8', 'FP16', 'Q4', 'Q4F16'])
      expect(help).toMatch(new RegExp(`^ {2}ava-quant quantize .* ${m}: about \\d+% smaller on the `, 'm'));
    expect(help).toMatch(/Q4: about 84% smaller on the MatMul weights \(the rest, embedding tables included, stays float32\)/);
  });
  it('an unknown mode exits 2; a missing input exits 3', () => {
    expect(cli('quantize', small(), join(dir, 'x.onnx'), 'int3').code).toBe(2);
    expect(cli('quantize', join(dir, 'missing.onnx'), join(dir, 'x.onnx'), 'int8').code).toBe(3);
  });
});

describe('batch', () => {
  it('quantizes a folder, skips an already-quantized file with the reason, writes a manifest with true hashes', () => {
    const d = join(dir, 'models');
    const out = join(dir, 'out');
    spawnSync('mkdir', ['-p', d]);
    copyFileSync(small(), join(d, 'a.onnx'));
    copyFileSync(pathOf(fixture('openwakeword-namaste-deepa')), join(d, 'b.onnx'));
    copyFileSync(pathOf(fixture('openwakeword-hello-deepa-old')), join(d, 'c-INT8.onnx'));
    const r = cli('batch', d, '--modes', 'int8,fp16', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const { rows, manifest } = JSON.parse(r.out);
    expect(rows.filter((x: { status: string }) => x.status === 'ok')).toHaveLength(4);
    const skipped = rows.filter((x: { status: string }) => x.status === 'skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0].detail).toMatch(/-INT8/);
    expect(readdirSync(out).sort()).toEqual(['a-FP16.onnx', 'a-INT8.onnx', 'b-FP16.onnx', 'b-INT8.onnx', 'manifest.json']);
    const onDisk = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(onDisk).toEqual(manifest);
    for (const o of manifest.outputs) expect(sha(join(out, o.name)), o.name).toBe(o.sha256);
    for (const i of manifest.inputs) expect(sha(join(d, i.name)), i.name).toBe(i.sha256);
  });
  it('names outputs with a version tag or in the transformers.js layout', () => {
    const d = join(dir, 'named');
    spawnSync('mkdir', ['-p', d]);
    copyFileSync(small(), join(d, 'model.onnx'));
    const tagged = join(dir, 'tagged');
    expect(cli('batch', d, '--modes', 'int8', '--version', 'v1.1', '--out', tagged).code).toBe(0);
    expect(readdirSync(tagged).sort()).toEqual(['manifest.json', 'model-INT8-v1.1.onnx']);
    const tjs = join(dir, 'tjs');
    expect(cli('batch', d, '--modes', 'int8,fp16', '--template', 'transformers.js', '--out', tjs).code).toBe(0);
    expect(readdirSync(join(tjs, 'onnx')).sort()).toEqual(['model_fp16.onnx', 'model_quantized.onnx']);
    expect(cli('batch', d, '--template', 'nope').code).toBe(2);
  });
  it('exits 1 when a model fails, but still does the rest', () => {
    const d = join(dir, 'mixed');
    spawnSync('mkdir', ['-p', d]);
    copyFileSync(small(), join(d, 'good.onnx'));
    writeFileSync(join(d, 'broken.onnx'), new Uint8Array([0x0f, 1, 2, 3]));
    const r = cli('batch', d);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/broken\.onnx\s+-\s+failed/);
    expect(existsSync(join(d, 'good-INT8.onnx'))).toBe(true);
  });
});

describe('check (the deployment gate)', () => {
  it('passes for INT8 of all-MiniLM-L6-v2 and fails (exit 7) for a damaged model', () => {
    const f = fixture(MINILM);
    const q = join(dir, 'minilm-INT8.onnx');
    expect(cli('quantize', pathOf(f), q, 'int8').code).toBe(0);
    const ok = cli('check', pathOf(f), q, '--probes', 'en', '--json');
    expect(ok.code, ok.err).toBe(0);
    const rep = JSON.parse(ok.out);
    expect(rep.verdict.pass).toBe(true);
    expect(rep.cosine.mean).toBeGreaterThan(0.95);

    const damaged = join(dir, 'damaged.onnx');
    writeFileSync(damaged, damagedMiniLM(new Uint8Array(readFileSync(pathOf(f)))).bytes);
    const bad = cli('check', pathOf(f), damaged, '--probes', 'en', '--tokenizer', pathOf(f, f.tokenizer!));
    expect(bad.code).toBe(7);
    expect(bad.out).toMatch(/FAIL/);

    // Not a model at all is exit 4 (as --help says) with the file named on stderr, not a quality failure (7).
    const text = join(dir, 'text.onnx');
    writeFileSync(text, 'hello world\n');
    const notModel = cli('check', pathOf(f), text, '--probes', 'en', '--tokenizer', pathOf(f, f.tokenizer!));
    expect(notModel.code, notModel.err).toBe(4);
    expect(notModel.err).toContain(`ava-quant: ${text}: not a readable ONNX model: not an ONNX model`);
    // A tokenizer that is not JSON: one line naming the file, the parser's message without the file's newlines.
    const badTok = cli('check', pathOf(f), q, '--probes', 'en', '--tokenizer', text);
    expect(badTok.code).toBe(2);
    const lines = badTok.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^ava-quant: cannot read tokenizer ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*not valid JSON`),
    );
  });

  it("--probes FILE: the verdict is over the file's sentences only; retrieval is reported apart; the report says how many of which", () => {
    const f = fixture(MINILM);
    const en = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'public', 'probes', 'en.json'), 'utf8')) as {
      sentences: { text: string }[];
    };
    const file = join(dir, 'seventy.txt');
    writeFileSync(
      file,
      `${en.sentences
        .slice(0, 70)
        .map((x) => x.text)
        .join('\n')}\n\n`,
    );
    const damaged = join(dir, 'damaged-70.onnx');
    writeFileSync(damaged, damagedMiniLM(new Uint8Array(readFileSync(pathOf(f)))).bytes);
    const r = cli('check', pathOf(f), damaged, '--probes', file, '--json');
    expect(r.code, r.err).toBe(7);
    const rep = JSON.parse(r.out);
    expect(rep.cosine.count).toBe(70);
    expect(rep.cosine.basis.sets).toEqual([{ id: file, texts: 70 }]);
    expect(rep.cosine.basis.description).toBe(`70 texts: ${file} 70 (retrieval documents and queries reported apart: 78)`);
    expect(rep.cosine.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(70);
    expect(rep.items).toHaveLength(148);
    expect(rep.retrieval.sets.map((x: { id: string; cosine: { count: number } }) => [x.id, x.cosine.count])).toEqual([
      ['retrieval', 73],
      ['seed-4doc', 5],
    ]);
    const text = cli('check', pathOf(f), damaged, '--probes', file);
    expect(text.out).toContain(
      `Cosine original vs quantized, over 70 texts: ${file} 70 (retrieval documents and queries reported apart: 78)`,
    );
  });

  it('--output and --pool choose the vector, and the report names it; a bad --pool is a usage error', () => {
    const f = fixture(MINILM);
    const r = cli('check', pathOf(f), pathOf(f), '--probes', 'en', '--output', 'last_hidden_state', '--pool', 'cls', '--json');
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.models.quantized).toMatchObject({ output: 'last_hidden_state', pooling: 'cls', poolingSource: 'option' });
    expect(cli('check', pathOf(f), pathOf(f), '--pool', 'max').code).toBe(2);
  });
});
