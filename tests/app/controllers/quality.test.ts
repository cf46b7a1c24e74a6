/**
 * The quality controller without a DOM: the real check (the core on onnxruntime-node) on all-MiniLM-L6-v2 and its
 * INT8 copy made by the core, driven the way the quality panel drives it.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { QualityController, type QualityPair } from '../../../src/app/controllers/quality.svelte.js';
import { withRelativePath } from '../../../src/app/quality/companions.js';
import { defaultForm } from '../../../src/app/quality/selection.js';
import { fixture, MINILM, pathOf } from '../../helpers/fixtures.js';
import { nodeQualityDeps, nodeQuantize } from './node-deps.js';

const f = fixture(MINILM);
const extra = f.extra as Record<string, string>;
const asFile = (path: string, rel: string) => withRelativePath(new File([readFileSync(path)], rel.split('/').pop()!), rel);
const model = asFile(pathOf(f), 'all-MiniLM-L6-v2/onnx/model.onnx');
const tokenizer = asFile(pathOf(f, f.tokenizer!), 'all-MiniLM-L6-v2/tokenizer.json');
const tokenizerConfig = asFile(pathOf(f, extra.tokenizerConfig!), 'all-MiniLM-L6-v2/tokenizer_config.json');
const pooling = asFile(pathOf(f, extra.poolingConfig!), 'all-MiniLM-L6-v2/1_Pooling/config.json');

let int8: Blob;
beforeAll(async () => {
  int8 = (await nodeQuantize(model, [], { mode: 'int8', options: {} } as never)).blob;
});

function pair(others: File[]): QualityPair {
  return {
    original: { blob: model, name: 'model.onnx', path: 'all-MiniLM-L6-v2/onnx/model.onnx', others: [] },
    quantized: { blob: int8, name: 'all-MiniLM-L6-v2-INT8.onnx', others: [] },
    sources: () => [{ model, others }],
    outputs: ['last_hidden_state'],
  };
}
const small = () => ({ ...defaultForm(), probes: ['seed-4doc.json'] });

describe('QualityController', () => {
  it('the quick check answers in one sentence, is cached, and is what gets published', async () => {
    const deps = nodeQualityDeps();
    const q = new QualityController(pair([tokenizer, tokenizerConfig, pooling]), deps);
    await q.prepare();
    expect(q.companions?.tokenizerJson).toBe(tokenizer);
    expect(q.companions?.pooling).toBe(pooling);
    const running = q.runQuick();
    expect(q.busy).toBe(true);
    await running;
    expect(q.busy).toBe(false);
    expect(q.quick.status).toBe('done');
    const a = q.answer!;
    expect(a.kind).toBe('quick');
    const r = a.report;
    // About 24 probe sentences (en and multi thinned), the retrieval sets whole: 21 + 1 searches.
    expect(r.cosine!.count).toBeGreaterThanOrEqual(20);
    expect(r.cosine!.count).toBeLessThanOrEqual(30);
    expect(r.retrieval.sets.map((s) => s.id).sort()).toEqual(['retrieval', 'seed-4doc']);
    expect(r.verdict.pass).toBe(true);
    expect(r.verdict.headline).toMatch(/^\d+\.\d% similar · same top result for \d+ of 22 searches — safe to ship$/);
    expect(r.models.quantized.output).toBe('last_hidden_state');
    expect(r.models.quantized.pooling).toBe('mean');
    expect(deps.cache.size).toBe(1);
    expect(deps.published.at(-1)).toEqual([r]);
    expect(deps.announced.at(-1)).toBe(`Quick check of all-MiniLM-L6-v2-INT8.onnx: ${r.verdict.headline}`);

    // A second controller over the same files finds it in the cache, dated.
    const again = new QualityController(pair([tokenizer, tokenizerConfig, pooling]), deps);
    await again.lookupCached();
    expect(again.quick.status === 'done' && again.quick.cachedAt).toBe('2026-11-01T10:00:00.000Z');
    expect(again.answer?.report.verdict.headline).toBe(r.verdict.headline);
  });

  it('the full check replaces the quick answer; another pooling is its own result; cancel leaves nothing half-done', async () => {
    const deps = nodeQualityDeps();
    const q = new QualityController(pair([tokenizer, tokenizerConfig, pooling]), deps, { form: small() });
    await q.run(false);
    expect(q.runs.wasm.status).toBe('done');
    expect(q.runs.webgpu.status).toBe('skipped');
    expect(q.answer?.kind).toBe('full');
    const mean = q.answer!.report;
    expect(mean.cosine!.basis.kind).toBe('retrieval texts');
    expect(mean.models.original.pooling).toBe('mean');
    expect(q.allShown).toBe(true);

    // CLS pooling: a different vector, so a different report and cache entry.
    q.pooling = 'cls';
    await q.run(false);
    const cls = q.answer!.report;
    expect(cls.models.original.pooling).toBe('cls');
    expect(cls.cosine!.mean).not.toBe(mean.cosine!.mean);
    expect(deps.cache.size).toBe(2);

    // Cancel while it runs: no result, not busy, the backends back to idle.
    const run = q.run(true);
    expect(q.runs.wasm.status).toBe('queued');
    q.cancel();
    await run;
    expect(q.busy).toBe(false);
    expect(q.fullJob.status).toBe('cancelled');
    expect(q.runs.wasm.status).toBe('idle');
    expect(deps.announced).toContain('Cancelled the quality check of all-MiniLM-L6-v2-INT8.onnx');
  });

  it('a tokenizer dropped later is found by refreshCompanions', async () => {
    const later: File[] = [];
    const q = new QualityController({ ...pair(later), sources: () => [{ model, others: later }] }, nodeQualityDeps());
    await q.prepare();
    expect(q.companions?.tokenizerJson).toBeNull();
    later.push(tokenizer, pooling);
    await q.refreshCompanions();
    expect(q.companions?.tokenizerJson).toBe(tokenizer);
    expect(q.companions?.pooling).toBe(pooling);
  });
});
