/**
 * Opening a model of any size from a random-access source. The file is scanned once, front to back, reading only
 * its structure: every tensor payload of at least `holeThreshold` bytes (raw_data) is skipped, not read, and every
 * external-data reference is resolved against the files given with the model. What stays in memory is a
 * *skeleton*: the model's bytes with each skipped payload / external reference replaced by a small placeholder
 * field (a "hole") that records where the bytes live. `parseModel` reads the skeleton like any model; tensors with
 * a hole get `data` (source, offset, length) instead of `rawData`; the writer expands holes back into raw_data
 * pieces that are read lazily. So an unchanged model writes back byte-identical (inline data), and external data
 * always comes back inline (no output ever references the input's data file).
 */
import { OnnxFormatError } from './errors.js';
import { type ModelFiles, resolveExternal } from '../io/files.js';
import { type ByteSource, bytesSource } from '../io/source.js';
import { MAX_SUBGRAPH_DEPTH, type ModelView, nestingError, parseModel } from './model.js';
import { WT_I32, WT_I64, WT_LEN, WT_VARINT, bytesWord, decodeUtf8, fmtBytes, fmtInt, readVarint, tagOf, utf8Text } from './wire.js';
import { dtypeBits } from './dtypes.js';
import { ENUM, FIELD } from './schema.generated.js';
import { sniffNotOnnx } from './sniff.js';
import { HOLE_EXTERNAL, HOLE_FIELD, HOLE_INLINE, holeField, registerSkeleton, varintArray as varint } from './skeleton.js';
import { concatParts } from './writer.js';
import { yieldToEventLoop } from '../io/write.js';

/** A problem with a model's external data, found while opening it (the card lists them; modes refuse). */
export interface ExternalDataProblem {
  tensor: string;
  location: string;
  message: string;
}

export interface OpenOptions {
  /** raw_data payloads at least this big are left in the file (default 64 KiB; in-memory sources: never). */
  holeThreshold?: number;
  signal?: AbortSignal;
  /** Bytes of the model file scanned so far (the skipped payloads count as scanned). */
  onProgress?: (done: number, total: number) => void;
}

/** The opened model plus what opening it found out. */
export interface OpenedModel {
  model: ModelView;
  /** Size of the .onnx file. */
  modelBytes: number;
  /** Bytes of external data the model references (sum of tensor lengths). */
  externalBytes: number;
  /** The external-data files used, by path, with their sizes. */
  externalFiles: { path: string; bytes: number }[];
  problems: ExternalDataProblem[];
}

// Which length-delimited fields hold messages the scanner descends into, by message kind.
type Kind = 'model' | 'graph' | 'function' | 'node' | 'attribute' | 'tensor' | 'sparse';
const { ModelProto: M, GraphProto: G, FunctionProto: F, NodeProto: N, AttributeProto: A, SparseTensorProto: S, TensorProto: T } = FIELD;
const DESCEND: Record<Kind, Record<number, Kind>> = {
  model: { [M.graph]: 'graph', [M.functions]: 'function' },
  graph: { [G.node]: 'node', [G.initializer]: 'tensor', [G.sparseInitializer]: 'sparse' },
  function: { [F.node]: 'node' },
  node: { [N.attribute]: 'attribute' },
  attribute: {
    [A.t]: 'tensor',
    [A.g]: 'graph',
    [A.tensors]: 'tensor',
    [A.graphs]: 'graph',
    [A.sparseTensor]: 'sparse',
    [A.sparseTensors]: 'sparse',
  },
  sparse: { [S.values]: 'tensor', [S.indices]: 'tensor' },
  tensor: {},
};
const LABEL: Partial<Record<Kind, string>> = {
  graph: 'graph',
  node: 'node',
  tensor: 'initializer',
  function: 'function',
  attribute: 'attribute',
};
/** Field number of each kind's name, for messages. */
const NAME_NO: Partial<Record<Kind, number>> = { graph: G.name, node: N.name, tensor: T.name, function: F.name, attribute: A.name };

