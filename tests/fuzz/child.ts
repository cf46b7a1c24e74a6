/**
 * The fuzz suite's case runner, a child process of the harness (harness.ts): it builds each case it is sent from
 * (seed, index) or a reproducer file, runs it (run-case.ts) and answers with the result. It runs one case at a time,
 * so the process's heap limit (--max-old-space-size) is the case's, and the harness can kill it on a timeout or
 * when it holds too much memory, then start a fresh one.
 *
 * Messages in:  { type: 'run', seed, index } | { type: 'repro', path }
 * Messages out: { type: 'ready' } | { type: 'started', id, bytes } | { type: 'result', result } | { type: 'error', message }
 */
import { makeCase, type FuzzCase } from './cases.js';
import { fixtureCatalog } from './catalog.js';
import { runCase } from './run-case.js';
import { loadReproducer } from './reproducers.js';

type In = { type: 'run'; seed: number; index: number } | { type: 'repro'; path: string };

const send = (m: unknown) => new Promise<void>((ok) => process.send!(m, () => ok()));

if (!process.send) throw new Error('tests/fuzz/child.ts runs as a child process of the fuzz harness');

const catalog = fixtureCatalog();

process.on('message', (m: In) => {
  void (async () => {
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
