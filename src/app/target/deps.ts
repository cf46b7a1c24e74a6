/** The target panel's dependencies in the page: the target worker (runTarget), OPFS, the shipped probes. */
import { readStoredForm, type TargetDeps, type TargetForm } from '../controllers/target.svelte.js';
import { newJobId, removeJobFiles } from '../output-files.js';
import { findCompanions } from '../quality/companions.js';
import { readProbe } from '../quality/selection.js';
import { lookupTarget, runTarget } from '../target-bridge.js';

export function targetDeps(announce?: (m: string) => void): TargetDeps {
  return {
    run: (request, opts) => runTarget(request, opts),
    lookup: (request, opts) => lookupTarget(request, opts),
    newJobId,
    removeJobFiles,
    loadProbeFile: readProbe,
    findCompanions,
    ...(announce ? { announce } : {}),
    saveForm: (form) => {
      try {
        localStorage.setItem(FORM_KEY, JSON.stringify(form));
      } catch {
        /* storage blocked: the form is simply not remembered */
      }
    },
  };
}

const FORM_KEY = 'ava-target-form';

/** The form of the last run on this browser (defaults when none or unreadable). */
export function loadTargetForm(): TargetForm {
  try {
    return readStoredForm(JSON.parse(localStorage.getItem(FORM_KEY) ?? 'null'));
  } catch {
    return readStoredForm(null);
  }
}
