/** "Download all" zip: streamed, stored, unzipped again (fflate unzipSync) and checked against the manifest's hashes. */
import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MANIFEST_NAME,
  ZipError,
  checkEntryName,
  createManifest,
  hashBytes,
  manifestOutput,
  outputName,
  parseManifest,
  zipChunks,
  zipSize,
  zipStream,
  type Manifest,
  type ZipEntry,
} from '../../src/core/batch/index.js';
import { TOOL, smallRuns, type SmallRuns } from './helpers.js';
import { concatBytes } from '../../src/core/io/bytes.js';

const concat = concatBytes;
/** Byte equality (vitest's toEqual walks big typed arrays element by element). */
const same = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  !!a && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
const hex = (alg: 'sha256' | 'md5', b: Uint8Array) => createHash(alg).update(b).digest('hex');

let runs: SmallRuns;
let entries: ZipEntry[];
let manifest: Manifest;

beforeAll(async () => {
  runs = await smallRuns();
  entries = [
    { name: outputName(runs.name, 'int8', { template: 'transformers.js' }).path, parts: runs.int8.parts },
    { name: outputName(runs.name, 'fp16', { version: 'v1.1' }).path, parts: runs.fp16.parts },
  ];
  const file = async (e: ZipEntry) => ({ name: e.name, ...(await hashBytes(e.parts)) });
  manifest = createManifest({
    tool: TOOL,
    createdAt: '2025-06-01T10:00:00.000Z',
    inputs: [{ name: runs.name, ...(await hashBytes(runs.bytes)) }],
    outputs: [
      manifestOutput({ file: await file(entries[0]!), source: runs.name, report: runs.int8.report }),
      manifestOutput({ file: await file(entries[1]!), source: runs.name, report: runs.fp16.report }),
    ],
  });
});

describe('zip round trip', () => {
  it('every file comes back byte for byte, and matches the manifest hashes', () => {
    const chunks = [...zipChunks(entries, { manifest })];
    const zip = concat(chunks);
    expect(zip.length).toBe(zipSize(entries, { manifest }));
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual([MANIFEST_NAME, 'onnx/hello_deepa_quantized.onnx', 'hello_deepa-FP16-v1.1.onnx']);
    const m = parseManifest(new TextDecoder().decode(files[MANIFEST_NAME]));
    expect(m).toEqual(manifest);
    for (const e of entries) expect(same(files[e.name], concat([...e.parts])), e.name).toBe(true);
    for (const o of m.outputs) {
      const b = files[o.name]!;
      expect({ bytes: b.length, sha256: hex('sha256', b), md5: hex('md5', b) }, o.name).toEqual({
        bytes: o.bytes,
        sha256: o.sha256,
        md5: o.md5,
      });
    }
    // Stored, not compressed: method 0 in every local header, data descriptor flag set.
    const view = new DataView(zip.buffer, zip.byteOffset);
    expect(view.getUint32(0, true)).toBe(0x04034b50);
    expect(view.getUint16(8, true)).toBe(0);
    expect(view.getUint16(6, true) & 8).toBe(8);
  });

  it('streams the output parts through without copying them', () => {
    const chunks = [...zipChunks(entries, { manifest })];
    const parts = new Set(entries.flatMap((e) => e.parts.filter((p) => p.length)));
    const passed = chunks.filter((c) => parts.has(c));
    expect(passed.length).toBe(parts.size);
    // Everything else is framing: headers, descriptors, the manifest and the central directory.
    const framing = chunks.filter((c) => !parts.has(c)).reduce((a, c) => a + c.length, 0);
    expect(framing).toBeLessThan(64 * 1024);
  });

  it('as a ReadableStream (e.g. into a Blob or OPFS) gives the same bytes', async () => {
    const viaStream = new Uint8Array(await new Response(zipStream(entries, { manifest })).arrayBuffer());
    expect(same(viaStream, concat([...zipChunks(entries, { manifest })]))).toBe(true);
  });

  it('handles empty files, empty parts, unicode names and no manifest', () => {
    const extra: ZipEntry[] = [
      { name: 'empty.onnx', parts: [] },
      { name: 'modèle-ü/ß-INT8.onnx', parts: [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([4])] },
    ];
    const zip = concat([...zipChunks(extra, { mtime: new Date('2024-02-29T12:00:00Z') })]);
    expect(zip.length).toBe(zipSize(extra));
    const files = unzipSync(zip);
    expect(files).toEqual({ 'empty.onnx': new Uint8Array(0), 'modèle-ü/ß-INT8.onnx': new Uint8Array([1, 2, 3, 4]) });
  });

  it('is deterministic for a fixed time', () => {
    const a = concat([...zipChunks(entries, { manifest })]);
    const b = concat([...zipChunks(entries, { manifest })]);
    expect(hex('sha256', a)).toBe(hex('sha256', b));
  });
});

describe('zip safety', () => {
  it('refuses unsafe and duplicate names before producing anything', () => {
    const one = (name: string) => [{ name, parts: [new Uint8Array([1])] }];
    for (const name of [
      '',
      '/etc/passwd',
      '../evil.onnx',
      'a/../../evil.onnx',
      'a//b.onnx',
      './x.onnx',
      'a\\b.onnx',
      'C:/x.onnx',
      'x\u0000.onnx',
      'dir/',
    ])
      expect(() => zipChunks(one(name)).next(), JSON.stringify(name)).toThrow(ZipError);
    expect(() => checkEntryName('onnx/model_quantized.onnx')).not.toThrow();
    expect(() => zipSize([...one('A.onnx'), ...one('a.onnx')])).toThrow(/two files would be named "a.onnx"/);
    expect(() => zipSize(one('manifest.json'), { manifest })).toThrow(/two files would be named "manifest.json"/);
    expect(() => zipStream(one('../x'))).toThrow(ZipError);
  });

  it('refuses a manifest that lists a file not in the zip', () => {
    expect(() => zipSize(entries.slice(0, 1), { manifest })).toThrow(
      /the manifest lists "hello_deepa-FP16-v1.1.onnx", which is not among the files to zip/,
    );
  });

  it('refuses zips over 4 GiB (no ZIP64) without touching the data', () => {
    const block = new Uint8Array(256 * 1024 * 1024);
    const parts = Array.from({ length: 16 }, () => block);
    expect(() => zipSize([{ name: 'big.onnx', parts }])).toThrow(/zips over 4 GiB need ZIP64/);
    expect(zipSize([{ name: 'big.onnx', parts: parts.slice(0, 15) }])).toBe(15 * block.length + 30 + 8 + 16 + 46 + 8 + 22);
  });

  it('stops on abort between parts', () => {
    const ac = new AbortController();
    const it = zipChunks(entries, { manifest, signal: ac.signal });
    it.next();
    ac.abort(new Error('cancelled by the user'));
    expect(() => [...it]).toThrow('cancelled by the user');
  });
});
