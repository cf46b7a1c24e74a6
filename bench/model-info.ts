/**
 * What the bench needs to know about a model file on disk (bench/onnx-scan.ts reads only the tensor headers):
 *   await modelInfo('/x/model.onnx') -> { initializers, largestTensorBytes, externalFiles: ['model.onnx_data', ...],
 *                                          modelBytes, externalBytes, totalBytes }
 * externalFiles are relative to the model's folder; externalBytes sums their sizes on disk.
 * Throws on a file that is not an ONNX model, and when a named external data file is not next to the model.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { scanModel, type ScanResult } from './onnx-scan.js';

export interface ModelInfo extends ScanResult {
  modelBytes: number;
  externalBytes: number;
  totalBytes: number;
}

export async function modelInfo(file: string): Promise<ModelInfo> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const scan = await scanModel(async (pos, n) => {
      const out = new Uint8Array(n);
      if (readSync(fd, out, 0, n, pos) !== n) throw new Error(`unexpected end of ${file} at byte ${pos}`);
      return out;
    }, size);
    const dir = dirname(file);
    let externalBytes = 0;
    for (const loc of scan.externalFiles) {
      if (!existsSync(join(dir, loc))) throw new Error(`the external data file '${loc}' it names is not next to it`);
      externalBytes += statSync(join(dir, loc)).size;
    }
    return { ...scan, modelBytes: size, externalBytes, totalBytes: size + externalBytes };
  } finally {
    closeSync(fd);
  }
}
