import { describe, expect, it } from 'vitest';
import { formatBytes, formatCompact, formatDomain, formatInt, formatPercent, formatShape, sortedCounts } from './format.js';

describe('format helpers', () => {
  it('formats byte sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(90_405_214)).toBe('86.2 MiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
  it('groups integers without depending on the locale', () => {
    expect(formatInt(0)).toBe('0');
    expect(formatInt(999)).toBe('999');
    expect(formatInt(22_713_216)).toBe('22,713,216');
    expect(formatInt(-1234567)).toBe('-1,234,567');
  });
  it('formats compact counts', () => {
    expect(formatCompact(22_713_216)).toBe('22.7 M');
    expect(formatCompact(512)).toBe('512');
    expect(formatCompact(1_500)).toBe('1.5 k');
  });
  it('formats shapes with symbolic and unknown dims', () => {
    expect(formatShape(['batch_size', 'sequence_length', 384])).toBe('[batch_size, sequence_length, 384]');
    expect(formatShape([null, 3])).toBe('[?, 3]');
    expect(formatShape([])).toBe('[] (scalar)');
    expect(formatShape(null)).toBe('unknown rank');
  });
  it('names the default domain', () => {
    expect(formatDomain('')).toBe('ai.onnx');
    expect(formatDomain('com.microsoft')).toBe('com.microsoft');
  });
  it('sorts op counts by count then name', () => {
    expect(sortedCounts({ Add: 2, MatMul: 5, Mul: 2 })).toEqual([
      ['MatMul', 5],
      ['Add', 2],
      ['Mul', 2],
    ]);
  });
  it('formats percentages', () => {
    expect(formatPercent(25, 100)).toBe('25%');
    expect(formatPercent(1, 300)).toBe('0.3%');
    expect(formatPercent(1, 0)).toBe('—');
    expect(formatPercent(5, 90_000_000)).toBe('<0.1%');
    expect(formatPercent(0, 10)).toBe('0.0%');
  });
});
