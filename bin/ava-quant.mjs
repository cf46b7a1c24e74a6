#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the package bin and `npm run cli` share one source.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
