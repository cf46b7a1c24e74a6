/**
 * The op types INT8 can quantize: onnxruntime's IntegerOpsRegistry keys, in its order (quantization/registry.py;
 * src/core/int8/registry.ts DEFAULT_OP_TYPES, which tests/modes/tables.test.ts keeps equal to this list). Pure data
 * in a module of its own, so the page (mode metas) and the target presets can use it without bundling the quantizer.
 */
export const INT8_OP_TYPES = ['Conv', 'MatMul', 'Attention', 'LSTM', 'Gather', 'Transpose', 'EmbedLayerNormalization'] as const;
