/**
 * LSTM -> com.microsoft DynamicQuantizeLSTM, as onnxruntime/quantization/operators/lstm.py LSTMQuant: W and R are
 * quantized to int8 per channel along axis 0 (per gate row when per_channel is on, else per direction), then
 * transposed to [dirs, input, 4*hidden]; the layout attribute is dropped.
 */
import { DT } from '../../onnx/dtypes.js';
import { type WInit, keptAttrs } from '../graph.js';
import type { GraphQuantizer, OpRewriter } from '../quantizer.js';
import { mk } from './common.js';

/** [d, a, b] -> [d, b, a] for 8-bit data. */
function transpose021(d: number, a: number, b: number): (x: Uint8Array) => Uint8Array {
  return (x) => {
    const out = new Uint8Array(x.length);
    for (let k = 0; k < d; k++) {
      const base = k * a * b;
      for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[base + j * a + i] = x[base + i * b + j]!;
    }
    return out;
  };
}

function weights(q: GraphQuantizer, node: { inputs: string[] }): { w?: WInit; r?: WInit; why?: string } {
  const [, wn = '', rn = ''] = node.inputs;
  if (!q.isValidQuantizeWeight(wn) || !q.isValidQuantizeWeight(rn)) return { why: 'its weights W and R are not float initializers' };
  const w = q.findInit(wn);
  const r = q.findInit(rn);
  if (!w || !r) return { why: 'its weights live in an enclosing graph (the reference fails here: it looks them up in the subgraph only)' };
  if (w.dims.length !== 3 || r.dims.length !== 3) return { why: 'W or R is not 3-D' };
  if (w.dataType !== DT.FLOAT || r.dataType !== DT.FLOAT) return { why: 'DynamicQuantizeLSTM takes float32 weights only' };
  return { w, r };
}

export const lstm: OpRewriter = {
  check(q, node) {
    const sel = q.nodeSelection(node);
    if (sel) return sel;
    const x = node.inputs[0] ?? '';
    if (!q.isFloatTensor(x)) return `input ${q.whyNotFloat(x)}`;
    if (q.typeOf(x) !== DT.FLOAT) return `input '${x}' is not float32 (DynamicQuantizeLSTM takes float32 only)`;
    return weights(q, node).why ?? null;
  },
  quantize(q, node) {
    const { w, r } = weights(q, node) as { w: WInit; r: WInit };
    const [nd, h4, inSize] = w.dims as [number, number, number];
    const [rnd, rh4, hidden] = r.dims as [number, number, number];
    const pc = q.s.perChannel;
    const wq = q.quantizeWeightPerChannel(w.name, DT.INT8, 0, true, {
      dims: pc ? [nd * h4, inSize] : w.dims,
      qDims: [nd, inSize, h4],
      ...(pc ? { scaleDims: [nd, h4] } : {}),
      post: transpose021(nd, h4, inSize),
    });
    const rq = q.quantizeWeightPerChannel(r.name, DT.INT8, 0, true, {
      dims: pc ? [rnd * rh4, hidden] : r.dims,
      qDims: [rnd, hidden, rh4],
      ...(pc ? { scaleDims: [rnd, rh4] } : {}),
      post: transpose021(rnd, rh4, hidden),
    });
    // The reference removes the quantized W and R and appends their transposed versions: they move to the end.
    for (const name of [wq.q, rq.q]) {
      const t = q.findInit(name);
      if (t) {
        q.removeInit(t);
        q.appendInit(t);
      }
    }
    const inputs = [node.inputs[0]!, wq.q, rq.q];
    for (let i = 3; i <= 7; i++) inputs.push(node.inputs[i] ?? '');
    inputs.push(wq.scale, wq.zp, rq.scale, rq.zp);
    const attrs = keptAttrs(node).filter((a) => a.name !== 'layout');
    q.newNodes.push(
      mk('DynamicQuantizeLSTM', inputs, [...node.outputs], node.name ? `${node.name}_quant` : '', {
        domain: 'com.microsoft',
        copiedAttrs: attrs,
      }),
    );
    const dq = q.dequantizeValue(node.inputs[0]!);
    if (dq) q.newNodes.push(dq);
    q.count('LSTM');
  },
};
