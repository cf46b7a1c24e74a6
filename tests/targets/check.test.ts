/**
 * checkTarget on real models quantized by the core: what each deployment target is told before the download.
 *  - an INT8 Conv model with int8 Conv weights (libonnx's pytorch-converted Conv models, `ort-default`): ConvInteger
 *    is flagged for ARM64 (onnxruntime 1.22, the oldest in scope) and for WASM with an onnxruntime-web older than
 *    1.24; with the onnxruntime-web 1.30 this app ships it runs (a warning names the older releases), and
 *    onnxruntime-node 1.30 loads it as the checker says;
 *  - PP-OCRv4-det (`ort-default`): its Conv weights are Constant nodes, so the quantizer quantizes them at run time
 *    as uint8 activations: ConvInteger uint8 x uint8, which every version runs — the check says why it passes;
 *  - all-MiniLM-L6-v2 INT8 (the default preset and every Optimum target): no blocking finding on any target; the
 *    warnings are the known ones (u8s8 saturation on AVX2 without uint8 weights, CPU fallback on WebGPU);
 *  - all-MiniLM-L6-v2 Q4 / Q4 + Gather / Q4F16 on WebGPU and WASM.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { quantizeInt8 } from '../../src/core/int8/index.js';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { quantizeQ4, quantizeQ4F16 } from '../../src/core/q4/index.js';
import {
  DEFAULT_TARGET,
  OPTIMUM_TARGETS,
  SOURCES,
  TARGETS,
  TARGET_IDS,
  TARGET_PRESETS,
  TargetCheckError,
  WHERE_CHOICES,
  checkTarget,
  deploymentPlan,
  isCheckedVersion,
  ruleReason,
  targetInt8Options,
  type TargetCheck,
} from '../../src/core/targets/index.js';
import { MINILM, bytesOf, fixture, manifest, pathOf } from '../helpers/fixtures.js';

const int8 = async (m: ModelView, opts: Parameters<typeof quantizeInt8>[1]) => collectPieces((await quantizeInt8(m, opts)).parts);
const blockingOps = (r: TargetCheck) => [...new Set(r.unsupported.map((f) => f.op))].sort();
const verdicts = (r: TargetCheck, op: string) =>
  [...new Set([...r.unsupported, ...r.warnings].filter((f) => f.op === op).map((f) => f.verdict))].sort();

function nodeTestModel(rel: string): ModelView {
  const f = manifest().fixtures.find((x) => x.kind === 'onnx-node-test')!;
  return parseModel(new Uint8Array(readFileSync(pathOf(`${f.path}/${rel}/model.onnx`))));
}

describe('the data', () => {
  it('every target names its runtime, version, INT8 preset and sources that exist; the default is Android ARM64', () => {
    expect(DEFAULT_TARGET).toBe('android-arm64');
    expect(WHERE_CHOICES).toEqual(['android-arm64', 'x86-avx2', 'x86-vnni', 'browser-wasm', 'browser-webgpu']);
    const used = new Set<string>();
    for (const id of TARGET_IDS) {
      const t = TARGETS[id];
      expect(t.id).toBe(id);
      expect(OPTIMUM_TARGETS).toContain(t.int8Preset);
      expect(t.runtime.defaultVersion).toMatch(/^\d+\.\d+\.\d+$/);
      for (const r of t.rules) for (const s of r.sources) used.add(s);
      for (const s of t.adviceSources) used.add(s);
    }
    expect(TARGETS['x86-avx2'].int8Preset).toBe('avx2');
    expect(TARGETS['x86-vnni'].int8Preset).toBe('avx512_vnni');
    expect(TARGETS['android-arm64'].int8Preset).toBe('arm64');
    // Every rule's source exists (sourceOf throws otherwise: checkTarget resolves them); every source is cited.
    for (const s of used) expect(SOURCES[s], s).toBeDefined();
    for (const s of Object.values(SOURCES)) {
      expect(s.says.length).toBeGreaterThan(30);
      expect(s.where.length).toBeGreaterThan(10);
    }
  });

  it('arm64, avx512 and avx512_vnni are the same arguments; avx2 differs only by uint8 weights', () => {
    const { arm64, avx2, avx512, avx512_vnni } = TARGET_PRESETS;
    expect(avx512.options).toEqual(arm64.options);
    expect(avx512_vnni.options).toEqual(arm64.options);
    expect({ ...avx2.options, weightType: 'qint8' }).toEqual(arm64.options);
    expect(avx2.options.weightType).toBe('quint8');
    expect(arm64.options).toMatchObject({
      weightType: 'qint8',
      perChannel: true,
      reduceRange: false,
      weightSymmetric: true,
      activationSymmetric: false,
      matMulConstBOnly: false,
    });
  });

  it('"where will it run" -> preset, runtime and quality backend; nothing known -> Android ARM64', () => {
    const minilm = parseModel(bytesOf(fixture(MINILM)));
    const silero = parseModel(bytesOf(fixture('silero-vad-v5')));
    const d = deploymentPlan(minilm);
    expect(d.target).toBe('android-arm64');
    expect(d.int8Preset).toBe('arm64');
    expect(d.int8Options).toEqual({ ...TARGET_PRESETS.arm64.options, enableSubgraph: false });
    expect(d.fileSuffix).toBe('qint8_arm64');
    expect(d.runtime.defaultVersion).toBe('1.22.0');
    expect(d.sources.length).toBeGreaterThan(0);
    // ORTQuantizer's rule: EnableSubgraph when the main graph has an If / Loop / Scan / SequenceMap.
    expect(deploymentPlan(silero).int8Options.enableSubgraph).toBe(true);
    expect(deploymentPlan(minilm, 'x86-avx2').int8Options.weightType).toBe('quint8');
    expect(deploymentPlan(minilm, 'browser-webgpu').qualityBackend).toBe('webgpu');
    expect(deploymentPlan(minilm, 'browser-wasm').qualityBackend).toBe('wasm');
    expect(() => deploymentPlan(minilm, 'vax' as never)).toThrow(/unknown target 'vax'/);
  });

  it('bad input is named', () => {
    const m = parseModel(bytesOf(fixture(MINILM)));
    expect(() => checkTarget(m, 'android-arm64', { runtimeVersion: 'latest' })).toThrow(TargetCheckError);
    expect(() => checkTarget(m, 'android-arm64', { runtimeVersion: 'latest' })).toThrow(/not a runtime version: 'latest'/);
    expect(() => checkTarget(m, 'pdp11' as never)).toThrow(/unknown target 'pdp11'/);
  });
});

describe('runtime versions: the range the facts were checked for, and ops with a known first version', () => {
  let q4: ModelView;
  beforeAll(async () => {
    q4 = parseModel(await collectPieces((await quantizeQ4(parseModel(bytesOf(fixture(MINILM))), {})).parts));
  });
  const outsideNote = (r: TargetCheck) => r.warnings.filter((f) => f.rule === 'version-not-checked');

  it('every target names the versions its facts were checked for (the kernel golden covers the native range)', () => {
    for (const id of TARGET_IDS) {
      const rt = TARGETS[id].runtime;
      expect(rt.newestVersion, id).toMatch(/^\d+\.\d+\.\d+$/);
      expect(isCheckedVersion(rt.defaultVersion, rt), id).toBe(true);
      expect(isCheckedVersion(rt.oldestVersion, rt) && isCheckedVersion(rt.newestVersion, rt), id).toBe(true);
    }
    const rt = TARGETS['android-arm64'].runtime;
    expect([rt.oldestVersion, rt.newestVersion]).toEqual(['1.22.0', '1.32.0']);
    expect(['1.21.9', '1.22', '1.32.4', '1.33.0', '0.1', '99.0'].map((v) => isCheckedVersion(v, rt))).toEqual([
      false,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it("Q4 (MatMulNBits) cannot run on a release before 1.17, the op's first; 1.17 and later run it", () => {
    for (const id of ['android-arm64', 'x86-vnni', 'browser-wasm', 'browser-webgpu'] as const) {
      for (const v of ['1.5', '1.10', '0.1', '1.16.3']) {
        const r = checkTarget(q4, id, { runtimeVersion: v });
        expect(r.ok, `${id} ${v}`).toBe(false);
        expect(blockingOps(r), `${id} ${v}`).toEqual(['com.microsoft.MatMulNBits']);
        expect(r.unsupported[0]).toMatchObject({
          verdict: 'no-kernel',
          rule: 'matmulnbits-introduced',
          holdsFor: expect.stringMatching(/before 1\.17\.0$/),
        });
        expect(r.unsupported[0]!.reason).toMatch(/^MatMulNBits .*1\.17/);
        expect(r.unsupported[0]!.source.map((x) => x.id)).toEqual(['ort-pr-17890']);
        expect(r.summary).toMatch(/cannot run/);
      }
      expect(checkTarget(q4, id, { runtimeVersion: '1.17' }).ok, id).toBe(true);
    }
  });

  it('a version outside the checked range gets a plain finding that says so (not a silent pass); inside it, none', () => {
    for (const v of ['99.0', '1.17', '0.1', '1.33.0']) {
      const r = checkTarget(q4, 'android-arm64', { runtimeVersion: v });
      const [note, ...more] = outsideNote(r);
      expect(more, v).toEqual([]);
      expect(note, v).toMatchObject({ op: '(model)', verdict: 'not-checked' });
      expect(note!.reason, v).toContain(
        `checked for onnxruntime (onnxruntime-android, onnxruntime-c, onnxruntime-objc), full build 1.22.0–1.32.0; ${v} is outside that range`,
      );
    }
    const future = checkTarget(q4, 'x86-vnni', { runtimeVersion: '99.0' });
    expect(future.ok).toBe(true);
    expect(future.summary).toMatch(/^x86 .*: no known gap in onnxruntime 99\.0, but the facts were checked for 1\.22\.0–1\.32\.0 only/);
    for (const v of ['1.22', '1.24', '1.32.0', '1.32.3'])
      expect(outsideNote(checkTarget(q4, 'android-arm64', { runtimeVersion: v })), v).toEqual([]);
    // The default versions are in range: no note by default on any target.
    for (const id of TARGET_IDS) expect(outsideNote(checkTarget(q4, id)), id).toEqual([]);
  });

  it('a fact without a version bound says the versions checked, not "every version", whatever version is asked', () => {
    const r = checkTarget(q4, 'android-arm64', { runtimeVersion: '0.1' });
    const risk = r.warnings.find((f) => f.rule === 'ort-mobile-missing')!;
    expect(risk.holdsFor).toMatch(/ 1\.22\.0–1\.32\.0 \(the versions checked\)$/);
    expect(JSON.stringify(r)).not.toMatch(/every version checked/);
  });

  it('every finding names the op it is about: a rule over several ops says each one, never another', () => {
    const short = (op: string) => op.replace(/^com\.microsoft\./, '');
    for (const id of TARGET_IDS)
      for (const rule of TARGETS[id].rules)
        for (const op of rule.ops) {
          const text = ruleReason(rule, short(op));
          expect(text, `${rule.id} ${op}`).toMatch(new RegExp(`\\b${short(op)}\\b`));
          for (const other of rule.ops.filter((o) => o !== op))
            expect(text, `${rule.id} ${op} names ${other}`).not.toMatch(new RegExp(`\\b${short(other)}\\b`));
        }
    // On a real model: Q4's MatMulNBits warning on android-arm64 names MatMulNBits, not ConvInteger.
    const risk = checkTarget(q4, 'android-arm64').warnings.filter((f) => f.op === 'com.microsoft.MatMulNBits');
    expect(risk.length).toBeGreaterThan(0);
    for (const f of risk) {
      expect(f.reason).toMatch(/\bMatMulNBits\b/);
      expect(f.reason).not.toMatch(/ConvInteger/);
    }
  });
});

describe('an INT8 Conv model with int8 Conv weights (pytorch-converted Conv models, ort-default)', () => {
  for (const rel of ['pytorch-converted/test_Conv2d', 'pytorch-operator/test_operator_conv']) {
    it(`${rel}: ConvInteger flagged for ARM64 (1.22) and WASM before 1.24; runs on 1.30, as onnxruntime-node 1.30 shows`, async () => {
      const q = parseModel(await int8(nodeTestModel(rel), { preset: 'ort-default' }));
      expect(q.graph.nodes.some((n) => n.opType === 'ConvInteger')).toBe(true);

      const arm = checkTarget(q, 'android-arm64');
      expect(arm.version).toBe('1.22.0');
      expect(arm.ok).toBe(false);
      expect(blockingOps(arm)).toEqual(['ConvInteger']);
      const f = arm.unsupported[0]!;
      expect(f.verdict).toBe('no-kernel');
      expect(f.reason).toMatch(/uint8 input x uint8 weights only before onnxruntime 1\.24/);
      expect(f.reason).toMatch(/1:int8/); // the weights' type, named
      expect(f.holdsFor).toMatch(/before 1\.24\.0/);
      expect(f.source.map((s) => s.id)).toEqual(['ort-conv-integer-u8', 'measured-conv-integer', 'ort-pr-26585']);
      expect(arm.summary).toMatch(/cannot run/);
      // The ORT Mobile (reduced) package would not have ConvInteger at all: a warning on the full-build target.
      expect(verdicts(arm, 'ConvInteger')).toEqual(['no-kernel', 'reduced-build-risk']);
      expect(blockingOps(checkTarget(q, 'android-arm64-ort-mobile'))).toContain('ConvInteger');
      // With onnxruntime 1.24+ on the phone it runs.
      expect(checkTarget(q, 'android-arm64', { runtimeVersion: '1.24' }).ok).toBe(true);

      const wasm = checkTarget(q, 'browser-wasm');
      expect(wasm.version).toBe('1.30.0');
      expect(wasm.ok).toBe(true);
      expect(verdicts(wasm, 'ConvInteger')).toEqual(['older-runtime']);
      expect(wasm.warnings.find((w) => w.op === 'ConvInteger')!.reason).toMatch(
        /runs in onnxruntime-web .* 1\.30\.0; with a release before 1\.24\.0/,
      );
      const oldWasm = checkTarget(q, 'browser-wasm', { runtimeVersion: '1.23.2' });
      expect(blockingOps(oldWasm)).toEqual(['ConvInteger']);

      // x86 without VNNI: the int8 weights use the full range -> the saturation warning too.
      expect(verdicts(checkTarget(q, 'x86-avx2', { runtimeVersion: '1.30.0' }), 'ConvInteger')).toEqual(['may-be-wrong']);

      // The runtime we have agrees with the checker at 1.30: it loads and runs.
      expect(checkTarget(q, 'x86-vnni', { runtimeVersion: '1.30.0' }).ok).toBe(true);
      const s = await ort.InferenceSession.create(q.buf, { logSeverityLevel: 3 });
      const x = q.graph.inputs[0]!;
      const dims = x.shape!.map((d) => d.value ?? 1);
      const out = await s.run({ [x.name]: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.25), dims) });
      expect(Object.keys(out).length).toBeGreaterThan(0);
      await s.release();
    });
  }

  it('PP-OCRv4-det (ort-default): ConvInteger x10, uint8 x uint8 (its Conv weights are Constant nodes, quantized at run time as activations): every CPU target runs it', async () => {
    const src = parseModel(bytesOf(fixture('PP-OCRv4-det')));
    const q = parseModel(await int8(src, { preset: 'ort-default' }));
    const conv = q.graph.nodes.filter((n) => n.opType === 'ConvInteger');
    expect(conv).toHaveLength(10);
    // Why it is not flagged: the weight input comes from a DynamicQuantizeLinear (uint8), not an int8 initializer.
    const producers = new Map(q.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n.opType] as const)));
    for (const n of conv) expect(producers.get(n.inputs[1]!)).toBe('DynamicQuantizeLinear');
    for (const id of ['android-arm64', 'x86-avx2', 'x86-vnni', 'browser-wasm'] as const) {
      const r = checkTarget(q, id);
      expect(r.ok, `${id}: ${r.summary}`).toBe(true);
      expect(verdicts(r, 'ConvInteger').filter((v) => v !== 'reduced-build-risk')).toEqual([]);
    }
    const s = await ort.InferenceSession.create(q.buf, { logSeverityLevel: 3 });
    await s.release();
  });
});

describe('all-MiniLM-L6-v2', () => {
  let model: ModelView;
  beforeAll(() => {
    model = parseModel(bytesOf(fixture(MINILM)));
  });

  it('INT8 (default preset and every Optimum target): no target is blocked; the warnings are the known ones', async () => {
    const variants: [string, Uint8Array][] = [['default preset', await int8(model, {})]];
    for (const t of OPTIMUM_TARGETS) variants.push([`target ${t}`, await int8(model, targetInt8Options(t, model))]);
    for (const [label, bytes] of variants) {
      const q = parseModel(bytes);
      for (const id of WHERE_CHOICES) {
        const r = checkTarget(q, id);
        expect(r.unsupported, `${label} on ${id}`).toEqual([]);
        expect(r.ok).toBe(true);
      }
      const avx2 = checkTarget(q, 'x86-avx2');
      const signed = q.graph.initializers.some((t) => t.name.endsWith('_quantized') && t.dataType === 3);
      // int8 weights at full range saturate u8s8 on AVX2; the avx2 target's uint8 weights do not.
      expect(verdicts(avx2, 'MatMulInteger'), label).toEqual(signed ? ['may-be-wrong'] : []);
      expect(verdicts(checkTarget(q, 'x86-vnni'), 'MatMulInteger')).toEqual([]);
      const gpu = checkTarget(q, 'browser-webgpu');
      expect(verdicts(gpu, 'DynamicQuantizeLinear')).toEqual(['cpu-fallback']);
      expect(verdicts(gpu, 'MatMulInteger')).toEqual(['cpu-fallback']);
      expect(gpu.warnings.some((w) => w.rule === 'webgpu-int8-report')).toBe(true);
      // The reduced ORT Mobile package has the INT8 ops; only the opset (14 > 13) is a question there.
      const mobile = checkTarget(q, 'android-arm64-ort-mobile');
      expect(mobile.ok).toBe(true);
      expect(mobile.warnings.map((w) => w.rule)).toEqual(['reduced-build-opset']);
      if (label === 'default preset')
        console.info(`[targets] MiniLM INT8 (${label}): ${WHERE_CHOICES.map((id) => checkTarget(q, id).summary).join(' | ')}`);
    }
    // Optimum's targets quantize attention's activation x activation MatMuls too (MatMulConstBOnly off): 48 vs 36.
    const count = (b: Uint8Array) => parseModel(b).graph.nodes.filter((n) => n.opType === 'MatMulInteger').length;
    expect(count(variants[0]![1])).toBe(36);
    expect(count(variants[1]![1])).toBe(48);
  });

  it('Q4 on WebGPU and WASM: MatMulNBits runs on the GPU (no fallback); GatherBlockQuantized too since 1.23; Q4F16 needs shader-f16', async () => {
    const q4 = parseModel(await collectPieces((await quantizeQ4(model, {})).parts));
    const gpu = checkTarget(q4, 'browser-webgpu');
    expect(gpu.ok).toBe(true);
    expect(gpu.warnings).toEqual([]);
    const wasm = checkTarget(q4, 'browser-wasm');
    expect(wasm.ok).toBe(true);
    expect(wasm.warnings).toEqual([]);
    for (const id of ['android-arm64', 'x86-avx2', 'x86-vnni'] as const) expect(checkTarget(q4, id).ok).toBe(true);
    expect(blockingOps(checkTarget(q4, 'android-arm64-ort-mobile'))).toEqual(['com.microsoft.MatMulNBits']);

    const q4g = parseModel(await collectPieces((await quantizeQ4(model, { opTypes: ['MatMul', 'Gather'] })).parts));
    expect(checkTarget(q4g, 'browser-webgpu').warnings).toEqual([]);
    const older = checkTarget(q4g, 'browser-webgpu', { runtimeVersion: '1.22.0' });
    expect(verdicts(older, 'com.microsoft.GatherBlockQuantized')).toEqual(['cpu-fallback']);

    const q4f16 = parseModel(await collectPieces((await quantizeQ4F16(model, {})).parts));
    const g16 = checkTarget(q4f16, 'browser-webgpu');
    expect(g16.ok).toBe(true);
    expect(g16.warnings.map((w) => w.rule)).toEqual(['webgpu-shader-f16']);
    // On the CPU EPs the float16 Add / Mul / MatMul / ... run between inserted Casts; MatMulNBits has a float16 kernel.
    const w16 = checkTarget(q4f16, 'browser-wasm');
    expect(w16.ok).toBe(true);
    expect(verdicts(w16, 'com.microsoft.MatMulNBits')).toEqual([]);
    expect(verdicts(w16, 'MatMul')).toEqual(['cast-fallback']);
    console.info(
      `[targets] MiniLM Q4 / Q4F16: ${gpu.summary} | ${g16.summary}; WASM Q4F16: ${w16.groups.map((g) => `${g.op} x${g.count} ${g.verdict}`).join(', ')}`,
    );
  });
});
