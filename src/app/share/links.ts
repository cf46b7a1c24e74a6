/**
 * Share links in the page: which fragments are report links, the link for a report, names for the exports, and
 * checking a teammate's copies of the files against a report's hashes. Pure (no DOM).
 */
import type { Digests } from '../../core/batch/hashing.js';
import { encodeReport } from '../../core/share/link.js';
import type { FileFacts, ShareableReport } from '../../core/share/report.js';
import { TOOL } from '../../core/tool.js';

/**
 * The fragment (without '#') when the page should show a shared report instead of the drop zone: any non-empty
 * fragment, so a damaged link shows what is wrong with it rather than being ignored. The app uses no other anchors.
 */
export function reportFragmentOf(hash: string): string | null {
  let s = hash.startsWith('#') ? hash.slice(1) : hash;
  // Browsers percent-encode some characters of a fragment (space, quotes, < >); a report link has none of them, but a
  // damaged one should be reported with the characters as typed.
  try {
    s = decodeURIComponent(s);
  } catch {
    /* not percent-encoded text: keep it as it is */
  }
  return s.trim() ? s : null;
}

/** `origin + pathname + '#r1.…'`: works from any sub-path; the query string is dropped. */
export function shareUrl(report: ShareableReport, loc: { origin: string; pathname: string }): string {
  return `${loc.origin}${loc.pathname}#${encodeReport(report)}`;
}

/** A safe download name for an export, from the output's name: "model-INT8.onnx" -> "model-INT8-report.json". */
export function exportName(report: ShareableReport, ext: 'json' | 'md'): string {
  const last = report.output.name.split(/[\\/]/).pop() ?? '';
  const base = last
    .replace(/\.onnx$/i, '')
    .replace(/[^A-Za-z0-9._+-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 120);
  return `${base || TOOL.name}-report.${ext}`;
}

export interface CopyCheck {
  fileName: string;
  digests: Digests;
  /** Which file of the report it was compared with (null: none fits). */
  role: 'source' | 'output' | null;
  ok: boolean;
  message: string;
}

const lastSegment = (n: string): string => n.split(/[\\/]/).pop() ?? n;
const hasHash = (f: FileFacts): boolean => f.sha256 !== null || f.md5 !== null;
const matches = (f: FileFacts, d: Digests): boolean =>
  hasHash(f) && f.bytes === d.bytes && (f.sha256 === null || f.sha256 === d.sha256) && (f.md5 === null || f.md5 === d.md5);

function which(f: FileFacts): string {
  return [f.sha256 !== null ? 'SHA-256' : null, f.md5 !== null ? 'MD5' : null].filter(Boolean).join(' and ');
}

/**
 * Compares a dropped file's digests with the report's source and output: by content first (a renamed copy still
 * matches), then by name (to say what differs).
 */
export function checkCopy(report: ShareableReport, fileName: string, d: Digests): CopyCheck {
  const files = [
    ['source', report.source],
    ['output', report.output],
  ] as const;
  if (!files.some(([, f]) => hasHash(f)))
    return { fileName, digests: d, role: null, ok: false, message: 'the report has no hashes to compare with' };
  for (const [role, f] of files) {
    if (matches(f, d))
      return {
        fileName,
        digests: d,
        role,
        ok: true,
        message: `matches the ${role} ${lastSegment(f.name)} (${which(f)}, ${d.bytes.toLocaleString('en-US')} bytes)`,
      };
  }
  const byName = files.find(([, f]) => lastSegment(f.name) === lastSegment(fileName) && hasHash(f));
  if (byName) {
    const [role, f] = byName;
    const diffs = [
      f.bytes !== d.bytes ? `size ${f.bytes.toLocaleString('en-US')} bytes expected, got ${d.bytes.toLocaleString('en-US')}` : null,
      f.sha256 !== null && f.sha256 !== d.sha256 ? `SHA-256 expected ${f.sha256}, got ${d.sha256}` : null,
      f.md5 !== null && f.md5 !== d.md5 ? `MD5 expected ${f.md5}, got ${d.md5}` : null,
    ].filter(Boolean);
    return { fileName, digests: d, role, ok: false, message: `does not match the ${role} ${lastSegment(f.name)}: ${diffs.join('; ')}` };
  }
  return {
    fileName,
    digests: d,
    role: null,
    ok: false,
    message: `matches neither the source nor the output of this report (SHA-256 ${d.sha256})`,
  };
}
