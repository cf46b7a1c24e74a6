/**
 * Parity of the Optimum targets (src/core/targets/presets.ts) with onnxruntime 1.32.0 quantize_dynamic run with the
 * arguments Optimum's AutoQuantizationConfig.<target>(is_static=False) hands to onnxruntime, judged by the committed
 * goldens tests/golden/targets/<fixture>.<target>.json (scripts/parity/make_golden_targets.py), the way
 * tests/int8/parity.test.ts judges the INT8 presets:
 *  - every quantized initializer: same name, order, dtype, dims and sha256 of its values;
 *  - node list (subgraphs nested), opsets, producer, metadata, graph inputs / outputs;
 *  - value_info of every graph (main graph byte for byte) and the graph input / output types;
 *  - onnxruntime-node runs it with the reference-quantized outputs, graph optimizations off and with the default
 *    session options (same optimized graph, op for op).
 * Goldens marked `same_as_target` (arm64 = avx512 = avx512_vnni: identical arguments, and the generator checked the
 * reference files are byte-identical) must give our bytes for the twin target, byte for byte.
 * Documented deviations are those of tests/int8/parity.test.ts (metadata `ava.quantization` appended; raw_data
 * storage; where the reference raises, we refuse or leave the offending nodes in float and say why).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { Int8Refusal, METADATA_KEY, resolveOptions, type Int8Report } from '../../src/core/int8/index.js';
import { runMode } from '../../src/core/modes/run.js';
import { modelDigest } from '../../src/core/quality/digest.js';
import { TARGET_PRESETS, isOptimumTarget, targetInt8Options, type OptimumTarget } from '../../src/core/targets/presets.js';
import { MINILM, bytesOf, fixture, pathOf } from '../helpers/fixtures.js';
import {
  type Golden,
  type GoldenInput,
  type OutputSummary,
  defaultSession,
  describeDeclarations,
  describeModel,
  goldenFeeds,
  joinParts,
  num,
  opHistogram,
  session,
  sha256,
  sumOf,
} from '../int8/helpers.js';

type TargetGolden = Omit<Golden, "reference"> & { reference: { target: OptimumTarget; onnxruntime: string; args: unknown }; same_as_target?: OptimumTarget; quantized_file_sha256?: string; ortquantizer?: { differs_in?: string[]; error?: string } };

const DIR = path.resolve(__dirname, '../golden/targets');
const goldens: TargetGolden[] = (() => {
  try {
    return readdirSync(DIR)
      .filter((f) => f.endsWith('.json') && f !== 'kernels.json') // kernels.json: the kernel probe (kernels.test.ts)
      .sort()
      .map((f) => ({ file: f, ...(JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as Omit<TargetGolden, 'file'>) }));
  } catch {
    return [];
  }
})();
const byFixture = new Map<string, TargetGolden[]>();
for (const g of goldens) {
  const l = byFixture.get(g.fixture.path) ?? [];
  l.push(g);
  byFixture.set(g.fixture.path, l);
}

const ERROR_FIXTURE_INPUTS: Record<string, GoldenInput[]> = {
  'PP-OCRv4-det': [{ name: 'x', dtype: 'float32', shape: [1, 3, 64, 64], recipe: 'hash float amp=1.0', sha256: '' }],
  'PP-OCRv4-rec': [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 96], recipe: 'hash float amp=1.0', sha256: '' }],
  'ppocr-mobile-v2.0-cls': [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], recipe: 'hash float amp=1.0', sha256: '' }],
};

/** The recorded inputs of this fixture's INT8 goldens (tests/golden/int8/), for fixtures where every target golden is an error. */
function int8GoldenInputs(fixture: string): GoldenInput[] | undefined {
  const dir = path.resolve(__dirname, '../golden/int8');
  for (const f of readdirSync(dir).filter((x) => x.startsWith(`${fixture}.`) && x.endsWith('.json')).sort()) {
    const g = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Golden;
    if (g.outputs?.inputs?.[0]) return g.outputs.inputs[0];
  }
  return undefined;
}

