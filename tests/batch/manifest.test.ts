/** manifest.json: built from real INT8 / FP16 runs, stable JSON, round trip, and validation of hostile input. */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ManifestError,
  createManifest,
  hashBytes,
  isManifest,
  manifestOutput,
  manifestToJson,
  outputName,
  parseManifest,
  validateManifest,
  type Manifest,
} from '../../src/core/batch/index.js';
import { TOOL, smallRuns, type SmallRuns } from './helpers.js';
import { reverseKeys } from '../helpers/objects.js';

let runs: SmallRuns;
let manifest: Manifest;

beforeAll(async () => {
  runs = await smallRuns();
  const input = { name: runs.name, ...(await hashBytes(runs.bytes)) };
  const out = async (parts: Uint8Array[], mode: 'int8' | 'fp16') => ({
    name: outputName(runs.name, mode).path,
    ...(await hashBytes(parts)),
  });
  manifest = createManifest({
    tool: TOOL,
    createdAt: new Date('2025-06-01T10:00:00Z'),
    inputs: [{ name: input.name, bytes: input.bytes, sha256: input.sha256, md5: input.md5 }],
    outputs: [
      manifestOutput({ file: await out(runs.int8.parts, 'int8'), source: runs.name, report: runs.int8.report }),
      manifestOutput({ file: await out(runs.fp16.parts, 'fp16'), source: runs.name, report: runs.fp16.report }),
    ],
    skipped: [{ name: 'model_quantized.onnx', reason: 'the name ends in "_quantized", which marks an already quantized model' }],
  });
});

