/**
 * Q4 options, presets and their resolution. Pure data plus one resolver (ready to become the mode's meta.ts).
 *
 * Reference: onnxruntime 1.32 `onnxruntime/python/tools/quantization/matmul_nbits_quantizer.py`
 * (`MatMulNBitsQuantizer` -> `DefaultWeightOnlyQuantConfig`, QOperator format, bits = 4).
 */
import { AvaError } from '../errors.js';

/** Block sizes MatMulNBits / GatherBlockQuantized and the MLAS block quantizer accept (powers of two, 16..256). */
export const BLOCK_SIZES = [16, 32, 64, 128, 256] as const;
export type BlockSize = (typeof BLOCK_SIZES)[number];

/** Op types the reference's default weight-only quantizer handles. */
export const Q4_OP_TYPES = ['MatMul', 'Gather'] as const;
export type Q4OpType = (typeof Q4_OP_TYPES)[number];

export interface Q4Options {
  /** Elements per block along K (MatMul) or along the quantize axis (Gather). */
  blockSize: BlockSize;
  /** true: no zero points (implicit 8 for MatMulNBits, int4 for Gather); false: a uint4 zero point per block. */
  symmetric: boolean;
  /**
   * MatMulNBits `accuracy_level` (0-4): the minimum precision of A in the kernel's arithmetic (0 unset, 1 fp32,
   * 2 fp16, 3 bf16, 4 int8). 0 leaves the attribute out, as the reference does for None / 0.
   */
  accuracyLevel: number;
  /** Which ops to quantize: MatMul (-> MatMulNBits) and optionally Gather (embedding tables -> GatherBlockQuantized). */
  opTypes: Q4OpType[];
  /** Gather tables: the axis blocks run along (the reference's quant_axes["Gather"], default 1). */
  gatherQuantizeAxis: number;
  /** Node names left in float. */
  excludeNodes: string[];
  /** Node names quantized whatever their op type (the reference's nodes_to_include; only MatMul / Gather can be). */
  nodesToInclude: string[];
}

export type Q4PresetName = 'tjs-q4' | 'ort-default';

export interface Q4Preset {
  options: Pick<Q4Options, 'blockSize' | 'symmetric' | 'accuracyLevel' | 'opTypes'>;
  description: string;
  source: string;
}

export const Q4_PRESETS: Record<Q4PresetName, Q4Preset> = {
  'tjs-q4': {
    options: { blockSize: 32, symmetric: true, accuracyLevel: 0, opTypes: ['MatMul'] },
    description: "transformers.js q4 / q4f16: block 32, symmetric, MatMul only (model_q4.onnx); also the quantizer command line's defaults",
    source:
      'transformers.js scripts/quantize.py quantize_q4 (MatMul4BitsQuantizer(block_size=32, is_symmetric=True)); matmul_nbits_quantizer.py parse_args',
  },
  'ort-default': {
    options: { blockSize: 128, symmetric: false, accuracyLevel: 0, opTypes: ['MatMul'] },
    description: 'MatMulNBitsQuantizer(model) with its Python API defaults: block 128, zero points, MatMul only',
    source: 'matmul_nbits_quantizer.py MatMulNBitsQuantizer.__init__ / DefaultWeightOnlyQuantConfig defaults',
  },
};

export const DEFAULT_Q4_PRESET: Q4PresetName = 'tjs-q4';

/** The options are not valid (kind 'options'); the message names the option and the accepted values. */
export class Q4OptionError extends AvaError {
  override name = 'Q4OptionError';
  constructor(message: string) {
    super('options', message);
  }
}

export interface ResolvedQ4Options extends Q4Options {
  preset: Q4PresetName;
}

/** Preset defaults overridden by the given options, validated. Throws Q4OptionError. */
export function resolveQ4Options(o: Partial<Q4Options> & { preset?: Q4PresetName } = {}): ResolvedQ4Options {
  const preset = o.preset ?? DEFAULT_Q4_PRESET;
  const p = Q4_PRESETS[preset];
  if (!p) throw new Q4OptionError(`unknown Q4 preset '${preset}' (choose ${Object.keys(Q4_PRESETS).join(', ')})`);
  const r: ResolvedQ4Options = {
    preset,
    blockSize: o.blockSize ?? p.options.blockSize,
    symmetric: o.symmetric ?? p.options.symmetric,
    accuracyLevel: o.accuracyLevel ?? p.options.accuracyLevel,
    opTypes: [...(o.opTypes && o.opTypes.length ? o.opTypes : p.options.opTypes)],
    gatherQuantizeAxis: o.gatherQuantizeAxis ?? 1,
    excludeNodes: [...(o.excludeNodes ?? [])],
    nodesToInclude: [...(o.nodesToInclude ?? [])],
  };
  if (!(BLOCK_SIZES as readonly number[]).includes(r.blockSize))
    throw new Q4OptionError(`block size ${r.blockSize} is not supported (choose ${BLOCK_SIZES.join(', ')})`);
  if (!Number.isInteger(r.accuracyLevel) || r.accuracyLevel < 0 || r.accuracyLevel > 4)
    throw new Q4OptionError(`accuracy level ${r.accuracyLevel} is not 0-4 (0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8)`);
  for (const t of r.opTypes)
    if (!(Q4_OP_TYPES as readonly string[]).includes(t))
      throw new Q4OptionError(`op type '${t}' cannot be 4-bit quantized (choose ${Q4_OP_TYPES.join(', ')})`);
  if (!Number.isInteger(r.gatherQuantizeAxis))
    throw new Q4OptionError(`the Gather quantize axis ${r.gatherQuantizeAxis} is not an integer`);
  return r;
}
