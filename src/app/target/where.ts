/**
 * "Where will it run?" in the page: the choices and their words come from the core (src/core/targets: TARGETS,
 * WHERE_CHOICES, qualityBackendFor), and the findings of a target check (checkTarget's TargetCheck) shaped for the
 * result panel. Pure: tests/app/target-view.test.ts.
 */
import type { FindingGroup, Source, TargetCheck, TargetId } from '../../core/targets/index.js';
import { DEFAULT_TARGET, TARGETS, WHERE_CHOICES, qualityBackendFor } from '../../core/targets/index.js';

export interface WhereOption {
  id: TargetId;
  /** The core's label, e.g. "Android / iOS, ONNX Runtime on ARM64". */
  label: string;
  /** Which devices / deployments (the core's `where`). */
  where: string;
  /** The core's advice: which mode suits it and why. */
  advice: string;
  /** The runtime checked and its default version, e.g. "onnxruntime … 1.22.0". */
  runtime: string;
  /** The INT8 preset this target picks (Optimum's arguments). */
  int8Preset: string;
  /** Where the page's quality check runs for it ('wasm' | 'webgpu') and what that approximates (null: exact). */
  quality: { backend: 'wasm' | 'webgpu'; note: string | null };
  isDefault: boolean;
}

/** A target as the page shows it: the core's words (TARGETS) and where its quality check runs. */
function optionOf(id: TargetId, isDefault: boolean): WhereOption {
  const t = TARGETS[id];
  const q = qualityBackendFor(t).page;
  return {
    id,
    label: t.label,
    where: t.where,
    advice: t.advice,
    runtime: `${t.runtime.packages} ${t.runtime.defaultVersion}`,
    int8Preset: t.int8Preset,
    quality: { backend: q.backend, note: q.note },
    isDefault,
  };
}

/** The page's choices, in the core's order (WHERE_CHOICES), default first. */
export const WHERE_OPTIONS: readonly WhereOption[] = WHERE_CHOICES.map((id) => optionOf(id, id === DEFAULT_TARGET));

export function whereOption(id: TargetId): WhereOption {
  // A target outside the page's list (e.g. the reduced build, from a saved result): the core's words all the same.
  return WHERE_OPTIONS.find((w) => w.id === id) ?? optionOf(id, false);
}

/** One finding group as the page lists it: the op, how many nodes, why, for which runtime versions, and its sources. */
export interface FindingRow {
  op: string;
  count: number;
  nodes: string[];
  reason: string;
  holdsFor: string;
  verdict: string;
  sources: Source[];
}

export interface FindingsView {
  /** Nothing blocks: the model runs there. */
  ok: boolean;
  /** One line: "Runs on Android / iOS …: every node has a kernel in onnxruntime 1.22.0." or "3 nodes cannot run on …". */
  headline: string;
  /** What stops it from loading or running there (one row per op and reason). */
  blocking: FindingRow[];
  /** What runs, but on a fallback, slowly, only with a device feature, or reportedly wrong. */
  warnings: FindingRow[];
  /** How the check itself went (inference gaps …). */
  notes: string[];
}

const row = (g: FindingGroup): FindingRow => ({
  op: g.op,
  count: g.count,
  nodes: g.nodes,
  reason: g.reason,
  holdsFor: g.holdsFor,
  verdict: g.verdict,
  sources: g.source,
});

/** The findings of a target check, for the result panel. */
export function findingsView(check: TargetCheck): FindingsView {
  const blocking = check.groups.filter((g) => g.blocking).map(row);
  const warnings = check.groups.filter((g) => !g.blocking).map(row);
  const runtime = `${check.runtime} ${check.version}`;
  const n = check.unsupported.length;
  const headline = check.ok
    ? `Runs on ${check.label}: every node has a kernel in ${runtime}${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'} below)` : ''}.`
    : `Will not run on ${check.label}: ${n} node${n === 1 ? '' : 's'} cannot run in ${runtime} (${blocking.map((b) => b.op).join(', ')}).`;
  return { ok: check.ok, headline, blocking, warnings, notes: check.notes };
}

/** "kernel registration · microsoft/onnxruntime …/conv_integer.cc": a source in one line (its link beside). */
export function sourceLine(s: Source): string {
  return `${s.where}: ${s.says}`;
}
