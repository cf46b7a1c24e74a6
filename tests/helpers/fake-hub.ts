/**
 * A stand-in for the Hugging Face Hub that serves real fixture files in the Hub's URL layout, for the Node tests
 * (node:http, fakeHubServer) and the e2e tests (Playwright's page.route, through `respond`):
 *   GET /api/models/{org}/{name}/tree/{rev}?recursive=true  -> [{type, oid, size, path, lfs?}], paginated by a
 *       `Link: <…&cursor=N>; rel="next"` header like the real Hub (page size is small here to exercise it)
 *   GET /{org}/{name}/resolve/{rev}/{path}  -> the file; "LFS" files (.onnx, data) answer 302 to /cdn/… first,
 *       as the Hub redirects to its CDN
 * Errors as the Hub sends them: unknown repository 401 + `X-Error-Code: RepoNotFound`, unknown revision 404
 * RevisionNotFound, unknown file 404 EntryNotFound, gated repository 403 GatedRepo (on file downloads; the
 * listing of a gated repository is public), each with a JSON body `{"error": …}`.
 * Sources for the layout: huggingface_hub `list_repo_tree` / `hf_hub_url` / `hf_raise_for_status`.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFile {
  /** On disk (read when served), or bytes. */
  disk?: string;
  bytes?: Uint8Array;
  /** Serve this many bytes, then hold the connection open (never finish): for cancel tests. */
  stallAfter?: number;
  /** Serve this many bytes, then destroy the connection: for "broke off" tests. */
  breakAfter?: number;
}

export interface FakeRepo {
  files: Record<string, FakeFile>;
  revisions?: string[];
  gated?: boolean;
}

export interface FakeResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  stallAfter?: number;
  breakAfter?: number;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'X-Error-Code, X-Error-Message, X-Repo-Commit, Link, Content-Length, ETag',
};

const isLfs = (path: string) => !/\.(json|md|txt)$/i.test(path);

export class FakeHub {
  /** Paths of every request handled, in order ("/api/models/…", "/org/name/resolve/…"). */
  readonly requests: string[] = [];
  private readonly sha = new Map<string, string>();
  constructor(
    readonly repos: Record<string, FakeRepo>,
    readonly pageSize = 3,
    /**
     * Where "LFS" files redirect to: the Hub's own origin (default), another origin (the real Hub uses CDN hosts such
     * as cdn-lfs.hf.co), or 'none' to serve them directly (Playwright's page.route does not see redirected requests).
     */
    readonly cdnOrigin: string | null | 'none' = null,
  ) {}

  private bytesOf(f: FakeFile): Uint8Array {
    return f.bytes ?? new Uint8Array(readFileSync(f.disk!));
  }
  private sizeOf(f: FakeFile): number {
    return f.bytes ? f.bytes.length : statSync(f.disk!).size;
  }
  private oid(repo: string, path: string, f: FakeFile): string {
    const key = `${repo}/${path}`;
    if (!this.sha.has(key)) this.sha.set(key, createHash('sha256').update(this.bytesOf(f)).digest('hex'));
    return this.sha.get(key)!;
  }

  private json(status: number, body: unknown, extra: Record<string, string> = {}): FakeResponse {
    return {
      status,
      headers: { ...CORS, 'Content-Type': 'application/json', ...extra },
      body: new TextEncoder().encode(JSON.stringify(body)),
    };
  }
  private error(status: number, code: string, message: string): FakeResponse {
    return this.json(status, { error: message }, { 'X-Error-Code': code, 'X-Error-Message': message });
  }

