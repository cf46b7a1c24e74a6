/**
 * Markdown export of a ShareableReport (for pasting into an issue or a model card).
 *
 *   reportToMarkdown(report) -> string
 *   escapeMarkdown(untrusted) -> string   (inline text: no HTML, no links, no emphasis, no table breaks)
 *
 * Every string that comes from a model, a file name or a report is untrusted and goes through escapeMarkdown:
 * `<`, `>` and `&` become HTML entities (no raw HTML, no autolinks in angle brackets), Markdown punctuation is
 * backslash-escaped (no `[text](javascript:…)` links, images, emphasis, code spans or table cell breaks), and
 * control characters / line breaks become spaces (no new blocks). Numbers are formatted here, hashes are
 * schema-checked hex.
 */
import { type ShareableReport, validateReport } from './report.js';
import { modeMeta } from '../modes/registry.js';
import { formatMiBFixed } from '../size.js';
import { TOOL_DISPLAY_NAME } from '../tool.js';
import { isNamedSetting, settingLabel, settingValue } from './labels.js';
import type { QualitySummary } from './report.js';

const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/** Escapes untrusted text for use inline in Markdown (CommonMark / GFM). */
export function escapeMarkdown(s: string): string {
  return (
    s
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
      .replace(/[<>&]/g, (c) => ENTITIES[c]!)
      .replace(/[\\`*_{}[\]()#+!|~$^]/g, (c) => `\\${c}`)
      // A colon only where it could end a URL scheme ("javascript:", "https://"): "22:56" and "Reason: x" stay as written.
      .replace(/([A-Za-z]):(?!\s|$)/g, '$1\\:')
  );
}

const mib = (n: number): string => formatMiBFixed(n);
const fixed = (n: number | null, d = 4): string => (n === null ? 'n/a' : n.toFixed(d));
const int = (n: number): string => n.toLocaleString('en-US');

export function reportToMarkdown(input: ShareableReport): string {
  const r = validateReport(input);
  const e = escapeMarkdown;
  const L: string[] = [];
  const c = r.conversion;
  L.push(`# ${TOOL_DISPLAY_NAME} report: ${e(r.output.name)}`, '');
  if (r.quality?.headline) L.push(`**${e(`${c.reductionPercent.toFixed(1)}% smaller · ${r.quality.headline}`)}**`, '');
  L.push(`- **Source:** ${e(r.source.name)} (${mib(r.source.bytes)})`);
  const meta = modeMeta(r.mode);
  L.push(`- **Output:** ${e(r.output.name)} (${mib(r.output.bytes)}, ${meta.label})`);
  L.push(
    `- **Size:** ${mib(c.inputBytes)} → ${mib(c.outputBytes)} (${c.reductionPercent.toFixed(1)}% smaller) in ${(c.durationMs / 1000).toFixed(1)} s`,
  );
  L.push(`- **Preset:** ${r.preset === null ? 'none' : e(r.preset)}`);
  L.push(`- **Tool:** ${e(r.tool.name)} ${e(r.tool.version)}, ${r.createdAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}`);
  L.push('');
  L.push('| file | bytes | sha256 | md5 |', '| --- | ---: | --- | --- |');
  for (const f of [r.source, r.output])
    L.push(`| ${e(f.name)} | ${int(f.bytes)} | ${f.sha256 ? `\`${f.sha256}\`` : 'n/a'} | ${f.md5 ? `\`${f.md5}\`` : 'n/a'} |`);
  L.push('');

  const opts = Object.entries(r.options);
  if (opts.length) {
    L.push('## Settings', '');
    for (const [k, v] of opts) {
      // Labels and choice meanings are ours (the option tables); names typed by people and unknown values are escaped.
      const shown = settingValue(r.mode, k, v);
      const safe = Array.isArray(v) ? v.map(e).join(', ') || 'none' : typeof v === 'string' && shown === v ? e(shown) : shown;
      const label = isNamedSetting(r.mode, k) ? settingLabel(r.mode, k) : e(settingLabel(r.mode, k));
      L.push(`- ${label} (\`${k.replace(/[^A-Za-z0-9_.-]/g, '')}\`): ${safe}`);
    }
    L.push('');
  }

  L.push(`## ${meta.label} ${meta.verb === 'quantizing' ? 'quantization' : 'conversion'}`, '');
  const facts = meta.reportFacts.filter((f) => f.key in c.facts).map((f) => `${f.label}: ${int(c.facts[f.key]!)}`);
  if (facts.length) L.push(`- ${facts.join('; ')}`);
  const counts = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, n]) => `${e(k)} ×${n}`)
      .join(', ');
  L.push(`- Rewritten: ${counts(c.rewritten) || 'nothing'}`);
  if (Object.keys(c.keptInFloat).length) L.push(`- Left in float: ${counts(c.keptInFloat)}`);
  for (const n of c.notes) L.push(`- Note: ${e(n)}`);
  L.push('');

  const q = r.quality;
  L.push('## Quality', '');
  if (!q) {
    L.push('Not checked.', '');
  } else {
    qualityLines(L, q);
    for (const o of r.otherBackends) {
      L.push(`### Also on ${e(o.backend)}`, '');
      qualityLines(L, o);
    }
    if (r.agreement) {
      const a = r.agreement;
      L.push(
        a.agree
          ? `Backends agree (mean cosine Δ ${a.meanCosineDelta?.toExponential(1) ?? 'n/a'}).`
          : `Backends disagree: ${a.flags.map(e).join('; ')}.`,
        '',
      );
    }
  }
  return `${L.join('\n').replace(/\n+$/, '')}\n`;
}

