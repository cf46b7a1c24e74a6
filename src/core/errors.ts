/**
 * The one user-facing error type. Every problem that is the input's or the options' fault (not a bug) is an
 * AvaError with a `kind`; its message names the problem and is safe to show as text. Subclasses keep their own
 * `name` (OnnxFormatError, Int8Refusal, …) for `instanceof` and logs, but code decides by `kind`:
 *
 *   kind               what                                            CLI exit   made by
 *   format             not a valid ONNX model / a damaged graph / bad    4        OnnxFormatError, InvalidGraphError,
 *                      checksum text                                              HashFormatError
 *   refused            the mode cannot do this model as asked            4        Int8Refusal
 *   options            bad option values                                 2        Fp16OptionError, OptionError
 *   read               the file could not be read                        3        FileReadError
 *   already-quantized  the input is already quantized (refused unless    4        AlreadyQuantizedError
 *                      forced)
 *   nothing-to-do      the mode would rewrite nothing                    4        NothingToQuantizeError
 *   zip                a name or size the zip / manifest refuses         1        ZipError, ManifestError
 *   tokenizer          a tokenizer / config file that cannot be used     2        (quality worker)
 *   abort              cancelled                                       130
 *   internal           a bug: the message starts with "internal error:" 1
 *
 * Across a worker boundary an error travels as plain data (ErrorData: structured-clone safe; comlink hands a thrown
 * non-Error value to the caller as it is): the worker throws `toErrorData(e)`, the page's bridge turns it back with
 * `asAvaError(e)`. No error is recognised by its name string.
 */

export type ErrorKind =
  'format' | 'refused' | 'options' | 'read' | 'already-quantized' | 'nothing-to-do' | 'zip' | 'tokenizer' | 'abort' | 'internal';

export class AvaError extends Error {
  override name: string = 'AvaError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The browser could not give us the file's bytes (moved, permissions, out of memory). */
export class FileReadError extends AvaError {
  override name = 'FileReadError';
  constructor(message: string) {
    super('read', message);
  }
}

/** An error as plain data, to cross a worker boundary. */
export interface ErrorData {
  avaError: 1;
  kind: ErrorKind;
  /** The original error's name (e.g. Int8Refusal), for logs. */
  name: string;
  message: string;
  /** Internal errors only. */
  stack?: string;
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

const nameOf = (e: unknown): string => (e && typeof e === 'object' && 'name' in e ? String((e as { name: unknown }).name) : '');

/** Browser file-reading failures (DOMException names), shown to the user as kind 'read'. */
const READ_FAILURES = new Set(['NotReadableError', 'NotFoundError']);

export const internalMessage = (message: string): string =>
  message.startsWith('internal error:') ? message : `internal error: ${message}`;

function isErrorData(e: unknown): e is ErrorData {
  return !!e && typeof e === 'object' && (e as { avaError?: unknown }).avaError === 1 && typeof (e as { kind?: unknown }).kind === 'string';
}

/** Any thrown value as ErrorData: AvaErrors keep kind and message, cancels become 'abort', the rest 'internal'. */
export function toErrorData(e: unknown): ErrorData {
  if (isErrorData(e)) return e;
  if (e instanceof AvaError) return { avaError: 1, kind: e.kind, name: e.name, message: e.message };
  const name = nameOf(e);
  if (name === 'AbortError') return { avaError: 1, kind: 'abort', name, message: 'cancelled' };
  if (READ_FAILURES.has(name)) return { avaError: 1, kind: 'read', name, message: `could not read the file: ${messageOf(e)}` };
  const data: ErrorData = { avaError: 1, kind: 'internal', name: name || 'Error', message: internalMessage(messageOf(e)) };
  if (e instanceof Error && e.stack) data.stack = e.stack;
  return data;
}

/** Any thrown value (an AvaError, ErrorData from a worker, an AbortError, anything else) as an AvaError. */
export function asAvaError(e: unknown): AvaError {
  if (e instanceof AvaError) return e;
  const d = toErrorData(e);
  const err = new AvaError(d.kind, d.message);
  err.name = d.name === 'Error' ? 'AvaError' : d.name;
  if (d.stack) err.stack = d.stack;
  return err;
}

/** The kind of any thrown value ('internal' for anything that is not an AvaError or a cancel). */
export function errorKind(e: unknown): ErrorKind {
  return toErrorData(e).kind;
}

/**
 * The input is already quantized (kind 'already-quantized'); refused unless forced. `evidence` is what the model
 * card's quantization detection found (src/core/onnx/inspect.ts), or our own provenance metadata.
 */
export class AlreadyQuantizedError extends AvaError {
  override name = 'AlreadyQuantizedError';
  constructor(
    message: string,
    readonly evidence: readonly string[],
  ) {
    super('already-quantized', message);
  }
}

/** The mode would rewrite nothing (kind 'nothing-to-do'): "nothing to quantize: …"; refused unless forced. */
export class NothingToQuantizeError extends AvaError {
  override name = 'NothingToQuantizeError';
  constructor(message: string) {
    super('nothing-to-do', message);
  }
}
