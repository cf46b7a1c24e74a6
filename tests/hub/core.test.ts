/**
 * src/core/hub: parsing what the user typed, the Hub's listing and errors, choosing files, and streaming downloads
 * (real fetch against a local server in the Hub's layout, serving the real fixtures).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ByteSink,
  type FileStore,
  HubError,
  ProgressMeter,
  checkLocation,
  defaultChoice,
  downloadPlan,
  listRepoFiles,
  nextLink,
  offerFor,
  onnxChoices,
  parseModelRef,
  planFromChoice,
  resolveUrl,
  treeUrl,
} from '../../src/core/hub/index.js';
import type { FakeHub } from '../helpers/fake-hub.js';
import { fakeHubServer } from '../helpers/fake-hub.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { MINILM_REPO, closedPort, externalDataModel, makeHub } from './repos.js';

const HF = 'https://huggingface.co';

describe('parseModelRef', () => {
  const hub = (repo: string, revision = 'main', file: string | null = null, endpoint = HF) => ({
    kind: 'hub',
    endpoint,
    repo,
    revision,
    file,
  });
  it.each([
    ['sentence-transformers/all-MiniLM-L6-v2', hub('sentence-transformers/all-MiniLM-L6-v2')],
    ['  Xenova/bge-m3@v1.2  ', hub('Xenova/bge-m3', 'v1.2')],
    ['org/name@refs/pr/1', hub('org/name', 'refs/pr/1')],
    ['hf:org/name', hub('org/name')],
    ['hf:org/name@0123abcd', hub('org/name', '0123abcd')],
    ['https://huggingface.co/org/name', hub('org/name')],
    ['https://huggingface.co/org/name/', hub('org/name')],
    ['https://hf.co/org/name/tree/dev', hub('org/name', 'dev')],
    ['https://huggingface.co/org/name/tree/refs%2Fpr%2F3', hub('org/name', 'refs/pr/3')],
    ['https://huggingface.co/org/name/blob/main/onnx/model_quantized.onnx', hub('org/name', 'main', 'onnx/model_quantized.onnx')],
    ['https://huggingface.co/org/name/resolve/abc123/model.onnx?download=true', hub('org/name', 'abc123', 'model.onnx')],
    ['https://huggingface.co/models/org/name', hub('org/name')],
  ])('%s', (input, want) => {
    expect(parseModelRef(input)).toEqual(want);
  });
  it('URLs on a configured endpoint are Hub URLs; ids use that endpoint', () => {
    expect(parseModelRef('http://127.0.0.1:9/org/name/tree/x', 'http://127.0.0.1:9/')).toEqual(
      hub('org/name', 'x', null, 'http://127.0.0.1:9'),
    );
    expect(parseModelRef('org/name', 'https://mirror.example/')).toEqual(hub('org/name', 'main', null, 'https://mirror.example'));
  });
  it('any https URL of an .onnx file', () => {
    expect(parseModelRef('https://example.com/models/my%20model.onnx?x=1')).toEqual({
      kind: 'url',
      url: 'https://example.com/models/my%20model.onnx?x=1',
      fileName: 'my model.onnx',
    });
    expect(parseModelRef('http://localhost:8080/m.onnx')).toMatchObject({ kind: 'url', fileName: 'm.onnx' });
  });
  it.each([
    ['', /type a Hugging Face model id/],
    ['justaname', /not a Hugging Face model id/],
    ['a/b/c', /not a Hugging Face model id/],
    ['org/na--me', /not a Hugging Face model id/],
    ['-org/name', /not a Hugging Face model id/],
    ['org/name@', /revision after @ is empty/],
    ['http://example.com/m.onnx', /only https URLs/],
    ['https://user:pw@example.com/m.onnx', /user name or password/],
    ['https://example.com/model.bin', /does not end in \.onnx/],
    ['https://huggingface.co/org/name/blob/main/tokenizer.json', /not an \.onnx file/],
    ['https://huggingface.co/org', /not a Hugging Face model id/],
    ['ftp://example.com/m.onnx', /only https URLs/],
  ])('refuses %j', (input, msg) => {
    let err: unknown;
    try {
      parseModelRef(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).kind).toBe('input');
    expect((err as HubError).message).toMatch(msg);
  });
  it('builds the Hub URLs with the revision encoded as one segment', () => {
    const r = parseModelRef('org/name@refs/pr/1') as Extract<ReturnType<typeof parseModelRef>, { kind: 'hub' }>;
    expect(treeUrl(r)).toBe('https://huggingface.co/api/models/org/name/tree/refs%2Fpr%2F1?recursive=true');
    expect(resolveUrl(r, '1_Pooling/config file.json')).toBe(
      'https://huggingface.co/org/name/resolve/refs%2Fpr%2F1/1_Pooling/config%20file.json',
    );
  });
});

describe('choosing files', () => {
  const f = (path: string, size = 10) => ({ path, size });
  it('offers every .onnx, the default first, with its data files and nearest companions', () => {
    const files = [
      f('README.md'),
      f('tokenizer.json', 5),
      f('config.json', 2),
      f('1_Pooling/config.json', 1),
      f('onnx/model_quantized.onnx', 3),
      f('onnx/model.onnx', 100),
      f('onnx/model.onnx_data', 1000),
      f('onnx/model_fp16.onnx', 50),
      f('onnx/model_fp16.onnx_data', 500),
      f('model.onnx', 7),
      f('other/tokenizer.json'),
      f('onnx/tokenizer_config.json', 4),
    ];
    const c = onnxChoices(files);
    expect(c.map((x) => x.model.path)).toEqual(['onnx/model.onnx', 'model.onnx', 'onnx/model_fp16.onnx', 'onnx/model_quantized.onnx']);
    expect(c[0]!.dataFiles.map((x) => x.path)).toEqual(['onnx/model.onnx_data']);
    expect(c[2]!.dataFiles.map((x) => x.path)).toEqual(['onnx/model_fp16.onnx_data']);
    expect(c[3]!.dataFiles).toEqual([]);
    // tokenizer_config.json in onnx/ is nearer to onnx/model.onnx than the root's (none at the root here).
    expect(c[0]!.companions.map((x) => x.path)).toEqual([
      'tokenizer.json',
      'onnx/tokenizer_config.json',
      'config.json',
      '1_Pooling/config.json',
    ]);
    expect(c[0]!.totalBytes).toBe(100 + 1000 + 5 + 4 + 2 + 1);
    expect(c[1]!.companions.map((x) => x.path)).toEqual(['tokenizer.json', 'config.json', '1_Pooling/config.json']);
  });
  it('defaults to onnx/model.onnx, else model.onnx, else the only file; else asks', () => {
    expect(defaultChoice(onnxChoices([f('model.onnx'), f('onnx/model.onnx')]), 'r')!.model.path).toBe('onnx/model.onnx');
    expect(defaultChoice(onnxChoices([f('x/y.onnx')]), 'r')!.model.path).toBe('x/y.onnx');
    expect(defaultChoice(onnxChoices([f('onnx/a.onnx'), f('onnx/b.onnx')]), 'r')).toBeNull();
    expect(defaultChoice(onnxChoices([f('onnx/a.onnx'), f('onnx/b.onnx')]), 'r', 'onnx/b.onnx')!.model.path).toBe('onnx/b.onnx');
    expect(() => defaultChoice(onnxChoices([f('onnx/a.onnx')]), "'r'", 'onnx/c.onnx')).toThrow(
      /'r' has no file 'onnx\/c.onnx'; its .onnx files: onnx\/a.onnx/,
    );
    expect(() => defaultChoice([], "'r'")).toThrow(/'r' has no .onnx file/);
  });
  it('external-data locations stay inside the model folder', () => {
    expect(checkLocation('model.onnx_data')).toBe('model.onnx_data');
    expect(checkLocation('./weights/w.bin')).toBe('weights/w.bin');
    for (const bad of ['../secret', '/etc/passwd', 'a/../../b', 'C:\\x', 'a\\b', ''])
      expect(() => checkLocation(bad), bad).toThrow(/outside its own folder: refused/);
  });
  it('reads the next page from a Link header', () => {
    expect(nextLink('<https://h/api?cursor=abc>; rel="next"')).toBe('https://h/api?cursor=abc');
    expect(nextLink('<https://h/a>; rel="prev", <https://h/b>; rel=next')).toBe('https://h/b');
    expect(nextLink(null)).toBeNull();
    expect(nextLink('<https://h/a>; rel="last"')).toBeNull();
  });
  it('estimates the time left from the average rate', () => {
    let t = 0;
    const m = new ProgressMeter(1000, () => t);
    m.add(100);
    expect(m.snapshot('f')).toMatchObject({ loaded: 100, total: 1000, etaSeconds: null, bytesPerSecond: null });
    t = 1000;
    m.add(100);
    expect(m.snapshot('f')).toMatchObject({ loaded: 200, bytesPerSecond: 200, etaSeconds: 4, file: 'f' });
  });
});

/** Files kept in memory, as the page keeps chunks; records aborts. */
function memoryStore(): FileStore<Uint8Array> & { aborted: string[]; opened: string[] } {
  const aborted: string[] = [];
  const opened: string[] = [];
  return {
    aborted,
    opened,
    open(path): ByteSink<Uint8Array> {
      opened.push(path);
      const chunks: Uint8Array[] = [];
      return {
        write: (c) => void chunks.push(c.slice()),
        close: async () => new Uint8Array(Buffer.concat(chunks)),
        abort: () => void aborted.push(path),
      };
    },
    read: async (b) => b,
  };
}