/** Errors raised inside a nested message (not at the model's top level): reported as they are. */
const NESTED = new WeakSet<Error>();
const TENSOR_RAW = T.rawData;
const TENSOR_EXTERNAL = T.externalData;
const TENSOR_LOCATION = T.dataLocation;
const TENSOR_DIMS = T.dims;
const TENSOR_TYPE = T.dataType;
const EXTERNAL = ENUM.TensorProto_DataLocation.EXTERNAL;
const STRING_ENTRY = FIELD.StringStringEntryProto;
const WINDOW = 64 * 1024;

/** A skeleton under construction: byte chunks, nested length-delimited messages, and holes. */
type SPart = Uint8Array | { no: number; parts: SPart[]; size?: number } | { hole: Uint8Array };

function sizeOf(p: SPart): number {
  if (p instanceof Uint8Array) return p.length;
  if ('hole' in p) return p.hole.length;
  if (p.size === undefined) p.size = p.parts.reduce((a, c) => a + sizeOf(c), 0);
  return varint(tagOf(p.no, WT_LEN)).length + varint(p.size).length + p.size;
}

function encode(parts: SPart[]): { bytes: Uint8Array; holes: number[] } {
  const total = parts.reduce((a, p) => a + sizeOf(p), 0);
  const bytes = new Uint8Array(total);
  const holes: number[] = [];
  let o = 0;
  const put = (p: SPart): void => {
    if (p instanceof Uint8Array) {
      bytes.set(p, o);
      o += p.length;
    } else if ('hole' in p) {
      holes.push(o);
      bytes.set(p.hole, o);
      o += p.hole.length;
    } else {
      const tag = varint(tagOf(p.no, WT_LEN));
      const len = varint(p.size!);
      bytes.set(tag, o);
      bytes.set(len, o + tag.length);
      o += tag.length + len.length;
      for (const c of p.parts) put(c);
    }
  };
  for (const p of parts) put(p);
  return { bytes, holes };
}

/** A synchronous scan gives the event loop a turn at least this often (a signal, an abort get handled). */
const YIELD_MS = 25;

class Cursor {
  buf: Uint8Array = new Uint8Array(0);
  bufStart = 0;
  pos = 0;
  private lastYield = Date.now();
  constructor(
    readonly src: ByteSource,
    readonly signal?: AbortSignal,
  ) {
    if (src.bytes) this.buf = src.bytes;
  }
  get bufEnd(): number {
    return this.bufStart + this.buf.length;
  }
  /**
   * Makes [pos, pos + n) available (n clipped to the file's end), reading a window of up to 64 KiB. A source that
   * computes some of its bytes (ByteSource.readAheadEnd) is read only up to the first of them, at least one byte:
   * then less than n may be available.
   */
  async need(n: number): Promise<void> {
    let want = Math.min(n, this.src.size - this.pos);
    const stop = want > 0 ? this.src.readAheadEnd?.(this.pos) : undefined;
    if (stop !== undefined) want = Math.min(want, Math.max(1, stop - this.pos));
    if (this.pos >= this.bufStart && this.pos + want <= this.bufEnd) return;
    this.signal?.throwIfAborted();
    let len = Math.min(Math.max(want, WINDOW), this.src.size - this.pos);
    if (stop !== undefined) len = Math.min(len, Math.max(want, stop - this.pos));
    if (this.src.readSync) {
      // Reads that never wait never let the event loop run: a Ctrl-C would wait for the whole scan.
      if (Date.now() - this.lastYield > YIELD_MS) {
        await yieldToEventLoop();
        this.lastYield = Date.now();
        this.signal?.throwIfAborted();
      }
      this.buf = this.src.readSync(this.pos, len);
    } else this.buf = await this.src.read(this.pos, len, this.signal);
    this.bufStart = this.pos;
  }
  /** Are [pos, pos + n) in the buffer? */
  ready(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufEnd;
  }
  /**
   * A varint at pos (must be inside `end`), read from the buffer, which must hold 10 bytes from pos (`ready(10)`:
   * the longest varint); advances. The scanner's common case, without a promise per number.
   */
  varintNow(end: number): number {
    const buf = this.buf;
    let at = this.pos - this.bufStart;
    let r = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos + i >= end) throw new OnnxFormatError(`the data ends at byte ${fmtInt(this.pos + i)} in the middle of a number`);
      const b = buf[at++]!;
      r += (b & 0x7f) * mul;
      if (!(b & 0x80)) {
        this.pos += i + 1;
        return r;
      }
      mul *= 128;
    }
    throw new OnnxFormatError(`malformed number (varint longer than 10 bytes) at byte ${fmtInt(this.pos)}`);
  }
  /** A varint at pos (must be inside `end`); advances. */
  async varint(end: number): Promise<number> {
    if (!(this.pos >= this.bufStart && this.pos + 10 <= this.bufEnd)) await this.need(10);
    let r = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new OnnxFormatError(`the data ends at byte ${fmtInt(this.pos)} in the middle of a number`);
      if (this.pos >= this.bufEnd) await this.need(10 - i); // need() stopped short of computed bytes
      const b = this.buf[this.pos - this.bufStart]!;
      this.pos++;
      r += (b & 0x7f) * mul;
      if (!(b & 0x80)) return r;
      mul *= 128;
    }
    throw new OnnxFormatError(`malformed number (varint longer than 10 bytes) at byte ${fmtInt(this.pos - 10)}`);
  }
  /** Bytes [from, to) of the file as a view when they are in the buffer (valid until the next need()), else read. */
  async view(from: number, to: number): Promise<Uint8Array> {
    if (from >= this.bufStart && to <= this.bufEnd) return this.buf.subarray(from - this.bufStart, to - this.bufStart);
    return this.read(from, to);
  }
  /** Bytes [from, to) of the file, which must be at or before pos; copied unless the source is in memory. */
  async bytes(from: number, to: number): Promise<Uint8Array> {
    if (from >= this.bufStart && to <= this.bufEnd) {
      const v = this.buf.subarray(from - this.bufStart, to - this.bufStart);
      return this.src.bytes ? v : v.slice();
    }
    return this.read(from, to);
  }
  private async read(from: number, to: number): Promise<Uint8Array> {
    if (!this.src.readSync) return this.src.read(from, to - from, this.signal);
    this.signal?.throwIfAborted();
    return this.src.readSync(from, to - from);
  }
}

