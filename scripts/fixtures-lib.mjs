// Helpers for tests/benchmarks that use the real-model fixtures fetched by
// `npm run fixtures` (scripts/fixtures.mjs).
//
//   import { loadManifest, fixturePath, getFixture } from '../scripts/fixtures-lib.mjs';
//   const m = loadManifest();                       // throws "... run `npm run fixtures` ..." if missing
//   const minilm = getFixture('all-MiniLM-L6-v2');  // manifest entry
//   const onnxFile = fixturePath(minilm);           // absolute path
//
// The fixtures directory is $FIXTURES_DIR, or <repo>/.cache/fixtures by default.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** SHA-256 (lowercase hex) of a file, read as a stream in 4 MiB chunks. */
export async function sha256File(file) {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) h.update(chunk);
  return h.digest('hex');
}

/** Absolute path of the fixtures directory ($FIXTURES_DIR or <repo>/.cache/fixtures). */
export function fixturesDir() {
  const env = process.env.FIXTURES_DIR;
  return env ? path.resolve(env) : path.join(REPO_ROOT, '.cache', 'fixtures');
}

/** Absolute path of manifest.json. */
export function manifestPath() {
  return path.join(fixturesDir(), 'manifest.json');
}

/** True when the manifest exists (lets tests skip instead of failing, if they choose to). */
export function hasFixtures() {
  return existsSync(manifestPath());
}

/**
 * Read .cache/fixtures/manifest.json.
 * @returns {{generatedAt: string, root: string, fixtures: Array<{name: string, kind: string, source: string,
 *   license: string, path: string, sha256: string, bytes: number, tokenizer: string|null, extra: object}>}}
 */
export function loadManifest() {
  const p = manifestPath();
  if (!existsSync(p)) {
    throw new Error(`Fixture manifest not found at ${p}: run \`npm run fixtures\` first.`);
  }
  let m;
  try {
    m = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`Fixture manifest ${p} is unreadable (${e.message}): run \`npm run fixtures\` again.`, { cause: e });
  }
  if (!m || !Array.isArray(m.fixtures)) {
    throw new Error(`Fixture manifest ${p} has no "fixtures" list: run \`npm run fixtures\` again.`);
  }
  return m;
}

/** The manifest entry called `name`; throws if there is none. */
export function getFixture(name, manifest = loadManifest()) {
  const e = manifest.fixtures.find((f) => f.name === name);
  if (!e) {
    const names = manifest.fixtures.map((f) => f.name).join(', ');
    throw new Error(`No fixture named "${name}" in the manifest (have: ${names}).`);
  }
  return e;
}

/** Entries of a given kind ("text-embedding", "vision", "audio", "onnx-node-test", ...). */
export function fixturesOfKind(kind, manifest = loadManifest()) {
  return manifest.fixtures.filter((f) => f.kind === kind);
}

/** Absolute path of a fixture file: `fixturePath(entry)`, `fixturePath(entry, entry.tokenizer)` or `fixturePath('rel/path')`. */
export function fixturePath(entryOrRel, rel) {
  const r = rel ?? (typeof entryOrRel === 'string' ? entryOrRel : entryOrRel.path);
  return path.join(fixturesDir(), r);
}
