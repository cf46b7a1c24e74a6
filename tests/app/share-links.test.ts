import { describe, expect, it } from 'vitest';
import { hashBytes } from '../../src/core/batch/index.js';
import { buildShareableReport, decodeReport } from '../../src/core/share/index.js';
import { checkCopy, exportName, reportFragmentOf, shareUrl } from '../../src/app/share/links.js';
import { smallRuns, TOOL } from '../batch/helpers.js';

async function report() {
  const runs = await smallRuns();
  const input = await hashBytes(runs.bytes);
  const output = await hashBytes(runs.fp16.parts);
  const r = buildShareableReport({
    tool: TOOL,
    source: { name: 'm/hello.onnx', ...input },
    output: { name: 'hello-FP16.onnx', ...output },
    report: runs.fp16.report,
  });
  return { r, input, output, runs };
}

describe('share links in the page', () => {
  it('treats any non-empty fragment as a report link', () => {
    expect(reportFragmentOf('')).toBeNull();
    expect(reportFragmentOf('#')).toBeNull();
    expect(reportFragmentOf('#  ')).toBeNull();
    expect(reportFragmentOf('#r1.abc')).toBe('r1.abc');
    expect(reportFragmentOf('#garbage')).toBe('garbage');
    expect(reportFragmentOf('#r1.ab%3Cimg%20src=x%3E')).toBe('r1.ab<img src=x>');
    expect(reportFragmentOf('#r1.%E0%A4%A')).toBe('r1.%E0%A4%A');
  });

  it('builds origin + path + #r1.… (no query) that decodes to the report', async () => {
    const { r } = await report();
    const url = shareUrl(r, { origin: 'https://example.org', pathname: '/some/sub/path/' });
    expect(url.startsWith('https://example.org/some/sub/path/#r1.')).toBe(true);
    expect(decodeReport(url)).toEqual(r);
  });

  it('gives safe export names', async () => {
    const { r } = await report();
    expect(exportName(r, 'json')).toBe('hello-FP16-report.json');
    expect(exportName({ ...r, output: { ...r.output, name: 'dir/<img src=x>.onnx' } }, 'md')).toBe('img_src_x_-report.md');
    expect(exportName({ ...r, output: { ...r.output, name: '...' } }, 'md')).toBe('ava-quantizer-report.md');
  });

  it('checks copies by content first, then by name, and says what differs', async () => {
    const { r, input, output } = await report();
    expect(checkCopy(r, 'renamed.onnx', output)).toMatchObject({ ok: true, role: 'output' });
    expect(checkCopy(r, 'hello.onnx', input).message).toMatch(/^matches the source hello\.onnx \(SHA-256 and MD5, [\d,]+ bytes\)$/);
    const other = await hashBytes(new Uint8Array([1, 2, 3]));
    const named = checkCopy(r, 'x/hello-FP16.onnx', other);
    expect(named).toMatchObject({ ok: false, role: 'output' });
    expect(named.message).toContain(`SHA-256 expected ${output.sha256}, got ${other.sha256}`);
    expect(named.message).toContain('size');
    expect(checkCopy(r, 'zzz.onnx', other)).toMatchObject({ ok: false, role: null });
    const noHashes = { ...r, source: { ...r.source, sha256: null, md5: null }, output: { ...r.output, sha256: null, md5: null } };
    expect(checkCopy(noHashes, 'hello.onnx', input).message).toBe('the report has no hashes to compare with');
  });
});
