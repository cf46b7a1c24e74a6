/**
 * Reusable read buffers for tensors whose bytes are used at once and dropped (a weight read, quantized or
 * converted, then forgotten). A fresh multi-MiB buffer per tensor costs page faults on first touch and a garbage
 * collection whenever enough of them pile up (V8 collects on external memory growth): reading 1 GB through fresh
 * 9 MiB buffers took 4× the time of one reused buffer here. Buffers are kept by size class (the length rounded up to
 * 1 MiB; weights of one model repeat a few shapes), up to POOL_BYTES in all. First choice, though, is a slot of the
 * WebAssembly kernels' memory (src/core/kernels/simd.ts leaseSlot): the kernels then read the values where the file
 * read put them, with no copy.
 */
import type { ByteSource } from './source.js';
import { SLOT_BYTES, leaseSlot } from '../kernels/simd.js';

/** Reads shorter than this are not pooled (a small allocation is cheap). */
const POOL_FROM = 1 << 20;
/** Reads longer than this are not pooled either: one model has few weights that big, so a kept one would mostly sit idle. */
const POOL_UP_TO = 16 << 20;
/** Most bytes kept for reuse at once. */
const POOL_BYTES = 128 << 20;

const free = new Map<number, ArrayBuffer[]>();
let kept = 0;

function sizeClass(length: number): number {
  return Math.ceil(length / POOL_FROM) * POOL_FROM;
}

/**
 * Reads `length` bytes at `offset` of `src` into a pooled buffer when the source reads in place and the read is
 * 1–16 MiB (else a plain read()), runs `use` on them (sync or async; the array starts at a multiple of 64 KiB within its
 * buffer, so any typed view of it is aligned) and gives the buffer back when `use` is done: `use` must not keep the array or any view of it
 * past its own return (copy what it keeps). Errors: those of src.read / readInto, and whatever `use` throws.
 */
export async function withBytes<T>(
  src: ByteSource,
  offset: number,
  length: number,
  signal: AbortSignal | undefined,
  use: (bytes: Uint8Array) => T | Promise<T>,
): Promise<T> {
  if (!src.readInto || src.bytes || length < POOL_FROM || length > POOL_UP_TO) return use(await src.read(offset, length, signal));
  const slot = pooling.wasmSlots ? leaseSlot() : null;
  if (slot)
    try {
      const bytes = slot.bytes.subarray(0, length);
      await src.readInto(offset, bytes, signal);
      return await use(bytes);
    } finally {
      slot.release();
    }
  const size = sizeClass(length);
  let buf = free.get(size)?.pop();
  if (buf) kept -= size;
  else buf = new ArrayBuffer(size);
  const bytes = new Uint8Array(buf, 0, length);
  try {
    await src.readInto(offset, bytes, signal);
    return await use(bytes); // awaited: the buffer goes back only when an async user is done too
  } finally {
    if (kept + size <= POOL_BYTES) {
      const list = free.get(size) ?? [];
      list.push(buf!);
      free.set(size, list);
      kept += size;
    }
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
