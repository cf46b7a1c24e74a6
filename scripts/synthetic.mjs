#!/usr/bin/env node
// npm run synthetic [-- --only name[,name]] [-- --force] [-- --verify]
//
// Makes the SYNTHETIC benchmark models (real architectures and shapes, seeded random weights; they mean nothing
// and are never committed) in $SYNTHETIC_DIR (default <repo>/.cache/synthetic), with manifest.json (read it with
// scripts/synthetic-lib.mjs): sha256 and bytes of every file, the largest tensor, and the seconds each took.
// Exported like the all-MiniLM-L6-v2 fixture (scripts/make_synthetic.py: torch legacy exporter, opset 14,
// input_ids / attention_mask / token_type_ids -> last_hidden_state) in the pinned venv .cache/py.
//
//   synthetic-ml-minilm-l12          ~470 MB, one file   (shape of paraphrase-multilingual-MiniLM-L12-v2)
//   synthetic-xlmr-base              ~1.1 GB, one file   (XLM-R base shape, like the seed's AVA-ONX-768-MULTI)
//   synthetic-xlmr-large-per-tensor  ~2.2 GB, model.onnx + one file per tensor (torch's own >2 GB output)
//   synthetic-xlmr-large-ext         ~2.2 GB, model.onnx + one model.onnx_data, as onnx writes it (like bge-m3)
//   synthetic-e2e-2g-ext             ~2.2 GB, one layer, a 540k x 1024 embedding table in one model.onnx_data (e2e)
// The two large ones are the same model and are made together.
//
// A model is kept when its files have the recorded sizes and its recipe (spec, generator script, venv pins) is
// unchanged; --verify also re-hashes them; --force remakes. Each model is written to <dir>/.tmp and renamed into
// place, so a failed or interrupted run leaves no half-written model.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, sha256File } from './fixtures-lib.mjs';
import { ensureVenv, PY_REQUIREMENTS, run, StepError, venvPython } from './py-venv.mjs';
import { loadSynthetic, syntheticDir } from './synthetic-lib.mjs';

const ROOT = syntheticDir();
const TMP = path.join(ROOT, '.tmp');
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'make_synthetic.py');
/** The export it shares with scripts/export_minilm.py: part of the recipe too. */
const EXPORT_LIB = path.join(REPO_ROOT, 'scripts', 'bert_export.py');

const XLMR = { type_vocab_size: 1, max_position_embeddings: 514, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2, layer_norm_eps: 1e-5 };

/** One generator run each; `outputs` are the manifest entries it makes (the large one makes two layouts). */
const RECIPES = [
  {
    id: 'synthetic-ml-minilm-l12',
    outputs: [{ name: 'synthetic-ml-minilm-l12', layout: 'single-file' }],
    like: 'sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2 (BERT, 12 layers, hidden 384, 250k vocabulary)',
    spec: {
      architecture: 'bert',
      seed: 12,
      config: {
        vocab_size: 250037,
        hidden_size: 384,
        num_hidden_layers: 12,
        num_attention_heads: 12,
        intermediate_size: 1536,
        max_position_embeddings: 512,
        type_vocab_size: 2,
      },
    },
  },
  {
    id: 'synthetic-xlmr-base',
    outputs: [{ name: 'synthetic-xlmr-base', layout: 'single-file' }],
    like: "xlm-roberta-base shape (e.g. the seed's AVA-ONX-768-MULTI, multilingual-e5-base)",
    spec: {
      architecture: 'xlm-roberta',
      seed: 768,
      config: { vocab_size: 250002, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, ...XLMR },
    },
  },
  {
    id: 'synthetic-xlmr-large',
    outputs: [
      { name: 'synthetic-xlmr-large-per-tensor', layout: 'external-per-tensor' },
      { name: 'synthetic-xlmr-large-ext', layout: 'external-one-file' },
    ],
    like: 'xlm-roberta-large shape (e.g. BAAI/bge-m3, intfloat/multilingual-e5-large)',
    spec: {
      architecture: 'xlm-roberta',
      seed: 1024,
      config: { vocab_size: 250002, hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096, ...XLMR },
    },
  },
  {
    // For the page's end-to-end test: small network, external data just over 2 GB (crosses Chromium's limit for
    // reading one File whole). Made in CI by e2e/big-external.spec.ts.
    id: 'synthetic-e2e-2g',
    outputs: [{ name: 'synthetic-e2e-2g-ext', layout: 'external-one-file' }],
    like: 'a one-layer XLM-R-shaped encoder whose 540k-token embedding table takes 2.2 GB (the e2e test of the page)',
    spec: {
      architecture: 'xlm-roberta',
      seed: 2048,
      config: { vocab_size: 540000, hidden_size: 1024, num_hidden_layers: 1, num_attention_heads: 16, intermediate_size: 4096, ...XLMR },
    },
  },
];

