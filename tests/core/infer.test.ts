/**
 * Shape inference (src/core/onnx/infer/) against onnx's own `infer_shapes` (onnx pinned in
 * scripts/parity/requirements.txt), recorded by scripts/parity/make_infer_golden.py:
 *  - tiny hand-built graphs, one or more per operator rule (tests/golden/infer/cases.json): every graph's value_info
 *    (names, order, element types, dims and dim names, unk__ numbering), graph inputs and outputs;
 *  - every real-model fixture (tests/golden/infer/<fixture>.json), main graph and subgraphs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { forEachGraph, parseModel } from '../../src/core/onnx/model.js';
import {
  type InferGraph,
  type InferModel,
  type InferResult,
  RULE_OPS,
  compactDecls,
  encodeSlot,
  inferShapes,
  modelFromView,
  valueSlot,
  withInferred,
} from '../../src/core/onnx/infer/index.js';
import { F32, tinyModel } from '../helpers/tiny-model.js';
import { pathOf } from '../helpers/fixtures.js';
import { createHash } from 'node:crypto';

const DIR = path.resolve(import.meta.dirname, '..', 'golden', 'infer');

type Decls = ReturnType<typeof compactDecls>;

/** Runs `passes` inference passes (each on the previous one's output); compact declarations per graph path. */
function run(model: InferModel, passes: number): { graphs: Record<string, Decls>; res: InferResult } {
  let m = model;
  let res = inferShapes(m);
  for (let p = 1; p < passes && !res.failure; p++) {
    m = { ...m, graph: withInferred(m.graph, res) };
    res = inferShapes(m);
  }
  const graphs: Record<string, Decls> = {};
  const walk = (g: InferGraph, prefix: string) => {
    const d = res.graphs.get(g);
    graphs[prefix] = d ? compactDecls(d) : compactDecls({ inputs: [...g.inputs], outputs: [...g.outputs], valueInfo: [...g.valueInfo] });
    g.nodes.forEach((n, i) => {
      for (const a of n.attributes) if (a.g) walk(a.g as InferGraph, `${prefix}/${n.name || n.opType}:${a.name}`);
      void i;
    });
  };
  walk(m.graph, '');
  return { graphs, res };
}

interface Case {
  name: string;
  passes: number;
  model: string;
  expect: { graphs: Record<string, Decls> } | { error: string };
}

const cases = (JSON.parse(readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;

describe('shape inference on tiny graphs, as onnx.shape_inference.infer_shapes', () => {
  for (const c of cases) {
    it(c.name, () => {
      const model = modelFromView(parseModel(new Uint8Array(Buffer.from(c.model, 'base64'))));
      const { graphs, res } = run(model, c.passes);
      if ('error' in c.expect) {
        expect(res.failure, `onnx raises: ${c.expect.error}`).toBeTruthy();
        return;
      }
      expect(res.failure).toBeUndefined();
      expect(graphs).toEqual(c.expect.graphs);
    });
  }
});

describe('shape inference: rules, fallbacks and encoding', () => {
  it('every operator with a rule has at least one golden case', () => {
    const seen = new Set<string>();
    for (const c of cases)
      forEachGraph(parseModel(new Uint8Array(Buffer.from(c.model, 'base64'))).graph, (g) => g.nodes.forEach((n) => seen.add(n.opType)));
    expect(RULE_OPS.filter((op) => !seen.has(op))).toEqual([]);
  });

  it('an operator with a schema but no rule gets element types from the schema, no shape, and is reported', () => {
    const bytes = tinyModel(
      {
        nodes: [
          { opType: 'ReverseSequence', inputs: ['x', 'l'], outputs: ['r'] },
          { opType: 'Relu', inputs: ['r'], outputs: ['y'] },
        ],
        inputs: [
          ['x', F32, ['T', 'N', 3]],
          ['l', 7, ['N']],
        ],
        outputs: [['y', F32, null]],
      },
      17,
    );
    const res = inferShapes(modelFromView(parseModel(bytes)));
    expect(res.noRule.get('ReverseSequence')).toBe(1);
    const d = res.graphs.values().next().value!;
    expect(compactDecls(d).value_info).toEqual([['r', [F32, null]]]);
  });

  it('an operator of another domain is not inferred (as onnx, which has no schema for it) and is reported', () => {
    const bytes = tinyModel(
      {
        nodes: [
          { opType: 'SkipLayerNormalization', domain: 'com.microsoft', inputs: ['x', 'x', 'g'], outputs: ['s'] },
          { opType: 'Relu', inputs: ['s'], outputs: ['y'] },
        ],
        inputs: [
          ['x', F32, ['N', 4]],
          ['g', F32, [4]],
        ],
        outputs: [['y', F32, null]],
      },
      17,
      [['com.microsoft', 1]],
    );
    const res = inferShapes(modelFromView(parseModel(bytes)));
    expect(res.unsupported.get('com.microsoft.SkipLayerNormalization')).toBe(1);
    expect(compactDecls(res.graphs.values().next().value!).value_info).toEqual([]);
    expect(res.errors.some((e) => e.includes('Relu'))).toBe(true);
  });

  it('re-encodes a declaration byte for byte as protobuf would (name, type, then other fields verbatim)', () => {
    const m = parseModel(new Uint8Array(readFileSync(pathOf('audio/vad-web/silero_vad_v5.onnx'))));
    for (const v of [...m.graph.inputs, ...m.graph.outputs]) {
      const original = m.buf.subarray(v.fields[0]!.start, v.fields[v.fields.length - 1]!.end);
      expect(Buffer.from(encodeSlot(valueSlot(v))).equals(Buffer.from(original)), v.name).toBe(true);
    }
  });
});

const fixtureGoldens = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'cases.json')
  .sort()
  .map(
    (f) =>
      JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as {
        fixture: { name: string; path: string };
        input_sha256: string;
        graphs: Record<string, Decls>;
      },
  );

describe('shape inference on the fixtures, as onnx.shape_inference.infer_shapes', () => {
  for (const g of fixtureGoldens) {
    it(g.fixture.name, () => {
      const bytes = new Uint8Array(readFileSync(pathOf(g.fixture.path)));
      expect(createHash('sha256').update(bytes).digest('hex'), 'fixture differs from the golden').toBe(g.input_sha256);
      const { graphs, res } = run(modelFromView(parseModel(bytes)), 1);
      expect(res.failure).toBeUndefined();
      expect(Object.keys(graphs).sort()).toEqual(Object.keys(g.graphs).sort());
      for (const [k, v] of Object.entries(g.graphs)) {
        const ours = graphs[k]!;
        for (const list of ['inputs', 'outputs', 'value_info'] as const) {
          expect(ours[list].length, `${k || 'main'} ${list} count`).toBe(v[list].length);
          ours[list].forEach((e, i) => expect(e, `${k || 'main'} ${list}[${i}]`).toEqual(v[list][i]));
        }
      }
    });
  }
});
