"""What the export scripts share (scripts/export_minilm.py: the all-MiniLM-L6-v2 fixture; scripts/make_synthetic.py:
the benchmark's synthetic encoders), run inside the pinned virtualenv in .cache/py/.

The export mirrors Optimum's / sentence-transformers' "feature-extraction" export: torch.onnx.export with the legacy
TorchScript exporter (dynamo=False), opset 14, constant folding, inputs input_ids / attention_mask / token_type_ids
(int64 [batch_size, sequence_length]), output last_hidden_state, traced on a fixed 2x16 batch (the shape is made
symbolic by dynamic_axes). Byte-deterministic under deterministic_torch() with the pinned venv.
"""

import os
import shutil

OPSET = 14
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAME = "last_hidden_state"


def deterministic_torch(seed: int) -> None:
    """Seeded, deterministic, one thread (which also keeps constant folding byte-deterministic)."""
    import torch

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def export_feature_extraction(model, out_path: str, external_data: bool = False) -> None:
    """Exports a transformers encoder (eager attention, no pooling layer) to `out_path`; with `external_data`, torch's
    own layout (one file per tensor next to it)."""
    import torch

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, return_dict=False)[0]

    dyn = {0: "batch_size", 1: "sequence_length"}
    dummy = (
        torch.ones((2, 16), dtype=torch.int64) * 1000,
        torch.ones((2, 16), dtype=torch.int64),
        torch.zeros((2, 16), dtype=torch.int64),
    )
    with torch.no_grad():
        torch.onnx.export(
            Wrapper(model).eval(),
            dummy,
            out_path,
            dynamo=False,
            external_data=external_data,
            input_names=INPUT_NAMES,
            output_names=[OUTPUT_NAME],
            dynamic_axes={n: dyn for n in [*INPUT_NAMES, OUTPUT_NAME]},
            opset_version=OPSET,
            do_constant_folding=True,
        )


def cpu_session(path: str):
    """An onnxruntime CPU session with one intra-op thread."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def fresh_dir(path: str) -> str:
    """`path` as an absolute, empty, newly made directory (anything there before is removed)."""
    path = os.path.abspath(path)
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path
