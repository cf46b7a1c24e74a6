import { describe, expect, it } from 'vitest';
import { settingLabel, settingValue } from '../../src/core/share/labels.js';

describe('readable setting names', () => {
  it('uses the option table labels, then the onnxruntime argument in words', () => {
    expect(settingLabel('int8', 'perChannel')).toBe('Per-channel scales');
    expect(settingLabel('int8', 'weightType')).toBe('Weight type');
    expect(settingLabel('int8', 'matMulConstBOnly')).toBe('Only MatMuls with a constant weight (MatMulConstBOnly)');
    expect(settingLabel('fp16', 'keepIoTypes')).toBe('Keep float32 inputs and outputs');
    expect(settingLabel('q4', 'someNewThing')).toBe('Some new thing');
  });
  it('values: on / off, a choice with its meaning, lists', () => {
    expect(settingValue('int8', 'perChannel', true)).toBe('on');
    expect(settingValue('int8', 'weightType', 'qint8')).toBe('qint8 (signed)');
    expect(settingValue('int8', 'opTypes', [])).toBe('none');
    expect(settingValue('int8', 'excludeNodes', ['a', 'b'])).toBe('a, b');
  });
});
