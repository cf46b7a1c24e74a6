/**
 * Target mode from files, in Node (onnxruntime-node): what `ava-quant quantize in out target --min-cosine X` calls
 * (src/cli/target-mode.ts). Reads the model (external data included, brought inline), its tokenizer and pooling
 * config (next to it or one folder up, as `check` finds them) and the shipped probe sets; looks the answer up in the
 * cache (`cacheDir`: one JSON report per run, named by the engine's cache key and the backend) or runs runTargetMode
 * and caches its report; writes the answer to `output` through a temp file placed at the end (nothing is left behind
 * on failure or cancel; an existing file is not overwritten unless `overwrite`, and a file another run wrote there
 * meanwhile never is: OutputConflictError) and the report as JSON when asked.
 *
 * A cached report holds no model bytes: the answer is rebuilt from it (buildMix with the report's assignment and
 * options: the same bytes as the run that measured it, with this call's provenance), so no quality pass runs again.
 *
 *   npx tsx scripts/target-mode.ts model.onnx out.onnx --min-cosine 0.995 [--min-top5 0.95] [--report r.json]
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  TARGET_ENGINE_VERSION,
  buildMix,
  runTargetMode,
  targetCacheKeyFor,
  targetTuning,
  type MixOptions,
  type Precision,
  type TargetBar,
  type TargetModeOptions,
  type TargetProgress,
  type TargetReport,
  type TargetResult,
} from '../core/mixed/index.js';
import { parseModel } from '../core/onnx/model.js';
import { openModel } from '../core/onnx/open.js';
import { collectPieces, writeModel } from '../core/onnx/writer.js';
import type { OutputProvenance } from '../core/provenance.js';
import {
  PROBE_FILES,
  loadProbes,
  quickSelection,
  type OrtModule,
  type PoolingChoice,
  type ProbeBundle,
  type TokenizerFiles,
} from '../core/quality/index.js';
import { type OutputClaim, atomicFileSink, claimOutput, modelFilesOf } from './files.js';

const PROBE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../public/probes');

export interface TargetFilesOptions extends MixOptions {
  /** The float32 model (.onnx; its external data is read from its folder). */
  input: string;
  /** Where to write the answer (omit: measure only). Must not exist. */
  output?: string;
  /** Where to write the report as JSON (the quality report included). */
  reportPath?: string;
  bar: TargetBar;
  /** Sentence sets of the full probe set, by id (default en, multi); the retrieval sets always come with them. */
  probeSets?: string[];
  /** Sentences in the sensitivity subset (default 24). */
  sensitivitySentences?: number;
  candidates?: Precision[];
  maxVerifications?: number;
  uniform?: boolean;
  /** tokenizer.json / 1_Pooling/config.json (default: beside the model or one folder up). */
  tokenizer?: string;
  pooling?: string | 'mean' | 'cls' | 'none';
  onProgress?: (p: TargetProgress) => void;
  signal?: AbortSignal;
  /** Folder of cached reports (created when needed); null or absent: no cache. */
  cacheDir?: string | null;
  /** Recorded in the answer's metadata (source, tool version, date). */
  provenance?: OutputProvenance;
  /** Replace an existing output (the CLI's --force, after its own checks). */
  overwrite?: boolean;
  /**
   * What the answer may overwrite when it is written (the CLI's check when the command began); default: the file at
   * `output` when this call begins, with `overwrite`.
   */
  outputClaim?: OutputClaim;
  /** Called with the written temp file before it is renamed into place; throwing removes it (the target check). */
  beforeCommit?: (tempPath: string) => Promise<void>;
  /** Flush the output to disk before placing it (the CLI's --fsync). */
  fsync?: boolean;
}

export interface TargetFilesResult extends TargetResult {
  /** The report came from the cache (no quality pass ran; the answer was rebuilt from it). */
  cached: boolean;
  /** The cache file read or written (null without a cache). */
  cacheFile: string | null;
  /** The answer was written to `output`. */
  written: boolean;
}

/** The backend the Node entry measures on (part of the cache file's name: another backend, another answer). */
export const TARGET_NODE_BACKEND = 'onnxruntime-node cpu';

interface CacheEntry {
  engineVersion: number;
  cacheKey: string;
  backend: string;
  savedAt: string;
  report: TargetReport;
}

function readCache(file: string, key: string): TargetReport | null {
  if (!existsSync(file)) return null;
  try {
    const e = JSON.parse(readFileSync(file, 'utf8')) as CacheEntry;
    if (e.engineVersion !== TARGET_ENGINE_VERSION || e.cacheKey !== key || e.backend !== TARGET_NODE_BACKEND || e.report?.cacheKey !== key)
      return null;
    return e.report;
  } catch {
    return null; // unreadable: measured again and rewritten
  }
}

async function writeAtomic(
  path: string,
  bytes: Uint8Array,
  claim: OutputClaim,
  beforeCommit?: (tmp: string) => Promise<void>,
  fsync = false,
): Promise<void> {
  const sink = await atomicFileSink(path, claim);
  try {
    await sink.write(bytes);
    if (fsync) void sink.sync().catch(() => undefined); // awaited by commit (close)
    if (beforeCommit) await beforeCommit(sink.tmp);
    await sink.commit();
  } catch (e) {
    await sink.abort();
    throw e;
  }
}

