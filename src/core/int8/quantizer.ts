/**
 * The per-graph quantizer state machine, reproducing onnxruntime.quantization.onnx_quantizer.ONNXQuantizer and
 * base_quantizer.BaseQuantizer (1.32.0) in dynamic IntegerOps mode: the quantized-value map, the names of values
 * already produced by new nodes, the new node list, per-tensor / per-channel weight quantization, dynamic
 * activation quantization (DynamicQuantizeLinear, or the opset-10 ReduceMin/ReduceMax subgraph), and
 * DequantizeLinear insertion before float consumers and graph outputs.
 *
 * Tensor math is deferred: quantizing an initializer creates the output initializers (names, types, shapes) and a
 * Job that fills their bytes later, so the driver can report progress per tensor and stop between tensors.
 */
import type { AttrValue } from '../onnx/encode.js';
import { DT, dtypeName } from '../onnx/dtypes.js';
import { type Job, type WGraph, type WInit, type WNode } from './graph.js';
import { type FloatType, type QType, floatBytes, quantizeTensor, quantizeTensorChunked, quantizeTensorStreamed } from './numerics.js';
import { floatChunkReader, readFloatValues, readsInChunks } from '../onnx/tensor-data.js';
import { takeBuffer } from '../io/pool.js';
import { tensorWork } from '../offload.js';
import type { LocalTypes } from './shapes.js';

/** A quantized value: where its 8-bit version, scale and zero point live (QuantizedValue). */
export interface QV {
  q: string;
  scale: string;
  zp: string;
  /** Per-channel axis (normalized), null for per-tensor. */
  axis: number | null;
}

export interface QuantizedInputs {
  names: string[];
  zps: string[];
  scales: string[];
  nodes: WNode[];
}

export interface Int8Settings {
  weightQType: QType;
  perChannel: boolean;
  reduceRange: boolean;
  opTypes: Set<string>;
  excludeNodes: Set<string>;
  nodesToQuantize: Set<string>;
  enableSubgraph: boolean;
  matMulConstBOnly: boolean;
  /** undefined: symmetric iff the weight type is signed (the reference's default). */
  weightSymmetric: boolean | undefined;
  activationSymmetric: boolean;
}

export interface LeftInFloat {
  opType: string;
  node: string;
  graph: string;
  reason: string;
}

/** Shared by all graph quantizers of one run. */
export interface RunContext {
  s: Int8Settings;
  /** ai.onnx opset (after the upgrade of opsets < 10 to 11). */
  opset: number;
  /** ai.onnx opset > 10: activations use the fused DynamicQuantizeLinear. */
  fuse: boolean;
  types: Map<WGraph, LocalTypes>;
  jobs: Job[];
  rewritten: Record<string, number>;
  leftInFloat: LeftInFloat[];
  /** Original float sources, for reading values lazily (when the job runs). */
  valuesOf: (t: WInit, signal?: AbortSignal) => Promise<Float32Array>;
}

/** What a registry entry does with one node. */
export interface OpRewriter {
  /** null to quantize; otherwise why the node stays in float ('' = not a candidate, nothing to report). */
  check(q: GraphQuantizer, node: WNode): string | null;
  quantize(q: GraphQuantizer, node: WNode): void;
}

export const ACTIVATION_QTYPE: QType = DT.UINT8;

function nodeLabel(n: WNode): string {
  return n.name || `(unnamed, output '${n.outputs[0] ?? ''}')`;
}

export class GraphQuantizer {
  readonly qmap = new Map<string, QV>();
  readonly generated: Set<string>;
  newNodes: WNode[] = [];
  readonly tensorNames: Set<string>;
  readonly local: LocalTypes;
  private readonly initIndex = new Map<string, WInit>();

  constructor(
    readonly ctx: RunContext,
    readonly g: WGraph,
    readonly parent: GraphQuantizer | null,
    readonly registry: Map<string, OpRewriter>,
  ) {
    this.local = ctx.types.get(g) ?? new Map();
    for (const t of g.inits) if (!this.initIndex.has(t.name)) this.initIndex.set(t.name, t);
    this.tensorNames = new Set<string>();
    for (const o of g.src.outputs) this.tensorNames.add(o.name);
    for (const i of g.src.inputs) this.tensorNames.add(i.name);
    for (const n of g.nodes) for (const o of n.outputs) this.tensorNames.add(o);
    this.generated = new Set(g.src.inputs.filter((i) => !this.initIndex.has(i.name)).map((i) => i.name));
  }

