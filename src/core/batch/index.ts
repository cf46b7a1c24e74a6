/**
 * Batch work: output naming and skip decisions (naming.ts), SHA-256 + MD5 in one pass (hashing.ts), manifest.json
 * (manifest.ts), the streaming "Download all" zip (zip.ts); and, re-exported, the provenance record our outputs carry
 * (../provenance.ts, written and read there). Pure TypeScript, no DOM: runs in the page, in workers and in Node.
 */
export * from './naming.js';
export * from './hashing.js';
export * from './manifest.js';
export * from './zip.js';
export * from '../provenance.js';
