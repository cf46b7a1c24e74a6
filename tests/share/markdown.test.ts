/** Markdown export: the content, and escaping of hostile strings from models and file names. */
import { describe, expect, it } from 'vitest';
import { escapeMarkdown, reportToJson, reportToMarkdown, SchemaError } from '../../src/core/share/index.js';
import { sampleReport } from './sample.js';

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '[x](javascript:alert(1))',
  '![p](https://evil.example/t.png)',
  '<script>alert(1)</script>',
  '`code` *em* _u_ | cell | ~~s~~',
  'line1\n# heading\r\n<b>',
  '<https://evil.example>',
  '&lt;already&gt;',
];

/** What a Markdown renderer could turn into markup: raw tags, links/images, autolinks, unescaped emphasis or table pipes. */
function assertInert(md: string): void {
  expect(md).not.toMatch(/<[A-Za-z/!?]/); // no raw HTML tag or autolink opener
  expect(md).not.toMatch(/(^|[^\\])\]\(/m); // no [text](target)
  expect(md).not.toMatch(/(^|[^\\])!\[/m); // no image
  expect(md).not.toMatch(/(^|[^\\])\[x(\\\]|\])/); // no unescaped [x]
  expect(md).not.toMatch(/javascript:/); // the colon is escaped
}

describe('escapeMarkdown', () => {
  it('neutralises HTML, links, images, emphasis, code, table pipes and line breaks', () => {
    expect(escapeMarkdown('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(escapeMarkdown('[x](javascript:alert(1))')).toBe('\\[x\\]\\(javascript\\:alert\\(1\\)\\)');
    expect(escapeMarkdown('a|b`c*d_e\\f')).toBe('a\\|b\\`c\\*d\\_e\\\\f');
    expect(escapeMarkdown('one\ntwo\r\n\u2028three\u0000')).toBe('one two three ');
    expect(escapeMarkdown('&amp;')).toBe('&amp;amp;');
    expect(escapeMarkdown('all-MiniLM-L6-v2.onnx')).toBe('all-MiniLM-L6-v2.onnx');
    // Colons are escaped only where they could end a URL scheme.
    expect(escapeMarkdown('made 22:56, Reason: x, https://e.example')).toBe('made 22:56, Reason: x, https\\://e.example');
    for (const h of HOSTILE) assertInert(escapeMarkdown(h));
  });
});

describe('reportToMarkdown', () => {
  it('shows the facts of the run', () => {
    const md = reportToMarkdown(sampleReport());
    expect(md).toContain('# AVA Quantizer report: all-MiniLM-L6-v2-INT8.onnx');
    expect(md).toContain('- **Size:** 86.19 MiB → 21.93 MiB (74.5% smaller) in 5.1 s');
    expect(md).toContain('- **Preset:** tjs-q8');
    expect(md).toContain(`| all-MiniLM-L6-v2.onnx | 90,378,583 | \`${'a'.repeat(64)}\` | \`${'b'.repeat(32)}\` |`);
    expect(md).toContain(`| all-MiniLM-L6-v2-INT8.onnx | 23,000,000 | \`${'c'.repeat(64)}\` | n/a |`);
    // Settings by their names in the page's form, the option's key beside it.
    expect(md).toContain('- Op types to quantize (`opTypes`): MatMul, Gather');
    expect(md).toContain('- Per-channel scales (`perChannel`): on');
    expect(md).toContain('**74.5% smaller · 98.7% similar · same top result for 20 of 21 searches — passes; worth a look: 1 warning**');
    expect(md).toContain('- Reduce range (7-bit weights) (`reduceRange`): on');
    // The date as people read it, no escapes in it.
    expect(md).toContain('- **Tool:** ava-quantizer 0.1.0, 2025-06-01 12:34:56 UTC');
    expect(md).not.toMatch(/\d\\:\d/);
    expect(md).toContain('- Rewritten: Gather ×1, MatMul ×36');
    expect(md).toContain('**PASS**: mean cosine 0.9871 (threshold 0.950) on onnxruntime-web wasm (wasm), 120 texts');
    expect(md).toContain('| 120 texts | 0.9871 | 0.9512 | 0.9633 | 0.9889 | 0.9981 |');
    expect(md).toContain('| retrieval | 3 | 0.930 | 0.667 |');
    expect(md).toContain('Histogram: [0.950, 0.960): 1; [0.960, 0.970): 3; [0.970, 0.980): 10; [0.980, 0.990): 40; [0.990, 1.000): 66');
    expect(md).toContain('- Warning: batch composition changes INT8 embeddings slightly');
    expect(md.endsWith('\n')).toBe(true);
    const none = sampleReport();
    none.quality = null;
    expect(reportToMarkdown(none)).toContain('## Quality\n\nNot checked.\n');
  });

  it('escapes hostile strings everywhere they can appear', () => {
    let n = 0;
    const h = () => HOSTILE[n++ % HOSTILE.length]!;
    const r = sampleReport();
    r.source.name = h();
    r.output.name = h();
    r.preset = h();
    r.tool.name = h();
    r.tool.version = h();
    r.options = { [h()]: h(), list: [h(), h()] };
    r.conversion.notes = [h(), h()];
    r.conversion.rewritten = { [h()]: 1 };
    r.conversion.keptInFloat = { [h()]: 2 };
    r.quality!.backend = h();
    r.quality!.providers = [h()];
    r.quality!.verdict.metric = h();
    r.quality!.verdict.reasons = [h()];
    r.quality!.verdict.warnings = [h()];
    r.quality!.errors = [h()];
    r.quality!.topK = [{ set: h(), k: 1, mean: 1, min: 1 }];
    const md = reportToMarkdown(r);
    assertInert(md);
    expect(md).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(md).toContain('\\[x\\]\\(javascript\\:alert\\(1\\)\\)');
    // Table rows keep their column count: pipes inside strings are escaped.
    const pipes = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    let header = 0;
    md.split('\n').forEach((l, i, all) => {
      if (!l.startsWith('|')) return;
      if (!all[i - 1]!.startsWith('|')) header = pipes(l);
      expect(pipes(l), l).toBe(header);
    });
    // No block starts inside a string (the "# heading" after a line break in a name stays inline).
    expect(md.split('\n').filter((l) => /^\s*[#>]/.test(l))).toEqual([
      '# AVA Quantizer report: \\[x\\]\\(javascript\\:alert\\(1\\)\\)',
      '## Settings',
      '## INT8 quantization',
      '## Quality',
    ]);
    expect(md).toContain('line1 \\# heading &lt;b&gt;');
  });

  it('validates first, and reportToJson is stable', () => {
    const bad = sampleReport();
    bad.source.bytes = -5;
    expect(() => reportToMarkdown(bad)).toThrow(SchemaError);
    const json = reportToJson(sampleReport());
    expect(JSON.parse(json)).toEqual(sampleReport());
    expect(json.endsWith('}\n')).toBe(true);
  });
});
