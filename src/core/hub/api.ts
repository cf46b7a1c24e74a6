/**
 * The Hub's HTTP API as far as loading a model needs it: list a repository's files, and turn a failed response into
 * a HubError that says which thing is missing and what to do. `fetch` is injected (browser, Node, tests).
 *
 * Sources: huggingface_hub `HfApi.list_repo_tree` (GET {endpoint}/api/models/{repo}/tree/{revision}?recursive=true,
 * paginated with a `Link: <…>; rel="next"` header) and `hf_raise_for_status` (the `X-Error-Code` header:
 * RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo; a 401 without a code means "not found or private");
 * huggingface.js `listFiles` (entry shape `{type, path, size, oid, lfs?: {oid, size, pointerSize}}`).
 */
import { type Audience, HubError, hostOf, networkError, selfDownloadAdvice } from './errors.js';
import { type ModelRef, describeRef, treeUrl } from './ref.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HubClient {
  fetch: FetchLike;
  audience: Audience;
  signal?: AbortSignal;
}

/** One file of a repository. */
export interface RepoFile {
  /** Path in the repository, `/`-separated (`onnx/model.onnx`). */
  path: string;
  /** Bytes (the real file's, for LFS/Xet files too). */
  size: number;
  /** SHA-256 of an LFS file's content (hex), when the Hub gives it. */
  sha256?: string;
}

/** What a request was for, to word its failure. */
export type RequestContext = { what: 'listing'; ref: Extract<ModelRef, { kind: 'hub' }> } | { what: 'file'; ref: ModelRef; path: string };

/** Turns a non-2xx response into a HubError naming the repository, revision or file, and what to do. */
export async function responseError(res: Response, ctx: RequestContext, audience: Audience): Promise<HubError> {
  const code = res.headers.get('X-Error-Code');
  let serverSays = res.headers.get('X-Error-Message') ?? '';
  if (!serverSays) {
    try {
      const body = (await res.json()) as unknown;
      if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string')
        serverSays = (body as { error: string }).error;
    } catch {
      /* not JSON */
    }
  }
  const status = res.status;
  const url = res.url || (ctx.what === 'listing' ? treeUrl(ctx.ref) : ctx.ref.kind === 'url' ? ctx.ref.url : '');
  const advice = selfDownloadAdvice(audience);
  const http = `HTTP ${status}`;
  if (ctx.ref.kind === 'url') {
    const target = ctx.ref.url;
    if (status === 404 || status === 410)
      return new HubError('not-found', `${target} does not exist (${http}): check the address`, { status, url, what: 'file' });
    if (status === 401 || status === 403)
      return new HubError('access', `${hostOf(target)} refused access to ${target} (${http}): ${advice}`, { status, url, what: 'file' });
    return new HubError('http', `${hostOf(target)} answered ${http} for ${target}: try again later, or ${advice}`, {
      status,
      url,
      what: 'file',
    });
  }
  const ref = ctx.ref;
  const repo = `'${ref.repo}'`;
  const host = hostOf(ref.endpoint);
  const file = ctx.what === 'file' ? `'${ctx.path}'` : '';
  // The Hub says which thing is missing in X-Error-Code; a browser may not be allowed to read that header, but the
  // JSON body's `error` ("Repository not found", "Revision Not Found", "Entry not found") is readable.
  const says = (re: RegExp) => re.test(serverSays);
  if (code === 'GatedRepo' || says(/gated|restricted/i))
    return new HubError(
      'access',
      `${repo} is gated (${http}); this tool sends no credentials: accept the model's terms on ${host}, then ${advice}`,
      { status, url, what: 'repository' },
    );
  if (code === 'RevisionNotFound' || says(/revision not found/i))
    return new HubError('not-found', `${repo} has no revision '${ref.revision}' (${http}): check the branch, tag or commit`, {
      status,
      url,
      what: 'revision',
    });
  const repoMissing = code === 'RepoNotFound' || says(/repository not found/i);
  if (code === 'EntryNotFound' || says(/entry not found/i) || (ctx.what === 'file' && status === 404 && !repoMissing))
    return new HubError('not-found', `${describeRef(ref)} has no file ${file} (${http})`, { status, url, what: 'file' });
  if (repoMissing || status === 404)
    return new HubError(
      'not-found',
      `no repository ${repo} on ${host}, or it is private (${http}): check the id; for a private model, ${advice}`,
      { status, url, what: 'repository' },
    );
  if (status === 401 || status === 403)
    return new HubError(
      'access',
      `${repo} is private or gated (${http}${serverSays ? `: ${serverSays}` : ''}); this tool sends no credentials: ${advice}`,
      { status, url, what: 'repository' },
    );
  return new HubError(
    'http',
    `${host} answered ${http}${serverSays ? ` (${serverSays})` : ''} for ${ctx.what === 'file' ? file : `the file list of ${repo}`}: try again later, or ${advice}`,
    { status, url },
  );
}

/** The `rel="next"` URL of a Link header (RFC 8288), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /(^|;)\s*rel\s*=\s*"?next"?\s*(;|$)/i.test(m[2]!)) return m[1]!;
  }
  return null;
}

/** At most this many pages of the listing (1,000 entries each on the Hub): a repository of model files is far smaller. */
const MAX_PAGES = 50;

/**
 * Lists every file of a repository at a revision (directories left out). Throws HubError: `not-found` (repository or
 * revision), `access`, `network`, `http`, `bad-response` (not the Hub's JSON), `cancelled`.
 */
export async function listRepoFiles(ref: Extract<ModelRef, { kind: 'hub' }>, client: HubClient): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  let url: string | null = treeUrl(ref);
  const origin = new URL(url).origin;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    let res: Response;
    try {
      res = await client.fetch(url, { signal: client.signal, headers: { Accept: 'application/json' }, credentials: 'omit', mode: 'cors' });
    } catch (e) {
      throw networkError(e, url, client.audience, client.signal);
    }
    if (!res.ok) throw await responseError(res, { what: 'listing', ref }, client.audience);
    let body: unknown;
    try {
      body = await res.json();
    } catch (e) {
      if (client.signal?.aborted) throw networkError(e, url, client.audience, client.signal);
      throw new HubError(
        'bad-response',
        `${hostOf(url)} did not answer with the Hub's file list for '${ref.repo}' (not JSON): is ${ref.endpoint} a Hugging Face Hub?`,
        { url },
      );
    }
    if (!Array.isArray(body))
      throw new HubError(
        'bad-response',
        `${hostOf(url)} did not answer with the Hub's file list for '${ref.repo}' (not a list): is ${ref.endpoint} a Hugging Face Hub?`,
        { url },
      );
    for (const e of body as unknown[]) {
      if (!e || typeof e !== 'object') continue;
      const { type, path, size, lfs } = e as { type?: unknown; path?: unknown; size?: unknown; lfs?: { oid?: unknown; size?: unknown } };
      if (type !== 'file' || typeof path !== 'string' || !path || path.startsWith('/') || path.split('/').includes('..')) continue;
      const n = typeof lfs?.size === 'number' ? lfs.size : typeof size === 'number' ? size : NaN;
      if (!Number.isSafeInteger(n) || n < 0) continue;
      const f: RepoFile = { path, size: n };
      if (typeof lfs?.oid === 'string' && /^[0-9a-f]{64}$/.test(lfs.oid)) f.sha256 = lfs.oid;
      files.push(f);
    }
    // Follow the next page only on the same origin (never let a response send us elsewhere).
    const next = nextLink(res.headers.get('Link'));
    url = next && new URL(next, url).origin === origin ? new URL(next, url).href : null;
  }
  return files;
}
