/** The model cannot be quantized as asked; the message says why and what to do. (Its own module: numerics.ts throws it too.) */
export class Int8Refusal extends Error {
  override name = 'Int8Refusal';
}
