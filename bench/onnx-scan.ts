/**
 * A minimal ONNX protobuf scanner for the bench (no node: imports, so the bench page uses it too): reads only the
 * headers of the graph's initializers through `read(position, length)`, skipping every tensor payload, so it costs
 * milliseconds at any model size and does not depend on the core's API.
 *   scanModel(read, size) -> { initializers, largestTensorBytes, externalFiles }
 * largestTensorBytes = max over graph initializers of product(dims) x element size (onnx.proto TensorProto.DataType;
 * 4-bit types count half a byte). externalFiles = the distinct `location`s of external-data initializers, in first-use
 * order. Throws on bytes that are not a protobuf message.
 */

export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

export interface ScanResult {
  initializers: number;
  largestTensorBytes: number;
  externalFiles: string[];
}

/** Bytes per element by TensorProto.DataType (onnx/onnx.proto3); 0 = string (no fixed size). */
const ELEM_BYTES: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  8: 0,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  14: 8,
  15: 16,
  16: 2,
  17: 1,
  18: 1,
  19: 1,
  20: 1,
  21: 0.5,
  22: 0.5,
  23: 0.5,
  24: 1,
};

/** A 64 KiB window over `read`. */
class Window {
  private buf: Uint8Array = new Uint8Array(0);
  private start = 0;
  constructor(
    private read: ReadAt,
    readonly size: number,
  ) {}

  async byte(pos: number): Promise<number> {
    if (pos < this.start || pos >= this.start + this.buf.length) {
      if (pos >= this.size) throw new Error(`unexpected end of the model at byte ${pos}`);
      this.buf = await this.read(pos, Math.min(1 << 16, this.size - pos));
      this.start = pos;
    }
    return this.buf[pos - this.start]!;
  }

  /** [value, next position]; values above 2^53 lose precision (fine for sizes). */
  async varint(pos: number): Promise<[number, number]> {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byte(pos++);
      v += (b & 0x7f) * mul;
      if (b < 0x80) return [v, pos];
      mul *= 128;
    }
    throw new Error(`bad varint before byte ${pos}`);
  }
}

type Field = { no: number; wire: number; value: number; start: number; end: number };

/** The fields of the message in [from, to): varints carry `value`, length-delimited ones their [start, end). */
async function* fields(w: Window, from: number, to: number): AsyncGenerator<Field> {
  let pos = from;
  while (pos < to) {
    const [key, p] = await w.varint(pos);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      const [value, q] = await w.varint(p);
      yield { no, wire, value, start: p, end: q };
      pos = q;
    } else if (wire === 2) {
      const [len, q] = await w.varint(p);
      if (q + len > to) throw new Error(`field ${no} at byte ${pos} runs past its message`);
      yield { no, wire, value: len, start: q, end: q + len };
      pos = q + len;
    } else if (wire === 1) pos = p + 8;
    else if (wire === 5) pos = p + 4;
    else throw new Error(`unsupported wire type ${wire} at byte ${pos}: not an ONNX model`);
  }
}

export async function scanModel(read: ReadAt, size: number): Promise<ScanResult> {
  const w = new Window(read, size);
  const utf8 = new TextDecoder();
  let initializers = 0;
  let largest = 0;
  const external: string[] = [];
  for await (const g of fields(w, 0, size)) {
    if (g.no !== 7 || g.wire !== 2) continue; // ModelProto.graph
    for await (const f of fields(w, g.start, g.end)) {
      if (f.no !== 5 || f.wire !== 2) continue; // GraphProto.initializer
      initializers++;
      let elems = 1;
      let dtype = 0;
      for await (const t of fields(w, f.start, f.end)) {
        if (t.no === 1 && t.wire === 0)
          elems *= t.value; // dims, unpacked
        else if (t.no === 1 && t.wire === 2) {
          for (let p = t.start; p < t.end;) {
            const [d, q] = await w.varint(p);
            elems *= d;
            p = q;
          }
        } else if (t.no === 2 && t.wire === 0) dtype = t.value;
        else if (t.no === 13 && t.wire === 2) {
          // external_data: StringStringEntryProto { key = 1, value = 2 }
          let key = '';
          let value = '';
          for await (const e of fields(w, t.start, t.end)) {
            const s = utf8.decode(await read(e.start, e.end - e.start));
            if (e.no === 1) key = s;
            else if (e.no === 2) value = s;
          }
          if (key === 'location' && !external.includes(value)) external.push(value);
        }
      }
      largest = Math.max(largest, elems * (ELEM_BYTES[dtype] ?? 0));
    }
  }
  return { initializers, largestTensorBytes: largest, externalFiles: external };
}
