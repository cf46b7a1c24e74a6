/**
 * Two runs writing the same output path: the output is placed at the end only where nothing is (a hard link: no
 * clobbering, whatever another process does meanwhile), or over the very file the run found there with --force; a
 * file another run created or replaced meanwhile is never overwritten. The later run ends with exit 5 naming the path,
 * and nothing of its output is left (a split output's two files are placed both or neither). Without hard links (FAT,
 * some network mounts) an exclusive create claims the path first. An output that is a file of the input (its data
 * file) is refused.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/io.js';
import { run as runCli } from '../../src/cli/main.js';
import { OutputConflictError, atomicFileSink, claimOutput, placeOps, writeFileAtomicSync } from '../../src/node/files.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { MINILM, externalDataModels, fixture, pathOf } from '../helpers/fixtures.js';
import { CLI_BIN } from '../helpers/cli.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const SMALL = 'openwakeword-hello-deepa';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-concurrent-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const realLink = placeOps.link;
afterEach(() => {
  placeOps.link = realLink;
});

/** A fresh folder with a copy of the small model as in.onnx. */
function folder(name: string): { d: string; input: string } {
  const d = join(dir, name);
  mkdirSync(d);
  const input = join(d, 'in.onnx');
  copyFileSync(pathOf(fixture(SMALL)), input);
  return { d, input };
}

/**
 * Runs the CLI in this process; `duringWrite` runs once, when the first progress line says the output is being
 * written (its temp file exists): what another run does meanwhile.
 */
async function run(args: string[], duringWrite?: () => void) {
  let out = '';
  let err = '';
  let fired = false;
  const code = await runCli(args, {
    stdout: (t) => (out += t),
    stderr: (t) => {
      err += t;
      if (!fired && duringWrite && /\d+%/.test(t)) {
        fired = true;
        duringWrite();
      }
    },
  });
  return { code, out, err, fired };
}

const errLine = (err: string) =>
  err
    .trim()
    .split('\n')
    .pop()!
    .replace(/^ava-quant: /, '');
const temps = (d: string) => readdirSync(d).filter((f) => f.includes('.tmp-'));

