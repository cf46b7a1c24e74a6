/**
 * Lossless, lazy view of an ONNX ModelProto. Every message keeps its field spans over the original bytes;
 * only the fields we need are decoded. Tensor payloads are subarray views, never copies.
 * Field numbers follow onnx/onnx.proto (IR version 10/11).
 */
import { OnnxFormatError } from './errors.js';
import { ENUM, FIELD } from './schema.generated.js';
import {
  type Field,
  Overrun,
  WT_LEN,
  fieldBytes,
  fieldFloat,
  fieldInt,
  fieldName,
  fieldString,
  fmtBytes,
  bytesWord,
  fmtInt,
  pushFloats,
  pushInts,
  readFields,
} from './wire.js';
import { sniffNotOnnx } from './sniff.js';
import type { ByteSource } from '../io/source.js';
import { HOLE_FIELD, decodeHole, skeletonInfo } from './skeleton.js';

export interface Span {
  /** The buffer this message was read from (the whole model file). */
  buf: Uint8Array;
  /** The message's own fields, in file order. */
  fields: Field[];
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface ExternalDataInfo {
  location: string;
  offset: number;
  length: number | null;
  checksum?: string;
}

/** Where a tensor's bytes are when they are not in memory: a range of the model file or of an external-data file. */
export interface TensorDataRef {
  source: ByteSource;
  offset: number;
  length: number;
}

export interface TensorView extends Span {
  name: string;
  dims: number[];
  dataType: number;
  /** raw_data as a view into the file, when present in memory. */
  rawData: Uint8Array | null;
  /**
   * The tensor's little-endian element bytes when they were left on disk by openModel: a raw_data payload skipped in
   * the model file, or the resolved external data. null otherwise (and for external data whose file is missing).
   */
  data: TensorDataRef | null;
  /** Fields holding typed data (float_data=4, int32_data=5, string_data=6, int64_data=7, double_data=10, uint64_data=11). */
  typedFields: Field[];
  external: ExternalDataInfo | null;
}

export interface AttributeView extends Span {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
  floats?: number[];
  t?: TensorView;
  g?: GraphView;
  tensors?: TensorView[];
  graphs?: GraphView[];
}

export interface NodeView extends Span {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeView[];
}

export interface DimView {
  value?: number;
  param?: string;
}

export interface ValueInfoView extends Span {
  name: string;
  /** Tensor element type, or 0 when the type is not a tensor / unknown. */
  elemType: number;
  /** null when the shape is absent (unknown rank). */
  shape: DimView[] | null;
  kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown';
}

export interface GraphView extends Span {
  name: string;
  nodes: NodeView[];
  initializers: TensorView[];
  sparseInitializers: Span[];
  inputs: ValueInfoView[];
  outputs: ValueInfoView[];
  valueInfo: ValueInfoView[];
  docString: string;
}

export interface FunctionView extends Span {
  name: string;
  domain: string;
  nodes: NodeView[];
}

export interface ModelView extends Span {
  /** Size of the .onnx file (the skeleton `buf` is smaller when payloads were left on disk). */
  fileBytes: number;
  /** Bytes of external data the model's tensors reference (0 when all weights are in the .onnx). */
  externalBytes: number;
  /** Problems with its external data found when it was opened (missing, short or refused files); modes refuse. */
  dataProblems: string[];
  irVersion: number;
  opsets: OpsetImport[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graph: GraphView;
  metadata: { key: string; value: string }[];
  functions: FunctionView[];
}

// Field numbers of the messages this module reads and writes, from the generated schema (onnx.proto).
export const MODEL = FIELD.ModelProto;
export const GRAPH = FIELD.GraphProto;
export const NODE = FIELD.NodeProto;
export const ATTR = FIELD.AttributeProto;
export const TENSOR = FIELD.TensorProto;
const OPSET_ID = FIELD.OperatorSetIdProto;
const STRING_ENTRY = FIELD.StringStringEntryProto;
const FUNCTION = FIELD.FunctionProto;
const VALUE_INFO = FIELD.ValueInfoProto;
const TYPE = FIELD.TypeProto;
const TENSOR_TYPE = FIELD.TypeProto_Tensor;
const SHAPE = FIELD.TensorShapeProto;
const DIM = FIELD.TensorShapeProto_Dimension;

/** Where we are, for error messages: e.g. ["graph 'main_graph'", "initializer 'w'"]. */
type Ctx = string[];

const describe = (ctx: Ctx) => (ctx.length ? ctx[ctx.length - 1]! : 'the model');

/**
 * Reads the fields of a sub-message. On overrun, produces the message a user needs: a truncated file
 * ("the file ends at byte N inside initializer 'x'") or an absurd length ("a field claims 4 GB but ...").
 */
function fieldsOf(buf: Uint8Array, start: number, end: number, ctx: Ctx, kind: MsgKind): Field[] {
  try {
    return readFields(buf, start, end);
  } catch (e) {
    if (e instanceof Overrun) throw overrunError(buf, e, end, ctx, kind);
    if (e instanceof OnnxFormatError) throw new OnnxFormatError(`${e.message}, inside ${describe(ctx)}`);
    throw e;
  }
}

type MsgKind = 'model' | 'graph' | 'node' | 'tensor' | 'attr' | 'other';

function overrunError(buf: Uint8Array, o: Overrun, parentEnd: number, ctx: Ctx, kind: MsgKind): OnnxFormatError {
  const fileLeft = buf.length - o.field.vstart;
  const truncated = parentEnd === buf.length;
  if (truncated && o.claimed < 2 ** 31) {
    // protobuf messages are < 2 GiB: a shorter claim past the end of the file means the file was cut short.
    // Plausible length, file just too short: find the innermost message the end falls in.
    const inner = innermost(buf, o.field, ctx, kind);
    return new OnnxFormatError(
      `the file is truncated: it ends at byte ${fmtInt(buf.length)} inside ${inner} (at least ${bytesWord(o.claimed - fileLeft)} missing)`,
    );
  }
  const where = `at byte ${fmtInt(o.field.start)} inside ${describe(ctx)}`;
  const left = truncated ? `the file has ${fmtBytes(fileLeft)} left` : `its enclosing message has ${fmtBytes(o.available)} left`;
  return new OnnxFormatError(`a field claims ${fmtBytes(o.claimed)} but ${left} (field ${o.field.no} ${where})`);
}

/** Child message kinds by (parent kind, field number), for naming where a truncation happened. */
function childKind(kind: MsgKind, no: number): { kind: MsgKind; label: string } | null {
  if (kind === 'model' && no === MODEL.graph) return { kind: 'graph', label: 'graph' };
  if (kind === 'model' && no === MODEL.functions) return { kind: 'graph', label: 'function' };
  if (kind === 'graph' && no === GRAPH.node) return { kind: 'node', label: 'node' };
  if (kind === 'graph' && no === GRAPH.initializer) return { kind: 'tensor', label: 'initializer' };
  if (kind === 'graph' && (no === GRAPH.input || no === GRAPH.output || no === GRAPH.valueInfo))
    return { kind: 'other', label: no === GRAPH.input ? 'graph input' : no === GRAPH.output ? 'graph output' : 'value_info' };
  if (kind === 'node' && no === NODE.attribute) return { kind: 'attr', label: 'attribute' };
  if (kind === 'attr' && no === ATTR.t) return { kind: 'tensor', label: 'tensor' };
  if (kind === 'attr' && no === ATTR.g) return { kind: 'graph', label: 'subgraph' };
  return null;
}

const NAME_FIELD: Record<MsgKind, number> = {
  model: 0,
  graph: GRAPH.name,
  node: NODE.name,
  tensor: TENSOR.name,
  attr: ATTR.name,
  other: 1,
};

/** Lenient walk into a truncated field to name the deepest message the file's end falls in. */
function innermost(buf: Uint8Array, f: Field, ctx: Ctx, kind: MsgKind): string {
  const child = childKind(kind, f.no);
  if (!child) return kind === 'tensor' && f.no === TENSOR.rawData ? `the raw data of ${describe(ctx)}` : describe(ctx);
  // Parse as many complete fields of the child as the file holds.
  let name = '';
  let opType = '';
  const pos = f.vstart;
  for (;;) {
    try {
      const fs = readFields(buf, pos, buf.length);
      // The whole rest parsed (cut exactly at a field boundary).
      for (const sf of fs) name = pickName(buf, sf, child.kind, name);
      break;
    } catch (e) {
      if (!(e instanceof Overrun)) break;
      const parsed = safeFields(buf, pos, e.field.start);
      for (const sf of parsed) {
        name = pickName(buf, sf, child.kind, name);
        if (child.kind === 'node' && sf.no === NODE.opType && sf.wt === WT_LEN) opType = fieldString(buf, sf);
      }
      const label = `${child.label}${name ? ` '${name}'` : ''}${opType ? ` (${opType})` : ''}`;
      return innermost(buf, e.field, [...ctx, label], child.kind);
    }
  }
  return `${child.label}${name ? ` '${name}'` : ''}`;
}

function safeFields(buf: Uint8Array, start: number, end: number): Field[] {
  try {
    return readFields(buf, start, end);
  } catch {
    return [];
  }
}

function pickName(buf: Uint8Array, f: Field, kind: MsgKind, cur: string): string {
  return f.no === NAME_FIELD[kind] && f.wt === WT_LEN && !cur ? fieldString(buf, f) : cur;
}

function expectLen(f: Field, what: string, ctx: Ctx): void {
  if (f.wt !== WT_LEN)
    throw new OnnxFormatError(`${what} at byte ${fmtInt(f.start)} inside ${describe(ctx)} has the wrong wire type (${f.wt})`);
}

export function parseModel(buf: Uint8Array): ModelView {
  const notOnnx = sniffNotOnnx(buf);
  if (notOnnx) throw new OnnxFormatError(`not an ONNX model: ${notOnnx}`);
  let fields: Field[];
  try {
    fields = fieldsOf(buf, 0, buf.length, [], 'model');
  } catch (e) {
    if (e instanceof OnnxFormatError && !/truncated|claims/.test(e.message))
      throw new OnnxFormatError(`not an ONNX model: the bytes are not a protobuf ModelProto (${e.message})`);
    throw e;
  }
  const m: ModelView = {
    buf,
    fields,
    fileBytes: buf.length,
    externalBytes: 0,
    dataProblems: [],
    irVersion: 0,
    opsets: [],
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    graph: undefined as unknown as GraphView,
    metadata: [],
    functions: [],
  };
  let graphField: Field | null = null;
  const ctx: Ctx = [];
  for (const f of fields) {
    switch (f.no) {
      case MODEL.irVersion:
        m.irVersion = fieldInt(buf, f);
        break;
      case MODEL.producerName:
        expectLen(f, 'producer_name', ctx);
        m.producerName = fieldString(buf, f);
        break;
      case MODEL.producerVersion:
        expectLen(f, 'producer_version', ctx);
        m.producerVersion = fieldString(buf, f);
        break;
      case MODEL.domain:
        expectLen(f, 'domain', ctx);
        m.domain = fieldString(buf, f);
        break;
      case MODEL.modelVersion:
        m.modelVersion = fieldInt(buf, f);
        break;
      case MODEL.docString:
        expectLen(f, 'doc_string', ctx);
        m.docString = fieldString(buf, f);
        break;
      case MODEL.graph:
        expectLen(f, 'graph', ctx);
        graphField = f;
        break;
      case MODEL.opsetImport: {
        expectLen(f, 'opset_import', ctx);
        const op: OpsetImport = { domain: '', version: 0 };
        for (const sf of fieldsOf(buf, f.vstart, f.end, ['opset_import'], 'other')) {
          if (sf.no === OPSET_ID.domain && sf.wt === WT_LEN) op.domain = fieldName(buf, sf, 'the opset domain');
          else if (sf.no === OPSET_ID.version) op.version = fieldInt(buf, sf);
        }
        m.opsets.push(op);
        break;
      }
      case MODEL.metadataProps: {
        expectLen(f, 'metadata_props', ctx);
        m.metadata.push(parseStringEntry(buf, f));
        break;
      }
      case MODEL.functions: {
        expectLen(f, 'function', ctx);
        m.functions.push(parseFunction(buf, f));
        break;
      }
      default:
        break;
    }
  }
  if (!graphField) {
    throw new OnnxFormatError(
      fields.length === 0
        ? 'not an ONNX model: the file is empty'
        : `not an ONNX model: it has no graph (a ModelProto must contain field ${MODEL.graph}, the graph)`,
    );
  }
  if (m.irVersion <= 0 || m.irVersion > 100)
    throw new OnnxFormatError(`not an ONNX model: ir_version is ${m.irVersion} (expected 1 to about 12)`);
  m.graph = parseGraph(buf, graphField, ['the graph']);
  if (m.opsets.length === 0 && m.irVersion >= 3)
    throw new OnnxFormatError(
      `the model declares no operator set (opset_import); the file may be truncated (it ends at byte ${fmtInt(buf.length)})`,
    );
  return m;
}

function parseStringEntry(buf: Uint8Array, f: Field): { key: string; value: string } {
  const e = { key: '', value: '' };
  for (const sf of fieldsOf(buf, f.vstart, f.end, ['metadata_props'], 'other')) {
    if (sf.wt !== WT_LEN) continue;
    if (sf.no === STRING_ENTRY.key) e.key = fieldString(buf, sf);
    else if (sf.no === STRING_ENTRY.value) e.value = fieldString(buf, sf);
  }
  return e;
}

function parseFunction(buf: Uint8Array, f: Field): FunctionView {
  const fields = fieldsOf(buf, f.vstart, f.end, ['a function'], 'graph');
  const fn: FunctionView = { buf, fields, name: '', domain: '', nodes: [] };
  for (const sf of fields) {
    if (sf.wt !== WT_LEN) continue;
    if (sf.no === FUNCTION.name) fn.name = fieldName(buf, sf, 'the function name');
    else if (sf.no === FUNCTION.node) fn.nodes.push(parseNode(buf, sf, [`function '${fn.name}'`]));
    else if (sf.no === FUNCTION.domain) fn.domain = fieldName(buf, sf, 'the function domain');
  }
  return fn;
}

/**
 * Most levels of subgraphs (If / Loop / Scan bodies inside subgraphs) a model may nest. protobuf's C++ reader, and so
 * onnxruntime and onnx.load, refuse messages nested more than 100 deep (CodedInputStream's default recursion limit);
 * each subgraph level is three messages (graph, node, attribute) and a typed graph output five more (value_info,
 * type, tensor type, shape, dimension), so a subgraph at level 32 with a typed output is already refused there
 * (onnxruntime 1.30 loads 31 levels of If and refuses 32: tests/fuzz/fuzz.test.ts). The limit also keeps every
 * recursive walk over subgraphs shallow (a 5,000-level file overflowed the stack before).
 */
export const MAX_SUBGRAPH_DEPTH = 31;

/** The error for a model whose subgraphs nest deeper than MAX_SUBGRAPH_DEPTH. */
export function nestingError(where: string): OnnxFormatError {
  return new OnnxFormatError(
    `subgraphs are nested more than ${MAX_SUBGRAPH_DEPTH} levels deep (${where}); protobuf readers such as onnxruntime's refuse messages nested this deep`,
  );
}

/** Subgraph nesting of the parseGraph call in progress (0 = the main graph). */
let graphDepth = -1;

export function parseGraph(buf: Uint8Array, f: Field, ctx: Ctx): GraphView {
  if (graphDepth >= MAX_SUBGRAPH_DEPTH)
    throw nestingError(`inside ${ctx.length >= 3 ? `${ctx[ctx.length - 3]} ${ctx[ctx.length - 2]}` : describe(ctx)}`);
  graphDepth++;
  try {
    return parseGraphBody(buf, f, ctx);
  } finally {
    graphDepth--;
  }
}

function parseGraphBody(buf: Uint8Array, f: Field, ctx: Ctx): GraphView {
  const fields = fieldsOf(buf, f.vstart, f.end, ctx, 'graph');
  const g: GraphView = {
    buf,
    fields,
    name: '',
    nodes: [],
    initializers: [],
    sparseInitializers: [],
    inputs: [],
    outputs: [],
    valueInfo: [],
    docString: '',
  };
  for (const sf of fields) if (sf.no === GRAPH.name && sf.wt === WT_LEN) g.name = fieldString(buf, sf);
  const gctx = g.name ? [...ctx.slice(0, -1), `graph '${g.name}'`] : ctx;
  for (const sf of fields) {
    switch (sf.no) {
      case GRAPH.node:
        expectLen(sf, 'node', gctx);
        g.nodes.push(parseNode(buf, sf, gctx));
        break;
      case GRAPH.initializer:
        expectLen(sf, 'initializer', gctx);
        g.initializers.push(parseTensor(buf, sf, gctx, 'initializer'));
        break;
      case GRAPH.sparseInitializer:
        expectLen(sf, 'sparse_initializer', gctx);
        g.sparseInitializers.push({ buf, fields: fieldsOf(buf, sf.vstart, sf.end, [...gctx, 'a sparse initializer'], 'other') });
        break;
      case GRAPH.input:
        expectLen(sf, 'input', gctx);
        g.inputs.push(parseValueInfo(buf, sf, gctx));
        break;
      case GRAPH.output:
        expectLen(sf, 'output', gctx);
        g.outputs.push(parseValueInfo(buf, sf, gctx));
        break;
      case GRAPH.valueInfo:
        expectLen(sf, 'value_info', gctx);
        g.valueInfo.push(parseValueInfo(buf, sf, gctx));
        break;
      case GRAPH.docString:
        if (sf.wt === WT_LEN) g.docString = fieldString(buf, sf);
        break;
      default:
        break;
    }
  }
  return g;
}

export function parseNode(buf: Uint8Array, f: Field, ctx: Ctx): NodeView {
  const fields = fieldsOf(buf, f.vstart, f.end, [...ctx, 'a node'], 'node');
  const n: NodeView = { buf, fields, name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  for (const sf of fields) {
    if (sf.wt !== WT_LEN) continue;
    if (sf.no === NODE.name) n.name = fieldName(buf, sf, 'the node name');
    else if (sf.no === NODE.opType) n.opType = fieldName(buf, sf, 'the op type');
    else if (sf.no === NODE.domain) n.domain = fieldName(buf, sf, 'the node domain');
    else if (sf.no === NODE.input) n.inputs.push(fieldName(buf, sf, 'the node input'));
    else if (sf.no === NODE.output) n.outputs.push(fieldName(buf, sf, 'the node output'));
  }
  const nctx = [...ctx, `node '${n.name || n.outputs[0] || '?'}' (${n.opType})`];
  for (const sf of fields) if (sf.no === NODE.attribute && sf.wt === WT_LEN) n.attributes.push(parseAttribute(buf, sf, nctx));
  return n;
}

function parseAttribute(buf: Uint8Array, f: Field, ctx: Ctx): AttributeView {
  const fields = fieldsOf(buf, f.vstart, f.end, [...ctx, 'an attribute'], 'attr');
  const a: AttributeView = { buf, fields, name: '', type: 0 };
  for (const sf of fields) if (sf.no === ATTR.name && sf.wt === WT_LEN) a.name = fieldName(buf, sf, 'the attribute name');
  const actx = [...ctx, `attribute '${a.name}'`];
  for (const sf of fields) {
    switch (sf.no) {
      case ATTR.type:
        a.type = fieldInt(buf, sf);
        break;
      case ATTR.i:
        a.i = fieldInt(buf, sf);
        break;
      case ATTR.f:
        a.f = fieldFloat(buf, sf);
        break;
      case ATTR.s:
        if (sf.wt === WT_LEN) a.s = fieldBytes(buf, sf);
        break;
      case ATTR.ints:
        pushInts(buf, sf, (a.ints ??= []));
        break;
      case ATTR.floats:
        pushFloats(buf, sf, (a.floats ??= []));
        break;
      case ATTR.t:
        expectLen(sf, 'tensor attribute', actx);
        a.t = parseTensor(buf, sf, actx, 'tensor');
        break;
      case ATTR.tensors:
        expectLen(sf, 'tensor attribute', actx);
        (a.tensors ??= []).push(parseTensor(buf, sf, actx, 'tensor'));
        break;
      case ATTR.g:
        expectLen(sf, 'graph attribute', actx);
        a.g = parseGraph(buf, sf, [...actx, 'subgraph']);
        break;
      case ATTR.graphs:
        expectLen(sf, 'graph attribute', actx);
        (a.graphs ??= []).push(parseGraph(buf, sf, [...actx, 'subgraph']));
        break;
      default:
        break;
    }
  }
  return a;
}

export function parseTensor(buf: Uint8Array, f: Field, ctx: Ctx, label: string): TensorView {
  const fields = fieldsOf(buf, f.vstart, f.end, [...ctx, `an ${label}`], 'tensor');
  const t: TensorView = { buf, fields, name: '', dims: [], dataType: 0, rawData: null, data: null, typedFields: [], external: null };
  let location = 0;
  const ext: Record<string, string> = {};
  const readExternal = (b: Uint8Array, sf: Field) => {
    if (sf.no === TENSOR.externalData && sf.wt === WT_LEN) {
      const e = parseStringEntry(b, sf);
      ext[e.key] = e.value;
    } else if (sf.no === TENSOR.dataLocation) location = fieldInt(b, sf);
  };
  for (const sf of fields) {
    switch (sf.no) {
      case HOLE_FIELD: {
        const info = skeletonInfo(buf);
        if (!info || sf.wt !== WT_LEN) break;
        const h = decodeHole(buf, sf.vstart, sf.end, info);
        if (h.source) t.data = { source: h.source, offset: h.offset, length: h.length };
        if (h.kind === 'external') for (const ef of readFields(h.extra, 0, h.extra.length)) readExternal(h.extra, ef);
        break;
      }
      case TENSOR.dims:
        pushInts(buf, sf, t.dims);
        break;
      case TENSOR.dataType:
        t.dataType = fieldInt(buf, sf);
        break;
      case TENSOR.name:
        if (sf.wt === WT_LEN) t.name = fieldName(buf, sf, 'the tensor name');
        break;
      case TENSOR.rawData:
        if (sf.wt === WT_LEN) t.rawData = fieldBytes(buf, sf);
        break;
      case TENSOR.floatData:
      case TENSOR.int32Data:
      case TENSOR.stringData:
      case TENSOR.int64Data:
      case TENSOR.doubleData:
      case TENSOR.uint64Data:
        t.typedFields.push(sf);
        break;
      case TENSOR.externalData:
      case TENSOR.dataLocation:
        readExternal(buf, sf);
        break;
      default:
        break;
    }
  }
  for (const d of t.dims)
    if (d < 0 || !Number.isSafeInteger(d))
      throw new OnnxFormatError(`${label} '${t.name}' has an invalid dimension ${d} (inside ${describe(ctx)})`);
  if (location === ENUM.TensorProto_DataLocation.EXTERNAL) {
    if (!ext.location) throw new OnnxFormatError(`${label} '${t.name}' is stored externally but names no file (location)`);
    t.external = {
      location: ext.location,
      offset: ext.offset ? Number(ext.offset) : 0,
      length: ext.length ? Number(ext.length) : null,
      ...(ext.checksum ? { checksum: ext.checksum } : {}),
    };
  }
  return t;
}

function parseValueInfo(buf: Uint8Array, f: Field, ctx: Ctx): ValueInfoView {
  const fields = fieldsOf(buf, f.vstart, f.end, [...ctx, 'a value_info'], 'other');
  const v: ValueInfoView = { buf, fields, name: '', elemType: 0, shape: null, kind: 'unknown' };
  for (const sf of fields) {
    if (sf.wt !== WT_LEN) continue;
    if (sf.no === VALUE_INFO.name) v.name = fieldName(buf, sf, 'the value name');
    else if (sf.no === VALUE_INFO.type) parseType(buf, sf, v, [...ctx, `value '${v.name}'`]);
  }
  return v;
}

function parseType(buf: Uint8Array, f: Field, v: ValueInfoView, ctx: Ctx): void {
  for (const sf of fieldsOf(buf, f.vstart, f.end, ctx, 'other')) {
    if (sf.wt !== WT_LEN) continue;
    if (sf.no === TYPE.tensorType || sf.no === TYPE.sparseTensorType) {
      v.kind = sf.no === TYPE.tensorType ? 'tensor' : 'sparse_tensor';
      // TypeProto.Tensor and TypeProto.SparseTensor share their field numbers (elem_type, shape).
      for (const tf of fieldsOf(buf, sf.vstart, sf.end, ctx, 'other')) {
        if (tf.no === TENSOR_TYPE.elemType) v.elemType = fieldInt(buf, tf);
        else if (tf.no === TENSOR_TYPE.shape && tf.wt === WT_LEN) {
          v.shape = [];
          for (const df of fieldsOf(buf, tf.vstart, tf.end, ctx, 'other')) {
            if (df.no !== SHAPE.dim || df.wt !== WT_LEN) continue;
            const d: DimView = {};
            for (const xf of fieldsOf(buf, df.vstart, df.end, ctx, 'other')) {
              if (xf.no === DIM.dimValue) d.value = fieldInt(buf, xf);
              else if (xf.no === DIM.dimParam && xf.wt === WT_LEN) d.param = fieldName(buf, xf, 'the dimension name');
            }
            v.shape.push(d);
          }
        }
      }
    } else if (sf.no === TYPE.sequenceType) v.kind = 'sequence';
    else if (sf.no === TYPE.mapType) v.kind = 'map';
    else if (sf.no === TYPE.optionalType) v.kind = 'optional';
  }
}

/** The name of a sparse initializer (its SparseTensorProto.values tensor's name), or null when it has none. */
export function sparseInitializerName(s: Span): string | null {
  const values = s.fields.find((f) => f.no === FIELD.SparseTensorProto.values && f.wt === WT_LEN);
  if (!values) return null;
  const name = readFields(s.buf, values.vstart, values.end).find((f) => f.no === TENSOR.name && f.wt === WT_LEN);
  return name ? fieldName(s.buf, name, 'the sparse initializer name') : null;
}

/** The key of a metadata_props entry (StringStringEntryProto) given as its field `f` in `buf`; '' when absent. */
export function metadataKey(buf: Uint8Array, f: Field): string {
  for (const sf of readFields(buf, f.vstart, f.end)) if (sf.no === STRING_ENTRY.key && sf.wt === WT_LEN) return fieldString(buf, sf);
  return '';
}

/** The subgraphs a node holds (GRAPH and GRAPHS attributes: If branches, Loop / Scan bodies), in attribute order. */
export function subgraphsOf(n: NodeView): GraphView[] {
  const out: GraphView[] = [];
  for (const a of n.attributes) {
    if (a.g) out.push(a.g);
    if (a.graphs) out.push(...a.graphs);
  }
  return out;
}

/** Visits a graph and all its subgraphs (If/Loop/Scan bodies), depth first. */
export function forEachGraph(g: GraphView, fn: (g: GraphView, depth: number) => void, depth = 0): void {
  fn(g, depth);
  for (const n of g.nodes)
    for (const a of n.attributes) {
      if (a.g) forEachGraph(a.g, fn, depth + 1);
      if (a.graphs) for (const sg of a.graphs) forEachGraph(sg, fn, depth + 1);
    }
}
