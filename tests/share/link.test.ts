/** Share links: round trip, and a clear ShareLinkError for every kind of damaged or hostile link. */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { base64UrlDecode, base64UrlEncode } from '../../src/core/share/link.js';
import {
  LINK_PREFIX,
  MAX_FRAGMENT_CHARS,
  SchemaError,
  ShareLinkError,
  decodeReport,
  encodeReport,
  reportToJson,
  validateReport,
  type ShareLinkProblem,
  type ShareableReport,
} from '../../src/core/share/index.js';
import { sampleReport, sampleReportV1, sampleReportV2 } from './sample.js';
import { reverseKeys } from '../helpers/objects.js';

/** An independent encoder: Node's zlib and base64url. */
const zlibSync = (b: Uint8Array): Uint8Array => new Uint8Array(deflateSync(b, { level: 9 }));
const pack = (payload: string | Uint8Array): string =>
  LINK_PREFIX + Buffer.from(zlibSync(typeof payload === 'string' ? new TextEncoder().encode(payload) : payload)).toString('base64url');
const bytesOf = (fragment: string): Uint8Array => new Uint8Array(Buffer.from(fragment.slice(LINK_PREFIX.length), 'base64url'));
const fromBytes = (b: Uint8Array): string => LINK_PREFIX + Buffer.from(b).toString('base64url');

function problem(fragment: string): { code: ShareLinkProblem; message: string } {
  try {
    decodeReport(fragment);
  } catch (e) {
    expect(e).toBeInstanceOf(ShareLinkError);
    return { code: (e as ShareLinkError).code, message: (e as Error).message };
  }
  throw new Error('decodeReport accepted a bad link');
}

describe('round trip', () => {
  it('decode(encode(r)) equals r, and the link is short', () => {
    const r = sampleReport();
    const link = encodeReport(r);
    expect(link.startsWith('r1.')).toBe(true);
    expect(link).toMatch(/^r1\.[A-Za-z0-9_-]+$/);
    expect(link.length).toBeLessThan(2000);
    expect(decodeReport(link)).toEqual(r);
    expect(decodeReport(`#${link}`)).toEqual(r);
    expect(decodeReport(`https://example.org/ava/report.html#${link}`)).toEqual(r);
    // Pasted from a mail client with line breaks.
    expect(decodeReport(link.replace(/(.{60})/g, '$1\n  '))).toEqual(r);
  });

  it('encoding is deterministic and independent of key order', () => {
    const r = sampleReport();
    const shuffled = reverseKeys(r) as ShareableReport;
    expect(Object.keys(shuffled)[0]).toBe('agreement');
    expect(encodeReport(shuffled)).toBe(encodeReport(r));
    expect(reportToJson(shuffled)).toBe(reportToJson(r));
    expect(Object.keys(JSON.parse(reportToJson(r)))).toEqual(Object.keys(r));
  });

  it('a report without quality and an FP16 report round-trip too', () => {
    const r = sampleReport();
    r.quality = null;
    r.mode = 'fp16';
    r.preset = null;
    r.conversion.rewritten = { MatMul: 36, Add: 40 };
    r.conversion.keptInFloat = { Range: 1 };
    r.conversion.facts = { tensorsConverted: 50, nodesConverted: 300, nodesKeptFp32: 2, castsInserted: 4, clamped: 0 };
    expect(decodeReport(encodeReport(r))).toEqual(r);
  });

  it("our base64url equals Node's for every length, and decodes back", () => {
    for (let n = 0; n < 70; n++) {
      const b = new Uint8Array(n).map((_, i) => (i * 97 + n * 31) & 255);
      const s = base64UrlEncode(b);
      expect(s).toBe(Buffer.from(b).toString('base64url'));
      expect(base64UrlDecode(s)).toEqual(b);
    }
  });

  it('refuses to encode an invalid report', () => {
    const r = sampleReport();
    r.conversion.durationMs = Number.NaN;
    expect(() => encodeReport(r)).toThrow(SchemaError);
    expect(() => encodeReport(r)).toThrow(/conversion\.durationMs: expected a finite number, got NaN/);
  });

  it('a link made by version 2 (one backend, no headline) still opens', () => {
    const fragment = LINK_PREFIX + base64UrlEncode(zlibSync(new TextEncoder().encode(JSON.stringify(sampleReportV2()))));
    const r = decodeReport(fragment);
    const expected = sampleReport();
    expected.quality!.headline = '';
    expect(r).toEqual(expected);
  });

  it('a link made by version 1 (before the reports were unified) still opens, under the new names', () => {
    const old = sampleReportV1();
    const fragment = LINK_PREFIX + base64UrlEncode(zlibSync(new TextEncoder().encode(JSON.stringify(old))));
    const r = decodeReport(fragment);
    expect(r.version).toBe(3);
    expect(r.conversion).toEqual({
      inputBytes: 90378583,
      outputBytes: 23000000,
      reductionPercent: 74.55,
      durationMs: 5123,
      rewritten: { Gather: 1, MatMul: 36 },
      keptInFloat: { '(op types not recorded)': 2 },
      facts: { tensorsQuantized: 37, opset: 14 },
      notes: [],
    });
    const upgraded = sampleReport();
    upgraded.quality!.headline = '';
    expect({ ...r, conversion: null }).toEqual({ ...upgraded, conversion: null });
    const v1fp16 = {
      ...old,
      mode: 'fp16',
      conversion: {
        ...(old.conversion as object),
        int8: null,
        fp16: { tensorsConverted: 50, nodesConverted: 300, nodesKeptFp32: 2, castsInserted: 4, clamped: 0, keptOps: { Range: 1 } },
      },
    };
    expect(validateReport(v1fp16).conversion).toMatchObject({
      rewritten: {},
      keptInFloat: { Range: 1 },
      facts: { tensorsConverted: 50, nodesConverted: 300, nodesKeptFp32: 2, castsInserted: 4, clamped: 0 },
    });
  });
});