describe('two runs, one output path', () => {
  it('two real CLI processes at once: one writes the file, the other ends with exit 5 naming it; no temp file', async () => {
    const { d, input } = folder('processes');
    copyFileSync(pathOf(fixture(MINILM)), input);
    const out = join(d, 'out.onnx');
    const start = (mode: string) =>
      new Promise<{ mode: string; code: number | null; err: string }>((ok) => {
        const c = spawn(process.execPath, [CLI_BIN, 'quantize', input, out, mode, '--json'], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, SOURCE_DATE_EPOCH: '1796040000' },
        });
        let err = '';
        c.stderr.on('data', (b: Buffer) => (err += b.toString()));
        c.stdout.resume();
        c.on('exit', (code) => ok({ mode, code, err }));
      });
    const ends = await Promise.all([start('int8'), start('fp16')]);
    const won = ends.filter((e) => e.code === 0);
    const lost = ends.filter((e) => e.code !== 0);
    expect(won, JSON.stringify(ends)).toHaveLength(1);
    expect(lost[0]!.code, lost[0]!.err).toBe(EXIT.outputExists);
    // Started together it lost at the end (another run created the file); started late, the check at the start says so.
    expect(errLine(lost[0]!.err)).toMatch(
      new RegExp(`^${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (was created by another program while this run was writing it|exists)`),
    );
    // The file is the winner's, whole.
    const m = parseModel(new Uint8Array(readFileSync(out)));
    const ops = new Set(m.graph.nodes.map((n) => n.opType));
    expect(ops.has('DynamicQuantizeLinear') || ops.has('MatMulInteger')).toBe(won[0]!.mode === 'int8');
    expect(readdirSync(d).sort()).toEqual(['in.onnx', 'out.onnx']);
  });

  it('a file created at the output path while the run writes is kept; the run ends with exit 5 and leaves nothing', async () => {
    const { d, input } = folder('created');
    const out = join(d, 'out.onnx');
    const r = await run(['quantize', input, out, 'int8'], () => writeFileSync(out, 'the other run'));
    expect(r.fired).toBe(true);
    expect(r.code, r.err).toBe(EXIT.outputExists);
    expect(errLine(r.err)).toBe(
      `${out} was created by another program while this run was writing it (another run writing the same output?); nothing was written (run again, or choose another output)`,
    );
    expect(readFileSync(out, 'utf8')).toBe('the other run');
    expect(temps(d)).toEqual([]);
  });

  it('--force replaces the file it found, but not one another run put there meanwhile (exit 5)', async () => {
    const { d, input } = folder('force');
    const out = join(d, 'out.onnx');
    writeFileSync(out, 'found at the start');
    const ok = await run(['quantize', input, out, 'int8', '--force']);
    expect(ok.code, ok.err).toBe(EXIT.ok);
    expect(readFileSync(out).length).toBeGreaterThan(1000);
    writeFileSync(out, 'found at the start');
    const r = await run(['quantize', input, out, 'int8', '--force'], () => {
      writeFileSync(join(d, 'other'), 'the other run');
      renameSync(join(d, 'other'), out);
    });
    expect(r.code, r.err).toBe(EXIT.outputExists);
    expect(errLine(r.err)).toMatch(/^\S+out\.onnx was replaced by another program while this run was writing it/);
    expect(readFileSync(out, 'utf8')).toBe('the other run');
    expect(temps(d)).toEqual([]);
  });

  it('--external-data: the model and its data file are placed both or neither', async () => {
    const { d, input } = folder('split');
    const out = join(d, 'out.onnx');
    const data = `${out}_data`;
    // Another run creates the data file meanwhile: nothing of this one is kept.
    const r1 = await run(['quantize', input, out, 'int8', '--external-data'], () => writeFileSync(data, 'other data'));
    expect(r1.code, r1.err).toBe(EXIT.outputExists);
    expect(errLine(r1.err)).toMatch(/out\.onnx_data was created by another program/);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(data, 'utf8')).toBe('other data');
    rmSync(data);
    // Another run creates the model file in the instant between placing the data file and the model: the data file
    // placed first is taken back.
    placeOps.link = (from, to) => {
      if (String(to) === out) writeFileSync(out, 'other model');
      realLink(from, to);
    };
    const r2 = await run(['quantize', input, out, 'int8', '--external-data']);
    expect(r2.code, r2.err).toBe(EXIT.outputExists);
    expect(errLine(r2.err)).toMatch(/out\.onnx was created by another program/);
    expect(readFileSync(out, 'utf8')).toBe('other model');
    expect(existsSync(data)).toBe(false);
    expect(temps(d)).toEqual([]);
    // Alone, both files are written.
    rmSync(out);
    placeOps.link = realLink;
    const r3 = await run(['quantize', input, out, 'int8', '--external-data']);
    expect(r3.code, r3.err).toBe(EXIT.ok);
    expect(readdirSync(d).sort()).toEqual(['in.onnx', 'out.onnx', 'out.onnx_data']);
  });

  it('an existing <out>_data is refused up front with --external-data (exit 5), replaced with --force', async () => {
    const { d, input } = folder('stale-data');
    const out = join(d, 'out.onnx');
    writeFileSync(`${out}_data`, 'keep me');
    const r = await run(['quantize', input, out, 'int8', '--external-data']);
    expect(r.code).toBe(EXIT.outputExists);
    expect(errLine(r.err)).toBe(`${out}_data exists (use --force to overwrite)`);
    expect(readFileSync(`${out}_data`, 'utf8')).toBe('keep me');
    const f = await run(['quantize', input, out, 'int8', '--external-data', '--force']);
    expect(f.code, f.err).toBe(EXIT.ok);
    expect(readFileSync(`${out}_data`).length).toBeGreaterThan(1000);
    expect(temps(d)).toEqual([]);
  });

  it('a file system without hard links: the path is claimed by an exclusive create, still never over another file', async () => {
    placeOps.link = () => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    };
    const { d, input } = folder('no-links');
    const out = join(d, 'out.onnx');
    const ok = await run(['quantize', input, out, 'int8', '--external-data']);
    expect(ok.code, ok.err).toBe(EXIT.ok);
    expect(parseModel(new Uint8Array(readFileSync(out))).graph.nodes.length).toBeGreaterThan(0);
    expect(readdirSync(d).sort()).toEqual(['in.onnx', 'out.onnx', 'out.onnx_data']);
    const other = join(d, 'other.onnx');
    const r = await run(['quantize', input, other, 'int8'], () => writeFileSync(other, 'the other run'));
    expect(r.code, r.err).toBe(EXIT.outputExists);
    expect(readFileSync(other, 'utf8')).toBe('the other run');
    expect(temps(d)).toEqual([]);
  });

  it('the placing primitives: no-clobber by default, replace only the claimed file, caches replace anything', async () => {
    const { d } = folder('primitives');
    const p = join(d, 'f.bin');
    writeFileAtomicSync(p, [new Uint8Array([1])], claimOutput(p, false));
    expect(() => writeFileAtomicSync(p, [new Uint8Array([2])], { before: null, replace: false })).toThrow(OutputConflictError);
    const claim = claimOutput(p, true);
    writeFileAtomicSync(p, [new Uint8Array([3])], claim);
    expect([...readFileSync(p)]).toEqual([3]);
    // The claim was on the file that is now replaced: a second writer with the same claim loses.
    expect(() => writeFileAtomicSync(p, [new Uint8Array([4])], claim)).toThrow(/was replaced by another program/);
    writeFileAtomicSync(p, [new Uint8Array([5])], 'replace-any');
    expect([...readFileSync(p)]).toEqual([5]);
    const s = await atomicFileSink(p);
    await s.write(new Uint8Array([6]));
    // A sink claims nothing by default: the file there is one it did not find.
    await expect(s.commit()).rejects.toMatchObject({ name: 'OutputConflictError', path: p, reason: 'created' });
    await s.abort();
    expect([...readFileSync(p)]).toEqual([5]);
    expect(temps(d)).toEqual([]);
  });
});