interface Ctx {
  labels: string[];
  /** Graphs entered so far (1 inside the main graph). */
  graphs: number;
}

class Scanner {
  readonly cur: Cursor;
  readonly sources: (ByteSource | null)[] = [];
  private readonly sourceIndex = new Map<string, number>();
  readonly problems: ExternalDataProblem[] = [];
  externalBytes = 0;
  readonly externalFiles = new Map<string, number>();
  private lastProgress = 0;
  /** Bytes missing from a truncated file, measured at the outermost message that was cut. */
  private missing: number | undefined;

  constructor(
    readonly files: ModelFiles,
    readonly threshold: number,
    readonly opts: OpenOptions,
  ) {
    this.cur = new Cursor(files.model, opts.signal);
    this.sources.push(null, files.model);
  }

  private where(ctx: Ctx): string {
    return ctx.labels.length ? ctx.labels[ctx.labels.length - 1]! : 'the model';
  }

  private overrun(no: number, fstart: number, vstart: number, len: number, end: number, ctx: Ctx, rawOf: string | null): OnnxFormatError {
    const size = this.files.model.size;
    const left = end - vstart;
    if (end === size && len < 2 ** 31) {
      const inner = rawOf ? `the raw data of ${rawOf}` : this.where(ctx);
      return new OnnxFormatError(
        `the file is truncated: it ends at byte ${fmtInt(size)} inside ${inner} (at least ${bytesWord(this.missing ?? vstart + len - size)} missing)`,
      );
    }
    const leftText = end === size ? `the file has ${fmtBytes(left)} left` : `its enclosing message has ${fmtBytes(left)} left`;
    return new OnnxFormatError(
      `a field claims ${fmtBytes(len)} but ${leftText} (field ${no} at byte ${fmtInt(fstart)} inside ${this.where(ctx)})`,
    );
  }

  private progress(): void {
    const p = this.opts.onProgress;
    if (!p) return;
    const now = Date.now();
    if (now - this.lastProgress < 50) return;
    this.lastProgress = now;
    p(Math.min(this.cur.pos, this.files.model.size), this.files.model.size);
  }

