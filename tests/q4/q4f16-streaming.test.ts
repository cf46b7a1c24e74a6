/**
 * Q4F16 keeps to the any-size rule (README, issue #10): its second stage reads the first stage's output through a
 * source over its pieces (src/core/onnx/pieces-source.ts) instead of collecting the intermediate model into one
 * buffer, so no buffer bigger than the largest tensor is allocated, and the output is byte for byte the one the
 * collecting path gave (reproduced here as the reference), in both orders, from memory and opened by range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertFp16, type Fp16Options } from '../../src/core/fp16/index.js';
import { bytesSource } from '../../src/core/io/source.js';
import { type ByteSink, writePieces } from '../../src/core/io/write.js';
import { parseModel, type ModelView } from '../../src/core/onnx/model.js';
import { openModel } from '../../src/core/onnx/open.js';
import { openPieces, piecesSource } from '../../src/core/onnx/pieces-source.js';
import { chunking } from '../../src/core/onnx/tensor-data.js';
import { collectPieces, lazyComputed, lazyRange, piecesSize, rangeChunking, type Piece } from '../../src/core/onnx/writer.js';
import { quantizeQ4, quantizeQ4F16, type Q4F16Order, type Q4Progress, type QuantizeQ4Options } from '../../src/core/q4/index.js';
import { matmulChunking } from '../../src/core/q4/ops/matmul.js';
import { fileSource, modelFilesOf } from '../../src/node/files.js';
import { largestAllocation } from '../helpers/allocations.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { F32, I64, buildModel, type TensorSpec, values } from '../helpers/tiny-model.js';

type Opts = QuantizeQ4Options & { fp16?: Fp16Options };

/** Q4F16 as it was before pieces-source.ts: the first stage's output collected into one buffer and parsed. */
async function collected(model: ModelView, opts: Opts, order: Q4F16Order) {
  const { fp16 = {}, ...q4Options } = opts;
  if (order === 'fp16-first') {
    const f = await convertFp16(model, fp16);
    const mid = await collectPieces(f.parts);
    const q = await quantizeQ4(parseModel(mid), q4Options);
    return { bytes: await collectPieces(q.parts), intermediate: mid.length, q4: q.report, fp16: f.report };
  }
  const q = await quantizeQ4(model, q4Options);
  const mid = await collectPieces(q.parts);
  const f = await convertFp16(parseModel(mid), fp16);
  return { bytes: await collectPieces(f.parts), intermediate: mid.length, q4: q.report, fp16: f.report };
}

/** A report without its timings. */
const untimed = (r: object): unknown => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'durationMs' ? undefined : v)));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A sink that hashes what it is given (keeps nothing, allocates nothing the rule would count). */
function hashSink(): ByteSink & { digest(): string; bytes: number } {
  const h = createHash('sha256');
  const s = {
    bytes: 0,
    write(chunk: Uint8Array) {
      h.update(chunk);
      s.bytes += chunk.length;
      return Promise.resolve();
    },
    digest: () => h.digest('hex'),
  };
  return s;
}

/** Runs quantizeQ4F16 and checks its bytes and both stage reports against the collecting path's. */
async function expectSameAsCollected(model: ModelView, opts: Opts, order: Q4F16Order, label: string): Promise<void> {
  const want = await collected(model, opts, order);
  const r = await quantizeQ4F16(model, { ...opts, order });
  const got = await collectPieces(r.parts);
  expect(got.length, label).toBe(want.bytes.length);
  expect(sha(got), label).toBe(sha(want.bytes));
  expect(r.report.outputBytes, label).toBe(want.bytes.length);
  expect(untimed(r.report.q4), label).toEqual(untimed(want.q4));
  expect(untimed(r.report.fp16), label).toEqual(untimed(want.fp16));
}

const ORDERS: Q4F16Order[] = ['q4-first', 'fp16-first'];

