/**
 * The precisions a layer group can take in target mode, and the options of the modes that make them. Pure data plus
 * one resolver (the future mode's meta.ts).
 */
import { resolveOptions as resolveFp16Options, type Fp16Options, type ResolvedFp16Options } from '../fp16/options.js';
import { resolveOptions as resolveInt8Options, type QuantizeInt8Options, type ResolvedInt8Options } from '../int8/quantize.js';
import type { PresetName } from '../int8/presets.js';
import { resolveQ4Options, type Q4Options, type Q4PresetName, type ResolvedQ4Options } from '../q4/options.js';

/**
 * fp32: left as it is. fp16: the FP16 converter on the group's nodes (weights and arithmetic in float16, Casts at its
 * borders). int8: dynamic INT8 (quantize_dynamic) on the group's nodes. q4: 4-bit block weights (MatMulNBits, and
 * GatherBlockQuantized for embedding tables) on the group's nodes, its other arithmetic float32.
 */
export type Precision = 'fp32' | 'fp16' | 'int8' | 'q4';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'int8', 'q4'];

/** A precision for every group id (groups not listed stay fp32). */
export type Assignment = Record<string, Precision>;

/** INT8 options of target mode: any INT8 option but the node lists (target mode sets those). */
export type MixInt8Options = Omit<QuantizeInt8Options, 'nodesToQuantize' | 'excludeNodes' | 'provenance' | 'layout'> & {
  preset?: PresetName;
};
export type MixQ4Options = Partial<Omit<Q4Options, 'nodesToInclude' | 'excludeNodes'>> & { preset?: Q4PresetName };
export type MixFp16Options = Omit<Fp16Options, 'nodeBlockList' | 'provenance' | 'layout'>;

export interface MixOptions {
  int8?: MixInt8Options;
  q4?: MixQ4Options;
  fp16?: MixFp16Options;
}

export interface ResolvedMixOptions {
  int8: Omit<ResolvedInt8Options, 'nodesToQuantize' | 'excludeNodes'>;
  q4: Omit<ResolvedQ4Options, 'nodesToInclude' | 'excludeNodes'>;
  fp16: Omit<ResolvedFp16Options, 'nodeBlockList'>;
}

/**
 * Q4 in target mode, unless told otherwise: block 32 with zero points (the best Q4 on all-MiniLM-L6-v2 in
 * tests/q4/quality.test.ts) and Gather too, so an embeddings group can take 4-bit tables (GatherBlockQuantized).
 * INT8 and FP16 take their modes' defaults (INT8: DEFAULT_PRESET, avx512-vnni).
 */
export const TARGET_Q4_DEFAULTS: Pick<Q4Options, 'blockSize' | 'symmetric' | 'opTypes'> = {
  blockSize: 32,
  symmetric: false,
  opTypes: ['MatMul', 'Gather'],
};

/** The modes' resolved options (throws their option errors: Q4OptionError, Fp16OptionError). */
export function resolveMixOptions(o: MixOptions = {}): ResolvedMixOptions {
  const { weightTypeSpec: _w, nodesToQuantize: _n, excludeNodes: _e, ...int8 } = resolveInt8Options(o.int8 ?? {});
  const q4Given = o.q4 ?? {};
  const {
    nodesToInclude: _i,
    excludeNodes: _x,
    ...q4
  } = resolveQ4Options(q4Given.preset ? q4Given : { ...TARGET_Q4_DEFAULTS, ...q4Given });
  const { nodeBlockList: _b, ...fp16 } = resolveFp16Options(o.fp16 ?? {});
  return { int8, q4, fp16 };
}
