/**
 * Protobuf wire-level reading: fields as byte spans over the original buffer, so every byte we do not
 * interpret can be carried through unchanged. Bounds are checked everywhere; failures become
 * OnnxFormatError with a message that says where.
 */
import { OnnxFormatError } from './errors.js';

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;

/** A field's key (tag) varint value: field number << 3 | wire type. */
export function tagOf(no: number, wt: number): number {
  return no * 8 + wt;
}

/** One field occurrence. [start, end) is the whole field including its tag; [vstart, end) its value. */
export interface Field {
  no: number;
  wt: number;
  start: number;
  vstart: number;
  end: number;
}

/** Signals that a length-delimited value runs past the end of its parent. Caught by the parser to add context. */
export class Overrun extends Error {
  constructor(
    readonly field: Field,
    readonly claimed: number,
    readonly available: number,
  ) {
    super('overrun');
  }
}

/** Reads a varint at pos. Returns [value, nextPos]. Values above 2^53 lose precision (never lengths we accept). */
export function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new OnnxFormatError(`the data ends at byte ${fmtInt(pos)} in the middle of a number`);
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [result, pos];
    mul *= 128;
  }
  throw new OnnxFormatError(`malformed number (varint longer than 10 bytes) at byte ${fmtInt(pos - 10)}`);
}

/** Reads a varint as a signed 64-bit integer (two's complement), as a JS number. */
export function readVarintSigned(buf: Uint8Array, pos: number, end: number): [number, number] {
  let lo = 0;
  let hi = 0;
  let shift = 0;
  let p = pos;
  for (let i = 0; i < 10; i++) {
    if (p >= end) throw new OnnxFormatError(`the data ends at byte ${fmtInt(p)} in the middle of a number`);
    const b = buf[p++]!;
    if (shift < 28) lo |= (b & 0x7f) << shift;
    else if (shift === 28) {
      lo |= (b & 0x0f) << 28;
      hi |= (b & 0x7f) >> 4;
    } else hi |= (b & 0x7f) << (shift - 32);
    shift += 7;
    if ((b & 0x80) === 0) {
      lo >>>= 0;
      const v = hi * 4294967296 + lo;
      return [hi & 0x80000000 ? (hi | 0) * 4294967296 + lo : v, p];
    }
  }
  throw new OnnxFormatError(`malformed number (varint longer than 10 bytes) at byte ${fmtInt(pos)}`);
}

/**
 * Splits [start, end) of buf into fields. Throws Overrun for a length-delimited field that claims more than
 * its parent holds (so the caller can name the context), OnnxFormatError for anything else malformed.
 */
export function readFields(buf: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const fstart = pos;
    // One-byte varints (most tags and lengths) are read here: no call, no [value, next] pair.
    let tag = buf[pos]!;
    if (tag < 0x80) pos++;
    else [tag, pos] = readVarint(buf, pos, end);
    const no = Math.floor(tag / 8);
    const wt = tag & 7;
    if (no === 0) throw new OnnxFormatError(`invalid field number 0 at byte ${fmtInt(fstart)}`);
    let vstart = pos;
    switch (wt) {
      case WT_VARINT: {
        if (buf[pos]! < 0x80 && pos < end) pos++;
        else [, pos] = readVarint(buf, pos, end);
        break;
      }
      case WT_I64:
        pos += 8;
        if (pos > end) throw new Overrun({ no, wt, start: fstart, vstart, end: pos }, 8, end - vstart);
        break;
      case WT_I32:
        pos += 4;
        if (pos > end) throw new Overrun({ no, wt, start: fstart, vstart, end: pos }, 4, end - vstart);
        break;
      case WT_LEN: {
        let len = buf[pos]!;
        if (len < 0x80 && pos < end) vstart = pos + 1;
        else [len, vstart] = readVarint(buf, pos, end);
        pos = vstart + len;
        if (pos > end) throw new Overrun({ no, wt, start: fstart, vstart, end: pos }, len, end - vstart);
        break;
      }
      default:
        throw new OnnxFormatError(`invalid protobuf wire type ${wt} for field ${no} at byte ${fmtInt(fstart)}`);
    }
    out.push({ no, wt, start: fstart, vstart, end: pos });
  }
  return out;
}

// ignoreBOM: a leading U+FEFF is part of the string (a name "\ufeffw" is not "w"), as protobuf readers keep it.
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 text of arbitrary bytes as protobuf readers decode a string: a leading U+FEFF kept, invalid bytes U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * A string field's UTF-8 text. ASCII strings of up to 16 bytes (op types, attribute names, short value names) are
 * built directly, which costs less than a TextDecoder call each; anything longer is decoded (invalid bytes become
 * U+FFFD, as protobuf readers do): for the 30–60-byte names of exported graphs TextDecoder is about twice as fast as
 * building them (measured in Node 20, one pass over 20,000 names: 0.5 µs vs 1.0 µs each; a 12-layer graph's parse
 * spent 34 ms building them).
 */
