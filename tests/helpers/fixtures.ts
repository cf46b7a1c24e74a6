/** Typed access to the real-model fixtures fetched by `npm run fixtures`. */
import { readFileSync } from 'node:fs';
// @ts-expect-error plain ESM helper shared with scripts
import { fixturePath, fixturesOfKind, getFixture, loadManifest } from '../../scripts/fixtures-lib.mjs';

export interface Fixture {
  name: string;
  kind: string;
  source: string;
  license: string;
  path: string;
  sha256: string;
  bytes: number;
  tokenizer: string | null;
  extra?: Record<string, unknown>;
}

export const manifest = (): { fixtures: Fixture[] } => loadManifest();
export const fixture = (name: string): Fixture => getFixture(name);
export const ofKind = (kind: string): Fixture[] => fixturesOfKind(kind);
export const pathOf = (f: Fixture | string, rel?: string): string => fixturePath(f, rel);
export const bytesOf = (f: Fixture): Uint8Array => new Uint8Array(readFileSync(pathOf(f)));

export const MINILM = 'all-MiniLM-L6-v2';
/** Every real model except the single-op ONNX node tests. */
export const realModels = (): Fixture[] => manifest().fixtures.filter((f) => f.kind !== 'onnx-node-test');

/** Absolute paths of the ONNX backend-test models (libonnx-testdata: hundreds of single-op models). */
export const nodeTestModels = (): string[] => {
  const dir = ofKind('onnx-node-test')[0]!;
  return (dir.extra!.models as string[]).map((rel) => pathOf(dir, `${dir.path}/${rel}`));
};