const NAMES = RECIPES.flatMap((r) => r.outputs.map((o) => o.name));

function log(msg) {
  console.log(`[synthetic] ${msg}`);
}

function walk(dir, base = dir, out = []) {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) walk(p, base, out);
    else if (ent.isFile()) out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out.sort();
}

function recipeSha256(recipe) {
  const h = createHash('sha256');
  h.update(JSON.stringify(recipe.spec));
  h.update(readFileSync(SCRIPT));
  h.update(readFileSync(EXPORT_LIB));
  h.update(PY_REQUIREMENTS.join('\n'));
  return h.digest('hex');
}

/** True when every file of the entry is there with its recorded size (and sha256, with --verify). */
async function intact(entry, verify) {
  for (const f of entry.files) {
    const abs = path.join(ROOT, f.path);
    if (!existsSync(abs) || statSync(abs).size !== f.bytes) return false;
    if (verify && (await sha256File(abs)) !== f.sha256) return false;
  }
  return existsSync(path.join(ROOT, entry.path));
}

function parseArgs(argv) {
  const opts = { only: null, force: false, verify: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') opts.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a.startsWith('--only=')) opts.only = a.slice(7).split(',').filter(Boolean);
    else if (a === '--force') opts.force = true;
    else if (a === '--verify') opts.verify = true;
    else if (a === '--help' || a === '-h') {
      console.log(`Usage: npm run synthetic [-- --only name[,name]] [-- --force] [-- --verify]\nModels: ${NAMES.join(', ')}`);
      process.exit(0);
    } else throw new StepError(`unknown option ${a} (use --only, --force, --verify)`);
  }
  for (const n of opts.only ?? [])
    if (!NAMES.includes(n)) throw new StepError(`no synthetic model called "${n}" (have: ${NAMES.join(', ')})`);
  return opts;
}

