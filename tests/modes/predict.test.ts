/**
 * The model card's predicted sizes (ModelSummary.predictedBytes: every registered mode, from the initializer table
 * alone — src/core/modes/<mode>/predict.ts) against the real output of that mode (runMode plans every byte of it) on
 * every real fixture, within 1%; and with other options (the predictors take the mode's options) on all-MiniLM-L6-v2.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { summarize } from '../../src/core/onnx/inspect.js';
import { parseModel } from '../../src/core/onnx/model.js';
import { initializerTable, savingOn } from '../../src/core/modes/predict.js';
import { typicalSavingText } from '../../src/core/modes/options.js';
import { MODES, MODE_IDS, type ModeRequest } from '../../src/core/modes/registry.js';
import { runMode } from '../../src/core/modes/run.js';
import { AvaError } from '../../src/core/errors.js';
import { MINILM, bytesOf, externalDataModels, fixture, pathOf, realModels } from '../helpers/fixtures.js';
import { openModel } from '../../src/core/onnx/open.js';
import { modelFilesOf } from '../../src/node/files.js';

const within = (predicted: number, real: number) => Math.abs(predicted - real) / real;

describe('predicted sizes of every mode, default options, every real fixture: within 1% of the real output', () => {
  for (const f of realModels())
    it(f.name, async () => {
      const bytes = new Uint8Array(readFileSync(pathOf(f)));
      const model = parseModel(bytes);
      const s = summarize(model, { fileName: 'model.onnx' }, bytes.length);
      expect(Object.keys(s.predictedBytes).sort()).toEqual([...MODE_IDS].sort());
      let compared = 0;
      for (const id of MODE_IDS) {
        let real: number;
        try {
          real = (await runMode(model, { mode: id, options: {} } as ModeRequest, { force: true })).outputBytes;
        } catch (e) {
          // A mode that refuses the model (INT8: opset 9 without an adapter) has no output to compare with.
          expect(e).toBeInstanceOf(AvaError);
          continue;
        }
        compared++;
        expect(within(s.predictedBytes[id], real), `${id}: predicted ${s.predictedBytes[id]}, real ${real}`).toBeLessThan(0.01);
      }
      expect(compared).toBeGreaterThanOrEqual(3);
    });
});

describe('predictors with options (all-MiniLM-L6-v2)', () => {
  const bytes = () => bytesOf(fixture(MINILM));
  const CASES: ModeRequest[] = [
    { mode: 'int8', options: { preset: 'ort-default' } },
    { mode: 'int8', options: { preset: 'tjs-q8' } },
    { mode: 'int8', options: { preset: 'arm64' } },
    { mode: 'int8', options: { preset: 'avx2', opTypes: ['MatMul'] } },
    { mode: 'q4', options: { preset: 'ort-default' } },
    { mode: 'q4', options: { blockSize: 32, symmetric: false, opTypes: ['MatMul', 'Gather'] } },
    { mode: 'q4f16', options: { blockSize: 64, opTypes: ['MatMul', 'Gather'] } },
  ];
  for (const req of CASES)
    it(`${req.mode} ${JSON.stringify(req.options)}: within 1%`, async () => {
      const model = parseModel(bytes());
      const predicted = (MODES[req.mode].predict as (t: ReturnType<typeof initializerTable>, o: unknown) => number)(
        initializerTable(model),
        req.options,
      );
      const real = (await runMode(model, req)).outputBytes;
      expect(within(predicted, real), `predicted ${predicted}, real ${real}`).toBeLessThan(0.01);
    });

  it('external data: the predictions count the weights in the data files (outputs bring them inline)', async () => {
    const inline = summarize(parseModel(bytes()), { fileName: 'model.onnx' }, bytes().length);
    for (const path of externalDataModels().map((f) => pathOf(f))) {
      const files = modelFilesOf(path);
      try {
        const opened = await openModel(files);
        const s = summarize(opened.model, { fileName: 'model.onnx' }, opened.modelBytes);
        for (const id of MODE_IDS) expect(within(s.predictedBytes[id], inline.predictedBytes[id]), `${path} ${id}`).toBeLessThan(0.002);
      } finally {
        await files.close();
      }
    }
  });
});

describe("each mode's typical saving (help, README) is what its predictor gives on the weights it names", () => {
  it('every part, on every real fixture with over 1 MiB of those weights: within 2 points; the words say what it applies to', () => {
    const seen = new Set<string>();
    for (const f of realModels()) {
      const table = initializerTable(parseModel(bytesOf(f)));
      for (const id of MODE_IDS)
        for (const part of MODES[id].meta.typicalSaving) {
          const s = savingOn(table, (t) => MODES[id].predict(t), part.roles);
          if (s.percent === null || s.before < 1 << 20) continue;
          seen.add(`${id} ${part.on}`);
          expect(Math.abs(s.percent - part.percent), `${id} on ${part.on}, ${f.name}: ${s.percent.toFixed(1)}%`).toBeLessThan(2);
        }
    }
    // Every part of every mode was held to a real model.
    expect([...seen].sort()).toEqual(MODE_IDS.flatMap((id) => MODES[id].meta.typicalSaving.map((p) => `${id} ${p.on}`)).sort());
    for (const id of MODE_IDS) expect(typicalSavingText(MODES[id].meta)).toMatch(/^about \d+% smaller on the /);
  });

  it('all-MiniLM-L6-v2 Q4 (default preset): 84% on the MatMul weights is about 40% on the model, as its card predicts', () => {
    const table = initializerTable(parseModel(bytesOf(fixture(MINILM))));
    const whole = 100 * (1 - MODES.q4.predict(table) / table.totalBytes);
    expect(whole).toBeGreaterThan(38);
    expect(whole).toBeLessThan(42);
    expect(MODES.q4.meta.typicalSaving[0]!.on).toMatch(/MatMul weights .*embedding tables included.* float32/);
  });
});
