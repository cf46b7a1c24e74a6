/**
 * Emitting protobuf in pieces. A message is a list of Parts: raw byte views (untouched fields carried through
 * verbatim, big tensor payloads) or Composites (a length-delimited field whose length is computed from its
 * parts). Nothing is concatenated until the caller asks: the output can go to a Blob or a stream as is.
 */
import { type Field, readFields } from './wire.js';
import { MODEL, type ModelView, type Span } from './model.js';
import type { ByteSource } from '../io/source.js';
import { HOLE_FIELD, decodeHole, skeletonInfo } from './skeleton.js';

export interface Composite {
  no: number;
  parts: Part[];
  size?: number;
  /** Emit the parts in place, without a tag and length (a group of fields). */
  inline?: boolean;
}

/**
 * Bytes that are produced only when the output is written: a range of an input file, or a tensor computed by a
 * mode (quantized weights, float16 payloads). The length is known up front, so every enclosing message length can
 * be computed before any of these is read.
 */
export interface LazyPart {
  readonly lazy: true;
  readonly length: number;
  /** The bytes (exactly `length`). May be called more than once; implementations may cache. */
  read(signal?: AbortSignal): Promise<Uint8Array>;
  /** The same bytes as a Blob without reading them (a slice of a dropped File), when available. */
  blob?(): Blob | undefined;
  /** What this is, for progress (a tensor name). */
  readonly label?: string;
}

export type Part = Uint8Array | Composite | LazyPart;
/** A flattened output piece: bytes in memory, or bytes read when written. */
export type Piece = Uint8Array | LazyPart;

export const isLazy = (p: Part): p is LazyPart => (p as LazyPart).lazy === true;

/** A lazy piece over a range of a source (input file or external-data file). */
export function lazyRange(source: ByteSource, offset: number, length: number, label?: string): LazyPart {
  return {
    lazy: true,
    length,
    ...(label ? { label } : {}),
    read: (signal) => source.read(offset, length, signal),
    blob: () => source.slice?.(offset, length),
  };
}

/**
 * A lazy piece computed by `produce` on each read (nothing is cached here, so written bytes can be freed; a
 * producer that shares work between pieces caches it itself). The result is checked against `length`.
 */
export function lazyComputed(length: number, produce: (signal?: AbortSignal) => Promise<Uint8Array>, label?: string): LazyPart {
  return {
    lazy: true,
    length,
    ...(label ? { label } : {}),
    async read(signal) {
      const b = await produce(signal);
      if (b.length !== length) throw new Error(`internal error: '${label ?? 'a tensor'}' produced ${b.length} bytes, expected ${length}`);
      return b;
    },
  };
}

export function lenField(no: number, parts: Part[]): Composite {
  return { no, parts };
}

