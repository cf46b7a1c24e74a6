/** The cancellation contract every mode's engine keeps, checked the same way for each (INT8, Q4). */
import { expect } from 'vitest';
import { memorySink, writePieces } from '../../src/core/io/write.js';
import type { Piece } from '../../src/core/onnx/writer.js';

/** A mode's engine on one model: `(onProgress, signal) => its lazy output`. */
export type CancellableRun = (onProgress: ((p: { done: number }) => void) | undefined, signal: AbortSignal) => Promise<{ parts: Piece[] }>;

/**
 * An already aborted signal rejects with an AbortError before any work; an abort from the third progress call that
 * reports work done stops the writer (the tensor work runs while the output is written) with an AbortError, and no
 * tensor finishes after it.
 */
export async function expectCancellation(run: CancellableRun): Promise<void> {
  const pre = new AbortController();
  pre.abort();
  await expect(run(undefined, pre.signal)).rejects.toMatchObject({ name: 'AbortError' });
  const mid = new AbortController();
  let calls = 0;
  const r = await run((p) => {
    if (p.done > 0 && ++calls === 3) mid.abort();
  }, mid.signal);
  await expect(writePieces(r.parts, memorySink(), { signal: mid.signal })).rejects.toMatchObject({ name: 'AbortError' });
  expect(calls).toBe(3); // no tensor finished after the abort
}
