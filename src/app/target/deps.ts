/** The target panel's dependencies in the page: the target worker (runTarget), OPFS, the shipped probes. */
import type { TargetDeps } from '../controllers/target.svelte.js';
import { newJobId, removeJobFiles } from '../output-files.js';
import { findCompanions } from '../quality/companions.js';
import { readProbe } from '../quality/selection.js';
import { runTarget } from '../target-bridge.js';

export function targetDeps(announce?: (m: string) => void): TargetDeps {
  return {
    run: (request, opts) => runTarget(request, opts),
    newJobId,
    removeJobFiles,
    loadProbeFile: readProbe,
    findCompanions,
    ...(announce ? { announce } : {}),
  };
}
