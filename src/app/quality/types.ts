/** The state of one backend's check in the quality panel. */
import type { QualityProgress } from '../../core/quality/index.js';
import type { QualityBackend, QualityResult } from '../../../workers/quality-protocol.js';

export type RunState =
  | { status: 'idle' }
  | { status: 'queued' }
  | { status: 'running'; progress: QualityProgress | null; startedAt: number }
  /** cachedAt: when the shown result was stored (it came from the cache), null when it was just computed. */
  | { status: 'done'; result: QualityResult; key: string; cachedAt: string | null; wallMs: number | null }
  | { status: 'error'; message: string }
  | { status: 'skipped'; reason: string };

export interface BackendRun {
  backend: QualityBackend;
  state: RunState;
  /** The quick check (a probe subset, run by itself after a quantize), not the full one. */
  quick?: boolean;
}
