/**
 * The page's history of runs, kept in IndexedDB (idb-keyval, its own database "ava-quantizer" / store "history").
 * A reactive listing shared by whatever records runs (batch panel, single results) and the History panel.
 * Storage problems (no IndexedDB, quota, a damaged entry) are kept in `runHistory.error` / `runHistory.unreadable` for the
 * panel to show; they never throw into the caller.
 */
import { createStore, del, entries, set, type UseStore } from 'idb-keyval';
import { TOOL } from '../../core/tool.js';
import { readHistory, writeEntry, type HistoryBackend, type HistoryEntry } from './model.js';

export const runHistory = $state<{
  entries: HistoryEntry[];
  unreadable: { key: string; error: string }[];
  loaded: boolean;
  error: string | null;
}>({ entries: [], unreadable: [], loaded: false, error: null });

let store: UseStore | null = null;

function idbBackend(): HistoryBackend {
  const s = (): UseStore => {
    if (typeof indexedDB === 'undefined') throw new Error('this browser gives the page no IndexedDB (private window?)');
    store ??= createStore(TOOL.name, 'history');
    return store;
  };
  return {
    entries: () => entries(s()),
    set: (k, v) => set(k, v, s()),
    del: (k) => del(k, s()),
  };
}

let backend: HistoryBackend = idbBackend();

/** Tests / other environments: use another backend. */
export function setHistoryBackend(b: HistoryBackend): void {
  backend = b;
}

const describe = (e: unknown): string => {
  if (e && typeof e === 'object' && 'name' in e && (e as { name: unknown }).name === 'QuotaExceededError')
    return 'the browser storage is full';
  return e instanceof Error ? e.message || e.name : String(e);
};

let loading: Promise<void> | null = null;

export function loadHistory(): Promise<void> {
  loading ??= (async () => {
    try {
      const l = await readHistory(backend);
      runHistory.entries = l.entries;
      runHistory.unreadable = l.unreadable;
      runHistory.error = null;
    } catch (e) {
      runHistory.error = `Could not read the history: ${describe(e)}`;
    } finally {
      runHistory.loaded = true;
      loading = null;
    }
  })();
  return loading;
}

/**
 * Stores a run (or replaces the entry with the same id); `replaces` picks earlier entries this one supersedes (the same
 * run made again), which are deleted, so the history does not fill with identical rows. Returns false (and sets
 * runHistory.error) when it failed.
 */
export async function saveRun(entry: HistoryEntry, opts: { replaces?: (e: HistoryEntry) => boolean } = {}): Promise<boolean> {
  try {
    if (!runHistory.loaded) await loadHistory();
    const superseded = opts.replaces ? runHistory.entries.filter((e) => e.id !== entry.id && opts.replaces!(e)).map((e) => e.id) : [];
    for (const old of superseded) await backend.del(old);
    const kept = runHistory.entries.filter((e) => !superseded.includes(e.id));
    const pruned = await writeEntry(backend, $state.snapshot(entry) as HistoryEntry, $state.snapshot(kept) as HistoryEntry[]);
    const rest = kept.filter((e) => e.id !== entry.id && !pruned.includes(e.id));
    runHistory.entries = [entry, ...rest].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    runHistory.error = null;
    return true;
  } catch (e) {
    runHistory.error = `Could not save the run to the history: ${describe(e)}`;
    return false;
  }
}

export async function deleteRun(key: string): Promise<boolean> {
  try {
    await backend.del(key);
    runHistory.entries = runHistory.entries.filter((e) => e.id !== key);
    runHistory.unreadable = runHistory.unreadable.filter((u) => u.key !== key);
    runHistory.error = null;
    return true;
  } catch (e) {
    runHistory.error = `Could not delete the entry: ${describe(e)}`;
    return false;
  }
}
