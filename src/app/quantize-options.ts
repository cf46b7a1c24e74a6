/**
 * The quantize form's state and how it becomes a worker request. Only pure core modules are imported here
 * (presets, FP16 option checks): the quantizers themselves run in the worker.
 */
import * as presetsModule from '../core/int8/presets.js';
import { PRESETS, PRESET_NAMES, type Int8Options, type PresetName, type WeightType } from '../core/int8/presets.js';
import {
  DEFAULT_MAX_FINITE,
  DEFAULT_MIN_POSITIVE,
  DEFAULT_OP_BLOCK_LIST,
  resolveOptions as resolveFp16Options,
  type Fp16Options,
} from '../core/fp16/options.js';
import type { QuantizeInt8Options } from '../core/int8/quantize.js';
import type { QuantizeRequest } from '../../workers/quantize-protocol.js';
import { parseList } from './format.js';

export { DEFAULT_MAX_FINITE, DEFAULT_MIN_POSITIVE, DEFAULT_OP_BLOCK_LIST, PRESET_NAMES, PRESETS };
export type { PresetName };

/**
 * Op types INT8 can quantize: the core's DEFAULT_OP_TYPES (src/core/int8/registry.ts), copied here so the page
 * does not bundle the quantizer (tests/app/quantize-options.test.ts keeps the two equal).
 */
export const INT8_OP_TYPES: readonly string[] = ['Conv', 'MatMul', 'Attention', 'LSTM', 'Gather', 'Transpose', 'EmbedLayerNormalization'];

/** Optional extras presets.ts may export (a default preset, descriptions); looked up without a hard dependency. */
const presetExtras: Record<string, unknown> = { ...presetsModule };

function isPreset(s: unknown): s is PresetName {
  return typeof s === 'string' && (PRESET_NAMES as string[]).includes(s);
}

/** The preset presets.ts marks as default (DEFAULT_PRESET), else onnxruntime's defaults, which the core also falls back to. */
export const DEFAULT_PRESET: PresetName = (() => {
  const d = presetExtras['DEFAULT_PRESET'];
  if (isPreset(d)) return d;
  return isPreset('ort-default') ? 'ort-default' : PRESET_NAMES[0]!;
})();

const FALLBACK_DESCRIPTIONS: Record<string, string> = {
  'ort-default': "onnxruntime's quantize_dynamic defaults: signed 8-bit weights, one scale per tensor.",
  'tjs-q8': 'transformers.js "q8": one scale per output channel, 7-bit weight range; unsigned weights when the model has Conv.',
  'avx512-vnni': "optimum's avx512_vnni config (sentence-transformers): symmetric signed weights, one scale per channel.",
};

/** One line per preset: presets.ts's own description when it exports one, else ours. */
export function presetDescription(name: PresetName): string {
  const fromCore = presetExtras['PRESET_DESCRIPTIONS'];
  if (fromCore && typeof fromCore === 'object') {
    const d = (fromCore as Record<string, unknown>)[name];
    if (typeof d === 'string' && d) return d;
  }
  return FALLBACK_DESCRIPTIONS[name] ?? describeOptions(PRESETS[name]);
}

/** "qint8 weights · per-channel · reduce-range · symmetric weights" */
export function describeOptions(o: Int8Options): string {
  const wt = o.weightType === 'auto-conv' ? 'qint8 weights (quint8 with Conv)' : `${o.weightType} weights`;
  return [
    wt,
    o.perChannel ? 'per-channel' : 'per-tensor',
    ...(o.reduceRange ? ['reduce-range'] : []),
    ...(o.weightSymmetric ? ['symmetric weights'] : []),
    ...(o.enableSubgraph ? ['subgraphs too'] : []),
  ].join(' · ');
}

export interface Int8Form {
  preset: PresetName;
  perChannel: boolean;
  reduceRange: boolean;
  weightType: WeightType | 'auto-conv';
  opTypes: string[];
  /** Node names, one per line or comma separated. */
  excludeNodes: string;
}

export function int8Form(preset: PresetName = DEFAULT_PRESET): Int8Form {
  const p = PRESETS[preset];
  return {
    preset,
    perChannel: p.perChannel,
    reduceRange: p.reduceRange,
    weightType: p.weightType,
    opTypes: [...INT8_OP_TYPES],
    excludeNodes: '',
  };
}

export interface Fp16Form {
  keepIoTypes: boolean;
  opBlockList: string;
  nodeBlockList: string;
  /** As typed; '' = default. */
  minPositive: string;
  maxFinite: string;
  /** Weights beyond maxFinite that are not infinity stand-ins: keep their tensors in float32, or clamp them. */
  outOfRange: 'keep-fp32' | 'clamp';
}

export function fp16Form(): Fp16Form {
  return { keepIoTypes: true, opBlockList: '', nodeBlockList: '', minPositive: '', maxFinite: '', outOfRange: 'keep-fp32' };
}

export type Built = { ok: true; request: QuantizeRequest } | { ok: false; error: string };

/** The INT8 request: the preset plus only what the form changed from it. */
export function int8Request(f: Int8Form): Built {
  const base = PRESETS[f.preset];
  const options: Omit<QuantizeInt8Options, 'externalData'> = { preset: f.preset };
  if (f.perChannel !== base.perChannel) options.perChannel = f.perChannel;
  if (f.reduceRange !== base.reduceRange) options.reduceRange = f.reduceRange;
  if (f.weightType !== base.weightType) options.weightType = f.weightType;
  const ops = INT8_OP_TYPES.filter((o) => f.opTypes.includes(o));
  if (ops.length === 0) return { ok: false, error: 'Choose at least one op type to quantize.' };
  if (ops.length !== INT8_OP_TYPES.length) options.opTypes = ops;
  const exclude = parseList(f.excludeNodes);
  if (exclude.length) options.excludeNodes = exclude;
  return { ok: true, request: { mode: 'int8', options } };
}

function parseNumber(text: string, what: string): number | undefined | string {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n)) return `${what} must be a number (got "${t}")`;
  return n;
}

/** The FP16 request: only the options that differ from the defaults; checked by the core's own option rules. */
export function fp16Request(f: Fp16Form): Built {
  const options: Fp16Options = {};
  if (!f.keepIoTypes) options.keepIoTypes = false;
  const ops = parseList(f.opBlockList);
  if (ops.length) options.opBlockList = ops;
  const nodes = parseList(f.nodeBlockList);
  if (nodes.length) options.nodeBlockList = nodes;
  const minPositive = parseNumber(f.minPositive, 'Min positive');
  if (typeof minPositive === 'string') return { ok: false, error: minPositive };
  if (minPositive !== undefined && minPositive !== DEFAULT_MIN_POSITIVE) options.minPositive = minPositive;
  const maxFinite = parseNumber(f.maxFinite, 'Max finite');
  if (typeof maxFinite === 'string') return { ok: false, error: maxFinite };
  if (maxFinite !== undefined && maxFinite !== DEFAULT_MAX_FINITE) options.maxFinite = maxFinite;
  if (f.outOfRange !== 'keep-fp32') options.outOfRange = f.outOfRange;
  try {
    resolveFp16Options(options);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  return { ok: true, request: { mode: 'fp16', options } };
}
