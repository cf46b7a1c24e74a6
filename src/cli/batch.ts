/**
 * `ava-quant batch <dir>`: the seed's quantize-all-models.sh. Every .onnx in the folder, already-quantized ones
 * skipped with the reason, outputs named as the app names them, hashes and a manifest.json, a summary table,
 * exit 1 when any model failed.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  MANIFEST_NAME,
  createManifest,
  manifestOutput,
  manifestToJson,
  mergeManifest,
  parseManifest,
  type Manifest,
  type ManifestInput,
  type ManifestOutput,
} from '../core/batch/manifest.js';
import { NamingError, outputName, skipDecision, type NamingTemplate } from '../core/batch/naming.js';
import { MODE_IDS, MODE_METAS, type ModeId, type ModeRequest, isModeId, modeMeta } from '../core/modes/registry.js';
import { summarize } from '../core/onnx/inspect.js';
import { inputBytes } from '../core/onnx/open.js';
import { claimOutput, digestsOfFile, fileIdOf } from '../node/files.js';
import { AvaError } from '../core/errors.js';
import { type CliInput, openInput, produce, provenanceDate } from './pipeline.js';
import { CliError, type CliIo, EXIT, dataPathOf, int, mb, siblingsOf, unknownValue, writeAtomically } from './io.js';
import { createProgress } from './progress.js';
import { TOOL } from '../core/tool.js';
import { startTensorWorkers } from '../node/tensor-workers.js';

export const BATCH_USAGE = `Usage:
  ava-quant batch <dir> [options]

Quantizes every .onnx file in <dir> (not subfolders). Files that are already quantized (name ends in
${MODE_METAS.map((m) => m.suffix).join('/')}, or the model itself says so) are skipped with the reason, and so is an output that would
rewrite nothing ("nothing to quantize: …"). Writes the outputs and a manifest.json (sizes, SHA-256 and MD5 of
every input and output, settings) into the output folder, prints a summary table, and exits 1 if any model failed.
A manifest.json already in the output folder is merged: this run's outputs replace entries of the same name, the
others stay while their files are still there.

Options:
  --modes LIST        ${MODE_IDS.join(', ')} or several, comma-separated (default ${MODE_IDS[0]})
  --out DIR           output folder (default: <dir> itself, next to the inputs)
  --preset P          the preset of the modes that have presets (${MODE_METAS.filter((m) => m.presets.length)
    .map((m) => `${m.label}: ${m.presets.map((p) => p.id).join(', ')}; default ${m.defaultPreset}`)
    .join('; ')})
  --template T        suffix (<base>${MODE_METAS[0]!.suffix}.onnx, default) or transformers.js (onnx/${MODE_METAS[0]!.transformersJs.fileName})
  --version TAG       add a version tag: <base>${MODE_METAS[0]!.suffix}-v1.1.onnx
  --force             overwrite existing outputs, process already quantized models, and write outputs that rewrote
                      nothing (otherwise each is reported as skipped and left alone)
  --fsync             flush each output to disk before putting it in place (as quantize --fsync)
  --json              print the manifest and the summary as JSON`;

interface Row {
  file: string;
  mode: ModeId | '-';
  status: 'ok' | 'skipped' | 'failed';
  detail: string;
  /** The input's bytes (.onnx and external data; the .onnx file alone when it does not open); null when unknown. */
  inBytes: number | null;
  /** The output's bytes; null when nothing was written. */
  outBytes: number | null;
}

