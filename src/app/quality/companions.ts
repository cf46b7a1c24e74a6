/**
 * Finds a model's tokenizer files among the files dropped with it: `tokenizer.json`, `tokenizer_config.json` and
 * sentence-transformers' `1_Pooling/config.json`. Works for a flat drop (the files side by side) and for a folder laid
 * out like a Hugging Face repository (`onnx/model.onnx`, `tokenizer.json`, `1_Pooling/config.json`), using the
 * files' relative paths (`webkitRelativePath`, set by folder pickers and by the drop zone for dropped folders).
 */

export interface Companions {
  tokenizerJson: File | null;
  tokenizerConfig: File | null;
  pooling: File | null;
}

export const NO_COMPANIONS: Companions = { tokenizerJson: null, tokenizerConfig: null, pooling: null };

/**
 * A file that belongs to a model without being one: its tokenizer, tokenizer config, sentence-transformers pooling
 * config, special tokens map or vocabulary. Dropped on its own after the model, it joins the model's card.
 */
export function isCompanion(f: File): boolean {
  const base = f.name.toLowerCase();
  return [
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'vocab.txt',
    'config.json',
    'sentence_bert_config.json',
    'modules.json',
  ].includes(base);
}

/** The path a file was dropped with ("repo/onnx/model.onnx"), or just its name. */
export function pathOf(f: File): string {
  const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
  return (rel && rel.length ? rel : f.name).replace(/\\/g, '/').replace(/^\/+/, '');
}

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** How far up from `dir` the folder `ancestor` is (0 = same folder), or -1 when it is not an ancestor. */
function distance(dir: string, ancestor: string): number {
  if (ancestor === dir) return 0;
  if (ancestor !== '' && !dir.startsWith(`${ancestor}/`)) return -1;
  const rest = ancestor === '' ? dir : dir.slice(ancestor.length + 1);
  return rest === '' ? 0 : rest.split('/').length;
}

/** The candidate in the nearest folder at or above `dir` (ties: the first dropped). */
function nearest(files: File[], dir: string, name: (base: string, path: string) => boolean): File | null {
  let best: File | null = null;
  let bestD = Infinity;
  for (const f of files) {
    const p = pathOf(f);
    if (!name(baseOf(p).toLowerCase(), p)) continue;
    const d = distance(dir, dirOf(p));
    if (d >= 0 && d < bestD) {
      best = f;
      bestD = d;
    }
  }
  return best;
}

async function looksLikePooling(f: File): Promise<boolean> {
  if (f.size > 64 * 1024) return false;
  try {
    const v: unknown = JSON.parse(await f.text());
    return !!v && typeof v === 'object' && Object.keys(v).some((k) => k.startsWith('pooling_mode_'));
  } catch {
    return false;
  }
}

/** The tokenizer files for `model` among `others` (the rest of the drop). */
export async function findCompanions(model: File, others: readonly File[]): Promise<Companions> {
  const files = others.filter((f) => f !== model && /\.json$/i.test(f.name));
  const modelDir = dirOf(pathOf(model));
  // A repo keeps the model in onnx/ and the tokenizer at the root: search from the model's folder upwards.
  const tokenizerJson = nearest(files, modelDir, (b) => b === 'tokenizer.json');
  const root = tokenizerJson ? dirOf(pathOf(tokenizerJson)) : modelDir;
  const tokenizerConfig =
    nearest(files, root, (b) => b === 'tokenizer_config.json') ?? nearest(files, modelDir, (b) => b === 'tokenizer_config.json');
  // 1_Pooling/config.json by path (the 1_Pooling folder sits beside the tokenizer, or above the model);
  // a bare config.json (flat drop) only when its keys are pooling_mode_*.
  let pooling: File | null = null;
  let bestD = Infinity;
  for (const f of files) {
    const p = pathOf(f);
    if (!/(^|\/)1_Pooling\/config\.json$/i.test(p)) continue;
    const holder = dirOf(dirOf(p));
    const d = Math.min(...[distance(root, holder), distance(modelDir, holder)].map((x) => (x < 0 ? Infinity : x)));
    if (d < bestD) {
      pooling = f;
      bestD = d;
    }
  }
  if (!pooling) {
    for (const f of files) {
      if (f.name.toLowerCase() === 'config.json' && !pathOf(f).includes('/') && (await looksLikePooling(f))) {
        pooling = f;
        break;
      }
    }
  }
  return { tokenizerJson, tokenizerConfig, pooling };
}

/** A copy of `file` that carries `path` as its webkitRelativePath (for files read from a dropped folder). */
export function withRelativePath(file: File, path: string): File {
  try {
    Object.defineProperty(file, 'webkitRelativePath', { value: path, configurable: true });
  } catch {
    /* leave it: the name is still there */
  }
  return file;
}

interface EntryLike {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath: string;
}
interface FileEntryLike extends EntryLike {
  file(ok: (f: File) => void, fail: (e: unknown) => void): void;
}
interface DirEntryLike extends EntryLike {
  createReader(): { readEntries(ok: (e: EntryLike[]) => void, fail: (e: unknown) => void): void };
}

/**
 * The files of a drop, folders walked recursively, each carrying its path in the drop ("repo/onnx/model.onnx").
 * Must be called synchronously inside the drop handler (the browser empties the DataTransfer afterwards).
 */
export function filesFromDrop(dt: DataTransfer): Promise<File[]> {
  const entries: EntryLike[] = [];
  const plain = Array.from(dt.files);
  for (const item of Array.from(dt.items ?? [])) {
    const entry = (item as DataTransferItem & { webkitGetAsEntry?: () => EntryLike | null }).webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  if (!entries.some((e) => e.isDirectory)) return Promise.resolve(plain);
  const walk = async (e: EntryLike): Promise<File[]> => {
    if (e.isFile) {
      const f = await new Promise<File>((ok, fail) => (e as FileEntryLike).file(ok, fail));
      return [withRelativePath(f, e.fullPath.replace(/^\/+/, ''))];
    }
    if (!e.isDirectory) return [];
    const reader = (e as DirEntryLike).createReader();
    const out: File[] = [];
    // readEntries returns the children in chunks (100 in Chromium) until it gives an empty list.
    for (;;) {
      const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
      if (batch.length === 0) break;
      for (const child of batch) out.push(...(await walk(child)));
    }
    return out;
  };
  // A folder that cannot be read (permissions, a vanished file) falls back to the plain file list.
  return Promise.all(entries.map(walk))
    .then((lists) => lists.flat())
    .catch(() => plain);
}
