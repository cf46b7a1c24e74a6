import { createReadStream, existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { CSP, cspString } from './csp.config.js';
// Owned by the fixtures script: manifest {fixtures: [{name, kind, path, bytes, tokenizer, ...}]}, paths relative to fixturesDir().
// @ts-expect-error plain ESM helper without types (same as tests/helpers/fixtures.ts)
import { fixturesDir, hasFixtures, loadManifest } from './scripts/fixtures-lib.mjs';

/**
 * The dev server's policy: the same, plus what Vite's dev client needs (it injects component CSS as <style> elements
 * and talks to the dev server over a WebSocket). Not used by the built app.
 */
const DEV_CSP = { ...CSP, 'style-src': ["'self'", "'unsafe-inline'"], 'connect-src': [...CSP['connect-src']!, 'ws:'] };

/** Puts the policy in the built index.html right after <meta charset>, before any script or style. */
function cspMetaPlugin(): Plugin {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${cspString(CSP).replace(/"/g, '&quot;')}" />`;
  return {
    name: 'ava-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html) {
        const at = html.search(/<meta charset=[^>]*>/i);
        if (at < 0) throw new Error('index.html has no <meta charset>: the CSP meta tag goes right after it');
        const end = html.indexOf('>', at) + 1;
        return `${html.slice(0, end)}\n    ${meta}${html.slice(end)}`;
      },
    },
  };
}

/** Cross-origin isolation: needed later for SharedArrayBuffer / threaded WASM in onnxruntime-web. */
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Dev only: serves the fetched fixtures under `/__fixtures/` so "Try a sample model" works offline.
 *   GET /__fixtures/manifest.json   -> { models: [{ name, kind, path, bytes, url, tokenizerUrl }] }
 *   GET /__fixtures/files/<path>    -> the file, only if <path> is listed in the manifest
 */
function fixturesPlugin(): Plugin {
  return {
    name: 'ava-dev-fixtures',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/__fixtures', (req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const root: string = fixturesDir();
        const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
          res.statusCode = status;
          res.setHeader('Content-Type', type);
          res.setHeader('Cache-Control', 'no-store');
          res.end(body);
        };
        if (!hasFixtures()) return send(404, 'No fixtures: run `npm run fixtures` first.');
        let fixtures: { name: string; kind: string; path: string; bytes: number; tokenizer: string | null }[];
        try {
          fixtures = loadManifest().fixtures;
        } catch (e) {
          return send(500, (e as Error).message);
        }
        if (url.pathname === '/manifest.json') {
          const models = fixtures.map((m) => ({
            name: m.name,
            kind: m.kind,
            path: m.path,
            bytes: m.bytes,
            url: `/__fixtures/files/${m.path.split(/[\\/]/).map(encodeURIComponent).join('/')}`,
            tokenizerUrl: m.tokenizer ? `/__fixtures/files/${m.tokenizer.split(/[\\/]/).map(encodeURIComponent).join('/')}` : null,
          }));
          return send(200, JSON.stringify({ models }), 'application/json');
        }
        if (url.pathname.startsWith('/files/')) {
          const rel = decodeURIComponent(url.pathname.slice('/files/'.length));
          const allowed = fixtures.some((m) => m.path === rel || m.tokenizer === rel);
          const abs = resolve(root, rel);
          const inside = relative(root, abs);
          if (!allowed || inside.startsWith('..') || isAbsolute(inside) || inside.split(sep).includes('..')) {
            return send(404, 'Not a fixture file.');
          }
          if (!existsSync(abs)) return send(404, 'Fixture file missing: run `npm run fixtures`.');
          res.statusCode = 200;
          res.setHeader('Content-Type', abs.endsWith('.json') ? 'application/json' : 'application/octet-stream');
          res.setHeader('Content-Length', String(statSync(abs).size));
          res.setHeader('Cache-Control', 'no-store');
          createReadStream(abs).pipe(res);
          return;
        }
        next();
      });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [
    svelte(),
    fixturesPlugin(),
    cspMetaPlugin(),
    // Offline use: a Workbox service worker precaches every built asset (the app, its workers, onnxruntime-web's
    // .wasm / .mjs, the probe sets), so after the first visit the app loads and runs with no network. Registered by
    // src/app/main.ts (no inline script); relative URLs, so it works from any sub-path.
    VitePWA({
      injectRegister: null,
      registerType: 'autoUpdate',
      manifest: false,
      workbox: {
        globPatterns: ['**/*.{html,js,mjs,css,wasm,svg,json}'],
        // onnxruntime-web's WebGPU build is ~27 MB; Workbox skips files over 2 MiB by default.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        navigateFallback: null,
        sourcemap: false,
      },
    }),
  ],
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { port: 5173, headers: { ...isolationHeaders, 'Content-Security-Policy': `${cspString(DEV_CSP)}; frame-ancestors 'none'` } },
  preview: { port: 4173, headers: { ...isolationHeaders, 'Content-Security-Policy': `${cspString(CSP)}; frame-ancestors 'none'` } },
  build: { target: 'es2022', sourcemap: true },
});
