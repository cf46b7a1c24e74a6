/**
 * A model and the files that came with it (external data, tokenizer, …), and how an external-data `location`
 * finds its file. The rules follow onnx's `external_data_helper` / `onnx.checker`: a location is a path relative to
 * the model file's folder; absolute paths and paths that leave the folder are refused.
 */
import type { ByteSource } from './source.js';

/** A model file plus its siblings, keyed by their path relative to the model's folder ('/'-separated). */
export interface ModelFiles {
  model: ByteSource;
  siblings: ReadonlyMap<string, ByteSource>;
}

export type Resolution = { source: ByteSource; path: string } | { problem: string };

/** Normalises a location: '\\' -> '/', leading './' removed, repeated '/' collapsed. */
export function normalizeLocation(location: string): string {
  return location
    .replace(/\\/g, '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^(\.\/)+/, '');
}

/**
 * Why an external-data location is refused outright (absolute, or outside the model's folder), or null.
 * Source of the rule: onnx/external_data_helper.py `_open_external_data_fd` and onnx.checker's external-data check.
 */
export function locationProblem(location: string): string | null {
  if (!location) return 'names no file (empty location)';
  const n = normalizeLocation(location);
  if (n.startsWith('/') || /^[a-zA-Z]:/.test(n) || location.startsWith('\\\\'))
    return `refers to an absolute path ('${location}'); external data must be a path relative to the model's folder (refused)`;
  if (n.split('/').some((seg) => seg === '..')) return `points outside the model's folder ('${location}') (refused)`;
  if (n.includes('\0')) return `has a NUL character in its location (refused)`;
  return null;
}

/**
 * Finds the file an external-data `location` names among the model's siblings: the exact relative path first, else
 * the only sibling with the same base name (files dropped without their folder). Never throws.
 */
export function resolveExternal(location: string, siblings: ReadonlyMap<string, ByteSource>): Resolution {
  const problem = locationProblem(location);
  if (problem) return { problem };
  const path = normalizeLocation(location);
  const found = (source: ByteSource, p: string): Resolution =>
    source.refused ? { problem: `'${location}' ${source.refused}` } : { source, path: p };
  const exact = siblings.get(path);
  if (exact) return found(exact, path);
  const base = path.split('/').pop()!;
  const byBase = [...siblings.entries()].filter(([p]) => p.split('/').pop() === base);
  if (new Set(byBase.map(([, s]) => s)).size === 1) return found(byBase[0]![1], byBase[0]![0]);
  if (byBase.length > 1)
    return {
      problem: `'${location}' matches several files given (${byBase.map(([p]) => p).join(', ')}); give the model's folder as it is`,
    };
  return { problem: `'${location}' was not provided: give it together with the model (same folder)` };
}

/**
 * The siblings of a model among files given together (a drop, a folder, a download): files under the model's
 * folder keyed by their path relative to it, every other file by its base name (it may have been dropped without
 * its folder). `path` of each file is its relative path as given ('repo/onnx/model.onnx', or just the name).
 */
export function siblingsOf(modelPath: string, files: readonly { path: string; source: ByteSource }[]): Map<string, ByteSource> {
  const norm = (p: string) => normalizeLocation(p);
  const model = norm(modelPath);
  const dir = model.includes('/') ? model.slice(0, model.lastIndexOf('/') + 1) : '';
  const out = new Map<string, ByteSource>();
  for (const f of files) {
    const p = norm(f.path);
    if (p === model) continue;
    if (dir && p.startsWith(dir)) out.set(p.slice(dir.length), f.source);
    else if (!dir && !p.includes('/')) out.set(p, f.source);
  }
  for (const f of files) {
    const p = norm(f.path);
    const base = p.split('/').pop()!;
    if (p !== model && !out.has(base)) out.set(base, f.source);
  }
  return out;
}