export function fieldString(buf: Uint8Array, f: Field): string {
  return utf8Text(buf, f.vstart, f.end);
}

/** UTF-8 text of buf[start, end) (see fieldString). */
export function utf8Text(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    let ascii = true;
    for (let i = start; i < end; i++) if (buf[i]! >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(buf.subarray(start, end));
}

/**
 * A name (of a value, node, initializer, graph, op type, domain, attribute): fieldString, but refused when its bytes
 * are not valid UTF-8. Such a name cannot be written back as the bytes it was: a rewritten node or graph input would
 * name U+FFFD where the untouched parts keep the original bytes, and onnxruntime rejects the output ("is not a graph
 * input"). Protobuf declares string fields UTF-8 (onnx.proto `string`); onnxruntime loads such a model without
 * checking. Throws OnnxFormatError naming `what` and the name as it reads.
 */
export function fieldName(buf: Uint8Array, f: Field, what: string): string {
  const end = f.end;
  if (end - f.vstart <= 16) {
    let ascii = true;
    for (let i = f.vstart; i < end; i++) if (buf[i]! >= 0x80) ascii = false;
    if (ascii) return String.fromCharCode.apply(null, buf.subarray(f.vstart, end) as unknown as number[]);
  }
  try {
    return utf8Strict.decode(buf.subarray(f.vstart, end));
  } catch {
    const shown = JSON.stringify(utf8.decode(buf.subarray(f.vstart, end)));
    throw new OnnxFormatError(
      `${what} ${shown} is not valid UTF-8 (the bytes shown as \ufffd): ONNX names are UTF-8 text, and a quantized copy could not name it exactly; rename it (e.g. with the onnx package) and try again`,
    );
  }
}

export function fieldBytes(buf: Uint8Array, f: Field): Uint8Array {
  return buf.subarray(f.vstart, f.end);
}

export function fieldInt(buf: Uint8Array, f: Field): number {
  if (f.wt === WT_VARINT) return readVarintSigned(buf, f.vstart, f.end)[0];
  if (f.wt === WT_I64) return new DataView(buf.buffer, buf.byteOffset + f.vstart, 8).getUint32(0, true); // rare
  if (f.wt === WT_I32) return new DataView(buf.buffer, buf.byteOffset + f.vstart, 4).getInt32(0, true);
  throw new OnnxFormatError(`field ${f.no} at byte ${fmtInt(f.start)} should be a number`);
}

export function fieldFloat(buf: Uint8Array, f: Field): number {
  if (f.wt !== WT_I32) throw new OnnxFormatError(`field ${f.no} at byte ${fmtInt(f.start)} should be a float`);
  return new DataView(buf.buffer, buf.byteOffset + f.vstart, 4).getFloat32(0, true);
}

/** Repeated int64/int32 values: packed (LEN) or one varint per field occurrence. */
export function pushInts(buf: Uint8Array, f: Field, out: number[]): void {
  if (f.wt === WT_LEN) {
    let p = f.vstart;
    while (p < f.end) {
      const [v, n] = readVarintSigned(buf, p, f.end);
      out.push(v);
      p = n;
    }
  } else out.push(fieldInt(buf, f));
}

/** Repeated floats: packed (LEN) or one fixed32 per occurrence. */
export function pushFloats(buf: Uint8Array, f: Field, out: number[]): void {
  if (f.wt === WT_LEN) {
    const dv = new DataView(buf.buffer, buf.byteOffset + f.vstart, f.end - f.vstart);
    for (let i = 0; i + 4 <= dv.byteLength; i += 4) out.push(dv.getFloat32(i, true));
  } else out.push(fieldFloat(buf, f));
}

/**
 * `n` rounded to an integer with a comma between groups of three digits: what `toLocaleString('en-US')` gives for an
 * integer ("1,234,567", "-0", "∞"), without the ICU start-up its first call costs (about 9 ms, a sixtieth of a CLI run
 * on a 470 MB model). Beyond 1e21 (exponent notation) it is toLocaleString's answer.
 */
export function fmtInt(n: number): string {
  const r = Math.round(n);
  const digits = String(Math.abs(r));
  if (!/^\d+$/.test(digits)) return r.toLocaleString('en-US');
  return `${r < 0 || Object.is(r, -0) ? '-' : ''}${digits.replace(/\B(?=(\d{3})+$)/g, ',')}`;
}

/** "1 byte", "1,024 bytes". */
export function bytesWord(n: number): string {
  return `${fmtInt(n)} byte${Math.round(n) === 1 ? '' : 's'}`;
}

export function fmtBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${fmtInt(n)} bytes` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}
