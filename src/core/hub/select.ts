/**
 * Which files of a repository make a loadable model: the `.onnx` files to offer (transformers.js / Optimum layout:
 * `onnx/model.onnx`, `onnx/model_quantized.onnx`, `onnx/model_fp16.onnx`, …, or a root `model.onnx`), the external-data
 * files each one probably has (`<file>_data`, `<file>.data`, Optimum's `model.onnx_data`), and the companions the
 * quality check uses (`tokenizer.json`, `tokenizer_config.json`, `config.json`, sentence-transformers'
 * `1_Pooling/config.json`). The external-data guess is only for sizes in the list: what is downloaded is what the
 * model's own `external_data` locations name (see plan.ts).
 */
import type { RepoFile } from './api.js';
import { HubError } from './errors.js';

export interface OnnxChoice {
  /** The model file (`onnx/model.onnx`). */
  model: RepoFile;
  /** Files beside it that look like its external data (by name); confirmed against the model after download. */
  dataFiles: RepoFile[];
  /** Tokenizer and pooling files for the quality check, nearest to the model (its folder, then upwards). */
  companions: RepoFile[];
  /** model + dataFiles + companions, bytes. */
  totalBytes: number;
}

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

/** The companion files, by path relative to a folder. */
export const COMPANION_FILES = ['tokenizer.json', 'tokenizer_config.json', 'config.json', '1_Pooling/config.json'] as const;

/** Does `name` (in the model's folder) look like external data of `modelBase` (`model.onnx`)? */
export function looksLikeDataFile(modelBase: string, name: string): boolean {
  const stem = modelBase.replace(/\.onnx$/i, '');
  const lower = name.toLowerCase();
  if (lower.endsWith('.onnx')) return false;
  for (const prefix of [modelBase, stem]) {
    const p = prefix.toLowerCase();
    if (
      lower.startsWith(`${p}_data`) ||
      lower.startsWith(`${p}.data`) ||
      lower.startsWith(`${p}.onnx_data`) ||
      lower.startsWith(`${p}.extra`)
    )
      return true;
  }
  return false;
}

/** Companions for the model at `modelPath`: for each name, the nearest copy at or above the model's folder. */
export function companionsFor(files: readonly RepoFile[], modelPath: string): RepoFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out: RepoFile[] = [];
  for (const name of COMPANION_FILES) {
    let dir: string | null = dirOf(modelPath);
    while (dir !== null) {
      const f = byPath.get(join(dir, name));
      if (f) {
        out.push(f);
        break;
      }
      dir = dir === '' ? null : dirOf(dir);
    }
  }
  return out;
}

/** Sort key: onnx/model.onnx first, then model.onnx at the root, then onnx/*, then the rest; by path within each. */
function rank(path: string): number {
  if (path === 'onnx/model.onnx') return 0;
  if (path === 'model.onnx') return 1;
  if (dirOf(path) === 'onnx') return 2;
  if (!path.includes('/')) return 3;
  return 4;
}

/** The `.onnx` files of a repository with their probable data files and companions, best default first. */
export function onnxChoices(files: readonly RepoFile[]): OnnxChoice[] {
  const models = files.filter((f) => /\.onnx$/i.test(f.path));
  models.sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  return models.map((model) => {
    const dir = dirOf(model.path);
    const base = baseOf(model.path);
    const dataFiles = files.filter((f) => f !== model && dirOf(f.path) === dir && looksLikeDataFile(base, baseOf(f.path)));
    const companions = companionsFor(files, model.path);
    const totalBytes = [model, ...dataFiles, ...companions].reduce((s, f) => s + f.size, 0);
    return { model, dataFiles, companions, totalBytes };
  });
}

/**
 * The choice to use without asking: `wanted` when given (a path in the repository; an error naming the available
 * files when it is not one), else `onnx/model.onnx`, `model.onnx`, or the only `.onnx` file. Returns null when the
 * user must pick (several files, none of them the default). Throws HubError('not-found') when there is no `.onnx` file.
 */
export function defaultChoice(choices: readonly OnnxChoice[], repoLabel: string, wanted?: string | null): OnnxChoice | null {
  if (choices.length === 0)
    throw new HubError(
      'not-found',
      `${repoLabel} has no .onnx file: it is not exported to ONNX (look for an "onnx" variant of the model, e.g. under Xenova/ or onnx-community/)`,
      { what: 'file' },
    );
  const list = () => choices.map((c) => c.model.path).join(', ');
  if (wanted) {
    const w = wanted.replace(/^\/+/, '');
    const hit = choices.find((c) => c.model.path === w);
    if (!hit) throw new HubError('not-found', `${repoLabel} has no file '${w}'; its .onnx files: ${list()}`, { what: 'file' });
    return hit;
  }
  const byPath = (p: string) => choices.find((c) => c.model.path === p);
  return byPath('onnx/model.onnx') ?? byPath('model.onnx') ?? (choices.length === 1 ? choices[0]! : null);
}
