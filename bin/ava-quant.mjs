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
import { interruptBudgetFlag } from './v8-budget.mjs';
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

// V8 tiering: a later optimizing compile than V8's default (bin/v8-budget.mjs; the user's own choice wins). Process-wide,
// so the worker threads too; set before any of our code is compiled.
let budget;
try {
  budget = interruptBudgetFlag(process.execArgv, process.env);
} catch (e) {
  process.stderr.write(`ava-quant: ${e.message}\n`);
  process.exit(2);
}
if (budget) setFlagsFromString(budget);

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
