/**
 * The real `ava-quant` on models with external data (all-MiniLM-L6-v2 re-saved by the onnx package: one
 * model.onnx_data, and one file per tensor): the card counts the data, INT8 and FP16 outputs are self-contained and
 * byte-identical to the outputs of the same weights stored inline (same date, same source name; only the source's
 * SHA-256 differs, as the .onnx files differ), a missing data file is named with its tensor, and --external-data
 * splits an output as onnx writes it (and a full disk names the file that could not be written).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { parseModel } from '../../src/core/onnx/model.js';
import { MINILM, externalDataModels, fixture, pathOf } from '../helpers/fixtures.js';
import { runCli } from '../helpers/cli.js';

const EPOCH = '1796040000';
const cli = (...args: string[]) => runCli(args, { SOURCE_DATE_EPOCH: EPOCH });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ava-ext-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The output's bytes with the recorded source SHA-256 blanked (it names a different .onnx file). */
function withoutSourceHash(path: string): Buffer {
  const b = Buffer.from(readFileSync(path));
  const m = parseModel(new Uint8Array(b));
  for (const e of m.metadata) {
    if (!e.key.startsWith('ava.')) continue;
    const sha = (JSON.parse(e.value) as { source?: { sha256?: string } }).source?.sha256;
    if (sha) b.write('0'.repeat(64), b.indexOf(sha), 'latin1');
  }
  return b;
}

