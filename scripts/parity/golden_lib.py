"""What the parity golden generators share (make_golden.py: INT8 presets, make_golden_targets.py: Optimum targets,
make_golden_q4.py: Q4, make_infer_golden.py: shape inference): the fixtures and their manifest, the command-line
options, the deterministic inputs (documented in make_golden.py), the reference sessions and output summaries, the
model description and the compact JSON the goldens are written in, and the reference call that records its error.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The libonnx-testdata models the generators cover, the text models' token ids, input shapes: see make_golden.py.
# A handful of libonnx-testdata models (of the 31 whose MatMul/Gemm/Gather/Conv weights are
# initializers; all opset 6 / IR 3, so quantize_dynamic also runs the opset 6 -> 11 version
# converter on them). Chosen to cover: Gemm(transB=1)+bias -> MatMul rewrite, MatMul whose B comes
# from a Transpose (non-const B), Gather on an initializer table, ConvInteger 1d/2d/3d with and
# without bias, depthwise and grouped convolutions, and a larger conv.
NODE_TEST_MODELS = [
    "pytorch-converted/test_Linear",
    "pytorch-converted/test_Linear_no_bias",
    "pytorch-converted/test_Embedding",
    "pytorch-converted/test_Conv1d",
    "pytorch-converted/test_Conv2d",
    "pytorch-converted/test_Conv2d_no_bias",
    "pytorch-converted/test_Conv2d_depthwise",
    "pytorch-converted/test_Conv2d_groups",
    "pytorch-converted/test_Conv3d",
    "pytorch-operator/test_operator_conv",
]

# Text models: two input sets, batch 2, seq len 8, attention mask ones, token_type zeros.
# BERT uncased vocab ids: [CLS]=101, [SEP]=102.
TEXT_TOKEN_IDS = [
    [[101, 2023, 2003, 1037, 3231, 6251, 1012, 102],    # [CLS] this is a test sentence . [SEP]
     [101, 1996, 4248, 2829, 4419, 14523, 2058, 102]],  # [CLS] the quick brown fox jumps over [SEP]
    [[101, 7592, 2088, 999, 2023, 2003, 2307, 102],     # [CLS] hello world ! this is great [SEP]
     [101, 24110, 3989, 11670, 4275, 2096, 2039, 102]],
]

# Concrete values for symbolic dims, by fixture name then input name (list = full shape).
# Anything not listed: a symbolic first dim -> 1, other symbolic dims -> 64.
SHAPE_OVERRIDES = {
    "PP-OCRv4-det": {"x": [1, 3, 64, 64]},
    "PP-OCRv4-rec": {"x": [1, 3, 48, 96]},
    "ppocr-mobile-v2.0-cls": {"x": [1, 3, 48, 192]},
    "silero-vad-legacy": {"input": [1, 512], "h": [2, 1, 64], "c": [2, 1, 64]},
    "silero-vad-v5": {"input": [1, 512], "state": [2, 1, 128]},
    "silero-vad-v6": {"input": [1, 512], "state": [2, 1, 128]},
}
STATE_INPUT_NAMES = {"state", "h", "c"}
MAX_FULL_INPUT_VALUES = 64  # inputs with at most this many elements are stored in full


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sig7(v) -> float | str:
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float(f"{v:.7g}")


def jnum(v):
    """A JSON-safe scalar for a numpy/python value."""
    import numpy as np

    if isinstance(v, (np.floating, float)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return f
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "backslashreplace")
    return str(v)


def tensor_info(t, with_storage: bool = True) -> dict:
    import numpy as np
    from onnx import TensorProto, numpy_helper

    info = {"dtype": int(t.data_type), "dims": [int(d) for d in t.dims]}
    try:
        arr = numpy_helper.to_array(t)
        b = np.ascontiguousarray(arr).tobytes() if arr.dtype != object else b"".join(
            x if isinstance(x, bytes) else str(x).encode() for x in arr.ravel())
        info["sha256"] = hashlib.sha256(b).hexdigest()
        flat = arr.ravel()
        info["first8"] = [jnum(x) for x in flat[:8]]
    except Exception as e:  # noqa: BLE001
        info["error"] = f"{type(e).__name__}: {e}"
    if not with_storage:
        if t.HasField("data_location"):
            info["data_location"] = int(t.data_location)
        return info
    if with_storage:
        if t.data_location == TensorProto.EXTERNAL:
            info["field"] = "external"
        else:
            fields = [f.name for f, _ in t.ListFields() if f.name.endswith("_data")]
            info["field"] = fields[0] if fields else "none"
        if t.HasField("data_location"):
            info["data_location"] = int(t.data_location)
    return info


def attr_value(a, prefix: str, inits: dict, vi_counts: dict, vis: dict | None = None, io: dict | None = None):
    import onnx

    A = onnx.AttributeProto
    if a.type == A.FLOAT:
        return jnum(a.f)
    if a.type == A.INT:
        return int(a.i)
    if a.type == A.STRING:
        return a.s.decode("utf-8", "backslashreplace")
    if a.type == A.FLOATS:
        return [jnum(x) for x in a.floats]
    if a.type == A.INTS:
        return [int(x) for x in a.ints]
    if a.type == A.STRINGS:
        return [s.decode("utf-8", "backslashreplace") for s in a.strings]
    if a.type == A.TENSOR:
        return tensor_info(a.t, with_storage=False)
    if a.type == A.TENSORS:
        return [tensor_info(t, with_storage=False) for t in a.tensors]
    if a.type == A.GRAPH:
        return describe_graph(a.g, prefix, inits, vi_counts, vis, io)
    if a.type == A.GRAPHS:
        return [describe_graph(g, f"{prefix}:{i}", inits, vi_counts, vis, io) for i, g in enumerate(a.graphs)]
    return {"unsupported_attribute_type": int(a.type)}


def compact_type(t):
    """A TypeProto in compact form (src/core/onnx/infer/types.ts compactType): a tensor as [elem_type, dims] (dims null
    when the rank is unknown; a dim as its value, its name or null), sparse / sequence / optional / map as tags."""
    k = t.WhichOneof("value")
    if k is None:
        return "none"
    if k in ("tensor_type", "sparse_tensor_type"):
        tt = getattr(t, k)
        dims = None
        if tt.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param if d.HasField("dim_param") else None) for d in tt.shape.dim]
        return [tt.elem_type, dims] if k == "tensor_type" else "sparse:" + json.dumps([tt.elem_type, dims], separators=(",", ":"))
    if k in ("sequence_type", "optional_type"):
        inner = getattr(t, k)
        e = compact_type(inner.elem_type) if inner.HasField("elem_type") else None
        return ("seq(%s)" if k == "sequence_type" else "opt(%s)") % json.dumps(e, separators=(",", ":"))
    if k == "map_type":
        return "map(%d,%s)" % (t.map_type.key_type, json.dumps(compact_type(t.map_type.value_type), separators=(",", ":")))
    return "opaque"


def compact_slot(v) -> list:
    return [v.name, compact_type(v.type) if v.HasField("type") else None]


def describe_graph(graph, prefix: str, inits: dict, vi_counts: dict, vis: dict | None = None, io: dict | None = None) -> list:
    """Node list of a graph; initializers of (sub)graphs are collected into `inits`, value_info into `vis`."""
    if prefix:
        vi_counts[prefix] = len(graph.value_info)
    if vis is not None:
        vis[prefix] = [compact_slot(v) for v in graph.value_info]
    if io is not None:
        io[prefix] = {"inputs": [compact_slot(v) for v in graph.input], "outputs": [compact_slot(v) for v in graph.output]}
    for t in graph.initializer:
        inits[(prefix + "/" if prefix else "") + t.name] = tensor_info(t)
    nodes = []
    for idx, n in enumerate(graph.node):
        attrs = {}
        for a in n.attribute:
            key = f"{prefix + '/' if prefix else ''}{n.name or f'{n.op_type}#{idx}'}:{a.name}"
            attrs[a.name] = attr_value(a, key, inits, vi_counts, vis, io)
        nodes.append([n.op_type, n.domain, n.name, list(n.input), list(n.output), attrs])
    return nodes


def describe_model(path: Path, declarations: bool = True) -> dict:
    """The golden's model description (see make_golden.py); `declarations`: with value_info and graph_io."""
    import onnx

    m = onnx.load(str(path))
    g = m.graph
    inits: dict = {}
    vi_counts: dict = {}
    vis: dict | None = {} if declarations else None
    io: dict | None = {} if declarations else None
    nodes = describe_graph(g, "", inits, vi_counts, vis, io)
    vi_bytes = b"".join(vi.SerializeToString() for vi in g.value_info)
    desc = {
        "output": {
            "ir_version": int(m.ir_version),
            "opsets": {o.domain: int(o.version) for o in m.opset_import},
            "producer_name": m.producer_name,
            "producer_version": m.producer_version,
            "metadata_props": [[p.key, p.value] for p in m.metadata_props],
            "graph_name": g.name,
            "graph_inputs": [i.name for i in g.input],
            "graph_outputs": [o.name for o in g.output],
            "value_info_count": len(g.value_info),
            "value_info_sha256": hashlib.sha256(vi_bytes).hexdigest(),
            "file_bytes": path.stat().st_size,
            "file_sha256": sha256_file(path),
        },
        "nodes": nodes,
        "initializers": inits,
        "subgraph_value_info_counts": vi_counts,
    }
    if declarations:
        desc["value_info"] = vis
        desc["graph_io"] = io
    return desc


