/**
 * The kernel facts of src/core/targets/ against the runtimes themselves, on single-op models
 * (tests/golden/targets/kernels.json, made by scripts/parity/probe_kernels.py with onnxruntime 1.22.0, 1.23.2,
 * 1.24.2, 1.30.0 and 1.32.0 on x86-64; the same model bytes are run here):
 *  - for every recorded version, checkTarget's verdict for the CPU targets equals what that version did: a blocking
 *    "no-kernel" exactly where the session failed to load, "fails-at-run" exactly where it failed at the first run,
 *    "cast-fallback" exactly where onnxruntime inserted Casts, nothing where it loaded and ran as is;
 *  - live: onnxruntime-node 1.30 (CPU EP) and onnxruntime-web 1.30 (WASM, in Node) do the same here and now.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { parseModel } from '../../src/core/onnx/model.js';
import { checkTarget, type TargetCheck, type TargetId } from '../../src/core/targets/index.js';

ortWeb.env.wasm.numThreads = 1;

interface Case {
  name: string;
  op: string;
  domain: string;
  opset: number;
  what: string;
  model: string;
}
interface KernelGolden {
  machine: { platform: string; cpu_flags: string[] };
  cases: Case[];
  results: Record<string, Record<string, string>>;
}

const golden = JSON.parse(readFileSync(path.resolve(__dirname, '../golden/targets/kernels.json'), 'utf8')) as KernelGolden;
const bytesOf = (c: Case) => new Uint8Array(Buffer.from(c.model, 'base64'));

type Outcome = 'ok' | 'cast' | 'load-fail' | 'run-fail';
const kind = (o: string): Outcome => (o.startsWith('load-fail') ? 'load-fail' : o.startsWith('run-fail') ? 'run-fail' : (o as Outcome));

/** What the checker predicts for the single node of a case. */
function predicted(r: TargetCheck): Outcome {
  const v = new Set([...r.unsupported, ...r.warnings].map((f) => f.verdict));
  if (v.has('no-kernel') || v.has('not-in-build')) return 'load-fail';
  if (v.has('fails-at-run')) return 'run-fail';
  if (v.has('cast-fallback')) return 'cast';
  return 'ok';
}

/** Inputs as probe_kernels.py feeds them, by element type: the tensor type and its data ([n]): ones for integers, 0.5 for
 * floats, zeros for indices (int64), true for bools. */
const PROBE_INPUTS: Record<number, [ort.Tensor.Type, (n: number) => ort.Tensor.DataType]> = {
  1: ['float32', (n) => new Float32Array(n).fill(0.5)],
  10: ['float16', (n) => new Uint16Array(n).fill(0x3800)],
  2: ['uint8', (n) => new Uint8Array(n).fill(1)],
  3: ['int8', (n) => new Int8Array(n).fill(1)],
  7: ['int64', (n) => new BigInt64Array(n)],
  9: ['bool', (n) => new Uint8Array(n).fill(1)],
};

function feeds<T extends { Tensor: typeof ort.Tensor }>(m: T, s: { inputNames: readonly string[] }, model: ReturnType<typeof parseModel>) {
  const out: Record<string, ort.Tensor> = {};
  for (const name of s.inputNames) {
    const v = model.graph.inputs.find((i) => i.name === name)!;
    const dims = (v.shape ?? []).map((d) => d.value ?? 1);
    const input = PROBE_INPUTS[v.elemType];
    if (!input) throw new Error(`input type ${v.elemType} not handled`);
    out[name] = new m.Tensor(input[0], input[1](dims.reduce((a, b) => a * b, 1)), dims) as ort.Tensor;
  }
  return out;
}

