/**
 * Files from a drop or a picker, with their relative paths: a dropped folder is walked recursively through
 * `DataTransferItem.webkitGetAsEntry()` (FileSystemDirectoryEntry.createReader().readEntries(), called until it
 * returns nothing, as Chromium hands out 100 entries per call); a folder picker (`<input webkitdirectory>`) gives
 * `File.webkitRelativePath`.
 *
 *   takeDropped(dataTransfer) -> DroppedItems       (synchronous: call it inside the drop handler, the items are
 *                                                    gone once the handler returns)
 *   collectFiles(items, { maxFiles, maxDepth }) -> Promise<PickedFile[]>   (walks folders; throws FolderReadError)
 *   pickedFiles(fileList) -> PickedFile[]          (from an <input type=file>, with or without webkitdirectory)
 *
 * Entry types are structural so tests can pass plain objects.
 */

export interface PickedFile {
  file: File;
  /** '/'-separated path relative to what was dropped / picked ("models/a.onnx"), or the file name. */
  path: string;
}

export interface FileEntryLike {
  isFile: true;
  isDirectory: false;
  name: string;
  fullPath?: string;
  file(success: (f: File) => void, error?: (e: unknown) => void): void;
}

export interface DirectoryReaderLike {
  readEntries(success: (entries: EntryLike[]) => void, error?: (e: unknown) => void): void;
}

export interface DirectoryEntryLike {
  isFile: false;
  isDirectory: true;
  name: string;
  fullPath?: string;
  createReader(): DirectoryReaderLike;
}

export type EntryLike = FileEntryLike | DirectoryEntryLike;

/** What a drop carried: filesystem entries where the browser gives them, else plain Files. */
export interface DroppedItems {
  entries: EntryLike[];
  files: File[];
}

export class FolderReadError extends Error {
  override name = 'FolderReadError';
}

export const MAX_FILES = 10_000;
const MAX_DEPTH = 32;

interface ItemLike {
  kind: string;
  webkitGetAsEntry?: () => unknown;
  getAsFile?: () => File | null;
}

/** Reads what a drop carries. Must run synchronously inside the drop handler. */
export function takeDropped(dt: { items?: ArrayLike<ItemLike> | null; files?: ArrayLike<File> | null } | null | undefined): DroppedItems {
  const entries: EntryLike[] = [];
  const files: File[] = [];
  const items = dt?.items ? Array.from(dt.items) : [];
  let allEntries = items.length > 0;
  for (const it of items) {
    if (it.kind !== 'file') continue;
    const entry = typeof it.webkitGetAsEntry === 'function' ? (it.webkitGetAsEntry() as EntryLike | null) : null;
    if (entry) entries.push(entry);
    else {
      allEntries = false;
      const f = it.getAsFile?.();
      if (f) files.push(f);
    }
  }
  if (allEntries && entries.length) return { entries, files: [] };
  // No entries (a synthetic drop, an old browser): the plain file list, without folders.
  if (!entries.length) return { entries: [], files: dt?.files ? Array.from(dt.files) : files };
  return { entries, files };
}

const trimSlashes = (p: string): string => p.replace(/^\/+/, '').replace(/\/+$/, '');

function readAll(reader: DirectoryReaderLike, where: string): Promise<EntryLike[]> {
  return new Promise((resolve, reject) => {
    const out: EntryLike[] = [];
    const next = (): void => {
      reader.readEntries(
        (batch) => {
          if (!batch.length) resolve(out);
          else {
            out.push(...batch);
            next();
          }
        },
        (e) => reject(new FolderReadError(`could not list the folder ${JSON.stringify(where)}: ${errorText(e)}`)),
      );
    };
    next();
  });
}

function fileOf(entry: FileEntryLike, where: string): Promise<File> {
  return new Promise((resolve, reject) =>
    entry.file(resolve, (e) => reject(new FolderReadError(`could not read ${JSON.stringify(where)}: ${errorText(e)}`))),
  );
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e && typeof (e as { message: unknown }).message === 'string')
    return (e as Error).message || 'unknown error';
  return String(e);
}

/**
 * All files under the dropped entries (folders walked depth-first, entries sorted by name for a stable order),
 * then the plain files. Throws FolderReadError when a folder cannot be listed, there are more than `maxFiles`
 * files, or folders nest deeper than `maxDepth` (a link loop).
 */
export async function collectFiles(items: DroppedItems, opts: { maxFiles?: number; maxDepth?: number } = {}): Promise<PickedFile[]> {
  const maxFiles = opts.maxFiles ?? MAX_FILES;
  const maxDepth = opts.maxDepth ?? MAX_DEPTH;
  const out: PickedFile[] = [];
  const push = (p: PickedFile): void => {
    if (out.length >= maxFiles)
      throw new FolderReadError(`too many files (more than ${maxFiles.toLocaleString('en-US')}): drop a smaller folder`);
    out.push(p);
  };
  const walk = async (entry: EntryLike, parent: string, depth: number): Promise<void> => {
    const path = parent ? `${parent}/${entry.name}` : entry.name;
    if (entry.isFile) {
      push({ file: await fileOf(entry, path), path });
      return;
    }
    if (!entry.isDirectory) return;
    if (depth >= maxDepth) throw new FolderReadError(`folders nest deeper than ${maxDepth} levels at ${JSON.stringify(path)}`);
    const children = await readAll(entry.createReader(), path);
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const c of children) await walk(c, path, depth + 1);
  };
  for (const e of items.entries) {
    // fullPath of a top-level entry is "/name": the parent is the drop itself.
    const parent = e.fullPath ? trimSlashes(e.fullPath).split('/').slice(0, -1).join('/') : '';
    await walk(e, parent, 0);
  }
  for (const f of items.files) push({ file: f, path: f.name });
  return out;
}

/** Files from an <input type=file> (a folder picker fills webkitRelativePath). */
export function pickedFiles(list: ArrayLike<File> | null | undefined): PickedFile[] {
  return Array.from(list ?? []).map((file) => {
    const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath;
    return { file, path: rel ? trimSlashes(rel) : file.name };
  });
}

/** The folder part of a relative path ('' at the top). */
export function folderOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** The file-name part of a relative path. */
export function fileNameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
