/**
 * "Where will it run?" wired into the product: the CLI's --target / --runtime-version on quantize (every mode), the
 * target check of the output before it is kept (exit 9, nothing written, --force keeps it), the default target
 * (android-arm64, for the check only: the INT8 preset stays avx512-vnni), check --target on the matching backend,
 * the quantize worker's check of its written output (workers/output-check.ts), and the quality backend of each target.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMode, writeOutput } from '../../src/core/modes/run.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { METADATA_KEY } from '../../src/core/int8/index.js';
import { OptionError } from '../../src/core/modes/options.js';
import { TARGET_IDS, TARGETS, WHERE_CHOICES, deploymentPlan, qualityBackendFor } from '../../src/core/targets/index.js';
import { checkOutput } from '../../workers/output-check.js';
import { MINILM, fixture, manifest, pathOf } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const cli = (...args: string[]) => runCli(args);
/** libonnx's pytorch-converted Conv2d: INT8 with int8 weights makes a ConvInteger ARM64's onnxruntime 1.22 cannot run. */
const conv = () => {
  const f = manifest().fixtures.find((x) => x.kind === 'onnx-node-test')!;
  return pathOf(`${f.path}/pytorch-converted/test_Conv2d/model.onnx`);
};
const record = (p: string) =>
  JSON.parse(parseModel(new Uint8Array(readFileSync(p))).metadata.find((m) => m.key === METADATA_KEY)!.value) as Record<string, unknown>;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-target-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const leftovers = () => readdirSync(dir).filter((f) => f.includes('.tmp-'));

