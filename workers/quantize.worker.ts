/// <reference lib="webworker" />
// Thin comlink entry: File -> bytes -> parseModel -> INT8 / FP16 -> Blob (+ report). No DOM here.
import * as Comlink from 'comlink';
import { openModel } from '../src/core/onnx/open.js';
import { blobSource } from '../src/core/io/source.js';
import { writePieces } from '../src/core/io/write.js';
import { hashBytes } from '../src/core/batch/hashing.js';
import { type ModeRequest, runMode } from '../src/core/modes.js';
import { TOOL } from '../src/app/share/tool.js';
import type { QuantizeProgress, QuantizeProgressCallback, QuantizeResult, QuantizeWorkerApi } from './quantize-protocol.js';
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
      // The model is opened by streaming: its structure is read, tensor payloads stay in the File (read by slices).
      const siblings = new Map(externalFiles.map((f) => [f.webkitRelativePath ? f.webkitRelativePath.split('/').slice(1).join('/') || f.name : f.name, blobSource(f)] as const));
      let opened;
      try {
        opened = await openModel({ model: blobSource(file), siblings }, { onProgress: (done, total) => progress({ phase: 'reading', fraction: total ? done / total : 1, done, total }) });
      } catch (e) {
        if ((e as Error).name === 'OnnxFormatError') throw e;
        throw new FileReadError(`could not read the file: ${messageOf(e)}`);
      }
      await onProgress?.({ phase: 'parsing', fraction: 1 });
      const model = opened.model;

      // Where the output came from, recorded in its metadata (the CLI records the same fields); hashed beside the work.
      const sha256 = hashBytes(file).then((d) => d.sha256);
      sha256.catch(() => undefined);
      const provenance = { source: { name: file.name, sha256 }, toolVersion: TOOL.version, date: request.date ?? new Date().toISOString() };
      const req: ModeRequest =
        request.mode === 'int8' ? { mode: 'int8', options: { ...request.options, provenance } } : { mode: 'fp16', options: { ...request.options, provenance } };
      const phase = request.mode === 'int8' ? 'quantizing' : 'converting';
      const { parts, outputBytes: reported, report } = await runMode(model, req);

      // Written piece by piece: slices of the input stay File slices, computed tensors are copied into the Blob.
      const chunks: BlobPart[] = [];
      const t0 = Date.now();
      await writePieces(parts, {
        write: (c) => {
          chunks.push(c.slice());
          return Promise.resolve();
        },
      }, { onProgress: (done, total, item) => progress({ phase, fraction: total ? done / total : 1, done, total, ...(item ? { item } : {}) }) });
      if (report.mode === 'int8') report.durationMs = Date.now() - t0;
      else report.timeMs = Date.now() - t0;
      progress({ phase: 'packaging', fraction: 0 });
      const blob = new Blob(chunks, { type: 'application/octet-stream' });
      const outputBytes = blob.size;
      if (reported !== outputBytes) {
        throw new Error(`internal error: output size mismatch (Blob ${blob.size}, report ${reported})`);
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