async function hubError(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HubError);
    return e as HubError;
  }
  throw new Error('expected a HubError');
}

describe('against a local Hub', () => {
  let hub: FakeHub;
  let server: Awaited<ReturnType<typeof fakeHubServer>>;
  const client = (signal?: AbortSignal) => ({ fetch, audience: 'cli' as const, signal });
  const ref = (s: string) => parseModelRef(s, server.endpoint) as Extract<ReturnType<typeof parseModelRef>, { kind: 'hub' }>;
  beforeAll(async () => {
    hub = makeHub();
    server = await fakeHubServer(hub);
  });
  afterAll(() => server.close());

  it('lists a repository across pages, with sizes and LFS hashes, directories left out', async () => {
    const before = hub.requests.length;
    const files = await listRepoFiles(ref(MINILM_REPO), client());
    expect(files.map((f) => f.path).sort()).toEqual([
      '1_Pooling/config.json',
      'README.md',
      'config.json',
      'onnx/model.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const model = files.find((f) => f.path === 'onnx/model.onnx')!;
    expect(model.size).toBe(fixture(MINILM).bytes);
    expect(model.sha256).toBe(fixture(MINILM).sha256);
    // 8 entries (2 folders + 6 files) at 3 per page: three requests.
    expect(hub.requests.length - before).toBe(3);
  });

  it('downloads the chosen model with its companions; bytes equal the fixture files, progress reaches the total', async () => {
    const r = ref(MINILM_REPO);
    const offer = await offerFor(r, client());
    expect(offer.kind).toBe('choose');
    if (offer.kind !== 'choose') return;
    expect(offer.preselected!.model.path).toBe('onnx/model.onnx');
    const plan = planFromChoice(r, offer.preselected!, offer.listing);
    const seen: number[] = [];
    let last = { loaded: 0, total: 0 as number | null };
    const got = await downloadPlan(plan, memoryStore(), client(), (p) => {
      seen.push(p.loaded);
      last = p;
    });
    expect(Buffer.from(got.model.item).equals(readFileSync(pathOf(fixture(MINILM))))).toBe(true);
    expect(got.externalData).toEqual([]);
    expect(got.companions.map((c) => c.path)).toEqual(['tokenizer.json', 'tokenizer_config.json', 'config.json', '1_Pooling/config.json']);
    expect(Buffer.from(got.companions[0]!.item).equals(readFileSync(pathOf(fixture(MINILM), fixture(MINILM).tokenizer!)))).toBe(true);
    expect(last.total).toBe(offer.preselected!.totalBytes);
    expect(last.loaded).toBe(last.total);
    expect(seen.length).toBeGreaterThan(10);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    // The model came through the CDN redirect, the small files directly.
    expect(hub.requests.some((u) => u.startsWith('/cdn/sentence-transformers/all-MiniLM-L6-v2/main/onnx/model.onnx'))).toBe(true);
  });

  it('fetches exactly the external data the model names, from its folder', async () => {
    const r = ref('test/external-data');
    const offer = await offerFor(r, client());
    if (offer.kind !== 'choose') throw new Error('expected a choice');
    // The name-based guess (for sizes) finds model.onnx_data; the model itself also names w2.bin.
    expect(offer.preselected!.dataFiles.map((f) => f.path)).toEqual(['onnx/model.onnx_data']);
    const store = memoryStore();
    const got = await downloadPlan(planFromChoice(r, offer.preselected!, offer.listing), store, client());
    const ext = externalDataModel();
    expect(got.externalData.map((d) => d.path)).toEqual(['onnx/model.onnx_data', 'onnx/w2.bin']);
    expect(Buffer.from(got.externalData[0]!.item).equals(Buffer.from(ext.data))).toBe(true);
    expect(Buffer.from(got.externalData[1]!.item).equals(Buffer.from(ext.w2))).toBe(true);
    expect(store.opened).not.toContain('onnx/unused.bin');
  });

  it('names the data file a model needs when the repository lacks it', async () => {
    const r = ref('test/missing-data');
    const offer = await offerFor(r, client());
    if (offer.kind !== 'choose') throw new Error('expected a choice');
    const e = await hubError(downloadPlan(planFromChoice(r, offer.preselected!, offer.listing), memoryStore(), client()));
    expect(e.kind).toBe('not-found');
    expect(e.message).toBe("onnx/model.onnx keeps weights in 'w2.bin', but test/missing-data has no file 'onnx/w2.bin'");
  });

  it('a plain .onnx URL: the file, then the external data beside it', async () => {
    const url = `${server.endpoint}/cdn/test/external-data/main/onnx/model.onnx`;
    const offer = await offerFor(parseModelRef(url, 'https://huggingface.co'), client());
    if (offer.kind !== 'plan') throw new Error('expected a plan');
    const got = await downloadPlan(offer.plan, memoryStore(), client());
    expect(got.externalData.map((d) => d.path)).toEqual(['model.onnx_data', 'w2.bin']);
    expect(got.companions).toEqual([]);
  });

  it('classifies failures: repository, revision, file, gated, server', async () => {
    const repo = await hubError(listRepoFiles(ref('nobody/nothing'), client()));
    expect([repo.kind, repo.detail.what, repo.detail.status]).toEqual(['not-found', 'repository', 401]);
    expect(repo.message).toMatch(
      /^no repository 'nobody\/nothing' on 127\.0\.0\.1:\d+, or it is private \(HTTP 401\): check the id; for a private model, download the files yourself and pass the local \.onnx path$/,
    );
    const rev = await hubError(listRepoFiles(ref(`${MINILM_REPO}@v9`), client()));
    expect([rev.kind, rev.detail.what]).toEqual(['not-found', 'revision']);
    expect(rev.message).toBe(`'${MINILM_REPO}' has no revision 'v9' (HTTP 404): check the branch, tag or commit`);
    const file = await hubError(offerFor(ref(MINILM_REPO), client(), 'onnx/model_int8.onnx'));
    expect(file.message).toBe(`'${MINILM_REPO}' has no file 'onnx/model_int8.onnx'; its .onnx files: onnx/model.onnx`);
    const r = ref('test/gated');
    const offer = await offerFor(r, client());
    if (offer.kind !== 'choose') throw new Error('expected a choice');
    const gated = await hubError(downloadPlan(planFromChoice(r, offer.preselected!, offer.listing), memoryStore(), client()));
    expect([gated.kind, gated.detail.status]).toEqual(['access', 403]);
    expect(gated.message).toMatch(
      /^'test\/gated' is gated \(HTTP 403\); this tool sends no credentials: accept the model's terms on 127\.0\.0\.1:\d+, then download the files yourself and pass the local \.onnx path$/,
    );
    // A file the listing has but the server does not (deleted meanwhile): EntryNotFound.
    const gone = await hubError(
      downloadPlan(
        { ...planFromChoice(ref(MINILM_REPO), onnxChoices([{ path: 'onnx/gone.onnx', size: 5 }])[0]!, []), listing: [] },
        memoryStore(),
        client(),
      ),
    );
    expect([gone.kind, gone.detail.what]).toEqual(['not-found', 'file']);
    expect(gone.message).toBe(`${MINILM_REPO} has no file 'onnx/gone.onnx' (HTTP 404)`);
  });

  it('the page wording says what to do in a browser', async () => {
    const e = await hubError(listRepoFiles(ref('nobody/nothing'), { fetch, audience: 'page' }));
    expect(e.message).toMatch(/download the files yourself and drop them here$/);
  });

  it('cancel mid-download: HubError cancelled, the partial file dropped', async () => {
    const r = ref('test/stalls');
    const offer = await offerFor(r, client());
    if (offer.kind !== 'choose') throw new Error('expected a choice');
    const ctl = new AbortController();
    const store = memoryStore();
    const p = downloadPlan(planFromChoice(r, offer.preselected!, offer.listing), store, client(ctl.signal), (pr) => {
      if (pr.loaded >= 1 << 20) ctl.abort();
    });
    const e = await hubError(p);
    expect(e.kind).toBe('cancelled');
    expect(e.message).toBe('download cancelled');
    expect(store.aborted).toEqual(['onnx/model.onnx']);
  });

  it('a body that breaks off is a network error naming the bytes received', async () => {
    const r = ref('test/breaks');
    const offer = await offerFor(r, client());
    if (offer.kind !== 'choose') throw new Error('expected a choice');
    const store = memoryStore();
    const e = await hubError(downloadPlan(planFromChoice(r, offer.preselected!, offer.listing), store, client()));
    expect(e.kind).toBe('network');
    expect(e.message).toMatch(
      new RegExp(
        `^the download of 'onnx/model.onnx' from 127\\.0\\.0\\.1:\\d+ (broke off|ended) after \\d+ of ${fixture(MINILM).bytes} bytes`,
      ),
    );
    expect(store.aborted).toEqual(['onnx/model.onnx']);
  });

  it('connection refused names the host and the cause', async () => {
    const port = await closedPort();
    const e = await hubError(listRepoFiles(parseModelRef('a/b', `http://127.0.0.1:${port}`) as never, client()));
    expect(e.kind).toBe('network');
    expect(e.message).toBe(
      `could not reach 127.0.0.1:${port} (ECONNREFUSED): check the connection and AVA_HF_ENDPOINT, or download the files yourself and pass the local .onnx path`,
    );
  });

  it('a server that is not a Hub', async () => {
    const { createServer: http } = await import('node:http');
    const s = http((_, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><p>hello'));
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    const endpoint = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
    try {
      const e = await hubError(listRepoFiles(parseModelRef('a/b', endpoint) as never, client()));
      expect(e.kind).toBe('bad-response');
      expect(e.message).toBe(
        `${endpoint.slice(7)} did not answer with the Hub's file list for 'a/b' (not JSON): is ${endpoint} a Hugging Face Hub?`,
      );
    } finally {
      s.close();
    }
  });
});
