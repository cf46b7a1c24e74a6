/// <reference lib="webworker" />
// Thin comlink entry: File -> bytes -> parseModel -> INT8 / FP16 -> Blob (+ report). No DOM here.
import * as Comlink from 'comlink';
import { parseModel } from '../src/core/onnx/index.js';
import { hashBytes } from '../src/core/batch/hashing.js';
import { type ModeRequest, runMode } from '../src/core/modes.js';
import { TOOL } from '../src/app/share/tool.js';
import type { QuantizeProgress, QuantizeProgressCallback, QuantizeResult, QuantizeWorkerApi } from './quantize-protocol.js';
import { readFileWithProgress } from './read-file.js';
import { FileReadError, messageOf, transferableError } from './errors.js';

/** Errors whose name and message the page shows as they are (bad input or options), not as a bug. */
const USER_ERRORS = new Set(['OnnxFormatError', 'Int8Refusal', 'Fp16OptionError']);
const toTransferableError = (e: unknown) => transferableError(e, USER_ERRORS);


/** Sends progress at most every `ms` within a phase; phase changes and the end of a phase always go through. */
function throttled(cb: QuantizeProgressCallback | undefined, ms = 100): (p: QuantizeProgress) => void {
  let last = 0;
  let phase = '';
  return (p) => {
    if (!cb) return;
    const now = Date.now();
    if (p.phase === phase && p.fraction < 1 && now - last < ms) return;
    last = now;
    phase = p.phase;
    void cb(p);
  };
}

const api: QuantizeWorkerApi = {
  async quantize(file, externalFiles, request, onProgress) {
    const progress = throttled(onProgress);
    try {
      let bytes: Uint8Array;
      const external = new Map<string, Uint8Array>();
      try {
        bytes = await readFileWithProgress(file, (loaded, total) =>
          progress({ phase: 'reading', fraction: total ? loaded / total : 1, done: loaded, total }),
        );
        for (const f of externalFiles) external.set(f.name, new Uint8Array(await f.arrayBuffer()));
      } catch (e) {
        throw new FileReadError(`could not read the file: ${messageOf(e)}`);
      }
      // Awaited so "parsing" is on screen before the (synchronous) parse blocks this worker.
      await onProgress?.({ phase: 'parsing', fraction: 0 });
      const model = parseModel(bytes);

      // Where the output came from, recorded in its metadata (the CLI records the same fields).
      const { sha256 } = await hashBytes(bytes);
      const provenance = { source: { name: file.name, sha256 }, toolVersion: TOOL.version, date: request.date ?? new Date().toISOString() };
      const req: ModeRequest =
        request.mode === 'int8'
          ? { mode: 'int8', options: { ...request.options, provenance, ...(external.size ? { externalData: (loc: string) => external.get(loc) } : {}) } }
          : { mode: 'fp16', options: { ...request.options, provenance } };
      const phase = request.mode === 'int8' ? 'quantizing' : 'converting';
      const { parts, report, outputBytes: reported } = await runMode(model, req, (p) =>
        progress({ phase, fraction: p.fraction, ...(p.done !== undefined ? { done: p.done, total: p.total } : {}), ...(p.item ? { item: p.item } : {}) }),
      );

      progress({ phase: 'packaging', fraction: 0 });
      // The parts are views (many into the input file's bytes): the Blob copies them once, no big concatenation here.
      const outputBytes = parts.reduce((a, p) => a + p.byteLength, 0);
      const blob = new Blob(parts as Uint8Array<ArrayBuffer>[], { type: 'application/octet-stream' });
      if (blob.size !== outputBytes || reported !== outputBytes) {
        throw new Error(
          `internal error: output size mismatch (parts ${outputBytes} bytes, Blob ${blob.size}, report ${reported})`,
        );
      }
      progress({ phase: 'packaging', fraction: 1 });
      return { blob, report, outputBytes };
    } catch (e) {
      throw toTransferableError(e);
    } finally {
      // The callback arrives as a comlink proxy: release its MessagePort.
      const releasable = onProgress as unknown as { [Comlink.releaseProxy]?: () => void } | undefined;
      try {
        releasable?.[Comlink.releaseProxy]?.();
      } catch {
        /* already released */
      }
    }
  },
};

Comlink.expose(api);
