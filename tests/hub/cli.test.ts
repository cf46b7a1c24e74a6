/**
 * `ava-quant` with Hugging Face ids and URLs, as a subprocess pointed at a local Hub (AVA_HF_ENDPOINT) serving the
 * real all-MiniLM-L6-v2 fixture in the Hub's layout: quantize by id gives the same bytes as from the local file;
 * inspect and check take ids; the cache is reused; every failure has its message and exit code, and leaves no
 * partial file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModel } from '../../src/core/onnx/index.js';
import { type FakeHub, fakeHubServer } from '../helpers/fake-hub.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { MINILM_REPO, closedPort, externalDataModel, makeHub } from './repos.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'ava-quant.mjs');

let hub: FakeHub;
let server: Awaited<ReturnType<typeof fakeHubServer>>;
let dir: string;
let cache: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs the CLI; `onStderr` may act on the child while it runs (e.g. send SIGINT). */
function cli(args: string[], opts: { env?: Record<string, string>; whileRunning?: (child: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, AVA_HF_ENDPOINT: server.endpoint, AVA_CACHE_DIR: cache, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const poll = opts.whileRunning ? setInterval(() => opts.whileRunning!(child), 50) : null;
    child.on('close', (code, signal) => {
      if (poll) clearInterval(poll);
      ok({ code, signal, out, err });
    });
  });
}

