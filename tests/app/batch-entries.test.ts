import { describe, expect, it } from 'vitest';
import {
  collectFiles,
  fileNameOf,
  folderOf,
  FolderReadError,
  pickedFiles,
  takeDropped,
  type EntryLike,
} from '../../src/app/batch/entries.js';

const file = (name: string, text = name) => new File([text], name);

function fileEntry(name: string, fullPath?: string): EntryLike {
  return { isFile: true, isDirectory: false, name, ...(fullPath ? { fullPath } : {}), file: (ok) => setTimeout(() => ok(file(name)), 0) };
}

/** A directory whose reader hands out `perCall` entries per readEntries call, like Chromium's 100. */
function dirEntry(name: string, children: EntryLike[], perCall = 1, fullPath?: string): EntryLike {
  return {
    isFile: false,
    isDirectory: true,
    name,
    ...(fullPath ? { fullPath } : {}),
    createReader() {
      let i = 0;
      return {
        readEntries(ok) {
          const batch = children.slice(i, i + perCall);
          i += batch.length;
          setTimeout(() => ok(batch), 0);
        },
      };
    },
  };
}

describe('folder drops', () => {
  it('walks folders recursively, reading every batch, in name order, with relative paths', async () => {
    const tree = dirEntry(
      'models',
      [fileEntry('b.onnx'), dirEntry('sub', [fileEntry('c.onnx'), fileEntry('tokenizer.json')], 1), fileEntry('a.onnx')],
      2,
      '/models',
    );
    const got = await collectFiles({ entries: [tree, fileEntry('top.onnx', '/top.onnx')], files: [] });
    expect(got.map((p) => p.path)).toEqual([
      'models/a.onnx',
      'models/b.onnx',
      'models/sub/c.onnx',
      'models/sub/tokenizer.json',
      'top.onnx',
    ]);
    expect(await got[0]!.file.text()).toBe('a.onnx');
  });

  it('takes entries when every item has one, else the plain files', () => {
    const entry = fileEntry('x.onnx');
    const withEntries = takeDropped({ items: [{ kind: 'file', webkitGetAsEntry: () => entry }], files: [file('x.onnx')] });
    expect(withEntries).toEqual({ entries: [entry], files: [] });
    const synthetic = takeDropped({
      items: [{ kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => file('y.onnx') }],
      files: [file('y.onnx')],
    });
    expect(synthetic.entries).toEqual([]);
    expect(synthetic.files.map((f) => f.name)).toEqual(['y.onnx']);
    expect(takeDropped({ items: [{ kind: 'string' }], files: [] })).toEqual({ entries: [], files: [] });
    expect(takeDropped(null)).toEqual({ entries: [], files: [] });
  });

  it('names the folder it could not list, and stops at the file and depth limits', async () => {
    const broken: EntryLike = {
      isFile: false,
      isDirectory: true,
      name: 'locked',
      createReader: () => ({ readEntries: (_ok, err) => err?.(new DOMException('permission denied', 'NotReadableError')) }),
    };
    await expect(collectFiles({ entries: [dirEntry('m', [broken])], files: [] })).rejects.toThrow(
      /could not list the folder "m\/locked": permission denied/,
    );
    const many = dirEntry('m', [fileEntry('1'), fileEntry('2'), fileEntry('3')], 100);
    await expect(collectFiles({ entries: [many], files: [] }, { maxFiles: 2 })).rejects.toBeInstanceOf(FolderReadError);
    const loop: EntryLike = { isFile: false, isDirectory: true, name: 'loop', createReader: () => ({ readEntries: (ok) => ok([]) }) };
    let deep: EntryLike = loop;
    for (let i = 0; i < 5; i++) deep = dirEntry(`d${i}`, [deep], 100);
    await expect(collectFiles({ entries: [deep], files: [] }, { maxDepth: 3 })).rejects.toThrow(/nest deeper than 3/);
  });

  it('reads folder-picker paths and splits paths', () => {
    const f = file('a.onnx');
    Object.defineProperty(f, 'webkitRelativePath', { value: 'dir/sub/a.onnx' });
    expect(pickedFiles([f, file('b.onnx')]).map((p) => p.path)).toEqual(['dir/sub/a.onnx', 'b.onnx']);
    expect(folderOf('dir/sub/a.onnx')).toBe('dir/sub');
    expect(folderOf('a.onnx')).toBe('');
    expect(fileNameOf('dir/sub/a.onnx')).toBe('a.onnx');
  });
});
