/**
 * fmtInt (src/core/onnx/wire.ts) writes integers as toLocaleString('en-US') does, without ICU: every count in the
 * CLI's reports and the core's messages goes through it.
 */
import { describe, expect, it } from 'vitest';
import { fmtInt } from '../../src/core/onnx/wire.js';

describe('fmtInt', () => {
  it("equals toLocaleString('en-US') of the rounded value, at every digit count and sign", () => {
    const values = [
      0,
      -0,
      1,
      -1,
      7,
      12,
      999,
      1000,
      -1000,
      1001,
      9999,
      12345,
      999999,
      1000000,
      2 ** 31,
      2 ** 32,
      2 ** 53 - 1,
      -(2 ** 53),
      1e20,
      1e21,
      1e22,
      0.4,
      0.5,
      -0.5,
      1.5,
      2.5,
      999.5,
      1234567.49,
    ];
    for (let d = 1; d <= 16; d++) values.push(Number('9'.repeat(d)), Number('1' + '0'.repeat(d - 1)), -Number('3'.repeat(d)));
    values.push(Infinity, -Infinity, NaN);
    for (const v of values) expect(fmtInt(v), String(v)).toBe(Math.round(v).toLocaleString('en-US'));
  });
});
