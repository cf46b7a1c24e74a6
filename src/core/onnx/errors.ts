import { AvaError } from '../errors.js';

/** A problem with the bytes the user gave us (kind 'format'). The message names the problem and is safe to show as text. */
export class OnnxFormatError extends AvaError {
  override name = 'OnnxFormatError';
  constructor(message: string) {
    super('format', message);
  }
}
