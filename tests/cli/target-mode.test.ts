/**
 * `ava-quant quantize <in> <out> target …`: its usage and refusals, before any measuring (the search itself, its
 * output and its cache: tests/mixed/target.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const cli = (...args: string[]) => runCli(args, { AVA_CACHE_DIR: dir });
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-target-mode-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quantize … target: usage and refusals', () => {
  const m = () => pathOf(fixture(MINILM));
  it('--help explains the mode, its flags, the cache and the exit codes; quantize --help lists it', () => {
    const h = cli('quantize', 'a.onnx', 'b.onnx', 'target', '--help');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--min-cosine X[\s\S]*--min-top5 Y[\s\S]*--probes LIST[\s\S]*--target T[\s\S]*--no-cache/);
    expect(h.out).toMatch(/Results are cached in \$AVA_CACHE_DIR\/target\//);
    expect(h.out).toMatch(/Exit codes: 0 .* 7 nothing did/);
    expect(cli('quantize', '--help').out).toMatch(/quantize <in\.onnx> <out\.onnx> target --min-cosine X/);
  });

  it('a bar is required and checked; bad flags are usage errors (exit 2), nothing written', () => {
    const out = join(dir, 'x.onnx');
    const cases: [string[], RegExp][] = [
      [[], /target mode needs a bar: --min-cosine X and\/or --min-top5 Y/],
      [['--min-cosine', '1.5'], /--min-cosine must be above -1 and at most 1 \(got 1\.5\)/],
      [['--min-top5', 'most'], /--min-top5 must be a number \(got "most"\)/],
      [['--min-cosine', '0.99', '--candidates', 'int4'], /--candidates takes fp16, int8, q4 \(got 'int4'\)/],
      [['--min-cosine', '0.99', '--probes', 'retrieval'], /--probes: target mode takes the shipped sets en and multi/],
      [['--min-cosine', '0.99', '--int8-preset', 'fast'], /--int8-preset: unknown preset 'fast'/],
      [['--min-cosine', '0.99', '--subset', '0'], /--subset must be at least 1 and at most 10000 \(got 0\)/],
      [['--min-cosine', '0.99', '--frobnicate'], /unknown option --frobnicate for target mode/],
      [['--min-cosine', '0.99', '--target', 'toaster'], /--target: unknown target 'toaster'/],
    ];
    for (const [flags, msg] of cases) {
      const r = cli('quantize', m(), out, 'target', ...flags);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.err, flags.join(' ')).toMatch(msg);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a missing input or tokenizer file exits 3, an existing output 5 (before any work)', () => {
    expect(cli('quantize', join(dir, 'missing.onnx'), join(dir, 'y.onnx'), 'target', '--min-cosine', '0.99').code).toBe(3);
    const existing = join(dir, 'exists.onnx');
    writeFileSync(existing, 'mine');
    const r = cli('quantize', m(), existing, 'target', '--min-cosine', '0.99');
    expect(r.code).toBe(5);
    expect(r.err).toMatch(/exists \(use --force to overwrite\)/);
    const noTok = cli('quantize', m(), join(dir, 'z.onnx'), 'target', '--min-top5', '0.9', '--tokenizer', join(dir, 'none.json'));
    expect(noTok.code).toBe(3);
    expect(existsSync(join(dir, 'z.onnx'))).toBe(false);
  });

  it('the answer on a full disk: exit 6 naming the answer file, nothing left (tmpfs; needs root)', () => {
    // A small search, measured once (cached), then written again onto a 64 KiB tmpfs.
    const small = ['target', '--min-cosine', '0.9', '--probes', 'en', '--subset', '4', '--max-verifications', '1', '--no-uniform'];
    const first = cli('quantize', m(), join(dir, 'answer.onnx'), ...small, '--candidates', 'int8');
    expect(first.code, first.err).toBe(0);
    const mnt = join(dir, 'full');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    try {
      const r = cli('quantize', m(), join(mnt, 'answer.onnx'), ...small, '--candidates', 'int8');
      expect(r.code, r.err).toBe(6);
      expect(r.err.trim().split('\n').pop()).toBe(`ava-quant: disk full while writing ${join(mnt, 'answer.onnx')} (nothing was written)`);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