  private sourceFor(path: string, src: ByteSource): number {
    let i = this.sourceIndex.get(path);
    if (i === undefined) {
      i = this.sources.length;
      this.sources.push(src);
      this.sourceIndex.set(path, i);
      this.externalFiles.set(path, src.size);
    }
    return i;
  }

  /**
   * Scans one message body [cur.pos, end) of `kind`; returns its skeleton parts. Fields copied as they are form runs
   * (one part per run of neighbouring fields, not one per field); a run ends where a field becomes something else
   * (a nested message, a hole, external-data fields) and at the message's end.
   */
  async message(kind: Kind, end: number, ctx: Ctx): Promise<SPart[]> {
    const cur = this.cur;
    const parts: SPart[] = [];
    let name = '';
    let opType = '';
    // tensor: external-data fields, collected to be replaced by one hole.
    let extFields: Uint8Array[] | null = null;
    let extIndex = -1;
    let location = 0;
    const ext: Record<string, string> = {};
    // tensor: its shape and element type, for the byte size of external data that gives no length.
    const dims: number[] = [];
    let dataType = 0;
    const isTensor = kind === 'tensor';
    const descend = DESCEND[kind];
    const nameNo = NAME_NO[kind];
    const label = (): string => {
      const l = LABEL[kind];
      if (!l) return this.where(ctx);
      const what = isTensor && ctx.labels.length && /attribute/.test(ctx.labels[ctx.labels.length - 1]!) ? 'tensor' : l;
      return `${what}${name ? ` '${name}'` : ''}${opType ? ` (${opType})` : ''}`;
    };
    const inner = (graphs: number): Ctx => ({ labels: kind === 'model' ? ctx.labels : [...ctx.labels, label()], graphs });
    // The current run of fields copied as they are: [runStart, the field being read).
    let runStart = cur.pos;
    const endRun = async (at: number): Promise<void> => {
      if (at > runStart) parts.push(await cur.bytes(runStart, at));
    };
    while (cur.pos < end) {
      const fstart = cur.pos;
      const tag = cur.ready(10) ? cur.varintNow(end) : await cur.varint(end);
      const no = Math.floor(tag / 8);
      const wt = tag & 7;
      if (no === 0) throw new OnnxFormatError(`invalid field number 0 at byte ${fmtInt(fstart)}`);
      if (no === HOLE_FIELD) throw new OnnxFormatError(`field number ${HOLE_FIELD} at byte ${fmtInt(fstart)} is not supported`);
      if (wt === WT_VARINT) {
        const v = cur.ready(10) ? cur.varintNow(end) : await cur.varint(end);
        if (isTensor) {
          if (no === TENSOR_DIMS) dims.push(v);
          else if (no === TENSOR_TYPE) dataType = v;
          else if (no === TENSOR_LOCATION) {
            location = v;
            const field = await cur.bytes(fstart, cur.pos);
            await endRun(fstart);
            runStart = cur.pos;
            (extFields ??= []).push(field);
            if (extIndex < 0) extIndex = parts.length;
          }
        }
        continue;
      }
      if (wt === WT_I64 || wt === WT_I32) {
        const w = wt === WT_I64 ? 8 : 4;
        if (cur.pos + w > end)
          throw this.overrun(no, fstart, cur.pos, w, end, { labels: [...ctx.labels, label()], graphs: ctx.graphs }, null);
        cur.pos += w;
        continue;
      }
      if (wt !== WT_LEN) {
        const msg = `invalid protobuf wire type ${wt} for field ${no} at byte ${fmtInt(fstart)}`;
        throw new OnnxFormatError(kind === 'model' ? msg : `${msg}, inside ${label()}`);
      }
      const len = cur.ready(10) ? cur.varintNow(end) : await cur.varint(end);
      const vstart = cur.pos;
      const vend = vstart + len;
      const child = descend[no];
      const graphs = ctx.graphs + (child === 'graph' ? 1 : 0);
      if (graphs > MAX_SUBGRAPH_DEPTH + 1) throw nestingError(`inside ${label()} at byte ${fmtInt(fstart)}`);
      if (vend > end) {
        const here = inner(graphs);
        // A truncated file: name the innermost message the end falls in, by scanning what is there.
        if (child && end === this.files.model.size && len < 2 ** 31) {
          // The outermost cut message says how much is missing (as parseModel reports it).
          this.missing ??= vstart + len - end;
          await this.message(child, end, here).catch((e) => {
            if (e instanceof Error) NESTED.add(e);
            throw e;
          });
        }
        throw this.overrun(no, fstart, vstart, len, end, here, isTensor && no === TENSOR_RAW ? label() : null);
      }
      if (isTensor && no === TENSOR_RAW && len >= this.threshold) {
        const header = await cur.bytes(fstart, vstart);
        await endRun(fstart);
        parts.push({ hole: holeField(HOLE_INLINE, 1, vstart, len, header) });
        cur.pos = runStart = vend;
        this.progress();
        continue;
      }
      if (child) {
        await endRun(fstart);
        try {
          parts.push({ no, parts: await this.message(child, vend, inner(graphs)) });
        } catch (e) {
          if (e instanceof Error) NESTED.add(e);
          throw e;
        }
        runStart = cur.pos;
        continue;
      }
      // A field kept as it is; a few are looked into first (names for messages, a tensor's shape and external data).
      const looked =
        (no === nameNo || (kind === 'node' && no === N.opType)) && len < 4096
          ? 'name'
          : isTensor && (no === TENSOR_DIMS || no === TENSOR_EXTERNAL)
            ? 'tensor'
            : null;
      if (!looked) {
        cur.pos = vend;
        continue;
      }
      const value = await cur.view(vstart, vend);
      if (looked === 'name') {
        const text = utf8Text(value, 0, value.length);
        if (no === nameNo) name = text;
        else opType = text;
      } else if (no === TENSOR_DIMS) {
        // Packed dims; a malformed run is reported by parseModel (here the size is just not known).
        try {
          for (let p = 0; p < value.length;) {
            const [d, next] = readVarint(value, p, value.length);
            dims.push(d);
            p = next;
          }
        } catch {
          dims.push(NaN);
        }
      } else {
        const e = stringEntry(value);
        ext[e.key] = e.value;
        const field = await cur.bytes(fstart, vend);
        await endRun(fstart);
        runStart = vend;
        (extFields ??= []).push(field);
        if (extIndex < 0) extIndex = parts.length;
      }
      cur.pos = vend;
    }
    if (cur.pos !== end) throw new OnnxFormatError(`a field runs past the end of ${this.where(ctx)} at byte ${fmtInt(end)}`);
    await endRun(end);
    if (extFields) {
      const extra = concatParts(extFields);
      if (location === EXTERNAL) parts.splice(extIndex, 0, { hole: this.externalHole(name, ext, extra, tensorBytes(dims, dataType)) });
      else parts.splice(extIndex, 0, extra);
    }
    this.progress();
    return parts;
  }

