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
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { Int8Refusal, METADATA_KEY, resolveOptions, type Int8Report } from '../../src/core/int8/index.js';
import { runMode } from '../../src/core/modes/run.js';
import { modelDigest } from '../../src/core/quality/digest.js';
import { TARGET_PRESETS, isOptimumTarget, targetInt8Options, type OptimumTarget } from '../../src/core/targets/presets.js';
import { MINILM, bytesOf, fixture, pathOf } from '../helpers/fixtures.js';
import { ERROR_FIXTURE_INPUTS, expectDeclarations, expectInt8Outputs, expectStructure, groupBy, runSummaries } from '../helpers/parity.js';
import { type Golden, type GoldenInput, describeModel, joinParts, loadGoldens, sha256 } from '../int8/helpers.js';

type TargetGolden = Omit<Golden, 'reference'> & {
  reference: { target: OptimumTarget; onnxruntime: string; args: unknown };
  same_as_target?: OptimumTarget;
  quantized_file_sha256?: string;
  ortquantizer?: { differs_in?: string[]; error?: string };
};

const goldens = loadGoldens<TargetGolden>(path.resolve(__dirname, '../golden/targets'), ['kernels.json']); // kernels.json: the kernel probe (kernels.test.ts)
const byFixture = groupBy(goldens, (g) => g.fixture.path);

/** The recorded inputs of this fixture's INT8 goldens (tests/golden/int8/), for fixtures where every target golden is an error. */
function int8GoldenInputs(fixture: string): GoldenInput[] | undefined {
  const dir = path.resolve(__dirname, '../golden/int8');
  for (const f of readdirSync(dir)
    .filter((x) => x.startsWith(`${fixture}.`) && x.endsWith('.json'))
    .sort()) {
    const g = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Golden;
    if (g.outputs?.inputs?.[0]) return g.outputs.inputs[0];
  }
  return undefined;
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
              expect((await modelDigest(out!)).sha256, `byte-identical to our ${g.same_as_target} output (metadata_props aside)`).toBe(
                (await modelDigest(twin!)).sha256,
              );
              const rec = (b: Uint8Array) =>
                JSON.parse(parseModel(b).metadata.find((m) => m.key === METADATA_KEY)!.value) as Record<string, unknown>;
              expect(rec(out!)).toEqual({ ...rec(twin!), preset: target });
            }
            return;
          }

          if (refusal) {
            expect(g.error, `we refused but the reference succeeded: ${refusal.message}`).toBeTruthy();
            expect(refusal).toBeInstanceOf(Int8Refusal);
            console.info(
              `[targets parity] ${g.file}: reference raises (${g.error!.slice(0, 80)}); AVA refuses: ${refusal.message.slice(0, 160)}`,
            );
            return;
          }
          const q = parseModel(out!);
          expect(sha256(bytes), 'the input model must not be modified').toBe(g.input_sha256);
          const record = JSON.parse(q.metadata.find((m) => m.key === METADATA_KEY)!.value) as { preset: unknown };
          expect(record.preset, 'the provenance records the target by its name').toBe(target);

          if (g.error) {
            const m = /Expected (.+) to be an initializer/.exec(g.error);
            if (m) expect(result!.report.leftInFloat.some((l) => l.reason.includes(`Expected ${m[1]} to be an initializer`))).toBe(true);
            const inputs =
              list.find((x) => x.outputs?.inputs)?.outputs?.inputs[0] ??
              int8GoldenInputs(g.fixture.name) ??
              ERROR_FIXTURE_INPUTS[g.fixture.name];
            expect(inputs, 'inputs to run the model on').toBeDefined();
            const o = await runSummaries(out!, inputs!, 0);
            for (const v of Object.values(o)) for (const x of v.first64) expect(Number.isFinite(x)).toBe(true);
            console.info(
              `[targets parity] ${g.file}: reference raises; AVA quantized ${JSON.stringify(result!.report.rewritten)}, ${result!.report.leftInFloat.length} nodes left in float`,
            );
            return;
          }

          expectStructure(q, describeModel(q), g.output!, { nodes: g.nodes!, initializers: g.initializers!, metadataKey: METADATA_KEY });
          expectDeclarations(q, g);
          const { skipped } = await expectInt8Outputs(out!, g.outputs!, g.file);
          for (const error of skipped)
            console.info(`[targets parity] ${g.file}: the reference-quantized model failed to run: ${error.slice(0, 120)}`);
          console.info(
            `[targets parity] ${g.file}: identical nodes/initializers/value_info; outputs match; ORTQuantizer's own path ${g.ortquantizer?.error ? 'raises' : g.ortquantizer?.differs_in?.length ? `differs from quantize_dynamic in ${g.ortquantizer.differs_in.join(', ')}` : 'gives the same file'}`,
          );
        });
      }
    });
  }
});
