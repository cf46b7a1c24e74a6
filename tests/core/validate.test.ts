/**
 * One structural validation shared by every mode (src/core/onnx/validate.ts), run before any work: undefined
 * tensors, duplicate definitions, cycles, in the main graph and in subgraphs. The real case: a one-byte corruption
 * of a tensor name in all-MiniLM-L6-v2 is refused by INT8 and FP16 with the same message, and nothing is written.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runCli } from '../../src/cli/main.js';
import { EXIT } from '../../src/cli/io.js';
import { convertFp16 } from '../../src/core/fp16/index.js';
import { quantizeInt8 } from '../../src/core/int8/index.js';
import { NODE, parseModel } from '../../src/core/onnx/model.js';
import { OnnxFormatError } from '../../src/core/onnx/errors.js';
import { InvalidGraphError, validateModel } from '../../src/core/onnx/validate.js';
import { bytesOf, fixture, MINILM, realModels } from '../helpers/fixtures.js';
import { BOOL, F32, graphParts, type GraphSpec, tinyModel } from '../helpers/tiny-model.js';

const relu = (x: string, y: string, name = y) => ({ opType: 'Relu', inputs: [x], outputs: [y], name });
const io = (g: Omit<GraphSpec, 'inputs' | 'outputs'>, inputs = ['x'], outputs = ['y']): GraphSpec => ({
  ...g,
  inputs: inputs.map((n) => [n, F32, [2]] as GraphSpec['inputs'][number]),
  outputs: outputs.map((n) => [n, F32, [2]] as GraphSpec['outputs'][number]),
});
const problem = (bytes: Uint8Array) => {
  try {
    validateModel(parseModel(bytes));
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidGraphError);
    expect(e).toBeInstanceOf(OnnxFormatError);
    expect((e as Error).name).toBe('OnnxFormatError'); // what the CLI and the worker bridges match on
    return { problem: (e as InvalidGraphError).problem, message: (e as Error).message };
  }
};

describe('validateModel on small graphs', () => {
  it('accepts a well-formed graph, an initializer backing an input, and subgraphs reading outer names', () => {
    expect(problem(tinyModel(io({ nodes: [relu('x', 'a'), relu('a', 'y')] })))).toBeNull();
    expect(
      problem(
        tinyModel({
          ...io({ nodes: [{ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'] }] }, ['x', 'w']),
          inits: [{ name: 'w', dims: [2], values: [1, 2] }],
        }),
      ),
    ).toBeNull();
    const branch = (name: string, out: string): GraphSpec => ({ name, nodes: [relu('a', out)], inputs: [], outputs: [[out, F32, [2]]] });
    const g: GraphSpec = {
      nodes: [
        relu('x', 'a'),
        {
          opType: 'If',
          inputs: ['c'],
          outputs: ['y'],
          attributes: {
            then_branch: { kind: 'graph', value: graphParts(branch('t', 't_out')) },
            else_branch: { kind: 'graph', value: graphParts(branch('e', 'e_out')) },
          },
        },
      ],
      inputs: [
        ['x', F32, [2]],
        ['c', BOOL, []],
      ],
      outputs: [['y', F32, [2]]],
    };
    expect(problem(tinyModel(g))).toBeNull();
    // unsorted nodes are not a cycle
    expect(problem(tinyModel(io({ nodes: [relu('a', 'y'), relu('x', 'a')] })))).toBeNull();
  });

  it('refuses a read of an undefined tensor, naming it and its reader', () => {
    const r = problem(tinyModel(io({ nodes: [relu('x', 'a', 'first'), relu('b', 'y', 'second')] })));
    expect(r).toEqual({
      problem: 'undefined-tensor',
      message:
        "the model reads tensors nothing defines: 'b' (read by Relu node 'second' in graph 'g'). The file is damaged or was edited; it cannot load in onnxruntime",
    });
    // a graph output nothing produces
    expect(problem(tinyModel(io({ nodes: [relu('x', 'a')] })))?.message).toContain("'y' (output of graph 'g')");
  });

  it('refuses an undefined read inside a subgraph (outer names are visible, others are not)', () => {
    const body = (read: string): GraphSpec => ({
      name: 'then',
      nodes: [relu(read, 't_out', 'inner')],
      inputs: [],
      outputs: [['t_out', F32, [2]]],
    });
    const g = (read: string): GraphSpec => ({
      nodes: [
        relu('x', 'a'),
        {
          opType: 'If',
          inputs: ['c'],
          outputs: ['y'],
          attributes: {
            then_branch: { kind: 'graph', value: graphParts(body(read)) },
            else_branch: { kind: 'graph', value: graphParts(body('a')) },
          },
        },
      ],
      inputs: [
        ['x', F32, [2]],
        ['c', BOOL, []],
      ],
      outputs: [['y', F32, [2]]],
    });
    expect(problem(tinyModel(g('a')))).toBeNull();
    expect(problem(tinyModel(g('nowhere')))?.message).toContain("'nowhere' (read by Relu node 'inner' in subgraph 'then')");
  });

  it('refuses duplicate definitions and cycles', () => {
    const dup = problem(tinyModel(io({ nodes: [relu('x', 'y', 'one'), relu('x', 'y', 'two')] })));
    expect(dup?.problem).toBe('duplicate-definition');
    expect(dup?.message).toContain("'y' (output of Relu node 'two' in graph 'g')");
    const cycle = problem(
      tinyModel(
        io({
          nodes: [relu('x', 'a'), { opType: 'Add', inputs: ['a', 'c'], outputs: ['b'], name: 'b' }, relu('b', 'c', 'c'), relu('c', 'y')],
        }),
      ),
    );
    expect(cycle?.problem).toBe('cycle');
    expect(cycle?.message).toContain("Add node 'b', Relu node 'c'");
  });

  it('accepts every real fixture', () => {
    for (const f of realModels()) expect(problem(bytesOf(f)), f.name).toBeNull();
  });
});

/** all-MiniLM-L6-v2 with one byte of one node input name changed (the definition is left as it is). */
function corruptedMiniLM(): { bytes: Uint8Array; name: string } {
  const bytes = bytesOf(fixture(MINILM)).slice();
  const m = parseModel(bytes);
  const inits = new Set(m.graph.initializers.map((t) => t.name));
  const node = m.graph.nodes.find((n) => n.opType === 'MatMul' && inits.has(n.inputs[1]!))!;
  const field = node.fields.filter((f) => f.no === NODE.input)[1]!;
  const at = field.end - 1; // last character of the name
  bytes[at] = bytes[at] === 0x7e ? 0x7d : 0x7e; // '~'
  const name = new TextDecoder().decode(bytes.subarray(field.vstart, field.end));
  expect(name).not.toBe(node.inputs[1]);
  return { bytes, name };
}

