/** The one user-facing error type (src/core/errors.ts): kinds, and how an error crosses a worker boundary. */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { AvaError, FileReadError, asAvaError, errorKind, toErrorData } from '../../src/core/errors.js';
import { HashFormatError } from '../../src/core/batch/hashing.js';
import { ManifestError } from '../../src/core/batch/manifest.js';
import { ZipError } from '../../src/core/batch/zip.js';
import { Fp16OptionError } from '../../src/core/fp16/index.js';
import { Int8Refusal } from '../../src/core/int8/index.js';
import { OnnxFormatError } from '../../src/core/onnx/errors.js';
import { InvalidGraphError } from '../../src/core/onnx/validate.js';

describe('AvaError kinds', () => {
  it('every user-facing error class is an AvaError with its kind, keeping its name', () => {
    const cases: [AvaError, string, string][] = [
      [new OnnxFormatError('not an ONNX model'), 'format', 'OnnxFormatError'],
      [new InvalidGraphError('undefined-tensor', 'the model reads tensors nothing defines: x'), 'format', 'OnnxFormatError'],
      [new Int8Refusal('no default domain'), 'refused', 'Int8Refusal'],
      [new Fp16OptionError('maxFinite must be in (0, 65504]'), 'options', 'Fp16OptionError'],
      [new FileReadError('could not read the file: gone'), 'read', 'FileReadError'],
      [new HashFormatError('not a checksum'), 'format', 'HashFormatError'],
      [new ZipError('bad name'), 'zip', 'ZipError'],
      [new ManifestError('bad manifest'), 'zip', 'ManifestError'],
    ];
    for (const [e, kind, name] of cases) {
      expect(e).toBeInstanceOf(AvaError);
      expect(e).toMatchObject({ kind, name });
      expect(errorKind(e)).toBe(kind);
      expect(toErrorData(e)).toEqual({ avaError: 1, kind, name, message: e.message });
    }
  });

  it('cancels, browser read failures and anything else', () => {
    expect(asAvaError(new DOMException('x', 'AbortError'))).toMatchObject({ kind: 'abort', message: 'cancelled' });
    expect(asAvaError(new DOMException('gone', 'NotReadableError'))).toMatchObject({
      kind: 'read',
      message: 'could not read the file: gone',
    });
    const internal = asAvaError(new TypeError('x is undefined'));
    expect(internal).toMatchObject({ kind: 'internal', message: 'internal error: x is undefined', name: 'TypeError' });
    expect(internal.stack).toMatch(/TypeError/);
    expect(asAvaError('str').message).toBe('internal error: str');
    expect(asAvaError(new Error('internal error: y')).message).toBe('internal error: y');
    const e = new Int8Refusal('kept');
    expect(asAvaError(e)).toBe(e);
  });

  it('crosses a real comlink channel as plain data and comes back with its kind, name and message', async () => {
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(
      {
        fail(kind: string) {
          throw toErrorData(kind === 'refused' ? new Int8Refusal('cannot quantize this model: why') : new RangeError('boom'));
        },
      },
      port2,
    );
    const api = Comlink.wrap<{ fail(kind: string): Promise<void> }>(port1);
    const got = await api.fail('refused').catch((e: unknown) => asAvaError(e));
    expect(got).toBeInstanceOf(AvaError);
    expect(got).toMatchObject({ kind: 'refused', name: 'Int8Refusal', message: 'cannot quantize this model: why' });
    const bug = await api.fail('bug').catch((e: unknown) => asAvaError(e));
    expect(bug).toMatchObject({ kind: 'internal', name: 'RangeError', message: 'internal error: boom' });
    port1.close();
  });
});
