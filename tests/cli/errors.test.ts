/**
 * How the real `ava-quant` says a value or a path is wrong, on every command: numeric flags name the flag as typed
 * with one range wording (the mode tables' rule), enum flags name the value and list the valid ones (exit 2), an
 * output folder that is not there is exit 3 with the folder named, and with --json every error is also a JSON object
 * on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';
import { CLI_BIN, runCli } from '../helpers/cli.js';
import { spawnSync } from 'node:child_process';

let dir: string;
const cli = (...args: string[]) => runCli(args, { AVA_CACHE_DIR: dir });
const small = () => pathOf(fixture('openwakeword-hello-deepa'));
const minilm = () => pathOf(fixture(MINILM));
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-cli-errors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The stderr line of a failed run, without the `ava-quant: ` prefix (one line: no help appended). */
const errLine = (r: { err: string }): string => {
  const lines = r.err.trim().split('\n');
  expect(lines, r.err).toHaveLength(1);
  return lines[0]!.replace(/^ava-quant: /, '');
};

describe('inputs that are not regular files', () => {
  it('a pipe (`cat m.onnx | ava-quant quantize /dev/stdin …`) is named as such, not "the file is empty"', () => {
    const r = spawnSync(
      'sh',
      ['-c', `cat "${small()}" | "${process.execPath}" "${CLI_BIN}" quantize /dev/stdin "${join(dir, 'p.onnx')}" int8`],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(3);
    expect(errLine({ err: r.stderr })).toBe('/dev/stdin is not a regular file (a pipe or a device?): give the path of the .onnx file');
  });
});

describe('numeric flags: the flag as typed, one range wording', () => {
  it('--min-cosine -1 names --min-cosine and says the range as the flag check does (not the engine name or interval notation)', () => {
    const r = cli('quantize', minilm(), join(dir, 'x.onnx'), 'target', '--min-cosine', '-1');
    expect(r.code).toBe(2);
    expect(errLine(r)).toBe('--min-cosine must be above -1 and at most 1 (got -1)');
  });

  it('every numeric flag of every command: "<flag> must be …", never an option key or an interval', () => {
    const out = join(dir, 'x.onnx');
    const cases: [string[], RegExp][] = [
      // The check's threshold is a cosine bar as target mode's is: -1 is refused here, not by the engine's RangeError.
      [['check', minilm(), minilm(), '--threshold', '2'], /^--threshold must be above -1 and at most 1 \(got 2\)$/],
      [['check', minilm(), minilm(), '--threshold', '-1'], /^--threshold must be above -1 and at most 1 \(got -1\)$/],
      [['quantize', minilm(), out, 'target', '--min-top5', '1.5'], /^--min-top5 must be at least 0 and at most 1 \(got 1\.5\)$/],
      [['quantize', minilm(), out, 'target', '--min-cosine', '0.9', '--subset', '2.5'], /^--subset must be a whole number \(got 2\.5\)$/],
      [
        ['quantize', minilm(), out, 'target', '--min-cosine', '0.9', '--max-verifications', '0'],
        /^--max-verifications must be at least 1 and at most 100 \(got 0\)$/,
      ],
      [['quantize', small(), out, 'fp16', '--max-finite', '70000'], /^--max-finite must be above 0 and at most 65504 \(got 70000\)$/],
      [['quantize', small(), out, 'fp16', '--min-positive', '-1'], /^--min-positive must be at least 0 \(got -1\)$/],
      [['quantize', small(), out, 'q4', '--gather-axis', 'x'], /^--gather-axis must be a number \(got "x"\)$/],
      // A rule across two options is the engine's; its message still names the flags.
      [
        ['quantize', small(), out, 'fp16', '--min-positive', '1', '--max-finite', '0.5'],
        /^\S+: --min-positive must be at least 0 and below --max-finite \(got 1\)$/,
      ],
    ];
    for (const [args, msg] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      const line = r.err
        .trim()
        .split('\n')[0]!
        .replace(/^ava-quant: /, '');
      expect(line, args.join(' ')).toMatch(msg);
      expect(line, args.join(' ')).not.toMatch(/minCosine|minTop5Overlap|minPositive|maxFinite|[([]-?\d+, -?\d+[)\]]/);
    }
  });
});

describe('enum flags: a usage error naming the value and the valid ones', () => {
  it('check --output nosuch is exit 2 (not 7, below threshold), one line with the outputs the model has', () => {
    const r = cli('check', minilm(), minilm(), '--output', 'nosuch');
    expect(r.code).toBe(2);
    expect(errLine(r)).toBe("--output: unknown value 'nosuch' (use last_hidden_state)");
  });

  it('every enum-valued flag of every command: exit 2, the value named, the choices listed', () => {
    const out = join(dir, 'x.onnx');
    const cases: [string[], string, string][] = [
      [['check', minilm(), minilm(), '--pool', 'max'], 'max', 'mean, cls, none'],
      [['check', minilm(), minilm(), '--probes', 'nosuch'], 'nosuch', 'en, multi'],
      [['check', minilm(), minilm(), '--target', 'toaster'], 'toaster', 'android-arm64'],
      [['batch', dir, '--template', 'nope'], 'nope', 'suffix, transformers.js'],
      [['batch', dir, '--modes', 'int3'], 'int3', 'int8, fp16, q4, q4f16'],
      [['quantize', small(), out, 'int8', '--weight-type', 'int4'], 'int4', 'qint8'],
      [['quantize', small(), out, 'int8', '--preset', 'fastest'], 'fastest', 'avx512-vnni'],
      [['quantize', small(), out, 'q4', '--block-size', '48'], '48', '32'],
      [['quantize', small(), out, 'int8', '--target', 'pdp11'], 'pdp11', 'x86-avx2'],
      [['quantize', minilm(), out, 'target', '--min-cosine', '0.9', '--candidates', 'int4'], 'int4', 'fp16, int8, q4'],
      [['quantize', minilm(), out, 'target', '--min-cosine', '0.9', '--pooling', 'max'], 'max', 'mean, cls, none'],
    ];
    for (const [args, value, choices] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      const first = r.err.trim().split('\n')[0]!;
      expect(first, args.join(' ')).toContain(`'${value}'`);
      expect(first, args.join(' ')).toContain(choices);
    }
  });
});

describe('an output folder that does not exist', () => {
  it('is exit 3 (the code --help gives a file or folder not found), one line naming the folder, for quantize and target mode', () => {
    const missing = join(dir, 'no', 'such', 'folder');
    for (const args of [
      ['quantize', small(), join(missing, 'x.onnx'), 'fp16'],
      ['quantize', minilm(), join(missing, 'x.onnx'), 'target', '--min-cosine', '0.9'],
    ]) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(errLine(r)).toBe(`the output folder ${missing} does not exist (create it first)`);
    }
    expect(cli('--help').out).toMatch(/3 file or folder not found/);
  });
});

