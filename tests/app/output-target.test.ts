/**
 * The page's output files name the file the user saves when a write fails (a split output's data file, not its
 * model), also when the browser throws QuotaExceededError instead of writing nothing; the failed file is removed.
 * The origin-private file system and the save dialog's handle are stand-ins here (no browser).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { opfsTarget, outputTarget, pickedTarget } from '../../workers/output-target.js';

const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');

/** An OPFS stand-in whose sync access handles write with `write`; records removed entries. */
function fakeOpfs(write: () => number) {
  const removed: string[] = [];
  const dir = {
    getFileHandle: async (name: string) => ({
      name,
      createSyncAccessHandle: async () => ({ truncate() {}, write, flush() {}, close() {} }),
      getFile: async () => new File([], name),
    }),
    removeEntry: async (name: string) => void removed.push(name),
  };
  vi.stubGlobal('navigator', {
    storage: { getDirectory: async () => ({ getDirectoryHandle: async () => dir }), estimate: async () => ({ quota: 1e12, usage: 0 }) },
  });
  return removed;
}

afterEach(() => vi.unstubAllGlobals());

describe('output files in the page: a failed write names the file', () => {
  it('OPFS, QuotaExceededError: names the data file as it is saved, and removes it', async () => {
    const removed = fakeOpfs(() => {
      throw quota();
    });
    const t = (await outputTarget('job-1.onnx_data', 10, undefined, 'model-INT8.onnx_data'))!;
    expect(t.kind).toBe('opfs');
    await expect(t.sink.write(new Uint8Array(4))).rejects.toThrow(
      "could not write model-INT8.onnx_data: the browser's storage is full (nothing was kept)",
    );
    await t.abort();
    expect(removed).toEqual(['job-1.onnx_data']);
  });

  it('OPFS, a write that takes nothing: the same message; another error keeps its own words', async () => {
    fakeOpfs(() => 0);
    const t = (await opfsTarget('job-2.onnx', 'model-FP16.onnx'))!;
    await expect(t.sink.write(new Uint8Array(4))).rejects.toThrow("could not write model-FP16.onnx: the browser's storage is full");
    fakeOpfs(() => {
      throw new Error('the handle was closed');
    });
    const u = (await opfsTarget('job-3.onnx'))!;
    await expect(u.sink.write(new Uint8Array(4))).rejects.toThrow('could not write job-3.onnx: the handle was closed');
  });

  it('a file picked in the save dialog: named by its name', async () => {
    const handle = {
      name: 'my-model.onnx',
      createWritable: async () => ({ write: () => Promise.reject(quota()), close: async () => {}, abort: async () => {} }),
    } as unknown as FileSystemFileHandle;
    const t = await pickedTarget(handle);
    await expect(t.sink.write(new Uint8Array(4))).rejects.toThrow("could not write my-model.onnx: the browser's storage is full");
  });
});
