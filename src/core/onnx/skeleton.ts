/**
 * Skeletons: a model's bytes with big tensor payloads and external-data references replaced by placeholder fields
 * ("holes") that say where the bytes live (see open.ts). This module is the shared vocabulary of the scanner that
 * makes skeletons (open.ts), the parser that reads them (model.ts) and the writer that expands them (writer.ts).
 */
import type { ByteSource } from '../io/source.js';
import { OnnxFormatError } from './errors.js';
import { WT_LEN, tagOf } from './wire.js';

/** Field number of placeholders: the largest protobuf field number, never written by ONNX tools. */
export const HOLE_FIELD = 536870911;
export const HOLE_INLINE = 0;
export const HOLE_EXTERNAL = 1;

/** What the parser and writer need to resolve a skeleton's holes. */
export interface SkeletonInfo {
  /** Sources by index: 0 is "none" (an external file that was not provided), 1 the model file, then external files. */
  sources: (ByteSource | null)[];
  /** Skeleton byte positions where hole fields start, ascending. */
  holes: number[];
}

const SKELETONS = new WeakMap<Uint8Array, SkeletonInfo>();

/** Registers `buf` as a skeleton. */
export function registerSkeleton(buf: Uint8Array, info: SkeletonInfo): void {
  SKELETONS.set(buf, info);
}

/** The hole table of a skeleton buffer, or undefined for an ordinary model buffer. */
export function skeletonInfo(buf: Uint8Array): SkeletonInfo | undefined {
  return SKELETONS.get(buf);
}

export function varintArray(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A placeholder field: kind, source index, offset, length, then kind-specific bytes. */
export function holeField(kind: number, source: number, offset: number, length: number, extra: Uint8Array): Uint8Array {
  const body = [...varintArray(kind), ...varintArray(source), ...varintArray(offset), ...varintArray(length), ...varintArray(extra.length)];
  const head = [...varintArray(tagOf(HOLE_FIELD, WT_LEN)), ...varintArray(body.length + extra.length)];
  const out = new Uint8Array(head.length + body.length + extra.length);
  out.set(head, 0);
  out.set(body, head.length);
  out.set(extra, head.length + body.length);
  return out;
}

export interface Hole {
  kind: 'inline' | 'external';
  /** Where the bytes are; null when the external file was not provided (or its reference is invalid). */
  source: ByteSource | null;
  offset: number;
  length: number;
  /** inline: the original raw_data tag + length bytes; external: the original external_data / data_location fields. */
  extra: Uint8Array;
}

/** Decodes the value bytes [vstart, end) of a hole field in a skeleton. */
export function decodeHole(buf: Uint8Array, vstart: number, end: number, info: SkeletonInfo | undefined): Hole {
  let p = vstart;
  const next = (): number => {
    let r = 0;
    let mul = 1;
    for (;;) {
      if (p >= end) throw new OnnxFormatError('internal error: a malformed skeleton placeholder');
      const b = buf[p++]!;
      r += (b & 0x7f) * mul;
      if (!(b & 0x80)) return r;
      mul *= 128;
    }
  };
  const kind = next();
  const source = next();
  const offset = next();
  const length = next();
  const n = next();
  const extra = buf.subarray(p, p + n);
  return { kind: kind === HOLE_INLINE ? 'inline' : 'external', source: info?.sources[source] ?? null, offset, length, extra };
}
