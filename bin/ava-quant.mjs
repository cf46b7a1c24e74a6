#!/usr/bin/env node
// Runs the TypeScript CLI (src/cli/main.ts), so the package bin and `npm run cli` share one source.
//
// Start-up: loading the TypeScript through tsx's loader costs about 0.1–0.2 s of CPU per run, so the CLI runs from
// one ESM bundle of src/ made by esbuild (installed with tsx) into .cache/cli/ (git-ignored; its depth keeps the
// `../../public` paths of src/cli and src/node right), remade whenever a file under src/ or package.json is newer
// than it. Nothing is built at install time and nothing built is committed. AVA_QUANT_TSX=1, or any failure to
// bundle, runs the sources through tsx as before.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Path of an up-to-date bundle of the CLI, or null (then tsx runs the sources). */
async function bundle() {
  if (process.env.AVA_QUANT_TSX === '1') return null;
  const out = join(root, '.cache', 'cli', 'ava-quant.mjs');
  // package.json, this file (its ENTRY is bundled) and every file and folder under src/.
  let newest = Math.max(statSync(join(root, 'package.json')).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs);
  // A folder's time changes when a file is added, removed or renamed in it.
  const walk = (dir) => {
    newest = Math.max(newest, statSync(dir).mtimeMs);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(root, 'src'));
  try {
    if (statSync(out).mtimeMs > newest) return out;
  } catch {
    /* not built yet */
  }
  let tmp = '';
  try {
    const { build } = await import('esbuild');
    mkdirSync(dirname(out), { recursive: true });
    tmp = `${out}.${process.pid}.tmp`;
    await build({
      stdin: { contents: ENTRY, resolveDir: root, sourcefile: 'ava-quant-entry.ts', loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: tmp,
      logLevel: 'silent',
    });
    renameSync(tmp, out); // atomic: CLI processes started side by side each see a whole bundle
    return out;
  } catch {
    if (tmp) rmSync(tmp, { force: true });
    return null;
  }
}

const ENTRY = `
import { removeTempFilesOnSignals } from './src/node/files.ts';
import { run } from './src/cli/main.ts';
import { serveTensorWork } from './src/node/tensor-workers.ts';
// A worker thread of this bundle does tensor work (src/node/tensor-workers.ts); the main thread runs the CLI.
if (!serveTensorWork()) {
  // Ctrl-C / SIGTERM: unfinished outputs are removed before the process exits (src/node/files.ts).
  removeTempFilesOnSignals();
  process.exitCode = await run(process.argv.slice(2));
}
`;

// V8 tiering. By default V8 hands a function to its optimizing compiler (TurboFan, on background threads) after about
// 66 KB of its bytecode has run; a CLI run is over in a second or less and its heavy loops are WebAssembly, so on this
// 2-core machine those compiles took about 0.3 s of the core the source hash needs (470 MB INT8: 0.66-0.71 s first
// runs; with a budget 15x V8's default, 0.52-0.59 s, the same bytes). What runs long enough (Q4's loops, check,
// target mode) is still optimized, later. A --interrupt-budget the user gives (NODE_OPTIONS, node's own flags) wins.
// Process-wide, so the worker threads too; set before any of our code is compiled. See README "Benchmarks".
if (!`${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`.includes('--interrupt-budget')) {
  setFlagsFromString('--interrupt-budget=1000000');
}

const built = await bundle();
if (built) await import(pathToFileURL(built).href);
else {
  const { register } = await import('tsx/esm/api');
  register();
  const { removeTempFilesOnSignals } = await import('../src/node/files.ts');
  removeTempFilesOnSignals();
  const { run } = await import('../src/cli/main.ts');
  process.exitCode = await run(process.argv.slice(2));
}
