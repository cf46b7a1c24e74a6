#!/usr/bin/env python3
"""Measure which kernels onnxruntime's CPU execution provider binds, version by version, on single-op models:
the evidence behind the "kernel facts" of src/core/targets/ (tests/targets/kernels.test.ts checks the checker's
verdicts against it, and against onnxruntime-node / onnxruntime-web 1.30 live).

    bash scripts/parity/run.sh --kernels                 # every version in VERSIONS (creates .cache/ort-probe/<v>)
    bash scripts/parity/run.sh --kernels --versions 1.22.0 1.30.0

Output: tests/golden/targets/kernels.json
  cases      [{name, op, domain, opset, what, model (base64 of the .onnx, a few hundred bytes)}]: the models, built
             here with onnx.helper so that the TypeScript test runs the very same bytes;
  results    {version: {case: outcome}} where outcome is
               "ok"                 the session loads and runs, no Cast inserted;
               "cast"               it loads and runs, but onnxruntime inserted Cast nodes (no kernel for these
                                    types: computed in float32 between float16 Casts) -- seen in the session's
                                    optimized_model_filepath with graph optimizations disabled;
               "load-fail: <msg>"   InferenceSession() raises (e.g. NOT_IMPLEMENTED, no kernel);
               "run-fail: <msg>"    it loads, the first run raises;
  machine    platform / CPU flags relevant to the kernels (the x86 probe host; ARM64 is not measured here).

Sessions: CPUExecutionProvider, graph optimizations disabled, 1 thread, inputs: ones (integers), 0.5 (floats).
Each version runs in its own venv .cache/ort-probe/<version> (onnxruntime==<version>, numpy, onnx==1.23.2, pip
resolving the rest), created on first use.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tests" / "golden" / "targets" / "kernels.json"
VERSIONS = ["1.22.0", "1.23.2", "1.24.2", "1.30.0", "1.32.0"]


def build_cases() -> list[dict]:
    import numpy as np
    from onnx import TensorProto as TP
    from onnx import helper as h
    from onnx import numpy_helper as nh

    vi = h.make_tensor_value_info
    F, H, U8, I8, I32, I64, B = TP.FLOAT, TP.FLOAT16, TP.UINT8, TP.INT8, TP.INT32, TP.INT64, TP.BOOL
    npt = {U8: np.uint8, I8: np.int8, F: np.float32, H: np.float16}
    short = {U8: "u8", I8: "s8", F: "f32", H: "f16"}
    cases: list[dict] = []

    def add(name, what, nodes, inputs, outputs, inits=(), opset=13, ms=False):
        ops = [h.make_opsetid("", opset)] + ([h.make_opsetid("com.microsoft", 1)] if ms else [])
        m = h.make_model(h.make_graph(nodes, "g", inputs, outputs, initializer=list(inits)), opset_imports=ops)
        m.ir_version = 10 if ms else 8
        n = nodes[0]
        cases.append({"name": name, "op": n.op_type, "domain": n.domain or "ai.onnx", "opset": opset, "what": what,
                      "model": base64.b64encode(m.SerializeToString()).decode()})

    for xt in (U8, I8):
        for wt in (U8, I8):
            add(f"ConvInteger {short[xt]}x{short[wt]}", "x, w (initializer)",
                [h.make_node("ConvInteger", ["x", "w"], ["y"])], [vi("x", xt, [1, 3, 5, 5])], [vi("y", I32, None)],
                [nh.from_array(np.ones((2, 3, 3, 3), npt[wt]), "w")])
    add("ConvInteger u8xu8 per-channel w_zero_point", "w_zero_point of 2 elements",
        [h.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"])], [vi("x", U8, [1, 3, 5, 5])], [vi("y", I32, None)],
        [nh.from_array(np.ones((2, 3, 3, 3), np.uint8), "w"), nh.from_array(np.array(3, np.uint8), "xz"),
         nh.from_array(np.array([1, 2], np.uint8), "wz")])
    for xt in (U8, I8):
        for wt in (U8, I8):
            add(f"MatMulInteger {short[xt]}x{short[wt]}", "A, B (initializer)",
                [h.make_node("MatMulInteger", ["a", "b"], ["y"])], [vi("a", xt, [3, 4])], [vi("y", I32, None)],
                [nh.from_array(np.ones((4, 2), npt[wt]), "b")])
    add("DynamicQuantizeLinear", "float32 -> uint8",
        [h.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])], [vi("x", F, [3, 4])],
        [vi("y", U8, None), vi("s", F, None), vi("z", U8, None)])
    for xt in (U8, I8):
        for ot in (F, H):
            add(f"DequantizeLinear {short[xt]}->{short[ot]}", "per-tensor, opset 21",
                [h.make_node("DequantizeLinear", ["x", "s", "z"], ["y"])], [vi("x", xt, [6])], [vi("y", ot, None)],
                [nh.from_array(np.array(0.5, npt[ot]), "s"), nh.from_array(np.array(1, npt[xt]), "z")], opset=21)
    add("MatMulIntegerToFloat u8xs8 f32", "com.microsoft (what onnxruntime fuses DQL+MatMulInteger+Mul into)",
        [h.make_node("MatMulIntegerToFloat", ["a", "b", "as", "bs"], ["y"], domain="com.microsoft")],
        [vi("a", U8, [3, 4]), vi("as", F, [])], [vi("y", F, None)],
        [nh.from_array(np.ones((4, 2), np.int8), "b"), nh.from_array(np.ones((2,), np.float32), "bs")], ms=True)
    add("DynamicQuantizeMatMul f32 s8", "com.microsoft",
        [h.make_node("DynamicQuantizeMatMul", ["a", "b", "bs"], ["y"], domain="com.microsoft")],
        [vi("a", F, [3, 4])], [vi("y", F, None)],
        [nh.from_array(np.ones((4, 2), np.int8), "b"), nh.from_array(np.ones((2,), np.float32), "bs")], ms=True)
    for ft in (F, H):
        add(f"MatMulNBits {short[ft]}", "4 bits, block 32, K=32, N=8",
            [h.make_node("MatMulNBits", ["a", "B", "sc"], ["y"], domain="com.microsoft", K=32, N=8, bits=4, block_size=32)],
            [vi("a", ft, [2, 32])], [vi("y", ft, None)],
            [nh.from_array(np.zeros((8, 1, 16), np.uint8), "B"), nh.from_array(np.ones((8,), npt[ft]), "sc")], opset=17, ms=True)
        for dt, label in ((TP.UINT4, "u4"), (TP.INT4, "s4")):
            add(f"GatherBlockQuantized {label} {short[ft]}", "block 32, gather_axis 0, quantize_axis 1",
                [h.make_node("GatherBlockQuantized", ["d", "i", "sc"], ["y"], domain="com.microsoft", block_size=32,
                             gather_axis=0, quantize_axis=1)],
                [vi("i", I64, [2])], [vi("y", ft, None)],
                [h.make_tensor("d", dt, [8, 32], [1] * 256), nh.from_array(np.ones((8, 1), npt[ft]), "sc")], opset=17, ms=True)

    def f16(op, ins, out_type=H, opset=17, inits=(), shapes=None, **attrs):
        names = [f"i{k}" for k in range(len(ins))]
        shapes = shapes or [[2, 4]] * len(ins)
        add(f"{op} f16", "float16 inputs/outputs", [h.make_node(op, names + [i.name for i in inits], ["y"], **attrs)],
            [vi(n, t, s) for n, t, s in zip(names, ins, shapes)], [vi("y", out_type, None)], inits, opset=opset)

    for op in ("Add", "Sub", "Mul", "Div", "Pow"):
        f16(op, [H, H])
    f16("MatMul", [H, H], shapes=[[2, 4], [4, 3]])
    for op in ("Sqrt", "Erf", "Relu", "Tanh", "Sigmoid", "Transpose", "Identity"):
        f16(op, [H])
    f16("Softmax", [H], axis=-1)
    f16("ReduceMean", [H], axes=[1])
    f16("Cast", [H], out_type=F, to=F)
    f16("Where", [B, H, H])
    f16("Concat", [H, H], axis=0)
    f16("LayerNormalization", [H, H, H], shapes=[[2, 4], [4], [4]], axis=-1)
    f16("Gather", [H, I64], shapes=[[2, 4], [1]])
    f16("Reshape", [H], inits=[nh.from_array(np.array([8], np.int64), "shape")])
    f16("Unsqueeze", [H], inits=[nh.from_array(np.array([0], np.int64), "axes")])
    f16("Slice", [H], inits=[nh.from_array(np.array([0], np.int64), "st"), nh.from_array(np.array([1], np.int64), "en")])
    f16("Conv", [H, H], shapes=[[1, 1, 4, 4], [1, 1, 3, 3]])
    return cases


RUNNER = r"""
import base64, json, sys, tempfile, numpy as np, onnx, onnxruntime as ort
ort.set_default_logger_severity(4)
cases = json.load(open(sys.argv[1]))
out = {}
def first_line(e): return str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
for c in cases:
    data = base64.b64decode(c["model"])
    with tempfile.TemporaryDirectory() as td:
        so = ort.SessionOptions(); so.log_severity_level = 4
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
        so.optimized_model_filepath = td + "/opt.onnx"
        try:
            s = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
        except Exception as e:
            out[c["name"]] = "load-fail: " + first_line(e); continue
        feed = {}
        for i in s.get_inputs():
            shape = [d if isinstance(d, int) else 1 for d in i.shape]
            t = i.type
            if "bool" in t: feed[i.name] = np.ones(shape, np.bool_)
            elif "int64" in t: feed[i.name] = np.zeros(shape, np.int64)
            elif "uint8" in t: feed[i.name] = np.ones(shape, np.uint8)
            elif "int8" in t: feed[i.name] = np.ones(shape, np.int8)
            elif "float16" in t: feed[i.name] = np.full(shape, 0.5, np.float16)
            else: feed[i.name] = np.full(shape, 0.5, np.float32)
        try:
            s.run(None, feed)
        except Exception as e:
            out[c["name"]] = "run-fail: " + first_line(e); continue
        src = onnx.load_from_string(data)
        opt = onnx.load(td + "/opt.onnx")
        before = sum(n.op_type == "Cast" for n in src.graph.node)
        after = sum(n.op_type == "Cast" for n in opt.graph.node)
        out[c["name"]] = "cast" if after > before else "ok"