describe('manifest', () => {
  it('records inputs and outputs with sizes, hashes, settings and report summaries', () => {
    const sha = (b: Uint8Array | Uint8Array[]) =>
      [b]
        .flat()
        .reduce((h, p) => h.update(p), createHash('sha256'))
        .digest('hex');
    expect(manifest.format).toBe('ava-quantizer-manifest');
    expect(manifest.version).toBe(2);
    expect(manifest.tool).toEqual({ name: 'ava-quantizer', version: '0.1.0' });
    expect(manifest.createdAt).toBe('2025-06-01T10:00:00.000Z');
    expect(manifest.inputs).toEqual([
      { name: 'hello_deepa.onnx', bytes: runs.bytes.length, sha256: sha(runs.bytes), md5: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
    const [i8, f16] = manifest.outputs;
    expect(i8).toMatchObject({
      name: 'hello_deepa-INT8.onnx',
      source: 'hello_deepa.onnx',
      mode: 'int8',
      preset: 'tjs-q8',
      sha256: sha(runs.int8.parts),
      quality: null,
    });
    expect(i8!.options).toMatchObject({
      perChannel: true,
      reduceRange: true,
      weightType: runs.int8.report.options.weightType,
      enableSubgraph: true,
      opTypes: runs.int8.report.options.opTypes,
    });
    expect(Object.keys(i8!.options)).toEqual([...Object.keys(i8!.options)].sort());
    expect(i8!.report.inputBytes).toBe(runs.bytes.length);
    expect(i8!.report.outputBytes).toBe(i8!.bytes);
    expect(i8!.report.reductionPercent).toBeCloseTo((1 - i8!.bytes / runs.bytes.length) * 100, 1);
    expect(i8!.report.facts).toEqual({ tensorsQuantized: runs.int8.report.tensorsQuantized, opset: runs.int8.report.opset });
    expect(i8!.report.rewritten).toEqual(runs.int8.report.rewritten);
    expect(f16).toMatchObject({ name: 'hello_deepa-FP16.onnx', mode: 'fp16', preset: null, sha256: sha(runs.fp16.parts) });
    expect(f16!.options).toMatchObject({ keepIoTypes: true, maxFinite: 65504, opBlockList: [] });
    expect(f16!.options).not.toHaveProperty('defaultOpBlockList');
    expect(f16!.report.facts.tensorsConverted).toBe(runs.fp16.report.weights.tensorsConverted);
    expect(f16!.report.keptInFloat).toEqual(Object.fromEntries(runs.fp16.report.keptOps.map((k) => [k.op, k.count])));
    expect(manifest.skipped).toHaveLength(1);
  });

  it('JSON is stable (schema key order whatever the input order) and round-trips', () => {
    const json = manifestToJson(manifest);
    expect(json.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(json))).toEqual(['format', 'version', 'tool', 'createdAt', 'inputs', 'outputs', 'skipped']);
    expect(Object.keys(JSON.parse(json).outputs[0])).toEqual([
      'name',
      'bytes',
      'sha256',
      'md5',
      'source',
      'mode',
      'preset',
      'options',
      'report',
      'quality',
    ]);
    expect(manifestToJson(reverseKeys(manifest) as Manifest)).toBe(json);
    expect(parseManifest(json)).toEqual(manifest);
    expect(manifestToJson(parseManifest(json))).toBe(json);
    expect(isManifest(JSON.parse(json))).toBe(true);
  });

  it('rejects malformed and inconsistent manifests with the field named', () => {
    const json = manifestToJson(manifest);
    const bad = (mutate: (m: any) => void): string => {
      const m = JSON.parse(json);
      mutate(m);
      try {
        validateManifest(m);
      } catch (e) {
        expect(e).toBeInstanceOf(ManifestError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad((m) => (m.version = 3))).toBe('invalid manifest: version: expected 2, got the number 3');
    expect(bad((m) => (m.outputs[0].sha256 = 'XYZ'))).toMatch(/outputs\[0\]\.sha256: expected 64 lowercase hex digits/);
    expect(bad((m) => (m.inputs[0].bytes = -3))).toMatch(/inputs\[0\]\.bytes: -3 is below the minimum 0/);
    expect(bad((m) => (m.outputs[1].report.durationMs = null))).toMatch(/outputs\[1\]\.report\.durationMs: expected a number, got null/);
    expect(bad((m) => (m.outputs[0].source = 'other.onnx'))).toMatch(/outputs\[0\]\.source "other\.onnx" is not one of the inputs/);
    expect(bad((m) => (m.outputs[0].bytes += 1))).toMatch(/outputs\[0\] has \d+ bytes but its report says \d+/);
    expect(bad((m) => (m.outputs[1].name = m.outputs[0].name.toUpperCase()))).toMatch(/appears twice/);
    expect(bad((m) => (m.extra = true))).toMatch(/extra: unexpected key/);
    expect(bad((m) => delete m.skipped)).toMatch(/skipped: missing/);
    expect(() => parseManifest('{"format":')).toThrow(/manifest.json is not valid JSON/);
    expect(isManifest({})).toBe(false);
    expect(() => createManifest({ tool: TOOL, inputs: [], outputs: [], createdAt: 'not a date' })).toThrow(
      /createdAt: expected an ISO 8601/,
    );
  });

  it('reads a version 1 manifest (written before the reports were unified) under the new names', () => {
    const v2 = JSON.parse(manifestToJson(manifest));
    // The same outputs as version 1 wrote them.
    const v1 = {
      ...v2,
      version: 1,
      outputs: v2.outputs.map((o: any) => ({
        ...o,
        report: {
          originalBytes: o.report.inputBytes,
          outputBytes: o.report.outputBytes,
          reductionPercent: o.report.reductionPercent,
          timeMs: o.report.durationMs,
          int8:
            o.mode === 'int8'
              ? {
                  tensorsQuantized: o.report.facts.tensorsQuantized,
                  rewritten: o.report.rewritten,
                  leftInFloat: 0,
                  opset: o.report.facts.opset,
                }
              : null,
          fp16: o.mode === 'fp16' ? { ...o.report.facts, keptOps: o.report.keptInFloat } : null,
          notes: o.report.notes,
        },
      })),
    };
    const back = parseManifest(JSON.stringify(v1));
    expect(back.version).toBe(2);
    expect(back.outputs[0]!.report).toEqual({ ...manifest.outputs[0]!.report, keptInFloat: {} });
    expect(back.outputs[1]!.report).toEqual({ ...manifest.outputs[1]!.report, rewritten: {} });
  });
});
