import { defineConfig } from '@playwright/test';

/** Debian's Chromium (apt-get install chromium); override with CHROMIUM_PATH or PLAYWRIGHT_CHROMIUM. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
const port = Number(process.env.E2E_PORT ?? 4173);
export const devPort = Number(process.env.E2E_DEV_PORT ?? 5174);

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1, // 2-core machine, and the tests load a ~90 MB model
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 120_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${port}/`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    actionTimeout: 30_000,
    navigationTimeout: 30_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--enable-unsafe-webgpu',
      ],
    },
  },
  webServer: [
    {
      // The built app, served cross-origin isolated (COOP/COEP from vite.config.ts `preview.headers`).
      command: `npm run build && node node_modules/vite/bin/vite.js preview --port ${port} --strictPort`,
      url: `http://localhost:${port}/`,
      // Never test a stale build: set E2E_REUSE_SERVER=1 to reuse servers you started yourself.
      reuseExistingServer: !!process.env.E2E_REUSE_SERVER,
      timeout: 180_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The dev server, only for what exists in dev alone (the /__fixtures/ sample route): e2e/dev-*.spec.ts.
      command: `node node_modules/vite/bin/vite.js --port ${devPort} --strictPort`,
      url: `http://localhost:${devPort}/`,
      reuseExistingServer: !!process.env.E2E_REUSE_SERVER,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