function beside(model: string, rel: string): string | null {
  for (const dir of [dirname(model), dirname(dirname(model))]) {
    const p = join(dir, rel);
    if (existsSync(p)) return p;
  }
  return null;
}

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

/** The shipped probe sets (public/probes): the chosen sentence sets and every retrieval set. */
export async function shippedProbes(sentenceSets: string[] = ['en', 'multi']): Promise<ProbeBundle> {
  const all = await loadProbes(async (f) => readJson(join(PROBE_DIR, f)), PROBE_FILES);
  const unknown = sentenceSets.filter((id) => !all.sentenceSets.some((s) => s.id === id));
  if (unknown.length)
    throw new RangeError(`unknown probe set(s) ${unknown.join(', ')} (built in: ${all.sentenceSets.map((s) => s.id).join(', ')})`);
  return { sentenceSets: all.sentenceSets.filter((s) => sentenceSets.includes(s.id)), retrievalSets: all.retrievalSets };
}

/**
 * Runs target mode on a model file (or takes its cached report). Rejects with a message naming the file for unreadable
 * input, and as runTargetMode does; nothing is written when it rejects.
 */
export async function runTargetModeOnFiles(o: TargetFilesOptions): Promise<TargetFilesResult> {
  if (o.output && existsSync(o.output) && !o.overwrite)
    throw new Error(`${o.output} exists: choose another output name (user files are never overwritten)`);
  const claim = o.outputClaim ?? (o.output ? claimOutput(o.output, o.overwrite === true) : null);
  const files = modelFilesOf(o.input);
  let bytes: Uint8Array;
  try {
    const opened = await openModel(files);
    if (opened.model.dataProblems.length) throw new Error(`${o.input}: ${opened.model.dataProblems.join('; ')}`);
    bytes = await collectPieces(writeModel(opened.model), o.signal);
  } finally {
    await files.close();
  }
  const tokPath = o.tokenizer ?? beside(o.input, 'tokenizer.json');
  const tokenizer: TokenizerFiles | null = tokPath
    ? {
        tokenizerJson: readJson(tokPath),
        tokenizerConfig: existsSync(join(dirname(tokPath), 'tokenizer_config.json'))
          ? readJson(join(dirname(tokPath), 'tokenizer_config.json'))
          : undefined,
      }
    : null;
  const poolPath =
    o.pooling && !['mean', 'cls', 'none'].includes(o.pooling) ? o.pooling : beside(o.input, join('1_Pooling', 'config.json'));
  const pooling: PoolingChoice =
    o.pooling === 'mean' || o.pooling === 'cls' || o.pooling === 'none' ? o.pooling : poolPath ? readJson(poolPath) : undefined;
  const probes = await shippedProbes(o.probeSets);
  const options: TargetModeOptions = {
    // Loaded on use: the native binding costs start-up time and memory to every command that does not run a model.
    ort: (await import('onnxruntime-node')) as unknown as OrtModule,
    model: bytes,
    name: o.input.split(/[\\/]/).pop()!,
    tokenizer,
    pooling,
    probes,
    sensitivityProbes: quickSelection(probes, o.sensitivitySentences ?? 24),
    bar: o.bar,
    ...targetTuning(o),
    sessionOptions: { executionProviders: ['cpu'] },
    backend: TARGET_NODE_BACKEND,
    ...(o.provenance ? { provenance: o.provenance } : {}),
    onProgress: o.onProgress,
    signal: o.signal,
  };
  let result: TargetResult;
  let cached = false;
  let cacheFile: string | null = null;
  if (o.cacheDir) {
    const key = await targetCacheKeyFor(options);
    cacheFile = join(o.cacheDir, `${key}.node-cpu.json`);
    const hit = readCache(cacheFile, key);
    if (hit) {
      cached = true;
      const answer = hit.chosen
        ? await buildMix(
            parseModel(bytes),
            hit.chosen.assignment,
            { ...hit.mixOptions, ...(o.provenance ? { provenance: o.provenance } : {}) },
            undefined,
            o.signal,
          )
        : null;
      result = { report: hit, bytes: answer?.bytes ?? null };
      o.onProgress?.({ phase: 'done', fraction: 1, done: 1, total: 1, message: `from the cache: ${hit.verdict.statement}` });
    }
  }
  if (!cached) {
    result = await runTargetMode(options);
    if (cacheFile) {
      mkdirSync(dirname(cacheFile), { recursive: true });
      const entry: CacheEntry = {
        engineVersion: TARGET_ENGINE_VERSION,
        cacheKey: result.report.cacheKey,
        backend: TARGET_NODE_BACKEND,
        savedAt: new Date().toISOString(),
        report: result.report,
      };
      // Every run that writes this cache file writes the same report: the last one stays.
      await writeAtomic(cacheFile, new TextEncoder().encode(JSON.stringify(entry)), 'replace-any');
    }
  }
  const r = result!;
  let written = false;
  if (o.output && r.bytes) {
    await writeAtomic(o.output, r.bytes, claim!, o.beforeCommit, o.fsync);
    written = true;
  }
  if (o.reportPath) await writeFile(o.reportPath, JSON.stringify(r.report, null, 1));
  return { ...r, cached, cacheFile, written };
}
