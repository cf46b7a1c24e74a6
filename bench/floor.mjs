/**
 * The Node floor: the least any mode can cost in this runtime. Reads every input file in 16 MiB slices and writes
 * the same bytes to one output file (so the output is as large as the input), and fsyncs nothing, as the reference
 * tools do not (the CLI does fsync its output before renaming it into place, so that cost is ours). Run in a fresh process by bench/run.ts through bench/measure.py:
 *   node bench/floor.mjs <out> <in> [<in> ...]      prints {"bytes": N}
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const [out, ...inputs] = process.argv.slice(2);
const buf = Buffer.allocUnsafe(16 << 20);
const fo = openSync(out, 'w');
let bytes = 0;
try {
  for (const file of inputs) {
    const fi = openSync(file, 'r');
    try {
      for (let n; (n = readSync(fi, buf, 0, buf.length, null)) > 0;) {
        for (let w = 0; w < n;) w += writeSync(fo, buf, w, n - w);
        bytes += n;
      }
    } finally {
      closeSync(fi);
    }
  }
} finally {
  closeSync(fo);
}
process.stdout.write(`${JSON.stringify({ bytes })}\n`);
