import { describe, expect, it } from 'vitest';
import { modelName, outputFileFor } from '../../src/app/names.js';

describe('modelName: the name a model goes by on the page', () => {
  it('a Hugging Face layout is named after its repository folder', () => {
    expect(modelName('all-MiniLM-L6-v2/onnx/model.onnx')).toEqual({
      title: 'all-MiniLM-L6-v2',
      base: 'all-MiniLM-L6-v2',
      path: 'all-MiniLM-L6-v2/onnx/model.onnx',
    });
    expect(modelName('all-MiniLM-L6-v2/model.onnx').title).toBe('all-MiniLM-L6-v2');
    expect(modelName('e5\\onnx\\model.onnx').title).toBe('e5');
  });
  it('a variant of the generic name keeps the variant', () => {
    expect(modelName('bge/onnx/model_qint8_avx512.onnx')).toMatchObject({
      title: 'bge (model_qint8_avx512)',
      base: 'bge_model_qint8_avx512',
    });
  });
  it('a file with a name of its own keeps it, whatever folder it is in', () => {
    expect(modelName('models/more/hello_deepa.onnx')).toMatchObject({ title: 'hello_deepa.onnx', base: 'hello_deepa' });
    expect(modelName('all-MiniLM-L6-v2.onnx')).toMatchObject({ title: 'all-MiniLM-L6-v2.onnx', base: 'all-MiniLM-L6-v2' });
  });
  it('a generic name without a naming folder stays as it is', () => {
    expect(modelName('model.onnx')).toMatchObject({ title: 'model.onnx', base: 'model' });
    expect(modelName('onnx/model.onnx')).toMatchObject({ title: 'model.onnx', base: 'model' });
  });
  it('path separators and control characters never reach an output name', () => {
    expect(modelName('a\u0001b/model.onnx').base).toBe('a_b');
    expect(outputFileFor('x/../y', 'fp16')).toBe('x_.._y-FP16.onnx');
    expect(outputFileFor('all-MiniLM-L6-v2', 'int8')).toBe('all-MiniLM-L6-v2-INT8.onnx');
  });
});
