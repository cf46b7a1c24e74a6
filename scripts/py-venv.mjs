// The pinned Python virtualenv in <repo>/.cache/py (torch CPU, transformers, onnx, onnxruntime) shared by
// scripts/fixtures.mjs (the all-MiniLM-L6-v2 export and its external-data copies) and scripts/synthetic.mjs
// (the big synthetic models). Created once; re-created only when PY_REQUIREMENTS change.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './fixtures-lib.mjs';

export const PY_VENV = path.join(REPO_ROOT, '.cache', 'py');

/** An expected failure of a script step: printed as its message, without a stack. */
export class StepError extends Error {}

// The export venv. Fully pinned and installed with --no-deps so that pip never resolves
// anything by itself (in particular never a CUDA torch: torch is the +cpu local wheel,
// which a machine of this kind provides through its pip config's find-links).
export const PY_REQUIREMENTS = [
  'torch==2.13.0+cpu',
  'transformers==4.57.6',
  'tokenizers==0.22.2',
  'safetensors==0.8.0',
  'huggingface_hub==0.36.2',
  'hf-xet==1.8.0',
  'onnx==1.23.1',
  'onnxruntime==1.30.0',
  'numpy==2.4.6',
  'ml_dtypes==0.6.0',
  'protobuf==7.36.2',
  'flatbuffers==25.12.19',
  'packaging==26.4',
  'PyYAML==6.0.4',
  'regex==2026.11.19',
  'requests==2.34.2',
  'certifi==2026.10.19.post1',
  'charset-normalizer==3.5.3',
  'idna==3.20',
  'urllib3==2.8.0',
  'tqdm==4.70.1',
  'filelock==4.3.1',
  'fsspec==2026.9.0',
  'Jinja2==3.1.6',
  'MarkupSafe==3.0.4',
  'mpmath==1.3.0',
  'networkx==3.6.1',
  'sympy==1.14.0',
  'typing_extensions==4.16.0',
];

export function venvPython() {
  return path.join(PY_VENV, 'bin', 'python');
}

/** Runs a command; returns its stdout, or throws a StepError with the last lines of its output. */
export function run(cmd, args, { cwd = REPO_ROOT, env, what } = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new StepError(
      `${what ?? cmd} failed: \`${cmd} ${args.join(' ')}\` ${r.error ? `(${r.error.message})` : `exited ${r.status}`}\n${out}`,
    );
  }
  return r.stdout;
}

/** Creates or updates .cache/py when its requirements stamp differs from PY_REQUIREMENTS. */
export function ensureVenv(log = (msg) => console.log(msg)) {
  const stampFile = path.join(PY_VENV, 'fixtures-requirements.txt');
  const want = `${PY_REQUIREMENTS.join('\n')}\n`;
  if (existsSync(venvPython()) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) {
    log(`python venv ${path.relative(REPO_ROOT, PY_VENV)} is up to date`);
    return;
  }
  const t = Date.now();
  log(`creating python venv ${path.relative(REPO_ROOT, PY_VENV)} (torch 2.13.0+cpu, transformers, onnx, onnxruntime) ...`);
  rmSync(PY_VENV, { recursive: true, force: true });
  mkdirSync(PY_VENV, { recursive: true });
  run('python3', ['-m', 'venv', PY_VENV], { what: 'python3 -m venv' });
  const reqFile = path.join(PY_VENV, 'requirements.tmp.txt');
  writeFileSync(reqFile, want);
  try {
    run(venvPython(), ['-m', 'pip', 'install', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-r', reqFile], {
      what: 'pip install (export venv)',
    });
  } catch (e) {
    if (/torch/.test(e.message) && /No matching distribution|Could not find a version/.test(e.message)) {
      e.message +=
        "\n(torch==2.13.0+cpu is the CPU wheel from this machine's local pip find-links; it is pinned with +cpu on purpose so that pip never falls back to the multi-GB CUDA build from PyPI.)";
    }
    throw e;
  }
  run(
    venvPython(),
    ['-c', 'import torch, transformers, onnx, onnxruntime, tokenizers; assert torch.__version__.endswith("+cpu"), torch.__version__'],
    {
      what: 'venv import check',
    },
  );
  writeFileSync(stampFile, want);
  log(`python venv ready (${((Date.now() - t) / 1000).toFixed(1)}s)`);
}
