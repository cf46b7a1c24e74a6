/**
 * Names are read as the bytes they are (src/core/onnx/wire.ts fieldName, decodeUtf8): a leading U+FEFF is part of a
 * name (TextDecoder drops it unless told not to), and a name whose bytes are not valid UTF-8 is refused before
 * anything is written (a rewritten node or graph input would name U+FFFD where the untouched parts keep the original
 * bytes, and onnxruntime rejects the output). Every mode, the CLI and the page read names through the same parser.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModel } from '../../src/core/onnx/model.js';
import { OnnxFormatError } from '../../src/core/onnx/errors.js';
import { runCli } from '../helpers/cli.js';
import { F32, buildModel, values } from '../helpers/tiny-model.js';

const dir = mkdtempSync(join(tmpdir(), 'ava-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** x [1, 64] -> MatMul with each weight [64, 64] -> one output per weight. */
function matmuls(weights: string[]): Uint8Array {
  return buildModel({
    nodes: weights.map((w, i) => ({ opType: 'MatMul', name: `mm${i}`, inputs: ['x', w], outputs: [`y${i}`] })),
    inits: weights.map((w, i) => ({ name: w, dims: [64, 64], values: values(64 * 64, i + 1) })),
    inputs: [['x', F32, [1, 64]]],
    outputs: weights.map((_, i) => [`y${i}`, F32, [1, 64]] as [string, number, number[]]),
  });
}

/** `model` with every occurrence of the ASCII `token` replaced by `bytes` (same length). */
function withBytes(model: Uint8Array, token: string, bytes: number[]): Uint8Array {
  const t = new TextEncoder().encode(token);
  expect(bytes).toHaveLength(t.length);
  const out = model.slice();
  let n = 0;
  for (let i = 0; i + t.length <= out.length; i++)
    if (t.every((b, j) => out[i + j] === b)) {
      out.set(bytes, i);
      n++;
    }
  expect(n).toBeGreaterThan(0);
  return out;
}

describe('names', () => {
  it('a leading U+FEFF is part of the name: "w" and "\\ufeffw" are two weights, quantized apart, and the output runs', async () => {
    const model = matmuls(['w', '\ufeffw']);
    const names = parseModel(model).graph.initializers.map((t) => t.name);
    expect(names).toEqual(['w', '\ufeffw']);
    const input = join(dir, 'bom.onnx');
    writeFileSync(input, model);
    for (const mode of ['int8', 'fp16', 'q4']) {
      const out = join(dir, `bom-${mode}.onnx`);
      const r = runCli(['quantize', input, out, mode, '--force']);
      expect(r.code, r.err).toBe(0);
      const s = await ort.InferenceSession.create(out);
      const feeds = { x: new ort.Tensor('float32', Float32Array.from(values(64, 9)), [1, 64]) };
      const y = await s.run(feeds);
      expect(Object.keys(y).sort()).toEqual(['y0', 'y1']);
      // Two different weights give two different outputs (not one weight used twice).
      expect(Array.from(y.y0!.data as Float32Array)).not.toEqual(Array.from(y.y1!.data as Float32Array));
    }
  });

  // A name's bytes that are not UTF-8: a lone continuation byte, an overlong form, a truncated sequence, a surrogate.
  const INVALID: [string, number[]][] = [
    ['a lone continuation byte', [0x78, 0x80, 0x41, 0x41]],
    ['an overlong form', [0x78, 0xc0, 0xaf, 0x41]],
    ['a cut-off sequence', [0x78, 0xe2, 0x82, 0x41]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80, 0x41]],
  ];

  for (const [what, bytes] of INVALID)
    it(`a graph input named with ${what} is refused, in every mode, with nothing written`, () => {
      const model = withBytes(
        buildModel({
          nodes: [{ opType: 'MatMul', name: 'mm', inputs: ['QQQQ', 'w'], outputs: ['y'] }],
          inits: [{ name: 'w', dims: [64, 64], values: values(64 * 64) }],
          inputs: [['QQQQ', F32, [1, 64]]],
          outputs: [['y', F32, [1, 64]]],
        }),
        'QQQQ',
        bytes,
      );
      expect(() => parseModel(model)).toThrow(OnnxFormatError);
      expect(() => parseModel(model)).toThrow(/not valid UTF-8/);
      const input = join(dir, 'bad-name.onnx');
      writeFileSync(input, model);
      for (const mode of ['int8', 'fp16', 'q4']) {
        const r = runCli(['quantize', input, join(dir, `bad-${mode}.onnx`), mode]);
        expect(r.code, r.err).toBe(4);
        expect(r.err).toMatch(/is not valid UTF-8/);
        expect(r.err).toContain('\uFFFD'); // the name as it reads, its bad bytes shown as U+FFFD
        expect(readdirSync(dir).filter((f) => f.startsWith(`bad-${mode}`))).toEqual([]);
      }
    });
});
