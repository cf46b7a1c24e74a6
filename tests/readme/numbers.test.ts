/**
 * Issue 11 kind 7: the README's figures are what the product measures. Sizes and mean cosines are measured again
 * (tests/readme/measure.ts: the commands the README gives) and compared at the precision the README prints; counts
 * (probe sets, parity pairs, the tokenizer's truncation) are read from the files they describe; the benchmark tables
 * must be the recorded run they cite. Run alone with `npm run readme:numbers`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatSavings } from '../../src/core/size.js';
import { fixture, pathOf, MINILM } from '../helpers/fixtures.js';
import { CASES, type Measured, measureAll } from './measure.js';
import { modesTableText, type ModesRow } from '../../bench/modes-table.js';
import { boundsTable, chromiumTable, nodeTable, type BenchResults } from '../../bench/readme-table.js';

const ROOT = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The README line holding `key` (exactly one). */
function line(key: string): string {
  const lines = README.split('\n').filter((l) => l.includes(key));
  expect(lines, `README lines with ${JSON.stringify(key)}`).toHaveLength(1);
  return lines[0]!;
}

/** The cells of a Markdown table row. */
const cells = (row: string): string[] =>
  row
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());

/** `x` printed with as many decimals as `printed` has, then compared. */
function same(printed: string, x: number): void {
  const decimals = printed.split('.')[1]?.length ?? 0;
  expect(printed, `README prints ${printed}, the measurement gives ${x}`).toBe(x.toFixed(decimals));
}

/** Where each measured case is in the README: the table row (size and cosine in its last two cells) or a sentence. */
const WHERE: Record<string, { row: string } | { pattern: RegExp }> = {
  'int8 avx512-vnni': { row: '| `avx512-vnni` (**default**) |' },
  'int8 tjs-q8': { row: '| `tjs-q8` | transformers.js `q8`' },
  'int8 ort-default': { row: '| `ort-default` | `quantize_dynamic(model, out)`' },
  'int8 arm64': { row: '| `arm64` (= `avx512`, `avx512_vnni`) |' },
  'int8 avx2': { row: '| `avx2` | QUInt8' },
  fp16: { pattern: /MiniLM FP16 is\s+([\d.]+)% of the original with mean cosine ([\d.]+)/ },
  'q4 tjs-q4': { row: '| Q4 (transformers.js `q4`: block 32, symmetric) |' },
  'q4 b32 zp gather': { row: '| Q4 block 32, zero points, + Gather tables |' },
  q4f16: { row: '| Q4F16 | `q4f16` |' },
};

describe('the README says what the product measures (all-MiniLM-L6-v2)', () => {
  let measured: Measured[];
  beforeAll(async () => {
    measured = await measureAll(CASES);
    for (const m of measured)
      console.info(
        `[readme] ${m.id}: ${m.sizePercent.toFixed(3)}% of fp32, mean cosine ${m.meanCosine.toFixed(7)} over ${m.sentences} sentences`,
      );
  }, 600_000);

  it('every case has its place in the README, and the sentences are the 107 English probes', () => {
    expect(Object.keys(WHERE).sort()).toEqual(CASES.map((c) => c.id).sort());
    for (const m of measured) expect(m.sentences).toBe(107);
  });

  for (const c of CASES)
    it(`${c.id}: size and mean cosine as printed (quantize … ${c.cli}; check … --probes en)`, () => {
      const m = measured.find((x) => x.id === c.id)!;
      const w = WHERE[c.id]!;
      let size: string;
      let cosine: string;
      if ('row' in w) {
        const row = cells(line(w.row));
        size = row.at(-2)!.replace(/%$/, '');
        cosine = row.at(-1)!;
      } else {
        const hit = w.pattern.exec(README.replace(/\n/g, ' '));
        expect(hit, `README sentence ${w.pattern}`).not.toBeNull();
        [, size, cosine] = hit as unknown as [string, string, string];
      }
      same(size, m.sizePercent);
      same(cosine, m.meanCosine);
    });

  it('the default preset is the INT8 preset that agrees best with fp32 (the README says so)', () => {
    const int8 = measured.filter((m) => m.id.startsWith('int8 '));
    const best = int8.reduce((a, b) => (b.meanCosine > a.meanCosine ? b : a));
    expect(best.id).toBe('int8 avx512-vnni');
    expect(README).toMatch(/The default is `avx512-vnni` because it agrees best with fp32/);
  });

  it("the result panel's example is the default preset's output", () => {
    const m = measured.find((x) => x.id === 'int8 avx512-vnni')!;
    expect(README.replace(/\n/g, ' ')).toContain(
      `\`${formatSavings(m.inputBytes, m.outputBytes)}\` (all-MiniLM-L6-v2, INT8 default preset)`,
    );
  });
});