/** Every file under a folder, relative, sorted. */
function tree(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** The provenance date the CLI wrote (the one thing that differs between two runs on the same input). */
function provenanceDate(bytes: Uint8Array): string {
  const m = parseModel(bytes).metadata.find((e) => e.key === 'ava.quantization' || e.key === 'ava.conversion');
  return (JSON.parse(m!.value) as { date: string }).date;
}

beforeAll(async () => {
  hub = makeHub();
  server = await fakeHubServer(hub);
  dir = mkdtempSync(join(tmpdir(), 'ava-hub-cli-'));
  cache = join(dir, 'cache');
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('quantize by id', () => {
  it('hf:org/name@rev gives the same INT8 bytes as the local file; files cached in the Hub layout', async () => {
    const fromHub = join(dir, 'hub-int8.onnx');
    const fromLocal = join(dir, 'local-int8.onnx');
    const r = await cli(['quantize', `hf:${MINILM_REPO}@v1.0`, fromHub, 'int8']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Size reduction\s+\d+\.\d%/m);
    expect(r.err).toMatch(/download sentence-transformers\/all-MiniLM-L6-v2@v1\.0: 100%/);
    const folder = join(cache, 'hub', 'sentence-transformers', 'all-MiniLM-L6-v2', 'v1.0');
    expect(tree(folder)).toEqual(['1_Pooling/config.json', 'config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect(
      createHash('sha256')
        .update(readFileSync(join(folder, 'onnx', 'model.onnx')))
        .digest('hex'),
    ).toBe(fixture(MINILM).sha256);

    const l = await cli(['quantize', pathOf(fixture(MINILM)), fromLocal, 'int8']);
    expect(l.code, l.err).toBe(0);
    const a = new Uint8Array(readFileSync(fromHub));
    const b = new Uint8Array(readFileSync(fromLocal));
    // Same source name (model.onnx) and sha256; only the date differs, with the same length.
    const da = provenanceDate(a);
    const db = provenanceDate(b);
    expect(da.length).toBe(db.length);
    const bWithDateA = Buffer.from(Buffer.from(b).toString('latin1').replace(db, da), 'latin1');
    expect(bWithDateA.equals(Buffer.from(a))).toBe(true);
    const s = await ort.InferenceSession.create(a);
    expect(s.inputNames).toContain('input_ids');
    await s.release();
  });

  it('a second run uses the cache (no downloads), and a Hub URL means the same repository', async () => {
    await cli(['inspect', MINILM_REPO, '--json']); // fills main's cache
    const before = hub.requests.length;
    const r = await cli(['inspect', `${server.endpoint}/${MINILM_REPO}/tree/main`, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ fileName: 'model.onnx', embeddingDim: 384 });
    const since = hub.requests.slice(before);
    expect(since.filter((u) => u.includes('/resolve/') || u.startsWith('/cdn/'))).toEqual([]);
    expect(since.every((u) => u.startsWith('/api/models/'))).toBe(true);
  });

  it('external data: the model and the data files it names, then the normal INT8 path', async () => {
    const out = join(dir, 'ext-int8.onnx');
    const r = await cli(['quantize', 'test/external-data', out, 'int8']);
    expect(r.code, r.err).toBe(0);
    expect(tree(join(cache, 'hub', 'test', 'external-data', 'main'))).toEqual(['onnx/model.onnx', 'onnx/model.onnx_data', 'onnx/w2.bin']);
    // The same as from a local copy of the three files.
    const local = join(dir, 'ext-local');
    mkdirSync(local);
    const ext = externalDataModel();
    writeFileSync(join(local, 'model.onnx'), ext.model);
    writeFileSync(join(local, 'model.onnx_data'), ext.data);
    writeFileSync(join(local, 'w2.bin'), ext.w2);
    const out2 = join(dir, 'ext-local-int8.onnx');
    expect((await cli(['quantize', join(local, 'model.onnx'), out2, 'int8'])).code).toBe(0);
    const a = new Uint8Array(readFileSync(out));
    const b = Buffer.from(readFileSync(out2))
      .toString('latin1')
      .replace(provenanceDate(readFileSync(out2)), provenanceDate(a));
    expect(Buffer.from(b, 'latin1').equals(Buffer.from(a))).toBe(true);
  });

  it('--file chooses among several .onnx files; without it the choices are listed', async () => {
    const none = await cli(['inspect', 'test/two-models']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(
      /^ava-quant: test\/two-models has several \.onnx files and none is onnx\/model\.onnx: choose one with --file \(onnx\/model_a\.onnx \(0\.\d\d MB\), onnx\/model_b\.onnx \(0\.\d\d MB\)\)\n$/,
    );
    const r = await cli(['quantize', 'test/two-models', join(dir, 'b.onnx'), 'fp16', '--file', 'onnx/model_b.onnx']);
    expect(r.code, r.err).toBe(0);
    expect(tree(join(cache, 'hub', 'test', 'two-models', 'main'))).toEqual(['onnx/model_b.onnx', 'tokenizer.json']);
    const wrong = await cli(['inspect', 'test/two-models', '--file', 'onnx/model_c.onnx']);
    expect(wrong.code).toBe(3);
    expect(wrong.err).toMatch(/has no file 'onnx\/model_c\.onnx'; its \.onnx files: onnx\/model_a\.onnx, onnx\/model_b\.onnx/);
    const local = await cli(['inspect', pathOf(fixture(MINILM)), '--file', 'x.onnx']);
    expect(local.code).toBe(2);
    expect(local.err).toMatch(/--file chooses a file of a Hugging Face repository/);
  });

  it('check takes ids and finds the tokenizer and pooling config that came with them', async () => {
    const q = join(dir, 'check-int8.onnx');
    expect((await cli(['quantize', pathOf(fixture(MINILM)), q, 'int8'])).code).toBe(0);
    const r = await cli(['check', `${MINILM_REPO}@v1.0`, q, '--file', 'onnx/model.onnx', '--probes', 'en', '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.tokenization.mode).toBe('tokenizer');
    expect(report.models.original.poolingSource).toMatch(/1_Pooling|pooling/i);
    expect(report.verdict.pass).toBe(true);
  });

  it('an existing output is refused before anything is downloaded', async () => {
    const out = join(dir, 'exists.onnx');
    writeFileSync(out, 'keep');
    const before = hub.requests.length;
    const r = await cli(['quantize', 'test/gated', out, 'int8']);
    expect(r.code).toBe(5);
    expect(hub.requests.length).toBe(before);
    expect(readFileSync(out, 'utf8')).toBe('keep');
  });
});

describe('failures: message, exit code, nothing half-written', () => {
  const partials = () => tree(cache).filter((p) => p.includes('.part-'));

  it.each([
    [
      'no such repository',
      ['inspect', 'nobody/nothing'],
      3,
      /^ava-quant: no repository 'nobody\/nothing' on 127\.0\.0\.1:\d+, or it is private \(HTTP 401\): check the id; for a private model, download the files yourself and pass the local \.onnx path\n$/,
    ],
    [
      'no such revision',
      ['inspect', `${MINILM_REPO}@nope`],
      3,
      /^ava-quant: 'sentence-transformers\/all-MiniLM-L6-v2' has no revision 'nope' \(HTTP 404\): check the branch, tag or commit\n$/,
    ],
    [
      'no such file',
      ['inspect', `${MINILM_REPO}`, '--file', 'onnx/model_q4.onnx'],
      3,
      /has no file 'onnx\/model_q4\.onnx'; its \.onnx files: onnx\/model\.onnx\n$/,
    ],
    [
      'a missing URL',
      ['inspect', 'URL/cdn/test/external-data/main/onnx/nothing.onnx'],
      3,
      /^ava-quant: http:\/\/127\.0\.0\.1:\d+\/cdn\/test\/external-data\/main\/onnx\/nothing\.onnx does not exist \(HTTP 404\): check the address\n$/,
    ],
    [
      'gated',
      ['quantize', 'test/gated', 'OUT', 'int8'],
      8,
      /^ava-quant: 'test\/gated' is gated \(HTTP 403\); this tool sends no credentials: accept the model's terms on 127\.0\.0\.1:\d+, then download the files yourself and pass the local \.onnx path\n$/,
    ],
    [
      'broken connection',
      ['inspect', 'test/breaks'],
      8,
      /^ava-quant: the download of 'onnx\/model\.onnx' from 127\.0\.0\.1:\d+ (broke off|ended) after \d+ of 90378583 bytes.*check the connection and try again\n$/,
    ],
    ['not an id', ['inspect', 'hf:justonename'], 2, /is not a Hugging Face model id/],
  ])('%s', async (_name, args, code, message) => {
    const a = args.map((x) => (x === 'OUT' ? join(dir, `out-${Math.random()}.onnx`) : x.replace(/^URL/, server.endpoint)));
    const r = await cli(a);
    expect(r.code, r.err).toBe(code);
    expect(r.err.split('\n').filter((l) => l.startsWith('ava-quant:'))).toHaveLength(1);
    expect(r.err.slice(r.err.indexOf('ava-quant:'))).toMatch(message);
    expect(r.out).toBe('');
    expect(partials()).toEqual([]);
    if (a[0] === 'quantize') expect(existsSync(a[2]!)).toBe(false);
  });

  it('connection refused: the host, the cause and AVA_HF_ENDPOINT', async () => {
    const port = await closedPort();
    const r = await cli(['inspect', MINILM_REPO], { env: { AVA_HF_ENDPOINT: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(8);
    expect(r.err).toBe(
      `ava-quant: could not reach 127.0.0.1:${port} (ECONNREFUSED): check the connection and AVA_HF_ENDPOINT, or download the files yourself and pass the local .onnx path\n`,
    );
  });

  it('Ctrl-C during a download: exit 130, "cancelled", no partial file, no output', async () => {
    const out = join(dir, 'cancelled.onnx');
    let sent = false;
    const r = await cli(['quantize', 'test/stalls', out, 'int8'], {
      whileRunning: (child) => {
        // The download has started once a .part file with bytes exists in the cache.
        if (!sent && partials().length > 0 && statSync(join(cache, partials()[0]!)).size > 0) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/ava-quant: download cancelled\n$/);
    expect(partials()).toEqual([]);
    expect(existsSync(join(cache, 'hub', 'test', 'stalls', 'main', 'onnx', 'model.onnx'))).toBe(false);
    expect(existsSync(out)).toBe(false);
  });
});
