/**
 * Neural-network operators: convolution and pooling (convPoolShapeInference, convTransposeShapeInference in
 * onnx/defs/nn/defs.cc), normalisations, recurrent layers (RNNShapeInference in rnn/defs.cc) and the
 * quantization operators (quantization/defs.cc).
 */
import {
  type InferContext,
  checkInputRank,
  getAttrInt,
  getAttrInts,
  getAttrString,
  getInputShape,
  hasInputShape,
  hasNInputShapes,
  inputDims,
  mulDimInt,
  outputTensorShape,
  propagateElemTypeFromInputToOutput,
  propagateShapeAndTypeFromFirstInput,
  propagateShapeFromInputToOutput,
  unifyDimValue,
  unifyInputDim,
  updateOutputElemType,
  updateOutputShape,
} from '../context.js';
import { type Dim, cloneDim, failShape, failType, mutableTensor } from '../types.js';
import { FLOAT, INT32, INT64 } from './math.js';
import { DT } from '../../dtypes.js';

const { UINT8 } = DT;

/** An ints attribute with one value per spatial axis: its values, `n` times `fill` when absent, null when it has not `n`. */
function perAxisInts(ctx: InferContext, name: string, n: number, fill: number): number[] | null {
  const v = getAttrInts(ctx, name);
  if (!v) return new Array<number>(n).fill(fill);
  return v.length === n ? v : null;
}

/** The kernel's spatial dims from the weight input's shape (dims 2 onward); null when one is unknown. */
function kernelFromWeight(ctx: InferContext, input: number): number[] | null {
  const kernel: number[] = [];
  const w = inputDims(ctx, input);
  for (let i = 2; i < w.length; i++) {
    if (w[i]!.value === undefined) return null;
    kernel.push(w[i]!.value!);
  }
  return kernel;
}

/** auto_pad SAME_UPPER / SAME_LOWER: splits `total` padding (floored at 0) of axis i between begin and end. */
function setSamePads(pads: number[], i: number, n: number, total: number, autoPad: string): void {
  if (total < 0) total = 0;
  const small = total >> 1;
  const big = total - small;
  if (autoPad === 'SAME_UPPER') {
    pads[i] = small;
    pads[i + n] = big;
  } else if (autoPad === 'SAME_LOWER') {
    pads[i] = big;
    pads[i + n] = small;
  }
}

/** convPoolShapeInference(ctx, use_dilation, require_kernel_shape, input1, input2). */
export function convPoolShapeInference(
  ctx: InferContext,
  useDilation: boolean,
  requireKernelShape: boolean,
  in1: number,
  in2: number,
): void {
  if (!hasInputShape(ctx, in1)) return;
  if (!requireKernelShape && !hasInputShape(ctx, in2)) return;
  const input = inputDims(ctx, in1);
  if (input.length < 2) failShape('Input tensor must have at least 2 dimensions');
  const n = input.length - 2;
  const dilations = useDilation
    ? (perAxisInts(ctx, 'dilations', n, 1) ?? failShape('Attribute dilations has incorrect size'))
    : new Array<number>(n).fill(1);
  const strides = perAxisInts(ctx, 'strides', n, 1) ?? failShape('Attribute strides has incorrect size');
  let kernel = getAttrInts(ctx, 'kernel_shape');
  if (kernel) {
    if (kernel.length !== n) failShape('Attribute kernel_shape has incorrect size');
  } else if (requireKernelShape) failShape('Attribute kernel_shape must be specified');
  else {
    kernel = kernelFromWeight(ctx, in2);
    if (!kernel) return;
  }
  const effective = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  let pads = getAttrInts(ctx, 'pads');
  if (pads) {
    if (pads.length !== n * 2) failShape('Attribute pads has incorrect size');
  } else {
    pads = new Array<number>(n * 2).fill(0);
    const autoPad = ctx.getAttribute('auto_pad');
    const ap = autoPad ? getAttrString(ctx, 'auto_pad', '') : null;
    if (ap !== null && ap !== 'VALID') {
      for (let i = 0; i < n; i++) {
        let residual = 0;
        const stride = strides[i]!;
        if (stride > 1) {
          const d = input[2 + i]!;
          if (d.value === undefined) continue;
          residual = d.value;
          while (residual >= stride) residual -= stride;
        }
        setSamePads(pads, i, n, residual === 0 ? effective[i]! - stride : effective[i]! - residual, ap);
      }
    }
  }
  const out = outputTensorShape(ctx, 0);
  if (requireKernelShape) out.push(cloneDim(input[0]!), cloneDim(input[1]!));
  else {
    out.push(cloneDim(input[0]!));
    const w = getInputShape(ctx, in2);
    if (w.length < 1) failShape('Second input tensor has wrong dimension');
    out.push(cloneDim(w[0]!));
  }
  const ceilMode = getAttrInt(ctx, 'ceil_mode', 0);
  for (let i = 0; i < kernel.length; i++) {
    const nd: Dim = {};
    out.push(nd);
    const d = input[2 + i]!;
    if (d.value === undefined) continue;
    const eff = d.value + pads[i]! + pads[i + kernel.length]!;
    let positions: number;
    if (ceilMode === 1) positions = Math.ceil(Math.fround((eff - effective[i]!) / Math.fround(strides[i]!)));
    else positions = Math.trunc((eff - effective[i]!) / strides[i]!);
    nd.value = 1 + positions;
  }
  if (ctx.getNumOutputs() > 1) {
    const o1 = outputTensorShape(ctx, 1);
    o1.length = 0;
    o1.push(...out.map(cloneDim));
  }
}

