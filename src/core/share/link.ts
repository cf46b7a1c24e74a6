/**
 * Share links: a ShareableReport in the URL fragment, so the quality-check page can show it without a server.
 *
 *   encodeReport(report) -> "r1.<base64url(zlib(JSON))>"      (validates first; never emits an invalid link)
 *   decodeReport(fragment) -> ShareableReport                  (throws ShareLinkError)
 *
 * `decodeReport` accepts the bare fragment, "#r1.…" or a whole URL. Decoding is defensive: the fragment length is
 * capped (MAX_FRAGMENT_CHARS), base64url must be canonical, the zlib stream is inflated in small slices and stopped
 * as soon as the output passes MAX_REPORT_BYTES (a deflate bomb costs at most that much memory and a few ms), the
 * Adler-32 checksum must match (a flipped byte is reported, not decoded into something else), the text must be
 * UTF-8 JSON, and the JSON must pass REPORT_SCHEMA. ShareLinkError.code says which step failed.
 */
import { Inflate, zlibSync } from 'fflate';
import { type ShareableReport, validateReport } from './report.js';
import { SchemaError } from './schema.js';
import { formatMiBFixed } from '../size.js';
import { TOOL_DISPLAY_NAME } from '../tool.js';
import { concatBytes } from '../io/bytes.js';

export const LINK_PREFIX = 'r1.';
/** Largest fragment accepted (characters). Real reports are 1-4 kB. */
export const MAX_FRAGMENT_CHARS = 100_000;
/** Largest inflated JSON accepted (bytes). */
export const MAX_REPORT_BYTES = 2 * 1024 * 1024;

export type ShareLinkProblem =
  'empty' | 'too-long' | 'prefix' | 'version' | 'base64' | 'deflate' | 'too-large' | 'checksum' | 'utf8' | 'json' | 'schema';

export class ShareLinkError extends Error {
  override name = 'ShareLinkError';
  constructor(
    readonly code: ShareLinkProblem,
    message: string,
  ) {
    super(message);
  }
}

// ---- base64url (strict) -------------------------------------------------------------------------------------

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function base64UrlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Strict base64url without padding: only the 64 URL-safe characters, canonical trailing bits. */
export function base64UrlDecode(s: string): Uint8Array {
  if (s.length % 4 === 1)
    throw new ShareLinkError('base64', `the link is damaged: ${s.length} base64 characters cannot encode whole bytes (was it cut off?)`);
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0)
      throw new ShareLinkError('base64', `the link is damaged: character ${JSON.stringify(s[i])} at position ${i} is not base64url`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) throw new ShareLinkError('base64', 'the link is damaged: its last base64 character is not canonical (was it edited?)');
  return out;
}

// ---- zlib with a bounded inflate ------------------------------------------------------------------------------

function adler32(chunks: readonly Uint8Array[]): number {
  let a = 1;
  let b = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length;) {
      const end = Math.min(c.length, i + 3800);
      for (; i < end; i++) {
        a += c[i]!;
        b += a;
      }
      a %= 65521;
      b %= 65521;
    }
  }
  return ((b << 16) | a) >>> 0;
}

/** Inflates a zlib stream, refusing to produce more than `cap` bytes. */
export function boundedUnzlib(data: Uint8Array, cap: number): Uint8Array {
  if (data.length < 6) throw new ShareLinkError('deflate', 'the link is damaged: the compressed data is too short');
  const cmf = data[0]!;
  const flg = data[1]!;
  if ((cmf & 15) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 32)
    throw new ShareLinkError('deflate', 'the link is damaged: the compressed data does not start with a zlib header');
  const body = data.subarray(2, data.length - 4);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > cap)
      throw new ShareLinkError(
        'too-large',
        `the report in this link inflates to more than ${formatMiBFixed(cap, { decimals: 0, label: 'MB' })}; refusing to decode it`,
      );
    // The inflater reuses its window buffer: keep a copy.
    if (chunk.length) chunks.push(chunk.slice());
    if (final) finished = true;
  });
  // Small slices bound the work per push: deflate expands at most ~1032x, so one push yields at most ~1 MB.
  const SLICE = 512;
  try {
    for (let i = 0; i < body.length; i += SLICE)
      inflater.push(body.subarray(i, Math.min(body.length, i + SLICE)), i + SLICE >= body.length);
    if (body.length === 0) inflater.push(new Uint8Array(0), true);
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError(
      'deflate',
      `the link is damaged: the compressed data is invalid (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (!finished) throw new ShareLinkError('deflate', 'the link is damaged: the compressed data ends early');
  const t = data.length - 4;
  const expected = ((data[t]! << 24) | (data[t + 1]! << 16) | (data[t + 2]! << 8) | data[t + 3]!) >>> 0;
  if (adler32(chunks) !== expected)
    throw new ShareLinkError('checksum', 'the link is damaged: its checksum does not match (a character was changed or lost)');
  return concatBytes(chunks);
}

// ---- public API -------------------------------------------------------------------------------------------------

/** The URL fragment (without '#') for a report. Throws SchemaError when the report is invalid. */
export function encodeReport(report: ShareableReport): string {
  const json = JSON.stringify(validateReport(report));
  const packed = zlibSync(new TextEncoder().encode(json), { level: 9 });
  const fragment = LINK_PREFIX + base64UrlEncode(packed);
  if (fragment.length > MAX_FRAGMENT_CHARS)
    throw new ShareLinkError('too-long', `the report is too large for a link (${fragment.length} characters)`);
  return fragment;
}

/** Reads a report from a fragment, "#fragment" or a whole URL. Throws ShareLinkError saying what is wrong. */
export function decodeReport(fragment: string): ShareableReport {
  if (typeof fragment !== 'string') throw new ShareLinkError('empty', 'no report in this link');
  let s = fragment;
  const hash = s.indexOf('#');
  if (hash >= 0) s = s.slice(hash + 1);
  // Line breaks and spaces creep in when a link is pasted from mail or chat.
  s = s.replace(/\s+/g, '');
  if (!s) throw new ShareLinkError('empty', 'no report in this link (the part after # is empty)');
  if (s.length > MAX_FRAGMENT_CHARS)
    throw new ShareLinkError('too-long', `this link is too long to be a report (${s.length} characters, at most ${MAX_FRAGMENT_CHARS})`);
  if (!s.startsWith(LINK_PREFIX)) {
    const m = /^r(\d{1,6})\./.exec(s);
    if (m)
      throw new ShareLinkError(
        'version',
        `this report link has format version ${m[1]}, which this version of the page cannot read (it reads version 1): open it with a newer ${TOOL_DISPLAY_NAME}`,
      );
    throw new ShareLinkError('prefix', `this is not an ${TOOL_DISPLAY_NAME} report link (it should start with "${LINK_PREFIX}")`);
  }
  const bytes = base64UrlDecode(s.slice(LINK_PREFIX.length));
  const raw = boundedUnzlib(bytes, MAX_REPORT_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new ShareLinkError('utf8', 'the link is damaged: the report is not UTF-8 text');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ShareLinkError('json', `the link does not hold valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  try {
    return validateReport(parsed);
  } catch (e) {
    if (e instanceof SchemaError) throw new ShareLinkError('schema', `the report in this link is invalid: ${e.message}`);
    throw e;
  }
}