describe('a one-byte corruption of a tensor name in all-MiniLM-L6-v2', () => {
  let dir: string;
  let input: string;
  let name: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ava-validate-'));
    input = join(dir, 'minilm-damaged.onnx');
    const c = corruptedMiniLM();
    name = c.name;
    writeFileSync(input, c.bytes);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('INT8 and FP16 refuse it with the same message, before any work', async () => {
    const bytes = new Uint8Array(readFileSync(input));
    const messages: string[] = [];
    let progress = 0;
    const runs = [() => quantizeInt8(parseModel(bytes), {}, () => progress++), () => convertFp16(parseModel(bytes), {}, () => progress++)];
    for (const run of runs) {
      const e = await run().then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(InvalidGraphError);
      messages.push((e as Error).message);
    }
    expect(progress).toBe(0); // refused before any work reported progress
    expect(messages[0]).toBe(messages[1]);
    expect(messages[0]).toMatch(
      new RegExp(`^the model reads tensors nothing defines: '${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' \\(read by MatMul node`),
    );
  });

  it('the CLI refuses it in both modes with exit 4 and the same message, and writes nothing', async () => {
    const errs: string[] = [];
    for (const mode of ['int8', 'fp16']) {
      let err = '';
      const out = join(dir, `out-${mode}.onnx`);
      const code = await runCli(['quantize', input, out, mode], { stdout: () => {}, stderr: (t) => (err += t) });
      expect(code, err).toBe(EXIT.badModel);
      expect(existsSync(out)).toBe(false);
      errs.push(err.trim());
    }
    expect(errs[0]).toBe(errs[1]);
    expect(errs[0]).toContain('the model reads tensors nothing defines');
    expect(readdirSync(dir)).toEqual(['minilm-damaged.onnx']);
  });
});