export function varintBytes(n: number): Uint8Array {
  const out: number[] = [];
  let v = n;
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function bodySize(c: Composite): number {
  if (c.size === undefined) {
    let s = 0;
    for (const p of c.parts) s += partSize(p);
    c.size = s;
  }
  return c.size;
}

/** Encoded size of a part, including a composite's tag and length prefix. */
export function partSize(p: Part): number {
  if (p instanceof Uint8Array) return p.length;
  if (isLazy(p)) return p.length;
  const b = bodySize(p);
  if (p.inline) return b;
  return varintLen(p.no * 8 + 2) + varintLen(b) + b;
}

export function partsSize(parts: Part[]): number {
  let s = 0;
  for (const p of parts) s += partSize(p);
  return s;
}

/** Flattens parts into byte views (no payload copies). Adjacent small pieces are merged to keep the list short. */
export function flatten(parts: Part[]): Piece[] {
  const out: Piece[] = [];
  let small: number[] = [];
  const flushSmall = () => {
    if (small.length) {
      out.push(Uint8Array.from(small));
      small = [];
    }
  };
  const pushBytes = (b: Uint8Array) => {
    if (b.length <= 64) for (let i = 0; i < b.length; i++) small.push(b[i]!);
    else {
      flushSmall();
      out.push(b);
    }
  };
  const walk = (p: Part) => {
    if (p instanceof Uint8Array) return pushBytes(p);
    if (isLazy(p)) {
      flushSmall();
      out.push(p);
      return;
    }
    if (!p.inline) {
      pushBytes(varintBytes(p.no * 8 + 2));
      pushBytes(varintBytes(bodySize(p)));
    }
    for (const c of p.parts) walk(c);
  };
  for (const p of parts) walk(p);
  flushSmall();
  return out;
}

/** Concatenates in-memory pieces (throws on a lazy piece: use collectPieces for those). */
export function concatParts(parts: readonly Piece[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    if (!(p instanceof Uint8Array)) throw new Error('internal error: concatParts got a lazy piece (use collectPieces)');
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Total length of pieces. */
export function piecesSize(pieces: readonly Piece[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}

/** Reads every piece into one buffer (tests and small outputs; big outputs go through io/write.ts instead). */
export async function collectPieces(pieces: readonly Piece[], signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(piecesSize(pieces));
  let o = 0;
  for (const p of pieces) {
    const b = p instanceof Uint8Array ? p : await p.read(signal);
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/**
 * A field exactly as it was in the input. In a skeleton (see open.ts), a field holding placeholders is re-emitted
 * with each placeholder expanded back into raw_data whose bytes are read lazily from their source; the enclosing
 * lengths are recomputed (equal to the original's for the minimal varints every ONNX writer produces).
 */
export function rawField(s: Span, f: Field): Part {
  const info = skeletonInfo(s.buf);
  if (!info || !info.holes.length || !containsHole(info.holes, f.start, f.end)) return s.buf.subarray(f.start, f.end);
  return expandField(s.buf, f, info.holes);
}

function containsHole(holes: number[], start: number, end: number): boolean {
  let lo = 0;
  let hi = holes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (holes[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < holes.length && holes[lo]! < end;
}

const RAW_DATA_TAG = 9 * 8 + 2;

function expandField(buf: Uint8Array, f: Field, holes: number[]): Part {
  if (f.no === HOLE_FIELD) {
    const h = decodeHole(buf, f.vstart, f.end, skeletonInfo(buf));
    if (!h.source) throw new Error('internal error: a tensor whose external data is missing reached the writer (the model should have been refused)');
    const header = h.kind === 'inline' ? h.extra : Uint8Array.from([RAW_DATA_TAG, ...varintBytes(h.length)]);
    return { no: 0, parts: [header, lazyRange(h.source, h.offset, h.length)], inline: true };
  }
  const sub = readFields(buf, f.vstart, f.end).map((sf) => (containsHole(holes, sf.start, sf.end) ? expandField(buf, sf, holes) : buf.subarray(sf.start, sf.end)));
  return { no: f.no, parts: sub };
}

/**
 * Re-emits a message field by field. `replace(f)` may return the parts to emit instead of field f
 * ([] drops it); undefined keeps it verbatim. `append` goes at the end.
 */
export function rebuild(s: Span, replace?: (f: Field, index: number) => Part[] | undefined, append: Part[] = []): Part[] {
  const out: Part[] = [];
  s.fields.forEach((f, i) => {
    const r = replace?.(f, i);
    if (r === undefined) out.push(rawField(s, f));
    else out.push(...r);
  });
  out.push(...append);
  return out;
}

export interface ModelEdits {
  /** The graph's new body (GraphProto fields); default: the original graph, re-emitted field by field. */
  graph?: Part[];
  /** Replaces / drops top-level fields (e.g. opset_import, producer); same contract as rebuild(). */
  replace?: (f: Field, index: number) => Part[] | undefined;
  append?: Part[];
}

/**
 * Serializes a model. Without edits the output is byte-identical to the input: every field is carried
 * through, and the graph is re-emitted from its own fields with its length recomputed.
 */
export function writeModel(m: ModelView, edits: ModelEdits = {}): Piece[] {
  const parts = rebuild(
    m,
    (f, i) => {
      const r = edits.replace?.(f, i);
      if (r !== undefined) return r;
      if (f.no === MODEL.graph) return [lenField(MODEL.graph, edits.graph ?? rebuild(m.graph))];
      return undefined;
    },
    edits.append,
  );
  return flatten(parts);
}