describe('damaged links', () => {
  const good = encodeReport(sampleReport());

  it('empty, wrong prefix, newer version', () => {
    expect(problem('').code).toBe('empty');
    expect(problem('https://example.org/#').code).toBe('empty');
    expect(problem('hello')).toEqual({ code: 'prefix', message: 'this is not an AVA Quantizer report link (it should start with "r1.")' });
    expect(problem(good.slice(3))).toMatchObject({ code: 'prefix' });
    const v2 = problem(`r2.${good.slice(3)}`);
    expect(v2.code).toBe('version');
    expect(v2.message).toMatch(/format version 2, which this version of the page cannot read/);
  });

  it('a truncated link is rejected at every length', () => {
    for (let n = 3; n < good.length; n++) {
      const p = problem(good.slice(0, n));
      expect(['empty', 'base64', 'deflate', 'checksum'], `cut at ${n}`).toContain(p.code);
    }
    expect(problem(good.slice(0, good.length - 10)).message).toMatch(/damaged/);
  });

  it('a flipped bit anywhere never decodes into a different report', () => {
    const bytes = bytesOf(good);
    const original = sampleReport();
    let rejected = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const bit of [0, 3, 7]) {
        const copy = bytes.slice();
        copy[i]! ^= 1 << bit;
        try {
          expect(decodeReport(fromBytes(copy)), `byte ${i} bit ${bit}`).toEqual(original);
        } catch (e) {
          if (!(e instanceof ShareLinkError)) throw e;
          rejected++;
        }
      }
    }
    // Only bits the decoder never reads (deflate padding after the last block) can go unnoticed.
    expect(rejected).toBeGreaterThan(bytes.length * 3 - 6);
  });

  it('a changed character is caught by the checksum (or earlier)', () => {
    const i = Math.floor(good.length / 2);
    const changed = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1);
    expect(['deflate', 'checksum']).toContain(problem(changed).code);
  });

  it('bad base64: foreign characters, impossible length, non-canonical end', () => {
    expect(problem(`${good.slice(0, 20)}+${good.slice(21)}`)).toMatchObject({
      code: 'base64',
      message: expect.stringMatching(/character "\+" at position/),
    });
    expect(problem(`${good.slice(0, 20)}=${good.slice(21)}`).code).toBe('base64');
    expect(problem(`${good}AAAAA`.slice(0, 3 + 4 * 10 + 1)).code).toBe('base64');
    // "AB" -> one byte 0x00 with non-zero leftover bits.
    expect(problem('r1.AB').message).toMatch(/not canonical/);
  });

  it('bad deflate, bad checksum, not UTF-8, not JSON', () => {
    expect(problem(fromBytes(new Uint8Array([0x78, 0xda, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])))).toMatchObject({ code: 'deflate' });
    expect(problem(fromBytes(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])))).toMatchObject({
      code: 'deflate',
      message: expect.stringMatching(/zlib header/),
    });
    const z = zlibSync(new TextEncoder().encode(JSON.stringify(sampleReport())));
    z[z.length - 1]! ^= 0xff;
    expect(problem(fromBytes(z))).toEqual({
      code: 'checksum',
      message: 'the link is damaged: its checksum does not match (a character was changed or lost)',
    });
    expect(problem(pack(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).code).toBe('utf8');
    expect(problem(pack('not json at all'))).toMatchObject({
      code: 'json',
      message: expect.stringMatching(/^the link does not hold valid JSON/),
    });
    expect(problem(pack('{"format": "ava-quantizer-report",'))).toMatchObject({ code: 'json' });
    expect(problem(pack('NaN')).code).toBe('json');
  });

  it('a deflate bomb is stopped at the cap, quickly', () => {
    // 40 MB of zeros compresses to ~40 kB: within the fragment limit, far beyond the 2 MB inflate cap.
    const bomb = pack(new Uint8Array(40 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(MAX_FRAGMENT_CHARS);
    const t0 = performance.now();
    expect(problem(bomb)).toEqual({
      code: 'too-large',
      message: 'the report in this link inflates to more than 2 MB; refusing to decode it',
    });
    expect(performance.now() - t0).toBeLessThan(1500);
    // A longer link is not even decoded.
    expect(problem(`r1.${'A'.repeat(MAX_FRAGMENT_CHARS)}`)).toMatchObject({
      code: 'too-long',
      message: expect.stringMatching(/too long to be a report/),
    });
    // A JSON bomb: valid JSON padded with 3 MB of spaces.
    expect(problem(pack(`${' '.repeat(3 * 1024 * 1024)}{}`)).code).toBe('too-large');
  });
});

