// The built app (dist/) served as plain static files from a sub-path, without the COOP/COEP isolation headers (as on
// GitHub Pages or a bucket), for the specs that check the app away from `vite preview`.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, normalize, resolve, sep } from 'node:path';

export const DIST = resolve('dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

export interface StaticDist {
  /** `http://127.0.0.1:<port><sub>`, with the trailing slash. */
  base: string;
  /** Every request the server saw (path only), with the status it answered, in order. */
  seen: { url: string; status: number }[];
  close(): Promise<void>;
}

/**
 * Serves dist/ under `sub` (starts and ends with '/') on a free port of 127.0.0.1: files with their MIME type, a
 * folder as its index.html, the sub-path without its slash redirected (301) to it as static hosts do, anything else
 * 404 (text). Deliberately no Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy.
 */
export async function serveDist(sub: string): Promise<StaticDist> {
  const seen: StaticDist['seen'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body = '') => {
      seen.push({ url: url.pathname, status });
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
    };
    if (url.pathname === sub.slice(0, -1)) {
      seen.push({ url: url.pathname, status: 301 });
      res.writeHead(301, { Location: sub }).end();
      return;
    }
    if (!url.pathname.startsWith(sub)) return send(404, 'not under the sub-path');
    let rel = decodeURIComponent(url.pathname.slice(sub.length)) || 'index.html';
    if (rel.endsWith('/')) rel += 'index.html';
    const abs = resolve(DIST, normalize(rel));
    if (!abs.startsWith(DIST + sep) || !existsSync(abs) || !statSync(abs).isFile()) return send(404, 'not found');
    seen.push({ url: url.pathname, status: 200 });
    res.writeHead(200, { 'Content-Type': TYPES[extname(abs)] ?? 'application/octet-stream', 'Content-Length': statSync(abs).size });
    createReadStream(abs).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}${sub}`,
    seen,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