export function conv(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  convPoolShapeInference(ctx, true, false, 0, 1);
}

export function convInteger(ctx: InferContext): void {
  const x = ctx.getInputType(0);
  const w = ctx.getInputType(1);
  if (!x || !w || !x.tensor || !w.tensor) failType('inputs are expected to have tensor type.');
  updateOutputElemType(ctx, 0, INT32);
  convPoolShapeInference(ctx, true, false, 0, 1);
}

/** AveragePool / MaxPool / LpPool (kernel_shape attribute required). */
export function pool(useDilation: boolean) {
  return (ctx: InferContext): void => {
    propagateElemTypeFromInputToOutput(ctx, 0, 0);
    if (ctx.getNumOutputs() > 1) {
      const o = ctx.getOutputType(1);
      if (!o.tensor && !o.sparse && !o.sequence && !o.optional && !o.map) mutableTensor(o).elem = INT64;
    }
    convPoolShapeInference(ctx, useDilation, true, 0, 1);
  };
}

export function globalPool(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 1)) return;
  const s = inputDims(ctx, 0);
  if (s.length < 2) return;
  const out = outputTensorShape(ctx, 0);
  out.push(cloneDim(s[0]!), cloneDim(s[1]!));
  for (let i = 2; i < s.length; i++) out.push({ value: 1 });
}

export function convTranspose(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 0, 0);
  if (!hasNInputShapes(ctx, 2)) return;
  const group = getAttrInt(ctx, 'group', 1);
  const input = inputDims(ctx, 0);
  if (input.length < 2) return;
  const n = input.length - 2;
  const dilations = perAxisInts(ctx, 'dilations', n, 1);
  const strides = perAxisInts(ctx, 'strides', n, 1);
  if (!dilations || !strides) return;
  let kernel = getAttrInts(ctx, 'kernel_shape');
  if (kernel) {
    if (kernel.length !== n) return;
  } else {
    kernel = kernelFromWeight(ctx, 1);
    if (!kernel) return;
  }
  const effective = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  let pads = getAttrInts(ctx, 'pads');
  if (pads) {
    if (pads.length !== n * 2) failShape('Attribute pads has incorrect size');
    const ap = ctx.getAttribute('auto_pad') ? getAttrString(ctx, 'auto_pad', '') : null;
    if (ap !== null && ap !== 'NOTSET') failShape('The pads attribute cannot be used simultaneously with auto_pad attribute');
  } else {
    pads = new Array<number>(n * 2).fill(0);
    const ap = ctx.getAttribute('auto_pad') ? getAttrString(ctx, 'auto_pad', '') : null;
    if (ap !== null && ap !== 'VALID') {
      for (let i = 0; i < n; i++) {
        setSamePads(pads, i, n, effective[i]! - strides[i]!, ap);
      }
    }
  }
  const outShape = getAttrInts(ctx, 'output_shape');
  if (outShape && outShape.length !== n) return;
  const outPadding = perAxisInts(ctx, 'output_padding', n, 0);
  if (!outPadding) return;
  const out = outputTensorShape(ctx, 0);
  out.push(cloneDim(input[0]!));
  out.push(mulDimInt(inputDims(ctx, 1)[1] ?? {}, group));
  if (outShape) {
    for (let i = 0; i < outShape.length; i++) {
      const d = input[i + 2]!;
      if (d.value !== undefined && outShape[i]! < d.value) return;
      out.push({ value: outShape[i]! });
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const d = input[i + 2]!;
    if (d.value !== undefined) out.push({ value: strides[i]! * (d.value - 1) + outPadding[i]! + effective[i]! - pads[i]! - pads[i + n]! });
    else out.push({});
  }
}