/** One backend's quality summary: the verdict line, cosine statistics, histogram bins, top-k overlap, reasons. */
function qualityLines(L: string[], q: QualitySummary): void {
  const e = escapeMarkdown;
  const v = q.verdict;
  L.push(
    `**${v.pass ? 'PASS' : 'FAIL'}**: ${e(v.metric)} ${fixed(v.value)} (threshold ${fixed(v.threshold, 3)}) on ${e(q.backend)}${q.providers.length ? ` (${q.providers.map(e).join(', ')})` : ''}, ${int(q.texts)} texts${q.tokenization === 'random-ids' ? ' (random token ids: no tokenizer)' : ''}`,
  );
  L.push('');
  if (q.cosine) {
    L.push('| cosine | mean | min | p5 | median | max |', '| --- | ---: | ---: | ---: | ---: | ---: |');
    L.push(
      `| ${int(q.cosine.count)} texts | ${fixed(q.cosine.mean)} | ${fixed(q.cosine.min)} | ${fixed(q.cosine.p5)} | ${fixed(q.cosine.median)} | ${fixed(q.cosine.max)} |`,
      '',
    );
  }
  if (q.histogram) {
    const h = q.histogram;
    const w = (h.hi - h.lo) / Math.max(1, h.counts.length);
    // Decimals enough to tell neighbouring bin edges apart (0.01 wide: 3; 0.0005 wide: 5).
    const d = Math.min(6, Math.max(3, Math.ceil(-Math.log10(w)) + 1));
    const nonEmpty = h.counts.map((n, i) => [n, i] as const).filter(([n]) => n > 0);
    if (nonEmpty.length)
      L.push(
        `Histogram: ${nonEmpty.map(([n, i]) => `[${(h.lo + i * w).toFixed(d)}, ${(i === h.counts.length - 1 ? h.hi : h.lo + (i + 1) * w).toFixed(d)}): ${n}`).join('; ')}`,
        '',
      );
  }
  if (q.topK.length) {
    L.push('| retrieval set | k | mean overlap | min overlap |', '| --- | ---: | ---: | ---: |');
    for (const t of q.topK) L.push(`| ${e(t.set)} | ${t.k} | ${t.mean.toFixed(3)} | ${t.min.toFixed(3)} |`);
    L.push('');
  }
  for (const s of v.reasons) L.push(`- Reason: ${e(s)}`);
  for (const s of v.warnings) L.push(`- Warning: ${e(s)}`);
  for (const s of q.errors) L.push(`- Error: ${e(s)}`);
  if (v.reasons.length || v.warnings.length || q.errors.length) L.push('');
}
