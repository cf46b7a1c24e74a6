/**
 * A mode's output read as the next mode's input, without being written anywhere: a ByteSource over the output's
 * pieces (src/core/onnx/writer.ts), so a two-stage mode (Q4F16, src/core/q4/q4f16.ts: Q4 then FP16, or FP16 then Q4)
 * never holds its intermediate model in one buffer. The second stage opens it like any model (openModel: structure
 * only, tensor payloads left where they are) and reads its tensors by offset and length, each from where its bytes
 * are:
 *  - bytes in memory (structure, small tensors): views of those pieces;
 *  - a range of the input (a tensor the first stage carried through, `LazyPart.at`): read from the input's source at
 *    the matching offset, only the part asked for;
 *  - a computed tensor (4-bit weights, scales, float16 data): made by the first stage when first read, exactly once
 *    (a stage counts its progress and statistics as it makes them), and held while the second stage may read it
 *    again: see `writing()`.
 */
import { type ByteSource, checkRange } from '../io/source.js';
import type { ModelView } from './model.js';
import { openModel } from './open.js';
import type { LazyPart, Piece } from './writer.js';

/** openModel's default: raw_data payloads at least this big stay in the source. */
const HOLE_THRESHOLD = 64 * 1024;

export interface PiecesSource extends ByteSource {
  /**
   * Tells the source that the second stage has planned its output (its mode function returned) and that the reads
   * from now on are those of writing that output, which reads each tensor once: a computed piece is then dropped as
   * soon as all its bytes have been read since this call (a piece read in chunks is held from the first chunk to the
   * last). Before it, a computed piece stays held once made, since planning may read a tensor (an FP16 range scan)
   * that writing reads again. A piece read again after it was dropped is made again.
   */
  writing(): void;
  /** Bytes of computed pieces held now (made, not yet dropped). */
  heldBytes(): number;
}

interface Held {
  bytes: Promise<Uint8Array>;
  /** Bytes of it read since writing() (or since it was made, when made after). */
  read: number;
  /** Its length once made (counted in heldBytes). */
  made: number;
}

/**
 * A source over `pieces` in order (the bytes a writer would write), named `name` for messages. Nothing is read or
 * computed until asked. Reads spanning pieces return a new array; a read inside one piece a view of it (in memory or
 * computed) or the input's read. Errors: a range outside the pieces (OnnxFormatError, as every source), whatever a
 * piece's read throws (the input's read error, the first stage's errors, the signal's reason); a computed piece of
 * the wrong length is an internal error.
 */
export function piecesSource(pieces: readonly Piece[], name: string): PiecesSource {
  const list: Piece[] = [];
  const starts: number[] = [];
  let size = 0;
  for (const p of pieces) {
    if (!p.length) continue;
    list.push(p);
    starts.push(size);
    size += p.length;
  }
  const isComputed = (p: Piece): p is LazyPart => !(p instanceof Uint8Array) && !p.at;
  // Offset of the first computed piece at index >= i (size when none).
  const nextComputed: number[] = new Array<number>(list.length + 1);
  nextComputed[list.length] = size;
  for (let i = list.length - 1; i >= 0; i--) nextComputed[i] = isComputed(list[i]!) ? starts[i]! : nextComputed[i + 1]!;

  /** Index of the piece holding byte `offset` (0 <= offset < size). */
  const indexAt = (offset: number): number => {
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  const held = new Map<number, Held>();
  let heldBytes = 0;
  let writingPhase = false;
  const drop = (i: number, h: Held): void => {
    if (held.get(i) !== h) return;
    held.delete(i);
    heldBytes -= h.made;
  };
  /** Bytes [from, to) of computed piece i: made on first use, dropped once read through while writing. */
  const computed = async (i: number, from: number, to: number, signal?: AbortSignal): Promise<Uint8Array> => {
    let h = held.get(i);
    if (!h) {
      const entry: Held = { bytes: (list[i] as LazyPart).read(signal), read: 0, made: 0 };
      h = entry;
      held.set(i, entry);
      entry.bytes.then(
        (b) => {
          if (held.get(i) !== entry) return;
          entry.made = b.length;
          heldBytes += b.length;
        },
        () => drop(i, entry), // a failed or cancelled make is tried again by the next read
      );
    }
    const b = await h.bytes;
    const p = list[i] as LazyPart;
    if (b.length !== p.length)
      throw new Error(`internal error: '${p.label ?? 'a tensor'}' was made as ${b.length} bytes, expected ${p.length}`);
    if (writingPhase) {
      h.read += to - from;
      if (h.read >= b.length) drop(i, h);
    }
    return b.subarray(from, to);
  };
  /** Bytes [from, to) of piece i: a view, the input's read, or the computed bytes. */
  const part = (i: number, from: number, to: number, signal?: AbortSignal): Promise<Uint8Array> => {
    const p = list[i]!;
    if (p instanceof Uint8Array) return Promise.resolve(p.subarray(from, to));
    if (p.at) return p.at.source.read(p.at.offset + from, to - from, signal);
    return computed(i, from, to, signal);
  };
  /** Fills `into` with the bytes from `offset` on, piece by piece. */
  const fill = async (offset: number, into: Uint8Array, signal?: AbortSignal): Promise<void> => {
    let o = 0;
    for (let i = indexAt(offset); o < into.length; i++) {
      const from = offset + o - starts[i]!;
      const n = Math.min(list[i]!.length - from, into.length - o);
      const p = list[i]!;
      const dst = into.subarray(o, o + n);
      if (!(p instanceof Uint8Array) && p.at?.source.readInto) await p.at.source.readInto(p.at.offset + from, dst, signal);
      else dst.set(await part(i, from, from + n, signal));
      o += n;
    }
  };
  return {
    name,
    size,
    async read(offset, length, signal) {
      signal?.throwIfAborted();
      checkRange(name, size, offset, length);
      if (length === 0) return new Uint8Array(0);
      const i = indexAt(offset);
      const from = offset - starts[i]!;
      if (from + length <= list[i]!.length) return part(i, from, from + length, signal);
      const out = new Uint8Array(length);
      await fill(offset, out, signal);
      return out;
    },
    async readInto(offset, into, signal) {
      signal?.throwIfAborted();
      checkRange(name, size, offset, into.length);
      if (into.length) await fill(offset, into, signal);
    },
    readAheadEnd: (offset) => (offset >= size ? size : nextComputed[indexAt(offset)]!),
    writing() {
      writingPhase = true;
    },
    heldBytes: () => heldBytes,
  };
}

/**
 * Opens a mode's output `pieces` as a model, as openModel opens a file (structure only): every tensor payload the
 * first stage computes, and any other of 64 KiB or more, stays in the pieces and is read by offset and length when
 * the second stage reads it; no computed piece is made while opening, save one that is not a tensor payload (a
 * metadata entry waiting for the source's hash). `name` names the source in messages. Returns the model and its
 * source (call `source.writing()` once the second stage has returned). Throws what openModel throws (an internal
 * error here: the pieces are a model this project wrote) and the signal's reason.
 */
export async function openPieces(
  pieces: readonly Piece[],
  name: string,
  signal?: AbortSignal,
): Promise<{ model: ModelView; source: PiecesSource }> {
  const source = piecesSource(pieces, name);
  let threshold = HOLE_THRESHOLD;
  for (const p of pieces) if (p.length && !(p instanceof Uint8Array) && !p.at) threshold = Math.min(threshold, p.length);
  const { model } = await openModel(source, { holeThreshold: threshold, ...(signal ? { signal } : {}) });
  return { model, source };
}