describe('kernel facts vs the recorded onnxruntime versions (scripts/parity/probe_kernels.py)', () => {
  it('the golden covers the versions and cases the facts name', () => {
    expect(Object.keys(golden.results)).toEqual(['1.22.0', '1.23.2', '1.24.2', '1.30.0', '1.32.0']);
    expect(golden.cases.length).toBeGreaterThanOrEqual(40);
    for (const r of Object.values(golden.results)) expect(Object.keys(r).sort()).toEqual(golden.cases.map((c) => c.name).sort());
  });

  for (const version of Object.keys(golden.results))
    for (const target of ['x86-vnni', 'browser-wasm'] as TargetId[])
      it(`${target} at onnxruntime ${version}: every verdict is what that version did`, () => {
        const wrong: string[] = [];
        for (const c of golden.cases) {
          const r = checkTarget(parseModel(bytesOf(c)), target, { runtimeVersion: version });
          const want = kind(golden.results[version]![c.name]!);
          const got = predicted(r);
          if (got !== want) wrong.push(`${c.name}: checker says ${got}, onnxruntime ${version} did ${golden.results[version]![c.name]}`);
        }
        expect(wrong).toEqual([]);
      });

  it('ARM64 and x86 share the quantization kernels: the same blocking verdicts at every version', () => {
    for (const version of Object.keys(golden.results))
      for (const c of golden.cases) {
        const m = parseModel(bytesOf(c));
        const arm = checkTarget(m, 'android-arm64', { runtimeVersion: version }).unsupported.map((f) => f.rule);
        const x86 = checkTarget(m, 'x86-vnni', { runtimeVersion: version }).unsupported.map((f) => f.rule);
        expect(arm, `${c.name} @ ${version}`).toEqual(x86);
      }
  });

  it('the versions split where the sources say: ConvInteger int8 and MatMulInteger s8 x u8 arrive in 1.24', () => {
    const at = (v: string, name: string) => kind(golden.results[v]![name]!);
    for (const name of ['ConvInteger u8xs8', 'ConvInteger s8xu8', 'ConvInteger s8xs8', 'MatMulInteger s8xu8']) {
      expect([at('1.22.0', name), at('1.23.2', name)]).toEqual(['load-fail', 'load-fail']);
      expect([at('1.24.2', name), at('1.30.0', name), at('1.32.0', name)]).toEqual(['ok', 'ok', 'ok']);
    }
    for (const v of Object.keys(golden.results)) {
      expect(at(v, 'ConvInteger u8xu8')).toBe('ok');
      expect(at(v, 'ConvInteger u8xu8 per-channel w_zero_point')).toBe('run-fail');
      expect(at(v, 'MatMulNBits f16')).toBe('ok');
      expect(at(v, 'MatMul f16')).toBe('cast');
    }
    expect(golden.results['1.22.0']!['ConvInteger u8xs8']).toMatch(/Could not find an implementation for ConvInteger\(10\)/);
  });
});

describe('kernel facts vs onnxruntime-node 1.30 and onnxruntime-web 1.30 (WASM), live', () => {
  it('onnxruntime-node: every single-op case loads / runs / gets Casts exactly as the checker says for 1.30', async () => {
    expect(ort.env.versions.node).toMatch(/^1\.30\./);
    const dir = mkdtempSync(path.join(tmpdir(), 'ava-kernels-'));
    const wrong: string[] = [];
    try {
      for (const [i, c] of golden.cases.entries()) {
        const bytes = bytesOf(c);
        const model = parseModel(bytes);
        const optimizedModelFilePath = path.join(dir, `${i}.onnx`);
        let outcome: Outcome;
        let s: ort.InferenceSession | null = null;
        try {
          s = await ort.InferenceSession.create(bytes, {
            graphOptimizationLevel: 'disabled',
            optimizedModelFilePath,
            intraOpNumThreads: 1,
            logSeverityLevel: 4,
          });
        } catch {
          outcome = 'load-fail';
        }
        if (s) {
          try {
            await s.run(feeds(ort, s, model));
            const ran = parseModel(new Uint8Array(readFileSync(optimizedModelFilePath)));
            const casts = (m: typeof model) => m.graph.nodes.filter((n) => n.opType === 'Cast').length;
            outcome = casts(ran) > casts(model) ? 'cast' : 'ok';
          } catch {
            outcome = 'run-fail';
          }
          await s.release();
        }
        const want = predicted(checkTarget(model, 'x86-vnni', { runtimeVersion: '1.30.0' }));
        if (outcome! !== want) wrong.push(`${c.name}: onnxruntime-node did ${outcome!}, checker says ${want}`);
        if (outcome! !== kind(golden.results['1.30.0']![c.name]!))
          wrong.push(`${c.name}: onnxruntime-node did ${outcome!}, python 1.30.0 did ${golden.results['1.30.0']![c.name]}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(wrong).toEqual([]);
  });

  it('onnxruntime-web (WASM): every case the checker passes for browser-wasm 1.30 loads and runs; the blocking ones fail', async () => {
    const wrong: string[] = [];
    for (const c of golden.cases) {
      const bytes = bytesOf(c);
      const model = parseModel(bytes);
      const r = checkTarget(model, 'browser-wasm');
      expect(r.version).toBe('1.30.0');
      const want = predicted(r) === 'cast' ? 'ok' : predicted(r); // the WASM API has no optimized-model dump
      let outcome: Outcome = 'ok';
      let s: ortWeb.InferenceSession | null = null;
      try {
        s = await ortWeb.InferenceSession.create(bytes, { logSeverityLevel: 4 });
      } catch {
        outcome = 'load-fail';
      }
      if (s) {
        try {
          await s.run(feeds(ortWeb as unknown as typeof ort, s, model) as unknown as Record<string, ortWeb.Tensor>);
        } catch {
          outcome = 'run-fail';
        }
        await s.release();
      }
      if (outcome !== want) wrong.push(`${c.name}: onnxruntime-web wasm did ${outcome}, checker says ${want}`);
    }
    expect(wrong).toEqual([]);
  });
});