describe('Q4F16 gives the collecting path’s bytes and reports', () => {
  let bytes: Uint8Array;
  beforeAll(() => {
    bytes = new Uint8Array(readFileSync(pathOf(fixture(MINILM))));
  });

  for (const order of ORDERS)
    it(`all-MiniLM-L6-v2, ${order}: in memory and opened by range, each preset, Gather tables too, FP16 clamping`, async () => {
      const cases: [string, Opts][] = [
        ['tjs-q4', {}],
        ['ort-default (zero points)', { preset: 'ort-default' }],
        ['MatMul + Gather, block 64, asymmetric', { opTypes: ['MatMul', 'Gather'], blockSize: 64, symmetric: false }],
        ['FP16 outOfRange clamp (no range scan)', { fp16: { outOfRange: 'clamp' } }],
      ];
      for (const [what, opts] of cases) await expectSameAsCollected(parseModel(bytes), opts, order, `memory, ${what}`);
      const file = fileSource(pathOf(fixture(MINILM)));
      try {
        const { model } = await openModel(file, { holeThreshold: 4096 });
        // The source's hash arriving while the first stage's output is read (as in the CLI).
        const late = {
          source: { name: 'model.onnx', sha256: new Promise<string>((res) => setTimeout(() => res('0'.repeat(64)), 20)) },
          toolVersion: '0',
          date: '2026-01-01T00:00:00.000Z',
        };
        await expectSameAsCollected(model, { provenance: late }, order, 'file');
        await expectSameAsCollected(model, { opTypes: ['MatMul', 'Gather'] }, order, 'file, MatMul + Gather');
      } finally {
        await file.close();
      }
    });

  it('external data (one file, per tensor), vision and audio models with subgraphs, both orders', async () => {
    for (const name of ['all-MiniLM-L6-v2-external', 'all-MiniLM-L6-v2-external-per-tensor', 'PP-OCRv4-rec', 'silero-vad-v5']) {
      const files = modelFilesOf(pathOf(fixture(name)));
      try {
        const { model } = await openModel(files);
        for (const order of ORDERS) await expectSameAsCollected(model, { opTypes: ['MatMul', 'Gather'] }, order, `${name} ${order}`);
      } finally {
        await files.close();
      }
    }
  });
});

