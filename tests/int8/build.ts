/** The test model builder moved to tests/helpers/tiny-model.ts; this path stays for e2e/inspect.spec.ts, which imports it. */
export * from '../helpers/tiny-model.js';
