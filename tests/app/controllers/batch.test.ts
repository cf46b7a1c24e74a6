/**
 * The batch controller without a DOM: a folder of two real models and one already quantized, INT8 + FP16 of each
 * through the core (runMode, as the quantize worker does), hashes, the manifest, the zip (the core's zip writer) with
 * the folders kept, the history entry; then a cancel.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { BatchController, type BatchDeps } from '../../../src/app/controllers/batch.svelte.js';
import { hashBytes } from '../../../src/core/batch/hashing.js';
import { parseManifest } from '../../../src/core/batch/manifest.js';
import { zipStream, type ZipEntry } from '../../../src/core/batch/zip.js';
import { inspectModel } from '../../../src/core/onnx/index.js';
import type { HistoryEntry } from '../../../src/app/history/model.js';
import { fixture, pathOf } from '../../helpers/fixtures.js';
import { nodeQuantize } from './node-deps.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const read = (name: string) => new Uint8Array(readFileSync(pathOf(fixture(name))));
const picked = (path: string, bytes: Uint8Array) => ({ path, file: new File([bytes as Uint8Array<ArrayBuffer>], path.split('/').pop()!) });

function deps(saved: HistoryEntry[]): BatchDeps {
  return {
    inspect: async (file) => inspectModel(new Uint8Array(await file.arrayBuffer()), { fileName: file.name }),
    quantize: nodeQuantize,
    hash: (blob) => hashBytes(blob),
    zip: async (files, manifest) => {
      const entries: ZipEntry[] = [];
      for (const f of files) entries.push({ name: f.name, parts: [new Uint8Array(await f.blob.arrayBuffer())] });
      return new Response(zipStream(entries, { manifest })).blob();
    },
    saveRun: async (e) => void saved.push(e),
    now: () => new Date('2026-11-30T12:00:00.000Z'),
  };
}

describe('BatchController', () => {
  it('a folder: every model into every chosen mode, the skip with its reason, a zip that keeps the folders', async () => {
    const hello = read('openwakeword-hello-deepa');
    const namaste = read('openwakeword-namaste-deepa');
    const helloInt8 = new Uint8Array(
      await (await nodeQuantize(new File([hello], 'hello_deepa.onnx'), [], { mode: 'int8', options: {} } as never)).blob.arrayBuffer(),
    );
    const saved: HistoryEntry[] = [];
    const b = new BatchController(deps(saved));
    b.addFiles([
      picked('models/hello_deepa.onnx', hello),
      picked('models/more/namaste_deepa.onnx', namaste),
      picked('models/hello_deepa-INT8.onnx', helloInt8),
      picked('models/notes.txt', new TextEncoder().encode('not a model')),
    ]);
    expect(b.notice).toBe('Added 3 models; 1 other file (external data, tokenizers, …) kept with them.');
    await b.inspected();
    expect(b.rows.map((r) => [r.path, r.status])).toEqual([
      ['models/hello_deepa-INT8.onnx', 'skipped'],
      ['models/hello_deepa.onnx', 'ready'],
      ['models/more/namaste_deepa.onnx', 'ready'],
    ]);
    b.modes.fp16 = true;
    expect([...b.planned.values()].map((p) => p.names)).toEqual([
      { int8: 'models/hello_deepa-INT8.onnx', fp16: 'models/hello_deepa-FP16.onnx' },
      { int8: 'models/more/namaste_deepa-INT8.onnx', fp16: 'models/more/namaste_deepa-FP16.onnx' },
    ]);
    b.version = 'v1.1';
    await b.runAll();
    expect(b.rows.map((r) => r.status)).toEqual(['skipped', 'done', 'done']);
    expect(b.announcement).toBe('Batch finished: 4 outputs.');
    const [, h] = b.rows;
    expect(h!.input?.sha256).toBe(sha256(hello));
    expect(h!.outs.map((o) => [o.name, o.status])).toEqual([
      ['models/hello_deepa-INT8-v1.1.onnx', 'done'],
      ['models/hello_deepa-FP16-v1.1.onnx', 'done'],
    ]);

    await b.makeZip();
    expect(b.zip!.name).toMatch(/^ava-quantizer-batch-2026-11-30-\d{6}\.zip$/);
    const files = unzipSync(new Uint8Array(await b.zip!.blob.arrayBuffer()));
    expect(Object.keys(files)).toEqual([
      'manifest.json',
      'models/hello_deepa-INT8-v1.1.onnx',
      'models/hello_deepa-FP16-v1.1.onnx',
      'models/more/namaste_deepa-INT8-v1.1.onnx',
      'models/more/namaste_deepa-FP16-v1.1.onnx',
    ]);
    const manifest = parseManifest(new TextDecoder().decode(files['manifest.json']));
    for (const o of manifest.outputs) expect(sha256(files[o.name]!), o.name).toBe(o.sha256);
    expect(manifest.skipped.map((s) => s.name)).toEqual(['models/hello_deepa-INT8.onnx']);
    expect(saved).toHaveLength(1);
    expect(saved[0]!.title).toBe('Batch: 2 models, 4 outputs, 1 skipped');
    expect(saved[0]!.reports.map((r) => r.output.name)).toEqual(Object.keys(files).slice(1));
  });

  it('cancel stops the batch: what finished stays, the rest says cancelled', async () => {
    const hello = read('openwakeword-hello-deepa');
    const saved: HistoryEntry[] = [];
    const b = new BatchController(deps(saved));
    b.addFiles([picked('a/hello.onnx', hello), picked('b/hello.onnx', hello)]);
    await b.inspected();
    const run = b.runAll();
    expect(b.running).toBe(true);
    b.cancel();
    await run;
    expect(b.running).toBe(false);
    expect(b.rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(b.announcement).toBe('Batch cancelled: 0 outputs.');
  });
});