print(json.dumps({"version": ort.__version__, "results": out}))
"""


def venv_python(version: str) -> str:
    venv = REPO / ".cache" / "ort-probe" / version
    py = venv / "bin" / "python"
    if not py.exists():
        print(f"[kernels] creating {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
                        f"onnxruntime=={version}", "onnx==1.23.2", "numpy"], check=True)
    return str(py)


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            have = set(line.split(":", 1)[1].split())
            return sorted(f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "f16c") if f in have)
    return []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--versions", nargs="+", default=VERSIONS)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    cases = build_cases()
    results: dict = {}
    with tempfile.TemporaryDirectory() as td:
        cpath = Path(td) / "cases.json"
        cpath.write_text(json.dumps(cases))
        rpath = Path(td) / "runner.py"
        rpath.write_text(RUNNER)
        for v in args.versions:
            py = venv_python(v)
            proc = subprocess.run([py, str(rpath), str(cpath)], capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            if r["version"] != v:
                print(f"[kernels] venv for {v} has onnxruntime {r['version']}", file=sys.stderr)
                return 1
            results[v] = r["results"]
            fails = sum(1 for o in r["results"].values() if o.startswith(("load-fail", "run-fail")))
            casts = sum(1 for o in r["results"].values() if o == "cast")
            print(f"[kernels] onnxruntime {v}: {len(cases)} cases, {fails} fail, {casts} through inserted Casts")
    golden = {
        "generator": "scripts/parity/probe_kernels.py",
        "machine": {"platform": platform.platform(), "machine": platform.machine(), "cpu_flags": cpu_flags()},
        "cases": cases,
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    text = "{\n" + ",\n".join(f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'))}" for k, v in golden.items() if k != "cases")
    text += ',\n"cases":[\n' + ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases) + "]}\n"
    Path(args.out).write_text(text)
    print(f"[kernels] wrote {args.out} ({len(text) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