/** Relative tolerance: the same graph run by onnxruntime 1.30 (node) vs 1.32 (python), as in tests/int8/parity.test.ts. */
const REL = 1e-5;
const close = (a: number, b: number, scale: number) =>
  Number.isNaN(a) || Number.isNaN(b) ? Number.isNaN(a) && Number.isNaN(b) : Math.abs(a - b) <= REL * Math.max(1e-6, scale);

async function runSummaries(bytes: Uint8Array, inputs: GoldenInput[], k: number, opts: { defaults?: boolean; optimizedPath?: string } = {}) {
  const s = opts.defaults ? await defaultSession(bytes, opts.optimizedPath) : await session(bytes);
  try {
    const feeds = goldenFeeds(inputs, k);
    const out = await s.run(Object.fromEntries(s.inputNames.map((n) => [n, feeds[n]!])));
    return Object.fromEntries(Object.entries(out).map(([n, t]) => [n, { dims: [...t.dims], ...sumOf(t) }]));
  } finally {
    await s.release();
  }
}

function expectOutputs(name: string, o: { dims: number[]; sum: number; sumAbs: number; first64: number[] }, r: OutputSummary, label: string) {
  expect(o.dims, `${name} shape${label}`).toEqual(r.shape);
  const sumAbs = num(r.sum_abs);
  expect(close(o.sum, num(r.sum), sumAbs), `${name} sum ${o.sum} vs ${r.sum}${label}`).toBe(true);
  expect(close(o.sumAbs, sumAbs, sumAbs), `${name} sum_abs${label}`).toBe(true);
  const scale = sumAbs / Math.max(1, o.dims.reduce((a, b) => a * b, 1));
  r.first64.forEach((v, i) => expect(close(o.first64[i]!, num(v), Math.max(Math.abs(num(v)), scale)), `${name}[${i}]${label}`).toBe(true));
}

describe('the Optimum target presets', () => {
  it('are exactly the arguments the goldens were made with (op types, per-channel, reduce_range, weight type, extra options)', () => {
    expect(goldens.length).toBeGreaterThan(0);
    for (const g of goldens) {
      const target = g.reference.target;
      expect(isOptimumTarget(target)).toBe(true);
      const a = g.reference.args as {
        op_types_to_quantize: string[];
        per_channel: boolean;
        reduce_range: boolean;
        weight_type: string;
        extra_options: Record<string, unknown>;
      };
      const o = TARGET_PRESETS[target as OptimumTarget].options;
      expect(o.opTypes).toEqual(a.op_types_to_quantize);
      expect(o.perChannel).toBe(a.per_channel);
      expect(o.reduceRange).toBe(a.reduce_range);
      expect(o.weightType).toBe(a.weight_type === 'QuantType.QUInt8' ? 'quint8' : 'qint8');
      expect(o.weightSymmetric).toBe(a.extra_options['WeightSymmetric']);
      expect(o.activationSymmetric).toBe(a.extra_options['ActivationSymmetric']);
      expect(o.matMulConstBOnly).toBe(a.extra_options['MatMulConstBOnly']);
    }
  });
});

describe('the preset a run records (ava.quantization "preset")', () => {
  it('full options without a preset name record the preset they are: a target by its name, the default for {}, null for custom options', () => {
    const model = parseModel(bytesOf(fixture(MINILM)));
    expect(resolveOptions(targetInt8Options('arm64', model)).preset).toBe('arm64');
    expect(resolveOptions(targetInt8Options('avx512_vnni', model)).preset).toBe('arm64'); // the same arguments: the first name
    expect(resolveOptions(targetInt8Options('avx2', model)).preset).toBe('avx2');
    expect(resolveOptions({}).preset).toBe('avx512-vnni');
    expect(resolveOptions({ perChannel: false, reduceRange: true }).preset).toBeNull();
    expect(resolveOptions({ preset: 'avx512_vnni' }).preset).toBe('avx512_vnni');
  });
});

