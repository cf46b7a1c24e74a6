#!/usr/bin/env python3
"""What the reference FP16 converter does to our fixtures: onnxconverter-common's
convert_float_to_float16(model, keep_io_types=True), every other argument at its default.

For every real fixture (every manifest entry except the single-op ONNX node tests) it records whether the
float32 model loads and runs in onnxruntime, whether the reference converts it, and whether onnxruntime
loads and runs the result (with the error message when not), plus how far the outputs moved on a
deterministic input. Output: tests/golden/fp16/onnxconverter-common.json (small; committed).

Run through the wrapper, which creates the pinned venv .cache/fp16-venv/ first:
    bash scripts/fp16-compare/run.sh
"""
import hashlib
import json
import os
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import onnxconverter_common
from onnxconverter_common import float16

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
FIXTURES = os.environ.get('FIXTURES_DIR') or os.path.join(REPO, '.cache', 'fixtures')
OUT = os.path.join(REPO, 'tests', 'golden', 'fp16', 'onnxconverter-common.json')

# Token ids for the text model: "[CLS] the quick brown fox jumps over the lazy dog [SEP]" (bert-base-uncased vocab).
TOKENS = [101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 102]


def feeds_for(sess, name):
    rng = np.random.default_rng(1234)
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else None for d in i.shape]
        if i.type == 'tensor(string)':
            feeds[i.name] = np.array(['the quick brown fox jumps over the lazy dog'], dtype=object)
        elif i.name in ('input_ids',):
            feeds[i.name] = np.array([TOKENS], dtype=np.int64)
        elif i.name == 'attention_mask':
            feeds[i.name] = np.ones((1, len(TOKENS)), dtype=np.int64)
        elif i.name == 'token_type_ids':
            feeds[i.name] = np.zeros((1, len(TOKENS)), dtype=np.int64)
        elif i.name == 'sr':
            feeds[i.name] = np.array(16000, dtype=np.int64)
        elif name.startswith('silero'):
            if i.name == 'input':
                t = np.arange(512, dtype=np.float64)
                feeds[i.name] = (0.3 * np.sin(2 * np.pi * (200 + t) * t / 16000)).astype(np.float32)[None, :]
            else:  # h, c, state
                feeds[i.name] = np.zeros([d if d is not None else 1 for d in shape], dtype=np.float32)
        elif name.startswith('PP-OCR') or name.startswith('ppocr'):
            h = shape[2] or 48
            w = {'PP-OCRv4-det': 160, 'PP-OCRv4-rec': 160}.get(name, 192)
            if name == 'PP-OCRv4-det':
                h = 96
            y, x = np.mgrid[0:h, 0:w]
            stroke = ((y % 24 >= 6) & (y % 24 < 18) & ((x + 5 * (y // 24)) % 9 < 3) & (x > 8) & (x < w - 8))
            img = np.where(stroke, 0.1, 0.9).astype(np.float32)
            feeds[i.name] = np.broadcast_to((img - 0.5) / 0.5, (1, 3, h, w)).astype(np.float32).copy()
        else:
            feeds[i.name] = (rng.random([d if d is not None else 1 for d in shape]) * 2 - 1).astype(np.float32)
    return feeds


def try_session(model_bytes):
    try:
        so = ort.SessionOptions()
        so.log_severity_level = 3
        return ort.InferenceSession(model_bytes, so, providers=['CPUExecutionProvider']), None
    except Exception as e:  # noqa: BLE001 - the message is the data
        return None, short(e)


def short(e):
    msg = str(e).strip().replace(REPO, '<repo>')
    return msg if len(msg) <= 600 else msg[:600] + '...'


def main():
    manifest = json.load(open(os.path.join(FIXTURES, 'manifest.json')))
    cases = []
    for f in manifest['fixtures']:
        if f['kind'] == 'onnx-node-test':
            continue
        path = os.path.join(FIXTURES, f['path'])
        data = open(path, 'rb').read()
        case = {'fixture': f['name'], 'kind': f['kind'], 'sha256': hashlib.sha256(data).hexdigest()}
        s32, err = try_session(data)
        case['fp32'] = {'loads': s32 is not None, 'error': err}
        ref = {'converted': False, 'loads': False, 'runs': False, 'error': None}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                m16 = float16.convert_float_to_float16(onnx.load_from_string(data), keep_io_types=True)
            b16 = m16.SerializeToString()
            ref['converted'] = True
            ref['bytes'] = len(b16)
            ref['ratio'] = round(len(b16) / len(data), 4)
            s16, err16 = try_session(b16)
            ref['loads'] = s16 is not None
            ref['error'] = err16
            if s16 is not None and s32 is not None:
                feeds = feeds_for(s32, f['name'])
                o32 = s32.run(None, feeds)
                try:
                    o16 = s16.run(None, feeds)
                    ref['runs'] = True
                    diffs = {}
                    for meta, a, b in zip(s32.get_outputs(), o32, o16):
                        if a.dtype.kind == 'f':
                            a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
                            diffs[meta.name] = {
                                'maxAbsDiff': float(np.max(np.abs(a64 - b64))) if a64.size else 0.0,
                                'maxAbsRef': float(np.max(np.abs(a64))) if a64.size else 0.0,
                                'nonFinite': int(np.sum(~np.isfinite(b64))),
                            }
                    ref['outputs'] = diffs
                except Exception as e:  # noqa: BLE001
                    ref['error'] = short(e)
        except Exception as e:  # noqa: BLE001
            ref['error'] = 'conversion failed: ' + short(e)
        case['reference'] = ref
        cases.append(case)
        print(f"{f['name']:34s} fp32 loads={case['fp32']['loads']!s:5s} ref converted={ref['converted']!s:5s} "
              f"loads={ref['loads']!s:5s} runs={ref['runs']!s:5s} {(ref['error'] or '')[:100]}", file=sys.stderr)
    golden = {
        'generatedBy': 'scripts/fp16-compare/compare.py (bash scripts/fp16-compare/run.sh)',
        'reference': {
            'call': 'onnxconverter_common.float16.convert_float_to_float16(model, keep_io_types=True)',
            'defaults': {'min_positive_val': 1e-7, 'max_finite_val': 1e4, 'op_block_list': 'DEFAULT_OP_BLOCK_LIST'},
            'onnxconverter_common': onnxconverter_common.__version__,
            'onnx': onnx.__version__,
            'onnxruntime': ort.__version__,
            'numpy': np.__version__,
        },
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as fh:
        json.dump(golden, fh, indent=1)
        fh.write('\n')
    print('wrote', OUT, file=sys.stderr)


if __name__ == '__main__':
    main()
