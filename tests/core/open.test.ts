/**
 * Opening models by streaming (src/core/onnx/open.ts): structure read, payloads left on disk as holes, written back
 * lazily. The right values: byte-identical round trips through holes for every real fixture and every ONNX node
 * test, reads by range only (never the whole file), and the same errors as the in-memory parser.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { openModel } from '../../src/core/onnx/open.js';
import { type ByteSource, blobSource, bytesSource } from '../../src/core/io/source.js';
import { collectPieces, writeModel } from '../../src/core/onnx/writer.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { OnnxFormatError } from '../../src/core/onnx/errors.js';
import { MINILM, bytesOf, fixture, nodeTestModels, pathOf, realModels } from '../helpers/fixtures.js';
import { fileSource } from '../../src/node/files.js';

const same = (a: Uint8Array, b: Uint8Array) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

/** A Blob-backed source that records every range read (what a dropped File does in the page). */
function recording(bytes: Uint8Array, name = 'model.onnx'): ByteSource & { reads: [number, number][] } {
  const inner = blobSource(new Blob([bytes as Uint8Array<ArrayBuffer>]), name);
  const reads: [number, number][] = [];
  return {
    ...inner,
    reads,
    read(offset, length, signal) {
      reads.push([offset, length]);
      return inner.read(offset, length, signal);
    },
  };
}

describe('openModel: skeleton with holes', () => {
  it.each(realModels().map((f) => [f.name, f] as const))('%s: written back byte-identical through holes', async (_n, f) => {
    const b = bytesOf(f);
    const src = recording(b);
    const { model, modelBytes } = await openModel(src, { holeThreshold: 1024 });
    expect(modelBytes).toBe(b.length);
    expect(model.fileBytes).toBe(b.length);
    const out = await collectPieces(writeModel(model));
    expect(same(out, b)).toBe(true);
  });

  it('every ONNX node-test model round-trips with every raw_data payload as a hole', async () => {
    const failed: string[] = [];
    for (const p of nodeTestModels()) {
      const b = new Uint8Array(readFileSync(p));
      const { model } = await openModel(blobSource(new Blob([b])), { holeThreshold: 0 });
      if (!same(await collectPieces(writeModel(model)), b)) failed.push(p);
    }
    expect(failed).toEqual([]);
  });

  it('reads only the structure: the big payloads of all-MiniLM-L6-v2 are never read while opening', async () => {
    const b = bytesOf(fixture(MINILM));
    const src = recording(b);
    const { model } = await openModel(src);
    const read = src.reads.reduce((a, [, n]) => a + n, 0);
    expect(read).toBeLessThan(b.length / 20);
    const big = model.graph.initializers.filter((t) => t.data);
    expect(big.length).toBeGreaterThan(30);
    // Each hole knows its range; the same bytes as the in-memory parser sees.
    const mem = new Map(parseModel(b).graph.initializers.map((t) => [t.name, t.rawData!]));
    for (const t of big.slice(0, 5)) {
      expect(t.rawData).toBeNull();
      expect(same(await t.data!.source.read(t.data!.offset, t.data!.length), mem.get(t.name)!)).toBe(true);
    }
  });

  it('a truncated file names the initializer whose raw data it ends in, as the in-memory parser does', async () => {
    const b = bytesOf(fixture(MINILM));
    const cut = b.subarray(0, 1 << 20);
    const expected = (() => {
      try {
        parseModel(cut);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    await expect(openModel(recording(cut))).rejects.toThrow(OnnxFormatError);
    await expect(openModel(recording(cut))).rejects.toThrow(expected);
  });

  it('not-ONNX files get the same message from the first bytes', async () => {
    const zip = Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0]);
    await expect(openModel(bytesSource(zip))).rejects.toThrow(/starts with a ZIP header/);
    await expect(openModel(recording(new TextEncoder().encode('{"model": "tokenizer"}')))).rejects.toThrow(/JSON text/);
    await expect(openModel(recording(Uint8Array.from([0x0f, 1, 2, 3])))).rejects.toThrow(/not an ONNX model: .*wire type 7/);
  });
});

describe('openModel: a source that reads synchronously (a Node file)', () => {
  /** fileSource over a fixture, counting its asynchronous and synchronous reads. */
  function counted(path: string) {
    const inner = fileSource(path);
    const n = { async: 0, sync: 0 };
    const src: ByteSource & { close(): Promise<void> } = {
      ...inner,
      read(offset, length, signal) {
        n.async++;
        return inner.read(offset, length, signal);
      },
      readSync(offset, length) {
        n.sync++;
        return inner.readSync!(offset, length);
      },
    };
    return { src, n };
  }

  it.each(realModels().map((f) => [f.name, f] as const))(
    '%s: opened with no asynchronous read (each a round trip of the I/O thread pool), written back byte-identical',
    async (_n, f) => {
      const { src, n } = counted(pathOf(f));
      try {
        // A small hole threshold: many holes, so fields kept as they are form runs that cross read windows.
        const { model } = await openModel(src, { holeThreshold: 1024 });
        expect(n.async).toBe(0);
        expect(n.sync).toBeGreaterThan(0);
        // Writing reads the holes back (asynchronously, by offset and length) and gives the file's bytes.
        expect(same(await collectPieces(writeModel(model)), bytesOf(f))).toBe(true);
      } finally {
        await src.close();
      }
    },
  );

  it('a file cut short while it is read is a read error naming it, from readSync as from read', async () => {
    const src = fileSource(pathOf(fixture(MINILM)));
    try {
      expect(() => src.readSync!(src.size - 10, 20)).toThrow(/too short/);
      await expect(src.read(src.size - 10, 20)).rejects.toThrow(/too short/);
    } finally {
      await src.close();
    }
  });
});
