/** The page's option form (generic, from each mode's option table) -> the worker request. */
import { describe, expect, it } from 'vitest';
import { PRESETS, PRESET_NAMES } from '../../src/core/int8/presets.js';
import { formFor, withPreset } from '../../src/core/modes/options.js';
import { modeMeta } from '../../src/core/modes/registry.js';
import { buildRequest, describePreset, initialForms } from '../../src/app/quantize-options.js';

const int8 = modeMeta('int8');
const fp16 = modeMeta('fp16');

describe('quantize form -> worker request', () => {
  it('every preset has a description and the default is a preset', () => {
    expect(PRESET_NAMES).toContain(int8.defaultPreset);
    for (const p of int8.presets) expect(p.description).toMatch(/\S/);
    expect(describePreset(int8, 'tjs-q8')).toMatch(/Per-channel scales.*Reduce range.*Weight type: auto/);
  });

  it('the untouched INT8 form sends the preset alone', () => {
    expect(initialForms().int8.preset).toBe(int8.defaultPreset);
    for (const p of PRESET_NAMES) {
      expect(buildRequest('int8', formFor(int8, p))).toEqual({ ok: true, request: { mode: 'int8', options: { preset: p } } });
    }
  });

  it('sends only what the user changed from the preset; choosing a preset resets only its own options', () => {
    const f = formFor(int8, 'ort-default');
    f.values.perChannel = !PRESETS['ort-default'].perChannel;
    f.values.weightType = 'quint8';
    f.values.opTypes = ['Gather', 'MatMul'];
    f.values.excludeNodes = ' /a/MatMul ,\n/b/MatMul\n';
    f.values.nodesToQuantize = '/c/MatMul';
    f.values.enableSubgraph = true;
    expect(buildRequest('int8', f)).toEqual({
      ok: true,
      request: {
        mode: 'int8',
        options: {
          preset: 'ort-default',
          perChannel: true,
          weightType: 'quint8',
          opTypes: ['MatMul', 'Gather'],
          excludeNodes: ['/a/MatMul', '/b/MatMul'],
          nodesToQuantize: ['/c/MatMul'],
          enableSubgraph: true,
        },
      },
    });
    expect(buildRequest('int8', { ...f, values: { ...f.values, opTypes: [] } })).toEqual({
      ok: false,
      error: 'Choose at least one op type to quantize.',
    });
    const tjs = withPreset(int8, f, 'tjs-q8');
    expect(tjs.values).toMatchObject({
      perChannel: true,
      reduceRange: true,
      weightType: 'auto-conv',
      enableSubgraph: true,
      excludeNodes: f.values.excludeNodes,
    });
  });

  it('FP16: defaults send nothing; bad numbers are refused by the table rule, by label', () => {
    const base = formFor(fp16);
    const v = (values: Record<string, unknown>) => ({ ...base, values: { ...base.values, ...values } }) as typeof base;
    expect(buildRequest('fp16', base)).toEqual({ ok: true, request: { mode: 'fp16', options: {} } });
    expect(buildRequest('fp16', v({ keepIoTypes: false, opBlockList: 'Softmax, Pow', minPositive: '0', maxFinite: '1e4' }))).toEqual({
      ok: true,
      request: { mode: 'fp16', options: { keepIoTypes: false, opBlockList: ['Softmax', 'Pow'], minPositive: 0, maxFinite: 10000 } },
    });
    expect(buildRequest('fp16', v({ outOfRange: 'clamp' }))).toEqual({
      ok: true,
      request: { mode: 'fp16', options: { outOfRange: 'clamp' } },
    });
    expect(buildRequest('fp16', v({ maxFinite: '70000' }))).toEqual({
      ok: false,
      error: 'Max finite must be above 0 and at most 65504 (got 70000)',
    });
    expect(buildRequest('fp16', v({ maxFinite: '0' }))).toMatchObject({ ok: false, error: expect.stringMatching(/above 0/) });
    expect(buildRequest('fp16', v({ minPositive: 'abc' }))).toEqual({ ok: false, error: 'Min positive must be a number (got "abc")' });
  });
});
