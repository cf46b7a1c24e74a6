// The SYNTHETIC benchmark models made by `npm run synthetic` (scripts/synthetic.mjs): real architectures and
// shapes, seeded random weights, never committed. They live in $SYNTHETIC_DIR (default <repo>/.cache/synthetic)
// with a manifest.json:
//   { generatedAt, root, models: [{ name, synthetic: true, like, architecture, config, seed, layout, path,
//       files: [{ path, bytes, sha256 }], totalBytes, largestTensorBytes, parameters, initializers,
//       seconds, secondsDetail, recipeSha256 }] }
// `path` (the model.onnx) and files[].path are relative to the root; layout is 'single-file',
// 'external-one-file' (model.onnx + model.onnx_data) or 'external-per-tensor' (model.onnx + one file per tensor).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './fixtures-lib.mjs';

/** Absolute path of the synthetic models' directory ($SYNTHETIC_DIR or <repo>/.cache/synthetic). */
export function syntheticDir() {
  const env = process.env.SYNTHETIC_DIR;
  return env ? path.resolve(env) : path.join(REPO_ROOT, '.cache', 'synthetic');
}

/** The manifest, or an empty one when no model was made yet. */
export function loadSynthetic() {
  const file = path.join(syntheticDir(), 'manifest.json');
  if (!existsSync(file)) return { generatedAt: null, root: syntheticDir(), models: [] };
  const m = JSON.parse(readFileSync(file, 'utf8'));
  if (!m || !Array.isArray(m.models)) throw new Error(`${file} has no "models" list: run \`npm run synthetic\` again.`);
  return m;
}
