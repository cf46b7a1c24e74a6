#!/usr/bin/env python3
"""Write the deployment-target parity goldens: what onnxruntime's quantize_dynamic produces with the arguments
Optimum's AutoQuantizationConfig.<target>(is_static=False) hands to onnxruntime (via ORTQuantizer.quantize), for the
four targets sentence-transformers' export_dynamic_quantized_onnx_model accepts: arm64, avx2, avx512, avx512_vnni.
The TypeScript side (src/core/targets/presets.ts -> quantizeInt8) is checked against them by
tests/targets/parity.test.ts.

Run it through the wrapper (creates the pinned venv .cache/parity-venv/ first):

    bash scripts/parity/run.sh --targets                     # every fixture x every target
    bash scripts/parity/run.sh --targets --only MiniLM       # fixtures whose name contains "MiniLM"
    bash scripts/parity/run.sh --targets --targets-only avx2 # one target
    bash scripts/parity/run.sh --targets --list

Output: tests/golden/targets/<fixture-name>.<target>.json, the schema of the int8 goldens (make_golden.py), with
reference.function = "onnxruntime.quantization.quantize_dynamic", reference.target, reference.args as passed.

How the arguments are derived (sources: optimum-onnx optimum/onnxruntime/configuration.py, AutoQuantizationConfig
and default_quantization_parameters; optimum/onnxruntime/quantization.py, ORTQuantizer.quantize):
  - is_static=False -> format QOperator, mode IntegerOps, activations QUInt8 (quantize_dynamic's only choice);
  - weights_dtype: QInt8 for arm64 / avx512 / avx512_vnni, QUInt8 for avx2;
  - per_channel=True (every target's default), reduce_range=False (arm64 and avx512_vnni fix it, avx2 and avx512
    default it), weights_symmetric=True, activations_symmetric=False (defaults);
  - operators_to_quantize: default_quantization_parameters -> ORT_DEFAULT_OPS_DYNAMIC_QUANTIZATION =
    list(IntegerOpsRegistry.keys()) (since optimum PR #1246, 2023; before it, ["MatMul", "Add"]);
  - ORTQuantizer.quantize builds ONNXQuantizer(onnx.load(model), ...) with extra_options
    {WeightSymmetric, ActivationSymmetric, EnableSubgraph: <a top-level If/Loop/Scan/SequenceMap node>,
     ForceSymmetric: act_sym and w_sym, AddQDQPairToWeight: False, DedicatedQDQPair: False,
     QDQOpTypePerChannelSupportToAxis: {"MatMul": 1}} and no MatMulConstBOnly, so ONNXQuantizer's default False
    applies. quantize_dynamic would set MatMulConstBOnly=True when the key is absent, so it is passed as False.
arm64, avx512 and avx512_vnni therefore come out as the same arguments: their goldens after the first are written
as {"same_as_target": "arm64", ...} once the generator has checked that the quantized files are byte-identical.

Each golden also records `ortquantizer`: the same model quantized the way ORTQuantizer.quantize calls onnxruntime
(ONNXQuantizer on onnx.load(model), quantize_model(), save_model_to_file) -- Optimum itself is not installed, its
call is replayed -- and whether that file is byte-identical to quantize_dynamic's (differences: quantize_dynamic's
first shape inference reads the file with its data inline, and it converts opset < 10 models to opset 11).
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

GOLDEN_DIR = gl.REPO / "tests" / "golden" / "targets"
TARGETS = ["arm64", "avx2", "avx512", "avx512_vnni"]
CONTROL_FLOW = ("If", "Loop", "Scan", "SequenceMap")  # ORTQuantizer.quantize's has_subgraphs test (top level only)


def target_config(name: str, model, QuantType) -> dict:
    """AutoQuantizationConfig.<name>(is_static=False) as the fields ORTQuantizer reads."""
    return {
        "weights_dtype": QuantType.QUInt8 if name == "avx2" else QuantType.QInt8,
        "activations_dtype": QuantType.QUInt8,
        "per_channel": True,
        "reduce_range": False,
        "weights_symmetric": True,
        "activations_symmetric": False,
        "has_subgraphs": any(n.op_type in CONTROL_FLOW for n in model.graph.node),
    }


def ortquantizer_extra_options(cfg: dict) -> dict:
    return {
        "WeightSymmetric": cfg["weights_symmetric"],
        "ActivationSymmetric": cfg["activations_symmetric"],
        "EnableSubgraph": cfg["has_subgraphs"],
        "ForceSymmetric": cfg["activations_symmetric"] and cfg["weights_symmetric"],
        "AddQDQPairToWeight": False,
        "DedicatedQDQPair": False,
        "QDQOpTypePerChannelSupportToAxis": {"MatMul": 1},
    }


def target_args(name: str, model, QuantType, op_types: list[str]) -> tuple[dict, list[str]]:
    cfg = target_config(name, model, QuantType)
    extra = ortquantizer_extra_options(cfg)
    extra["MatMulConstBOnly"] = False  # ONNXQuantizer's default when the key is absent (ORTQuantizer never sets it)
    args = dict(op_types_to_quantize=list(op_types), per_channel=cfg["per_channel"], reduce_range=cfg["reduce_range"],
                weight_type=cfg["weights_dtype"], extra_options=extra)
    notes = [
        f"Optimum AutoQuantizationConfig.{name}(is_static=False) as ORTQuantizer.quantize passes it to onnxruntime "
        "(optimum-onnx configuration.py / quantization.py), replayed with quantize_dynamic",
        "operators_to_quantize = list(IntegerOpsRegistry.keys()) (Optimum's default since PR #1246)",
        "MatMulConstBOnly=False passed explicitly: ORTQuantizer does not set it (ONNXQuantizer default False); "
        "quantize_dynamic would otherwise set True",
        f"EnableSubgraph = model has a top-level {'/'.join(CONTROL_FLOW)} node: {cfg['has_subgraphs']}",
        "ForceSymmetric / AddQDQPairToWeight / DedicatedQDQPair / QDQOpTypePerChannelSupportToAxis are read only by "
        "the QDQ quantizer and the calibrator (no effect here); passed as ORTQuantizer does",
    ]
    if name in ("arm64", "avx512", "avx512_vnni"):
        notes.append("arm64, avx512 (reduce_range default False) and avx512_vnni give the same arguments")
    return args, notes


def run_ortquantizer_path(src: Path, out: Path, name: str, op_types: list[str]) -> None:
    """ORTQuantizer.quantize (optimum-onnx optimum/onnxruntime/quantization.py), dynamic branch, replayed."""
    import onnx
    from onnxruntime.quantization import QuantizationMode, QuantType
    from onnxruntime.quantization.onnx_quantizer import ONNXQuantizer

    model = onnx.load(str(src))
    cfg = target_config(name, model, QuantType)
    quantizer = ONNXQuantizer(
        model=model,
        per_channel=cfg["per_channel"],
        reduce_range=cfg["reduce_range"],
        mode=QuantizationMode.IntegerOps,
        static=False,
        weight_qType=cfg["weights_dtype"],
        activation_qType=cfg["activations_dtype"],
        tensors_range=None,
        nodes_to_quantize=[],
        nodes_to_exclude=[],
        op_types_to_quantize=list(op_types),
        extra_options=ortquantizer_extra_options(cfg),
    )
    quantizer.quantize_model()
    quantizer.model.save_model_to_file(str(out), False)


def compare_files(a: Path, b: Path) -> list[str]:
    """Which parts of two models differ (empty when the files are byte-identical)."""
    import onnx

    if gl.sha256_file(a) == gl.sha256_file(b):
        return []
    ma, mb = onnx.load(str(a)), onnx.load(str(b))
    diff = []
    if [(o.domain, o.version) for o in ma.opset_import] != [(o.domain, o.version) for o in mb.opset_import]:
        diff.append("opset_import")
    if [n.SerializeToString() for n in ma.graph.node] != [n.SerializeToString() for n in mb.graph.node]:
        diff.append("nodes")
    ia = {t.name: hashlib.sha256(t.SerializeToString()).hexdigest() for t in ma.graph.initializer}
    ib = {t.name: hashlib.sha256(t.SerializeToString()).hexdigest() for t in mb.graph.initializer}
    if list(ia) != list(ib):
        diff.append("initializer names/order")
    elif ia != ib:
        diff.append("initializer bytes")
    if [v.SerializeToString() for v in ma.graph.value_info] != [v.SerializeToString() for v in mb.graph.value_info]:
        diff.append("value_info")
    if [(p.key, p.value) for p in ma.metadata_props] != [(p.key, p.value) for p in mb.metadata_props]:
        diff.append("metadata_props")
    return diff or ["serialization only"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gl.common_args(ap, GOLDEN_DIR)
    ap.add_argument("--targets-only", nargs="+", default=TARGETS, choices=TARGETS)
    args = ap.parse_args()

    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    logging.getLogger().setLevel(logging.ERROR)
    ort.set_default_logger_severity(3)
    op_types = list(IntegerOpsRegistry.keys())

    fixtures, out_dir, versions = gl.start_run(args, "targets", f"{len(args.targets_only)} targets")
    t_all = time.time()
    failures, sizes = 0, {}
    for f in fixtures:
        src = f["abs"]
        in_sha = gl.fixture_sha256(f, src, "targets")
        if in_sha is None:
            failures += 1
            continue
        fp32_model = onnx.load(str(src), load_external_data=False)
        # target -> (args json, quantized file sha256 or error) of the targets written in full so far
        done: dict[str, tuple[str, str]] = {}
        with tempfile.TemporaryDirectory(prefix="targets.") as td:
            for target in args.targets_only:
                t0 = time.time()
                qargs, notes = target_args(target, fp32_model, QuantType, op_types)
                passed = gl.to_jsonable_args(qargs)
                golden: dict = {
                    "reference": {**versions, "function": "onnxruntime.quantization.quantize_dynamic",
                                  "target": target, "args": passed, "extra_options_after_call": None, "notes": notes},
                    "fixture": {"name": f["name"], "kind": f["kind"], "path": f["path"]},
                    "input_sha256": in_sha,
                }
                tin = Path(td) / f"{target}.in.onnx"
                tout = Path(td) / f"{target}.quant.onnx"
                shutil.copyfile(src, tin)  # quantize_dynamic writes "<input>-inferred.onnx" next to its input
                call_args = copy.deepcopy(qargs)
                msg = gl.call_reference(golden, lambda: quantize_dynamic(str(tin), str(tout), **call_args))
                result = gl.sha256_file(tout) if msg is None else "error: " + msg[:4000]
                golden["reference"]["extra_options_after_call"] = call_args.get("extra_options")
                args_key = json.dumps(passed, sort_keys=True)
                twin = next((t for t, (k, r) in done.items() if k == args_key), None)
                if twin is not None:
                    if done[twin][1] != result:
                        print(f"[targets] {f['name']}: {target} and {twin} have the same arguments but different "
                              f"outputs", file=sys.stderr)
                        failures += 1
                    golden.pop("error", None)
                    golden["same_as_target"] = twin
                    golden["quantized_file_sha256"] = result
                else:
                    done[target] = (args_key, result)
                    if "error" not in golden:
                        golden.update(gl.describe_model(tout))
                        golden["outputs"] = gl.run_outputs(f, tin, tout)
                        gl.keep_copy(args.keep, tout, f"{f['name']}.{target}.onnx")
                    # Optimum's own call path, for the record.
                    opath = Path(td) / f"{target}.ortquantizer.onnx"
                    try:
                        run_ortquantizer_path(src, opath, target, op_types)
                        diff = compare_files(opath, tout) if "error" not in golden else ["quantize_dynamic raised"]
                        golden["ortquantizer"] = {"file_sha256": gl.sha256_file(opath), "differs_in": diff}
                    except Exception as e:  # noqa: BLE001
                        golden["ortquantizer"] = {"error": f"{type(e).__name__}: {e}"[:2000]}
                gl.write_golden(out_dir, f"{f['name']}.{target}", golden, sizes)
                status = ("same as " + golden["same_as_target"]) if "same_as_target" in golden else gl.status_of(golden, 100)
                oq = golden.get("ortquantizer")
                oqs = "" if oq is None else (" ortquantizer: " + ("error" if "error" in oq else
                                                                   ("identical" if not oq["differs_in"] else
                                                                    "differs in " + ", ".join(oq["differs_in"]))))
                print(f"[targets] {f['name']} / {target}: {status}{oqs} ({time.time() - t0:.1f}s)", flush=True)
    gl.print_summary("targets", t_all, sizes)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
