#!/usr/bin/env python3
"""Write the Q4 parity goldens: what the *reference* onnxruntime MatMulNBitsQuantizer (its default weight-only
quantizer: DefaultWeightOnlyQuantConfig, QOperator format, 4 bits; the block quantizer is the C++ MLAS
MlasQuantizeBlockwise<float, 4> behind onnxruntime.capi._pybind_state.quantize_matmul_4bits) produces for our
fixtures, so the TypeScript re-implementation (src/core/q4/) can be checked against it.

Run it through the wrapper (creates the pinned venv .cache/parity-venv/ first):

    bash scripts/parity/run.sh --q4                    # every fixture x every Q4 preset
    bash scripts/parity/run.sh --q4 --only MiniLM      # fixtures whose name contains "MiniLM"
    bash scripts/parity/run.sh --q4 --presets b32-sym  # one preset
    bash scripts/parity/run.sh --q4 --list
    bash scripts/parity/run.sh --q4 --kernel-cases     # only tests/golden/q4/kernel-cases.json

Output: tests/golden/q4/<fixture-name>.<preset>.json, the same schema as the int8 goldens (see make_golden.py),
with reference.function = "MatMulNBitsQuantizer" and reference.args as passed, except that a node or initializer
list equal to the one of an earlier preset of the same fixture (in PRESETS order) is written as
{"same_as_preset": "<preset>"}; plus:
  outputs_default  the same as `outputs` but with onnxruntime's default session options (graph optimizations on,
                   which fuse MatMulNBits with its bias Add etc.), still 1 intra-op / 1 inter-op thread.
  outputs_opset_kept, outputs_default_opset_kept   (presets with Gather) the same runs of the reference's model
                   with the input's ai.onnx opset restored (the reference raises it to 21 without converting the
                   graph, which makes most models fail to load; AVA keeps it).

Presets: b{32,64,128}-{sym,asym} = MatMulNBitsQuantizer(model, bits=4, block_size=B, is_symmetric=S) with its
default op types (MatMul only); b32-sym-gather / b128-asym-gather add Gather (-> GatherBlockQuantized, which makes
the reference raise the ai.onnx opset to 21 and the IR version to 10).
transformers.js's q4 = b32-sym (its scripts/quantize.py: MatMul4BitsQuantizer(block_size=32, is_symmetric=True)).
The quantizer's Python API defaults are b128-asym; its command line defaults are block 32, symmetric.

The model is saved as a user of the API does: quantizer.model.save_model_to_file(out) (topological sort of the
main graph, then onnx.save_model).

kernel-cases.json: quantize_matmul_4bits (the exact C++ entry the quantizer calls) and
DefaultWeightOnlyQuantizer.quantize_ndarray (the Gather path, numpy) on small hand-made matrices with edge values
(ties at .5 after scaling, all-zero blocks, -0.0, K not a multiple of the block size, odd K, N = 1, one huge
value, float16 sources), every block size, symmetric and asymmetric: inputs and outputs in full, as hex bytes.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import golden_lib as gl  # noqa: E402

GOLDEN_DIR = gl.REPO / "tests" / "golden" / "q4"

PRESETS: dict[str, dict] = {
    "b32-sym": dict(block_size=32, is_symmetric=True, op_types_to_quantize=None),
    "b32-asym": dict(block_size=32, is_symmetric=False, op_types_to_quantize=None),
    "b64-sym": dict(block_size=64, is_symmetric=True, op_types_to_quantize=None),
    "b64-asym": dict(block_size=64, is_symmetric=False, op_types_to_quantize=None),
    "b128-sym": dict(block_size=128, is_symmetric=True, op_types_to_quantize=None),
    "b128-asym": dict(block_size=128, is_symmetric=False, op_types_to_quantize=None),
    "b32-sym-gather": dict(block_size=32, is_symmetric=True, op_types_to_quantize=("MatMul", "Gather")),
    "b128-asym-gather": dict(block_size=128, is_symmetric=False, op_types_to_quantize=("MatMul", "Gather")),
}


def preset_notes(name: str) -> list[str]:
    notes = ["MatMulNBitsQuantizer(model, bits=4, accuracy_level=None, quant_format=QOperator, algo_config=None) "
             "-> DefaultWeightOnlyQuantizer; process(); model.save_model_to_file(out)"]
    if name == "b32-sym":
        notes.append("= transformers.js scripts/quantize.py q4 (block_size 32, is_symmetric True, MatMul only) and the "
                     "quantizer's command-line defaults")
    if name == "b128-asym":
        notes.append("= the MatMulNBitsQuantizer Python API defaults")
    if "gather" in name:
        notes.append("op_types_to_quantize includes Gather: GatherBlockQuantized (numpy quantize_ndarray, quant axis 1); "
                     "the reference then sets every ai.onnx opset < 21 to 21 and ir_version < 10 to 10")
    return notes


# --------------------------------------------------------------------------------------------
# kernel cases
# --------------------------------------------------------------------------------------------


def kernel_cases() -> dict:
    import numpy as np
    from onnxruntime.capi._pybind_state import quantize_matmul_4bits
    from onnxruntime.quantization.matmul_nbits_quantizer import DefaultWeightOnlyQuantizer

    rng = np.random.default_rng(20260901)
    mats: list[tuple[str, np.ndarray]] = []
    # ties: multiples of scale/2 so that v * (1/scale) + zp lands on .5 (both rounding rules disagree there)
    t = np.array([-8, -7.5, -6.5, -5.5, -4.5, -3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5,
                  7, 6, 5, 4, 3, 2, 1, 0, -1, -2, -3, -4, -5, -6, -7, -8], dtype=np.float32)
    mats.append(("ties-sym", (t * 0.25).reshape(32, 1)))
    mats.append(("ties-asym", (np.concatenate([t[:16] + 8, t[16:] + 8]) * 0.5 - 0.25).reshape(32, 1).astype(np.float32)))
    mats.append(("zeros", np.zeros((64, 3), np.float32)))
    mats.append(("neg-zeros", np.full((40, 2), -0.0, np.float32)))
    z = rng.standard_normal((96, 4)).astype(np.float32)
    z[0:32, 1] = 0.0
    z[32:64, 2] = -0.0
    mats.append(("mixed-zero-blocks", z))
    mats.append(("odd-K-5", np.arange(1, 6, dtype=np.float32).reshape(5, 1)))
    mats.append(("odd-K-37-N3", (rng.standard_normal((37, 3)) * 0.1).astype(np.float32)))
    mats.append(("K-100-N1", (rng.standard_normal((100, 1)) * 0.05).astype(np.float32)))
    mats.append(("K-300-N5", (rng.standard_normal((300, 5)) * 0.02).astype(np.float32)))
    pos = np.abs(rng.standard_normal((64, 2))).astype(np.float32) + 0.1
    mats.append(("all-positive", pos))
    mats.append(("all-negative", -pos))
    eq = rng.standard_normal((64, 2)).astype(np.float32)
    eq[3, 0], eq[7, 0] = 2.0, -2.0
    eq[:, 0] = np.clip(eq[:, 0], -2, 2)
    mats.append(("equal-magnitude-extremes", eq))
    big = (rng.standard_normal((64, 2)) * 0.01).astype(np.float32)
    big[5, 0] = 3.0e4
    big[40, 1] = -1.0e-30
    mats.append(("outlier-and-tiny", big))
    sub = (rng.standard_normal((32, 2)) * 1e-39).astype(np.float32)
    mats.append(("subnormal", sub))

    def q_c(w: np.ndarray, bs: int, sym: bool) -> dict:
        rows, cols = w.shape
        kb = (rows + bs - 1) // bs
        pad = kb * bs - rows
        wp = np.pad(w, ((0, pad), (0, 0)), "constant") if pad else w
        packed = np.zeros((cols, kb, bs // 2), dtype=np.uint8)
        zp = np.zeros((cols, (kb + 1) // 2), dtype=np.uint8)
        sc = np.zeros((cols, kb), dtype=w.dtype)
        quantize_matmul_4bits(packed, wp, sc, zp, bs, cols, rows, sym)
        return {"packed": packed.tobytes().hex(), "scales": sc.tobytes().hex(), "zero_points": None if sym else zp.tobytes().hex()}

    def q_np(w: np.ndarray, axis: int, bs: int, sym: bool) -> dict:
        d, s, z = DefaultWeightOnlyQuantizer.quantize_ndarray(w, axis, bs, sym)
        return {"packed": d.tobytes().hex(), "scales": s.tobytes().hex(), "scales_shape": list(s.shape),
                "zero_points": None if z is None else z.tobytes().hex()}

    import warnings

    import onnxruntime as ort

    warnings.simplefilter("ignore")
    sources: dict = {}
    cases, gathers = [], []
    for name, w in mats:
        for dt in ("float32", "float16"):
            if dt == "float16" and name in ("subnormal", "outlier-and-tiny"):
                continue
            ww = w.astype(dt)
            key = f"{name}/{dt}"
            sources[key] = {"dtype": dt, "shape": [int(d) for d in ww.shape], "hex": ww.tobytes().hex()}
            for bs in (16, 32, 64, 128) if dt == "float32" else (32, 64):
                for sym in (True, False):
                    cases.append({"src": key, "block_size": bs, "symmetric": sym, **q_c(ww, bs, sym)})
            if ww.shape[1] < 2:
                continue
            # Gather tables: the transposed matrix [N, K], blocks along its last axis (an embedding table's layout).
            tab = np.ascontiguousarray(ww.T)
            tkey = f"{name}/{dt}/T"
            sources[tkey] = {"dtype": dt, "shape": [int(d) for d in tab.shape], "hex": tab.tobytes().hex()}
            for bs in (16, 32, 128) if dt == "float32" else (32,):
                for sym in (True, False):
                    gathers.append({"src": tkey, "axis": 1, "block_size": bs, "symmetric": sym, **q_np(tab, 1, bs, sym)})
    return {
        "reference": {"onnxruntime": ort.__version__, "numpy": np.__version__,
                      "matmul": "onnxruntime.capi._pybind_state.quantize_matmul_4bits(packed, padded_src, scales, zp, "
                                "block_size, N, K, is_symmetric) as DefaultWeightOnlyQuantizer.qbits_block_quant calls it",
                      "gather": "DefaultWeightOnlyQuantizer.quantize_ndarray(data, quantize_axis, block_size, is_symmetric)"},
        "sources": sources,
        "matmul_cases": cases,
        "gather_cases": gathers,
    }


# --------------------------------------------------------------------------------------------
# synthetic models: the graph cases no fixture has (the tests build the same models from the spec)
# --------------------------------------------------------------------------------------------

F, F16, I64, B = 1, 10, 7, 9


def _vi(name, t, shape):
    return [name, t, shape]


SYNTHETIC: dict[str, dict] = {
    # K = 100 / 37 (not multiples of any block size; 37 odd), N = 7 / 5 (odd), a B shared by a named and an unnamed
    # MatMul, and a MatMul whose B comes from a Transpose (not a constant: stays).
    "mm-edge": {
        "opset": 14, "ir": 8,
        "inputs": [_vi("A", F, [2, 100]), _vi("A2", F, [3, 37])],
        "outputs": [_vi("Y1", F, [2, 7]), _vi("Y1b", F, [2, 7]), _vi("Y2", F, [3, 5]), _vi("Y3", F, [2, 7])],
        "inits": [{"name": "B1", "dims": [100, 7], "dtype": F, "amp": 0.3}, {"name": "B2", "dims": [37, 5], "dtype": F, "amp": 2.0},
                  {"name": "B3", "dims": [7, 100], "dtype": F, "amp": 0.1}],
        "nodes": [{"op": "MatMul", "inputs": ["A", "B1"], "outputs": ["Y1"], "name": "mm1"},
                  {"op": "MatMul", "inputs": ["A", "B1"], "outputs": ["Y1b"], "name": ""},
                  {"op": "MatMul", "inputs": ["A2", "B2"], "outputs": ["Y2"], "name": "mm_odd"},
                  {"op": "Transpose", "inputs": ["B3"], "outputs": ["B3t"], "name": "tr"},
                  {"op": "MatMul", "inputs": ["A", "B3t"], "outputs": ["Y3"], "name": "mm_dyn"}],
    },
    # N-D weights: [1, 48, 5] with a rank-3 A (no reshape needed), [1, 1, 40, 6] with a rank-2 A (the reference's
    # reshape chain), [2, 40, 3] (batched: stays).
    "mm-nd": {
        "opset": 14, "ir": 8,
        "inputs": [_vi("A3", F, [2, 4, 48]), _vi("A2", F, [4, 40])],
        "outputs": [_vi("Y1", F, [2, 4, 5]), _vi("Y2", F, [1, 1, 4, 6]), _vi("Y3", F, [2, 4, 3])],
        "inits": [{"name": "W3", "dims": [1, 48, 5], "dtype": F, "amp": 0.5}, {"name": "W4", "dims": [1, 1, 40, 6], "dtype": F, "amp": 0.5},
                  {"name": "Wb", "dims": [2, 40, 3], "dtype": F, "amp": 0.5}],
        "nodes": [{"op": "MatMul", "inputs": ["A3", "W3"], "outputs": ["Y1"], "name": "mm3d"},
                  {"op": "MatMul", "inputs": ["A2", "W4"], "outputs": ["Y2"], "name": "mm4d"},
                  {"op": "MatMul", "inputs": ["A2", "Wb"], "outputs": ["Y3"], "name": "mm_batched"}],
    },
    # float16 activations and weight: float16 scales.
    "mm-fp16": {
        "opset": 14, "ir": 8,
        "inputs": [_vi("A", F16, [3, 64])],
        "outputs": [_vi("Y", F16, [3, 10])],
        "inits": [{"name": "W", "dims": [64, 10], "dtype": F16, "amp": 0.5}],
        "nodes": [{"op": "MatMul", "inputs": ["A", "W"], "outputs": ["Y"], "name": "mm16"}],
    },
    # An If whose then-branch reads an outer-scope weight and whose else-branch has its own.
    "mm-subgraph": {
        "opset": 14, "ir": 8,
        "inputs": [_vi("cond", B, []), _vi("X", F, [2, 32])],
        "outputs": [_vi("Y", F, [2, 4])],
        "inits": [{"name": "Wout", "dims": [32, 4], "dtype": F, "amp": 0.5}],
        "nodes": [{"op": "If", "inputs": ["cond"], "outputs": ["Y"], "name": "if0", "graphs": {
            "then_branch": {"inputs": [], "outputs": [_vi("Yt", F, [2, 4])], "inits": [],
                            "nodes": [{"op": "MatMul", "inputs": ["X", "Wout"], "outputs": ["Yt"], "name": "mm_then"}]},
            "else_branch": {"inputs": [], "outputs": [_vi("Ye", F, [2, 4])],
                            "inits": [{"name": "Win", "dims": [32, 4], "dtype": F, "amp": 0.5}],
                            "nodes": [{"op": "MatMul", "inputs": ["X", "Win"], "outputs": ["Ye"], "name": "mm_else"}]}}}],
    },
    # IR 3: the weight is also listed as a graph input (removed with it); opset 9.
    "mm-ir3": {
        "opset": 9, "ir": 3,
        "inputs": [_vi("A", F, [2, 64]), _vi("W", F, [64, 8])],
        "outputs": [_vi("Y", F, [2, 8])],
        "inits": [{"name": "W", "dims": [64, 8], "dtype": F, "amp": 0.5}],
        "nodes": [{"op": "MatMul", "inputs": ["A", "W"], "outputs": ["Y"], "name": "mm"}],
    },
    # Gather tables: [50, 70] (70 not a multiple of the block) on axis 0, [6, 40] gathered on axis 1.
    "gather-edge": {
        "opset": 14, "ir": 8,
        "inputs": [_vi("ids", I64, [2, 3]), _vi("cols", I64, [4])],
        "outputs": [_vi("E", F, [2, 3, 70]), _vi("E2", F, [6, 4])],
        "inits": [{"name": "T", "dims": [50, 70], "dtype": F, "amp": 1.0}, {"name": "T2", "dims": [6, 40], "dtype": F, "amp": 1.0}],
        "nodes": [{"op": "Gather", "inputs": ["T", "ids"], "outputs": ["E"], "name": "emb"},
                  {"op": "Gather", "inputs": ["T2", "cols"], "outputs": ["E2"], "name": "emb_axis1", "attrs": {"axis": 1}}],
    },
    # A 1-D table: the reference's Gather path fails an assertion (quantize axis 1 of a 1-D tensor).
    "gather-1d": {
        "opset": 14, "ir": 8,
        "inputs": [_vi("ids", I64, [5])],
        "outputs": [_vi("E", F, [5])],
        "inits": [{"name": "T", "dims": [64], "dtype": F, "amp": 1.0}],
        "nodes": [{"op": "Gather", "inputs": ["T", "ids"], "outputs": ["E"], "name": "emb1d"}],
    },
}


def spec_values(init: dict):
    """Values of a synthetic initializer: float(amp * (u / 2^32 * 2 - 1)) with u = hash_u32(n, 0, name)."""
    import numpy as np

    n = int(np.prod(init["dims"])) if init["dims"] else 1
    u = gl.hash_u32(n, 0, init["name"]).astype(np.float64)
    v = init["amp"] * (u / float(1 << 32) * 2.0 - 1.0)
    return v.astype(np.float16 if init["dtype"] == F16 else np.float32).reshape(init["dims"])


def build_graph(spec: dict, name: str):
    from onnx import helper, numpy_helper

    inits = [numpy_helper.from_array(spec_values(i), i["name"]) for i in spec.get("inits", [])]
    nodes = []
    for n in spec["nodes"]:
        kw = dict(n.get("attrs", {}))
        for k, g in n.get("graphs", {}).items():
            kw[k] = build_graph(g, k)
        nodes.append(helper.make_node(n["op"], n["inputs"], n["outputs"], name=n["name"], **kw))
    vi = lambda x: helper.make_tensor_value_info(x[0], x[1], x[2])  # noqa: E731
    return helper.make_graph(nodes, name, [vi(x) for x in spec["inputs"]], [vi(x) for x in spec["outputs"]], inits)


def build_model(spec: dict):
    from onnx import helper

    m = helper.make_model(build_graph(spec, "g"), opset_imports=[helper.make_opsetid("", spec["opset"])],
                          producer_name="ava-q4-synthetic")
    m.ir_version = spec["ir"]
    return m


def spec_init_hashes(spec: dict, out: dict | None = None) -> dict:
    out = {} if out is None else out
    for i in spec.get("inits", []):
        out[i["name"]] = hashlib.sha256(spec_values(i).tobytes()).hexdigest()
    for n in spec["nodes"]:
        for g in n.get("graphs", {}).values():
            spec_init_hashes(g, out)
    return out


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gl.common_args(ap, GOLDEN_DIR)
    ap.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    ap.add_argument("--kernel-cases", action="store_true", help="only write kernel-cases.json")
    args = ap.parse_args()

    import onnx
    import onnxruntime as ort

    logging.getLogger().setLevel(logging.ERROR)
    from onnxruntime.quantization import matmul_nbits_quantizer as mnq

    mnq.logger.setLevel(logging.ERROR)
    ort.set_default_logger_severity(3)

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    kc = kernel_cases()
    (out_dir / "kernel-cases.json").write_text(json.dumps(kc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"[parity-q4] kernel-cases.json: {len(kc['matmul_cases'])} MatMul cases, {len(kc['gather_cases'])} Gather cases")
    if args.kernel_cases:
        return 0

    synthetic = [{"name": f"synthetic.{sname}", "kind": "synthetic", "path": None, "abs": None, "sha256": None, "spec": spec}
                 for sname, spec in SYNTHETIC.items()]
    fixtures, out_dir, versions = gl.start_run(args, "parity-q4", f"{len(args.presets)} presets", synthetic)
    t_all = time.time()
    failures, errors, sizes = 0, [], {}
    for f in fixtures:
        src = f["abs"]
        tmp_src = None
        if f["kind"] == "synthetic":
            tmp_src = Path(tempfile.mkdtemp(prefix="parity-q4-synth.")) / "model.onnx"
            onnx.save(build_model(f["spec"]), str(tmp_src))
            src = tmp_src
        in_sha = gl.fixture_sha256(f, src, "parity-q4")
        if in_sha is None:
            failures += 1
            continue
        seen_lists: dict = {"nodes": {}, "initializers": {}}
        for preset in args.presets:
            t0 = time.time()
            pargs = PRESETS[preset]
            passed = {"bits": 4, "accuracy_level": None, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in pargs.items()}}
            golden: dict = {
                "reference": {**versions, "function": "onnxruntime.quantization.matmul_nbits_quantizer.MatMulNBitsQuantizer",
                              "preset": preset, "args": passed, "notes": preset_notes(preset)},
                "fixture": {"name": f["name"], "kind": f["kind"], "path": f["path"]},
                "input_sha256": in_sha,
            }
            if f["kind"] == "synthetic":
                golden["spec"] = f["spec"]
                golden["spec_initializer_sha256"] = spec_init_hashes(f["spec"])
            with tempfile.TemporaryDirectory(prefix="parity-q4.") as td:
                tin = Path(td) / "model.onnx"
                tout = Path(td) / "model.q4.onnx"
                shutil.copyfile(src, tin)

                def quantize() -> None:
                    q = mnq.MatMulNBitsQuantizer(onnx.load(str(tin)), bits=4, accuracy_level=None, **copy.deepcopy(pargs))
                    q.process()
                    q.model.save_model_to_file(str(tout), False)

                msg = gl.call_reference(golden, quantize)
                if msg is not None:
                    errors.append((f["name"], preset, msg.splitlines()[0][:300] if msg else ""))
                else:
                    desc = gl.describe_model(tout, declarations=False)
                    # A node / initializer list equal to one already written for this fixture is referenced, not
                    # repeated (models where nothing is quantized give the same lists for every preset).
                    for key in ("nodes", "initializers"):
                        text = json.dumps(desc[key], sort_keys=True)
                        if text in seen_lists[key]:
                            desc[key] = {"same_as_preset": seen_lists[key][text]}
                        else:
                            seen_lists[key][text] = preset
                    golden.update(desc)
                    golden.update(q4_outputs(f, tin, tout))
                    if pargs["op_types_to_quantize"] and "Gather" in pargs["op_types_to_quantize"]:
                        # The reference raised the ai.onnx opset (to 21) without converting the graph; run its model
                        # with the input's ai.onnx opset restored too (what AVA writes: see src/core/q4/README.md).
                        src_model = onnx.load(str(tin), load_external_data=False)
                        keep = {o.domain: o.version for o in src_model.opset_import if o.domain in ("", "ai.onnx")}
                        qm = onnx.load(str(tout))
                        for o in qm.opset_import:
                            if o.domain in keep:
                                o.version = keep[o.domain]
                        tkept = Path(td) / "model.q4.opset-kept.onnx"
                        onnx.save(qm, str(tkept))
                        golden.update(q4_outputs(f, tin, tkept, "_opset_kept"))
                    gl.keep_copy(args.keep, tout, f"{f['name']}.{preset}.onnx")
                # onnxruntime's load errors name the temporary file: keep the goldens reproducible.
                dst = gl.write_golden(out_dir, f"{f['name']}.{preset}", golden, sizes, tmp_dir=td)
            print(f"[parity-q4] {f['name']} / {preset}: {gl.status_of(golden)} ({time.time() - t0:.1f}s, {sizes[dst.name] / 1024:.0f} KB)",
                  flush=True)
        if tmp_src is not None:
            shutil.rmtree(tmp_src.parent, ignore_errors=True)
    gl.print_summary("parity-q4", t_all, sizes, errors)
    return 1 if failures else 0


def q4_outputs(entry: dict, fp32_path: Path, q_path: Path, suffix: str = "") -> dict:
    """outputs<suffix> (graph optimizations off) and outputs_default<suffix> (onnxruntime's default options, which
    fuse MatMulNBits with its bias Add etc.), both with 1 intra-op / 1 inter-op thread."""
    return {
        f"outputs{suffix}": gl.run_outputs(entry, fp32_path, q_path, default_run=False),
        f"outputs_default{suffix}": gl.run_outputs(entry, fp32_path, q_path, optimized=True, default_run=False),
    }


if __name__ == "__main__":
    sys.exit(main())
