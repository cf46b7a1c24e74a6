/** SHA-256 + MD5 in one streaming pass: known vectors, a real model against node:crypto, chunking, abort, verify. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  HashFormatError,
  hashBytes,
  parseExpectedHash,
  sumFileLine,
  verifyHash,
  type ByteSource,
  type HashProgress,
} from '../../src/core/batch/index.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';

const enc = (s: string) => new TextEncoder().encode(s);
const nodeHash = (alg: 'sha256' | 'md5', parts: readonly Uint8Array[]) => {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

function splitAt(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [0, ...cuts.filter((c) => c >= 0 && c <= data.length).sort((a, b) => a - b), data.length];
  return pts.slice(1).map((end, i) => data.subarray(pts[i]!, end));
}

function streamOf(parts: readonly Uint8Array[], hooks: { pulled?: () => void; cancelled?: () => void } = {}): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(c) {
        hooks.pulled?.();
        if (i < parts.length) c.enqueue(parts[i++]!);
        else c.close();
      },
      cancel() {
        hooks.cancelled?.();
      },
      // Pull only when read (the default high-water mark of 1 pulls at construction).
    },
    { highWaterMark: 0 },
  );
}

async function* asyncOf(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) {
    await Promise.resolve();
    yield p;
  }
}

describe('known vectors', () => {
  const vectors: [string, Uint8Array, string, string][] = [
    ['empty', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['"abc"', enc('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', '900150983cd24fb0d6963f7d28e17f72'],
    [
      '1,000,000 × "a"',
      new Uint8Array(1_000_000).fill(0x61),
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
      '7707d6ae4e027c70eea2a935c2296f21',
    ],
  ];
  it.each(vectors)('%s', async (_, data, sha256, md5) => {
    expect(await hashBytes(data)).toEqual({ sha256, md5, bytes: data.length });
    expect(await hashBytes([])).toMatchObject(data.length ? {} : { sha256, md5, bytes: 0 });
    // One byte at a time through a stream for the short ones, 997-byte chunks for the long one.
    const step = data.length > 100 ? 997 : 1;
    const cuts = Array.from({ length: Math.ceil(data.length / step) }, (_, i) => i * step);
    expect(await hashBytes(streamOf(splitAt(data, cuts)))).toEqual({ sha256, md5, bytes: data.length });
  });
});

describe('real model', () => {
  it('all-MiniLM-L6-v2 (90 MB) through a file stream equals node:crypto and the fixture manifest', async () => {
    const f = fixture(MINILM);
    const file = pathOf(f);
    const stream = Readable.toWeb(createReadStream(file, { highWaterMark: 1 << 20 })) as unknown as ReadableStream<Uint8Array>;
    const seen: HashProgress[] = [];
    const got = await hashBytes(stream, { total: f.bytes, onProgress: (p) => seen.push(p) });

    const sha = createHash('sha256');
    const md = createHash('md5');
    for await (const c of createReadStream(file)) {
      sha.update(c as Buffer);
      md.update(c as Buffer);
    }
    expect(got).toEqual({ sha256: sha.digest('hex'), md5: md.digest('hex'), bytes: f.bytes });
    expect(got.sha256).toBe(f.sha256);
    expect(seen[0]).toEqual({ bytes: 0, total: f.bytes });
    expect(seen.at(-1)).toEqual({ bytes: f.bytes, total: f.bytes });
    expect(seen.every((p, i) => i === 0 || p.bytes >= seen[i - 1]!.bytes)).toBe(true);
  });
});

describe('chunking', () => {
  // 9.5 MB: more than two 4 MiB slices, so big chunks are split internally too.
  const data = noise(9_500_000, 7);
  const want = { sha256: nodeHash('sha256', [data]), md5: nodeHash('md5', [data]), bytes: data.length };

  it('the digest does not depend on chunk boundaries or the kind of source', async () => {
    const rnd = noise(64, 3);
    const randomCuts = Array.from(rnd, (b, i) => Math.floor(((b + 1) / 257) * data.length) + i);
    const splits = [
      [],
      [0, 0, data.length, data.length],
      [1, 2, 3, 63, 64, 65],
      [4 * 1024 * 1024 - 1, 4 * 1024 * 1024, 4 * 1024 * 1024 + 1, 8 * 1024 * 1024],
      randomCuts,
    ];
    for (const cuts of splits) {
      const parts = splitAt(data, cuts);
      const sources: [string, ByteSource][] = [
        ['array', parts],
        ['iterable', new Set(parts).size === parts.length ? new Set(parts) : parts],
        ['async iterable', asyncOf(parts)],
        ['ReadableStream', streamOf(parts)],
        ['Blob', new Blob(parts as BlobPart[])],
      ];
      for (const [kind, src] of sources) expect(await hashBytes(src), `${kind} ${cuts.length} cuts`).toEqual(want);
    }
    expect(await hashBytes(data)).toEqual(want);
  });

  it('reports progress against the known total', async () => {
    const seen: HashProgress[] = [];
    await hashBytes(splitAt(data, [1000, 5_000_000]), { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.bytes)).toEqual([0, 1000, 1000 + 4 * 1024 * 1024, 5_000_000, 5_000_000 + 4 * 1024 * 1024, data.length]);
    expect(new Set(seen.map((p) => p.total))).toEqual(new Set([data.length]));
    const fromStream: HashProgress[] = [];
    await hashBytes(streamOf([data.subarray(0, 10)]), { onProgress: (p) => fromStream.push(p) });
    expect(fromStream.at(-1)).toEqual({ bytes: 10, total: null });
  });

  it('rejects chunks that are not bytes', async () => {
    await expect(hashBytes(['abc' as unknown as Uint8Array])).rejects.toThrow(/expected Uint8Array chunks/);
  });
});

describe('abort', () => {
  it('an aborted signal rejects before reading', async () => {
    let pulled = 0;
    const ac = new AbortController();
    ac.abort();
    await expect(hashBytes(streamOf([enc('x')], { pulled: () => pulled++ }), { signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(pulled).toBe(0);
  });

  it('aborting mid-stream rejects with the reason and cancels the stream', async () => {
    const ac = new AbortController();
    let cancelled = false;
    const parts = Array.from({ length: 50 }, (_, i) => noise(100_000, i + 1));
    const reason = new Error('user pressed Cancel');
    const p = hashBytes(streamOf(parts, { cancelled: () => (cancelled = true) }), {
      signal: ac.signal,
      onProgress: (e) => e.bytes >= 300_000 && ac.abort(reason),
    });
    await expect(p).rejects.toBe(reason);
    expect(cancelled).toBe(true);
  });

  it('an abort from a timer stops hashing of in-memory parts (the loop yields)', async () => {
    const block = noise(4 * 1024 * 1024, 9);
    const parts = Array.from({ length: 250 }, () => block); // 1 GiB without allocating it
    const ac = new AbortController();
    let last = 0;
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 150);
    await expect(hashBytes(parts, { signal: ac.signal, onProgress: (p) => (last = p.bytes) })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(last).toBeLessThan(250 * block.length);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('verifyHash', () => {
  const data = enc('abc');
  const SHA = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  const MD5 = '900150983cd24fb0d6963f7d28e17f72';

  it('accepts either algorithm, any case, and sum-file formats', async () => {
    const accepted: [string, 'sha256' | 'md5'][] = [
      [SHA, 'sha256'],
      [SHA.toUpperCase(), 'sha256'],
      [`  ${MD5}\n`, 'md5'],
      [MD5.toUpperCase(), 'md5'],
      [`${SHA}  abc.txt`, 'sha256'],
      [`${MD5} *abc.txt\r\n`, 'md5'],
      [`\\${SHA}  dir/a\\\\b.txt`, 'sha256'],
      [`SHA256 (abc.txt) = ${SHA}`, 'sha256'],
      [`MD5 (abc.txt) = ${MD5}`, 'md5'],
      [`sha256:${SHA}`, 'sha256'],
      [`\uFEFF# made by sha256sum\n${SHA}  abc.txt\n`, 'sha256'],
    ];
    for (const [expected, algorithm] of accepted) {
      const r = await verifyHash(data, expected);
      expect(r, expected).toMatchObject({
        ok: true,
        algorithm,
        expected: algorithm === 'sha256' ? SHA : MD5,
        message: `${algorithm === 'sha256' ? 'SHA-256' : 'MD5'} matches`,
      });
      expect(r.digests).toEqual({ sha256: SHA, md5: MD5, bytes: 3 });
    }
  });

  it('says when it does not match', async () => {
    const other = 'f'.repeat(64);
    const r = await verifyHash(streamOf([data]), other);
    expect(r).toMatchObject({ ok: false, algorithm: 'sha256', expected: other, actual: SHA });
    expect(r.message).toBe(`SHA-256 does not match: expected ${other}, got ${SHA}`);
    expect(await verifyHash(data, '0'.repeat(32))).toMatchObject({
      ok: false,
      algorithm: 'md5',
      message: expect.stringMatching(/^MD5 does not match/),
    });
  });

  it('picks the line for the file from a SHA256SUMS file', async () => {
    const sums = `${'0'.repeat(64)}  other.onnx\n${SHA}  abc.txt\n`;
    expect(await verifyHash(data, sums, { fileName: 'some/dir/abc.txt' })).toMatchObject({ ok: true, algorithm: 'sha256' });
    expect(parseExpectedHash(sums, 'abc.txt')).toEqual({ algorithm: 'sha256', hex: SHA, fileName: 'abc.txt' });
    expect(() => parseExpectedHash(sums)).toThrow(/2 lines and say which file/);
    expect(() => parseExpectedHash(sums, 'missing.onnx')).toThrow(/none of them is for "missing.onnx"/);
  });

  it('malformed expected values fail clearly, before reading anything', async () => {
    const bad: [string, RegExp][] = [
      ['', /got nothing/],
      ['   \n  ', /got nothing/],
      ['a9993e364706816aba3e25717850c26c9cd0d89d', /40 hex digits \(that looks like SHA-1, which is not supported\)/],
      ['z'.repeat(64), /contains "z", which is not a hex digit/],
      [`${SHA.slice(0, 63)}g`, /"g", which is not a hex digit/],
      ['abc', /got 3 hex digits/],
      ['not a checksum', /"n", which is not a hex digit/],
      [`MD5 (x) = ${SHA}`, /says MD5 but has 64 hex digits/],
      ['(((', /could not read/],
    ];
    for (const [expected, message] of bad) {
      let pulled = 0;
      const err = await verifyHash(streamOf([data], { pulled: () => pulled++ }), expected).catch((e: unknown) => e);
      expect(err, expected).toBeInstanceOf(HashFormatError);
      expect((err as Error).message, expected).toMatch(message);
      expect((err as Error).message).toMatch(/SHA-256 \(64 hex digits\) or MD5|says MD5/);
      expect(pulled).toBe(0);
    }
  });

  it('writes sum-file lines that it reads back', () => {
    const line = sumFileLine(SHA, 'model-INT8.onnx');
    expect(line).toBe(`${SHA}  model-INT8.onnx\n`);
    expect(parseExpectedHash(line)).toEqual({ algorithm: 'sha256', hex: SHA, fileName: 'model-INT8.onnx' });
    expect(() => sumFileLine(SHA, 'a\nb')).toThrow(HashFormatError);
  });
});