  /**
   * The hole of an external-data reference. Without a `length` the tensor's bytes are `need` bytes from `offset`
   * (its shape times its element size), as onnxruntime reads them (tensorprotoutils.cc: the size to read is the
   * tensor's, and the file may go on after it); only a tensor whose size is not known from its type (strings) takes
   * the rest of the file.
   */
  private externalHole(tensor: string, ext: Record<string, string>, extra: Uint8Array, need: number | null): Uint8Array {
    const loc = ext.location ?? '';
    const offset = ext.offset !== undefined ? Number(ext.offset) : 0;
    let length = ext.length !== undefined ? Number(ext.length) : -1;
    const problem = (message: string): Uint8Array => {
      this.problems.push({ tensor, location: loc, message: `tensor '${tensor}' is stored in external data that ${message}` });
      return holeField(HOLE_EXTERNAL, 0, 0, 0, extra);
    };
    if (!loc) return problem('names no file (no location)');
    if (!Number.isSafeInteger(offset) || offset < 0) return problem(`has an invalid offset '${ext.offset}' in '${loc}'`);
    if (ext.length !== undefined && (!Number.isSafeInteger(length) || length < 0))
      return problem(`has an invalid length '${ext.length}' in '${loc}'`);
    const r = resolveExternal(loc, this.files.siblings);
    if ('problem' in r) return problem(r.problem);
    if (length < 0) length = need ?? r.source.size - offset;
    if (offset + length > r.source.size)
      return problem(
        `is too short: '${r.path}' is ${fmtInt(r.source.size)} bytes but the tensor needs bytes ${fmtInt(offset)}–${fmtInt(offset + length)}`,
      );
    this.externalBytes += length;
    return holeField(HOLE_EXTERNAL, this.sourceFor(r.path, r.source), offset, length, extra);
  }
}

