import { describe, expect, it } from 'vitest';
import { readFileWithProgress } from '../../workers/read-file.js';

describe('readFileWithProgress', () => {
  it('reads every byte and reports progress ending at the total', async () => {
    const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => i * 31);
    const ticks: [number, number][] = [];
    const out = await readFileWithProgress(new Blob([data]), (l, t) => ticks.push([l, t]), 0);
    expect(out.length).toBe(data.length);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    expect(ticks.at(-1)).toEqual([data.length, data.length]);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]![0]).toBeGreaterThanOrEqual(ticks[i - 1]![0]);
  });
  it('handles an empty file', async () => {
    const out = await readFileWithProgress(new Blob([]));
    expect(out.length).toBe(0);
  });
});
