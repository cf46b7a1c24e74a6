#!/usr/bin/env node
// The one test command (`npm test`): fixtures, lint and format checks, then vitest, then Playwright.
// Keeps going when a step fails, sums the counts from the JSON reports, and prints as its very
// last line exactly "N passed, N failed" (skipped/todo tests count as failed). Exit code 1 if N failed > 0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportDir = path.join(root, '.cache', 'reports');
const vitestReport = path.join(reportDir, 'vitest.json');
const playwrightReport = path.join(reportDir, 'playwright.json');
const chromium = process.env.CHROMIUM_PATH ?? process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium';

mkdirSync(reportDir, { recursive: true });
for (const f of [vitestReport, playwrightReport]) rmSync(f, { force: true });

/** Runs a command inheriting stdio; returns its exit status (non-zero when it could not start). */
function run(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) console.log(`${label}: could not start: ${r.error.message}`);
  return r.status ?? 1;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const steps = [];
let passed = 0;
let failed = 0;

// 0. Chromium for Playwright (Debian package; the only thing this script may install).
if (!existsSync(chromium)) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/etc/debian_version')) {
    console.log(`Chromium not found at ${chromium}: running apt-get update && apt-get install -y chromium`);
    run('apt', 'sh', ['-c', 'apt-get update && apt-get install -y chromium']);
  } else {
    console.log(`Chromium not found at ${chromium}; set CHROMIUM_PATH or install it (apt-get install chromium).`);
  }
}

// 1. Fixtures (real models into .cache/fixtures). A failure here is counted once; the tests then report the rest.
const fixturesStatus = run('fixtures', process.execPath, ['scripts/fixtures.mjs']);
steps.push(['fixtures', fixturesStatus === 0 ? 'ok' : `failed (exit ${fixturesStatus})`]);
if (fixturesStatus !== 0) failed += 1;

// 1b. Lint and format: ESLint (eslint.config.js) and Prettier's check (.prettierrc.json); each counts as one test.
for (const [label, args] of [
  ['eslint', ['node_modules/eslint/bin/eslint.js', '.']],
  ['prettier', ['node_modules/prettier/bin/prettier.cjs', '--check', '.']],
]) {
  const status = run(label, process.execPath, args);
  steps.push([label, status === 0 ? 'ok' : `failed (exit ${status})`]);
  if (status === 0) passed += 1;
  else failed += 1;
}

// 2. Unit/integration tests (vitest).
const vitestStatus = run('vitest', process.execPath, [
  'node_modules/vitest/vitest.mjs',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestReport}`,
]);
{
  const r = readJson(vitestReport);
  if (!r) {
    failed += 1;
    steps.push(['vitest', `no JSON report (exit ${vitestStatus}): counted as 1 failure`]);
  } else {
    const p = r.numPassedTests ?? 0;
    const f = (r.numFailedTests ?? 0) + (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // Files that failed before running any test (import/syntax errors) have no assertion results.
    const brokenFiles = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
    passed += p;
    failed += f + brokenFiles;
    steps.push([
      'vitest',
      `${p} passed, ${r.numFailedTests ?? 0} failed, ${(r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)} skipped/todo` +
        (brokenFiles ? `, ${brokenFiles} test file(s) failed to load` : '') +
        ` (exit ${vitestStatus})`,
    ]);
    if (vitestStatus !== 0 && f + brokenFiles === 0) {
      failed += 1;
      steps.push(['vitest', 'exited non-zero with no failing test: counted as 1 failure']);
    }
  }
}

// 3. End-to-end tests (Playwright against the built app).
const pwStatus = run('playwright', process.execPath, ['node_modules/@playwright/test/cli.js', 'test', '--reporter=list,json'], {
  PLAYWRIGHT_JSON_OUTPUT_FILE: playwrightReport,
  CHROMIUM_PATH: chromium,
});
{
  const r = readJson(playwrightReport);
  if (!r?.stats) {
    failed += 1;
    steps.push(['playwright', `no JSON report (exit ${pwStatus}): counted as 1 failure`]);
  } else {
    const s = r.stats;
    const p = (s.expected ?? 0) + (s.flaky ?? 0);
    const f = (s.unexpected ?? 0) + (s.skipped ?? 0);
    const globalErrors = (r.errors ?? []).length;
    passed += p;
    failed += f;
    steps.push([
      'playwright',
      `${s.expected ?? 0} passed, ${s.flaky ?? 0} flaky, ${s.unexpected ?? 0} failed, ${s.skipped ?? 0} skipped` +
        (globalErrors ? `, ${globalErrors} global error(s)` : '') +
        ` (exit ${pwStatus})`,
    ]);
    if (pwStatus !== 0 && f === 0) {
      failed += Math.max(1, globalErrors);
      steps.push(['playwright', 'exited non-zero with no failing test: counted as failure']);
    }
  }
}

console.log('\n=== summary');
for (const [name, text] of steps) console.log(`${name}: ${text}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
