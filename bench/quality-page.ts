/** window.qualityCase(case) runs one throughput case in a fresh worker (bench/quality-worker.ts) and resolves its result. */
import type { WorkerCase } from './quality-worker.js';

function qualityCase(c: WorkerCase): Promise<unknown> {
  const w = new Worker(new URL('./quality-worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve) => {
    w.onmessage = (ev) => {
      w.terminate();
      resolve(ev.data);
    };
    w.onerror = (ev) => {
      w.terminate();
      resolve({ ok: false, error: ev.message || 'worker failed to start' });
    };
    w.postMessage(c);
  });
}

(window as unknown as { qualityCase: typeof qualityCase }).qualityCase = qualityCase;
document.body.dataset.ready = '1';
