/**
 * Graph mechanics on tiny models (types, Casts, sources, subgraphs, order, options), built with the project's
 * encoders, converted, then loaded and run in onnxruntime-node next to the float32 original. The policy's rules
 * have their own files: policy.test.ts (node rules) and rule-<id>.test.ts (graph rules).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { CONVERSION_METADATA_KEY, convertFp16, Fp16OptionError } from '../../src/core/fp16/index.js';
import { numberToF16Bits } from '../../src/core/onnx/float16.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { diff, type Feeds, runModel, toFp16 } from './helpers.js';
import { encodeTensor } from '../../src/core/onnx/encode.js';
import { allNodes, BOOL, castsOf, F16, F32, graphParts, I64, isTopological, type GraphSpec, tinyModel } from '../helpers/tiny-model.js';

const t = (dims: number[], values: number[]) => new ort.Tensor('float32', Float32Array.from(values), dims);
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

/** Converts, checks the result loads and runs, and matches float32 within float16 tolerance. */
async function check(model: Uint8Array, feeds: Feeds, opts = {}, tol = 2e-2) {
  const conv = await toFp16(model, opts);
  const out = parseModel(conv.bytes);
  expect(isTopological(out.graph)).toBe(true);
  const ref = await runModel(model, feeds);
  const got = await runModel(conv.bytes, feeds);
  for (const k of Object.keys(ref)) {
    const d = diff(ref[k]!, got[k]!);
    expect(d.nonFinite, k).toBe(0);
    expect(d.maxRel, k).toBeLessThan(tol);
  }
  return { ...conv, out, got };
}

