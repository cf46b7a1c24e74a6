// The target worker in the browser (workers/target.worker.ts through src/app/target-bridge.ts runTarget), before the
// page has a control for it: the dev server serves the modules and the sample fixture (/__fixtures/), and the test
// calls the bridge the way the page will. A small budget (a few sentences, int8 only, no retrieval) keeps it short;
// the search itself is tested in Node (tests/mixed/target.test.ts).
import { devPort } from '../playwright.config.js';
import { expect, test } from './helpers.js';

test.use({ baseURL: `http://localhost:${devPort}/` });

test('dev: target mode in its worker on onnxruntime-web: report, answer in OPFS, checked against the target; the same run again comes from the cache; cancel removes the job', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('./');
  const r = await page.evaluate(async () => {
    const manifest = (await (await fetch('/__fixtures/manifest.json')).json()) as {
      models: { name: string; url: string; tokenizerUrl: string | null }[];
    };
    const f = manifest.models.find((m) => m.name === 'all-MiniLM-L6-v2')!;
    const blob = await (await fetch(f.url)).blob();
    const tokenizerJson = await (await fetch(f.tokenizerUrl!)).blob();
    const bridge = '/src/app/target-bridge.ts';
    const files = '/src/app/output-files.ts';
    const quality = '/src/core/quality/index.ts';
    const { runTarget } = (await import(/* @vite-ignore */ bridge)) as typeof import('../src/app/target-bridge.js');
    const { newJobId } = (await import(/* @vite-ignore */ files)) as typeof import('../src/app/output-files.js');
    const { sentencesFromStrings } = (await import(/* @vite-ignore */ quality)) as typeof import('../src/core/quality/index.js');
    const probes = {
      sentenceSets: [
        sentencesFromStrings(
          [
            'How do I reset my password?',
            'The quick brown fox jumps over the lazy dog.',
            'Quantization stores weights with fewer bits.',
            'It will rain tomorrow.',
          ],
          'few',
        ),
      ],
      retrievalSets: [],
    };
    const request = {
      model: { blob, name: 'model.onnx' },
      tokenizer: { tokenizerJson },
      pooling: null,
      bar: { minCosine: 0.98 },
      probes,
      candidates: ['int8' as const],
      uniform: false,
      sensitivitySentences: 2,
      maxVerifications: 1,
      target: { id: 'browser-wasm' as const },
      date: '2026-01-01T00:00:00.000Z',
    };
    const phases: string[] = [];
    const t0 = performance.now();
    const a = await runTarget({ ...request, noCache: true, output: { jobId: newJobId() } }, { onProgress: (p) => phases.push(p.phase) });
    const ms = performance.now() - t0;
    const b = await runTarget({ ...request, output: { jobId: newJobId() } });
    const ab = a.file ? new Uint8Array(await a.file.arrayBuffer()) : null;
    const bb = b.file ? new Uint8Array(await b.file.arrayBuffer()) : null;
    const identical = !!ab && !!bb && ab.length === bb.length && ab.every((x, i) => x === bb[i]);
    // Cancel during the search: rejects with kind 'abort', and the job leaves no file in OPFS.
    const c = new AbortController();
    const jobId = newJobId();
    let cancelled = '';
    await runTarget(
      { ...request, noCache: true, output: { jobId } },
      { signal: c.signal, onProgress: (p) => p.phase === 'sensitivity' && c.abort() },
    ).catch((e: { kind?: string }) => (cancelled = e.kind ?? 'none'));
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('ava-output', { create: true });
    const left: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) if (name.startsWith(jobId)) left.push(name);
    return {
      ms,
      phases: [...new Set(phases)],
      groups: a.report.groups.map((g) => g.id),
      points: a.report.points.length,
      chosen: a.report.chosen ? { bytes: a.report.chosen.bytes, assignment: a.report.chosen.assignment } : null,
      statement: a.report.verdict.statement,
      quality: a.report.quality ? a.report.quality.backend.label : null,
      fileSize: a.file?.size ?? null,
      fileName: a.fileName,
      storage: a.storage,
      check: a.targetCheck ? { target: a.targetCheck.target, ok: a.targetCheck.ok } : null,
      runtime: a.runtime,
      fromCache: [a.fromCache, b.fromCache],
      identical,
      cancelled,
      left,
    };
  });
  console.info(`[target worker] ${(r.ms / 1000).toFixed(1)} s on ${r.runtime.ortBuild} (${r.runtime.threads} threads): ${r.statement}`);
  expect(r.phases).toEqual(['groups', 'baseline', 'sensitivity', 'search', 'verify', 'report', 'done'].filter((p) => r.phases.includes(p)));
  expect(r.phases).toContain('sensitivity');
  expect(r.groups).toEqual(['embeddings', 'layer.0', 'layer.1', 'layer.2', 'layer.3', 'layer.4', 'layer.5', 'rest']);
  expect(r.points).toBeGreaterThan(7);
  expect(r.chosen).not.toBeNull();
  expect(r.fileSize).toBe(r.chosen!.bytes);
  expect(r.fileName).toBe('model-MIXED.onnx');
  expect(r.storage).toBe('opfs');
  expect(r.quality).toBe('onnxruntime-web wasm');
  expect(r.check).toEqual({ target: 'browser-wasm', ok: true });
  expect(r.runtime.ortBuild).toBe('onnxruntime-web/wasm');
  expect(r.fromCache).toEqual([false, true]);
  expect(r.identical).toBe(true);
  expect(r.cancelled).toBe('abort');
  expect(r.left).toEqual([]);
});
