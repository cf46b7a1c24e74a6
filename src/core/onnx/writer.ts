/**
 * Emitting protobuf in pieces. A message is a list of Parts: raw byte views (untouched fields carried through
 * verbatim, big tensor payloads) or Composites (a length-delimited field whose length is computed from its
 * parts). Nothing is concatenated until the caller asks: the output can go to a Blob or a stream as is.
 */
import { type Field, WT_LEN, WT_VARINT, readFields, tagOf } from './wire.js';
import { ENUM, FIELD } from './schema.generated.js';
import { MODEL, type ModelView, type Span } from './model.js';
import type { ByteSource } from '../io/source.js';
import { concatBytes } from '../io/bytes.js';
import { HOLE_FIELD, decodeHole, skeletonInfo, varintArray } from './skeleton.js';

export interface Composite {
  no: number;
  parts: Part[];
  size?: number;
  /** Emit the parts in place, without a tag and length (a group of fields). */
  inline?: boolean;
  /** This is a tensor's raw_data field (tag and length included in `parts` when `inline`): may move to external data. */
  payload?: { data: Uint8Array | LazyPart };
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
  /**
   * Where these bytes are stored, when they are a range of a source (lazyRange): a reader that needs only part of
   * them reads that part from `source` at `offset` + its position, instead of read() of the whole (see
   * src/core/onnx/pieces-source.ts). Absent for computed bytes, which exist only once read() made them.
   */
  readonly at?: { readonly source: ByteSource; readonly offset: number };
  /**
   * The same bytes in order, produced chunk by chunk (a big converted tensor), so a writer can write the first
   * chunks while the rest are computed (writePieces in src/core/io/write.ts) instead of holding the whole; optional.
   * Each array may be written at once and dropped; their lengths add up to `length`.
   */
  chunks?(signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /**
   * Gives back the array a read() returned, once its reader is done with it: the producer may then reuse its memory
   * for a later read (src/core/io/pool.ts recycle). Only the reader that got the array calls it, at most once per
   * read(), and only when neither it nor anything it passed the array to (a sink whose write settled,
   * src/core/io/write.ts writePieces) still reads it; a reader that keeps the bytes never calls it. Optional.
   */
  release?(bytes: Uint8Array): void;
}

export type Part = Uint8Array | Composite | LazyPart;
/** A flattened output piece: bytes in memory, or bytes read when written. */
export type Piece = Uint8Array | LazyPart;

export const isLazy = (p: Part): p is LazyPart => (p as LazyPart).lazy === true;

/**
 * Ranges longer than `aboveBytes` are also offered chunk by chunk (LazyPart.chunks), `bytes` at a time, as FP16 offers
 * its big weights; tests lower both.
 */
export const rangeChunking = { aboveBytes: 64 << 20, bytes: 16 << 20 };

/**
 * A lazy piece over a range of a source (input file or external-data file). A range over 64 MiB (a float32
 * embedding table carried through unchanged) is also offered in 16 MiB chunks, each a new array read when asked,
 * so a writer copies it to the output without ever holding it whole.
 */
export function lazyRange(source: ByteSource, offset: number, length: number, label?: string): LazyPart {
  const step = rangeChunking.bytes;
  return {
    lazy: true,
    length,
    ...(label ? { label } : {}),
    at: { source, offset },
    read: (signal) => source.read(offset, length, signal),
    blob: () => source.slice?.(offset, length),
    ...(length > rangeChunking.aboveBytes
      ? {
          async *chunks(signal?: AbortSignal) {
            for (let o = 0; o < length; o += step) yield await source.read(offset + o, Math.min(step, length - o), signal);
          },
        }
      : {}),
  };
}

/**
 * A lazy piece computed by `produce` on each read (nothing is cached here, so written bytes can be freed; a
 * producer that shares work between pieces caches it itself). The result is checked against `length`. `release`
 * becomes the piece's LazyPart.release: a producer whose arrays come from src/core/io/pool.ts takeBuffer passes
 * `recycle` (it must then hand each array to one read only, never keeping it).
 */
export function lazyComputed(
  length: number,
  produce: (signal?: AbortSignal) => Promise<Uint8Array>,
  label?: string,
  release?: (bytes: Uint8Array) => void,
): LazyPart {
  return {
    lazy: true,
    length,
    ...(label ? { label } : {}),
    ...(release ? { release } : {}),
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
  return Uint8Array.from(varintArray(n));
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
  return varintLen(tagOf(p.no, WT_LEN)) + varintLen(b) + b;
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
      pushBytes(varintBytes(tagOf(p.no, WT_LEN)));
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
  const bytes = parts.map((p) => {
    if (!(p instanceof Uint8Array)) throw new Error('internal error: concatParts got a lazy piece (use collectPieces)');
    return p;
  });
  return concatBytes(bytes);
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

const T = FIELD.TensorProto;
const RAW_DATA_TAG = tagOf(T.rawData, WT_LEN);

function expandField(buf: Uint8Array, f: Field, holes: number[]): Part {
  if (f.no === HOLE_FIELD) {
    const h = decodeHole(buf, f.vstart, f.end, skeletonInfo(buf));
    if (!h.source)
      throw new Error('internal error: a tensor whose external data is missing reached the writer (the model should have been refused)');
    const header = h.kind === 'inline' ? h.extra : Uint8Array.from([RAW_DATA_TAG, ...varintBytes(h.length)]);
    const data = lazyRange(h.source, h.offset, h.length);
    return { no: 0, parts: [header, data], inline: true, payload: { data } };
  }
  const sub = readFields(buf, f.vstart, f.end).map((sf) =>
    containsHole(holes, sf.start, sf.end) ? expandField(buf, sf, holes) : buf.subarray(sf.start, sf.end),
  );
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

/** A tensor's raw_data field whose payload may later move to an external-data file. */
export function rawDataField(data: Uint8Array | LazyPart): Composite {
  return { no: T.rawData, parts: [data], payload: { data } };
}

/**
 * How an output is laid out when it would not fit in one protobuf (2 GiB): initializer payloads move to one
 * external-data file next to the model, as onnx's `convert_model_to_external_data(all_tensors_to_one_file=True,
 * size_threshold=1024, convert_attribute=False)` does; offsets of payloads over 1 MiB are aligned to 64 KiB
 * (onnxruntime's / onnx_ir's external-data writer: align_threshold 1 MiB, allocation_granularity 64 KiB, for mmap).
 */
export interface ExternalLayout {
  /** The data file's name, relative to the model file (e.g. "model-FP16.onnx_data"). */
  location: string;
  /** Split only when the model would be bigger than this (default 2^31 - 1 bytes, protobuf's limit). */
  maxModelBytes?: number;
  /** Payloads at least this big move (default 1024, onnx's size_threshold). */
  sizeThreshold?: number;
  alignThreshold?: number;
  alignment?: number;
}

export interface ModelOutput {
  model: Piece[];
  /** The external-data file, when the model was split. */
  data: { location: string; pieces: Piece[]; bytes: number } | null;
}

/** Field kinds for finding initializers in a part tree: model -> graph -> initializer / node -> attribute -> graph. */
const KIND_CHILD: Record<string, Record<number, string>> = {
  model: { [FIELD.ModelProto.graph]: 'graph', [FIELD.ModelProto.functions]: 'function' },
  graph: { [FIELD.GraphProto.initializer]: 'init', [FIELD.GraphProto.node]: 'node' },
  node: { [FIELD.NodeProto.attribute]: 'attr' },
  attr: { [FIELD.AttributeProto.g]: 'graph', [FIELD.AttributeProto.graphs]: 'graph' },
  function: {},
  init: {},
};

function splitExternal(parts: Part[], layout: ExternalLayout): { parts: Part[]; data: Piece[]; bytes: number } {
  const threshold = layout.sizeThreshold ?? 1024;
  const alignAbove = layout.alignThreshold ?? 1 << 20;
  const align = layout.alignment ?? 1 << 16;
  const data: Piece[] = [];
  let offset = 0;
  const move = (payload: Uint8Array | LazyPart): Part[] => {
    const length = payload.length;
    if (length > alignAbove && offset % align) {
      const pad = align - (offset % align);
      data.push(new Uint8Array(pad));
      offset += pad;
    }
    const at = offset;
    data.push(payload);
    offset += length;
    return encodeExternalRef(layout.location, at, length);
  };
  const walk = (p: Part, kind: string): Part => {
    if (p instanceof Uint8Array || isLazy(p)) return p;
    if (p.inline) return { ...p, size: undefined, parts: p.parts.map((c) => walk(c, kind)) } as Composite;
    const child = KIND_CHILD[kind]?.[p.no];
    if (!child) return p;
    if (child === 'init') {
      const out: Part[] = [];
      for (const c of p.parts) {
        const payload = c instanceof Uint8Array ? rawDataPayload(c) : !isLazy(c) ? c.payload?.data : undefined;
        if (payload && payload.length >= threshold) out.push(...move(payload));
        else out.push(c);
      }
      return { no: p.no, parts: out };
    }
    return { no: p.no, parts: p.parts.map((c) => walk(c, child)) };
  };
  const out = parts.map((p) => walk(p, 'model'));
  return { parts: out, data, bytes: offset };
}

/** The payload of `b` when `b` is exactly one raw_data field (tag 9, length, bytes), as re-emitted fields are. */
function rawDataPayload(b: Uint8Array): Uint8Array | undefined {
  if (b[0] !== RAW_DATA_TAG) return undefined;
  let len = 0;
  let mul = 1;
  let p = 1;
  for (; p < 11 && p < b.length; p++) {
    len += (b[p]! & 0x7f) * mul;
    mul *= 128;
    if (!(b[p]! & 0x80)) break;
  }
  p++;
  return p + len === b.length ? b.subarray(p) : undefined;
}

/** external_data entries (location, offset, length) and data_location = EXTERNAL, as onnx's set_external_data writes. */
function encodeExternalRef(location: string, offset: number, length: number): Part[] {
  const entry = (k: string, v: string): Composite => {
    const key = utf8.encode(k);
    const val = utf8.encode(v);
    return {
      no: T.externalData,
      parts: [Uint8Array.from([KEY_TAG, ...varintBytes(key.length)]), key, Uint8Array.from([VALUE_TAG, ...varintBytes(val.length)]), val],
    };
  };
  const dataLocation = Uint8Array.from([tagOf(T.dataLocation, WT_VARINT), ENUM.TensorProto_DataLocation.EXTERNAL]);
  return [entry('location', location), entry('offset', String(offset)), entry('length', String(length)), dataLocation];
}

const utf8 = new TextEncoder();
const KEY_TAG = tagOf(FIELD.StringStringEntryProto.key, WT_LEN);
const VALUE_TAG = tagOf(FIELD.StringStringEntryProto.value, WT_LEN);

/**
 * Serializes a model. Without edits the output is byte-identical to the input: every field is carried
 * through, and the graph is re-emitted from its own fields with its length recomputed. With a layout, a model
 * that would exceed protobuf's 2 GiB is split into the .onnx and one external-data file.
 */
export function emitModel(m: ModelView, edits: ModelEdits = {}, layout?: ExternalLayout): ModelOutput {
  const parts = modelParts(m, edits);
  if (layout && partsSize(parts) > (layout.maxModelBytes ?? 2 ** 31 - 1)) {
    const split = splitExternal(parts, layout);
    return { model: flatten(split.parts), data: { location: layout.location, pieces: split.data, bytes: split.bytes } };
  }
  return { model: flatten(parts), data: null };
}

/** Serializes a model into one file (see emitModel). */
export function writeModel(m: ModelView, edits: ModelEdits = {}): Piece[] {
  return flatten(modelParts(m, edits));
}

function modelParts(m: ModelView, edits: ModelEdits): Part[] {
  return rebuild(
    m,
    (f, i) => {
      const r = edits.replace?.(f, i);
      if (r !== undefined) return r;
      if (f.no === MODEL.graph) return [lenField(MODEL.graph, edits.graph ?? rebuild(m.graph))];
      return undefined;
    },
    edits.append,
  );
}
