#!/usr/bin/env python3
"""Make one SYNTHETIC text-embedding model for the benchmark: a real architecture and shape, random weights.

Run by scripts/synthetic.mjs inside the pinned virtualenv in .cache/py/:

  make_synthetic.py --spec JSON --out-dir DIR [--one-file-dir DIR2]

The spec names the transformers architecture ("bert" or "xlm-roberta") and its config (vocab, hidden size, layers,
heads, intermediate size, max positions). The weights are transformers' own initialisation (normal(0, 0.02) for
Linear and Embedding weights) under torch.manual_seed(spec.seed), with the biases and LayerNorm parameters then drawn
too (normal(0, 0.02) and normal(1, 0.02)), so that no two tensors are equal: torch's exporter would merge equal
initializers, and real models have none. They mean nothing; they only give the quantizers real sizes and shapes.

The export is the one scripts/export_minilm.py makes for the all-MiniLM-L6-v2 fixture (scripts/bert_export.py): torch.onnx.export with the
legacy TorchScript exporter (dynamo=False), opset 14, eager attention, constant folding, inputs input_ids /
attention_mask / token_type_ids (int64 [batch_size, sequence_length]), output last_hidden_state. Models under 2 GB
are one self-contained file. Above 2 GB torch writes model.onnx + one file per tensor (its own external-data
layout, in DIR); with --one-file-dir the same model is also re-saved by the onnx package as model.onnx + one
model.onnx_data (onnx.save(..., save_as_external_data=True, all_tensors_to_one_file=True,
location='model.onnx_data', size_threshold=1024)), the layout bge-m3 / multilingual-e5-large ship.

Each output is then loaded by onnxruntime and run on a short input (the outputs of the two layouts must be equal).
Prints one JSON line: {"seconds": {"init", "export", "oneFile", "check"}, "parameters", "largestTensorBytes",
"initializers", "externalData"}.
"""

import argparse
import json
import os
import sys
import time

from bert_export import cpu_session, deterministic_torch, export_feature_extraction, fresh_dir

TWO_GB = 2**31


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--one-file-dir", default=None)
    args = ap.parse_args()
    spec = json.loads(args.spec)

    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch
    from transformers import AutoConfig, AutoModel

    deterministic_torch(spec["seed"])

    t0 = time.perf_counter()
    config = AutoConfig.for_model(spec["architecture"], **spec["config"])
    model = AutoModel.from_config(config, attn_implementation="eager", add_pooling_layer=False)
    model.eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.normal_(0.0, 0.02)
            elif "LayerNorm" in name:
                p.normal_(1.0, 0.02)
    parameters = sum(p.numel() for p in model.parameters())
    t_init = time.perf_counter() - t0

    out_dir = fresh_dir(args.out_dir)
    out = os.path.join(out_dir, "model.onnx")
    big = parameters * 4 >= TWO_GB
    t0 = time.perf_counter()
    export_feature_extraction(model, out, external_data=big)
    t_export = time.perf_counter() - t0
    del model

    m = onnx.load(out, load_external_data=False)
    largest = 0
    external = set()
    for t in m.graph.initializer:
        size = int(np.prod(t.dims, dtype=np.int64)) * onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
        largest = max(largest, size)
        if t.data_location == onnx.TensorProto.EXTERNAL:
            external.add(next(e.value for e in t.external_data if e.key == "location"))
    if big != bool(external):
        print(f"make_synthetic: expected {'external data' if big else 'one self-contained file'}, got {len(external)} data files", file=sys.stderr)
        return 1
    n_init = len(m.graph.initializer)
    del m

    t_one = 0.0
    if args.one_file_dir:
        t0 = time.perf_counter()
        one_dir = fresh_dir(args.one_file_dir)
        full = onnx.load(out)
        onnx.save(full, os.path.join(one_dir, "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                  location="model.onnx_data", size_threshold=1024)
        del full
        t_one = time.perf_counter() - t0

    t0 = time.perf_counter()
    feeds = {
        "input_ids": np.array([[0, 581, 10269, 83, 10, 3034, 2]], dtype=np.int64),
        "attention_mask": np.ones((1, 7), dtype=np.int64),
        "token_type_ids": np.zeros((1, 7), dtype=np.int64),
    }
    results = []
    for path in [out] + ([os.path.join(os.path.abspath(args.one_file_dir), "model.onnx")] if args.one_file_dir else []):
        sess = cpu_session(path)
        y = sess.run(["last_hidden_state"], feeds)[0]
        del sess
        if y.shape != (1, 7, spec["config"]["hidden_size"]) or not np.all(np.isfinite(y)):
            print(f"make_synthetic: {path}: output shape {y.shape} or values are wrong", file=sys.stderr)
            return 1
        results.append(y)
    if len(results) == 2 and not np.array_equal(results[0], results[1]):
        print("make_synthetic: the one-file copy gives a different output", file=sys.stderr)
        return 1
    t_check = time.perf_counter() - t0

    print(json.dumps({
        "seconds": {"init": round(t_init, 2), "export": round(t_export, 2), "oneFile": round(t_one, 2), "check": round(t_check, 2)},
        "parameters": parameters,
        "largestTensorBytes": largest,
        "initializers": n_init,
        "externalDataFiles": len(external),
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