  get s(): Int8Settings {
    return this.ctx.s;
  }

  // ---- lookups --------------------------------------------------------------------------------------------

  findInit(name: string): WInit | undefined {
    return this.initIndex.get(name);
  }

  appendInit(t: WInit): void {
    this.g.inits.push(t);
    if (!this.initIndex.has(t.name)) this.initIndex.set(t.name, t);
  }

  /** add_initializer: only when no initializer of that name exists yet. */
  addInitIfMissing(t: WInit): void {
    if (!this.initIndex.has(t.name)) this.appendInit(t);
  }

  removeInit(t: WInit): void {
    const i = this.g.inits.indexOf(t);
    if (i >= 0) this.g.inits.splice(i, 1);
    if (this.initIndex.get(t.name) === t) {
      this.initIndex.delete(t.name);
      const other = this.g.inits.find((x) => x.name === t.name);
      if (other) this.initIndex.set(t.name, other);
    }
  }

  isValidQuantizeWeight(name: string): boolean {
    const t = this.findInit(name);
    if (t) return t.dataType === DT.FLOAT || t.dataType === DT.FLOAT16;
    if (!this.s.enableSubgraph || !this.parent) return false;
    return this.parent.isValidQuantizeWeight(name);
  }

  /** The initializer a weight name refers to, in this graph or (with subgraphs enabled) an enclosing one. */
  findWeight(name: string): WInit | undefined {
    return this.findInit(name) ?? (this.s.enableSubgraph ? this.parent?.findWeight(name) : undefined);
  }

  /** Elem type of a tensor: 'unknown' when neither this graph nor (subgraphs) the enclosing ones can type it. */
  typeOf(name: string): number {
    const t = this.findInit(name);
    if (t) return t.dataType;
    const lt = this.local.get(name);
    if (lt) return lt;
    if (lt === undefined && this.s.enableSubgraph && this.parent) return this.parent.typeOf(name);
    return 0;
  }

  isFloatTensor(name: string): boolean {
    if (this.findInit(name)) return this.isValidQuantizeWeight(name);
    if (this.local.has(name)) {
      const t = this.local.get(name)!;
      return t === DT.FLOAT || t === DT.FLOAT16;
    }
    if (this.s.enableSubgraph && this.parent) return this.parent.isFloatTensor(name);
    return false;
  }

  /** Why isFloatTensor is false, for the report: "type unknown" (shape inference could not type it) or its real type. */
  whyNotFloat(name: string): string {
    const t = this.typeOf(name);
    return t
      ? `'${name}' is ${dtypeName(t)}`
      : `the type of '${name}' is unknown (ONNX shape inference cannot type it, so the reference does not quantize it either)`;
  }

  findInitializerInPath(name: string): boolean {
    if (this.findInit(name)) return true;
    return this.parent ? this.parent.findInitializerInPath(name) : false;
  }

  containsTensor(name: string): boolean {
    return this.local.has(name) || this.tensorNames.has(name) || this.generated.has(name);
  }

  private origByName: Map<string, WNode> | null = null;
  private readonly newByName = new Map<string, WNode>();
  private newIndexed = 0;

  /** First new node with this name (new_nodes only grows, so it is indexed lazily). */
  findNewNodeByName(name: string): WNode | undefined {
    for (; this.newIndexed < this.newNodes.length; this.newIndexed++) {
      const n = this.newNodes[this.newIndexed]!;
      if (n.name && !this.newByName.has(n.name)) this.newByName.set(n.name, n);
    }
    return this.newByName.get(name);
  }

  /** find_node_by_name: the graph's own nodes first, then the new nodes. */
  findNodeByName(name: string): WNode | undefined {
    if (!this.origByName) {
      this.origByName = new Map();
      for (const n of this.g.nodes) if (n.name && !this.origByName.has(n.name)) this.origByName.set(n.name, n);
    }
    return this.origByName.get(name) ?? this.findNewNodeByName(name);
  }