# --------------------------------------------------------------------------------------------
# deterministic inputs and sessions
# --------------------------------------------------------------------------------------------


def hash_u32(n: int, k: int, name: str):
    """u_i = fmix32((seed + i) mod 2^32), seed = (crc32(name) + (k + 1) * 0x9E3779B9) mod 2^32.

    fmix32 is MurmurHash3's finalizer (h ^= h >> 16; h *= 0x85EBCA6B; h ^= h >> 13; h *= 0xC2B2AE35;
    h ^= h >> 16, all mod 2^32): trivially reproducible in JS with Math.imul and >>> 0.
    """
    import numpy as np

    m = np.uint64(0xFFFFFFFF)
    seed = (zlib.crc32(name.encode("utf-8")) + (k + 1) * 0x9E3779B9) & 0xFFFFFFFF
    h = (np.arange(n, dtype=np.uint64) + np.uint64(seed)) & m
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & m
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & m
    h ^= h >> np.uint64(16)
    return h


def gather_table_rows(model, input_name: str) -> int | None:
    """Row count of an initializer gathered with this input as indices (for valid int inputs)."""
    inits = {t.name: t for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Gather" and len(n.input) > 1 and n.input[1] == input_name and n.input[0] in inits:
            t = inits[n.input[0]]
            if t.dims:
                return int(t.dims[0])
    return None


def make_inputs(entry: dict, model, sess_inputs, k: int) -> tuple[dict, list]:
    """Input feed for input set k, plus its description for the golden."""
    import numpy as np

    np_types = {
        "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
        "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int8)": np.int8,
        "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
    }
    kind = entry["kind"]
    feed, desc = {}, []
    overrides = SHAPE_OVERRIDES.get(entry["name"], {})
    for si in sess_inputs:
        dt = np_types.get(si.type)
        if dt is None:
            raise RuntimeError(f"unsupported input type {si.type} for {si.name}")
        if kind == "text-embedding":
            ids = np.array(TEXT_TOKEN_IDS[k], dtype=np.int64)
            if si.name == "input_ids":
                arr, recipe = ids.astype(dt), "token ids"
            elif si.name == "attention_mask":
                arr, recipe = np.ones_like(ids, dtype=dt), "ones"
            elif si.name == "token_type_ids":
                arr, recipe = np.zeros_like(ids, dtype=dt), "zeros"
            else:
                raise RuntimeError(f"unexpected text-model input {si.name}")
        else:
            if si.name in overrides:
                shape = list(overrides[si.name])
            else:
                shape = [d if isinstance(d, int) and d > 0 else (1 if j == 0 else 64) for j, d in enumerate(si.shape)]
            n = int(np.prod(shape)) if shape else 1
            if si.name == "sr":
                arr, recipe = np.full(shape, 16000, dtype=dt), "16000"
            elif si.name in STATE_INPUT_NAMES and np.issubdtype(dt, np.floating):
                arr, recipe = np.zeros(shape, dtype=dt), "zeros"
            elif np.issubdtype(dt, np.floating):
                amp = 0.5 if kind == "audio" else 1.0
                u = hash_u32(n, k, si.name).astype(np.float64)
                arr = (amp * (u / float(1 << 32) * 2.0 - 1.0)).astype(dt).reshape(shape)
                recipe = f"hash float amp={amp}"
            else:
                mod = gather_table_rows(model, si.name) or 4
                arr = (hash_u32(n, k, si.name) % np.uint64(mod)).astype(dt).reshape(shape)
                recipe = f"hash int mod {mod}"
        feed[si.name] = arr
        d = {"name": si.name, "dtype": str(arr.dtype), "shape": list(arr.shape), "recipe": recipe,
             "sha256": hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()}
        if arr.size <= MAX_FULL_INPUT_VALUES:
            d["values"] = [jnum(x) for x in arr.ravel()]
        desc.append(d)
    return feed, desc


def err_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}".strip()[:2000]


