/** The repositories the fake Hub serves in the hub tests (real fixtures in the Hub's layout, plus a tiny model with external data). */
import { createServer } from 'node:net';
import { buildModel, rawBytes, values } from '../helpers/tiny-model.js';
import { FakeHub, type FakeRepo } from '../helpers/fake-hub.js';
import { MINILM, fixture, pathOf } from '../helpers/fixtures.js';

/** A local TCP port nothing listens on (opened, then closed): connecting to it is refused. */
export function closedPort(): Promise<number> {
  return new Promise<number>((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
}

export const MINILM_REPO = 'sentence-transformers/all-MiniLM-L6-v2';

/** y = (x · W1) · W2 with W1 in `model.onnx_data` (Optimum's name) and W2 in its own file `w2.bin` (per tensor). */
export function externalDataModel(): { model: Uint8Array; data: Uint8Array; w2: Uint8Array } {
  const w1 = { name: 'W1', dims: [4, 4], values: values(16, 7), storage: { file: 'model.onnx_data', offset: 0 } };
  const w2 = { name: 'W2', dims: [4, 2], values: values(8, 9), storage: { file: 'w2.bin', offset: 0 } };
  const model = buildModel({
    nodes: [
      { opType: 'MatMul', inputs: ['x', 'W1'], outputs: ['h'], name: 'mm1' },
      { opType: 'MatMul', inputs: ['h', 'W2'], outputs: ['y'], name: 'mm2' },
    ],
    inits: [w1, w2],
    inputs: [['x', 1, [1, 4]]],
    outputs: [['y', 1, [1, 2]]],
  });
  return { model, data: rawBytes(w1), w2: rawBytes(w2) };
}

export function minilmFiles(): FakeRepo['files'] {
  const f = fixture(MINILM);
  const extra = f.extra as Record<string, string>;
  return {
    'onnx/model.onnx': { disk: pathOf(f) },
    'tokenizer.json': { disk: pathOf(f, f.tokenizer!) },
    'tokenizer_config.json': { disk: pathOf(f, extra.tokenizerConfig!) },
    'config.json': { disk: pathOf(f, extra.config!) },
    '1_Pooling/config.json': { disk: pathOf(f, extra.poolingConfig!) },
    'README.md': { bytes: new TextEncoder().encode('# all-MiniLM-L6-v2\n') },
  };
}

/** A fresh fake Hub with: MiniLM (main and v1.0), a repo with two .onnx files, one with external data, a gated one. */
export function makeHub(cdnOrigin: string | null | 'none' = null): FakeHub {
  const ext = externalDataModel();
  const small = { disk: pathOf(fixture('openwakeword-hello-deepa')) };
  return new FakeHub(
    {
      [MINILM_REPO]: { files: minilmFiles(), revisions: ['main', 'v1.0', 'refs/pr/1'] },
      // A small real model (a wake-word head) with MiniLM's tokenizer files: the page's e2e downloads this one in full
      // (Playwright's route.fulfill cannot carry the 86 MB MiniLM body).
      'test/small': {
        files: {
          'onnx/model.onnx': small,
          'tokenizer.json': minilmFiles()['tokenizer.json']!,
          '1_Pooling/config.json': minilmFiles()['1_Pooling/config.json']!,
        },
      },
      'test/two-models': {
        files: { 'onnx/model_a.onnx': small, 'onnx/model_b.onnx': small, 'tokenizer.json': { bytes: new TextEncoder().encode('{}') } },
      },
      'test/external-data': {
        files: {
          'onnx/model.onnx': { bytes: ext.model },
          'onnx/model.onnx_data': { bytes: ext.data },
          'onnx/w2.bin': { bytes: ext.w2 },
          'onnx/unused.bin': { bytes: new Uint8Array(1000) },
        },
      },
      'test/missing-data': { files: { 'onnx/model.onnx': { bytes: ext.model }, 'onnx/model.onnx_data': { bytes: ext.data } } },
      'test/gated': { files: minilmFiles(), gated: true },
      'test/stalls': { files: { 'onnx/model.onnx': { disk: pathOf(fixture(MINILM)), stallAfter: 1 << 20 } } },
      'test/breaks': { files: { 'onnx/model.onnx': { disk: pathOf(fixture(MINILM)), breakAfter: 1 << 20 } } },
    },
    3,
    cdnOrigin,
  );
}