describe('Q4F16 never holds its intermediate model in one buffer', () => {
  // A model whose intermediate is four times its largest tensor: 4 MatMul weights and 4 Mul constants of 2 MiB each.
  const LAYERS = 4;
  const ROWS = 512;
  const dims = (i: number): [number, number] => (i % 2 ? [512, 1024] : [1024, 512]);
  const largest = 2 << 20;
  let dir: string;
  let path: string;
  beforeAll(() => {
    const inits: TensorSpec[] = [];
    const nodes = [];
    let h = 'x';
    for (let i = 0; i < LAYERS; i++) {
      inits.push({ name: `W${i}`, dims: dims(i), values: values(512 * 1024, 10 + i) });
      nodes.push({ opType: 'MatMul', inputs: [h, `W${i}`], outputs: [`h${i}`], name: `mm${i}` });
      h = `h${i}`;
      inits.push({ name: `C${i}`, dims: [ROWS, 1024], values: values(ROWS * 1024, 50 + i) });
      nodes.push({ opType: 'Mul', inputs: ['y', `C${i}`], outputs: [`z${i}`], name: `mul${i}` });
    }
    const model = buildModel({
      opset: 17,
      nodes,
      inits,
      inputs: [
        ['x', F32, [2, 1024]],
        ['y', F32, [ROWS, 1024]],
      ],
      outputs: [
        [h, F32, [2, 1024]],
        ...Array.from({ length: LAYERS }, (_, i) => [`z${i}`, F32, [ROWS, 1024]] as [string, number, number[]]),
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'ava-q4f16-'));
    path = join(dir, 'model.onnx');
    writeFileSync(path, model);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const order of ORDERS)
    it(`${order}: no buffer bigger than the largest tensor (2 MiB; the intermediate is over 8 MiB), same bytes`, async () => {
      const file = fileSource(path);
      try {
        const { model } = await openModel(file);
        const want = await collected(model, {}, order);
        expect(want.intermediate).toBeGreaterThan(4 * largest);
        const sink = hashSink();
        const progress: Q4Progress[] = [];
        const { bytes } = await largestAllocation(async () => {
          const r = await quantizeQ4F16(model, { order }, (p) => progress.push(p));
          await writePieces(r.parts, sink);
        });
        expect(bytes, 'the biggest buffer allocated').toBeLessThanOrEqual(largest);
        expect(sink.digest()).toBe(sha(want.bytes));
        const last = progress.at(-1)!;
        expect(last.total).toBeGreaterThan(0);
        expect(last.done).toBe(last.total);
      } finally {
        await file.close();
      }
    });

  for (const order of ORDERS)
    it(`${order}: cancelled midway, it stops with an AbortError and no weight is quantized after`, async () => {
      const file = fileSource(path);
      try {
        const { model } = await openModel(file);
        const ac = new AbortController();
        let done = 0;
        let after = 0;
        const run = async () => {
          const r = await quantizeQ4F16(
            model,
            { order },
            (p) => {
              if (ac.signal.aborted) after++;
              if (p.done > 0 && ++done === 2) ac.abort();
            },
            ac.signal,
          );
          await writePieces(r.parts, hashSink(), { signal: ac.signal });
        };
        await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
        expect(done).toBe(2);
        expect(after).toBe(0);
      } finally {
        await file.close();
      }
    });
});

describe('Q4 never reads a big table whole', () => {
  // An 8 MiB float32 table read by a Mul and a Gather (Q4 leaves it as it is unless Gather is chosen), and a small MatMul weight.
  let dir: string;
  let path: string;
  const table = 8 << 20;
  beforeAll(() => {
    const model = buildModel({
      opset: 17,
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'W'], outputs: ['h'], name: 'mm' },
        { opType: 'Mul', inputs: ['y', 'C'], outputs: ['z'], name: 'mul' },
        { opType: 'Gather', inputs: ['C', 'ids'], outputs: ['g'], name: 'gather' },
      ],
      inits: [
        { name: 'W', dims: [64, 64], values: values(64 * 64, 3) },
        { name: 'C', dims: [1024, 2048], values: values(1024 * 2048, 4) },
      ],
      inputs: [
        ['x', F32, [2, 64]],
        ['y', F32, [1024, 2048]],
        ['ids', I64, [3]],
      ],
      outputs: [
        ['h', F32, [2, 64]],
        ['z', F32, [1024, 2048]],
        ['g', F32, [3, 2048]],
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'ava-q4-range-'));
    path = join(dir, 'model.onnx');
    writeFileSync(path, model);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an 8 MiB table is written in 1 MiB chunks read when written (ranges over 1 MiB chunked here), same bytes', async () => {
    const file = fileSource(path);
    const before = { ...rangeChunking };
    try {
      const { model } = await openModel(file);
      const want = sha(await collectPieces((await quantizeQ4(model, {})).parts));
      rangeChunking.aboveBytes = 1 << 20;
      rangeChunking.bytes = 1 << 20;
      const sink = hashSink();
      const { bytes } = await largestAllocation(async () => {
        const r = await quantizeQ4(model, {});
        expect(r.parts.filter((p) => !(p instanceof Uint8Array) && p.chunks).map((p) => p.length)).toEqual([table]);
        await writePieces(r.parts, sink);
      });
      expect(bytes, 'the biggest buffer allocated').toBeLessThanOrEqual(2 << 20); // 8 MiB when the table was read whole
      expect(sink.digest()).toBe(want);
    } finally {
      Object.assign(rangeChunking, before);
      await file.close();
    }
  });

  it('Gather chosen: the 8 MiB table is read and quantized in 1 MiB slices (tables over 1 MiB sliced here), same bytes', async () => {
    const file = fileSource(path);
    const before = [chunking.aboveBytes, matmulChunking.bytes, { ...rangeChunking }] as const;
    const opts: QuantizeQ4Options = { opTypes: ['MatMul', 'Gather'], symmetric: false };
    try {
      const { model } = await openModel(file);
      const want = sha(await collectPieces((await quantizeQ4(model, opts)).parts));
      chunking.aboveBytes = 1 << 20;
      matmulChunking.bytes = 1 << 20;
      Object.assign(rangeChunking, { aboveBytes: 1 << 20, bytes: 1 << 20 }); // the table is also carried (for the Mul)
      const sink = hashSink();
      const { bytes, where } = await largestAllocation(async () => {
        const r = await quantizeQ4(model, opts);
        expect(r.report.rewritten).toEqual({ MatMul: 1, Gather: 1 });
        await writePieces(r.parts, sink);
      });
      expect(bytes, `the biggest buffer allocated, at ${where}`).toBeLessThanOrEqual(1 << 20); // 8 MiB when the table was read whole
      expect(sink.digest()).toBe(want);
    } finally {
      [chunking.aboveBytes, matmulChunking.bytes] = before;
      Object.assign(rangeChunking, before[2]);
      await file.close();
    }
  });
});

