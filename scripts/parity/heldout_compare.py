#!/usr/bin/env python3
"""Held-out check of INT8 parity under onnxruntime's default session options (issue 11, kind 4).

For each model (the fixture all-MiniLM-L6-v2 plus the exports of heldout_export.py) and preset, quantizes with the
reference (onnxruntime 1.32 quantize_dynamic, this venv) and with AVA's CLI (`node bin/ava-quant.mjs`, and optionally
an older checkout given with --before, to measure what the change fixed), then runs every file on onnxruntime with
default session options (graph optimizations on; 1 intra-op thread) and reports:

  - the fused ops of the optimized graph (SkipLayerNormalization, LayerNormalization, Gelu, Attention, ...),
  - whether the optimized graph equals the reference's, op for op,
  - max |ours - reference| over the outputs and the minimum cosine of mean-pooled embeddings, on random token ids
    (batches of 2 x 16, 4 x 48, 1 x 128, 8 x 7; seed 0),
  - with optimizations disabled too (a control: the same nodes and weights give identical results),
  - whether value_info equals the reference's (compact per graph).

Run through heldout.sh (it exports the models first). Nothing is written outside --work (default .cache/heldout/).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

BATCHES = [(2, 16), (4, 48), (1, 128), (8, 7)]
FUSED = ["SkipLayerNormalization", "LayerNormalization", "Gelu", "FastGelu", "BiasGelu", "Attention", "EmbedLayerNormalization",
         "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "FusedMatMul"]


def session(path: Path, optimized: bool, opt_out: Path | None = None):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    if not optimized:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    elif opt_out is not None:
        so.optimized_model_filepath = str(opt_out)
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def op_counts(path: Path) -> collections.Counter:
    import onnx

    m = onnx.load(str(path), load_external_data=False)
    return collections.Counter(n.op_type for n in m.graph.node)


def feeds(sess, vocab: int):
    import numpy as np

    rng = np.random.default_rng(0)
    out = []
    for b, s in BATCHES:
        f = {}
        ids = rng.integers(5, vocab - 1, size=(b, s), dtype=np.int64)
        mask = np.ones((b, s), dtype=np.int64)
        if s > 8:
            mask[0, s // 2:] = 0  # one padded row
        for i in sess.get_inputs():
            f[i.name] = ids if i.name == "input_ids" else mask if i.name == "attention_mask" else np.zeros((b, s), np.int64)
        out.append(f)
    return out


def compare(a_path: Path, b_path: Path, vocab: int, optimized: bool) -> dict:
    import numpy as np

    with tempfile.TemporaryDirectory() as td:
        sa = session(a_path, optimized, Path(td) / "a.onnx" if optimized else None)
        sb = session(b_path, optimized, Path(td) / "b.onnx" if optimized else None)
        ca = op_counts(Path(td) / "a.onnx") if optimized else None
        cb = op_counts(Path(td) / "b.onnx") if optimized else None
    max_abs, min_cos = 0.0, 1.0
    for f in feeds(sa, vocab):
        ya = sa.run(None, f)[0]
        yb = sb.run(None, {k: v for k, v in f.items() if k in {i.name for i in sb.get_inputs()}})[0]
        max_abs = max(max_abs, float(np.abs(ya.astype(np.float64) - yb).max()))
        m = f["attention_mask"][..., None].astype(np.float64)
        ea = (ya * m).sum(1) / m.sum(1)
        eb = (yb * m).sum(1) / m.sum(1)
        cos = (ea * eb).sum(-1) / np.linalg.norm(ea, axis=-1) / np.linalg.norm(eb, axis=-1)
        min_cos = min(min_cos, float(cos.min()))
    return {"max_abs": max_abs, "min_cos": min_cos, "ops_a": ca, "ops_b": cb}


def compact_vi(path: Path) -> dict:
    import onnx
    from golden_lib import compact_slot

    m = onnx.load(str(path), load_external_data=False)
    out = {}

    def walk(g, prefix):
        out[prefix] = ([compact_slot(v) for v in g.value_info], [compact_slot(v) for v in g.output])
        for n in g.node:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g, f"{prefix}/{n.name}:{a.name}")

    walk(m.graph, "")
    return out


def ava(cli_root: Path, src: Path, dst: Path, preset: str) -> None:
    r = subprocess.run(["node", str(cli_root / "bin" / "ava-quant.mjs"), "quantize", str(src), str(dst), "int8", "--preset", preset, "--force"],
                       cwd=cli_root, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"ava-quant failed ({cli_root}): {r.stderr.strip()[:500]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", default=str(REPO / ".cache" / "heldout"))
    ap.add_argument("--before", default=None, help="root of an older AVA checkout (bin/ava-quant.mjs) to compare too")
    ap.add_argument("--presets", nargs="+", default=["ort-default", "avx512-vnni"])
    ap.add_argument("--only", default="")
    ap.add_argument("--json", default=None, help="also write the results as JSON here")
    args = ap.parse_args()

    import logging

    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from make_golden import preset_args

    logging.getLogger().setLevel(logging.ERROR)  # the reference's "consider pre-processing" warnings

    work = Path(args.work)
    models = {"all-MiniLM-L6-v2": REPO / ".cache" / "fixtures" / "text" / "all-MiniLM-L6-v2" / "model.onnx"}
    for name in json.loads((work / "models.json").read_text()) if (work / "models.json").exists() else []:
        models[name] = work / f"{name}.onnx"
    rows = []
    print(f"[heldout] onnxruntime {ort.__version__}; outputs on batches {BATCHES}; default session options, 1 intra-op thread")
    for name, src in models.items():
        if args.only and args.only not in name:
            continue
        m = onnx.load(str(src), load_external_data=False)
        vocab = next(int(t.dims[0]) for t in m.graph.initializer if "word_embeddings" in t.name)
        for preset in args.presets:
            with tempfile.TemporaryDirectory(prefix="heldout.") as td:
                t = Path(td)
                tin = t / "model.onnx"
                shutil.copyfile(src, tin)
                ref, ours = t / "ref.onnx", t / "ours.onnx"
                qargs, _ = preset_args(preset, m, QuantType)
                quantize_dynamic(str(tin), str(ref), **qargs)
                ava(REPO, src, ours, preset)
                row = {"model": name, "preset": preset}
                for label, path in [("after", ours)] + ([("before", t / "before.onnx")] if args.before else []):
                    if label == "before":
                        ava(Path(args.before).resolve(), src, path, preset)
                    on = compare(path, ref, vocab, True)
                    off = compare(path, ref, vocab, False)
                    fused_ours = {k: on["ops_a"][k] for k in FUSED if on["ops_a"][k]}
                    fused_ref = {k: on["ops_b"][k] for k in FUSED if on["ops_b"][k]}
                    row[label] = {"same_optimized_graph": on["ops_a"] == on["ops_b"], "fused": fused_ours, "max_abs": on["max_abs"],
                                  "min_cos": on["min_cos"], "max_abs_no_opt": off["max_abs"], "value_info_equal": compact_vi(path) == compact_vi(ref)}
                    row["reference_fused"] = fused_ref
                rows.append(row)
                for label in ("before", "after"):
                    if label in row:
                        r = row[label]
                        print(f"[heldout] {name} / {preset} / {label}: same optimized graph {r['same_optimized_graph']}, value_info equal "
                              f"{r['value_info_equal']}, max|ours-ref| {r['max_abs']:.3g} (optimizations off: {r['max_abs_no_opt']:.3g}), "
                              f"min cosine {r['min_cos']:.6f}; fused ours {r['fused']}", flush=True)
                print(f"[heldout] {name} / {preset} / reference fused {row['reference_fused']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