describe('schema violations in a well-formed link', () => {
  const cases: [string, (r: Record<string, any>) => void, RegExp][] = [
    ['wrong format', (r) => (r.format = 'something-else'), /format: expected "ava-quantizer-report"/],
    ['wrong version', (r) => (r.version = 4), /version: expected 3, got the number 4/],
    ['missing key', (r) => delete r.output, /output: missing/],
    ['extra key', (r) => (r.evil = 1), /evil: unexpected key/],
    ['string for a number', (r) => (r.source.bytes = '90378583'), /source\.bytes: expected a number, got a string/],
    ['negative size', (r) => (r.source.bytes = -1), /source\.bytes: -1 is below the minimum 0/],
    ['fractional size', (r) => (r.output.bytes = 1.5), /output\.bytes: expected an integer/],
    ['infinite number', (r) => (r.conversion.durationMs = '__INF__'), /conversion\.durationMs: expected a finite number, got Infinity/],
    ['huge string', (r) => (r.source.name = 'x'.repeat(100_000)), /source\.name: string too long \(100000 characters, at most 512\)/],
    ['huge note', (r) => (r.conversion.notes = ['y'.repeat(1001)]), /conversion\.notes\[0\]: string too long/],
    ['too many notes', (r) => (r.conversion.notes = Array(51).fill('n')), /conversion\.notes: too many items \(51, at most 50\)/],
    ['uppercase hash', (r) => (r.source.sha256 = 'A'.repeat(64)), /source\.sha256: expected 64 lowercase hex digits/],
    ['short hash', (r) => (r.source.md5 = 'abc'), /source\.md5: expected 32 lowercase hex digits/],
    ['bad date', (r) => (r.createdAt = 'yesterday'), /createdAt: expected an ISO 8601 date-time/],
    ['bad mode', (r) => (r.mode = 'int4'), /mode: expected "int8" or "fp16" or "q4" or "q4f16", got "int4"/],
    ['cosine out of range', (r) => (r.quality.cosine.mean = 3), /quality\.cosine\.mean: 3 is above the maximum 1\.01/],
    ['histogram of strings', (r) => (r.quality.histogram.counts = ['1']), /quality\.histogram\.counts\[0\]: expected a number/],
    [
      'object for an option',
      (r) => (r.options.weightType = { a: 1 }),
      /options\.weightType: expected a string, number, true\/false, null or a list of strings/,
    ],
    ['prototype key', (r) => (r.options = JSON.parse('{"__proto__": 1}')), /options: key '__proto__' is not allowed/],
    ['array for an object', (r) => (r.quality = []), /quality: expected an object, got an array/],
    ['bool as string', (r) => (r.quality.verdict.pass = 'true'), /quality\.verdict\.pass: expected true or false/],
    ['hostile key name', (r) => (r.conversion.rewritten = { 'a"b': -1 }), /conversion\.rewritten\["a\\"b"\]: -1 is below the minimum 0/],
  ];
  it.each(cases)('%s', (_, mutate, message) => {
    const r = JSON.parse(JSON.stringify(sampleReport()));
    mutate(r);
    const json = JSON.stringify(r).replace('"__INF__"', '1e999');
    const p = problem(pack(json));
    expect(p.code).toBe('schema');
    expect(p.message).toMatch(/^the report in this link is invalid: /);
    expect(p.message).toMatch(message);
    expect(() => validateReport(JSON.parse(json))).toThrow(SchemaError);
  });
});
