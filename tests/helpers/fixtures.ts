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
/**
 * Every real model except the single-op ONNX node tests and the external-data copies of all-MiniLM-L6-v2 (the same
 * weights as all-MiniLM-L6-v2; use `externalDataModels()` for them).
 */
export const realModels = (): Fixture[] => manifest().fixtures.filter((f) => f.kind !== 'onnx-node-test' && f.kind !== EXTERNAL_DATA_KIND);

/** Kind of the fixtures whose weights live in ONNX external data files next to model.onnx. */
export const EXTERNAL_DATA_KIND = 'text-embedding-external-data';

/**
 * all-MiniLM-L6-v2 re-saved by the onnx package with external data: `all-MiniLM-L6-v2-external` (model.onnx +
 * one model.onnx_data) and `all-MiniLM-L6-v2-external-per-tensor` (one file per tensor). `extra.externalData` lists
 * each data file as { location, bytes, sha256 } (location relative to model.onnx's folder); `extra.totalBytes`
 * counts model.onnx and its data.
 */
export const externalDataModels = (): Fixture[] => ofKind(EXTERNAL_DATA_KIND);

/** Absolute paths of the ONNX backend-test models (libonnx-testdata: hundreds of single-op models). */
export const nodeTestModels = (): string[] => {
  const dir = ofKind('onnx-node-test')[0]!;
  return (dir.extra!.models as string[]).map((rel) => pathOf(dir, `${dir.path}/${rel}`));
};