describe('counts the README states are those of the files', () => {
  const probe = (f: string) => JSON.parse(readFileSync(join(ROOT, 'public', 'probes', f), 'utf8')) as Record<string, unknown>;

  it('probe sets: 107 English sentences, 14 languages × 8, 52 documents and 21 queries, the seed case with 4 documents', () => {
    const en = probe('en.json') as { sentences: unknown[] };
    expect(en.sentences).toHaveLength(Number(/English \((\d+) sentences/.exec(README)![1]));
    const multi = probe('multi.json') as { sentences: { lang: string }[] };
    const langs = new Map<string, number>();
    for (const s of multi.sentences) langs.set(s.lang, (langs.get(s.lang) ?? 0) + 1);
    const [, nLang, perLang] = /multilingual \((\d+) languages × (\d+)/.exec(README)!;
    expect(langs.size).toBe(Number(nLang));
    expect(new Set(langs.values())).toEqual(new Set([Number(perLang)]));
    const retrieval = probe('retrieval.json') as { documents: unknown[]; queries: unknown[] };
    const [, docs, queries] = /(\d+)-document collection with (\d+) queries/.exec(README)!;
    expect(retrieval.documents).toHaveLength(Number(docs));
    expect(retrieval.queries).toHaveLength(Number(queries));
    const seed = probe('seed-4doc.json') as { documents: unknown[] };
    expect(seed.documents).toHaveLength(Number(/visible case \((\d+) documents/.exec(README)![1]));
  });

  it("the tokenizer's truncation of all-MiniLM-L6-v2", () => {
    const f = fixture(MINILM);
    const tok = JSON.parse(readFileSync(pathOf(f, f.tokenizer!), 'utf8')) as { truncation: { max_length: number } };
    expect(tok.truncation.max_length).toBe(Number(/\((\d+) for all-MiniLM-L6-v2\)/.exec(README)![1]));
  });

  it('INT8 parity: the pairs the reference can do, of all the goldens', () => {
    const dir = join(ROOT, 'tests', 'golden', 'int8');
    const goldens = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { error?: string });
    const ok = goldens.filter((g) => !g.error).length;
    expect(README).toContain(
      `identical on all ${ok} fixture × preset pairs the reference can do (of ${goldens.length}; the reference raises on the other ${goldens.length - ok})`,
    );
  });
});

describe('the benchmark tables are the recorded runs they cite', () => {
  const flat = README.replace(/\n\s*/g, ' ');

  it("issue 10's tables (Node and Chromium) are the recorded run's rows, as bench/readme-table.ts prints them", () => {
    const file = /`npm run bench` \(recorded run `(bench\/results\/[^`]+)`/.exec(flat)![1]!;
    const run = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as BenchResults;
    const lines = [...nodeTable(run), ...boundsTable(run), ...chromiumTable(run)].filter((l) => !l.startsWith('| ---'));
    // Both tables: the header, a row per model and mode (INT8, FP16) that ran.
    expect(lines.length).toBeGreaterThan(4);
    for (const l of lines)
      expect(
        README.split('\n').filter((x) => x === l),
        l,
      ).toHaveLength(1);
    // The machine the README names is the run's.
    expect(flat).toContain(`${run.machine.cpu}, ${run.machine.cores} cores, ${run.machine.memGiB} GiB`);
  });

  const file = /Embedding throughput, from the earlier in-process bench \(`(bench\/results\/[^`]+)`/.exec(flat)![1]!;
  const run = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as {
    quality: { model: string; runtime: string; threads: number | null; sentencesPerSecond: number | null }[];
  };

  it('embedding throughput', () => {
    const rate = (model: string, runtime: RegExp, threads: number | null) => {
      const q = run.quality.find((x) => x.model === model && runtime.test(x.runtime) && x.threads === threads)!;
      const v = q.sentencesPerSecond!;
      return v < 10 ? v.toFixed(1) : String(Math.round(v));
    };
    expect(cells(line('| onnxruntime-node, 2 threads |')).slice(1)).toEqual(
      ['fp32', 'int8', 'fp16'].map((m) => rate(m, /^onnxruntime-node/, 2)),
    );
    expect(cells(line('| Chromium WASM, 2 threads |')).slice(1)).toEqual(['fp32', 'int8', 'fp16'].map((m) => rate(m, /wasm/, 2)));
    expect(cells(line('| Chromium WebGPU (SwiftShader')).slice(1, 3)).toEqual(['fp32', 'int8'].map((m) => rate(m, /webgpu/, null)));
  });
});

describe('the modes table (issue 13) is the recorded run it cites', () => {
  const file = /`npm run bench -- --modes-table-only --no-browser` \(recorded run `(bench\/results\/[^`]+)`/.exec(
    README.replace(/\n/g, ' '),
  )![1]!;
  const run = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { modesTable: ModesRow[] };

  it('every recorded row is in the README as the bench prints it, and the target mode sentences quote it', () => {
    expect(run.modesTable.length).toBeGreaterThan(10);
    // The bench's own Markdown for the rows (bench/modes-table.ts modesTableText), each line in the README once.
    const rows = modesTableText({ rows: run.modesTable, notes: [], probes: '' })
      .split('\n')
      .filter((l) => l.startsWith('| all-MiniLM'));
    expect(rows).toHaveLength(run.modesTable.length);
    for (const r of rows)
      expect(
        README.split('\n').filter((l) => l === r),
        r,
      ).toHaveLength(1);
    const target = (bar: string) => run.modesTable.find((r) => r.mode === 'target' && r.variant.startsWith(`mean cosine ≥ ${bar}:`))!;
    const t99 = target('0.99');
    const t995 = target('0.995');
    const int8 = run.modesTable.find((r) => r.mode === 'INT8' && r.variant === 'avx512-vnni')!;
    const mib = (b: number) => (b / 2 ** 20).toFixed(2);
    const flat = README.replace(/\n\s*/g, ' ');
    expect(flat).toContain(
      `**Bar 0.99**: met at ${mib(t99.bytes)} MiB, ${(100 * t99.ratio).toFixed(1)}% of fp32 and ${(100 * (1 - t99.bytes / int8.bytes)).toFixed(1)}% smaller than plain INT8 (${mib(int8.bytes)} MiB)`,
    );
    expect(flat).toContain(
      `mean cosine ${t99.meanCosine!.toFixed(4)} and a better top-5 overlap than plain INT8 (${t99.top5Overlap!.toFixed(3)} vs ${int8.top5Overlap!.toFixed(3)})`,
    );
    expect(t995.note).toMatch(/^nothing smaller than plain INT8 met it/);
    expect(flat).toContain(
      `plain INT8 misses the bar (${int8.meanCosine!.toFixed(4)}); the smallest model that met it is ${mib(t995.bytes)} MiB`,
    );
    expect(flat).toContain(`mean cosine ${t995.meanCosine!.toFixed(4)})`);
  });
});
