#!/usr/bin/env python3
"""Export held-out transformer models (random weights, seed 0) for the value_info / fusion check of
heldout_compare.py. Nothing here is a fixture or a golden: the models are written to --out (default
.cache/heldout/) and never committed.

Runs in the fixture venv (.cache/py: torch 2.13 CPU, transformers), through heldout.sh:

  bert-base-2l      BERT-base widths (hidden 768, 12 heads, FFN 3072, vocab 30522), 2 layers, opset 14
  xlmr-small        XLM-R (RoBERTa position ids: Equal/Not/CumSum), hidden 384, 6 heads, 4 layers, vocab 32000, opset 14
  minilm-opset17    all-MiniLM-L6-v2's config (random weights), opset 17: LayerNormalization ops instead of the
                    ReduceMean/Sub/Pow/Sqrt/Div decomposition

TorchScript exporter (dynamo=False), eager attention, dynamic batch and sequence axes, as Optimum / transformers.js
exports are made. (A dynamo opset-18 export needs onnxscript, which the fixture venv does not have.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def export(model, out: Path, opset: int, with_token_types: bool) -> None:
    import torch

    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 2088, 999, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if with_token_types else [])
    args = (ids, mask) + ((torch.zeros_like(ids),) if with_token_types else ())
    axes = {n: {0: "batch_size", 1: "sequence_length"} for n in names}
    axes["last_hidden_state"] = {0: "batch_size", 1: "sequence_length"}

    class Wrap(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *a):
            return self.m(*a).last_hidden_state

    torch.onnx.export(Wrap(model).eval(), args, str(out), input_names=names, output_names=["last_hidden_state"],
                      dynamic_axes=axes, opset_version=opset, do_constant_folding=True, dynamo=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(REPO / ".cache" / "heldout"))
    args = ap.parse_args()
    import torch
    from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

    torch.manual_seed(0)
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    minilm_cfg = REPO / ".cache" / "fixtures" / "text" / "all-MiniLM-L6-v2" / "config.json"
    made = {}

    cfg = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=2, num_attention_heads=12, intermediate_size=3072,
                     attn_implementation="eager")
    export(BertModel(cfg, add_pooling_layer=False).eval(), out / "bert-base-2l.onnx", 14, True)
    made["bert-base-2l"] = {"opset": 14, "token_type_ids": True}

    cfg = XLMRobertaConfig(vocab_size=32000, hidden_size=384, num_hidden_layers=4, num_attention_heads=6, intermediate_size=1536,
                           max_position_embeddings=514, pad_token_id=1, type_vocab_size=1, attn_implementation="eager")
    export(XLMRobertaModel(cfg, add_pooling_layer=False).eval(), out / "xlmr-small.onnx", 14, False)
    made["xlmr-small"] = {"opset": 14, "token_type_ids": False}

    cfg = BertConfig.from_json_file(str(minilm_cfg))
    cfg._attn_implementation = "eager"
    export(BertModel(cfg, add_pooling_layer=False).eval(), out / "minilm-opset17.onnx", 17, True)
    made["minilm-opset17"] = {"opset": 17, "token_type_ids": True}

    (out / "models.json").write_text(json.dumps(made, indent=1) + "\n")
    for name in made:
        print(f"[heldout] exported {out / (name + '.onnx')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