/** BatchNormalization opset 14 / 15 (training_mode). */
export function batchNorm15(ctx: InferContext): void {
  propagateShapeAndTypeFromFirstInput(ctx);
  propagateShapeFromInputToOutput(ctx, 0, 0);
  for (let i = 1; i <= 4; i++) checkInputRank(ctx, i, 1);
  const channels: Dim = {};
  if (hasInputShape(ctx, 0)) {
    if (getInputShape(ctx, 0).length > 1) unifyInputDim(ctx, 0, 1, channels);
    else unifyDimValue(channels, 1);
  }
  for (let i = 1; i <= 4; i++) unifyInputDim(ctx, i, 0, channels);
  const training = ctx.getAttribute('training_mode');
  if (training && training.i !== 0) {
    if (ctx.getNumOutputs() !== 3) failShape('This number of op outputs should be 3 when Training_mode = True, but it is not.');
  } else if (ctx.getNumOutputs() !== 1) failShape('This number of op outputs should be 1 when Training_mode = False, but it is not.');
  if (ctx.getNumOutputs() > 1) {
    propagateElemTypeFromInputToOutput(ctx, 3, 1);
    updateOutputShape(ctx, 1, [channels]);
    if (ctx.getNumOutputs() > 2) {
      propagateElemTypeFromInputToOutput(ctx, 4, 2);
      updateOutputShape(ctx, 2, [channels]);
    }
  }
}

/** LayerNormalization opset 17. */
export function layerNorm(ctx: InferContext): void {
  propagateShapeAndTypeFromFirstInput(ctx);
  const stash = getAttrInt(ctx, 'stash_type', FLOAT);
  if (ctx.getNumOutputs() > 1) mutableTensor(ctx.getOutputType(1)).elem = stash;
  if (ctx.getNumOutputs() > 2) mutableTensor(ctx.getOutputType(2)).elem = stash;
  if (!hasNInputShapes(ctx, 1)) return;
  const input = inputDims(ctx, 0);
  const n = input.length;
  let axis = getAttrInt(ctx, 'axis', -1);
  if (axis < -n || axis >= n) failShape(`axis must be in [-rank, rank-1]. input rank was ${n}`);
  if (axis < 0) axis += n;
  for (let o = 1; o <= 2; o++) {
    if (ctx.getNumOutputs() <= o) break;
    const s = outputTensorShape(ctx, o);
    s.length = 0;
    s.push(...input.map(cloneDim));
    for (let d = axis; d < n; d++) s[d] = { value: 1 };
  }
}

/** RNN / GRU / LSTM (RNNShapeInference; `layout` from opset 14). */
export function rnn(ctx: InferContext): void {
  const numDirections: Dim = {};
  const direction = getAttrString(ctx, 'direction', 'forward');
  if (direction === 'forward' || direction === 'reverse') numDirections.value = 1;
  else if (direction === 'bidirectional') numDirections.value = 2;
  const hidden: Dim = {};
  const hs = getAttrInt(ctx, 'hidden_size', -1);
  if (hs > 0) hidden.value = hs;
  const layout = getAttrInt(ctx, 'layout', 0);
  let seq: Dim = {};
  let batch: Dim = {};
  if (hasInputShape(ctx, 0)) {
    const s = getInputShape(ctx, 0);
    if (s.length !== 3) failShape('First input tensor must have rank 3');
    seq = s[layout === 0 ? 0 : 1]!;
    batch = s[layout === 0 ? 1 : 0]!;
  }
  const n = ctx.getNumOutputs();
  if (n > 0) {
    propagateElemTypeFromInputToOutput(ctx, 0, 0);
    updateOutputShape(ctx, 0, layout === 0 ? [seq, numDirections, batch, hidden] : [batch, seq, numDirections, hidden]);
  }
  for (let o = 1; o < Math.min(n, 3); o++) {
    propagateElemTypeFromInputToOutput(ctx, 0, o);
    updateOutputShape(ctx, o, layout === 0 ? [numDirections, batch, hidden] : [batch, numDirections, hidden]);
  }
}

/** DequantizeLinear opset 10 / 13 (float output). */
export function dequantize10(ctx: InferContext): void {
  mutableTensor(ctx.getOutputType(0)).elem = FLOAT;
  if (!hasInputShape(ctx, 0)) return;
  updateOutputShape(ctx, 0, getInputShape(ctx, 0));
}

/** DequantizeLinear opset 19+ (type of the scale). */
export function dequantize19(ctx: InferContext): void {
  propagateElemTypeFromInputToOutput(ctx, 1, 0);
  if (!hasInputShape(ctx, 0)) return;
  updateOutputShape(ctx, 0, getInputShape(ctx, 0));
}

/** QuantizeLinear opset 10 / 13 (type of the zero point, else uint8). */
export function quantize10(ctx: InferContext): void {
  if (ctx.hasInput(2)) propagateElemTypeFromInputToOutput(ctx, 2, 0);
  else updateOutputElemType(ctx, 0, UINT8);
  if (!hasInputShape(ctx, 0)) return;
  updateOutputShape(ctx, 0, getInputShape(ctx, 0));
}

export function dynamicQuantizeLinear(ctx: InferContext): void {
  updateOutputElemType(ctx, 0, UINT8);
  updateOutputElemType(ctx, 1, FLOAT);
  updateOutputElemType(ctx, 2, UINT8);
  outputTensorShape(ctx, 1);
  outputTensorShape(ctx, 2);
  if (!hasInputShape(ctx, 0)) return;
  updateOutputShape(ctx, 0, getInputShape(ctx, 0));
}
