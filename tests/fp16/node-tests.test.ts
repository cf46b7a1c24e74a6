/**
 * The ONNX backend node tests (libonnx-testdata: ~1,070 single-op and small models over every operator):
 * wherever the float32 model loads and runs in onnxruntime-node on its own test inputs, the FP16 conversion
 * must load and run too, with outputs of the same types and shapes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseModel, parseTensor } from '../../src/core/onnx/model.js';
import { type Field, pushFloats, pushInts } from '../../src/core/onnx/wire.js';
import { ofKind, pathOf } from '../helpers/fixtures.js';
import { diff, toFp16 } from './helpers.js';

const ORT_TYPE: Record<number, ort.Tensor.Type> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
};
const CTOR: Record<number, new (n: number) => ArrayLike<unknown>> = {
  1: Float32Array,
  2: Uint8Array,
  3: Int8Array,
  4: Uint16Array,
  5: Int16Array,
  6: Int32Array,
  7: BigInt64Array,
  9: Uint8Array,
  10: Uint16Array,
  11: Float64Array,
  12: Uint32Array,
  13: BigUint64Array,
};

/** A TensorProto file (input_N.pb) as an ort.Tensor; null for types or forms this helper does not read. */
function readTensorFile(path: string): ort.Tensor | null {
  const buf = new Uint8Array(readFileSync(path));
  let t;
  try {
    const whole: Field = { no: 0, wt: 2, start: 0, vstart: 0, end: buf.length };
    t = parseTensor(buf, whole, [], 'input');
  } catch {
    return null; // e.g. a SequenceProto
  }
  const type = ORT_TYPE[t.dataType];
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (!type || t.external || n > 1e8) return null;
  if (type === 'string') {
    const strs = t.typedFields.filter((f) => f.no === 6).map((f) => new TextDecoder().decode(buf.subarray(f.vstart, f.end)));
    return new ort.Tensor('string', strs, t.dims);
  }
  const Ctor = CTOR[t.dataType]!;
  let data: ArrayLike<unknown>;
  if (t.rawData) {
    const bytes = t.rawData.slice();
    data = new (Ctor as unknown as new (b: ArrayBuffer) => ArrayLike<unknown>)(bytes.buffer);
  } else {
    const vals: number[] = [];
    for (const f of t.typedFields) {
      if (f.no === 4) pushFloats(buf, f, vals);
      else if (f.no === 10) {
        const dv = new DataView(buf.buffer, buf.byteOffset + f.vstart, f.end - f.vstart);
        for (let i = 0; i + 8 <= dv.byteLength; i += 8) vals.push(dv.getFloat64(i, true));
      } else pushInts(buf, f, vals);
    }
    const arr = new Ctor(n) as unknown as { [i: number]: unknown };
    const big = t.dataType === 7 || t.dataType === 13;
    vals.forEach((v, i) => (arr[i] = big ? BigInt(v) : v));
    data = arr as ArrayLike<unknown>;
  }
  if (data.length !== n) return null;
  return new ort.Tensor(type, data as Float32Array, t.dims);
}

async function session(bytes: Uint8Array): Promise<ort.InferenceSession | null> {
  try {
    return await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  } catch {
    return null;
  }
}

describe('fp16 on the ONNX backend node tests', () => {
  it('every model whose float32 version loads and runs also loads and runs after conversion', { timeout: 300_000 }, async () => {
    const suite = ofKind('onnx-node-test')[0]!;
    const models = (suite.extra as { models: string[] }).models;
    expect(models.length).toBeGreaterThan(1000);
    const stats = { models: models.length, fp32Runs: 0, converted: 0, fp16Runs: 0, withFloat: 0, close: 0, noInputs: 0 };
    const failures: string[] = [];
    for (const rel of models) {
      const file = pathOf(suite, join(suite.path, rel));
      const bytes = new Uint8Array(readFileSync(file));
      const s32 = await session(bytes);
      if (!s32) continue;
      const dir = join(file, '..', 'test_data_set_0');
      const model = parseModel(bytes);
      const inits = new Set(model.graph.initializers.map((x) => x.name));
      const inputs = model.graph.inputs.filter((v) => !inits.has(v.name));
      const feeds: Record<string, ort.Tensor> = {};
      let ok = existsSync(dir);
      inputs.forEach((v, i) => {
        const p = join(dir, `input_${i}.pb`);
        const t = ok && existsSync(p) ? readTensorFile(p) : null;
        if (t) feeds[v.name] = t;
        else ok = false;
      });
      let ref: Record<string, ort.Tensor> | null = null;
      if (ok) ref = await s32.run(feeds).catch(() => null);
      await s32.release();
      if (!ref) {
        stats.noInputs++;
        continue;
      }
      stats.fp32Runs++;
      const conv = await toFp16(bytes);
      stats.converted++;
      const s16 = await session(conv.bytes);
      if (!s16) {
        failures.push(`${rel}: does not load`);
        continue;
      }
      const got = await s16.run(feeds).catch((e: Error) => e);
      await s16.release();
      if (got instanceof Error) {
        failures.push(`${rel}: does not run: ${got.message.slice(0, 200)}`);
        continue;
      }
      stats.fp16Runs++;
      for (const k of Object.keys(ref)) {
        const a = ref[k]!;
        const b = got[k]!;
        if (!b || a.type !== b.type || a.dims.join() !== b.dims.join())
          failures.push(`${rel}: output ${k} is ${b?.type}[${b?.dims}] instead of ${a.type}[${a.dims}]`);
      }
      if (conv.report.nodes.converted > 0) {
        stats.withFloat++;
        const floats = Object.keys(ref).filter((k) => ref![k]!.type === 'float32');
        if (floats.every((k) => diff(ref![k]!, got[k]!).maxRel < 1e-2)) stats.close++;
      }
    }
    console.log(`[fp16] node tests: ${JSON.stringify(stats)}`);
    expect(failures).toEqual([]);
    expect(stats.fp32Runs).toBeGreaterThan(900);
    expect(stats.fp16Runs).toBe(stats.fp32Runs);
    // Numerics are not asserted per model (float16 legitimately overflows on some test values); most stay close.
    expect(stats.close / stats.withFloat).toBeGreaterThan(0.8);
  });
});