async function make(recipe, sha) {
  const t0 = Date.now();
  rmSync(TMP, { recursive: true, force: true });
  const dirs = Object.fromEntries(recipe.outputs.map((o) => [o.layout, path.join(TMP, o.name)]));
  // The export itself (one file, or one file per tensor over 2 GB) goes to a scratch folder when it is not kept.
  const main = dirs['single-file'] ?? dirs['external-per-tensor'] ?? path.join(TMP, '.export');
  const args = [SCRIPT, '--spec', JSON.stringify(recipe.spec), '--out-dir', main];
  if (dirs['external-one-file']) args.push('--one-file-dir', dirs['external-one-file']);
  log(
    `${recipe.id}: making (${recipe.spec.architecture}, ${recipe.spec.config.num_hidden_layers} layers, hidden ${recipe.spec.config.hidden_size}, vocabulary ${recipe.spec.config.vocab_size}) ...`,
  );
  const out = run(venvPython(), args, {
    what: 'scripts/make_synthetic.py',
    env: { PYTHONHASHSEED: '0', PYTHONWARNINGS: 'ignore', OMP_NUM_THREADS: '1', TRANSFORMERS_VERBOSITY: 'error' },
  });
  const info = JSON.parse(out.trim().split('\n').pop());
  const madeSeconds = (Date.now() - t0) / 1000;
  const entries = [];
  for (const o of recipe.outputs) {
    const th = Date.now();
    const files = [];
    for (const rel of walk(dirs[o.layout])) {
      const abs = path.join(dirs[o.layout], rel);
      files.push({ path: `${o.name}/${rel}`, bytes: statSync(abs).size, sha256: await sha256File(abs) });
    }
    rmSync(path.join(ROOT, o.name), { recursive: true, force: true });
    renameSync(dirs[o.layout], path.join(ROOT, o.name));
    const s = info.seconds;
    // The per-tensor export and the one-file re-save share one run: each gets its own part of it.
    const seconds = o.layout === 'external-one-file' ? s.oneFile : madeSeconds - (s.oneFile ?? 0);
    entries.push({
      name: o.name,
      synthetic: true,
      description: `SYNTHETIC: ${recipe.like}, seeded random weights (seed ${recipe.spec.seed}); not a real model`,
      like: recipe.like,
      architecture: recipe.spec.architecture,
      config: recipe.spec.config,
      seed: recipe.spec.seed,
      layout: o.layout,
      path: `${o.name}/model.onnx`,
      files,
      totalBytes: files.reduce((n, f) => n + f.bytes, 0),
      largestTensorBytes: info.largestTensorBytes,
      parameters: info.parameters,
      initializers: info.initializers,
      seconds: Math.round((seconds + (Date.now() - th) / 1000) * 10) / 10,
      secondsDetail: { ...s, wholeRun: Math.round(madeSeconds * 10) / 10 },
      export:
        'scripts/make_synthetic.py: torch.onnx.export(dynamo=False), opset 14, eager attention, constant folding' +
        (o.layout === 'external-one-file'
          ? "; then onnx.save(save_as_external_data=True, all_tensors_to_one_file=True, location='model.onnx_data', size_threshold=1024)"
          : ''),
      versions: info.versions,
      recipeSha256: sha,
    });
    log(`${o.name}: ${(entries.at(-1).totalBytes / 1e9).toFixed(2)} GB in ${files.length} file(s), ${entries.at(-1).seconds} s`);
  }
  rmSync(TMP, { recursive: true, force: true });
  return entries;
}

function writeManifest(models) {
  mkdirSync(ROOT, { recursive: true });
  const order = (m) => NAMES.indexOf(m.name);
  const manifest = { generatedAt: new Date().toISOString(), root: ROOT, models: [...models].sort((a, b) => order(a) - order(b)) };
  const file = path.join(ROOT, 'manifest.json');
  writeFileSync(`${file}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${file}.partial`, file);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  mkdirSync(ROOT, { recursive: true });
  log(`directory: ${ROOT}`);
  const have = new Map(loadSynthetic().models.map((m) => [m.name, m]));
  let venvChecked = false;
  for (const recipe of RECIPES) {
    if (opts.only && !recipe.outputs.some((o) => opts.only.includes(o.name))) continue;
    const sha = recipeSha256(recipe);
    const current = recipe.outputs.map((o) => have.get(o.name));
    let fresh = !opts.force && current.every((e) => e && e.recipeSha256 === sha);
    if (fresh) for (const e of current) fresh = fresh && (await intact(e, opts.verify));
    if (fresh) {
      for (const e of current) log(`${e.name}: cached (${(e.totalBytes / 1e9).toFixed(2)} GB${opts.verify ? ', sha256 ok' : ''})`);
      continue;
    }
    if (!venvChecked) {
      ensureVenv(log);
      venvChecked = true;
    }
    for (const e of await make(recipe, sha)) have.set(e.name, e);
    // After each model, so an interrupted run keeps what it finished.
    writeManifest([...have.values()]);
  }
  writeManifest([...have.values()]);
  const total = [...have.values()].reduce((n, m) => n + m.totalBytes, 0);
  log(
    `manifest ${path.relative(process.cwd(), path.join(ROOT, 'manifest.json'))}: ${have.size} model(s), ${(total / 1e9).toFixed(2)} GB on disk (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
}

main().catch((e) => {
  console.error(`[synthetic] FAILED: ${e instanceof StepError ? e.message : (e?.stack ?? e)}`);
  process.exit(1);
});
