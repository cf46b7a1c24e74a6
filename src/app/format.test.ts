import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatCompact,
  formatDomain,
  formatDuration,
  remainingMs,
  formatFloat,
  formatInt,
  formatMiB,
  formatPercent,
  formatSavings,
  formatShape,
  outputFileName,
  parseList,
  sortedCounts,
} from './format.js';

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
  it('formats before/after sizes in MiB with the saving', () => {
    expect(formatMiB(90_378_583)).toBe('86.19 MiB');
    expect(formatMiB(2048)).toBe('2.00 KiB');
    expect(formatMiB(12)).toBe('12 bytes');
    // The seed's example: 86.19 MiB -> 21.80 MiB.
    const before = Math.round(86.19 * 1048576);
    const after = Math.round(21.8 * 1048576);
    expect(formatSavings(before, after)).toBe('86.19 MiB → 21.80 MiB, 74.7% smaller, saved 64.39 MiB');
    expect(formatSavings(100 * 1048576, 103 * 1048576)).toBe('100.00 MiB → 103.00 MiB, 3.0% larger');
    expect(formatSavings(1048576, 1048576)).toBe('1.00 MiB → 1.00 MiB, same size');
  });
  it('formats durations', () => {
    expect(formatDuration(850.4)).toBe('850 ms');
    expect(remainingMs(2000, 0.25)).toBe(6000);
    expect(remainingMs(2000, 0.01)).toBeNull();
    expect(remainingMs(100, 0.5)).toBeNull();
    expect(remainingMs(2000, 1)).toBeNull();
    expect(formatDuration(2345)).toBe('2.3 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
  });
  it('names the output file after the original', () => {
    expect(outputFileName('all-MiniLM-L6-v2.onnx', 'int8')).toBe('all-MiniLM-L6-v2-INT8.onnx');
    expect(outputFileName('model.ONNX', 'fp16')).toBe('model-FP16.onnx');
    expect(outputFileName('.onnx', 'fp16')).toBe('model-FP16.onnx');
  });
  it('formats report floats and parses typed lists', () => {
    expect(formatFloat(3.4028234663852886e38)).toBe('3.403e+38');
    expect(formatFloat(65504)).toBe('65,504');
    expect(formatFloat(12.345678)).toBe('12.3457');
    expect(formatFloat(5.96e-8)).toBe('5.960e-8');
    expect(parseList(' a, b\n\nc ,a ')).toEqual(['a', 'b', 'c']);
  });
});
