#!/usr/bin/env python3
"""Export all-MiniLM-L6-v2 (BERT) to a single-file fp32 ONNX model.

Run by scripts/fixtures.mjs inside the pinned virtualenv in .cache/py/.
Mirrors Optimum's / sentence-transformers' "feature-extraction" export (scripts/bert_export.py, shared with
scripts/make_synthetic.py):

  inputs : input_ids, attention_mask, token_type_ids  int64 [batch_size, sequence_length]
  output : last_hidden_state                          float32 [batch_size, sequence_length, 384]
  opset 14, TorchScript (legacy) exporter, eager attention (MatMul/Softmax graph,
  as in the widely used Optimum/transformers.js exports), constant folding on,
  weights embedded (no external data).

After exporting it checks, with onnxruntime, that the ONNX output matches the
PyTorch model's last_hidden_state (max abs diff < 1e-4) on a few sentences, and
writes reference.json (token ids + PyTorch mean-pooled, L2-normalised sentence
embeddings) next to the model for the quality tests.

Usage: export_minilm.py --model-dir DIR --out OUT.onnx [--reference OUT.json]
"""

import argparse
import json
import os
import sys

from bert_export import OPSET, cpu_session, deterministic_torch, export_feature_extraction

TOL = 1e-4
SENTENCES = [
    "This is an example sentence.",
    "Each sentence is converted to a 384-dimensional vector.",
    "The quick brown fox jumps over the lazy dog.",
    "Quantization shrinks models while keeping embeddings close to the original.",
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reference", default=None)
    args = ap.parse_args()

    import numpy as np
    import torch
    import onnx
    import transformers
    from tokenizers import Tokenizer
    from transformers import BertModel

    deterministic_torch(0)

    model = BertModel.from_pretrained(args.model_dir, attn_implementation="eager", add_pooling_layer=False)
    model.eval()

    tok = Tokenizer.from_file(os.path.join(args.model_dir, "tokenizer.json"))
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    tok.enable_truncation(max_length=128)
    enc = tok.encode_batch(SENTENCES)
    input_ids = torch.tensor([e.ids for e in enc], dtype=torch.int64)
    attention_mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.int64)
    token_type_ids = torch.tensor([e.type_ids for e in enc], dtype=torch.int64)

    out_path = os.path.abspath(args.out)
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    tmp_path = out_path + ".tmp"
    export_feature_extraction(model, tmp_path)

    # Must be one self-contained file.
    stray = [f for f in os.listdir(os.path.dirname(out_path)) if f.endswith(".data") or f.endswith(".onnx_data")]
    if stray:
        print(f"export_minilm: unexpected external data files: {stray}", file=sys.stderr)
        return 1
    m = onnx.load(tmp_path, load_external_data=False)
    for init in m.graph.initializer:
        if init.data_location == onnx.TensorProto.EXTERNAL:
            print(f"export_minilm: initializer {init.name} uses external data", file=sys.stderr)
            return 1
    onnx.checker.check_model(m)

    # Numerical sanity check vs PyTorch.
    with torch.no_grad():
        ref = model(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state.numpy()
    got = cpu_session(tmp_path).run(
        ["last_hidden_state"],
        {
            "input_ids": input_ids.numpy(),
            "attention_mask": attention_mask.numpy(),
            "token_type_ids": token_type_ids.numpy(),
        },
    )[0]
    if got.shape != ref.shape or got.shape[-1] != 384:
        print(f"export_minilm: shape mismatch onnx={got.shape} torch={ref.shape}", file=sys.stderr)
        return 1
    # Compare only real (non-padding) tokens, as padded positions are irrelevant.
    mask = attention_mask.numpy().astype(bool)
    diff = float(np.max(np.abs(got[mask] - ref[mask])))
    if not diff < TOL:
        print(f"export_minilm: ONNX vs PyTorch max abs diff {diff:.3g} >= {TOL}", file=sys.stderr)
        return 1
    os.replace(tmp_path, out_path)

    if args.reference:
        am = attention_mask.numpy()[..., None].astype(np.float32)
        pooled = (ref * am).sum(1) / np.clip(am.sum(1), 1e-9, None)
        pooled = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        with open(args.reference, "w") as f:
            json.dump(
                {
                    "description": "PyTorch reference for all-MiniLM-L6-v2: mean pooling over attention_mask, then L2 normalisation",
                    "sentences": SENTENCES,
                    "input_ids": input_ids.tolist(),
                    "attention_mask": attention_mask.tolist(),
                    "embeddings": [[round(float(v), 7) for v in row] for row in pooled],
                },
                f,
            )
            f.write("\n")

    print(
        f"export_minilm: ok (torch {torch.__version__}, transformers {transformers.__version__}, "
        f"onnx {onnx.__version__}, opset {OPSET}, max abs diff {diff:.2e})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