describe('piecesSource: a source over output pieces', () => {
  const input = bytesSource(
    Uint8Array.from({ length: 100 }, (_, i) => i),
    'input',
  );
  /** A computed piece of n bytes (value v) counting how often it is made. */
  const made: Record<string, number> = {};
  const computed = (n: number, v: number, label: string) =>
    lazyComputed(
      n,
      async () => {
        made[label] = (made[label] ?? 0) + 1;
        return new Uint8Array(n).fill(v);
      },
      label,
    );

  it('reads across pieces: bytes in memory, ranges of the input, computed bytes; readAheadEnd stops at computed ones', async () => {
    const pieces: Piece[] = [Uint8Array.of(1, 2, 3), lazyRange(input, 10, 4), computed(5, 7, 'a'), new Uint8Array(0), Uint8Array.of(9)];
    const s = piecesSource(pieces, 'mid');
    expect(s.size).toBe(13);
    expect([...(await s.read(0, 13))]).toEqual([1, 2, 3, 10, 11, 12, 13, 7, 7, 7, 7, 7, 9]);
    const into = new Uint8Array(4);
    await s.readInto!(5, into);
    expect([...into]).toEqual([12, 13, 7, 7]);
    expect([...(await s.read(4, 2))]).toEqual([11, 12]);
    expect(s.readAheadEnd!(0)).toBe(7);
    expect(s.readAheadEnd!(7)).toBe(7);
    expect(s.readAheadEnd!(12)).toBe(13);
    await expect(s.read(10, 4)).rejects.toThrow(/'mid' is 13 bytes, but bytes 10–14 were asked for/);
  });

  it('makes a computed piece once, holds it until written, drops it once written through', async () => {
    const s = piecesSource([Uint8Array.of(0), computed(8, 1, 'b'), computed(8, 2, 'c')], 'mid');
    await s.read(1, 8); // planning reads b (an FP16 range scan)
    await s.read(2, 3);
    expect(made['b']).toBe(1);
    expect(s.heldBytes()).toBe(8);
    s.writing();
    await s.read(1, 4); // writing reads b in two chunks
    expect(s.heldBytes()).toBe(8);
    await s.read(5, 4);
    expect(s.heldBytes()).toBe(0);
    expect(made['b']).toBe(1);
    expect([...(await s.read(9, 8))]).toEqual(Array(8).fill(2)); // c, read whole while writing: not held
    expect(s.heldBytes()).toBe(0);
    expect(made['c']).toBe(1);
  });

  it('a failed make is not kept: the next read makes it again', async () => {
    let fail = true;
    const p = lazyComputed(4, () => (fail ? Promise.reject(new Error('disk gone')) : Promise.resolve(new Uint8Array(4))));
    const s = piecesSource([p], 'mid');
    await expect(s.read(0, 4)).rejects.toThrow('disk gone');
    fail = false;
    expect((await s.read(0, 4)).length).toBe(4);
  });

  it('openPieces opens a Q4 output without making any of its 4-bit weights', async () => {
    const model = parseModel(new Uint8Array(readFileSync(pathOf(fixture(MINILM)))));
    const q = await quantizeQ4(model, {});
    let reads = 0;
    const counted = q.parts.map((p) =>
      p instanceof Uint8Array || p.at
        ? p
        : {
            ...p,
            read: (signal?: AbortSignal) => {
              reads++;
              return p.read(signal);
            },
          },
    );
    const { model: mid, source } = await openPieces(counted, 'mid');
    expect(reads).toBe(0);
    expect(source.heldBytes()).toBe(0);
    expect(mid.graph.nodes.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(36);
    expect(mid.fileBytes).toBe(piecesSize(q.parts));
  });
});
