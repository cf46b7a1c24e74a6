/**
 * The keep-in-float32 policy (src/core/fp16/policy.ts KEEP_RULES): the README's rules table is the policy table,
 * every rule is reachable and named in the report, and each graph rule has its own test file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { KEEP_RULES, type KeepRuleId } from '../../src/core/fp16/index.js';
import { type Fp16Options } from '../../src/core/fp16/options.js';
import { runModel, toFp16 } from './helpers.js';
import { BOOL, F32, graphParts, type GraphSpec, tinyModel } from '../helpers/tiny-model.js';

const README = join(import.meta.dirname, '..', '..', 'src', 'core', 'fp16', 'README.md');

describe('the policy table', () => {
  it('is the README rules table, row for row (id, scope, summary)', () => {
    const rows = readFileSync(README, 'utf8')
      .split('\n')
      .map((l) => /^\| `([a-z0-9-]+)` \| (\w+) \| (.+) \|$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => [m[1], m[2], m[3]]);
    expect(rows).toEqual(KEEP_RULES.map((r) => [r.id, r.scope, r.summary]));
  });

  it('has unique ids, and each graph rule its own test file', () => {
    expect(new Set(KEEP_RULES.map((r) => r.id)).size).toBe(KEEP_RULES.length);
    for (const r of KEEP_RULES.filter((x) => x.scope === 'graph'))
      expect(existsSync(join(import.meta.dirname, `rule-${r.id}.test.ts`)), r.id).toBe(true);
  });
});

const relu = (x: string, y: string, name = y) => ({ opType: 'Relu', inputs: [x], outputs: [y], name });
const one = (nodes: GraphSpec['nodes'], extra: Partial<GraphSpec> = {}): GraphSpec => ({
  nodes,
  inputs: [['x', F32, [2]]],
  outputs: [['y', F32, [2]]],
  ...extra,
});

interface Case {
  rule: KeepRuleId;
  /** The node kept, by name, and a piece of its reason. */
  node: string;
  reason: string | RegExp;
  model: Uint8Array;
  options?: Fp16Options;
  /** onnxruntime can load the model (and so its conversion must load too). */
  runs: boolean;
}

const ifNode = (name: string): GraphSpec['nodes'][number] => {
  const branch = (g: string, out: string): GraphSpec => ({
    name: g,
    nodes: [relu('a', out, `${g}_relu`)],
    inputs: [],
    outputs: [[out, F32, [2]]],
  });
  return {
    opType: 'If',
    name,
    inputs: ['c'],
    outputs: ['y'],
    attributes: {
      then_branch: { kind: 'graph', value: graphParts(branch('then', 't_out')) },
      else_branch: { kind: 'graph', value: graphParts(branch('else', 'e_out')) },
    },
  };
};

