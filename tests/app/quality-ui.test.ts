/** The quality UI's pure parts: tokenizer discovery, form validation, cache keys, model digests, display helpers. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findCompanions, pathOf, withRelativePath } from '../../src/app/quality/companions.js';
import { appVersion, cacheKey } from '../../src/app/quality/cache.js';
import { defaultForm, probeUrl, readForm, userTextsCanonical } from '../../src/app/quality/selection.js';
import { fcos, formatAdapter, formatPlacements, formatThreads, histogramBins } from '../../src/app/quality/view.js';

const file = (path: string, text = '{}') => withRelativePath(new File([text], path.split('/').pop()!), path);
const flat = (name: string, text = '{}') => new File([text], name);
const POOL = JSON.stringify({ word_embedding_dimension: 384, pooling_mode_mean_tokens: true, pooling_mode_cls_token: false });

describe('findCompanions', () => {
  it('flat drop: tokenizer.json, tokenizer_config.json, and a config.json only when it is a pooling config', async () => {
    const model = flat('model.onnx');
    const modelConfig = flat('config.json', JSON.stringify({ hidden_size: 384 }));
    const c = await findCompanions(model, [model, flat('tokenizer.json'), flat('tokenizer_config.json'), modelConfig]);
    expect(c.tokenizerJson?.name).toBe('tokenizer.json');
    expect(c.tokenizerConfig?.name).toBe('tokenizer_config.json');
    expect(c.pooling).toBeNull();
    const pooling = flat('config.json', POOL);
    expect((await findCompanions(model, [pooling])).pooling).toBe(pooling);
  });

  it('a Hugging Face folder: onnx/model.onnx finds the root tokenizer and 1_Pooling/config.json', async () => {
    const model = file('repo/onnx/model.onnx');
    const other = [
      file('repo/tokenizer.json'),
      file('repo/tokenizer_config.json'),
      file('repo/config.json', JSON.stringify({ hidden_size: 384 })),
      file('repo/1_Pooling/config.json', POOL),
      file('other/tokenizer.json'),
    ];
    const c = await findCompanions(model, other);
    expect(pathOf(c.tokenizerJson!)).toBe('repo/tokenizer.json');
    expect(pathOf(c.tokenizerConfig!)).toBe('repo/tokenizer_config.json');
    expect(pathOf(c.pooling!)).toBe('repo/1_Pooling/config.json');
  });

  it('the nearest tokenizer wins; one in an unrelated folder is not used', async () => {
    const model = file('a/onnx/model.onnx');
    expect(pathOf((await findCompanions(model, [file('a/tokenizer.json'), file('a/onnx/tokenizer.json')])).tokenizerJson!)).toBe(
      'a/onnx/tokenizer.json',
    );
    expect((await findCompanions(model, [file('b/tokenizer.json')])).tokenizerJson).toBeNull();
    expect((await findCompanions(model, [])).tokenizerJson).toBeNull();
  });
});

describe('readForm', () => {
  it('accepts the defaults: every probe set, threshold 0.95', () => {
    const r = readForm(defaultForm());
    expect(r).toEqual({
      ok: true,
      selection: {
        probes: ['en.json', 'multi.json', 'retrieval.json', 'seed-4doc.json'],
        sentences: [],
        documents: [],
        queries: [],
        threshold: 0.95,
      },
    });
  });

  it('pasted texts: one per line, blanks dropped; documents need 2+ and a query', () => {
    const r = readForm({ ...defaultForm(), sentences: ' a \n\n b\r\n', documents: 'd1\nd2', queries: 'q' });
    expect(r.ok && r.selection).toMatchObject({ sentences: ['a', 'b'], documents: ['d1', 'd2'], queries: ['q'] });
    expect(readForm({ ...defaultForm(), documents: 'only one', queries: 'q' })).toMatchObject({ ok: false });
    expect(readForm({ ...defaultForm(), documents: 'd1\nd2' })).toMatchObject({ ok: false });
    expect(readForm({ ...defaultForm(), queries: 'q' })).toMatchObject({ ok: false });
  });

  it('rejects a bad threshold and an empty selection', () => {
    for (const t of ['', 'abc', '1.5', '-1']) expect(readForm({ ...defaultForm(), threshold: t }).ok, t).toBe(false);
    expect(readForm({ ...defaultForm(), probes: [] }).ok).toBe(false);
    expect(readForm({ ...defaultForm(), probes: [], sentences: 'x' }).ok).toBe(true);
  });

  it('pasted texts are canonical for the cache key; none -> ""', () => {
    const r = readForm({ ...defaultForm(), sentences: 'x' });
    expect(r.ok && userTextsCanonical(r.selection)).toBe('{"sentences":["x"],"documents":[],"queries":[]}');
    const d = readForm(defaultForm());
    expect(d.ok && userTextsCanonical(d.selection)).toBe('');
  });

  it('probe files resolve against the page, so a sub-path works', () => {
    expect(probeUrl('en.json', 'https://example.org/some/sub/')).toBe('https://example.org/some/sub/probes/en.json');
  });
});

describe('cache key', () => {
  const parts = {
    original: 'a'.repeat(64),
    quantized: 'b'.repeat(64),
    tokenizer: 't,-,-',
    probes: ['seed-4doc.json', 'en.json'],
    userTexts: '-',
    threshold: 0.95,
  };
  it('names both models, tokenizer, probe selection, threshold, backend and app version', () => {
    const k = cacheKey({ ...parts, backend: 'wasm' });
    expect(k).toBe(`quality/v2/${appVersion}/wasm/${'a'.repeat(64)}/${'b'.repeat(64)}/t,-,-/en.json+seed-4doc.json/-/t0.95`);
    expect(appVersion).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
  it('differs when any part differs, not when the probe order does', () => {
    const k = cacheKey({ ...parts, backend: 'wasm' });
    expect(cacheKey({ ...parts, backend: 'webgpu' })).not.toBe(k);
    expect(cacheKey({ ...parts, backend: 'wasm', threshold: 0.9 })).not.toBe(k);
    expect(cacheKey({ ...parts, backend: 'wasm', quantized: 'c'.repeat(64) })).not.toBe(k);
    expect(cacheKey({ ...parts, backend: 'wasm', probes: ['en.json', 'seed-4doc.json'] })).toBe(k);
  });
});

describe('display helpers', () => {
  it('cosines near 1 get 6 decimals', () => {
    expect(fcos(0.999987654)).toBe('0.999988');
    expect(fcos(0.95)).toBe('0.9500');
    expect(fcos(1)).toBe('1.0000');
    expect(fcos(null)).toBe('n/a');
  });
  it('histogram bins have edges that tell neighbours apart and cover [lo, hi]', () => {
    const bins = histogramBins({ lo: 0.99, hi: 1, counts: [0, 1, 0, 3] });
    expect(bins.map((b) => b.label)).toEqual(['0.9900–0.9925', '0.9925–0.9950', '0.9950–0.9975', '0.9975–1.0000']);
    expect(bins.at(-1)!.hi).toBe(1);
  });
  it('adapter, placements and threads in words', () => {
    expect(
      formatAdapter({
        vendor: 'google',
        architecture: 'swiftshader',
        device: '',
        description: '',
        isFallbackAdapter: true,
        shaderF16: false,
      }),
    ).toBe('google swiftshader (fallback / software adapter; no shader-f16: float16 models cannot run)');
    expect(
      formatAdapter({ vendor: 'nvidia', architecture: 'ampere', device: '', description: '', isFallbackAdapter: false, shaderF16: true }),
    ).toBe('nvidia ampere');
    expect(formatAdapter(null)).toBe('none');
    const rt = {
      backend: 'webgpu' as const,
      ortBuild: 'onnxruntime-web/webgpu',
      ortVersion: '1.30.0',
      requestedProviders: ['webgpu'],
      placements: [
        {
          model: 'original' as const,
          eps: [
            { ep: 'WebGpuExecutionProvider', nodes: 191 },
            { ep: 'CPUExecutionProvider', nodes: 25 },
          ],
        },
      ],
      threads: 1,
      threadsReason: 'page not cross-origin isolated (no SharedArrayBuffer): single-threaded',
      crossOriginIsolated: false,
      hardwareConcurrency: 2,
      adapter: null,
      ortLog: [],
    };
    expect(formatPlacements(rt)).toEqual(['original: 191 nodes on WebGPU, 25 nodes on CPU (WASM)']);
    expect(formatThreads(rt)).toBe('1 thread (page not cross-origin isolated (no SharedArrayBuffer): single-threaded)');
  });
});