describe('two batches, one output folder', () => {
  it('a manifest.json another batch wrote between reading and writing is read and merged again, not lost', async () => {
    const a = folder('batch-a');
    const b = folder('batch-b');
    copyFileSync(a.input, join(a.d, 'alpha.onnx'));
    rmSync(a.input);
    copyFileSync(b.input, join(b.d, 'beta.onnx'));
    rmSync(b.input);
    const out = join(dir, 'batch-out');
    // Batch A runs first; its manifest is kept aside and taken away, as if A were still finishing.
    expect((await run(['batch', a.d, '--out', out])).code).toBe(EXIT.ok);
    const manifest = join(out, 'manifest.json');
    const fromA = readFileSync(manifest);
    rmSync(manifest);
    // Batch B reads no manifest; A's lands in the instant before B places its own.
    placeOps.link = (from, to) => {
      if (String(to) === manifest && !existsSync(manifest)) writeFileSync(manifest, fromA);
      realLink(from, to);
    };
    const r = await run(['batch', b.d, '--out', out]);
    expect(r.code, r.err).toBe(EXIT.ok);
    const names = (JSON.parse(readFileSync(manifest, 'utf8')) as { outputs: { name: string }[] }).outputs.map((o) => o.name).sort();
    expect(names).toEqual(['alpha-INT8.onnx', 'beta-INT8.onnx']);
    expect(temps(out)).toEqual([]);
  });
});

describe('the input is never an output', () => {
  it("the input's data file as the output (with --force) is refused, exit 2; the data is unchanged", async () => {
    const f = externalDataModels().find((x) => x.name === 'all-MiniLM-L6-v2-external')!;
    const d = join(dir, 'input-data');
    mkdirSync(d);
    copyFileSync(pathOf(f), join(d, 'model.onnx'));
    copyFileSync(join(dirname(pathOf(f)), 'model.onnx_data'), join(d, 'model.onnx_data'));
    const before = sha(join(d, 'model.onnx_data'));
    const r = await run(['quantize', join(d, 'model.onnx'), join(d, 'model.onnx_data'), 'int8', '--force']);
    expect(r.code, r.err).toBe(EXIT.usage);
    expect(errLine(r.err)).toBe(
      `${join(d, 'model.onnx_data')} is a file of the input ${join(d, 'model.onnx')} (the input is never modified): choose another output`,
    );
    expect(sha(join(d, 'model.onnx_data'))).toBe(before);
    expect(readdirSync(d).sort()).toEqual(['model.onnx', 'model.onnx_data']);
  });
});
