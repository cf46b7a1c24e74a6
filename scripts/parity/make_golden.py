#!/usr/bin/env python3
"""Write the int8 parity goldens: what the *reference* onnxruntime.quantization.quantize_dynamic
produces for our fixtures, so the TypeScript re-implementation can be checked against it.

Run it through the wrapper (creates the pinned venv .cache/parity-venv/ first):

    bash scripts/parity/run.sh                       # every fixture x every preset
    bash scripts/parity/run.sh --only MiniLM         # fixtures whose name contains "MiniLM" (case-insensitive)
    bash scripts/parity/run.sh --presets tjs-q8      # one preset
    bash scripts/parity/run.sh --list                # show what would be done

Output: tests/golden/int8/<fixture-name>.<preset>.json (compact JSON, one node / initializer per line).

Fixtures come from `npm run fixtures` (manifest at $FIXTURES_DIR/manifest.json, default
.cache/fixtures/manifest.json). Covered: every manifest entry of kind "text-embedding", every
entry of kind "vision" or "audio" (OCR det/rec/cls, Silero VAD, openWakeWord), and the handful of
libonnx-testdata models listed in NODE_TEST_MODELS (the only kind of model in that suite whose
MatMul/Gemm/Gather/Conv weights are initializers). Not covered: "text-embedding-quantized"
(already quantized) and the other ~1060 single-op node tests.

If the reference raises on a (fixture, preset), the golden holds {"error": "..."} (plus the
reference versions, args and input hash) instead of the model description.

Golden schema (keys in this order):
  reference        onnxruntime/onnx/numpy versions, the preset, the quantize_dynamic args exactly as
                   passed (enums by name), extra_options as quantize_dynamic left them (it adds
                   MatMulConstBOnly=True in place), and notes on how the preset maps to its origin.
  fixture          name, kind, path of the fixture (relative to the fixtures root)
  input_sha256     sha256 of the fp32 model file that was quantized
  output           ir_version, opsets {domain: version} (in file order; "" = ai.onnx),
                   producer_name, producer_version, metadata_props [[key, value], ...] (file order),
                   graph_name, graph_inputs, graph_outputs, value_info_count, value_info_sha256
                   (sha256 over the concatenated serialized ValueInfoProtos of the main graph),
                   file_bytes, file_sha256 (informational: the byte-exact target)
  nodes            [op_type, domain, name, [inputs], [outputs], {attr: value}] for the main graph,
                   in file order. Attribute values: float (as the float32 value), int, string,
                   lists, tensors as {"dtype","dims","sha256"}; GRAPH attributes as a nested node list,
                   GRAPHS attributes as a list of nested node lists.
  initializers     {name: {"dtype": TensorProto enum, "dims": [...], "sha256": sha256 of
                   numpy_helper.to_array(t).tobytes() (little-endian, float_data/int32_data forms
                   normalised), "first8": first 8 values, "field": where the data is stored
                   ("raw_data", "float_data", "int32_data", "int64_data", ..., "external"),
                   "data_location": present only when the field is set in the proto}}, in file order.
                   Subgraph initializers are keyed "<node name or op#index>:<attr>[:<i>]/<name>".
  subgraph_value_info_counts   {"<node>:<attr>": n} for every subgraph (value_info added by shape inference)
  value_info       {graph key: [[name, type], ...]}: the output's value_info of the main graph ("") and of every
                   subgraph ("<node>:<attr>", nested with "/"), in file order; type in the compact form of
                   make_infer_golden.py ([elem_type, dims], a dim as its value, its dim_param or null).
  graph_io         {graph key: {"inputs": [[name, type], ...], "outputs": [...]}}: graph input / output types
                   (shape inference merges into them too).
  outputs          inputs: the two deterministic input sets (recipe, dtype, shape, sha256 of the bytes;
                   full values when small);
                   fp32 / quantized: per input set, {output name: {"shape", "first64" (7 significant
                   digits), "sum", "sum_abs" (float64)}} or {"error": ...};
                   max_abs_diff: per input set, {output name: max |fp32 - quantized|}.
                   Sessions: CPU EP, graph optimizations disabled, 1 intra-op and 1 inter-op thread.
                   quantized_default: the reference-quantized model's outputs as users run it: default session
                   options (graph optimizations ORT_ENABLE_ALL, which fuse e.g. SkipLayerNormalization where
                   value_info gives shapes), except 1 intra-op thread (the thread count changes no graph).
                   optimized_ops: [[op (domain-prefixed when not ai.onnx), count], ...] of the graph that session
                   runs (its optimized_model_filepath), sorted.

Deterministic inputs (reproducible outside numpy): element i (row-major) of input set k (0, 1) of an
input named N is derived from u = fmix32((crc32(N) + (k + 1) * 0x9E3779B9 + i) mod 2**32) (MurmurHash3
finalizer, see hash_u32); float inputs: float32(amp * (u / 2**32 * 2 - 1)) computed in float64
(amp 1.0 for vision/text/node tests, 0.5 audio);
recurrent-state inputs (names "state", "h", "c") are zeros; "sr" is 16000; other integer inputs
are u mod (the gathered table's row count, or 4); text models use the fixed token-id rows below.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import golden_lib as gl  # noqa: E402

GOLDEN_DIR = gl.REPO / "tests" / "golden" / "int8"

# The fixtures (NODE_TEST_MODELS: the libonnx-testdata models covered), the deterministic inputs (TEXT_TOKEN_IDS,
# SHAPE_OVERRIDES, hash_u32), sessions, summaries, the model description and the JSON layout live in golden_lib.py,
# shared with the other generators.


def preset_args(name: str, model, QuantType) -> tuple[dict, list[str]]:
    """quantize_dynamic keyword arguments of a preset for this model, and notes."""
    if name == "ort-default":
        # quantize_dynamic's own defaults (extra_options=None -> {} and it then sets
        # MatMulConstBOnly=True itself, quantize.py:995-996).
        return (
            dict(op_types_to_quantize=None, per_channel=False, reduce_range=False,
                 weight_type=QuantType.QInt8, extra_options=None),
            ["quantize_dynamic defaults; it adds MatMulConstBOnly=True to extra_options itself"],
        )
    if name == "tjs-q8":
        # transformers.js v2 scripts/convert.py quantize(): quantize_dynamic with
        # DEFAULT_QUANTIZE_PARAMS {per_channel: True, reduce_range: True},
        # weight_type QUInt8 if "Conv" in get_operators(model) (subgraphs included) else QInt8,
        # extra_options {EnableSubgraph: True} (its optimize_model=False arg no longer exists).
        has_conv = "Conv" in all_op_types(model.graph)
        return (
            dict(op_types_to_quantize=None, per_channel=True, reduce_range=True,
                 weight_type=QuantType.QUInt8 if has_conv else QuantType.QInt8,
                 extra_options={"EnableSubgraph": True}),
            [
                "transformers.js v2 scripts/convert.py recipe: quantize_dynamic(per_channel=True, reduce_range=True, "
                "weight_type=QUInt8 if the graph (incl. subgraphs) has Conv else QInt8, extra_options={EnableSubgraph: True})",
                f"this model has Conv: {has_conv}",
                "transformers.js v3 scripts/quantize.py differs: it calls ONNXQuantizer directly (no shape-inference "
                "load, no opset bump), with extra_options {EnableSubgraph: True, MatMulConstBOnly: True}, "
                "per_channel/reduce_range from CLI flags (default None = off), QUInt8 also for "
                "GroupQueryAttention/MultiHeadAttention graphs",
            ],
        )
    if name == "avx512-vnni":
        return (
            dict(op_types_to_quantize=None, per_channel=True, reduce_range=False,
                 weight_type=QuantType.QInt8,
                 extra_options={"WeightSymmetric": True, "ActivationSymmetric": False}),
            [
                "Optimum AutoQuantizationConfig.avx512_vnni(is_static=False, per_channel=True) mapped onto quantize_dynamic",
                "Optimum's ORTQuantizer differs: it calls ONNXQuantizer directly on onnx.load(model) (no shape-inference "
                "load, no opset bump), does not set MatMulConstBOnly (so False: MatMul with a non-constant B is "
                "quantized too), passes operators_to_quantize=['MatMul', 'Add'] by default (Add has no IntegerOps "
                "quantizer, so effectively MatMul only: no Gather/Conv), EnableSubgraph=<model has subgraphs>, "
                "ForceSymmetric=False, AddQDQPairToWeight=False, DedicatedQDQPair=False",
                "here: quantize_dynamic, so MatMulConstBOnly=True and all IntegerOps op types",
            ],
        )
    raise KeyError(name)


PRESETS = ["ort-default", "tjs-q8", "avx512-vnni"]


def all_op_types(graph) -> set:
    import onnx

    ops = set()
    for n in graph.node:
        ops.add(n.op_type)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                ops |= all_op_types(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for g in a.graphs:
                    ops |= all_op_types(g)
    return ops


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gl.common_args(ap, GOLDEN_DIR)
    ap.add_argument("--presets", nargs="+", default=PRESETS, choices=PRESETS)
    ap.add_argument("--wait", type=int, default=0, help="seconds to wait for the fixture manifest")
    args = ap.parse_args()

    import logging

    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # the reference's "consider pre-processing" etc. warnings
    ort.set_default_logger_severity(3)

    fixtures, out_dir, versions = gl.start_run(args, "parity", f"{len(args.presets)} presets", wait=args.wait)
    t_all = time.time()
    failures, errors, sizes = 0, [], {}
    for f in fixtures:
        src = f["abs"]
        in_sha = gl.fixture_sha256(f, src, "parity")
        if in_sha is None:
            failures += 1
            continue
        fp32_model = onnx.load(str(src), load_external_data=False)
        for preset in args.presets:
            t0 = time.time()
            qargs, notes = preset_args(preset, fp32_model, QuantType)
            passed = gl.to_jsonable_args(qargs)
            golden: dict = {
                "reference": {**versions, "function": "onnxruntime.quantization.quantize_dynamic",
                              "preset": preset, "args": passed, "extra_options_after_call": None, "notes": notes},
                "fixture": {"name": f["name"], "kind": f["kind"], "path": f["path"]},
                "input_sha256": in_sha,
            }
            with tempfile.TemporaryDirectory(prefix="parity.") as td:
                # quantize_dynamic writes "<input>-inferred.onnx" next to its input: work on a copy.
                tin = Path(td) / "model.onnx"
                tout = Path(td) / "model.quant.onnx"
                shutil.copyfile(src, tin)
                call_args = copy.deepcopy(qargs)
                msg = gl.call_reference(golden, lambda: quantize_dynamic(str(tin), str(tout), **call_args))
                golden["reference"]["extra_options_after_call"] = call_args.get("extra_options")
                if msg is not None:
                    errors.append((f["name"], preset, msg.splitlines()[0][:300] if msg else ""))
                else:
                    golden.update(gl.describe_model(tout))
                    # inference errors (fp32 or quantized model) are recorded inside "outputs"
                    golden["outputs"] = gl.run_outputs(f, tin, tout)
                    gl.keep_copy(args.keep, tout, f"{f['name']}.{preset}.onnx")
            dst = gl.write_golden(out_dir, f"{f['name']}.{preset}", golden, sizes)
            print(f"[parity] {f['name']} / {preset}: {gl.status_of(golden)} ({time.time() - t0:.1f}s, {sizes[dst.name] / 1024:.0f} KB)",
                  flush=True)
    gl.print_summary("parity", t_all, sizes, errors)
    big = {k: v for k, v in sizes.items() if v >= 300 * 1024}
    if big:
        print(f"[parity] WARNING goldens >= 300 KB: {big}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
