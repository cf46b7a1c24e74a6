import { describe, expect, it } from 'vitest';
import { DEFAULT_OP_TYPES } from '../../src/core/int8/index.js';
import { PRESETS, PRESET_NAMES } from '../../src/core/int8/presets.js';
import {
  DEFAULT_PRESET,
  fp16Form,
  fp16Request,
  INT8_OP_TYPES,
  int8Form,
  int8Request,
  presetDescription,
} from '../../src/app/quantize-options.js';

describe('quantize form -> worker request', () => {
  it('offers exactly the core op types', () => {
    expect([...INT8_OP_TYPES]).toEqual([...DEFAULT_OP_TYPES]);
  });

  it('every preset has a one-line description and the default is a preset', () => {
    expect(PRESET_NAMES).toContain(DEFAULT_PRESET);
    for (const p of PRESET_NAMES) expect(presetDescription(p)).toMatch(/\S/);
  });

  it('the untouched INT8 form sends the preset alone', () => {
    for (const p of PRESET_NAMES) {
      expect(int8Request(int8Form(p))).toEqual({ ok: true, request: { mode: 'int8', options: { preset: p } } });
    }
  });

  it('sends only what the user changed from the preset', () => {
    const f = int8Form('ort-default');
    f.perChannel = !PRESETS['ort-default'].perChannel;
    f.weightType = 'quint8';
    f.opTypes = ['MatMul', 'Gather'];
    f.excludeNodes = ' /a/MatMul ,\n/b/MatMul\n';
    expect(int8Request(f)).toEqual({
      ok: true,
      request: {
        mode: 'int8',
        options: {
          preset: 'ort-default',
          perChannel: true,
          weightType: 'quint8',
          opTypes: ['MatMul', 'Gather'],
          excludeNodes: ['/a/MatMul', '/b/MatMul'],
        },
      },
    });
    expect(int8Request({ ...f, opTypes: [] })).toMatchObject({ ok: false });
  });

  it('FP16: defaults send nothing; bad numbers are refused with the core rule', () => {
    expect(fp16Request(fp16Form())).toEqual({ ok: true, request: { mode: 'fp16', options: {} } });
    expect(fp16Request({ ...fp16Form(), keepIoTypes: false, opBlockList: 'Softmax, Pow', minPositive: '0', maxFinite: '1e4' })).toEqual({
      ok: true,
      request: { mode: 'fp16', options: { keepIoTypes: false, opBlockList: ['Softmax', 'Pow'], minPositive: 0, maxFinite: 10000 } },
    });
    expect(fp16Request({ ...fp16Form(), outOfRange: 'clamp' })).toEqual({ ok: true, request: { mode: 'fp16', options: { outOfRange: 'clamp' } } });
    expect(fp16Request({ ...fp16Form(), maxFinite: '70000' })).toMatchObject({ ok: false, error: expect.stringMatching(/65504/) });
    expect(fp16Request({ ...fp16Form(), minPositive: 'abc' })).toMatchObject({ ok: false, error: expect.stringMatching(/number/) });
  });
});
