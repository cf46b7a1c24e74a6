/** Runs one benchmark case in the page: window.benchCase(mode, url) -> { ms, inBytes, outBytes }. */
import { parseModel } from '../src/core/onnx/index.js';
import { quantizeInt8 } from '../src/core/int8/quantize.js';
import { convertFp16 } from '../src/core/fp16/index.js';

async function benchCase(mode: string, url: string): Promise<{ ms: number; inBytes: number; outBytes: number }> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const t0 = performance.now();
  let out: Blob;
  if (mode === 'floor') out = new Blob([bytes.slice()]);
  else if (mode === 'int8') out = new Blob((await quantizeInt8(parseModel(bytes), {})).parts as BlobPart[]);
  else if (mode === 'fp16') out = new Blob((await convertFp16(parseModel(bytes), {})).parts as BlobPart[]);
  else throw new Error(`unknown mode ${mode}`);
  return { ms: performance.now() - t0, inBytes: bytes.length, outBytes: out.size };
}

(window as unknown as { benchCase: typeof benchCase }).benchCase = benchCase;
document.body.dataset.ready = '1';
