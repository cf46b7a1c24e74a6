/**
 * Parity with the reference (onnxruntime 1.32.0 quantize_dynamic), judged by the committed goldens
 * tests/golden/int8/<fixture>.<preset>.json (scripts/parity/make_golden.py):
 *  - every quantized initializer: same name, order, dtype, dims and sha256 of its values;
 *  - node list: op types, domains, names, inputs, outputs, attributes, order (subgraphs nested);
 *  - opsets, producer, metadata, graph inputs / outputs;
 *  - value_info of every graph (from the reference's shape inference: names, order, element types, dims and dim
 *    names) and the graph input / output types inference merged into;
 *  - the model loads in onnxruntime-node and reproduces the reference-quantized outputs on the golden's inputs, with
 *    graph optimizations disabled and with onnxruntime's default session options: under the defaults onnxruntime
 *    fuses nodes (SkipLayerNormalization, Gelu, MatMulIntegerToFloat, ...) where value_info gives it shapes, so the
 *    optimized graph must be the reference's, op for op, and its outputs the reference's.
 *
 * Tolerances: outputs are compared with REL = 1e-5 (relative to the output's magnitude). Both runs execute the same
 * graph (asserted) with the same kernels; the goldens come from onnxruntime 1.32 (python), the test runs 1.30
 * (node), possibly on another CPU whose vector kernels differ in the last float bits. Measured on the machine that
 * made the goldens: sums identical to 1e-15, first 64 values within the goldens' 7-significant-digit rounding.
 * Outputs alone do not prove the graph is the same: a fusion changes results in the last float bits, which dynamic
 * quantization turns into visible differences only when an activation's rounding flips (on the goldens' inputs it
 * flips for MiniLM avx512-vnni, not for ort-default / tjs-q8). Hence value_info (byte for byte in the main graph) and
 * the optimized graph's op histogram are asserted as well.
 *
 * Documented deviations (asserted below, not hidden):
 *  - metadata_props: "ava.quantization" (JSON of what was done) is appended.
 *  - storage form: the reference stores scales in float_data and zero points in int32_data and (after its
 *    external-data round trip) sets data_location on big tensors; we write raw_data. Values are identical
 *    (the sha256 compared is over the values, as numpy_helper.to_array sees them).
 *  - goldens with "error" (the reference raises): we either refuse with a clear reason or produce a model that
 *    loads and runs, with the nodes the reference chokes on left in float and the reason in the report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { Int8Refusal, METADATA_KEY, quantizeInt8, type Int8Report, type PresetName } from '../../src/core/int8/index.js';
import { pathOf } from '../helpers/fixtures.js';
import { ERROR_FIXTURE_INPUTS, expectDeclarations, expectInt8Outputs, expectStructure, groupBy, runSummaries } from '../helpers/parity.js';
import { describeModel, joinParts, loadGoldens, num, sha256 } from './helpers.js';

const goldens = loadGoldens();
const byFixture = groupBy(goldens, (g) => g.fixture.path);

describe.skipIf(goldens.length === 0)('int8 parity with onnxruntime quantize_dynamic', () => {
  for (const [fixturePath, list] of byFixture) {
    describe(list[0]!.fixture.name, () => {
      let bytes: Uint8Array;
      let model: ModelView;
      beforeAll(() => {
        bytes = new Uint8Array(readFileSync(pathOf(fixturePath)));
        model = parseModel(bytes);
      });

      for (const g of list) {
        const preset = g.reference.preset as PresetName;
        it(`${preset}${g.error ? ' (the reference raises)' : ''}`, async () => {
          expect(sha256(bytes), 'fixture bytes differ from the ones the golden was made from').toBe(g.input_sha256);
          let result: { parts: import('../../src/core/onnx/writer.js').Piece[]; report: Int8Report };
          try {
            result = await quantizeInt8(model, { preset });
          } catch (e) {
            // Only acceptable where the reference fails too, and with a clear reason.
            expect(g.error, `we refused but the reference succeeded: ${(e as Error).message}`).toBeTruthy();
            expect(e).toBeInstanceOf(Int8Refusal);
            expect((e as Error).message.length).toBeGreaterThan(40);
            console.info(
              `[parity] ${g.file}: reference raises (${g.error!.slice(0, 80)}); AVA refuses: ${(e as Error).message.slice(0, 160)}`,
            );
            return;
          }
          const out = await joinParts(result.parts);
          const q = parseModel(out);
          expect(sha256(bytes), 'the input model must not be modified').toBe(g.input_sha256);

          if (g.error) {
            // The reference raises; we produced a model. It must load and run, and the report must say what the
            // reference chokes on.
            const m = /Expected (.+) to be an initializer/.exec(g.error);
            if (m) expect(result.report.leftInFloat.some((l) => l.reason.includes(`Expected ${m[1]} to be an initializer`))).toBe(true);
            const sibling = list.find((x) => x.outputs?.inputs);
            const inputs = sibling?.outputs?.inputs[0] ?? ERROR_FIXTURE_INPUTS[g.fixture.name]!;
            const ours = await runSummaries(out, inputs, 0);
            const fp = await runSummaries(bytes, inputs, 0);
            const diffs: string[] = [];
            for (const [name, o] of Object.entries(ours)) {
              for (const v of o.first64) expect(Number.isFinite(v)).toBe(true);
              const f = fp[name]!;
              const d = Math.max(...o.first64.map((v, i) => Math.abs(v - f.first64[i]!)));
              diffs.push(`${name}: max|q-fp32| over first ${o.first64.length} = ${d.toExponential(2)}`);
            }
            console.info(
              `[parity] ${g.file}: reference raises; AVA quantized ${JSON.stringify(result.report.rewritten)}, ` +
                `${result.report.leftInFloat.length} nodes left in float, ${result.report.inputBytes} -> ${result.report.outputBytes} bytes; ${diffs.join('; ')}`,
            );
            return;
          }

          const want = g.output!;
          // Opsets (file order), producer, graph I/O, metadata as the reference's ("onnx.infer" marker first) with
          // ava.quantization appended (documented above), nodes (subgraphs included) and initializers.
          expectStructure(q, describeModel(q), want, { nodes: g.nodes!, initializers: g.initializers!, metadataKey: METADATA_KEY });
          expect(q.metadata.find((m) => m.key === METADATA_KEY)?.value).toContain(`"preset":"${preset}"`);
          // value_info (every graph, in order) and the graph input / output types shape inference merged into.
          expectDeclarations(q, g);

          // Outputs on the golden's inputs vs the reference-quantized model's outputs, optimizations off and with the
          // default session options (the same optimized graph as the reference's).
          const outs = g.outputs!;
          const { ours, skipped } = await expectInt8Outputs(out, outs, g.file);
          for (const error of skipped)
            console.info(`[parity] ${g.file}: the reference-quantized model failed to run: ${error.slice(0, 120)}`);
          const fp = outs.fp32[0]!;
          if (ours[0]) {
            const notes = Object.entries(ours[0]).flatMap(([name, o]) => {
              const f = 'error' in fp ? undefined : (fp as Record<string, { first64: (number | string)[] }>)[name];
              return f
                ? [
                    `${name}: max|q-fp32| (first 64) ${Math.max(...f.first64.map((v, i) => Math.abs(num(v) - o.first64[i]!))).toExponential(2)}`,
                  ]
                : [];
            });
            console.info(`[parity] ${g.file}: identical nodes/initializers/value_info; outputs match the reference; ${notes.join('; ')}`);
          }
        });
      }
    });
  }
});
