import { describe, expect, it } from 'vitest';
import { formalAt, signatureOf } from '../../src/core/fp16/schema.js';
import { ONNX_VERSION } from '../../src/core/fp16/schema.generated.js';

describe('operator signatures generated from the ONNX schemas', () => {
  it('picks the version in force at the opset and knows fixed-type inputs', () => {
    expect(ONNX_VERSION).toBe('1.23.2');
    const r = signatureOf('Resize', 13)!;
    expect(r.since).toBe(13);
    expect(r.inputs.map((f) => f.v + f.opt)).toEqual(['T1', 'T2?', '=1?', '=7?']); // scales is tensor(float)
    expect(signatureOf('Resize', 12)!.since).toBe(11);
    expect(signatureOf('Resize', 9)).toBeNull(); // Resize starts at opset 10
    expect(signatureOf('NoSuchOp', 17)).toBeNull();
  });

  it('tells which type variables accept float16', () => {
    expect(signatureOf('LSTM', 14)!.vars.get('T')!.types.has(10)).toBe(true);
    expect(signatureOf('Range', 11)!.vars.get('T')!.types.has(10)).toBe(false);
    expect(signatureOf('DynamicQuantizeLinear', 11)!.vars.get('T1')!.types).toEqual(new Set([1]));
    expect(signatureOf('If', 16)!.vars.get('V')!.nonTensor).toBe(true);
  });

  it('maps actual positions onto formal parameters, variadic ones included', () => {
    const concat = signatureOf('Concat', 13)!;
    expect(formalAt(concat.inputs, 5)).toEqual({ formal: { v: 'T', opt: '*' }, key: 'T' });
    const loop = signatureOf('Loop', 16)!;
    expect(formalAt(loop.inputs, 3)!.key).toBe('V#3'); // heterogeneous: each position its own type
    expect(formalAt(signatureOf('Relu', 14)!.inputs, 1)).toBeNull();
  });
});
