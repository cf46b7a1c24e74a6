/**
 * One benchmark case in a fresh process (so peak RSS is this case's alone):
 *   tsx bench/node-case.ts <floor|int8|fp16> <model.onnx> <out-file>
 * Prints one JSON line: { ms, inBytes, outBytes, maxRssMiB }.
 * floor = read the input and write a same-size output: the least any mode can cost in this runtime.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { collectPieces, parseModel } from '../src/core/onnx/index.js';
import { quantizeInt8 } from '../src/core/int8/quantize.js';
import { convertFp16 } from '../src/core/fp16/index.js';

const [mode, input, output] = process.argv.slice(2) as [string, string, string];

function writeParts(path: string, parts: Uint8Array[]): number {
  const fd = openSync(path, 'w');
  let n = 0;
  try {
    for (const p of parts) n += writeSync(fd, p);
  } finally {
    closeSync(fd);
  }
  return n;
}

// A refusal or failure is reported as its one-line message (the table shows it), not a stack trace.
process.on('uncaughtException', (e) => {
  process.stderr.write(`${(e as Error).name}: ${(e as Error).message}\n`);
  process.exit(1);
});
const t0 = performance.now();
const bytes = new Uint8Array(readFileSync(input));
let outBytes: number;
if (mode === 'floor') {
  outBytes = writeParts(output, [new Uint8Array(bytes.length).fill(1)]);
} else if (mode === 'int8') {
  outBytes = writeParts(output, [await collectPieces((await quantizeInt8(parseModel(bytes), {})).parts)]);
} else if (mode === 'fp16') {
  outBytes = writeParts(output, [await collectPieces((await convertFp16(parseModel(bytes), {})).parts)]);
} else throw new Error(`unknown mode ${mode}`);
const ms = performance.now() - t0;
process.stdout.write(`${JSON.stringify({ ms, inBytes: bytes.length, outBytes, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