describe('--json: errors are a JSON object on stdout too', () => {
  it('every command: {"error": {"code": <exit code>, "message": <the stderr line>}}, the stderr line kept', () => {
    const cases: string[][] = [
      ['inspect', join(dir, 'missing.onnx'), '--json'],
      ['quantize', join(dir, 'missing.onnx'), join(dir, 'x.onnx'), 'int8', '--json'],
      ['quantize', small(), join(dir, 'none', 'x.onnx'), 'fp16', '--json'],
      ['quantize', minilm(), join(dir, 'x.onnx'), 'target', '--min-cosine', '-1', '--json'],
      ['batch', join(dir, 'missing'), '--json'],
      ['check', minilm(), minilm(), '--output', 'nosuch', '--json'],
      ['verify', small(), 'not-a-hash', '--json'],
      ['frobnicate', '--json'],
    ];
    for (const args of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBeGreaterThan(0);
      const j = JSON.parse(r.out);
      expect(j, args.join(' ')).toEqual({
        error: {
          code: r.code,
          message: r.err
            .trim()
            .split('\n')[0]!
            .replace(/^ava-quant: /, ''),
        },
      });
    }
  });

  it('without --json stdout stays empty on an error', () => {
    const r = cli('inspect', join(dir, 'missing.onnx'));
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
  });
});
