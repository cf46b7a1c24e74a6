// The dev server: cross-origin isolation headers and the dev-only /__fixtures/ route behind "Try a sample model".
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, MINILM } from '../helpers/fixtures.js';

let server: ViteDevServer;
let base: string;

beforeAll(async () => {
  server = await createServer({
    configFile: 'vite.config.ts',
    logLevel: 'silent',
    server: { port: 0, strictPort: false, hmr: false, ws: false },
  });
  await server.listen();
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') throw new Error('dev server has no port');
  base = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await server?.close();
});

describe('dev server', () => {
  it('serves the app cross-origin isolated', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await res.text()).toContain('<div id="app">');
  });

  it('lists the sample model under /__fixtures/ and serves its bytes', async () => {
    const res = await fetch(`${base}/__fixtures/manifest.json`);
    expect(res.status).toBe(200);
    const { models } = (await res.json()) as { models: { name: string; url: string; bytes: number }[] };
    const entry = models.find((m) => m.name === MINILM);
    expect(entry, `${MINILM} in the dev manifest`).toBeDefined();
    const file = await fetch(`${base}${entry!.url}`);
    expect(file.status).toBe(200);
    expect(Number(file.headers.get('content-length'))).toBe(fixture(MINILM).bytes);
    await file.body?.cancel();
  });

  it('serves nothing outside the manifest', async () => {
    for (const p of ['/__fixtures/files/%2e%2e%2f%2e%2e%2fpackage.json', '/__fixtures/files/manifest.json']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status, p).toBe(404);
      await res.body?.cancel();
    }
  });
});