def make_session(path: Path, optimized: bool = False, optimized_path: Path | None = None):
    """CPU session: graph optimizations off (the parity comparison), or default options (as users run it)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    if not optimized:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    elif optimized_path is not None:
        so.optimized_model_filepath = str(optimized_path)
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def summarize(arr) -> dict:
    import numpy as np

    a = np.asarray(arr)
    out = {"shape": list(a.shape)}
    if np.issubdtype(a.dtype, np.floating):
        flat = a.ravel()
        out["first64"] = [sig7(x) for x in flat[:64]]
        f64 = flat.astype(np.float64)
        out["sum"] = jnum(f64.sum())
        out["sum_abs"] = jnum(np.abs(f64).sum())
    else:
        flat = a.ravel()
        out["first64"] = [jnum(x) for x in flat[:64]]
        out["sum"] = jnum(flat.astype(np.float64).sum())
        out["sum_abs"] = jnum(np.abs(flat.astype(np.float64)).sum())
    return out


def run_outputs(entry: dict, fp32_path: Path, q_path: Path, optimized: bool = False, default_run: bool = True) -> dict:
    """The golden's "outputs": both models on both input sets, with graph optimizations off (or onnxruntime's default
    options: `optimized`); with `default_run`, also the quantized model under default options (quantized_default,
    optimized_ops)."""
    import numpy as np
    import onnx

    model = onnx.load(str(fp32_path), load_external_data=False)
    res = {"inputs": [], "fp32": [], "quantized": [], "max_abs_diff": []}
    try:
        s_fp, fp_err = make_session(fp32_path, optimized), None
    except Exception as e:  # noqa: BLE001
        s_fp, fp_err = None, err_text(e)
    try:
        s_q, q_err = make_session(q_path, optimized), None
    except Exception as e:  # noqa: BLE001
        s_q, q_err = None, err_text(e)
    ref = s_fp or s_q
    if ref is None:
        return {"error": {"fp32": fp_err, "quantized": q_err}}
    names = [o.name for o in ref.get_outputs()]
    for k in range(2):
        feed, desc = make_inputs(entry, model, ref.get_inputs(), k)
        res["inputs"].append(desc)
        fp = None
        if s_fp is None:
            res["fp32"].append({"error": fp_err})
        else:
            try:
                fp = s_fp.run(None, feed)
                res["fp32"].append({n: summarize(v) for n, v in zip(names, fp)})
            except Exception as e:  # noqa: BLE001
                res["fp32"].append({"error": err_text(e)})
        if s_q is None:
            res["quantized"].append({"error": q_err})
            res["max_abs_diff"].append(None)
            continue
        try:
            qn = [o.name for o in s_q.get_outputs()]
            q = s_q.run(None, {n: feed[n] for n in (i.name for i in s_q.get_inputs())})
        except Exception as e:  # noqa: BLE001
            res["quantized"].append({"error": err_text(e)})
            res["max_abs_diff"].append(None)
            continue
        res["quantized"].append({n: summarize(v) for n, v in zip(qn, q)})
        if fp is None:
            res["max_abs_diff"].append(None)
            continue
        diffs = {}
        qd = dict(zip(qn, q))
        for n, v in zip(names, fp):
            if n in qd and np.asarray(qd[n]).shape == np.asarray(v).shape:
                d = np.abs(np.asarray(qd[n], dtype=np.float64) - np.asarray(v, dtype=np.float64))
                diffs[n] = jnum(d.max()) if d.size else 0.0
            else:
                diffs[n] = None
        res["max_abs_diff"].append(diffs)
    if not default_run:
        return res
    # The reference-quantized model under default session options (graph optimizations on).
    res["quantized_default"] = []
    with tempfile.TemporaryDirectory(prefix="parity.opt.") as td:
        opt_path = Path(td) / "optimized.onnx"
        try:
            s_opt, opt_err = make_session(q_path, optimized=True, optimized_path=opt_path), None
        except Exception as e:  # noqa: BLE001
            s_opt, opt_err = None, err_text(e)
        if s_opt is not None and opt_path.exists():
            om = onnx.load(str(opt_path), load_external_data=False)
            counts: dict = {}
            for n in om.graph.node:
                key = f"{n.domain}.{n.op_type}" if n.domain and n.domain != "ai.onnx" else n.op_type
                counts[key] = counts.get(key, 0) + 1
            res["optimized_ops"] = sorted([k, v] for k, v in counts.items())
        for k in range(2):
            if s_opt is None:
                res["quantized_default"].append({"error": opt_err})
                continue
            feed, _ = make_inputs(entry, model, ref.get_inputs(), k)
            try:
                on = [o.name for o in s_opt.get_outputs()]
                q = s_opt.run(None, {n: feed[n] for n in (i.name for i in s_opt.get_inputs())})
                res["quantized_default"].append({n: summarize(v) for n, v in zip(on, q)})
            except Exception as e:  # noqa: BLE001
                res["quantized_default"].append({"error": err_text(e)})
    return res


def fixtures_dir() -> Path:
    """$FIXTURES_DIR, else .cache/fixtures."""
    env = os.environ.get("FIXTURES_DIR")
    return Path(env).resolve() if env else REPO / ".cache" / "fixtures"


def collect_fixtures(manifest: dict, root: Path) -> list[dict]:
    out = []
    for f in manifest["fixtures"]:
        if f["kind"] in ("text-embedding", "vision", "audio"):
            out.append({"name": f["name"], "kind": f["kind"], "path": f["path"], "abs": root / f["path"],
                        "sha256": f.get("sha256")})
        elif f["kind"] == "onnx-node-test":
            base = root / f["path"]
            for rel in NODE_TEST_MODELS:
                out.append({"name": f"{f['name']}.{rel.replace('/', '.')}", "kind": f["kind"],
                            "path": f"{f['path']}/{rel}/model.onnx", "abs": base / rel / "model.onnx", "sha256": None})
    return out


def to_jsonable_args(args: dict) -> dict:
    out = {}
    for k, v in args.items():
        if hasattr(v, "name") and hasattr(v, "value") and type(v).__name__ == "QuantType":
            out[k] = f"QuantType.{v.name}"
        else:
            out[k] = copy.deepcopy(v)
    return out


def dump_golden(obj: dict) -> str:
    """Compact JSON with one node / initializer / output entry per line (small, diffable)."""
    def c(x):
        return json.dumps(x, separators=(",", ":"), ensure_ascii=False)

    parts = ["{"]
    keys = list(obj.keys())
    for i, k in enumerate(keys):
        v = obj[k]
        comma = "," if i < len(keys) - 1 else ""
        if k == "nodes" and isinstance(v, list):
            parts.append(f"{c(k)}:[")
            parts.append(",\n".join(c(n) for n in v))
            parts.append(f"]{comma}")
        elif k == "initializers" and isinstance(v, dict):
            parts.append(f"{c(k)}:{{")
            parts.append(",\n".join(f"{c(n)}:{c(t)}" for n, t in v.items()))
            parts.append(f"}}{comma}")
        elif k == "value_info" and isinstance(v, dict):
            parts.append(f"{c(k)}:{{")
            parts.append(",\n".join(f"{c(gk)}:[" + ",\n".join(c(e) for e in gv) + "]" for gk, gv in v.items()))
            parts.append(f"}}{comma}")
        else:
            parts.append(f"{c(k)}:{c(v)}{comma}")
    parts.append("}")
    return "\n".join(parts) + "\n"


def common_args(ap: argparse.ArgumentParser, out_dir: Path) -> None:
    """The options every fixture generator takes: --only, --out, --list, --keep."""
    ap.add_argument("--only", action="append", default=[], help="substring of fixture names to include (repeatable)")
    ap.add_argument("--out", default=str(out_dir))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep", default=None, help="also copy the quantized models into this directory")


def read_manifest(wait: int = 0) -> tuple[dict, Path] | None:
    """The fixture manifest and the root its paths are relative to (waiting up to `wait` seconds for it); None, after
    saying so, when there is none."""
    root = fixtures_dir()
    mpath = root / "manifest.json"
    deadline = time.time() + wait
    while not mpath.exists():
        if time.time() >= deadline:
            print(f"fixture manifest not found at {mpath}: run `npm run fixtures` first", file=sys.stderr)
            return None
        time.sleep(30)
    manifest = json.loads(mpath.read_text())
    mroot = Path(manifest.get("root") or root)
    return manifest, (mroot if mroot.exists() else root)


def select_fixtures(args: argparse.Namespace, extra: list[dict] = (), wait: int = 0) -> list[dict] | None:
    """collect_fixtures over the manifest, then `extra`, narrowed by --only; None when there is no manifest."""
    found = read_manifest(wait)
    if found is None:
        return None
    fixtures = collect_fixtures(*found) + list(extra)
    if args.only:
        fixtures = [f for f in fixtures if any(s.lower() in f["name"].lower() for s in args.only)]
    return fixtures


def start_run(args: argparse.Namespace, tag: str, per_fixture: str, extra: list[dict] = (), wait: int = 0) -> tuple[list[dict], Path, dict]:
    """A generator's start: the fixtures (select_fixtures), the output folder (created) and the reference versions,
    announced on one line. Ends the program (SystemExit) with 2 without a fixture manifest, with 0 after --list (one
    line a fixture)."""
    fixtures = select_fixtures(args, extra, wait)
    if fixtures is None:
        raise SystemExit(2)
    if args.list:
        for f in fixtures:
            print(f"{f['name']:60s} {f['kind']:16s} {f['path']}")
        raise SystemExit(0)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    found = versions()
    print(f"[{tag}] reference: {found}; {len(fixtures)} fixtures x {per_fixture} -> {out_dir}")
    return fixtures, out_dir, found


def versions() -> dict:
    """The reference versions every golden records."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    return {"onnxruntime": ort.__version__, "onnx": onnx.__version__, "numpy": np.__version__}


