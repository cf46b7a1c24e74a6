#!/usr/bin/env python3
"""Re-save a single-file ONNX model with its weights as ONNX external data, as the `onnx` package writes it.

Run by scripts/fixtures.mjs inside the pinned virtualenv in .cache/py/ (onnx 1.23.1):

  derive_external.py --src model.onnx --out-dir DIR --layout one-file|per-tensor

  one-file   : onnx.save(model, DIR/model.onnx, save_as_external_data=True, all_tensors_to_one_file=True,
               location='model.onnx_data', size_threshold=1024)
               -> DIR/model.onnx + DIR/model.onnx_data (tensors appended in initializer order, no padding).
  per-tensor : the same with all_tensors_to_one_file=False: one file per tensor, named after the tensor.
               onnx names a tensor whose name is not a valid file name (e.g. 'onnx::MatMul_793') with a random
               uuid1, which would make the fixture differ on every run; here such names get torch's
               legacy-exporter rule instead (each of \\ / : ? " < > | and onnx's ; , * replaced by '_', so
               'onnx__MatMul_793'), everything else as onnx.save does it (same threshold, same offsets).

Both outputs are byte-deterministic. The script then checks with onnxruntime that the derived model gives
exactly the original's output on a fixed input, and that every initializer's bytes are unchanged.
"""

import argparse
import os
import re
import sys

from bert_export import cpu_session, fresh_dir

INVALID = re.compile(r'[\\/:?"<>|;,*]')


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--layout", required=True, choices=["one-file", "per-tensor"])
    args = ap.parse_args()

    import numpy as np
    import onnx
    from onnx import external_data_helper as edh

    out_dir = fresh_dir(args.out_dir)
    out = os.path.join(out_dir, "model.onnx")

    model = onnx.load(args.src)
    originals = {t.name: t.raw_data for t in model.graph.initializer}
    if args.layout == "one-file":
        onnx.save(model, out, save_as_external_data=True, all_tensors_to_one_file=True,
                  location="model.onnx_data", size_threshold=1024)
    else:
        # edh.convert_model_to_external_data(all_tensors_to_one_file=False), minus the uuid1 names.
        used = set()
        for tensor in edh._get_initializer_tensors(model):
            if tensor.HasField("raw_data") and sys.getsizeof(tensor.raw_data) >= 1024:
                loc = tensor.name if edh._is_valid_filename(tensor.name) else INVALID.sub("_", tensor.name)
                if loc in used or not edh._is_valid_filename(loc):
                    print(f"derive_external: no unique file name for tensor {tensor.name!r}", file=sys.stderr)
                    return 1
                used.add(loc)
                edh.set_external_data(tensor, loc)
        onnx.save(model, out)

    # The derived model: same initializer bytes, loads, and gives the same output.
    back = onnx.load(out)
    for t in back.graph.initializer:
        if t.raw_data != originals[t.name]:
            print(f"derive_external: initializer {t.name} changed", file=sys.stderr)
            return 1
    onnx.checker.check_model(out)
    feeds = {
        "input_ids": np.array([[101, 7592, 2088, 2003, 1037, 3231, 102]], dtype=np.int64),
        "attention_mask": np.ones((1, 7), dtype=np.int64),
        "token_type_ids": np.zeros((1, 7), dtype=np.int64),
    }
    a = cpu_session(args.src).run(None, feeds)[0]
    b = cpu_session(out).run(None, feeds)[0]
    if not np.array_equal(a, b):
        print(f"derive_external: output differs from the original (max abs diff {np.max(np.abs(a - b))})", file=sys.stderr)
        return 1
    files = sorted(os.listdir(out_dir))
    print(f"derive_external: ok ({args.layout}, onnx {onnx.__version__}, {len(files)} files, same output as the original)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
