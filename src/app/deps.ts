/**
 * The page's side of the controllers (src/app/controllers/*.svelte.ts): the worker bridges, IndexedDB, the probe
 * files and the clock. Tests give the controllers the same core in Node instead (tests/app/controllers/node-deps.ts).
 */
import type { BatchDeps } from './controllers/batch.svelte.js';
import type { QualityDeps } from './controllers/quality.svelte.js';
import type { QuantizeDeps } from './controllers/quantize.svelte.js';
import { HashBridge } from './batch/hash-bridge.js';
import { saveRun } from './history/history.svelte.js';
import { newJobId, removeJobFiles } from './output-files.js';
import { quantizeBridge } from './quantize-bridge.js';
import { loadCached, storeCached } from './quality/cache.js';
import { findCompanions } from './quality/companions.js';
import { modelDigestOf, probeGpu, runCheck, sha256Of } from './quality/quality-bridge.js';
import { readProbe, saveForm } from './quality/selection.js';
import { publishQuality } from './share/quality-link.svelte.js';
import { InspectBridge } from './worker-bridge.js';

export function qualityDeps(announce?: (m: string) => void): QualityDeps {
  return {
    runCheck: (req, opts) => runCheck(req, opts),
    modelDigest: modelDigestOf,
    sha256: sha256Of,
    loadCached,
    storeCached: async (key, result) => void (await storeCached(key, result)),
    probeGpu,
    loadProbeFile: readProbe,
    findCompanions,
    publish: publishQuality,
    ...(announce ? { announce } : {}),
    saveForm: (form, webgpu) => saveForm(JSON.stringify(form), webgpu),
  };
}

export function quantizeDeps(announce?: (m: string) => void): Omit<QuantizeDeps, 'quality'> {
  return {
    quantize: (file, external, request, opts) => quantizeBridge.runQueued(file, external, request, opts),
    newJobId,
    removeJobFiles,
    ...(announce ? { announce } : {}),
  };
}

/** The batch has its own inspect and hash workers: cancelling it never takes a model card's job with it. */
export function batchDeps(announce?: (m: string) => void): BatchDeps {
  const inspector = new InspectBridge(5_000);
  const hasher = new HashBridge(5_000);
  const zipper = new HashBridge(2_000);
  return {
    inspect: (file, siblings) => inspector.inspect(file, siblings),
    quantize: (file, external, request, opts) => quantizeBridge.runQueued(file, external, request, opts),
    hash: (blob, opts) => hasher.hash(blob, opts),
    zip: (files, manifest, opts) => zipper.zip(files, manifest, opts),
    saveRun,
    ...(announce ? { announce } : {}),
  };
}