/** Bytes a tensor of this shape and element type takes, or null when its type has no fixed width (or a dim is bad). */
function tensorBytes(dims: readonly number[], dataType: number): number | null {
  const bits = dtypeBits(dataType);
  if (!bits) return null;
  let n = 1;
  for (const d of dims) n *= d;
  const bytes = Math.ceil((n * bits) / 8);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

function stringEntry(b: Uint8Array): { key: string; value: string } {
  const out = { key: '', value: '' };
  let p = 0;
  while (p < b.length) {
    const tag = b[p++]!;
    let len = 0;
    let mul = 1;
    for (;;) {
      const x = b[p++] ?? 0;
      len += (x & 0x7f) * mul;
      if (!(x & 0x80) || p >= b.length) break;
      mul *= 128;
    }
    const v = decodeUtf8(b.subarray(p, p + len));
    if (tag === tagOf(STRING_ENTRY.key, WT_LEN)) out.key = v;
    else if (tag === tagOf(STRING_ENTRY.value, WT_LEN)) out.value = v;
    p += len;
  }
  return out;
}

/**
 * Opens a model from `files` (or a single source) without reading its tensor payloads. Throws OnnxFormatError for
 * anything that is not a well-formed ONNX model (with the same messages as parseModel); problems with external
 * data are returned in `problems` (not thrown) so the card can show them, and every mode refuses to run.
 */
export async function openModel(files: ModelFiles | ByteSource, opts: OpenOptions = {}): Promise<OpenedModel> {
  const mf: ModelFiles = 'model' in files ? files : { model: files, siblings: new Map() };
  const src = mf.model;
  // The first bytes, for recognising other file types (not past bytes a source would have to compute).
  const headBytes = Math.min(src.size, 4096, Math.max(1, src.readAheadEnd?.(0) ?? Infinity));
  const head = src.readSync ? src.readSync(0, headBytes) : await src.read(0, headBytes, opts.signal);
  const notOnnx = sniffNotOnnx(head, src.size);
  if (notOnnx) throw new OnnxFormatError(`not an ONNX model: ${notOnnx}`);
  const threshold = opts.holeThreshold ?? (src.bytes ? Infinity : 64 * 1024);
  const scanner = new Scanner(mf, threshold, opts);
  let parts: SPart[];
  try {
    parts = await scanner.message('model', src.size, { labels: [], graphs: 0 });
  } catch (e) {
    if (e instanceof OnnxFormatError && !NESTED.has(e) && !/truncated|claims/.test(e.message))
      throw new OnnxFormatError(`not an ONNX model: the bytes are not a protobuf ModelProto (${e.message})`);
    throw e;
  }
  opts.onProgress?.(src.size, src.size);
  const { bytes, holes } = encode(parts);
  const base = {
    modelBytes: src.size,
    externalBytes: scanner.externalBytes,
    externalFiles: [...scanner.externalFiles].map(([path, b]) => ({ path, bytes: b })),
    problems: scanner.problems,
  };
  if (!holes.length && src.bytes) return { model: parseModel(src.bytes), ...base };
  registerSkeleton(bytes, { sources: scanner.sources, holes });
  const model = parseModel(bytes);
  model.fileBytes = src.size;
  model.externalBytes = scanner.externalBytes;
  model.dataProblems = scanner.problems.map((p) => p.message);
  return { model, ...base };
}

/** Input size of a model: the .onnx file plus the external data it references. */
export function inputBytes(m: ModelView): number {
  return m.fileBytes + m.externalBytes;
}

/** Opens bytes already in memory (tests, small inputs); external data from `siblings` by relative path. */
export function openBytes(
  bytes: Uint8Array,
  name = 'model.onnx',
  siblings: Record<string, Uint8Array> = {},
  opts: OpenOptions = {},
): Promise<OpenedModel> {
  const sib = new Map(Object.entries(siblings).map(([k, v]) => [k, bytesSource(v, k)] as const));
  return openModel({ model: bytesSource(bytes, name), siblings: sib }, opts);
}