  findQuantizedValue(name: string): QV | undefined {
    return this.qmap.get(name) ?? this.parent?.findQuantizedValue(name);
  }

  isWeightSymmetric(q: QType): boolean {
    return this.s.weightSymmetric ?? q === DT.INT8;
  }

  /** should_quantize_node, returning why not (or null). */
  nodeSelection(n: WNode): string | null {
    if (this.s.nodesToQuantize.size && !this.s.nodesToQuantize.has(n.name)) return 'not in the list of nodes to quantize';
    if (!this.s.opTypes.has(n.opType)) return `op type ${n.opType} not selected`;
    if (this.s.excludeNodes.has(n.name)) return 'excluded by name';
    return null;
  }

  leave(n: WNode, reason: string): void {
    this.ctx.leftInFloat.push({ opType: n.opType, node: nodeLabel(n), graph: this.g.path, reason });
  }

  count(what: string): void {
    this.ctx.rewritten[what] = (this.ctx.rewritten[what] ?? 0) + 1;
  }

  // ---- weights --------------------------------------------------------------------------------------------

  private weightJob(
    src: WInit,
    qInit: WInit,
    scaleInit: WInit,
    zpInit: WInit,
    axis: number | null,
    qType: QType,
    symmetric: boolean,
    reduceRange: boolean,
    post?: (d: Uint8Array) => Uint8Array,
  ): void {
    const floatType = src.dataType as FloatType;
    const n = src.dims.reduce((a, b) => a * b, 1);
    const count = (t: WInit) => t.dims.reduce((a, b) => a * b, 1);
    qInit.rawLength = n;
    scaleInit.rawLength = count(scaleInit) * (floatType === DT.FLOAT ? 4 : 2);
    zpInit.rawLength = count(zpInit);
    // A big weight on disk: the range pass runs with the job, the values are quantized chunk by chunk as written.
    if (src.src && !post && n > 0 && readsInChunks(src.src)) qInit.streamed = true;
    const job: Job = {
      kind: 'quantize',
      label: src.name,
      bytes: n * (floatType === DT.FLOAT ? 4 : 2),
      outputs: [qInit, scaleInit, zpInit],
      run: async (signal) => {
        const params = { qType, symmetric, reduceRange, floatType };
        // A big weight on disk is read in chunks (two passes) so its float32 values are never all in memory.
        const chunks = src.src ? floatChunkReader(src.src, signal, 2, !!qInit.streamed) : null;
        if (chunks && qInit.streamed) {
          const r = await quantizeTensorStreamed(chunks, src.dims, axis, params, src.name);
          qInit.stream = r.chunks;
          scaleInit.raw = floatBytes(r.scales, floatType);
          zpInit.raw = Uint8Array.from(r.zeroPoints.map((z) => z & 0xff));
          return;
        }
        // A float32 weight on disk is read into a pooled buffer, quantized, and the buffer reused; the quantized bytes
        // go to a pooled buffer too, which the writer gives back once written (src/core/io/pool.ts, emitInit).
        const d = src.src?.data;
        const inOnePiece = !chunks && !post && d && src.src!.dataType === DT.FLOAT && d.length === n * 4 ? d : null;
        const r = chunks
          ? await quantizeTensorChunked(chunks, src.dims, axis, params, src.name)
          : inOnePiece
            ? // Here (into pooled buffers) or on another thread (src/core/offload.ts), whichever is free first.
              await tensorWork({ ...inOnePiece, task: { op: 'int8-quantize', dims: src.dims, axis, params, name: src.name } }, signal)
            : quantizeTensor(await this.ctx.valuesOf(src, signal), src.dims, axis, params, src.name, post ? undefined : takeBuffer(n));
        qInit.raw = post ? post(r.data) : r.data;
        scaleInit.raw = floatBytes(r.scales, floatType);
        zpInit.raw = Uint8Array.from(r.zeroPoints.map((z) => z & 0xff));
      },
    };
    qInit.job = scaleInit.job = zpInit.job = job;
    this.ctx.jobs.push(job);
  }

