/**
 * The bench page (bench/browser.html, driven by bench/browser.ts). The model and its external data files are picked
 * from disk into <input id="files"> (Playwright setInputFiles with paths, so they are real disk-backed Files), then:
 *   window.benchCase('floor', name)  read every File in 16 MiB slices and write the bytes to a file in the
 *                                    origin-private file system (OPFS): the least any mode costs in this runtime.
 *   window.benchCase('int8' | 'fp16', name)
 *                                    the app's own quantize worker through its bridge (src/app/quantize-bridge.ts),
 *                                    with the request the quantize panel sends by default (buildRequest(mode,
 *                                    initialForms()[mode])), then, when the worker hands back an in-memory Blob
 *                                    rather than a disk-backed File, that Blob written to OPFS (as the floor writes).
 *   -> { ms, quantizeMs?, saveMs?, outBytes, outExternalFiles? } or { error } (the error's one-line message);
 *      outExternalFiles: the external data files the output names (bench/onnx-scan.ts, after the clock stops).
 * window.benchWarmup(mode) runs the worker once on the small model in <input id="warm">, so that starting the worker
 * and loading its modules is not timed.
 */
import { QuantizeBridge } from '../src/app/quantize-bridge.js';
import { buildRequest, initialForms } from '../src/app/quantize-options.js';
import { scanModel } from './onnx-scan.js';
import { removeJobFiles } from '../src/app/output-files.js';

const SLICE = 16 << 20;
const bridge = new QuantizeBridge(60 * 60_000);

type Mode = 'floor' | 'int8' | 'fp16';
interface CaseResult {
  ms?: number;
  quantizeMs?: number;
  saveMs?: number;
  outBytes?: number;
  outExternalFiles?: string[];
  error?: string;
}

function request(mode: 'int8' | 'fp16') {
  const built = buildRequest(mode, initialForms()[mode]);
  if (!built.ok) throw new Error(built.error);
  return built.request;
}

function picked(id: string): File[] {
  return [...((document.getElementById(id) as HTMLInputElement).files ?? [])];
}

/** Writes to a fresh OPFS file; returns the bytes written. The file is removed afterwards (not timed by callers). */
async function writeOpfs(name: string, write: (w: FileSystemWritableFileStream) => Promise<number>): Promise<number> {
  const root = await navigator.storage.getDirectory();
  const handle = await root.getFileHandle(name, { create: true });
  const w = await handle.createWritable();
  let n: number;
  try {
    n = await write(w);
    await w.close();
  } catch (e) {
    await w.abort().catch(() => undefined);
    throw e;
  }
  return n;
}

async function removeOpfs(name: string): Promise<void> {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(name).catch(() => undefined);
}

const oneLine = (e: unknown) => `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`.split('\n')[0]!;

async function benchCase(mode: Mode, modelName: string): Promise<CaseResult> {
  const files = picked('files');
  const model = files.find((f) => f.name === modelName);
  if (!model) return { error: `no picked file is called ${modelName}` };
  const external = files.filter((f) => f !== model);
  try {
    const t0 = performance.now();
    if (mode === 'floor') {
      const outBytes = await writeOpfs('floor.bin', async (w) => {
        let n = 0;
        for (const f of [model, ...external]) {
          for (let a = 0; a < f.size; a += SLICE) {
            const buf = await f.slice(a, Math.min(f.size, a + SLICE)).arrayBuffer();
            await w.write(buf);
            n += buf.byteLength;
          }
        }
        return n;
      });
      const ms = performance.now() - t0;
      await removeOpfs('floor.bin');
      return { ms, outBytes };
    }
    const jobId = `bench-${Date.now().toString(36)}`;
    const r = await bridge.quantize(model, external, { ...request(mode), output: { name: `out-${mode}.onnx`, jobId } });
    const quantizeMs = performance.now() - t0;
    let saveMs = 0;
    if (!(r.blob instanceof File)) {
      const t1 = performance.now();
      await writeOpfs('out.onnx', async (w) => {
        await w.write(r.blob);
        return r.blob.size;
      });
      saveMs = performance.now() - t1;
    }
    const ms = performance.now() - t0;
    await removeOpfs('out.onnx');
    // Not timed: which external data files the output names (it must name none, being one file).
    const { externalFiles } = await scanModel(
      async (pos, n) => new Uint8Array(await r.blob.slice(pos, pos + n).arrayBuffer()),
      r.blob.size,
    );
    await removeJobFiles(jobId);
    return { ms, quantizeMs, saveMs, outBytes: r.outputBytes, outExternalFiles: externalFiles };
  } catch (e) {
    return { error: oneLine(e) };
  }
}

async function benchWarmup(mode: 'int8' | 'fp16'): Promise<CaseResult> {
  const [file] = picked('warm');
  if (!file) return { error: 'no warm-up model picked' };
  try {
    await bridge.quantize(file, [], request(mode));
    return {};
  } catch (e) {
    return { error: oneLine(e) };
  }
}

Object.assign(window, { benchCase, benchWarmup });
document.body.dataset.ready = '1';
