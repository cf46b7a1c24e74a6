/**
 * The Node floor: the least any mode can cost in this runtime. Reads every input file in 16 MiB slices and writes
 * the same bytes to one output file (so the output is as large as the input), and fsyncs nothing, as neither the
 * reference tools nor the CLI (without --fsync) do. Run in a fresh process by bench/run.ts through bench/measure.py:
 *   node bench/floor.mjs <out> <in> [<in> ...]            prints {"bytes": N}
 *   node bench/floor.mjs --sha256 <out> <in> [<in> ...]   the same, and the SHA-256 of the first input (the .onnx; its
 *                                                          data files are not hashed, as by the CLI) as it is read (one
 *                                                          pass, one thread): the floor of a run that records the
 *                                                          source's hash (every CLI output's provenance) on the
 *                                                          thread that reads; prints
 *                                                          {"bytes": N, "sha256": hex}
 *   node bench/floor.mjs --sha256-only <in>               reads and hashes <in> (the .onnx) and writes nothing: the
 *                                                          source hash pass alone, which a first run's second core
 *                                                          must do whatever else it does; prints {"bytes": N, "sha256": hex}
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const USAGE = 'usage: node bench/floor.mjs [--sha256] <out> <in> [<in> ...] | --sha256-only <in>';
/** Ends with one line naming the problem (a bench script: no stack trace for a usage or file error). */
const fail = (message) => {
  process.stderr.write(`floor.mjs: ${message}\n`);
  process.exit(2);
};
/** openSync with the failure as one line: an existing <out> (never overwritten), a missing or unreadable input. */
const open = (path, flags) => {
  try {
    return openSync(path, flags);
  } catch (e) {
    return fail(e.code === 'EEXIST' ? `${path} exists: the floor never writes over a file (is it an input?)` : `${path}: ${e.message}`);
  }
};
// A read that fails (a folder given as an input, an I/O error): one line too.
process.on('uncaughtException', (e) => fail(e.message));
const args = process.argv.slice(2);
if (args[0] === '--sha256-only') {
  if (args.length !== 2) fail(USAGE);
  const h = createHash('sha256');
  const fi = open(args[1], 'r');
  const block = Buffer.allocUnsafe(16 << 20);
  let bytes = 0;
  try {
    for (let n; (n = readSync(fi, block, 0, block.length, null)) > 0; bytes += n) h.update(block.subarray(0, n));
  } finally {
    closeSync(fi);
  }
  process.stdout.write(`${JSON.stringify({ bytes, sha256: h.digest('hex') })}\n`);
  process.exit(0);
}
const hash = args[0] === '--sha256' ? (args.shift(), createHash('sha256')) : null;
const [out, ...inputs] = args;
if (!out || !inputs.length) fail(USAGE);
const buf = Buffer.allocUnsafe(16 << 20);
const fo = open(out, 'wx'); // never over an existing file (an input passed by mistake as <out>)
let bytes = 0;
try {
  for (const [i, file] of inputs.entries()) {
    const fi = open(file, 'r');
    try {
      for (let n; (n = readSync(fi, buf, 0, buf.length, null)) > 0;) {
        if (i === 0) hash?.update(buf.subarray(0, n));
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
process.stdout.write(`${JSON.stringify(hash ? { bytes, sha256: hash.digest('hex') } : { bytes })}\n`);
