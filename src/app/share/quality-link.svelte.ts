/**
 * Where a quality check hands its reports to the Share buttons and the history: the quality controller calls
 * `publishQuality(outputBlob, reports)` with the quantized output's Blob (the one a result and the batch rows hold)
 * and the reports shown for it (the first is the primary: WASM, or the quick check; the others are the other backends).
 * ResultShare and the batch rows read `qualityFor(outputBlob)` / `qualityReportsFor(outputBlob)`. Keyed weakly: a
 * removed result frees its entry.
 */
import type { QualityReport } from '../../core/quality/report.js';

class QualityLinks {
  /** Bumped on every change, so readers re-run (a WeakMap is not reactive by itself). */
  version = $state(0);
  readonly byBlob = new WeakMap<Blob, QualityReport[]>();
}
const links = new QualityLinks();

export function publishQuality(output: Blob, reports: QualityReport[] | QualityReport | null): void {
  const list = reports === null ? [] : Array.isArray(reports) ? reports : [reports];
  if (list.length) links.byBlob.set(output, list);
  else links.byBlob.delete(output);
  links.version++;
}

/** The primary report shown for an output (null before any check). */
export function qualityFor(output: Blob | null | undefined): QualityReport | null {
  return qualityReportsFor(output)[0] ?? null;
}

/** Every backend's report shown for an output, the primary first. */
export function qualityReportsFor(output: Blob | null | undefined): QualityReport[] {
  void links.version;
  return output ? (links.byBlob.get(output) ?? []) : [];
}