describe('quantize --target', () => {
  it('no --target: the output is checked against android-arm64 (the default, for the check only); a node it cannot run: exit 9, every finding printed, nothing written', () => {
    const out = join(dir, 'conv-default.onnx');
    const r = cli('quantize', conv(), out, 'int8', '--preset', 'ort-default');
    expect(r.code).toBe(9);
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
    // Every finding: op, nodes, reason, the runtime versions it holds for, its sources.
    expect(r.out).toMatch(
      /^Target {16}android-arm64: Android \/ iOS, ONNX Runtime on ARM64 \(.* 1\.22\.0, CPU\) — the default; choose with --target$/m,
    );
    expect(r.out).toMatch(/^Target check {10}CANNOT RUN: /m);
    expect(r.out).toMatch(
      /^ {2}cannot run {10}ConvInteger ×1 \(no-kernel\): ConvInteger has a CPU kernel for uint8 input x uint8 weights only before onnxruntime 1\.24/m,
    );
    expect(r.out).toMatch(/^ {22}nodes: \S+/m);
    expect(r.out).toMatch(/^ {22}holds for: .*before 1\.24\.0$/m);
    expect(r.out).toMatch(/^ {22}source: .*conv_integer\.cc/m);
    expect(r.out).toMatch(/^ {2}warning {13}ConvInteger ×1 \(reduced-build-risk\)/m);
    const err = r.err.trim().split('\n').at(-1)!;
    expect(err).toMatch(
      /^ava-quant: .*conv-default\.onnx: .*cannot run .*ConvInteger x1; nothing was written \(choose where it will run with --target .*--force\)$/,
    );
  });

  it('--force keeps it (exit 0, a warning); --runtime-version 1.24 says it runs; --json carries the findings (written: false on a refusal)', () => {
    const kept = cli('quantize', conv(), join(dir, 'conv-forced.onnx'), 'int8', '--preset', 'ort-default', '--force');
    expect(kept.code).toBe(0);
    expect(existsSync(join(dir, 'conv-forced.onnx'))).toBe(true);
    expect(kept.out).toMatch(/kept because of --force although it cannot run on the target/);

    const newer = cli(
      'quantize',
      conv(),
      join(dir, 'conv-124.onnx'),
      'int8',
      '--preset',
      'ort-default',
      '--runtime-version',
      '1.24',
      '--json',
    );
    expect(newer.code).toBe(0);
    const j = JSON.parse(newer.out);
    expect(j.written).toBe(true);
    expect(j.target).toMatchObject({ target: 'android-arm64', ok: true, version: '1.24', requested: false, runtimeVersionAsked: '1.24' });

    const refused = cli('quantize', conv(), join(dir, 'conv-json.onnx'), 'int8', '--preset', 'ort-default', '--json');
    expect(refused.code).toBe(9);
    const k = JSON.parse(refused.out);
    expect(k.written).toBe(false);
    expect(k.target.ok).toBe(false);
    // One JSON document: the findings and the error (exit code and the stderr line).
    expect(k.error).toEqual({
      code: 9,
      message: refused.err
        .trim()
        .split('\n')
        .at(-1)!
        .replace(/^ava-quant: /, ''),
    });
    const f = k.target.unsupported[0];
    expect(f).toMatchObject({ op: 'ConvInteger', verdict: 'no-kernel' });
    expect(f.node).toBeTruthy();
    expect(f.holdsFor).toMatch(/before 1\.24\.0/);
    expect(f.source.map((s: { id: string }) => s.id)).toContain('ort-conv-integer-u8');
    expect(existsSync(join(dir, 'conv-json.onnx'))).toBe(false);
  });

  it("--target picks INT8 preset (the target's Optimum arguments, recorded by name) unless --preset is given; x86-avx2 gives uint8 Conv weights that run", () => {
    const avx2 = join(dir, 'conv-avx2.onnx');
    const r = cli('quantize', conv(), avx2, 'int8', '--target', 'x86-avx2', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.options.preset).toBe('avx2');
    expect(j.target).toMatchObject({ target: 'x86-avx2', ok: true, requested: true });
    expect(record(avx2).preset).toBe('avx2');
    // An explicit --preset wins over the target's; the check is still the target's.
    const explicit = cli('quantize', conv(), join(dir, 'conv-vnni.onnx'), 'int8', '--target', 'x86-vnni', '--preset', 'ort-default');
    expect(explicit.code).toBe(9);
    expect(explicit.out).toMatch(/^Target {16}x86-vnni: /m);
  });

  it('every mode takes --target: MiniLM Q4 for the browser (WebGPU) runs; the default INT8 preset stays avx512-vnni and runs on android-arm64', () => {
    const m = pathOf(fixture(MINILM));
    const q4 = cli('quantize', m, join(dir, 'q4.onnx'), 'q4', '--target', 'browser-webgpu', '--json');
    expect(q4.code, q4.err).toBe(0);
    expect(JSON.parse(q4.out).target).toMatchObject({ target: 'browser-webgpu', ok: true, version: '1.30.0' });
    const int8 = cli('quantize', m, join(dir, 'int8.onnx'), 'int8', '--json');
    expect(int8.code, int8.err).toBe(0);
    const j = JSON.parse(int8.out);
    expect(j.options.preset).toBe('avx512-vnni');
    expect(j.target).toMatchObject({ target: 'android-arm64', ok: true, requested: false });
  });

  it('--runtime-version older than MatMulNBits (1.17) refuses Q4 (exit 9, named); a version outside the checked range is said, not passed silently', () => {
    const m = pathOf(fixture(MINILM));
    for (const v of ['1.10', '0.1']) {
      const out = join(dir, `q4-${v}.onnx`);
      const r = cli('quantize', m, out, 'q4', '--runtime-version', v);
      expect(r.code, v).toBe(9);
      expect(existsSync(out)).toBe(false);
      expect(r.out).toMatch(
        /^ {2}cannot run {10}com\.microsoft\.MatMulNBits ×\d+ \(no-kernel\): MatMulNBits \(4-bit weights\) first came in onnxruntime 1\.17/m,
      );
      expect(r.out).toMatch(
        /^ {2}warning {13}\(model\) ×1 \(not-checked\): the kernel facts were checked for .* 1\.22\.0–1\.32\.0; .* is outside that range/m,
      );
      expect(r.out).not.toMatch(/every version checked|ConvInteger/);
    }
    const future = cli('quantize', m, join(dir, 'q4-99.onnx'), 'q4', '--runtime-version', '99.0', '--json');
    expect(future.code, future.err).toBe(0);
    const j = JSON.parse(future.out);
    expect(j.target.warnings.map((w: { rule: string }) => w.rule)).toContain('version-not-checked');
    expect(j.target.summary).toMatch(/the facts were checked for 1\.22\.0–1\.32\.0 only/);
  });

  it('bad values are usage errors (exit 2) before any work', () => {
    const a = cli('quantize', conv(), join(dir, 'x.onnx'), 'int8', '--target', 'pdp11');
    expect(a.code).toBe(2);
    expect(a.err).toMatch(
      /--target: unknown target 'pdp11' \(use android-arm64, x86-avx2, x86-vnni, browser-wasm, browser-webgpu, android-arm64-ort-mobile\)/,
    );
    const b = cli('quantize', conv(), join(dir, 'x.onnx'), 'fp16', '--runtime-version', 'latest');
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--runtime-version: not a version: 'latest'/);
    expect(cli('quantize', conv(), join(dir, 'x.onnx'), 'q4', '--target').code).toBe(2);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
  });

  it('--help lists --target and --runtime-version with the exit code 9', () => {
    const h = cli('quantize', 'a.onnx', 'b.onnx', 'int8', '--help');
    expect(h.out).toMatch(/--target T\s+where the model will run: android-arm64, x86-avx2, x86-vnni, browser-wasm, browser-webgpu/);
    expect(h.out).toMatch(/--runtime-version V/);
    expect(h.out).toMatch(/9 the output cannot run on the target/);
  });
});

