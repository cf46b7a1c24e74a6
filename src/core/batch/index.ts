/**
 * Batch work: output naming and skip decisions (naming.ts), SHA-256 + MD5 in one pass (hashing.ts), manifest.json
 * (manifest.ts), the streaming "Download all" zip (zip.ts) and the provenance metadata our outputs carry
 * (metadata.ts). Pure TypeScript, no DOM: runs in the page, in workers and in Node (the CLI batch).
 */
export * from './naming.js';
export * from './hashing.js';
export * from './manifest.js';
export * from './zip.js';
export * from './metadata.js';