  /** quantize_initializer: per-tensor, scalar scale / zero point. Cached by name. */
  quantizeInitializer(w: WInit, qType: QType, reduceRange: boolean): QV {
    const cached = this.qmap.get(w.name);
    if (cached) return cached;
    const symmetric = qType === this.s.weightQType ? this.isWeightSymmetric(qType) : this.s.activationSymmetric;
    const rr = this.s.reduceRange && reduceRange;
    const qv: QV = { q: `${w.name}_quantized`, scale: `${w.name}_scale`, zp: `${w.name}_zero_point`, axis: null };
    const scaleInit: WInit = { name: qv.scale, dataType: w.dataType, dims: [] };
    const zpInit: WInit = { name: qv.zp, dataType: qType, dims: [] };
    const qInit: WInit = { name: qv.q, dataType: qType, dims: [...w.dims] };
    this.weightJob(w, qInit, scaleInit, zpInit, null, qType, symmetric, rr);
    this.appendInit(scaleInit);
    this.appendInit(zpInit);
    this.appendInit(qInit);
    this.qmap.set(w.name, qv);
    return qv;
  }

  /**
   * quantize_weight_per_channel: one scale / zero point per slice along `axis` (shape [C]). `dims` overrides the
   * weight's shape for the computation (the LSTM rewriter flattens [dirs, 4H, I] to [dirs*4H, I]); `post`
   * transforms the quantized bytes (LSTM transposes them).
   */
  quantizeWeightPerChannel(
    name: string,
    qType: QType,
    axis: number,
    reduceRange: boolean,
    opt: { dims?: number[]; qDims?: number[]; scaleDims?: number[]; post?: (d: Uint8Array) => Uint8Array } = {},
  ): QV {
    const cached = this.qmap.get(name);
    if (cached) return cached;
    const w = this.findInit(name);
    if (!w) throw new Error(`${name} is not an initializer`);
    const dims = opt.dims ?? w.dims;
    const ax = axis < 0 ? axis + dims.length : axis;
    if (ax < 0 || ax >= dims.length) throw new Error(`weight ${name} has a per-channel axis ${axis} out of bounds for rank ${dims.length}`);
    const symmetric = this.isWeightSymmetric(qType);
    const rr = this.s.reduceRange && reduceRange;
    const qv: QV = { q: `${name}_quantized`, scale: `${name}_scale`, zp: `${name}_zero_point`, axis: ax };
    const c = dims[ax]!;
    const scaleInit: WInit = { name: qv.scale, dataType: w.dataType, dims: opt.scaleDims ?? [c] };
    const zpInit: WInit = { name: qv.zp, dataType: qType, dims: opt.scaleDims ?? [c] };
    const qInit: WInit = { name: qv.q, dataType: qType, dims: opt.qDims ?? [...dims] };
    const src: WInit = dims === w.dims ? w : { ...w, dims };
    this.weightJob(src, qInit, scaleInit, zpInit, ax, qType, symmetric, rr, opt.post);
    this.appendInit(scaleInit);
    this.appendInit(zpInit);
    this.appendInit(qInit);
    this.qmap.set(name, qv);
    return qv;
  }

  // ---- activations ----------------------------------------------------------------------------------------

  /** _get_quantize_input_nodes for dynamic mode: DynamicQuantizeLinear, or the opset-10 subgraph + QuantizeLinear. */
  private quantizeInputNodes(input: string, initialType: number): WNode[] {
    const output = `${input}_quantized`;
    const qlName = `${input}_QuantizeLinear`;
    let nodes: WNode[];
    let scale: string;
    let zp: string;
    if (this.ctx.fuse) {
      scale = `${input}_scale`;
      zp = `${input}_zero_point`;
      nodes = [{ opType: 'DynamicQuantizeLinear', domain: '', name: qlName, inputs: [input], outputs: [output, scale, zp] }];
    } else {
      const sub = this.opset10Params(input, initialType);
      scale = sub.scale;
      zp = sub.zp;
      nodes = [...sub.nodes, { opType: 'QuantizeLinear', domain: '', name: qlName, inputs: [input, scale, zp], outputs: [output] }];
    }
    this.qmap.set(input, { q: output, scale, zp, axis: null });
    return nodes;
  }

