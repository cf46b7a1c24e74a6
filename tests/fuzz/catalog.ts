/**
 * The fuzz suite's base models: the real fixtures (pinned by sha256 in .cache/fixtures/manifest.json), grouped by
 * cost so a bounded run spends most of its cases on cheap bases and still reaches the big ones.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { manifest, pathOf } from '../helpers/fixtures.js';
import type { Catalog, Tier } from './cases.js';

const NODE_PREFIX = 'node:';

/** Every base model id by tier, from the fixtures manifest (ids: fixture names, or `node:<path>` for node tests). */
export function fixtureCatalog(): Catalog & { sha256(id: string): string } {
  const fixtures = manifest().fixtures;
  const tiers: Record<Tier, string[]> = { 'node-test': [], small: [], medium: [], large: [] };
  const paths = new Map<string, string>();
  for (const f of [...fixtures].sort((a, b) => a.name.localeCompare(b.name))) {
    if (f.kind === 'onnx-node-test') {
      for (const rel of [...((f.extra?.models as string[]) ?? [])].sort()) {
        const id = NODE_PREFIX + rel;
        tiers['node-test'].push(id);
        paths.set(id, pathOf(f, `${f.path}/${rel}`));
      }
      continue;
    }
    // Models whose weights live in a separate file are left out: the external-data families make their own.
    if (!/\.onnx$/i.test(f.path) || /external/.test(f.kind)) continue;
    const tier: Tier = f.bytes < 3 << 20 ? 'small' : f.bytes < 16 << 20 ? 'medium' : 'large';
    tiers[tier].push(f.name);
    paths.set(f.name, pathOf(f));
  }
  const cache = new Map<string, Uint8Array>();
  const load = (id: string): Uint8Array => {
    let b = cache.get(id);
    if (!b) {
      const p = paths.get(id);
      if (!p) throw new Error(`no fuzz base model '${id}' in the fixtures (run \`npm run fixtures\`)`);
      b = new Uint8Array(readFileSync(p));
      cache.set(id, b);
    }
    return b;
  };
  return {
    tiers,
    load,
    sha256: (id) => createHash('sha256').update(load(id)).digest('hex'),
  };
}