describe.skipIf(goldens.length === 0)('Optimum targets: parity with onnxruntime quantize_dynamic', () => {
  for (const [fixturePath, list] of byFixture) {
    describe(list[0]!.fixture.name, () => {
      let bytes: Uint8Array;
      let model: ModelView;
      const ours = new Map<string, Uint8Array | Error>();
      beforeAll(() => {
        bytes = new Uint8Array(readFileSync(pathOf(fixturePath)));
        model = parseModel(bytes);
      });

      for (const g of list) {
        const target = g.reference.target;
        it(`${target}${g.same_as_target ? ` (same arguments as ${g.same_as_target})` : g.error ? ' (the reference raises)' : ''}`, async () => {
          expect(sha256(bytes), 'fixture bytes differ from the ones the golden was made from').toBe(g.input_sha256);
          const enableSubgraph = (g.reference.args as { extra_options: Record<string, unknown> }).extra_options['EnableSubgraph'];
          expect(targetInt8Options(target, model).enableSubgraph, 'EnableSubgraph as the golden was made').toBe(enableSubgraph);
          // Through the registry, as the CLI (`quantize … int8 --preset arm64`), the page and the batch run it: the preset
          // alone, EnableSubgraph resolved for the model by the INT8 mode's run. `force`: the refusals of runMode
          // (already quantized, nothing to do) are not the reference's; the goldens cover those files too.
          let result: { parts: import('../../src/core/onnx/writer.js').Piece[]; report: Int8Report } | null = null;
          let refusal: Error | null = null;
          try {
            const r = await runMode(model, { mode: 'int8', options: { preset: target } }, { force: true });
            result = { parts: r.parts, report: r.report as Int8Report };
          } catch (e) {
            refusal = e as Error;
          }
          if (result) {
            expect(result.report.options.enableSubgraph, 'EnableSubgraph resolved by the mode').toBe(enableSubgraph);
            expect(result.report.options.preset, 'the report names the target').toBe(target);
          }
          const out = result ? await joinParts(result.parts) : null;
          ours.set(target, out ?? refusal!);

          if (g.same_as_target) {
            const twin = ours.get(g.same_as_target);
            expect(twin, `the ${g.same_as_target} case runs first`).toBeDefined();
            if (twin instanceof Error) {
              expect(refusal?.message).toBe(twin.message);
            } else {
              // The same bytes but for our provenance record, which names the preset asked for.
              expect((await modelDigest(out!)).sha256, `byte-identical to our ${g.same_as_target} output (metadata_props aside)`).toBe((await modelDigest(twin!)).sha256);
              const rec = (b: Uint8Array) => JSON.parse(parseModel(b).metadata.find((m) => m.key === METADATA_KEY)!.value) as Record<string, unknown>;
              expect(rec(out!)).toEqual({ ...rec(twin!), preset: target });
            }
            return;
          }

          if (refusal) {
            expect(g.error, `we refused but the reference succeeded: ${refusal.message}`).toBeTruthy();
            expect(refusal).toBeInstanceOf(Int8Refusal);
            console.info(`[targets parity] ${g.file}: reference raises (${g.error!.slice(0, 80)}); AVA refuses: ${refusal.message.slice(0, 160)}`);
            return;
          }
          const q = parseModel(out!);
          expect(sha256(bytes), 'the input model must not be modified').toBe(g.input_sha256);
          const record = JSON.parse(q.metadata.find((m) => m.key === METADATA_KEY)!.value) as { preset: unknown };
          expect(record.preset, 'the provenance records the target by its name').toBe(target);

          if (g.error) {
            const m = /Expected (.+) to be an initializer/.exec(g.error);
            if (m) expect(result!.report.leftInFloat.some((l) => l.reason.includes(`Expected ${m[1]} to be an initializer`))).toBe(true);
            const inputs = list.find((x) => x.outputs?.inputs)?.outputs?.inputs[0] ?? int8GoldenInputs(g.fixture.name) ?? ERROR_FIXTURE_INPUTS[g.fixture.name];
            expect(inputs, 'inputs to run the model on').toBeDefined();
            const o = await runSummaries(out!, inputs!, 0);
            for (const v of Object.values(o)) for (const x of v.first64) expect(Number.isFinite(x)).toBe(true);
            console.info(`[targets parity] ${g.file}: reference raises; AVA quantized ${JSON.stringify(result!.report.rewritten)}, ${result!.report.leftInFloat.length} nodes left in float`);
            return;
          }

          const want = g.output!;
          const got = describeModel(q);
          expect(got.opsets).toEqual(Object.entries(want.opsets));
          expect([q.producerName, q.producerVersion]).toEqual([want.producer_name, want.producer_version]);
          expect(q.irVersion).toBe(want.ir_version);
          expect(q.graph.inputs.map((i) => i.name)).toEqual(want.graph_inputs);
          expect(q.graph.outputs.map((o) => o.name)).toEqual(want.graph_outputs);
          expect(q.metadata.filter((m) => m.key !== METADATA_KEY).map((m) => [m.key, m.value])).toEqual(want.metadata_props);
          expect(q.metadata[q.metadata.length - 1]?.key).toBe(METADATA_KEY);
          expect(got.nodes.length).toBe(g.nodes!.length);
          for (let i = 0; i < got.nodes.length; i++) expect(got.nodes[i], `node ${i}`).toEqual(g.nodes![i]);
          expect(Object.keys(got.initializers)).toEqual(Object.keys(g.initializers!));
          for (const [name, t] of Object.entries(g.initializers!)) {
            const o = got.initializers[name]!;
            expect({ name, dtype: o.dtype, dims: o.dims, sha256: o.sha256 }).toEqual({ name, dtype: t.dtype, dims: t.dims, sha256: t.sha256 });
          }
          const decl = describeDeclarations(q);
          expect(Object.keys(decl.value_info)).toEqual(Object.keys(g.value_info!));
          for (const [key, vis] of Object.entries(g.value_info!)) {
            const mine = decl.value_info[key]!;
            expect(mine.length, `value_info count of graph '${key}'`).toBe(vis.length);
            vis.forEach((e, i) => expect(mine[i], `value_info[${i}] of graph '${key}'`).toEqual(e));
          }
          expect(decl.graph_io).toEqual(g.graph_io);
          const viHash = createHash('sha256');
          for (const v of q.graph.valueInfo) viHash.update(q.buf.subarray(v.fields[0]!.start, v.fields[v.fields.length - 1]!.end));
          expect(viHash.digest('hex'), 'main-graph value_info bytes').toBe(want.value_info_sha256);

          const outs = g.outputs!;
          for (let k = 0; k < outs.inputs.length; k++) {
            const ref = outs.quantized[k]!;
            if ('error' in ref && typeof ref.error === 'string') {
              console.info(`[targets parity] ${g.file}: the reference-quantized model failed to run: ${ref.error.slice(0, 120)}`);
              continue;
            }
            const mine = await runSummaries(out!, outs.inputs[k]!, k);
            for (const [name, r] of Object.entries(ref as Record<string, OutputSummary>)) expectOutputs(name, mine[name]!, r, '');
          }
          const dir = mkdtempSync(path.join(tmpdir(), 'ava-targets-parity-'));
          try {
            const optimizedPath = path.join(dir, 'optimized.onnx');
            for (let k = 0; k < outs.inputs.length; k++) {
              const ref = outs.quantized_default![k]!;
              expect('error' in ref, `the reference-quantized model fails under default options: ${JSON.stringify(ref).slice(0, 200)}`).toBe(false);
              const mine = await runSummaries(out!, outs.inputs[k]!, k, { defaults: true, ...(k === 0 ? { optimizedPath } : {}) });
              if (k === 0)
                expect(opHistogram(parseModel(new Uint8Array(readFileSync(optimizedPath)))), 'graph onnxruntime runs under default options').toEqual(outs.optimized_ops);
              for (const [name, r] of Object.entries(ref as Record<string, OutputSummary>)) expectOutputs(name, mine[name]!, r, ' (default options)');
            }
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
          console.info(`[targets parity] ${g.file}: identical nodes/initializers/value_info; outputs match; ORTQuantizer's own path ${g.ortquantizer?.error ? 'raises' : g.ortquantizer?.differs_in?.length ? `differs from quantize_dynamic in ${g.ortquantizer.differs_in.join(', ')}` : 'gives the same file'}`);
        });
      }
    });
  }
});
