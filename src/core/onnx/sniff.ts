/**
 * Recognises common files that are not ONNX models by their first bytes, so a user who dropped the wrong
 * file (or a renamed one) is told what it actually is. Returns null when nothing is recognised.
 */
/** `b` is the file's start (at least its first KB when the file is bigger); `fileSize` its total size. */
export function sniffNotOnnx(b: Uint8Array, fileSize = b.length): string | null {
  if (b.length === 0) return 'the file is empty';
  const ascii = (off: number, s: string) => s.split('').every((c, i) => b[off + i] === c.charCodeAt(0));
  if (ascii(0, 'PK\x03\x04') || ascii(0, 'PK\x05\x06'))
    return 'the file starts with a ZIP header (a zip archive, or a PyTorch .pt/.pth checkpoint); unzip it and drop the .onnx inside';
  if (b[0] === 0x1f && b[1] === 0x8b) return 'the file starts with a gzip header; decompress it first';
  if (ascii(0, 'GGUF')) return 'the file is a GGUF model (llama.cpp), not ONNX';
  if (ascii(4, 'TFL3')) return 'the file is a TensorFlow Lite model, not ONNX';
  if (ascii(0, '\x89HDF')) return 'the file is HDF5 (e.g. a Keras .h5 model), not ONNX';
  if (ascii(0, '\x89PNG')) return 'the file is a PNG image';
  if (ascii(0, '%PDF')) return 'the file is a PDF document';
  if (ascii(0, '\x7fELF')) return 'the file is an executable (ELF)';
  if (ascii(0, 'version https://git-lfs')) return 'the file is a Git LFS pointer, not the model itself (fetch it with git lfs pull)';
  if (b.length >= 10) {
    // safetensors: 8-byte little-endian header length, then a JSON object
    const n = b[0]! + b[1]! * 2 ** 8 + b[2]! * 2 ** 16 + b[3]! * 2 ** 24 + b[4]! * 2 ** 32;
    if (b[5] === 0 && b[6] === 0 && b[7] === 0 && b[8] === 0x7b && n > 1 && n < fileSize)
      return 'the file is a safetensors weights file; export the model to ONNX first';
  }
  let i = 0;
  while (
    i < b.length &&
    i < 64 &&
    (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09 || b[i] === 0xef || b[i] === 0xbb || b[i] === 0xbf)
  )
    i++;
  if (b[i] === 0x7b || b[i] === 0x5b) return 'the file is JSON text (e.g. tokenizer.json or config.json), not a model';
  if (b[i] === 0x3c) return 'the file is HTML or XML text (perhaps an error page saved instead of the model)';
  // Mostly printable text in the first KB: not a protobuf.
  const n = Math.min(b.length, 1024);
  let printable = 0;
  for (let j = 0; j < n; j++) {
    const c = b[j]!;
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  }
  if (n >= 16 && printable === n) return 'the file is plain text, not a binary ONNX model';
  return null;
}
