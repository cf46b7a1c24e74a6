/**
 * Every mode gives the same bytes whether the model is in memory or opened by streaming (payloads left on disk,
 * read by range when written; big weights processed in chunks; the source's hash arriving while writing), and whether
 * or not the writer gives computed weights' buffers back for reuse (src/core/io/pool.ts).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseModel } from '../../src/core/onnx/model.js';
import { openModel } from '../../src/core/onnx/open.js';
import { blobSource } from '../../src/core/io/source.js';
import { fileSource } from '../../src/node/files.js';
import { chunking } from '../../src/core/onnx/tensor-data.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { memorySink, writePieces } from '../../src/core/io/write.js';
import type { ModeRequest } from '../../src/core/modes/registry.js';
import { runMode } from '../../src/core/modes/run.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { lateCheckingSink } from '../helpers/sinks.js';

const prov = { source: { name: 'model.onnx', sha256: '0'.repeat(64) }, toolVersion: '0', date: '2026-01-01T00:00:00.000Z' };
const late = () => ({
  ...prov,
  source: { name: 'model.onnx', sha256: new Promise<string>((r) => setTimeout(() => r('0'.repeat(64)), 20)) },
});

describe('streaming input gives the same bytes as in memory (all-MiniLM-L6-v2)', () => {
  const bytes = new Uint8Array(readFileSync(pathOf(fixture(MINILM))));
  for (const mode of ['int8', 'fp16'] as const)
    it(`${mode}: payloads read by range, every weight over 1 MiB in chunks`, async () => {
      const req = (p: typeof prov | ReturnType<typeof late>): ModeRequest => ({ mode, options: { provenance: p } }) as ModeRequest;
      const mem = await collectPieces((await runMode(parseModel(bytes), req(prov))).parts);
      const before = chunking.aboveBytes;
      chunking.aboveBytes = 1 << 20;
      const file = fileSource(pathOf(fixture(MINILM)));
      try {
        // A Blob (read() per chunk) and a Node file (readInto: every chunk through one reused buffer).
        for (const src of [blobSource(new Blob([bytes]), 'model.onnx'), file]) {
          const { model } = await openModel(src, { holeThreshold: 4096 });
          const r = await runMode(model, req(late()));
          const streamed = await collectPieces(r.parts);
          expect(streamed.length).toBe(mem.length);
          expect(Buffer.from(streamed).equals(Buffer.from(mem))).toBe(true);
          if (r.report.mode === 'fp16') expect(r.report.weights.valuesConverted).toBeGreaterThan(20e6);
          // Through the writer, which streams big converted weights chunk by chunk (LazyPart.chunks): same bytes, same counts.
          const w = await runMode(model, req(late()));
          const sink = memorySink();
          await writePieces(w.parts, sink);
          expect(Buffer.from(sink.bytes()).equals(Buffer.from(mem))).toBe(true);
          if (w.report.mode === 'fp16' && r.report.mode === 'fp16') expect(w.report.weights).toEqual(r.report.weights);
        }
      } finally {
        await file.close();
        chunking.aboveBytes = before;
      }
    });
});

describe('output buffers given back by the writer and reused give the same bytes (all-MiniLM-L6-v2 from a file)', () => {
  for (const mode of ['int8', 'fp16'] as const)
    it(`${mode}: written twice through a sink that checks each chunk late, same bytes as read without giving back`, async () => {
      const file = fileSource(pathOf(fixture(MINILM)));
      try {
        const { model } = await openModel(file, { holeThreshold: 4096 });
        const req = { mode, options: { provenance: prov } } as ModeRequest;
        const plain = await collectPieces((await runMode(model, req)).parts); // nothing is given back
        const buffers: ArrayBufferLike[] = [];
        for (let run = 0; run < 2; run++) {
          const sink = lateCheckingSink();
          await writePieces((await runMode(model, req)).parts, sink);
          expect(Buffer.from(sink.bytes()).equals(Buffer.from(plain))).toBe(true);
          buffers.push(...sink.buffers);
        }
        // A weight's buffer went back to the pool and was written again holding another weight (or the next run's).
        expect(new Set(buffers).size).toBeLessThan(buffers.length);
      } finally {
        await file.close();
      }
    });
});
