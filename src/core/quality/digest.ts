/**
 * The identity of a model for the quality report cache: SHA-256 of the model's bytes without its top-level
 * metadata_props, followed by the bytes of its external-data files (in the order given). Our own outputs record
 * their creation date in metadata_props (provenance), so converting the same file twice gives different files that
 * compute exactly the same thing; metadata never changes what a model computes, external data does. Anything that
 * does not parse as a ModelProto at the top level is hashed whole. Streamed by offset and length from byte sources
 * (a dropped File's slices, a file handle): nothing is held whole, whatever the size.
 */
import { hashBytes } from '../batch/hashing.js';
import { AvaError } from '../errors.js';
import { bytesSource, type ByteSource } from '../io/source.js';
import { MODEL } from '../onnx/model.js';
import { readVarint, WT_I32, WT_I64, WT_LEN, WT_VARINT } from '../onnx/wire.js';

export interface ModelDigest {
  sha256: string;
  /** "model": the ModelProto without metadata_props (+ external data); "file": every byte (not parseable as ONNX). */
  scope: 'model' | 'file';
}

const SLICE = 4 << 20;

/** Top-level field ranges [start, end) of a ModelProto to hash (metadata_props left out); null when it is not one. */
async function keptRanges(src: ByteSource, signal?: AbortSignal): Promise<[number, number][] | null> {
  const out: [number, number][] = [];
  let graph = false;
  let pos = 0;
  try {
    while (pos < src.size) {
      const head = await src.read(pos, Math.min(32, src.size - pos), signal);
      const end = head.length;
      const [tag, p1] = readVarint(head, 0, end);
      const no = Math.floor(tag / 8);
      const wt = tag & 7;
      if (no === 0) return null;
      let next: number;
      if (wt === WT_VARINT) next = pos + readVarint(head, p1, end)[1];
      else if (wt === WT_I64) next = pos + p1 + 8;
      else if (wt === WT_I32) next = pos + p1 + 4;
      else if (wt === WT_LEN) {
        const [len, p2] = readVarint(head, p1, end);
        next = pos + p2 + len;
      } else return null;
      if (next > src.size) return null;
      if (no === MODEL.graph) graph = true;
      if (no !== MODEL.metadataProps) {
        const last = out[out.length - 1];
        if (last && last[1] === pos) last[1] = next;
        else out.push([pos, next]);
      }
      pos = next;
    }
  } catch (e) {
    if (e instanceof AvaError && e.kind === 'format') return null;
    throw e;
  }
  return graph ? out : null;
}

async function* slices(src: ByteSource, ranges: readonly [number, number][], signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  for (const [a, b] of ranges) for (let p = a; p < b; p += SLICE) yield await src.read(p, Math.min(SLICE, b - p), signal);
}

/**
 * The digest of a model file and its external-data files (pass them in a stable order, e.g. by location).
 * Rejects only when a source cannot be read (or on abort).
 */
export async function modelFilesDigest(
  model: ByteSource,
  external: readonly ByteSource[] = [],
  opts: { signal?: AbortSignal } = {},
): Promise<ModelDigest> {
  const { signal } = opts;
  const ranges = await keptRanges(model, signal);
  const whole: [number, number][] = [[0, model.size]];
  async function* all(): AsyncGenerator<Uint8Array> {
    yield* slices(model, ranges ?? whole, signal);
    if (ranges) for (const x of external) yield* slices(x, [[0, x.size]], signal);
  }
  return { sha256: (await hashBytes(all(), { signal, md5: false })).sha256, scope: ranges ? 'model' : 'file' };
}

/** The digest of a model in memory without external data (see modelFilesDigest). */
export function modelDigest(bytes: Uint8Array): Promise<ModelDigest> {
  return modelFilesDigest(bytesSource(bytes));
}