  /** _get_dynamic_input_quantization_params_uint8 (opset 10: no DynamicQuantizeLinear). */
  private opset10Params(input: string, initialType: number): { nodes: WNode[]; scale: string; zp: string } {
    const scale = `${input}_scale`;
    const zp = `${input}_zero_point`;
    const rmin = `${input}_ReduceMin`;
    const rmax = `${input}_ReduceMax`;
    const keep0: [string, AttrValue][] = [['keepdims', { kind: 'int', value: 0 }]];
    const qrange = 'fixed_quantization_range_uint8';
    const zero = 'fixed_zero';
    const ft = (initialType || DT.FLOAT) as FloatType;
    this.addInitIfMissing({ name: qrange, dataType: ft, dims: [], raw: floatBytes([255], ft) });
    this.addInitIfMissing({ name: zero, dataType: ft, dims: [], raw: floatBytes([0], ft) });
    const n = (opType: string, name: string, inputs: string[], outputs: string[], attrs?: [string, AttrValue][]): WNode => ({
      opType,
      domain: '',
      name,
      inputs,
      outputs,
      ...(attrs ? { attrs } : {}),
    });
    const nodes = [
      n('ReduceMin', rmin, [input], [`${rmin}:0`], keep0),
      n('ReduceMax', rmax, [input], [`${rmax}:0`], keep0),
      n('Sub', `${input}_scale_Sub`, [`${rmax}:0`, `${rmin}:0`], [`${input}_scale_Sub:0`]),
      n('Div', `${input}_scale_Div`, [`${input}_scale_Sub:0`, qrange], [scale]),
      n('Sub', `${input}_zero_point_Sub`, [zero, `${rmin}:0`], [`${input}_zero_point_Sub:0`]),
      n('Div', `${input}_zero_point_Div`, [`${input}_zero_point_Sub:0`, scale], [`${input}_zero_point_Div:0`]),
      n('Floor', `${input}_zero_point_Floor`, [`${input}_zero_point_Div:0`], [`${input}_zero_point_Floor:0`]),
      n('Cast', `${input}_zero_point_Cast`, [`${input}_zero_point_Floor:0`], [zp], [['to', { kind: 'int', value: DT.UINT8 }]]),
    ];
    return { nodes, scale, zp };
  }

  addNewNodes(nodes: WNode[]): void {
    this.newNodes.push(...nodes);
    for (const n of nodes) for (const o of n.outputs) this.generated.add(o);
  }

  /**
   * __quantize_inputs: initializers become 8-bit initializers (per-channel when asked), other tensors get a
   * DynamicQuantizeLinear (shared: found by name), outer-scope tensors are quantized by the enclosing graph.
   */
  quantizeInputs(
    node: WNode,
    indices: number[],
    useWeightQType: boolean,
    reduceRange: boolean,
    opLevelPerChannel: boolean,
    axis: number,
    fromSubgraph: boolean,
  ): QuantizedInputs {
    const r: QuantizedInputs = { names: [], zps: [], scales: [], nodes: [] };
    for (const idx of indices) {
      const input = node.inputs[idx] ?? '';
      const known = this.qmap.get(input);
      if (known) {
        r.scales.push(known.scale);
        r.zps.push(known.zp);
        r.names.push(known.q);
        continue;
      }
      if (!input) {
        r.names.push('');
        r.scales.push('');
        r.zps.push('');
        continue;
      }
      const init = this.findInit(input);
      if (init) {
        const qType = useWeightQType ? this.s.weightQType : ACTIVATION_QTYPE;
        const qv =
          this.s.perChannel && opLevelPerChannel
            ? this.quantizeWeightPerChannel(init.name, qType, axis, reduceRange)
            : this.quantizeInitializer(init, qType, reduceRange);
        r.names.push(qv.q);
        r.zps.push(qv.zp);
        r.scales.push(qv.scale);
      } else if (this.containsTensor(input)) {
        let ql = this.findNodeByName(`${input}_QuantizeLinear`);
        if (!ql) {
          const initialType = this.local.has(input) ? this.local.get(input)! : DT.FLOAT;
          const qnodes = this.quantizeInputNodes(input, initialType);
          if (fromSubgraph) this.addNewNodes(qnodes);
          else r.nodes.push(...qnodes);
          ql = qnodes[qnodes.length - 1]!;
        }
        if (ql.opType === 'QuantizeLinear') {
          r.names.push(...ql.outputs);
          r.scales.push(ql.inputs[1] ?? '');
          r.zps.push(ql.inputs[2] ?? '');
        } else {
          r.names.push(ql.outputs[0] ?? '');
          r.scales.push(ql.outputs[1] ?? '');
          r.zps.push(ql.outputs[2] ?? '');
        }
      } else if (this.parent) {
        const p = this.parent.quantizeInputs(node, [idx], useWeightQType, reduceRange, opLevelPerChannel, axis, true);
        r.names.push(p.names[0]!);
        r.scales.push(p.scales[0]!);
        r.zps.push(p.zps[0]!);
      } else {
        throw new Error(`invalid tensor name to quantize: ${input} in graph '${this.g.path || 'main'}'`);
      }
    }
    return r;
  }

