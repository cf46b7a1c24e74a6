/** Plain-text rendering of a QualityReport for the CLI (`ava-quant check`). */
import { formatMiBFixed } from '../size.js';
import type { QualityReport } from './report.js';

const f4 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(4));
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 ? pad(cell, widths[c]!) : lpad(cell, widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function formatReportText(r: QualityReport): string {
  const L: string[] = [];
  const v = r.verdict;
  L.push(`${v.pass ? 'PASS' : 'FAIL'}  mean cosine ${f4(v.value)} (threshold ${v.threshold})`);
  if (v.headline) L.push(`      ${v.headline}`);
  L.push(
    `backend: ${r.backend.label}  providers requested: ${r.backend.requestedProviders.join(', ') || 'default'}; ran: ${r.backend.ranProviders?.join(', ') ?? 'unknown'}`,
  );
  for (const m of [r.models.original, r.models.quantized]) {
    const what = m.loaded
      ? `dim ${m.dim ?? '?'}, ${m.pooling ?? '?'} pooling of '${m.output}', ${m.idType} ids, ${m.quantization.kind}${m.embedMs !== null ? `, ${Math.round(m.embedMs)} ms` : ''}`
      : `NOT LOADED: ${m.error}`;
    const mb = (n: number) => formatMiBFixed(n, { decimals: 1, label: 'MB' });
    const size = `${mb(m.fileBytes)}${m.externalBytes ? ` + ${mb(m.externalBytes)} external data` : ''}`;
    L.push(`${pad(m.role, 9)} ${m.name} (${size}): ${what}`);
  }
  const lin = r.lineage;
  if (lin)
    L.push(
      lin.status === 'linked'
        ? `lineage: linked (${lin.evidence[0]})`
        : lin.status === 'unrelated'
          ? `lineage: UNRELATED — ${lin.differences.join('; ')}`
          : 'lineage: not verified (no provenance; same inputs and weight count)',
    );
  const t = r.tokenization;
  L.push(
    t.mode === 'tokenizer'
      ? `tokenizer: ${t.texts} texts, ${t.tokens} tokens, max length ${t.maxLength} (${t.maxLengthSource}), ${t.truncated} truncated`
      : `tokenizer: NONE — ${t.note}`,
  );
  if (r.errors.length) {
    L.push('', 'Errors:');
    for (const e of r.errors) L.push(`  - ${e}`);
  }
  const c = r.cosine;
  if (c) {
    L.push('', `Cosine original vs quantized, over ${c.basis.description}`);
    L.push(
      ...table([
        ['', 'n', 'mean', 'min', 'p5', 'median'],
        ['all', String(c.count), f4(c.mean), f4(c.min), f4(c.p5), f4(c.median)],
        ...Object.entries(c.bySet).map(([k, g]) => [`  ${k}`, String(g.count), f4(g.mean), f4(g.min), '', '']),
      ]).map((l) => `  ${l}`),
    );
    const langs = Object.entries(c.byLang);
    if (langs.length > 1) L.push(`  by language: ${langs.map(([k, g]) => `${k} ${f4(g.mean)}`).join(', ')}`);
    const h = c.histogram;
    const w = (h.hi - h.lo) / h.counts.length;
    const maxCount = Math.max(1, ...h.counts);
    L.push(`  histogram [${h.lo}, ${h.hi}]:`);
    h.counts.forEach((n, i) => {
      if (n === 0 && i < h.counts.findIndex((x) => x > 0)) return;
      L.push(`    ${(h.lo + i * w).toFixed(3)} ${'#'.repeat(Math.ceil((n / maxCount) * 40))} ${n}`);
    });
    if (c.worst.length) {
      L.push('  worst:');
      for (const x of c.worst.slice(0, 5))
        L.push(`    ${f4(x.cosine)}  [${x.set}/${x.id}] ${x.text.length > 70 ? `${x.text.slice(0, 67)}...` : x.text}`);
    }
  }
  const s = r.shape;
  if (s) {
    L.push(
      '',
      `Shape: dims ${s.dimsEqual ? 'equal' : 'DIFFER'}, finite ${s.allFinite.original && s.allFinite.quantized ? 'yes' : 'NO'}, ` +
        `norms original ${f4(s.norms.original.min)}–${f4(s.norms.original.max)}, quantized ${f4(s.norms.quantized.min)}–${f4(s.norms.quantized.max)}`,
    );
    for (const i of s.issues) L.push(`  ! ${i}`);
  }
  if (r.retrieval.sets.length) {
    L.push('', `Retrieval (overlap@k of top-k lists; rank correlation: ${r.retrieval.rankCorrelation})`);
    const ks = [1, 3, 5, 10];
    L.push(
      ...table([
        ['set', 'docs', 'queries', ...ks.map((k) => `@${k}`), 'spearman', 'MRR orig', 'MRR quant', 'cosine'],
        ...r.retrieval.sets.map((x) => [
          x.id,
          String(x.documents),
          String(x.queries),
          ...ks.map((k) => {
            const o = x.overlap.find((y) => y.k === k);
            return o ? o.mean.toFixed(3) : '-';
          }),
          x.spearman.mean.toFixed(3),
          x.mrr ? x.mrr.original.toFixed(3) : '-',
          x.mrr ? x.mrr.quantized.toFixed(3) : '-',
          f4(x.cosine.mean),
        ]),
      ]).map((l) => `  ${l}`),
    );
    for (const x of r.retrieval.sets)
      for (const rule of x.rules) {
        L.push(`  case ${rule.description}`);
        for (const role of ['original', 'quantized'] as const) {
          const res = rule[role];
          L.push(
            `    ${pad(role, 9)} ${res.pass ? 'pass' : 'FAIL'}: ${res.ranking.map((d) => `${d.id} ${d.score.toFixed(3)}`).join(' > ')}`,
          );
        }
      }
  } else if (r.retrieval.skipped) L.push('', `Retrieval: skipped (${r.retrieval.skipped})`);
  const b = r.batchEffect;
  if (b)
    L.push(
      '',
      `Batch composition (${b.ids.length} texts, alone vs in one batch): original ${f4(b.original.min)} min, quantized ${f4(b.quantized.min)} min`,
    );
  const sections: [string, string[]][] = [
    ['Why it failed:', v.reasons],
    ['Try:', v.advice],
    ['Warnings:', v.warnings],
    ['Notes:', v.notes],
  ];
  for (const [title, items] of sections) if (items.length) L.push('', title, ...items.map((x) => `  - ${x}`));
  L.push(
    '',
    `time: load ${Math.round(r.timings.loadMs)} ms, embed ${Math.round(r.timings.embedMs)} ms, total ${Math.round(r.timings.totalMs)} ms`,
  );
  return L.join('\n');
}
