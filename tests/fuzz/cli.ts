/**
 * `npm run fuzz -- [--minutes N] [--seed S] [--from I] [--cases N] [--no-save] [--repro FILE...]`
 *
 * Runs seeded fuzz cases (default: 5 minutes, a random seed that is printed) through every reader and mode in a
 * child process with a time and memory bound per case (harness.ts), prints each failure and a table of outcome
 * classes, and saves every failing case as a reproducer in tests/fuzz/reproducers/ (commit it: fuzz.test.ts runs
 * it as a regression test). `--repro` re-runs reproducer files. Exit 1 when any case failed.
 */
import { join } from 'node:path';
import { makeCase } from './cases.js';
import { fixtureCatalog } from './catalog.js';
import { type Outcome, REPO, runReproducers, runSeeded, tallyTable } from './harness.js';
import { saveReproducer } from './reproducers.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
};
if (args.includes('--help')) {
  console.log('npm run fuzz -- [--minutes N] [--seed S] [--from I] [--cases N] [--no-save] [--repro FILE...]');
  process.exit(0);
}
const reproIdx = args.indexOf('--repro');
const seed = Number(opt('seed') ?? Math.floor(Math.random() * 2 ** 31));
const from = Number(opt('from') ?? 0);
const count = opt('cases') !== undefined ? Number(opt('cases')) : undefined;
const minutes = count === undefined ? Number(opt('minutes') ?? 5) : undefined;
const save = !args.includes('--no-save');
const dir = join(REPO, 'tests', 'fuzz', 'reproducers');

const line = (o: Outcome) => {
  const r = o.result;
  const cls = r.harness
    ? r.harness.class
    : (['open', 'int8', 'fp16', 'q4', 'q4f16', 'quality'] as const).map((s) => `${s}=${r.stages[s].class}`).join(' ');
  return `${o.problems.length ? 'FAIL' : 'ok  '} ${r.id.padEnd(12)} ${r.family.padEnd(20)} ${(r.base || '-').slice(0, 40).padEnd(40)} ${String(r.ms).padStart(6)} ms  ${cls}`;
};

let outcomes: Outcome[];
const t0 = Date.now();
if (reproIdx >= 0) {
  outcomes = await runReproducers(args.slice(reproIdx + 1).filter((a) => !a.startsWith('--')));
  for (const o of outcomes) console.log(line(o));
} else {
  console.log(
    `fuzz: seed ${seed}, ${count !== undefined ? `cases ${from}..${from + count - 1}` : `${minutes} minute(s) from case ${from}`}`,
  );
  outcomes = await runSeeded({
    seed,
    from,
    ...(count !== undefined ? { count } : { minutes: minutes! }),
    onOutcome: (o) => console.log(line(o)),
  });
}

const failed = outcomes.filter((o) => o.problems.length);
console.log(`\n${outcomes.length} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${failed.length} failed\n`);
console.log(tallyTable(outcomes));
if (failed.length) {
  console.log('\nFailures:');
  const catalog = save && reproIdx < 0 ? fixtureCatalog() : null;
  for (const o of failed) {
    console.log(`\n${o.result.id} (${o.result.family}, ${o.result.base || 'synthetic'}): ${o.result.note}`);
    for (const p of o.problems) console.log(`  - ${p}`);
    for (const [s, v] of Object.entries(o.result.stages))
      if (v.stack) console.log(`  ${s}: ${v.stack.split('\n').slice(0, 6).join('\n    ')}`);
    if (o.job.type === 'run') console.log(`  again: npm run fuzz -- --seed ${o.job.seed} --from ${o.job.index} --cases 1`);
    if (catalog && o.job.type === 'run')
      console.log(`  saved: ${saveReproducer(dir, makeCase(o.job.seed, o.job.index, catalog), o.problems, catalog)}`);
  }
}
process.exitCode = failed.length ? 1 : 0;