describe('fp16 graph rules', () => {
  it('converts weights, keeps float32 inputs/outputs, records the conversion in metadata', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
        { opType: 'Add', inputs: ['h', 'b'], outputs: ['y'] },
      ],
      inits: [
        { name: 'w', dims: [4, 3], values: seq(12, (i) => (i - 6) / 7) },
        { name: 'b', dims: [3], values: [0.5, -0.25, 1e-9] },
      ],
      inputs: [['x', F32, [2, 4]]],
      outputs: [['y', F32, [2, 3]]],
    };
    const { out, report } = await check(tinyModel(g), {
      x: t(
        [2, 4],
        seq(8, (i) => i / 3),
      ),
    });
    expect(out.graph.initializers.map((x) => x.dataType)).toEqual([F16, F16]);
    expect(out.graph.inputs[0]!.elemType).toBe(F32);
    expect(out.graph.outputs[0]!.elemType).toBe(F32);
    expect(castsOf(out)).toEqual([
      { from: 'x', to: F16 },
      { from: 'y_fp16', to: F32 },
    ]);
    expect(report.weights.raisedToMinPositive).toBe(1); // 1e-9 -> 5.96e-8
    expect(report.weights.tensorsConverted).toBe(2);
    const meta = out.metadata.find((m) => m.key === CONVERSION_METADATA_KEY)!;
    expect(JSON.parse(meta.value)).toMatchObject({ mode: 'fp16', options: { keepIoTypes: true, maxFinite: 65504 } });
    expect(out.producerName).toBe('tiny'); // producer left as is
  });

  it('keepIoTypes: false makes the float inputs and outputs float16', async () => {
    const g: GraphSpec = {
      nodes: [{ opType: 'Mul', inputs: ['x', 'w'], outputs: ['y'] }],
      inits: [{ name: 'w', dims: [3], values: [1, 2, 3] }],
      inputs: [['x', F32, [3]]],
      outputs: [['y', F32, [3]]],
    };
    const { bytes } = await toFp16(tinyModel(g), { keepIoTypes: false });
    const out = parseModel(bytes);
    expect(out.graph.inputs[0]!.elemType).toBe(F16);
    expect(out.graph.outputs[0]!.elemType).toBe(F16);
    expect(castsOf(out)).toEqual([]);
    const x = new ort.Tensor('float16', Uint16Array.from([1, 2, 3].map(numberToF16Bits)), [3]);
    const r = await runModel(bytes, { x });
    expect(r.y!.type).toBe('float16');
    expect(Array.from(r.y!.data as Uint16Array)).toEqual([1, 4, 9].map(numberToF16Bits));
  });

  it('blocked op between converted ops: Resize stays float32 with Casts around it, its scales stay float32', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'k'], outputs: ['a'] },
        { opType: 'Resize', inputs: ['a', '', 'scales'], outputs: ['r'], attributes: { mode: { kind: 'string', value: 'linear' } } },
        { opType: 'Add', inputs: ['r', 'b'], outputs: ['y'] },
      ],
      inits: [
        { name: 'k', dims: [1], values: [1.5] },
        { name: 'scales', dims: [4], values: [1, 1, 2, 2] },
        { name: 'b', dims: [1], values: [0.25] },
      ],
      inputs: [['x', F32, [1, 1, 2, 3]]],
      outputs: [['y', F32, [1, 1, 4, 6]]],
    };
    const { out, report } = await check(tinyModel(g), { x: t([1, 1, 2, 3], [1, 2, 3, 4, 5, 6]) });
    const resize = allNodes(out.graph).find((n) => n.opType === 'Resize')!;
    expect(resize.inputs[2]).toBe('scales');
    expect(out.graph.initializers.find((x) => x.name === 'scales')!.dataType).toBe(F32);
    expect(out.graph.initializers.find((x) => x.name === 'k')!.dataType).toBe(F16);
    // x -> fp16 (Mul), a -> fp32 (Resize), r -> fp16 (Add), y -> fp32 (output)
    expect(castsOf(out).map((c) => c.to)).toEqual([F16, F32, F16, F32]);
    expect(report.keptOps).toEqual([
      {
        op: 'Resize',
        count: 1,
        reasons: [{ reason: 'in the default op block list', count: 1, rule: 'default-op-block-list' }],
        examples: ['r'],
      },
    ]);
    expect(report.weights.keptFp32).toContainEqual({ name: 'scales', reason: 'only read as float32' });
  });

  it('user op and node block lists keep nodes in float32; consecutive kept nodes get no Cast between them', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'k'], outputs: ['a'], name: 'mul' },
        { opType: 'Relu', inputs: ['a'], outputs: ['b'], name: 'relu' },
        { opType: 'Sigmoid', inputs: ['b'], outputs: ['c'], name: 'sig' },
        { opType: 'Add', inputs: ['c', 'k'], outputs: ['y'], name: 'add' },
      ],
      inits: [{ name: 'k', dims: [1], values: [0.75] }],
      inputs: [['x', F32, [4]]],
      outputs: [['y', F32, [4]]],
    };
    const { out, report } = await check(tinyModel(g), { x: t([4], [-1, 0, 1, 2]) }, { opBlockList: ['Relu'], nodeBlockList: ['sig'] });
    // mul (fp16) -> cast fp32 -> relu -> sig -> cast fp16 -> add -> cast fp32
    expect(castsOf(out).map((c) => c.to)).toEqual([F16, F32, F16, F32]);
    expect(report.keptOps.map((k) => [k.op, k.reasons[0]!.reason])).toEqual([
      ['Relu', 'in the op block list'],
      ['Sigmoid', 'in the node block list'],
    ]);
    expect(report.nodes).toMatchObject({ converted: 2, keptFp32: 2 });
  });

  it('existing Cast(to=FLOAT) inside a converted region is retargeted or removed, so types always agree', async () => {
    const g: GraphSpec = {
      nodes: [
        // mask (int64) -> Cast(to=FLOAT) -> Mul: the Cast is retargeted to FLOAT16
        { opType: 'Cast', inputs: ['mask'], outputs: ['maskf'], attributes: { to: { kind: 'int', value: F32 } } },
        { opType: 'Mul', inputs: ['x', 'maskf'], outputs: ['a'] },
        // float -> Cast(to=FLOAT) -> Add: a no-op after conversion, removed
        { opType: 'Cast', inputs: ['a'], outputs: ['a32'], attributes: { to: { kind: 'int', value: F32 } } },
        { opType: 'Add', inputs: ['a32', 'b'], outputs: ['y'] },
      ],
      inits: [{ name: 'b', dims: [1], values: [0.5] }],
      inputs: [
        ['x', F32, [4]],
        ['mask', I64, [4]],
      ],
      outputs: [['y', F32, [4]]],
      valueInfo: [
        ['maskf', F32, [4]],
        ['a32', F32, [4]],
      ],
    };
    const mask = new ort.Tensor('int64', BigInt64Array.from([1n, 0n, 1n, 1n]), [4]);
    const { out, report } = await check(tinyModel(g), { x: t([4], [1, 2, 3, 4]), mask });
    // the original mask Cast now targets float16; the other original Cast is gone
    expect(castsOf(out)).toEqual([
      { from: 'mask', to: F16 },
      { from: 'x', to: F16 },
      { from: 'y_fp16', to: F32 },
    ]);
    expect(report.nodes).toMatchObject({ castsRetargeted: 1, castsRemoved: 1, castsInserted: 2 });
    // value_info follows: maskf is now float16, a32 (removed) is gone
    expect(out.graph.valueInfo.map((v) => [v.name, v.elemType])).toEqual([['maskf', F16]]);
  });

  it('a Cast(to=FLOAT) read only by float32 consumers stays a Cast to FLOAT', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Cast', inputs: ['n'], outputs: ['nf'], attributes: { to: { kind: 'int', value: F32 } } },
        { opType: 'Max', inputs: ['nf', 'x'], outputs: ['y'] },
      ],
      inputs: [
        ['x', F32, [3]],
        ['n', I64, [3]],
      ],
      outputs: [['y', F32, [3]]],
    };
    const n = new ort.Tensor('int64', BigInt64Array.from([5n, -2n, 7n]), [3]);
    const { out } = await check(tinyModel(g), { x: t([3], [1, 2, 3]), n });
    expect(castsOf(out)).toEqual([{ from: 'n', to: F32 }]);
  });

  it('redundant Cast pairs: an original float16 round trip collapses and no pair is inserted', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'k'], outputs: ['a'] },
        { opType: 'Cast', inputs: ['a'], outputs: ['a16'], attributes: { to: { kind: 'int', value: F16 } } },
        { opType: 'Cast', inputs: ['a16'], outputs: ['a32'], attributes: { to: { kind: 'int', value: F32 } } },
        { opType: 'Max', inputs: ['a32', 'k'], outputs: ['m'] },
        { opType: 'Min', inputs: ['m', 'k2'], outputs: ['n'] },
        { opType: 'Add', inputs: ['n', 'k'], outputs: ['y'] },
      ],
      inits: [
        { name: 'k', dims: [1], values: [0.5] },
        { name: 'k2', dims: [1], values: [3] },
      ],
      inputs: [['x', F32, [4]]],
      outputs: [['y', F32, [4]]],
    };
    const { out, report } = await check(tinyModel(g), { x: t([4], [-1, 1, 4, 9]) });
    // x->fp16 for Mul; a (fp16)->fp32 and k->fp32 for Max; Max->Min adjacent fp32: nothing; n->fp16 for Add; y->fp32
    expect(castsOf(out)).toEqual([
      { from: 'x', to: F16 },
      { from: 'a', to: F32 },
      { from: 'k', to: F32 },
      { from: 'n', to: F16 },
      { from: 'y_fp16', to: F32 },
    ]);
    // Cast(to=FLOAT16) of a float16 value is removed; the original Cast(to=FLOAT) now reads 'a' directly
    // and is the only Cast between Mul and Max.
    expect(report.nodes).toMatchObject({ castsRemoved: 1, castsInserted: 4 });
    // k feeds both float16 (Mul, Add) and float32 (Max) consumers: one float16 copy, one Cast back
    expect(out.graph.initializers.find((x) => x.name === 'k')!.dataType).toBe(F16);
    expect(out.graph.initializers.find((x) => x.name === 'k2')!.dataType).toBe(F32);
    const pairs = allNodes(out.graph).filter(
      (n) => n.opType === 'Cast' && allNodes(out.graph).some((p) => p.opType === 'Cast' && p.outputs[0] === n.inputs[0]),
    );
    expect(pairs).toEqual([]);
  });

  it('graph output produced by a blocked op (keepIoTypes on and off)', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'k'], outputs: ['a'] },
        { opType: 'TopK', inputs: ['a', 'kk'], outputs: ['vals', 'idx'] },
      ],
      inits: [
        { name: 'k', dims: [1], values: [2] },
        { name: 'kk', dataType: I64, dims: [1], values: [2] },
      ],
      inputs: [['x', F32, [5]]],
      outputs: [
        ['vals', F32, [2]],
        ['idx', I64, [2]],
      ],
    };
    const feeds = { x: t([5], [3, 1, 4, 1, 5]) };
    const on = await check(tinyModel(g), feeds);
    expect(on.out.graph.outputs.map((o) => o.elemType)).toEqual([F32, I64]);
    expect(castsOf(on.out).map((c) => c.to)).toEqual([F16, F32]);
    const off = await toFp16(tinyModel(g), { keepIoTypes: false });
    const m = parseModel(off.bytes);
    expect(m.graph.outputs.map((o) => o.elemType)).toEqual([F16, I64]);
    const x = new ort.Tensor('float16', Uint16Array.from([3, 1, 4, 1, 5].map(numberToF16Bits)), [5]);
    const r = await runModel(off.bytes, { x });
    expect(Array.from(r.vals!.data as Uint16Array)).toEqual([10, 8].map(numberToF16Bits));
  });

  it('Constant, Constant(value_float) and ConstantOfShape become float16 when float16 nodes read them', async () => {
    const valueTensor = { kind: 'tensor' as const, value: tensorPartsOf([3], [0.1, 0.2, 0.3]) };
    const g: GraphSpec = {
      nodes: [
        { opType: 'Constant', inputs: [], outputs: ['c1'], attributes: { value: valueTensor } },
        { opType: 'Constant', inputs: [], outputs: ['c2'], attributes: { value_float: { kind: 'float', value: 3 } } },
        { opType: 'Shape', inputs: ['x'], outputs: ['shp'] },
        { opType: 'ConstantOfShape', inputs: ['shp'], outputs: ['zeros'] },
        { opType: 'Add', inputs: ['x', 'c1'], outputs: ['a'] },
        { opType: 'Mul', inputs: ['a', 'c2'], outputs: ['b'] },
        { opType: 'Add', inputs: ['b', 'zeros'], outputs: ['y'] },
      ],
      inputs: [['x', F32, [3]]],
      outputs: [['y', F32, [3]]],
    };
    const { out, report } = await check(tinyModel(g), { x: t([3], [1, 2, 3]) });
    const consts = allNodes(out.graph).filter((n) => n.opType === 'Constant' || n.opType === 'ConstantOfShape');
    expect(consts.map((n) => n.attributes.map((a) => [a.name, a.t?.dataType]))).toEqual([
      [['value', F16]],
      [['value', F16]],
      [['value', F16]],
    ]);
    expect(report.weights.tensorsConverted).toBe(2); // c1 and c2's values (ConstantOfShape's default is new)
  });

  it('If subgraphs: branches are converted, read outer float16 values and produce float16', async () => {
    const then: GraphSpec = {
      name: 'then',
      nodes: [{ opType: 'Mul', inputs: ['a', 'wt'], outputs: ['t_out'] }],
      inits: [{ name: 'wt', dims: [1], values: [2] }],
      inputs: [],
      outputs: [['t_out', F32, [3]]],
    };
    const els: GraphSpec = {
      name: 'else',
      nodes: [
        { opType: 'Constant', inputs: [], outputs: ['ce'], attributes: { value: { kind: 'tensor', value: tensorPartsOf([1], [-1]) } } },
        { opType: 'Add', inputs: ['a', 'ce'], outputs: ['e_sum'] },
        // a blocked op inside a branch, producing the branch output
        { opType: 'Max', inputs: ['e_sum', 'w'], outputs: ['e_out'] },
      ],
      inputs: [],
      outputs: [['e_out', F32, [3]]],
    };
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'w'], outputs: ['a'] },
        {
          opType: 'If',
          inputs: ['cond'],
          outputs: ['r'],
          attributes: { then_branch: { kind: 'graph', value: graphOf(then) }, else_branch: { kind: 'graph', value: graphOf(els) } },
        },
        { opType: 'Sigmoid', inputs: ['r'], outputs: ['y'] },
      ],
      inits: [{ name: 'w', dims: [1], values: [0.5] }],
      inputs: [
        ['x', F32, [3]],
        ['cond', BOOL, []],
      ],
      outputs: [['y', F32, [3]]],
    };
    for (const c of [true, false]) {
      const cond = new ort.Tensor('bool', Uint8Array.from([c ? 1 : 0]), []);
      const { out } = await check(tinyModel(g), { x: t([3], [1, -2, 3]), cond });
      const ifNode = out.graph.nodes.find((n) => n.opType === 'If')!;
      const thenG = ifNode.attributes.find((a) => a.name === 'then_branch')!.g!;
      const elseG = ifNode.attributes.find((a) => a.name === 'else_branch')!.g!;
      expect(thenG.outputs[0]!.elemType).toBe(F16);
      expect(elseG.outputs[0]!.elemType).toBe(F16);
      expect(thenG.initializers[0]!.dataType).toBe(F16);
      // else: Max is kept float32, so its inputs are cast in and its output cast back to float16
      expect(elseG.nodes.filter((n) => n.opType === 'Cast').length).toBe(3);
    }
  });

  it('Loop bodies are converted inside; the loop-carried interface keeps its types', async () => {
    const body: GraphSpec = {
      name: 'body',
      nodes: [
        { opType: 'Mul', inputs: ['v_in', 'wl'], outputs: ['m'] },
        { opType: 'Add', inputs: ['m', 'x'], outputs: ['v_out'] },
        { opType: 'Identity', inputs: ['cond_in'], outputs: ['cond_out'] },
      ],
      inits: [{ name: 'wl', dims: [1], values: [0.5] }],
      inputs: [
        ['iter', I64, []],
        ['cond_in', BOOL, []],
        ['v_in', F32, [3]],
      ],
      outputs: [
        ['cond_out', BOOL, []],
        ['v_out', F32, [3]],
      ],
    };
    const g: GraphSpec = {
      nodes: [{ opType: 'Loop', inputs: ['n', '', 'v0'], outputs: ['v'], attributes: { body: { kind: 'graph', value: graphOf(body) } } }],
      inits: [{ name: 'n', dataType: I64, dims: [], values: [4] }],
      inputs: [
        ['x', F32, [3]],
        ['v0', F32, [3]],
      ],
      outputs: [['v', F32, [3]]],
    };
    const { out } = await check(tinyModel(g), { x: t([3], [1, 2, 3]), v0: t([3], [0, 0, 1]) });
    const b = out.graph.nodes[0]!.attributes[0]!.g!;
    expect(b.initializers[0]!.dataType).toBe(F16);
    expect(b.inputs.map((v) => v.elemType)).toEqual([I64, BOOL, F32]);
    expect(b.outputs.map((v) => v.elemType)).toEqual([BOOL, F32]);
  });

  it('ops of unknown domains stay float32 with Casts, and the report says why', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'k'], outputs: ['a'] },
        { opType: 'Gelu', domain: 'com.microsoft', inputs: ['a'], outputs: ['b'] },
        { opType: 'Add', inputs: ['b', 'k'], outputs: ['y'] },
      ],
      inits: [{ name: 'k', dims: [1], values: [0.5] }],
      inputs: [['x', F32, [4]]],
      outputs: [['y', F32, [4]]],
      valueInfo: [['b', F32, [4]]],
    };
    const model = tinyModel(g, 17, [['com.microsoft', 1]]);
    const { out, report } = await check(model, { x: t([4], [-2, -1, 1, 2]) });
    expect(castsOf(out).map((c) => c.to)).toEqual([F16, F32, F16, F32]);
    expect(report.keptOps).toEqual([
      {
        op: 'com.microsoft:Gelu',
        count: 1,
        reasons: [{ reason: "operator domain 'com.microsoft': no known signature", count: 1, rule: 'unknown-domain' }],
        examples: ['b'],
      },
    ]);
  });

  it('values of unknown type: nodes touching them are left unchanged', async () => {
    // 'b' comes out of a custom op with no declared type: its consumer cannot be typed, so it is left as is.
    const g: GraphSpec = {
      nodes: [
        { opType: 'Mul', inputs: ['x', 'k'], outputs: ['a'] },
        { opType: 'Gelu', domain: 'com.microsoft', inputs: ['a'], outputs: ['b'] },
        { opType: 'Add', inputs: ['b', 'k2'], outputs: ['y'] },
      ],
      inits: [
        { name: 'k', dims: [1], values: [0.5] },
        { name: 'k2', dims: [1], values: [0.5] },
      ],
      inputs: [['x', F32, [4]]],
      outputs: [['y', F32, [4]]],
    };
    const model = tinyModel(g, 17, [['com.microsoft', 1]]);
    const { out, report } = await check(model, { x: t([4], [-2, -1, 1, 2]) });
    expect(report.unknownTypes.examples).toContain('b');
    expect(out.graph.initializers.find((x) => x.name === 'k2')!.dataType).toBe(F32);
    expect(report.keptOps.find((k) => k.op === 'Add')?.reasons[0]!.reason).toMatch(/unknown/);
  });

  it('Pow(x, 2) -> ReduceMean -> Sqrt -> Div (a decomposed LayerNorm) stays float32 up to the Div: squares of |x| > 256 overflow float16', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Constant', inputs: [], outputs: ['two'], attributes: { value: { kind: 'tensor', value: tensorPartsOf([], [2]) } } },
        { opType: 'ReduceMean', inputs: ['x'], outputs: ['mean'], attributes: { axes: { kind: 'ints', value: [-1] } } },
        { opType: 'Sub', inputs: ['x', 'mean'], outputs: ['d'] },
        { opType: 'Pow', inputs: ['d', 'two'], outputs: ['sq'] },
        { opType: 'ReduceMean', inputs: ['sq'], outputs: ['var'], attributes: { axes: { kind: 'ints', value: [-1] } } },
        { opType: 'Sqrt', inputs: ['var'], outputs: ['std'] },
        { opType: 'Div', inputs: ['d', 'std'], outputs: ['y'] },
      ],
      inputs: [['x', F32, [1, 4]]],
      outputs: [['y', F32, [1, 4]]],
    };
    const { out, report } = await check(tinyModel(g, 13), { x: t([1, 4], [-400, 0, 300, 1000]) });
    expect(report.keptOps.map((k) => `${k.op}×${k.count}`)).toEqual(['Div×1', 'Pow×1', 'ReduceMean×1', 'Sqrt×1']);
    // the exponent stays a float32 constant; the first ReduceMean (of x) and the Sub are float16
    const two = allNodes(out.graph).find((n) => n.outputs[0] === 'two')!;
    expect(two.attributes[0]!.t!.dataType).toBe(F32);
    expect(report.nodes.converted).toBe(2);
  });

  it('re-orders an unsorted graph topologically and carries unknown fields through', async () => {
    const g: GraphSpec = {
      nodes: [
        { opType: 'Add', inputs: ['a', 'k'], outputs: ['y'], name: 'second' },
        { opType: 'Mul', inputs: ['x', 'k'], outputs: ['a'], name: 'first' },
      ],
      inits: [{ name: 'k', dims: [1], values: [3] }],
      inputs: [['x', F32, [2]]],
      outputs: [['y', F32, [2]]],
    };
    const { out } = await check(tinyModel(g), { x: t([2], [1, 2]) });
    expect(out.graph.nodes.filter((n) => n.opType !== 'Cast').map((n) => n.name)).toEqual(['first', 'second']);
  });

  it('an already float16 model is left as it is (nothing to convert) and still loads', async () => {
    const g: GraphSpec = {
      nodes: [{ opType: 'Mul', inputs: ['x', 'x'], outputs: ['y'] }],
      inputs: [['x', F16, [2]]],
      outputs: [['y', F16, [2]]],
    };
    const { report } = await toFp16(tinyModel(g));
    expect(report.nodes).toMatchObject({ converted: 0, castsInserted: 0 });
    const x = new ort.Tensor('float16', Uint16Array.from([2, 3].map(numberToF16Bits)), [2]);
    const r = await runModel((await toFp16(tinyModel(g))).bytes, { x });
    expect(Array.from(r.y!.data as Uint16Array)).toEqual([4, 9].map(numberToF16Bits));
  });

  it('options are validated; progress is reported; an aborted signal stops the conversion', async () => {
    const m = parseModel(
      tinyModel({ nodes: [{ opType: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [['x', F32, [1]]], outputs: [['y', F32, [1]]] }),
    );
    await expect(convertFp16(m, { maxFinite: 70000 })).rejects.toThrow(Fp16OptionError);
    await expect(convertFp16(m, { minPositive: -1 })).rejects.toThrow(Fp16OptionError);
    const phases: string[] = [];
    await convertFp16(m, {}, (p) => phases.push(p.phase));
    expect(phases[0]).toBe('analyze');
    expect(phases[phases.length - 1]).toBe('write');
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(convertFp16(m, {}, undefined, ac.signal)).rejects.toThrow('stop');
  });
});

function tensorPartsOf(dims: number[], values: number[]) {
  return encodeTensor({ name: '', dataType: F32, dims, raw: new Uint8Array(Float32Array.from(values).buffer) });
}

function graphOf(g: GraphSpec) {
  return graphParts(g);
}
