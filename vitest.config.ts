import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const shared = {
  environment: 'node' as const,
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    // Real ~90 MB models: keep memory bounded on the 2-core CI box.
    maxWorkers: 2,
    projects: [
      {
        test: { ...shared, name: 'unit', include: ['tests/**/*.test.ts', 'src/**/*.test.ts'], exclude: ['tests/app/controllers/**'] },
      },
      {
        // The page's controllers (src/app/**/*.svelte.ts): compiled by Svelte with its client runtime (runes), no DOM.
        plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
        resolve: { conditions: ['browser'] },
        test: { ...shared, name: 'controllers', include: ['tests/app/controllers/**/*.test.ts'] },
      },
    ],
  },
});
