/**
 * The CLI's V8 interrupt budget (bin/v8-budget.mjs, set by bin/ava-quant.mjs): the decision, and that it takes effect
 * in the real CLI — V8 optimizes far fewer functions in a run — without changing a byte of the output; the user's
 * own choice (node's flag, AVA_QUANT_INTERRUPT_BUDGET) wins.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_INTERRUPT_BUDGET, interruptBudgetFlag } from '../../bin/v8-budget.mjs';
import { CLI_BIN } from '../helpers/cli.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';

describe('interruptBudgetFlag', () => {
  it("sets 15× V8's default unless the user chose", () => {
    expect(CLI_INTERRUPT_BUDGET).toBe(1_000_000);
    expect(interruptBudgetFlag([], {})).toBe('--interrupt-budget=1000000');
    expect(interruptBudgetFlag(['--enable-source-maps'], { AVA_QUANT_INTERRUPT_BUDGET: '' })).toBe('--interrupt-budget=1000000');
  });
  it("node's own flag wins, in either spelling; similar flags are not it", () => {
    for (const a of ['--interrupt-budget=5000', '--interrupt_budget=5000', '--interrupt-budget'])
      expect(interruptBudgetFlag([a], {}), a).toBeNull();
    for (const a of ['--interrupt-budget-for-feedback-allocation=940', '--title=x--interrupt-budget'])
      expect(interruptBudgetFlag([a], {}), a).toBe('--interrupt-budget=1000000');
  });
  it('AVA_QUANT_INTERRUPT_BUDGET: a positive integer, or v8 for V8 own default; anything else is an error', () => {
    expect(interruptBudgetFlag([], { AVA_QUANT_INTERRUPT_BUDGET: '5000' })).toBe('--interrupt-budget=5000');
    expect(interruptBudgetFlag([], { AVA_QUANT_INTERRUPT_BUDGET: 'v8' })).toBeNull();
    for (const bad of ['0', '-1', '1e6', 'fast', '99999999999'])
      expect(() => interruptBudgetFlag([], { AVA_QUANT_INTERRUPT_BUDGET: bad }), bad).toThrow(/AVA_QUANT_INTERRUPT_BUDGET/);
  });
});

describe('in the CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ava-v8-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** INT8 of all-MiniLM-L6-v2 with --trace-opt: the output's bytes and how many functions V8 optimized. */
  const run = (name: string, nodeArgs: string[], env: Record<string, string>) => {
    const out = join(dir, `${name}.onnx`);
    const r = spawnSync(process.execPath, [...nodeArgs, '--trace-opt', CLI_BIN, 'quantize', pathOf(fixture(MINILM)), out, 'int8'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', AVA_QUANT_HASH_CACHE: '0', ...env },
    });
    expect(r.status, r.stderr).toBe(0);
    return { bytes: readFileSync(out), optimized: r.stdout.split('\n').filter((l) => /completed (optimizing|compiling)/.test(l)).length };
  };

  it("optimizes far fewer functions than V8's default budget, with the same output bytes; the user's choice wins", () => {
    const cli = run('cli', [], {});
    const v8 = run('v8', [], { AVA_QUANT_INTERRUPT_BUDGET: 'v8' });
    const own = run('own', ['--interrupt-budget=67584'], {});
    // Measured: 8 against 160 (Node 20, this fixture).
    expect(v8.optimized).toBeGreaterThan(4 * cli.optimized + 20);
    expect(own.optimized).toBeGreaterThan(4 * cli.optimized + 20);
    expect(cli.bytes.equals(v8.bytes)).toBe(true);
    expect(cli.bytes.equals(own.bytes)).toBe(true);
  });

  it('a bad AVA_QUANT_INTERRUPT_BUDGET is refused before anything runs (exit 2, one line)', () => {
    const r = spawnSync(process.execPath, [CLI_BIN, '--version'], {
      encoding: 'utf8',
      env: { ...process.env, AVA_QUANT_INTERRUPT_BUDGET: 'fast' },
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      "ava-quant: AVA_QUANT_INTERRUPT_BUDGET must be a positive integer or 'v8' (V8's default), not 'fast'",
    ]);
  });
});
