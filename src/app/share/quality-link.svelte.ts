/**
 * Where a quality check hands its report to the Share buttons and the history: the quality UI calls
 * `publishQuality(outputBlob, report)` with the quantized output's Blob (the one QuantizePanel's result and the batch
 * rows hold); ResultShare and the batch rows read `qualityFor(outputBlob)` and put its summary into the share link and
 * the history entry. Keyed weakly: a removed result frees its entry.
 */
import type { QualityReport } from '../../core/quality/report.js';

class QualityLinks {
  /** Bumped on every change, so readers re-run (a WeakMap is not reactive by itself). */
  version = $state(0);
  readonly byBlob = new WeakMap<Blob, QualityReport>();
}
const links = new QualityLinks();

export function publishQuality(output: Blob, report: QualityReport | null): void {
  if (report) links.byBlob.set(output, report);
  else links.byBlob.delete(output);
  links.version++;
}

export function qualityFor(output: Blob | null | undefined): QualityReport | null {
  void links.version;
  return output ? (links.byBlob.get(output) ?? null) : null;
}
