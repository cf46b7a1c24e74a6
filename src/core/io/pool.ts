/**
 * Reusable buffers for tensors whose bytes are used at once and dropped: a weight read, quantized or converted, then
 * forgotten (withBytes), and a computed output tensor that the writer gives back once written (takeBuffer / recycle,
 * through LazyPart.release in src/core/onnx/writer.ts). A fresh multi-MiB buffer per tensor costs page faults on first
 * touch and a garbage collection whenever enough of them pile up (V8 collects on external memory growth): reading
 * 1 GB through fresh 9 MiB buffers took 4× the time of one reused buffer here. Buffers are kept by size class (the
 * length rounded up to 1 MiB; weights of one model repeat a few shapes), up to POOL_BYTES in all (the classes given
 * back longest ago make room). First choice for a read, though, is a slot of the WebAssembly kernels' memory
 * (src/core/kernels/simd.ts leaseSlot): the kernels then read the values where the file read put them, with no copy.
 */
import type { ByteSource } from './source.js';
import { SLOT_BYTES, leaseSlot } from '../kernels/simd.js';

/** Buffers shorter than this are not pooled (a small allocation is cheap). */
const POOL_FROM = 1 << 20;
/**
 * Buffers longer than this are not pooled either: float tensors over 64 MiB are read in chunks
 * (src/core/onnx/tensor-data.ts chunking), so nothing longer is asked for whole but rare outliers.
 */
const POOL_UP_TO = 64 << 20;
/** Most bytes kept for reuse at once. */
const POOL_BYTES = 128 << 20;

/** Free buffers by size class; the Map's order is the order the classes were last given a buffer back (oldest first). */
const free = new Map<number, ArrayBuffer[]>();
/** Every buffer the pool made and still knows: true while it is free (in `free`), false while lent out. */
const owned = new WeakMap<ArrayBuffer, boolean>();
let kept = 0;

function sizeClass(length: number): number {
  return Math.ceil(length / POOL_FROM) * POOL_FROM;
}

/**
 * A Uint8Array of `length` bytes (at byte offset 0 of its buffer; contents unspecified: the caller overwrites every
 * byte it uses) from the pool when 1–64 MiB long, else a new array. Give it back with recycle() once nothing reads or
 * writes it any more, or just drop it (the garbage collector takes it).
 */
export function takeBuffer(length: number): Uint8Array {
  if (length < POOL_FROM || length > POOL_UP_TO) return new Uint8Array(length);
  const size = sizeClass(length);
  const list = free.get(size);
  let buf = list?.pop();
  if (buf) {
    kept -= size;
    if (!list!.length) free.delete(size);
  } else buf = new ArrayBuffer(size);
  owned.set(buf, false);
  return new Uint8Array(buf, 0, length);
}

/**
 * Gives back an array takeBuffer returned (or any view of its buffer), for a later takeBuffer of its size class: the
 * caller and everyone it passed the array to must be done with it (a sink whose write settled, src/core/io/write.ts).
 * Once per take. Arrays the pool did not lend (a plain array, a view of a file's bytes, the kernels' memory),
 * buffers already given back and detached buffers are ignored. When the pool holds POOL_BYTES, buffers of the classes given back longest
 * ago are dropped to make room.
 */
export function recycle(bytes: Uint8Array): void {
  const buf = bytes.buffer as ArrayBuffer;
  if (owned.get(buf) !== false) return;
  const size = buf.byteLength;
  if (!size) return void owned.delete(buf); // transferred away (detached): nothing to keep
  for (const [s, list] of free) {
    if (kept + size <= POOL_BYTES) break;
    while (list.length && kept + size > POOL_BYTES) {
      owned.delete(list.pop()!);
      kept -= s;
    }
    if (!list.length) free.delete(s);
  }
  if (kept + size > POOL_BYTES) {
    owned.delete(buf);
    return;
  }
  const list = free.get(size) ?? [];
  free.delete(size); // re-inserted last: the most recently refilled class
  list.push(buf);
  free.set(size, list);
  owned.set(buf, true);
  kept += size;
}

/**
 * Reads `length` bytes at `offset` of `src` into a pooled buffer when the source reads in place and the read is
 * 1–64 MiB (up to 16 MiB into a free slot of the kernels' memory first; else a plain read()), runs `use` on them (sync
 * or async; the array starts at a multiple of 64 KiB within its buffer, so any typed view of it is aligned) and gives
 * the buffer back when `use` is done: `use` must not keep the array or any view of it past its own return (copy what
 * it keeps). Errors: those of src.read / readInto, and whatever `use` throws.
 */
export async function withBytes<T>(
  src: ByteSource,
  offset: number,
  length: number,
  signal: AbortSignal | undefined,
  use: (bytes: Uint8Array) => T | Promise<T>,
): Promise<T> {
  if (!src.readInto || src.bytes || length < POOL_FROM || length > POOL_UP_TO) return use(await src.read(offset, length, signal));
  const slot = pooling.wasmSlots && length <= SLOT_BYTES ? leaseSlot() : null;
  if (slot)
    try {
      const bytes = slot.bytes.subarray(0, length);
      await src.readInto(offset, bytes, signal);
      return await use(bytes);
    } finally {
      slot.release();
    }
  const bytes = takeBuffer(length);
  try {
    await src.readInto(offset, bytes, signal);
    return await use(bytes); // awaited: the buffer goes back only when an async user is done too
  } finally {
    recycle(bytes);
  }
}

/**
 * Buffers for a chunkReader (src/core/io/source.ts ChunkRange.alloc) taken from slots of the WebAssembly kernels'
 * memory while free (at most 16 MiB each; else ordinary arrays), so kernels read the chunks in place. `release()`
 * gives the slots back; call it once the reader is done (arrays over them must not be used after).
 */
export function kernelMemoryBuffers(): { alloc(length: number): Uint8Array; release(): void } {
  const leases: { release(): void }[] = [];
  return {
    alloc(length) {
      const slot = pooling.wasmSlots && length <= SLOT_BYTES ? leaseSlot() : null;
      if (!slot) return new Uint8Array(length);
      leases.push(slot);
      return slot.bytes.subarray(0, length);
    },
    release: () => leases.splice(0).forEach((l) => l.release()),
  };
}

/** Whether reads go to a slot of the kernels' memory when one is free (tests turn it off to exercise the pool). */
export const pooling = { wasmSlots: true };

/** Bytes the pool keeps for reuse now (for tests). */
export function pooledBytes(): number {
  return kept;
}
