/**
 * The protobuf surface the core reads and writes is generated from the vendored onnx.proto
 * (third_party/onnx/onnx.proto, onnx 1.23.1) by scripts/gen-onnx-schema.ts. This test regenerates it and fails when
 * the committed module drifted from the .proto or the generator (run `npx tsx scripts/gen-onnx-schema.ts`).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { OUT_PATH, PROTO_PATH, generateSchema } from '../../scripts/gen-onnx-schema.js';
import { ENUM, FIELD, FIELDS_BY_WIRE_TYPE, ONNX_PROTO_VERSION } from '../../src/core/onnx/schema.generated.js';
import { DT } from '../../src/core/onnx/dtypes.js';
import { WT_I32, WT_I64, WT_LEN, WT_VARINT } from '../../src/core/onnx/wire.js';

const proto = readFileSync(PROTO_PATH, 'utf8');

describe('the generated ONNX schema module', () => {
  it('equals what the generator makes from the vendored onnx.proto (no drift)', () => {
    expect(readFileSync(OUT_PATH, 'utf8')).toBe(generateSchema(proto));
  });

  it('is onnx 1.23.1, the version the fixtures venv pins, with its license header kept', () => {
    expect(ONNX_PROTO_VERSION).toBe('1.23.1');
    expect(proto).toContain('SPDX-License-Identifier: Apache-2.0');
  });

  it('agrees field by field with protobufjs reflection of the same .proto (numbers, wire types, enums)', () => {
    const root = protobuf.parse(proto).root;
    root.resolveAll();
    const wtOf: Record<string, number> = { VARINT: WT_VARINT, I64: WT_I64, LEN: WT_LEN, I32: WT_I32 };
    const encodeTag = (type: protobuf.Type, field: string): number => {
      // Encode a message with only this field set and read its first byte(s): the tag protobufjs writes.
      const f = type.fields[field]!;
      const value = f.repeated ? [sample(f)] : sample(f);
      const bytes = type.encode(type.fromObject({ [field]: value })).finish();
      return protobuf.Reader.create(bytes).uint32();
    };
    const sample = (f: protobuf.Field): unknown =>
      f.resolvedType instanceof protobuf.Type
        ? {}
        : f.resolvedType instanceof protobuf.Enum
          ? 1
          : f.type === 'string'
            ? 'x'
            : f.type === 'bytes'
              ? 'eA=='
              : f.type === 'bool'
                ? true
                : 1;
    let checked = 0;
    for (const [msg, fields] of Object.entries(FIELD)) {
      const type = root.lookupType(`onnx.${msg.replace(/_/g, '.')}`);
      const wires = FIELDS_BY_WIRE_TYPE[msg as keyof typeof FIELDS_BY_WIRE_TYPE] as Record<string, readonly string[]>;
      for (const [name, no] of Object.entries(fields)) {
        const wt = Object.entries(wires).find(([, names]) => names.includes(name))![0];
        const tag = encodeTag(type, name);
        // protobufjs packs repeated scalars (LEN); proto2 writes them unpacked, with the scalar's own wire type.
        const repeatedScalar = type.fields[name]!.repeated && wt !== 'LEN';
        expect(tag >>> 3, `${msg}.${name}`).toBe(no);
        if (!repeatedScalar) expect(tag & 7, `${msg}.${name}`).toBe(wtOf[wt]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(root.lookupEnum('onnx.TensorProto.DataType').values).toEqual(ENUM.TensorProto_DataType);
    expect(root.lookupEnum('onnx.AttributeProto.AttributeType').values).toEqual(ENUM.AttributeProto_AttributeType);
  });

  it('gives the numbers onnx.proto documents for the fields the reader depends on', () => {
    expect(FIELD.ModelProto.graph).toBe(7);
    expect(FIELD.TensorProto.rawData).toBe(9);
    expect(FIELD.TensorProto.externalData).toBe(13);
    expect(FIELD.AttributeProto.type).toBe(20);
    expect(DT.FLOAT16).toBe(10);
    expect(ENUM.TensorProto_DataLocation.EXTERNAL).toBe(1);
  });
});
