import { AvaError } from '../errors.js';

/**
 * The model cannot be quantized as asked (kind 'refused'); the message says why and what to do. (Its own module:
 * numerics.ts throws it too.)
 */
export class Int8Refusal extends AvaError {
  override name = 'Int8Refusal';
  constructor(message: string) {
    super('refused', message);
  }
}
