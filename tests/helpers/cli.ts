/** Running the real `ava-quant` CLI (bin/ava-quant.mjs) as a subprocess, for the tests that check it end to end. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The CLI's entry point. */
export const CLI_BIN = join(import.meta.dirname, '..', '..', 'bin', 'ava-quant.mjs');

/** Runs `ava-quant …args` to the end with `env` added to this process's environment: exit code, stdout, stderr. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
