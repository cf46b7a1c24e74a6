/**
 * Emitting protobuf in pieces. A message is a list of Parts: raw byte views (untouched fields carried through
 * verbatim, big tensor payloads) or Composites (a length-delimited field whose length is computed from its
 * parts). Nothing is concatenated until the caller asks: the output can go to a Blob or a stream as is.
 */
import type { Field } from './wire.js';
import { MODEL, type ModelView, type Span } from './model.js';

export interface Composite {
  no: number;
  parts: Part[];
  size?: number;
}
export type Part = Uint8Array | Composite;

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
  const b = bodySize(p);
  return varintLen(p.no * 8 + 2) + varintLen(b) + b;
}

export function partsSize(parts: Part[]): number {
  let s = 0;
  for (const p of parts) s += partSize(p);
  return s;
}

/** Flattens parts into byte views (no payload copies). Adjacent small pieces are merged to keep the list short. */
export function flatten(parts: Part[]): Uint8Array[] {
  const out: Uint8Array[] = [];
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
    pushBytes(varintBytes(p.no * 8 + 2));
    pushBytes(varintBytes(bodySize(p)));
    for (const c of p.parts) walk(c);
  };
  for (const p of parts) walk(p);
  flushSmall();
  return out;
}

export function concatParts(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A field exactly as it was in the input. */
export function rawField(s: Span, f: Field): Uint8Array {
  return s.buf.subarray(f.start, f.end);
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
export function writeModel(m: ModelView, edits: ModelEdits = {}): Uint8Array[] {
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
