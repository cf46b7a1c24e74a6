/** A problem with the bytes the user gave us. The message names the problem and is safe to show as text. */
export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
  constructor(message: string) {
    super(message);
  }
}