  quantizeActivation(node: WNode, indices: number[], fromSubgraph = false): QuantizedInputs {
    return this.quantizeInputs(node, indices, false, false, false, -1, fromSubgraph);
  }

  quantizeWeight(node: WNode, indices: number[], reduceRange: boolean, opLevelPerChannel: boolean, axis = -1): QuantizedInputs {
    return this.quantizeInputs(node, indices, true, reduceRange, opLevelPerChannel, axis, false);
  }

  /** _dequantize_value: a DequantizeLinear restoring `name` when it was replaced by an 8-bit value. */
  dequantizeValue(name: string): WNode | null {
    const qv = this.qmap.get(name);
    if (!qv || this.generated.has(name)) return null;
    const dqName = `${name}_DequantizeLinear`;
    if (this.findNodeByName(dqName)) return null;
    const n: WNode = { opType: 'DequantizeLinear', domain: '', name: dqName, inputs: [qv.q, qv.scale, qv.zp], outputs: [name] };
    if (qv.axis !== null) n.attrs = [['axis', { kind: 'int', value: qv.axis }]];
    return n;
  }

  /** QuantOperatorBase.quantize: dequantize inputs that were replaced, keep the node. */
  keep(node: WNode): void {
    for (const i of node.inputs) {
      const dq = this.dequantizeValue(i);
      if (dq) this.newNodes.push(dq);
    }
    this.newNodes.push(node);
  }

  // ---- the graph ------------------------------------------------------------------------------------------

  /** quantize_model for this graph (subgraphs first, node by node), then DequantizeLinear before outputs. */
  run(): void {
    const nodes = [...this.g.nodes];
    for (const node of nodes) {
      if (this.s.enableSubgraph && node.subgraphs) {
        for (const gs of node.subgraphs.values())
          for (const sg of gs) {
            const sub = new GraphQuantizer(this.ctx, sg, this, this.registry);
            sub.run();
          }
      }
      const before = this.newNodes.length;
      const op = this.registry.get(node.opType);
      let why: string | null = 'not a quantizable op';
      if (op) why = op.check(this, node);
      if (op && why === null) op.quantize(this, node);
      else {
        if (op && why) this.leave(node, why);
        this.keep(node);
      }
      for (let i = before; i < this.newNodes.length; i++) for (const o of this.newNodes[i]!.outputs) this.generated.add(o);
    }
    for (const o of this.g.src.outputs) {
      const dq = this.dequantizeValue(o.name);
      if (dq) this.newNodes.push(dq);
    }
    this.g.nodes = this.newNodes;
  }
}

/** Reads an initializer's float values (original bytes, or a transpose of another initializer). */
export function makeValueReader(): (t: WInit, signal?: AbortSignal) => Promise<Float32Array> {
  const read = async (t: WInit, signal?: AbortSignal): Promise<Float32Array> => {
    // A reshaped copy of an original (LSTM) has the same element order: the values are the same.
    if (t.src) return readFloatValues(t.src, signal);
    if (t.transposeOf) {
      const b = await read(t.transposeOf, signal);
      const [r, c] = t.transposeOf.dims as [number, number];
      const out = new Float32Array(b.length);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = b[i * c + j]!;
      return out;
    }
    throw new Error(`internal: no values for '${t.name}'`);
  };
  return read;
}
