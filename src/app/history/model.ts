/**
 * History entries: what a past run recorded (reports, hashes, settings; never model bytes), how they are checked
 * when read back (IndexedDB content is not trusted: an old or damaged entry is listed as unreadable, never
 * rendered half-way), and reading / writing them through a small key-value backend (idb-keyval in the page, a Map
 * in tests).
 */
import { MANIFEST_SCHEMA, type Manifest } from '../../core/batch/manifest.js';
import { REPORT_SCHEMA, SETTINGS_SCHEMA, type Settings, type ShareableReport } from '../../core/share/report.js';
import { LIMITS, SchemaError, arr, isoDate, lit, nullable, obj, str, type Schema } from '../../core/share/schema.js';

export const HISTORY_VERSION = 1;
/** The oldest entries beyond this are deleted when a new one is saved. */
export const MAX_ENTRIES = 200;

export interface HistoryEntry {
  v: typeof HISTORY_VERSION;
  id: string;
  kind: 'single' | 'batch';
  createdAt: string;
  /** One line, e.g. "Batch: 3 models, 4 outputs, 1 skipped" or "model.onnx → model-INT8.onnx". */
  title: string;
  /** What the run was asked to do (modes, preset, naming, …). */
  settings: Settings;
  /** One per output. */
  reports: ShareableReport[];
  /** The batch's manifest.json (null for a single run). */
  manifest: Manifest | null;
  /** Files not processed, and failures, with why. */
  skipped: { name: string; reason: string }[];
}

const ID_RE = /^run-[0-9]{13}-[0-9a-z]{1,12}$/;

export const ENTRY_SCHEMA: Schema<HistoryEntry> = obj({
  v: lit(HISTORY_VERSION),
  id: str(40, { pattern: ID_RE, what: 'a history id' }),
  kind: lit('single', 'batch'),
  createdAt: isoDate,
  title: str(LIMITS.text),
  settings: SETTINGS_SCHEMA,
  reports: arr(REPORT_SCHEMA, 10_000),
  manifest: nullable(MANIFEST_SCHEMA),
  skipped: arr(obj({ name: str(LIMITS.name, { min: 1 }), reason: str(LIMITS.text) }), 10_000),
});

export class HistoryError extends Error {
  override name = 'HistoryError';
}

/** Checks an entry read from storage; returns a normalised copy. Throws HistoryError saying what is wrong. */
export function validateEntry(x: unknown): HistoryEntry {
  try {
    return ENTRY_SCHEMA(x, '');
  } catch (e) {
    if (e instanceof SchemaError) throw new HistoryError(`unreadable history entry: ${e.message}`);
    throw e;
  }
}

export function newEntryId(now: number = Date.now(), rand: () => number = Math.random): string {
  return `run-${String(Math.max(0, Math.floor(now)))
    .padStart(13, '0')
    .slice(-13)}-${Math.floor(rand() * 36 ** 8).toString(36)}`;
}

/** What the history code needs from storage. */
export interface HistoryBackend {
  entries(): Promise<[IDBValidKey, unknown][]>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
}

export interface HistoryListing {
  /** Newest first. */
  entries: HistoryEntry[];
  /** Stored values that failed the check (can be deleted by key). */
  unreadable: { key: string; error: string }[];
}

export async function readHistory(backend: HistoryBackend): Promise<HistoryListing> {
  const raw = await backend.entries();
  const entries: HistoryEntry[] = [];
  const unreadable: { key: string; error: string }[] = [];
  for (const [k, v] of raw) {
    const key = String(k);
    try {
      const e = validateEntry(v);
      if (e.id !== key)
        throw new HistoryError(`unreadable history entry: stored under ${JSON.stringify(key.slice(0, 40))} but its id is ${e.id}`);
      entries.push(e);
    } catch (err) {
      unreadable.push({ key, error: err instanceof Error ? err.message : String(err) });
    }
  }
  entries.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
  return { entries, unreadable };
}

/** Validates and stores an entry, then deletes the oldest beyond `max`. Returns the ids deleted. */
export async function writeEntry(
  backend: HistoryBackend,
  entry: HistoryEntry,
  existing: readonly HistoryEntry[],
  max = MAX_ENTRIES,
): Promise<string[]> {
  const clean = validateEntry(entry);
  await backend.set(clean.id, clean);
  const others = existing.filter((e) => e.id !== clean.id);
  const prune = others.length + 1 > max ? others.slice(max - 1).map((e) => e.id) : [];
  for (const id of prune) await backend.del(id);
  return prune;
}
