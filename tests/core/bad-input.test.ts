import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { OnnxFormatError, inspectModel, parseModel } from '../../src/core/onnx/index.js';
import { encodeNode, encodeOpset, encodeTensor, encodeValueInfo } from '../../src/core/onnx/encode.js';
import { concatParts, flatten, lenField } from '../../src/core/onnx/writer.js';
import { GRAPH, MODEL } from '../../src/core/onnx/model.js';
import { MINILM, bytesOf, fixture, pathOf, realModels } from '../helpers/fixtures.js';

function errorOf(b: Uint8Array): string {
  try {
    inspectModel(b, { fileName: 'x.onnx' });
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxFormatError);
    return (e as Error).message;
  }
  throw new Error('expected the input to be rejected');
}

const u8 = (...xs: number[]) => Uint8Array.from(xs);
const ascii = (s: string) => new TextEncoder().encode(s);

/** A small valid model: y = MatMul(x, W) with W external or inline. */
function tinyModel(external?: string): Uint8Array {
  const w = external
    ? encodeTensor({ name: 'W', dataType: 1, dims: [4, 2], external: { location: external, offset: 0, length: 32 } })
    : encodeTensor({ name: 'W', dataType: 1, dims: [4, 2], raw: new Uint8Array(32) });
  const graph = [
    lenField(GRAPH.node, encodeNode({ opType: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], name: 'mm' })),
    lenField(GRAPH.name, []),
    lenField(GRAPH.initializer, w),
    lenField(GRAPH.input, encodeValueInfo('x', 1, ['batch', 4])),
    lenField(GRAPH.output, encodeValueInfo('y', 1, ['batch', 2])),
  ];
  return concatParts(flatten([u8(0x08, 0x08), lenField(MODEL.graph, graph), lenField(MODEL.opsetImport, encodeOpset('', 17))]));
}

describe('bad input is named, never a crash', () => {
  it('an empty file', () => expect(errorOf(new Uint8Array())).toMatch(/not an ONNX model: the file is empty/));
  it('a zip (or .pt checkpoint)', () => expect(errorOf(u8(0x50, 0x4b, 3, 4, 0, 0, 0, 0))).toMatch(/starts with a ZIP header/));
  it('a renamed tokenizer.json', () => {
    const tok = readFileSync(pathOf(fixture(MINILM), fixture(MINILM).tokenizer!));
    expect(errorOf(new Uint8Array(tok))).toMatch(/JSON text/);
  });
  it('a safetensors file', () => {
    const hdr = ascii('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const b = new Uint8Array(8 + hdr.length + 4);
    b[0] = hdr.length;
    b.set(hdr, 8);
    expect(errorOf(b)).toMatch(/safetensors/);
  });
  it('GGUF, PNG, HTML, plain text', () => {
    expect(errorOf(ascii('GGUF\x03\x00\x00\x00'))).toMatch(/GGUF/);
    expect(errorOf(u8(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a))).toMatch(/PNG/);
    expect(errorOf(ascii('<!DOCTYPE html><html>'))).toMatch(/HTML/);
    expect(errorOf(ascii('this is just some text that someone renamed to model.onnx'))).toMatch(/plain text/);
  });
  it('an invalid wire type', () => expect(errorOf(u8(0x0f, 1, 2, 3))).toMatch(/not an ONNX model: .*wire type 7/));
  it('a protobuf without a graph', () => expect(errorOf(u8(0x08, 0x08))).toMatch(/has no graph/));
  it('an absurd length', () => {
    // ir_version 8, then a graph field claiming ~4 GB with 100 bytes left.
    const b = concatParts([u8(0x08, 0x08, 0x3a, 0x80, 0x80, 0x80, 0x80, 0x0f), new Uint8Array(100)]);
    expect(errorOf(b)).toMatch(/a field claims 4\.0 GB but the file has 100 bytes left/);
  });
  it('a truncated all-MiniLM-L6-v2 names the initializer the file ends in', () => {
    const full = bytesOf(fixture(MINILM));
    const cut = 1_048_576;
    // Independent answer: which initializer's bytes span the cut point.
    const m = parseModel(full);
    const g = m.graph.fields.find(() => true)!;
    expect(g).toBeDefined();
    const graphStart = m.fields.find((f) => f.no === MODEL.graph)!.vstart;
    const owner = m.graph.initializers.find((t) => {
      const at = t.rawData!.byteOffset - full.byteOffset;
      return graphStart < at && at - 100 < cut && at + t.rawData!.length > cut;
    });
    expect(owner).toBeDefined();
    const msg = errorOf(full.subarray(0, cut));
    expect(msg).toContain('ends at byte 1,048,576');
    expect(msg).toContain(`initializer '${owner!.name}'`);
  });
  it('truncation anywhere gives a clear message', () => {
    const full = bytesOf(fixture(MINILM));
    for (const frac of [0.0001, 0.1, 0.5, 0.9, 0.999]) {
      expect(errorOf(full.subarray(0, Math.floor(full.length * frac)))).toMatch(/truncated|no operator set/);
    }
    expect(errorOf(full.subarray(0, full.length - 1))).toMatch(/truncated|no operator set/);
    // One byte short inside the last field: "1 byte missing", counted in the singular.
    const lastField = parseModel(full).fields.at(-1)!;
    const oneShort = errorOf(full.subarray(0, lastField.end - 1));
    expect(oneShort).toMatch(/at least 1 byte missing/);
  });
  it('random corruption never throws anything but a named format error', () => {
    const small = realModels().sort((a, b) => a.bytes - b.bytes)[0]!;
    const orig = bytesOf(small);
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let k = 0; k < 300; k++) {
      const b = orig.slice();
      for (let j = 0; j < 4; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        inspectModel(b, { fileName: 'x' });
      } catch (e) {
        expect(e, String(e)).toBeInstanceOf(OnnxFormatError);
      }
    }
  });
});

describe('external data', () => {
  it('is listed and resolved against the files given with the model', () => {
    const b = tinyModel('weights.bin');
    const missing = inspectModel(b, { fileName: 'm.onnx' });
    expect(missing.externalData).toEqual([{ tensor: 'W', location: 'weights.bin', offset: 0, length: 32, resolved: false }]);
    const found = inspectModel(b, { fileName: 'm.onnx', siblings: { 'weights.bin': 32 } });
    expect(found.externalData[0]!.resolved).toBe(true);
    expect(found.initializerBytesByType.float).toBe(32);
  });
  it('an inline model built by our encoder is valid for onnxruntime', async () => {
    const ort = await import('onnxruntime-node');
    const s = await ort.InferenceSession.create(tinyModel());
    expect(s.inputNames).toEqual(['x']);
    const r = await s.run({ x: new ort.Tensor('float32', new Float32Array(8).fill(1), [2, 4]) });
    expect(r.y!.dims).toEqual([2, 2]);
  });
});