describe('external data (all-MiniLM-L6-v2 re-saved with onnx)', () => {
  const inline = () => pathOf(fixture(MINILM));
  const variants = externalDataModels();

  it('has both layouts', () => {
    expect(variants.map((f) => f.name).sort()).toEqual(['all-MiniLM-L6-v2-external', 'all-MiniLM-L6-v2-external-per-tensor']);
  });

  for (const f of externalDataModels())
    describe(f.name, () => {
      it('inspect counts the external data and predicts the sizes of the inline model', () => {
        const ext = JSON.parse(cli('inspect', pathOf(f), '--json').out);
        const ref = JSON.parse(cli('inspect', inline(), '--json').out);
        expect(ext.externalData.length).toBeGreaterThan(30);
        expect(ext.externalData.every((r: { resolved: boolean }) => r.resolved)).toBe(true);
        expect(ext.externalDataProblems).toEqual([]);
        expect(ext.totalBytes).toBe(ext.fileBytes + ext.externalDataBytes);
        expect(ext.parameterCount).toBe(ref.parameterCount);
        // The same weights: the predictions differ only by the .onnx files' own difference in size.
        expect(ext.predictedBytes.int8 - ref.predictedBytes.int8).toBe(ext.totalBytes - ref.totalBytes);
      });

      for (const mode of ['int8', 'fp16'] as const)
        it(`${mode}: a self-contained output, byte-identical to the inline model's but for the source hash`, async () => {
          const a = join(dir, `${f.name}-${mode}.onnx`);
          const b = join(dir, `inline-${mode}.onnx`);
          expect(cli('quantize', pathOf(f), a, mode, '--force').code).toBe(0);
          if (!existsSync(b)) expect(cli('quantize', inline(), b, mode).code).toBe(0);
          expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]); // no temp file left
          expect(withoutSourceHash(a).equals(withoutSourceHash(b))).toBe(true);
          expect(parseModel(new Uint8Array(readFileSync(a))).graph.initializers.some((t) => t.external)).toBe(false);
          await ort.InferenceSession.create(a);
        });
    });

  it('a missing data file: the card and the refusal name the tensor and the file (exit 4), nothing written', () => {
    const f = variants.find((v) => v.name === 'all-MiniLM-L6-v2-external')!;
    const copy = join(dir, 'missing');
    mkdirSync(copy);
    copyFileSync(pathOf(f), join(copy, 'model.onnx'));
    const card = JSON.parse(cli('inspect', join(copy, 'model.onnx'), '--json').out);
    expect(card.externalDataProblems[0]).toMatch(/tensor '.+' is stored in external data that 'model\.onnx_data' was not provided/);
    const r = cli('quantize', join(copy, 'model.onnx'), join(copy, 'out.onnx'), 'int8');
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/'model\.onnx_data' was not provided/);
    expect(readdirSync(copy)).toEqual(['model.onnx']);
  });

  it('links: a data file linked from outside the model folder is refused by name; a Hugging Face cache layout works', () => {
    const f = variants.find((v) => v.name === 'all-MiniLM-L6-v2-external')!;
    const data = join(dirname(pathOf(f)), 'model.onnx_data');
    // A cloned repository whose data file is a link to some other file on the machine: never read it.
    const evil = join(dir, 'evil');
    mkdirSync(evil);
    copyFileSync(pathOf(f), join(evil, 'model.onnx'));
    symlinkSync(process.execPath, join(evil, 'model.onnx_data'));
    const r = cli('quantize', join(evil, 'model.onnx'), join(evil, 'out.onnx'), 'int8');
    expect(r.code, r.err).toBe(4);
    expect(r.err).toMatch(/'model\.onnx_data' is a link to '.+', outside the model's folder \(refused/);
    expect(readdirSync(evil).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    // Not a regular file (a pipe): refused by name too, not "not provided".
    const pipe = join(dir, 'pipe');
    mkdirSync(pipe);
    copyFileSync(pathOf(f), join(pipe, 'model.onnx'));
    spawnSync('mkfifo', [join(pipe, 'model.onnx_data')]);
    const p = cli('inspect', join(pipe, 'model.onnx'), '--json');
    expect(JSON.parse(p.out).externalDataProblems[0]).toMatch(/'model\.onnx_data' is not a regular file/);
    // huggingface_hub's cache: snapshots/<rev>/ holds links to blobs/ beside it; the model is a link too.
    const hub = join(dir, 'models--org--name');
    mkdirSync(join(hub, 'blobs'), { recursive: true });
    mkdirSync(join(hub, 'snapshots', 'rev1', 'onnx'), { recursive: true });
    copyFileSync(pathOf(f), join(hub, 'blobs', 'aaa'));
    copyFileSync(data, join(hub, 'blobs', 'bbb'));
    symlinkSync('../../../blobs/aaa', join(hub, 'snapshots', 'rev1', 'onnx', 'model.onnx'));
    symlinkSync('../../../blobs/bbb', join(hub, 'snapshots', 'rev1', 'onnx', 'model.onnx_data'));
    const out = join(dir, 'hub-int8.onnx');
    const ok = cli('quantize', join(hub, 'snapshots', 'rev1', 'onnx', 'model.onnx'), out, 'int8');
    expect(ok.code, ok.err).toBe(0);
    const direct = join(dir, 'direct-int8.onnx');
    expect(cli('quantize', pathOf(f), direct, 'int8').code).toBe(0);
    expect(withoutSourceHash(out).equals(withoutSourceHash(direct))).toBe(true);
  });

  // Every mode: Q4F16 (two stages) once ignored the flag and wrote one file.
  for (const mode of ['int8', 'fp16', 'q4', 'q4f16'] as const)
    it(`--external-data (${mode}): <out>.onnx + <out>.onnx_data that load from another folder`, async () => {
      const name = `model-${mode.toUpperCase()}.onnx`;
      const out = join(dir, `split-${mode}`, name);
      mkdirSync(dirname(out), { recursive: true });
      const r = cli('quantize', inline(), out, mode, '--external-data');
      expect(r.code, r.err).toBe(0);
      expect(readdirSync(dirname(out)).sort()).toEqual([name, `${name}_data`]);
      const m = parseModel(new Uint8Array(readFileSync(out)));
      const ext = m.graph.initializers.filter((t) => t.external);
      expect(ext.length).toBeGreaterThan(10);
      expect(ext.every((t) => t.external!.location === `${name}_data`)).toBe(true);
      expect(statSync(`${out}_data`).size).toBeGreaterThan(statSync(out).size);
      await ort.InferenceSession.create(out);
    });

  it('--external-data on a full disk names the file that failed (the data file, or the model when the data fit): exit 6, nothing left (tmpfs; needs root)', () => {
    const mnt = join(dir, 'full');
    mkdirSync(mnt);
    // The data file is written first: 64 KiB hold neither; the data file's size plus 128 KiB hold it but not the model.
    const ref = join(dir, 'full-ref', 'out.onnx');
    mkdirSync(dirname(ref), { recursive: true });
    expect(cli('quantize', inline(), ref, 'int8', '--external-data').code).toBe(0);
    const dataBytes = statSync(`${ref}_data`).size;
    for (const [size, failing] of [
      [64 << 10, 'out.onnx_data'],
      [Math.ceil(dataBytes / 4096) * 4096 + (128 << 10), 'out.onnx'],
    ] as const) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'ignore' });
      try {
        const r = cli('quantize', inline(), join(mnt, 'out.onnx'), 'int8', '--external-data');
        expect(r.code, r.err).toBe(6);
        expect(r.err.trim().split('\n').pop()).toBe(`ava-quant: disk full while writing ${join(mnt, failing)} (nothing was written)`);
        expect(readdirSync(mnt)).toEqual([]);
      } finally {
        execFileSync('umount', [mnt]);
      }
    }
  });
});
