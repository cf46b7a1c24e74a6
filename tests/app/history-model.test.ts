import { describe, expect, it } from 'vitest';
import { hashBytes } from '../../src/core/batch/index.js';
import { buildShareableReport } from '../../src/core/share/index.js';
import {
  HistoryError,
  newEntryId,
  readHistory,
  validateEntry,
  writeEntry,
  type HistoryBackend,
  type HistoryEntry,
} from '../../src/app/history/model.js';
import { smallRuns, TOOL } from '../batch/helpers.js';

class MemoryBackend implements HistoryBackend {
  readonly map = new Map<string, unknown>();
  async entries(): Promise<[IDBValidKey, unknown][]> {
    return [...this.map.entries()].map(([k, v]) => [k, structuredClone(v)]);
  }
  async set(k: string, v: unknown) {
    this.map.set(k, structuredClone(v));
  }
  async del(k: string) {
    this.map.delete(k);
  }
}

async function entry(i: number): Promise<HistoryEntry> {
  const runs = await smallRuns();
  const d = await hashBytes(runs.int8.parts);
  const createdAt = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
  return {
    v: 1,
    id: newEntryId(Date.UTC(2025, 0, 1, 0, 0, i), () => 0.5),
    kind: 'single',
    createdAt,
    title: `run ${i}`,
    settings: { mode: 'int8', preset: 'tjs-q8' },
    reports: [
      buildShareableReport({
        tool: TOOL,
        createdAt,
        source: { name: 'a.onnx', bytes: runs.bytes.length, sha256: null, md5: null },
        output: { name: 'a-INT8.onnx', ...d },
        report: runs.int8.report,
      }),
    ],
    manifest: null,
    skipped: [],
  };
}

describe('history entries', () => {
  it('round-trips through a backend, newest first, and prunes the oldest', async () => {
    const b = new MemoryBackend();
    let listed: HistoryEntry[] = [];
    for (let i = 0; i < 4; i++) {
      await writeEntry(b, await entry(i), listed, 3);
      listed = (await readHistory(b)).entries;
    }
    expect(listed.map((e) => e.title)).toEqual(['run 3', 'run 2', 'run 1']);
    expect(listed[0]).toEqual(await entry(3));
  });

  it('an entry stored before the reports were unified (report version 1) is still read, under the new names', async () => {
    const e = await entry(5);
    const { otherBackends: _o, agreement: _a, ...r } = e.reports[0]!;
    const c = r.conversion;
    // The same report as version 1 stored it.
    const old = {
      ...e,
      reports: [
        {
          ...r,
          version: 1,
          conversion: {
            originalBytes: c.inputBytes,
            outputBytes: c.outputBytes,
            reductionPercent: c.reductionPercent,
            timeMs: c.durationMs,
            int8: { tensorsQuantized: c.facts.tensorsQuantized, rewritten: c.rewritten, leftInFloat: 0, opset: c.facts.opset },
            fp16: null,
            notes: c.notes,
          },
        },
      ],
    };
    const b = new MemoryBackend();
    await b.set(old.id, old);
    const listing = await readHistory(b);
    expect(listing.unreadable).toEqual([]);
    expect(listing.entries[0]!.reports[0]).toEqual({ ...e.reports[0]!, conversion: { ...c, keptInFloat: {} } });
  });

  it('lists damaged or foreign values as unreadable instead of rendering them', async () => {
    const b = new MemoryBackend();
    const good = await entry(1);
    await b.set(good.id, good);
    await b.set('run-0000000000001-x', { ...good, id: 'run-0000000000001-x', reports: [{ format: 'nope' }] });
    await b.set('other', { hello: '<img src=x>' });
    await b.set('run-0000000000002-y', { ...good });
    const l = await readHistory(b);
    expect(l.entries.map((e) => e.id)).toEqual([good.id]);
    expect(l.unreadable.map((u) => u.key).sort()).toEqual(['other', 'run-0000000000001-x', 'run-0000000000002-y']);
    expect(l.unreadable.find((u) => u.key === 'run-0000000000002-y')!.error).toMatch(/stored under/);
    expect(() => validateEntry({ ...good, title: 5 })).toThrow(HistoryError);
    await expect(writeEntry(b, { ...good, id: 'bad id' } as HistoryEntry, [])).rejects.toBeInstanceOf(HistoryError);
  });

  it('makes ids that sort by time', () => {
    expect(newEntryId(1738300000000, () => 0)).toBe('run-1738300000000-0');
    expect(newEntryId(5, () => 0.999)).toMatch(/^run-0000000000005-[0-9a-z]+$/);
  });
});
