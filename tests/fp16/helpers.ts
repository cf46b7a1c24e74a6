/** Shared helpers for the FP16 tests: conversion to bytes, deterministic inputs, running, comparing. */
import * as ort from 'onnxruntime-node';
import { convertFp16, type Fp16Options, type Fp16Report } from '../../src/core/fp16/index.js';
import { type ModelView, parseModel } from '../../src/core/onnx/model.js';
import { collectPieces } from '../../src/core/onnx/writer.js';
import { mulberry32 } from '../../src/core/quality/math.js';
import { expect } from 'vitest';
import { type GraphSpec, tinyModel } from '../helpers/tiny-model.js';

export async function toFp16(
  bytes: Uint8Array,
  opts: Fp16Options = {},
): Promise<{ bytes: Uint8Array; report: Fp16Report; model: ModelView }> {
  const model = parseModel(bytes);
  const { parts, report } = await convertFp16(model, opts);
  return { bytes: await collectPieces(parts), report, model };
}

/** Converts the tiny model `g` (opset 13) and checks that no op was kept in float32 and `converted` nodes were converted. */
export async function expectAllConverted(g: GraphSpec, converted: number): Promise<Awaited<ReturnType<typeof toFp16>>> {
  const conv = await toFp16(tinyModel(g, 13));
  expect(conv.report.keptOps).toEqual([]);
  expect(conv.report.nodes.converted).toBe(converted);
  return conv;
}

export type Feeds = Record<string, ort.Tensor>;

/** Inputs for the non-text fixtures: shapes from their model cards, deterministic content. */
export function feedsFor(name: string, seed = 1): Feeds {
  const r = mulberry32(seed);
  const f32 = (dims: number[], gen: (i: number) => number) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = gen(i);
    return new ort.Tensor('float32', d, dims);
  };
  // Audio: a chirp plus noise, 16 kHz.
  const audio = (n: number) => f32([1, n], (i) => 0.3 * Math.sin((2 * Math.PI * (200 + i) * i) / 16000) + 0.05 * (r() - 0.5));
  // Images: dark glyph-like strokes (short bars in text lines) on a light background, with noise,
  // normalized like the PaddleOCR preprocessing ((x - 0.5) / 0.5).
  const image = (c: number, h: number, w: number) =>
    f32([1, c, h, w], (i) => {
      const x = i % w;
      const y = Math.floor(i / w) % h;
      const line = Math.floor(y / 24);
      const inLine = y % 24 >= 6 && y % 24 < 18;
      const glyph = Math.floor((x + 5 * line) / 9);
      const stroke = inLine && (x + 5 * line) % 9 < 2 + (glyph % 3) && x > 8 && x < w - 8;
      const v = (stroke ? 0.1 : 0.9) + 0.06 * (r() - 0.5);
      return (v - 0.5) / 0.5;
    });
  const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
  if (name === 'silero-vad-legacy') return { input: audio(512), sr, h: f32([2, 1, 64], () => 0), c: f32([2, 1, 64], () => 0) };
  if (name.startsWith('silero-vad')) return { input: audio(512), state: f32([2, 1, 128], () => 0), sr };
  if (name === 'PP-OCRv4-det') return { x: image(3, 96, 160) };
  if (name === 'PP-OCRv4-rec') return { x: image(3, 48, 160) };
  if (name === 'ppocr-mobile-v2.0-cls') return { x: image(3, 48, 192) };
  if (name.startsWith('openwakeword')) {
    const frames = name === 'openwakeword-hello-deepa' ? 25 : 24;
    return { 'onnx::Flatten_0': f32([1, frames, 96], () => 2 * (r() - 0.5)) };
  }
  throw new Error(`no inputs defined for fixture ${name}`);
}

export async function runModel(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

export interface Diff {
  maxAbs: number;
  /** maxAbs relative to the largest |reference| value. */
  maxRel: number;
  /** Cosine similarity of the flattened outputs. */
  cosine: number;
  nonFinite: number;
}

/** Float outputs: numeric differences; other types must match exactly (reported as maxAbs 0 or Infinity). */
export function diff(ref: ort.Tensor, got: ort.Tensor): Diff {
  if (ref.type !== 'float32' || got.type !== 'float32') {
    const same =
      ref.type === got.type &&
      ref.data.length === got.data.length &&
      Array.from(ref.data as ArrayLike<unknown>).every((v, i) => v === (got.data as ArrayLike<unknown>)[i]);
    return { maxAbs: same ? 0 : Infinity, maxRel: same ? 0 : Infinity, cosine: same ? 1 : 0, nonFinite: 0 };
  }
  const a = ref.data as Float32Array;
  const b = got.data as Float32Array;
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let maxAbs = 0;
  let refMax = 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  let nonFinite = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(y)) nonFinite++;
    maxAbs = Math.max(maxAbs, Math.abs(x - y));
    refMax = Math.max(refMax, Math.abs(x));
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  const cosine = na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
  return { maxAbs, maxRel: refMax ? maxAbs / refMax : maxAbs, cosine, nonFinite };
}
