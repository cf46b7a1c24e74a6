/**
 * `npm run bench -- --quality`: embedding throughput (sentences/s) of all-MiniLM-L6-v2 fp32 / INT8 / FP16 on the
 * English probe sentences, with onnxruntime-node (1 and 2 intra-op threads) and in headless Chromium with
 * onnxruntime-web: WASM with 1 and 2 threads (cross-origin isolated dev server) and WebGPU (whatever adapter the
 * browser has: SwiftShader, i.e. the CPU, on a machine without a GPU, so WebGPU gets a smaller sentence subset).
 * Same tokenizer, same batches (16, sorted by length), one warm-up batch first. No timing is asserted anywhere.
 */
import { readFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import * as ort from 'onnxruntime-node';
import { createServer } from 'vite';
import { convertFp16 } from '../src/core/fp16/index.js';
import { quantizeInt8 } from '../src/core/int8/index.js';
import { collectPieces, parseModel } from '../src/core/onnx/index.js';
import type { OrtModule, PoolingConfigJson, TokenizerFiles } from '../src/core/quality/index.js';
import { fixture, MINILM, pathOf } from '../tests/helpers/fixtures.js';
import { measureThroughput, type ThroughputResult } from './quality-throughput.js';
import type { WorkerCase } from './quality-worker.js';

export interface QualityRow {
  model: 'fp32' | 'int8' | 'fp16';
  runtime: string;
  threads: number | null;
  sentences: number;
  tokens: number | null;
  loadMs: number | null;
  ms: number | null;
  sentencesPerSecond: number | null;
  note?: string;
  error?: string;
}

export interface QualityBenchOptions {
  browser: boolean;
  /** Sentences for WebGPU (SwiftShader is ~100x slower than WASM). Default 16. */
  gpuSentences?: number;
  batchSize?: number;
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];
const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

function row(
  model: QualityRow['model'],
  runtime: string,
  threads: number | null,
  n: number,
  r: ThroughputResult | null,
  error?: string,
  note?: string,
): QualityRow {
  return {
    model,
    runtime,
    threads,
    sentences: r?.sentences ?? n,
    tokens: r?.tokens ?? null,
    loadMs: r?.loadMs ?? null,
    ms: r?.ms ?? null,
    sentencesPerSecond: r?.sentencesPerSecond ?? null,
    ...(note ? { note } : {}),
    ...(error ? { error } : {}),
  };
}

export async function runQualityBench(opts: QualityBenchOptions): Promise<QualityRow[]> {
  const f = fixture(MINILM);
  const extra = f.extra as Record<string, string>;
  const fp32 = new Uint8Array(readFileSync(pathOf(f)));
  const tokenizer: TokenizerFiles = {
    tokenizerJson: json(pathOf(f, f.tokenizer!)),
    tokenizerConfig: json(pathOf(f, extra.tokenizerConfig!)),
  };
  const pooling = json(pathOf(f, extra.poolingConfig!)) as PoolingConfigJson;
  const sentences = (json('public/probes/en.json').sentences as { text: string }[]).map((s) => s.text);
  const batchSize = opts.batchSize ?? 16;
  const gpuN = Math.min(sentences.length, opts.gpuSentences ?? 16);
  process.stderr.write('bench quality: making INT8 and FP16 copies\n');
  const models = {
    fp32,
    int8: await collectPieces((await quantizeInt8(parseModel(fp32), {})).parts),
    fp16: await collectPieces((await convertFp16(parseModel(fp32), {})).parts),
  };
  const rows: QualityRow[] = [];

  for (const [name, bytes] of Object.entries(models) as [QualityRow['model'], Uint8Array][]) {
    for (const threads of [1, 2]) {
      process.stderr.write(`bench quality: node ${name} ${threads}t\n`);
      try {
        const r = await measureThroughput(ort as unknown as OrtModule, {
          model: bytes,
          tokenizer,
          pooling,
          sentences,
          batchSize,
          sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 } as {
            executionProviders: string[];
          },
        });
        rows.push(row(name, 'onnxruntime-node cpu', threads, sentences.length, r));
      } catch (e) {
        rows.push(row(name, 'onnxruntime-node cpu', threads, sentences.length, null, (e as Error).message));
      }
    }
  }
  if (!opts.browser) return rows;

  // The models are served from this process by the dev server (INT8/FP16 are not files anywhere; Playwright's
  // route.fulfill cannot carry ~90 MB bodies).
  const server = await createServer({
    server: { port: 5180, strictPort: false },
    logLevel: 'error',
    plugins: [
      {
        name: 'ava-bench-models',
        configureServer(s) {
          s.middlewares.use('/__bench-models', (req, res) => {
            const m = /^\/(\w+)\.onnx$/.exec(req.url ?? '');
            const bytes = m ? models[m[1] as keyof typeof models] : undefined;
            res.statusCode = bytes ? 200 : 404;
            res.setHeader('Content-Type', 'application/octet-stream');
            res.end(bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : 'no such model');
          });
        },
      },
    ],
  });
  await server.listen();
  const base = server.resolvedUrls!.local[0]!;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}bench/quality.html`);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
    for (const name of Object.keys(models) as QualityRow['model'][]) {
      const cases: { backend: 'wasm' | 'webgpu'; threads: number; n: number }[] = [
        { backend: 'wasm', threads: 1, n: sentences.length },
        { backend: 'wasm', threads: 2, n: sentences.length },
        { backend: 'webgpu', threads: 2, n: gpuN },
      ];
      for (const c of cases) {
        process.stderr.write(
          `bench quality: chromium ${c.backend} ${name} ${c.backend === 'wasm' ? `${c.threads}t` : `${c.n} sentences`}\n`,
        );
        const wc: WorkerCase = {
          backend: c.backend,
          threads: c.threads,
          modelUrl: `${base}__bench-models/${name}.onnx`,
          tokenizer,
          pooling,
          sentences: sentences.slice(0, c.n),
          batchSize,
        };
        const runtime = `chromium onnxruntime-web ${c.backend}`;
        const threads = c.backend === 'wasm' ? c.threads : null;
        try {
          const run = () => page.evaluate((x) => (window as unknown as { qualityCase(c: unknown): Promise<unknown> }).qualityCase(x), wc);
          // Vite may reload the page once when it first sees the worker's dependencies: wait and retry once.
          const r = (await run().catch(async () => {
            await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60_000 });
            return run();
          })) as { ok: true; result: ThroughputResult; adapter: string; isolated: boolean } | { ok: false; error: string };
          if (r.ok)
            rows.push(
              row(
                name,
                runtime,
                threads,
                c.n,
                r.result,
                undefined,
                c.backend === 'webgpu' ? `adapter ${r.adapter || 'unnamed'}` : r.isolated ? undefined : 'not isolated',
              ),
            );
          else rows.push(row(name, runtime, threads, c.n, null, r.error));
        } catch (e) {
          rows.push(row(name, runtime, threads, c.n, null, (e as Error).message.split('\n')[0]));
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return rows;
}

export function qualityTable(rows: QualityRow[]): string {
  const fmt = (x: number | null, d = 0) => (x === null ? '—' : x.toFixed(d));
  return [
    'Embedding throughput, all-MiniLM-L6-v2 on the English probe sentences (batches of 16 sorted by length, after one warm-up batch)',
    '',
    '| model | runtime | threads | sentences | tokens | load ms | embed ms | sentences/s | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.runtime} | ${r.threads ?? '—'} | ${r.sentences} | ${r.tokens ?? '—'} | ${fmt(r.loadMs)} | ${fmt(r.ms)} | ${fmt(r.sentencesPerSecond, 1)} | ${[r.note, r.error ? `error: ${r.error.slice(0, 100)}` : undefined].filter(Boolean).join('; ')} |`,
    ),
  ].join('\n');
}
