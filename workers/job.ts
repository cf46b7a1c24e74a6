import * as Comlink from 'comlink';
import { toErrorData } from '../src/core/errors.js';

/**
 * The one wrapper every worker job exposed through comlink runs in: it awaits `job`, turns any error into plain data
 * (`toErrorData`, src/core/errors.ts: comlink hands it to the page as is, where `fromErrorData` rebuilds it) and, however
 * the job ends, releases the progress callback's comlink proxy (its MessagePort). `onProgress` may be undefined.
 */
export async function workerJob<T>(onProgress: unknown, job: () => Promise<T>): Promise<T> {
  try {
    return await job();
  } catch (e) {
    throw toErrorData(e);
  } finally {
    releaseProxy(onProgress);
  }
}

/** Releases a callback that arrived as a comlink proxy; a no-op for anything else or when already released. */
export function releaseProxy(cb: unknown): void {
  const releasable = cb as { [Comlink.releaseProxy]?: () => void } | undefined;
  try {
    releasable?.[Comlink.releaseProxy]?.();
  } catch {
    /* already released */
  }
}
