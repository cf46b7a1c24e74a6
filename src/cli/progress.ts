/**
 * Progress on stderr for long work: a redrawn bar with bytes and ETA on a terminal, a few quiet lines otherwise
 * (at 0/25/50/75/100%), so logs stay readable in CI.
 */
import { formatMiBFixed } from '../core/size.js';
import type { CliIo } from './io.js';

export interface Progress {
  /** `fraction` 0..1 of the whole job; `bytes` when the step counts bytes; `label` the item being worked on. */
  update(fraction: number, bytes?: { done: number; total: number }, label?: string): void;
  finish(): void;
}

const MiB = (n: number) => formatMiBFixed(n, { decimals: 1, label: 'MB' });

export function createProgress(io: CliIo, title: string): Progress {
  const t0 = Date.now();
  let lastDraw = 0;
  let lastQuarter = -1;
  let drawn = false;
  return {
    update(fraction, bytes, label) {
      const frac = Math.min(1, Math.max(0, fraction));
      const amount = bytes && bytes.total > 0 ? ` (${MiB(bytes.done)} of ${MiB(bytes.total)})` : '';
      if (io.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 100 && frac < 1) return;
        lastDraw = now;
        const elapsed = (now - t0) / 1000;
        const eta = frac > 0.02 && frac < 1 ? elapsed / frac - elapsed : null;
        const width = 24;
        const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
        const tail = label ? ` ${label.length > 30 ? `…${label.slice(-29)}` : label}` : '';
        io.stderr(
          `\r${title} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}%${amount}${eta === null ? '' : ` ETA ${eta.toFixed(0)}s`}${tail}\x1b[K`,
        );
        drawn = true;
      } else {
        const q = Math.floor(frac * 4);
        if (q > lastQuarter) {
          lastQuarter = q;
          io.stderr(`${title}: ${q * 25}%${amount}\n`);
        }
      }
    },
    finish() {
      if (drawn) io.stderr('\n');
    },
  };
}
