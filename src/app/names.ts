/**
 * What a model is called on the page: its card, its downloads, the history, the share page and the batch zip.
 * Every Hugging Face export is called `model.onnx`, so a file with such a generic name is named after the folder (or
 * repository) it came from; any other file keeps its own name. Pure (unit-tested in tests/app/names.test.ts).
 *
 *   modelName('all-MiniLM-L6-v2/onnx/model.onnx')  -> { title: 'all-MiniLM-L6-v2', base: 'all-MiniLM-L6-v2' }
 *   modelName('repo/onnx/model_qint8.onnx')        -> { title: 'repo (model_qint8)', base: 'repo_model_qint8' }
 *   modelName('models/hello_deepa.onnx')           -> { title: 'hello_deepa.onnx', base: 'hello_deepa' }
 *   modelName('model.onnx')                        -> { title: 'model.onnx', base: 'model' }
 *   outputFileFor('all-MiniLM-L6-v2', 'int8')      -> 'all-MiniLM-L6-v2-INT8.onnx'
 */
import { type ModeId, modeMeta } from '../core/modes/registry.js';

export interface ModelName {
  /** Shown as the card's title and in lists. */
  title: string;
  /** File-name safe stem for outputs ("<base>-INT8.onnx"). */
  base: string;
  /** The path the file was given with ("all-MiniLM-L6-v2/onnx/model.onnx"), or its name. */
  path: string;
}

/** Names exporters give every model (optimum, sentence-transformers, transformers.js variants of them). */
const GENERIC = /^(model|encoder_model|decoder_model|decoder_model_merged|decoder_with_past_model)([_.-][\w.+-]*)?$/i;
/** Folders that hold the ONNX files of a repository rather than name it. */
const HOLDER = /^(onnx|models?|export|exported|output|outputs|\.)$/i;

const segments = (p: string) =>
  p
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
/** Path separators and control characters never reach an output name (the browser sanitises the rest on download). */
const UNSAFE = /[\u0000-\u001f\u007f/\\]+/g;
const safe = (s: string) => s.replace(UNSAFE, '_').replace(/^[.\s]+|[.\s]+$/g, '') || 'model';

/** The name of the model in the file at `path` (a relative path as dropped or downloaded, or a bare file name). */
export function modelName(path: string): ModelName {
  const parts = segments(path);
  const file = parts.pop() ?? 'model.onnx';
  const stem = file.replace(/\.onnx$/i, '') || 'model';
  if (GENERIC.test(stem)) {
    const folder = [...parts].reverse().find((s) => !HOLDER.test(s));
    if (folder) {
      const variant = stem.toLowerCase() === 'model' ? null : stem;
      return {
        title: variant ? `${folder} (${variant})` : folder,
        base: safe(variant ? `${folder}_${variant}` : folder),
        path: parts.concat(file).join('/'),
      };
    }
  }
  return { title: file, base: safe(stem), path: parts.concat(file).join('/') };
}

/** "<base><mode suffix>.onnx": "all-MiniLM-L6-v2" + INT8 -> "all-MiniLM-L6-v2-INT8.onnx" (suffixes from each mode's meta). */
export function outputFileFor(base: string, mode: ModeId): string {
  return `${safe(base)}${modeMeta(mode).suffix}.onnx`;
}