  /** The response for a GET of `url` (only path and query are looked at). */
  respond(url: URL): FakeResponse {
    this.requests.push(url.pathname + url.search);
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segs[0] === 'cdn') {
      // /cdn/{org}/{name}/{rev}/{path…}: the "CDN" copy the resolve URL redirected to.
      const [, org, name, rev, ...rest] = segs;
      return this.file(`${org}/${name}`, rev!, rest.join('/'), true);
    }
    if (segs[0] === 'api' && segs[1] === 'models') {
      const [, , org, name, verb, rev] = segs;
      const repo = this.repos[`${org}/${name}`];
      if (!repo) return this.error(401, 'RepoNotFound', 'Repository not found');
      if (verb !== 'tree' || !rev) return this.json(404, { error: "Sorry, we can't find the page you are looking for." });
      if (!(repo.revisions ?? ['main']).includes(rev)) return this.error(404, 'RevisionNotFound', 'Revision Not Found');
      const entries = Object.entries(repo.files).map(([path, f]) => {
        const size = this.sizeOf(f);
        const oid = this.oid(`${org}/${name}`, path, f);
        return isLfs(path)
          ? { type: 'file', oid: oid.slice(0, 40), size, lfs: { oid, size, pointerSize: 134 }, path }
          : { type: 'file', oid: oid.slice(0, 40), size, path };
      });
      const dirs = [
        ...new Set(
          Object.keys(repo.files)
            .filter((p) => p.includes('/'))
            .map((p) => p.slice(0, p.lastIndexOf('/'))),
        ),
      ];
      const all = [...dirs.map((d) => ({ type: 'directory', oid: '0'.repeat(40), size: 0, path: d })), ...entries];
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = all.slice(cursor, cursor + this.pageSize);
      const next =
        cursor + this.pageSize < all.length
          ? `<${url.origin}${url.pathname}?recursive=true&cursor=${cursor + this.pageSize}>; rel="next"`
          : null;
      return this.json(200, page, next ? { Link: next } : {});
    }
    const [org, name, verb, rev, ...rest] = segs;
    if (verb !== 'resolve' || !rev) return this.json(404, { error: 'not a Hub URL in this fake' });
    return this.file(`${org}/${name}`, rev, rest.join('/'), false, url.origin);
  }

  private file(repoId: string, rev: string, path: string, fromCdn: boolean, origin = ''): FakeResponse {
    const repo = this.repos[repoId];
    if (!repo) return this.error(401, 'RepoNotFound', 'Repository not found');
    if (!(repo.revisions ?? ['main']).includes(rev)) return this.error(404, 'RevisionNotFound', 'Revision Not Found');
    const f = repo.files[path];
    if (!f) return this.error(404, 'EntryNotFound', 'Entry not found');
    if (repo.gated) return this.error(403, 'GatedRepo', `Access to model ${repoId} is restricted and you are not in the authorized list.`);
    if (!fromCdn && isLfs(path) && this.cdnOrigin !== 'none') {
      const loc = `${this.cdnOrigin ?? origin}/cdn/${repoId}/${encodeURIComponent(rev)}/${path.split('/').map(encodeURIComponent).join('/')}`;
      return { status: 302, headers: { ...CORS, Location: loc, 'X-Repo-Commit': 'a'.repeat(40) }, body: new Uint8Array(0) };
    }
    const body = this.bytesOf(f);
    return {
      status: 200,
      headers: {
        ...CORS,
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(body.length),
        ETag: `"${this.oid(repoId, path, f)}"`,
      },
      body,
      ...(f.stallAfter !== undefined ? { stallAfter: f.stallAfter } : {}),
      ...(f.breakAfter !== undefined ? { breakAfter: f.breakAfter } : {}),
    };
  }
}

/** Serves a FakeHub on 127.0.0.1 (random port). `endpoint` is its origin. */
export async function fakeHubServer(hub: FakeHub): Promise<{ endpoint: string; close: () => Promise<void>; server: Server }> {
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const r = hub.respond(new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`));
    res.writeHead(r.status, r.headers);
    if (r.stallAfter !== undefined) {
      open.add(res);
      res.write(r.body.subarray(0, r.stallAfter));
      return; // never ends
    }
    if (r.breakAfter !== undefined) {
      res.write(r.body.subarray(0, r.breakAfter), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        for (const r of open) r.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
