/**
 * Quality reports cached in IndexedDB (idb-keyval, own database "ava-quality"). The key is made of everything the
 * report depends on: both models' SHA-256 (without metadata_props, see digest.ts: our outputs carry their creation
 * date there), the tokenizer files' SHA-256, the probe selection (shipped sets + a
 * SHA-256 of the pasted texts), the threshold, the backend and the app version. Only reports are stored (a few
 * hundred KB at most), never model bytes: one IndexedDB value cannot hold ~100 MiB+ reliably anyway.
 * Storage failures (quota, private mode, blocked IndexedDB) are thrown as CacheError with a readable message.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { version as appVersion } from '../../../package.json';
import { REPORT_VERSION } from '../../core/quality/index.js';
import type { QualityBackend, QualityResult } from '../../../workers/quality-protocol.js';

export { appVersion };

export class CacheError extends Error {
  override name = 'CacheError';
}

export interface CacheKeyParts {
  original: string;
  quantized: string;
  /** SHA-256 of tokenizer.json, tokenizer_config.json, pooling config ("-" when absent). */
  tokenizer: string;
  /** Shipped probe files in the selection, e.g. ["en.json", "seed-4doc.json"]. */
  probes: string[];
  /** SHA-256 of the pasted sentences / documents / queries ("-" when none). */
  userTexts: string;
  threshold: number;
  backend: QualityBackend;
  /** The output and pooling the user chose ("output=…;pooling=…"), absent for the default. */
  vector?: string;
}

export interface CachedResult {
  key: string;
  storedAt: string;
  appVersion: string;
  result: QualityResult;
}

/** A stable, readable key: `quality/v<report>/<app>/<backend>/<original>/<quantized>/<tokenizer>/<probes>/<texts>/t<threshold>`. */
export function cacheKey(p: CacheKeyParts): string {
  return [
    'quality',
    `v${REPORT_VERSION}`,
    appVersion,
    p.backend,
    p.original,
    p.quantized,
    p.tokenizer,
    [...p.probes].sort().join('+') || 'no-probes',
    p.userTexts,
    `t${p.threshold}`,
    ...(p.vector ? [p.vector] : []),
  ].join('/');
}

let store: UseStore | null = null;
const db = (): UseStore => (store ??= createStore('ava-quality', 'reports'));

function describe(e: unknown, doing: string): CacheError {
  const name = e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '';
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'QuotaExceededError' || /quota/i.test(message))
    return new CacheError(
      `Could not ${doing}: the browser's storage quota is full (${name || 'quota exceeded'}). Free some site data and re-run.`,
    );
  if (typeof indexedDB === 'undefined') return new CacheError(`Could not ${doing}: this browser has no IndexedDB (private mode?).`);
  return new CacheError(`Could not ${doing}: ${name ? `${name}: ` : ''}${message}`);
}

export async function loadCached(key: string): Promise<CachedResult | null> {
  try {
    const v = await get<CachedResult>(key, db());
    return v && v.key === key && v.result ? v : null;
  } catch (e) {
    throw describe(e, 'read the report cache');
  }
}

export async function storeCached(key: string, result: QualityResult): Promise<CachedResult> {
  const entry: CachedResult = { key, storedAt: new Date().toISOString(), appVersion, result };
  try {
    await set(key, entry, db());
  } catch (e) {
    throw describe(e, 'store the report in the browser cache');
  }
  return entry;
}

export async function dropCached(key: string): Promise<void> {
  try {
    await del(key, db());
  } catch (e) {
    throw describe(e, 'remove the cached report');
  }
}
