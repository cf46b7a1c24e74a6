#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the package bin and `npm run cli` share one source.
import { register } from 'tsx/esm/api';

register();
// Ctrl-C / SIGTERM: unfinished outputs are removed before the process exits (src/node/files.ts).
const { removeTempFilesOnSignals } = await import('../src/node/files.ts');
removeTempFilesOnSignals();
const { run } = await import('../src/cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
