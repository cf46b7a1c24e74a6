/**
 * Progress on stderr for long work: a redrawn bar with bytes and ETA on a terminal, a few quiet lines otherwise
 * (at 25/50/75/100%), so logs stay readable in CI.
 */
import type { CliIo } from './io.js';

export interface Progress {
  update(done: number, total: number, label?: string): void;
  finish(): void;
}

export function createProgress(io: CliIo, title: string, unit: 'bytes' | 'items' | 'fraction' = 'bytes'): Progress {
  const t0 = Date.now();
  let lastDraw = 0;
  let lastQuarter = -1;
  let drawn = false;
  const fmt = (n: number) => (unit === 'bytes' ? `${(n / 1048576).toFixed(1)} MB` : unit === 'fraction' ? `${(n * 100).toFixed(0)}%` : String(n));
  return {
    update(done, total, label) {
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      if (io.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 100 && frac < 1) return;
        lastDraw = now;
        const elapsed = (now - t0) / 1000;
        const eta = frac > 0.02 ? Math.max(0, elapsed / frac - elapsed) : null;
        const width = 24;
        const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
        const tail = label ? ` ${label.length > 30 ? `…${label.slice(-29)}` : label}` : '';
        io.stderr(`\r${title} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}%${unit === 'fraction' ? '' : ` ${fmt(done)}/${fmt(total)}`}${eta === null ? '' : ` ETA ${eta.toFixed(0)}s`}${tail}\x1b[K`);
        drawn = true;
      } else {
        const q = Math.floor(frac * 4);
        if (q > lastQuarter) {
          lastQuarter = q;
          io.stderr(unit === 'fraction' ? `${title}: ${q * 25}%\n` : `${title}: ${q * 25}% (${fmt(done)} of ${fmt(total)})\n`);
        }
      }
    },
    finish() {
      if (drawn) io.stderr('\n');
    },
  };
}
