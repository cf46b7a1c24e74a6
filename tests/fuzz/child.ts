/**
 * The fuzz suite's case runner, a child process of the harness (harness.ts): it builds each case it is sent from
 * (seed, index) or a reproducer file, runs it (run-case.ts) and answers with the result. It runs one case at a time,
 * so the process's heap limit (--max-old-space-size) is the case's, and the harness can kill it on a timeout or
 * when it holds too much memory, then start a fresh one.
 *
 * Messages in:  { type: 'run', seed, index } | { type: 'repro', path } | { type: 'selftest', what }
 * Messages out: { type: 'ready' } | { type: 'started', id, bytes } | { type: 'result', result } | { type: 'error', message }
 */
import { makeCase, type FuzzCase } from './cases.js';
import { fixtureCatalog } from './catalog.js';
import { runCase } from './run-case.js';
import { loadReproducer } from './reproducers.js';

type In =
  | { type: 'run'; seed: number; index: number }
  | { type: 'repro'; path: string }
  | { type: 'selftest'; what: 'hang' | 'crash' | 'heap' | 'rss' };

/** Misbehaviours the harness must catch (tests of the harness itself, fuzz.test.ts). */
async function selftest(what: 'hang' | 'crash' | 'heap' | 'rss'): Promise<void> {
  await send({ type: 'started', id: `selftest-${what}`, bytes: 0 });
  if (what === 'hang') for (;;);
  if (what === 'crash') process.abort();
  const keep: unknown[] = [];
  for (let i = 0; ; i++) {
    if (what === 'heap')
      keep.push(new Array(1 << 20).fill(i + 0.5)); // 8 MiB of heap numbers each
    else {
      keep.push(Buffer.alloc(32 << 20, 1)); // outside the V8 heap: only the resident-memory watch sees it
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

const send = (m: unknown) => new Promise<void>((ok) => process.send!(m, () => ok()));

if (!process.send) throw new Error('tests/fuzz/child.ts runs as a child process of the fuzz harness');

const catalog = fixtureCatalog();

process.on('message', (m: In) => {
  void (async () => {
    if (m.type === 'selftest') return selftest(m.what);
    let c: FuzzCase;
    try {
      c = m.type === 'run' ? makeCase(m.seed, m.index, catalog) : loadReproducer(m.path, catalog);
    } catch (e) {
      await send({ type: 'error', message: `could not build the case: ${(e as Error).stack ?? e}` });
      return;
    }
    await send({ type: 'started', id: c.id, bytes: c.model.length + Object.values(c.siblings).reduce((a, b) => a + b.length, 0) });
    const result = await runCase(c);
    await send({ type: 'result', result });
  })();
});

void send({ type: 'ready' });