/** The size of a file that did not open as a model: its bytes on disk, or null when even that is unknown. */
function fileBytes(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/**
 * The manifest to write: this run's, merged into the earlier manifest.json of the output folder when there is one
 * (src/core/batch/manifest.ts mergeManifest; earlier outputs whose files are gone are dropped). An earlier manifest
 * that cannot be read is replaced, and stderr says so.
 */
function withEarlier(run: Manifest, outDir: string, io: CliIo): Manifest {
  const path = join(outDir, MANIFEST_NAME);
  if (!existsSync(path)) return run;
  try {
    const earlier = parseManifest(readFileSync(path, 'utf8'));
    return mergeManifest(earlier, run, (name) => existsSync(join(outDir, name)));
  } catch (e) {
    io.stderr(
      `ava-quant: the earlier ${path} cannot be read (${(e as Error).message.replace(/\s+/g, ' ')}); it is replaced by this run's\n`,
    );
    return run;
  }
}

export async function runBatchCommand(args: string[], flags: Record<string, string | boolean>, io: CliIo): Promise<number> {
  if (args.length !== 1) throw new CliError(`batch takes one folder\n${BATCH_USAGE}`, EXIT.usage);
  const dir = args[0]!;
  if (!existsSync(dir)) throw new CliError(`folder not found: ${dir}`, EXIT.notFound);
  if (!statSync(dir).isDirectory()) throw new CliError(`${dir} is not a folder`, EXIT.usage);
  const modeWords = (typeof flags.modes === 'string' ? flags.modes : MODE_IDS[0]!)
    .split(',')
    .map((m) => m.trim().toLowerCase())
    .filter(Boolean);
  const modes: ModeId[] = [];
  for (const m of modeWords) {
    if (!isModeId(m)) throw unknownValue('--modes', m, MODE_IDS);
    modes.push(m);
  }
  // --preset applies to the chosen modes that have presets; each of them must know it.
  const preset = typeof flags.preset === 'string' ? flags.preset : null;
  const presetFor = (mode: ModeId): string | null => (modeMeta(mode).presets.length ? (preset ?? modeMeta(mode).defaultPreset) : null);
  if (preset !== null) {
    const withPresets = modes.filter((m) => modeMeta(m).presets.length);
    if (!withPresets.length) throw new CliError(`--preset: none of the chosen modes (${modes.join(', ')}) has presets`, EXIT.usage);
    for (const m of withPresets)
      if (!modeMeta(m).presets.some((p) => p.id === preset))
        throw new CliError(
          `--preset: unknown preset '${preset}' (${modeMeta(m).label}: use ${modeMeta(m)
            .presets.map((p) => p.id)
            .join(', ')})`,
          EXIT.usage,
        );
  }
  const template = (typeof flags.template === 'string' ? flags.template : 'suffix') as NamingTemplate;
  if (template !== 'suffix' && template !== 'transformers.js') throw unknownValue('--template', template, ['suffix', 'transformers.js']);
  const version = typeof flags.version === 'string' ? flags.version : null;
  const outDir = typeof flags.out === 'string' ? flags.out : dir;
  const force = !!flags.force;
  mkdirSync(outDir, { recursive: true });

  const files = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.onnx') && statSync(join(dir, f)).isFile())
    .sort();
  if (files.length === 0) throw new CliError(`no .onnx files in ${dir}`, EXIT.notFound);

  const rows: Row[] = [];
  const inputs: ManifestInput[] = [];
  const outputs: ManifestOutput[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const [i, file] of files.entries()) {
    const path = join(dir, file);
    io.stderr(`[${i + 1}/${files.length}] ${file}\n`);
    let input: CliInput;
    try {
      input = await openInput(path, { requireData: false, hashNow: true });
    } catch (e) {
      rows.push({
        file,
        mode: '-',
        status: 'failed',
        detail: (e as Error).message.replace(`${path}: `, ''),
        inBytes: fileBytes(path),
        outBytes: null,
      });
      continue;
    }
    try {
      const model = input.opened.model;
      const inBytes = inputBytes(model);
      const summary = summarize(model, { fileName: file, siblings: siblingsOf(path) }, model.fileBytes);
      const skip = skipDecision(file, summary, { force });
      if (skip.skip) {
        rows.push({ file, mode: '-', status: 'skipped', detail: skip.reason, inBytes, outBytes: null });
        skipped.push({ name: file, reason: skip.reason });
        continue;
      }
      if (input.opened.problems.length) {
        rows.push({ file, mode: '-', status: 'failed', detail: input.opened.problems[0]!.message, inBytes, outBytes: null });
        continue;
      }
      const digests = await digestsOfFile(path);
      inputs.push({ name: file, bytes: digests.bytes, sha256: digests.sha256, md5: digests.md5 });
      for (const mode of modes) {
        try {
          const name = outputName(file, mode, { template, version });
          const out = join(outDir, name.path);
          if (existsSync(out) && !force) {
            rows.push({ file, mode, status: 'skipped', detail: `${name.path} exists (use --force to overwrite)`, inBytes, outBytes: null });
            skipped.push({ name: `${file} (${mode})`, reason: `${name.path} exists` });
            continue;
          }
          // What this output may overwrite (with --force): what is there now; never what another run writes meanwhile.
          const claims = { model: claimOutput(out, force), data: claimOutput(dataPathOf(out), force) };
          const provenance = { source: { name: file, sha256: digests.sha256 }, toolVersion: TOOL.version, date: provenanceDate() };
          const p = presetFor(mode);
          const req = { mode, options: { ...(p ? { preset: p } : {}), provenance } } as ModeRequest;
          const progress = createProgress(io, `  ${mode}`);
          mkdirSync(dirname(out), { recursive: true });
          let done;
          // A big model's INT8 weights are quantized on a free core too (its hash is already computed, above).
          const workers = startTensorWorkers({ mode, inputBytes: inBytes, hashingBytes: 0 });
          try {
            done = await produce(input, out, req, {
              startedAt: Date.now(),
              onProgress: (f, b, item) => progress.update(f, b, item),
              digests: true,
              force,
              fsync: flags.fsync === true,
              claims,
              ...(workers ? { lookahead: workers.lookahead } : {}),
            });
          } catch (e) {
            // Nothing to quantize is a skip with its reason, not a failure (and no file is written).
            if (!(e instanceof CliError && e.kind === 'nothing-to-do')) throw e;
            progress.finish();
            const reason = e.message.replace(`${file}: `, '');
            rows.push({ file, mode, status: 'skipped', detail: reason, inBytes, outBytes: null });
            skipped.push({ name: `${file} (${mode})`, reason });
            continue;
          } finally {
            workers?.stop();
          }
          const r = done.result;
          const od = done.digests!;
          progress.finish();
          outputs.push(
            manifestOutput({
              file: { name: name.path, bytes: r.outputBytes, sha256: od.sha256, md5: od.md5 },
              source: file,
              report: r.report,
            }),
          );
          const pct = 100 * (1 - r.outputBytes / inBytes);
          const change = pct >= 0.05 ? `${pct.toFixed(1)}% smaller` : pct <= -0.05 ? `${(-pct).toFixed(1)}% larger` : 'same size';
          rows.push({ file, mode, status: 'ok', detail: `${name.path}, ${change}`, inBytes, outBytes: r.outputBytes });
        } catch (e) {
          const known = e instanceof CliError || e instanceof NamingError || e instanceof AvaError;
          rows.push({
            file,
            mode,
            status: 'failed',
            detail: known ? (e as Error).message : `internal error: ${(e as Error).message}`,
            inBytes,
            outBytes: null,
          });
        }
      }
    } finally {
      await input.close();
    }
  }

  // The manifest merges the folder's earlier one (withEarlier). Another batch writing into the same folder at the same
  // time is not lost: when the manifest changed between reading and writing, it is read and merged again.
  const manifestPath = join(outDir, MANIFEST_NAME);
  // The run's date, as every output's provenance records it (SOURCE_DATE_EPOCH for reproducible manifests).
  const run = createManifest({ tool: TOOL, createdAt: provenanceDate(), inputs, outputs, skipped });
  let manifest: Manifest;
  for (let attempt = 1; ; attempt++) {
    const before = fileIdOf(manifestPath);
    manifest = withEarlier(run, outDir, io);
    try {
      writeAtomically(manifestPath, [new TextEncoder().encode(manifestToJson(manifest))], { before, replace: true });
      break;
    } catch (e) {
      if (!(e instanceof CliError && e.code === EXIT.outputExists) || attempt >= 5) throw e;
    }
  }
  const failed = rows.filter((r) => r.status === 'failed').length;
  if (flags.json) io.stdout(`${JSON.stringify({ rows, manifest }, null, 2)}\n`);
  else io.stdout(`${formatTable(rows)}\n\nmanifest: ${join(outDir, MANIFEST_NAME)}\n`);
  return failed ? EXIT.failure : EXIT.ok;
}

function formatTable(rows: Row[]): string {
  const head = ['file', 'mode', 'status', 'original', 'output', 'detail'];
  // A size that is not known (nothing written, a file that could not be read) is an em dash, never 0.
  const size = (n: number | null) => (n === null ? '—' : mb(n));
  const body = rows.map((r) => [r.file, r.mode, r.status, size(r.inBytes), size(r.outBytes), r.detail]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i]!))).join('  ');
  const ok = rows.filter((r) => r.status === 'ok').length;
  const sk = rows.filter((r) => r.status === 'skipped').length;
  const fl = rows.filter((r) => r.status === 'failed').length;
  return [
    line(head),
    line(w.map((n) => '-'.repeat(n))),
    ...body.map(line),
    '',
    `${int(ok)} written, ${int(sk)} skipped, ${int(fl)} failed`,
  ].join('\n');
}