def fixture_sha256(f: dict, src: Path, tag: str) -> str | None:
    """sha256 of the fixture file; None, after saying why, when it is missing or not the manifest's bytes."""
    if not src.exists():
        print(f"[{tag}] MISSING fixture file {src}", file=sys.stderr)
        return None
    in_sha = sha256_file(src)
    if f["sha256"] and f["sha256"] != in_sha:
        print(f"[{tag}] sha256 mismatch for {f['name']}: manifest {f['sha256']} file {in_sha} (stale fixtures?)", file=sys.stderr)
        return None
    return in_sha


def call_reference(golden: dict, call) -> str | None:
    """Runs the reference; when it raises, that is the golden: {"error": message} is recorded (and the message
    returned; PARITY_TRACEBACK=1 prints the traceback)."""
    try:
        call()
        return None
    except Exception as e:  # noqa: BLE001  (the reference itself failed: record it)
        msg = f"{type(e).__name__}: {e}".strip()
        golden["error"] = msg[:4000]
        if os.environ.get("PARITY_TRACEBACK"):
            traceback.print_exc()
        return msg


def keep_copy(keep: str | None, model: Path, name: str) -> None:
    """--keep: a copy of the reference-quantized model."""
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(model, Path(keep) / name)


def write_golden(out_dir: Path, stem: str, golden: dict, sizes: dict, tmp_dir: str | None = None) -> Path:
    """Writes <stem>.json (dump_golden; a temporary directory named in error texts becomes <tmp>) and records its size."""
    text = dump_golden(golden)
    if tmp_dir:
        text = text.replace(tmp_dir, "<tmp>")
    dst = out_dir / f"{stem}.json"
    dst.write_text(text, encoding="utf-8")
    sizes[dst.name] = len(text.encode("utf-8"))
    return dst


def status_of(golden: dict, width: int = 120) -> str:
    return "ERROR " + golden["error"].splitlines()[0][:width] if "error" in golden else "ok"


def print_summary(tag: str, t_all: float, sizes: dict, errors: list[tuple[str, str, str]] = ()) -> None:
    total = sum(sizes.values())
    print(f"[{tag}] done in {time.time() - t_all:.1f}s: {len(sizes)} goldens, {total / 1024:.0f} KB total")
    for name, preset, msg in errors:
        print(f"[{tag}] reference error: {name} / {preset}: {msg}")