/** One small model per node / signature rule (graph rules have their own files: rule-<id>.test.ts). */
const CASES: Case[] = [
  {
    rule: 'opset-below-6',
    node: 'y',
    reason: 'opset 5 (< 6): Casts cannot be inserted reliably, nothing converted',
    model: tinyModel(one([relu('x', 'y')]), 5),
    runs: false,
  },
  {
    rule: 'blocked-container',
    node: 'then_relu',
    reason: "inside If node 'cond' (in the node block list)",
    model: tinyModel({
      nodes: [relu('x', 'a'), ifNode('cond')],
      inputs: [
        ['x', F32, [2]],
        ['c', BOOL, []],
      ],
      outputs: [['y', F32, [2]]],
    }),
    options: { nodeBlockList: ['cond'] },
    runs: true,
  },
  {
    rule: 'node-block-list',
    node: 'y',
    reason: 'in the node block list',
    model: tinyModel(one([relu('x', 'y')])),
    options: { nodeBlockList: ['y'] },
    runs: true,
  },
  {
    rule: 'op-block-list',
    node: 'y',
    reason: 'in the op block list',
    model: tinyModel(one([relu('x', 'y')])),
    options: { opBlockList: ['Relu'] },
    runs: true,
  },
  {
    rule: 'default-op-block-list',
    node: 'y',
    reason: 'in the default op block list',
    model: tinyModel(
      one([{ opType: 'CumSum', inputs: ['x', 'axis'], outputs: ['y'], name: 'y' }], {
        inits: [{ name: 'axis', dataType: 7, dims: [], values: [0] }],
      }),
    ),
    runs: true,
  },
  {
    rule: 'unknown-domain',
    node: 'y',
    reason: "operator domain 'com.microsoft': no known signature",
    model: tinyModel(one([{ opType: 'Gelu', domain: 'com.microsoft', inputs: ['x'], outputs: ['y'], name: 'y' }]), 17, [
      ['com.microsoft', 1],
    ]),
    runs: true,
  },
  {
    rule: 'ort-no-float16',
    node: 'y',
    reason: 'onnxruntime has no float16 path for it',
    model: tinyModel({
      nodes: [{ opType: 'MeanVarianceNormalization', inputs: ['x'], outputs: ['y'], name: 'y' }],
      inputs: [['x', F32, [1, 2, 2, 2]]],
      outputs: [['y', F32, [1, 2, 2, 2]]],
    }),
    runs: true,
  },
  {
    rule: 'blocked-container', // the SequenceMap itself (no float tensor of its own) is kept by 'subgraphs-not-converted'
    node: 'body_relu',
    reason: "inside SequenceMap node 'map' (SequenceMap: subgraphs of this op are not converted)",
    model: tinyModel({
      nodes: [
        { opType: 'SequenceConstruct', inputs: ['x', 'x'], outputs: ['seq'] },
        {
          opType: 'SequenceMap',
          name: 'map',
          inputs: ['seq'],
          outputs: ['mapped'],
          attributes: {
            body: {
              kind: 'graph',
              value: graphParts({
                name: 'body',
                nodes: [relu('bx', 'by', 'body_relu')],
                inputs: [['bx', F32, [2]]],
                outputs: [['by', F32, [2]]],
              }),
            },
          },
        },
        { opType: 'ConcatFromSequence', inputs: ['mapped'], outputs: ['y'], attributes: { axis: { kind: 'int', value: 0 } } },
      ],
      inputs: [['x', F32, [2]]],
      outputs: [['y', F32, [4]]],
    }),
    runs: true,
  },
  {
    rule: 'no-signature',
    node: 'y',
    reason: 'no ONNX signature for Gelu at opset 17',
    model: tinyModel(one([{ opType: 'Gelu', inputs: ['x'], outputs: ['y'], name: 'y' }], { valueInfo: [] })),
    runs: false,
  },
  {
    rule: 'unknown-type',
    node: 'y',
    reason: "element type of 'g' unknown",
    model: tinyModel(
      one([
        { opType: 'Gelu', domain: 'com.microsoft', inputs: ['x'], outputs: ['g'] },
        { opType: 'Add', inputs: ['g', 'x'], outputs: ['y'], name: 'y' },
      ]),
      17,
      [['com.microsoft', 1]],
    ),
    runs: true,
  },
  {
    rule: 'signature-mismatch',
    node: 'y',
    reason: 'Relu has more inputs than its signature',
    model: tinyModel(one([{ opType: 'Relu', inputs: ['x', 'x'], outputs: ['y'], name: 'y' }])),
    runs: false,
  },
  {
    rule: 'no-float16-in-signature',
    node: 'y',
    reason: 'Celu-12 does not accept float16 for T',
    model: tinyModel(one([{ opType: 'Celu', inputs: ['x'], outputs: ['y'], name: 'y' }])),
    runs: true,
  },
  {
    rule: 'output-type-attribute',
    node: 'y',
    reason: 'EyeLike: output type set by an attribute (kept float32)',
    model: tinyModel({
      nodes: [{ opType: 'EyeLike', inputs: ['x'], outputs: ['y'], name: 'y' }],
      inputs: [['x', F32, [2, 2]]],
      outputs: [['y', F32, [2, 2]]],
    }),
    runs: true,
  },
];

describe('every node and signature rule keeps its node in float32 and names itself in the report', () => {
  it('the cases cover every rule that is not a graph rule', () => {
    const covered = new Set(CASES.map((c) => c.rule));
    covered.add('subgraphs-not-converted'); // through its reason, inside 'blocked-container' (SequenceMap case)
    expect(KEEP_RULES.filter((r) => r.scope !== 'graph' && !covered.has(r.id)).map((r) => r.id)).toEqual([]);
  });

  for (const c of CASES)
    it(`${c.rule}: ${typeof c.reason === 'string' ? c.reason : c.reason.source}`, async () => {
      const conv = await toFp16(c.model, c.options);
      const kept = conv.report.keptOps.find((k) => k.examples.includes(c.node));
      expect(kept, JSON.stringify(conv.report.keptOps)).toBeDefined();
      const reason = kept!.reasons.find((r) => r.rule === c.rule);
      expect(reason, JSON.stringify(kept!.reasons)).toBeDefined();
      if (typeof c.reason === 'string') expect(reason!.reason).toContain(c.reason);
      else expect(reason!.reason).toMatch(c.reason);
      if (c.runs) {
        const s = await ort.InferenceSession.create(conv.bytes);
        await s.release();
      }
    });

  it('a blocked If runs with its branches unchanged', async () => {
    const c = CASES[1]!;
    const conv = await toFp16(c.model, c.options);
    const x = new ort.Tensor('float32', Float32Array.from([-1, 2]), [2]);
    for (const v of [0, 1]) {
      const r = await runModel(conv.bytes, { x, c: new ort.Tensor('bool', Uint8Array.from([v]), []) });
      expect(Array.from(r.y!.data as Float32Array)).toEqual([0, 2]);
    }
  });
});
