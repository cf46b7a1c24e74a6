/**
 * Helpers for the report base every mode shares (types.ts ModeReportBase): grouping what stayed in float, and
 * telling a run that changed nothing.
 */
import type { KeptInFloat, ModeReportBase } from './types.js';

const MAX_NODES = 50;

/**
 * Groups nodes left in float by (op type, reason), most frequent first (ties by op type). `graph` names the
 * subgraph a node is in ("" for the main graph); such nodes are listed as "graph / node". At most 50 names per group.
 */
export function groupKeptInFloat(
  entries: Iterable<{ opType: string; reason: string; node: string; graph?: string; rule?: string }>,
): KeptInFloat[] {
  const groups = new Map<string, KeptInFloat>();
  for (const e of entries) {
    const key = `${e.opType}\u0000${e.reason}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { opType: e.opType, reason: e.reason, count: 0, nodes: [], ...(e.rule ? { rule: e.rule } : {}) }));
    g.count++;
    if (g.nodes.length < MAX_NODES) g.nodes.push(e.graph ? `${e.graph} / ${e.node}` : e.node);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || (a.opType < b.opType ? -1 : a.opType > b.opType ? 1 : 0));
}

/** Total nodes rewritten. */
export function rewrittenTotal(r: Pick<ModeReportBase, 'rewritten'>): number {
  return Object.values(r.rewritten).reduce((a, n) => a + n, 0);
}

/**
 * Why a run is a no-op ("nothing to quantize: …"), or null when it rewrote something. A no-op is never shown as a
 * success: runMode refuses it unless forced, and the page and the CLI say this sentence instead of a size gain.
 */
export function nothingDone(r: Pick<ModeReportBase, 'rewritten' | 'keptInFloat'>, label: string): string | null {
  if (rewrittenTotal(r) > 0) return null;
  const kept = r.keptInFloat.slice(0, 3).map((k) => `${k.opType} ×${k.count} (${k.reason})`);
  const more = r.keptInFloat.length > 3 ? `, and ${r.keptInFloat.length - 3} more` : '';
  return kept.length
    ? `nothing to quantize: ${label} rewrote no node with these options; left in float: ${kept.join('; ')}${more}`
    : `nothing to quantize: the model has no node ${label} rewrites`;
}
