/** The page's download store: chunks become Blob parts, the File carries its repository path; abort keeps nothing. */
import { describe, expect, it } from 'vitest';
import { blobStore } from '../../src/app/hub/hub.js';
import { pathOf } from '../../src/app/quality/companions.js';

describe('blobStore', () => {
  it('assembles chunks (across the 8 MiB part boundary) into a File named and pathed like the repository', async () => {
    const store = blobStore('all-MiniLM-L6-v2');
    const sink = await store.open('onnx/model.onnx', null);
    const chunks: Uint8Array[] = [];
    let seed = 1;
    for (let i = 0; i < 40; i++) {
      const c = new Uint8Array(300_000 + i * 7);
      for (let j = 0; j < c.length; j += 997) c[j] = (seed = (seed * 48271) % 2147483647) & 255;
      chunks.push(c);
      await sink.write(c);
    }
    const file = await sink.close();
    const want = Buffer.concat(chunks);
    expect(want.length).toBeGreaterThan(8 * 1024 * 1024);
    expect(file.name).toBe('model.onnx');
    expect(pathOf(file)).toBe('all-MiniLM-L6-v2/onnx/model.onnx');
    expect(file.size).toBe(want.length);
    expect(Buffer.from(await store.read(file)).equals(want)).toBe(true);
    const json = await (await store.open('1_Pooling/config.json', 2)).close();
    expect(json.type).toBe('application/json');
    expect(pathOf(json)).toBe('all-MiniLM-L6-v2/1_Pooling/config.json');
  });
  it('a plain URL file has no folder', async () => {
    const sink = await blobStore('').open('m.onnx', 1);
    await sink.write(new Uint8Array([1]));
    expect(pathOf(await sink.close())).toBe('m.onnx');
  });
});