describe('check --target: the matching backend, and the quantized model against the target', () => {
  let q4: string;
  let texts: string;
  beforeAll(() => {
    q4 = join(dir, 'check-q4.onnx');
    expect(cli('quantize', pathOf(fixture(MINILM)), q4, 'q4').code).toBe(0);
    texts = join(dir, 'texts.txt');
    writeFileSync(texts, 'How do I reset my password?\nThe quick brown fox jumps over the lazy dog.\n');
  });

  it('browser-webgpu: onnxruntime-web WASM stands in (Node has no WebGPU) and the report says so; the Q4 model runs there', () => {
    const r = cli('check', pathOf(fixture(MINILM)), q4, '--probes', texts, '--target', 'browser-webgpu', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.backend.label).toBe('onnxruntime-web wasm');
    expect(j.backend.note).toMatch(/Node has no WebGPU/);
    expect(j.target).toMatchObject({ target: 'browser-webgpu', ok: true, backend: { backend: 'onnxruntime-web wasm', exact: false } });
  });

  it('android-arm64-ort-mobile: onnxruntime-node CPU approximating the device; MatMulNBits is not in that build: exit 9 ahead of the verdict', () => {
    const r = cli('check', pathOf(fixture(MINILM)), q4, '--probes', texts, '--target', 'android-arm64-ort-mobile');
    expect(r.code).toBe(9);
    expect(r.out).toMatch(/^(PASS|FAIL) {2}mean cosine/m);
    expect(r.out).toMatch(
      /backend for --target android-arm64-ort-mobile: onnxruntime-node cpu — onnxruntime-node's CPU execution provider on this machine approximates Android, ORT Mobile package/,
    );
    expect(r.out).toMatch(/cannot run {10}com\.microsoft\.MatMulNBits ×36 \(not-in-build\)/);
    expect(cli('check', pathOf(fixture(MINILM)), q4, '--runtime-version', '1.24').code).toBe(2);
  });
});

describe('the quality backend of each target (deploymentPlan.qualityCheck)', () => {
  it('browser targets run their own backend in the page; CPU targets run WASM / onnxruntime-node CPU with a note that it approximates the device', () => {
    expect(qualityBackendFor('browser-wasm')).toMatchObject({
      page: { backend: 'wasm', exact: true },
      cli: { backend: 'onnxruntime-web wasm', exact: true },
    });
    expect(qualityBackendFor('browser-webgpu')).toMatchObject({
      page: { backend: 'webgpu', exact: true },
      cli: { backend: 'onnxruntime-web wasm', exact: false },
    });
    for (const id of ['android-arm64', 'x86-avx2', 'x86-vnni', 'android-arm64-ort-mobile'] as const) {
      const q = qualityBackendFor(id);
      expect(q.page.backend).toBe('wasm');
      expect(q.cli.backend).toBe('onnxruntime-node cpu');
      expect(q.page.note).toContain(`approximates ${TARGETS[id].label}`);
      expect(q.cli.note).toContain(`approximates ${TARGETS[id].label}`);
    }
    expect(qualityBackendFor('x86-avx2').cli.note).toMatch(/saturation/);
    const model = parseModel(new Uint8Array(readFileSync(pathOf(fixture(MINILM)))));
    for (const id of TARGET_IDS) expect(deploymentPlan(model, id).qualityCheck).toEqual(qualityBackendFor(id));
    expect(WHERE_CHOICES.every((id) => TARGET_IDS.includes(id))).toBe(true);
  });
});

describe("the quantize worker's check of its written output (workers/output-check.ts)", () => {
  const written = async (path: string, req: Parameters<typeof runMode>[1]) => {
    const r = await runMode(parseModel(new Uint8Array(readFileSync(path))), req, { force: true });
    const chunks: Uint8Array[] = [];
    await writeOutput(r, { write: async (c) => void chunks.push(c.slice()) });
    return new Blob(chunks as BlobPart[]);
  };

  it('the output File as the worker holds it: ConvInteger flagged on android-arm64 (default) and on x86 at 1.22, fine at 1.24; a bad version is an options error', async () => {
    const blob = await written(conv(), { mode: 'int8', options: { preset: 'ort-default' } });
    const arm = await checkOutput(blob, 'out.onnx', undefined, undefined);
    expect(arm.target).toBe('android-arm64');
    expect(arm.ok).toBe(false);
    expect(arm.unsupported.map((f) => f.op)).toEqual(['ConvInteger']);
    expect((await checkOutput(blob, 'out.onnx', undefined, { id: 'x86-avx2' })).ok).toBe(false);
    expect((await checkOutput(blob, 'out.onnx', undefined, { id: 'android-arm64', runtimeVersion: '1.24' })).ok).toBe(true);
    await expect(checkOutput(blob, 'out.onnx', undefined, { id: 'android-arm64', runtimeVersion: 'v2' })).rejects.toBeInstanceOf(
      OptionError,
    );
    const avx2 = await written(conv(), { mode: 'int8', options: { preset: 'avx2' } });
    expect((await checkOutput(avx2, 'out.onnx', undefined, { id: 'x86-avx2' })).ok).toBe(true);
  });
});
