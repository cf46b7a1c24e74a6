#!/usr/bin/env python3
"""Write the shape-inference goldens: what `onnx.shape_inference.infer_shapes` (onnx pinned in requirements.txt,
default options: check_type=False, strict_mode=False, data_prop=False) gives

  tests/golden/infer/cases.json       for tiny hand-built graphs, one or a few per operator rule of
                                      src/core/onnx/infer/rules/ (static, symbolic and unknown dims, constant and
                                      non-constant shape inputs, missing types, subgraphs, second passes);
  tests/golden/infer/<fixture>.json   for every real-model fixture (text / vision / audio).

Run through the wrapper (pinned venv):  bash scripts/parity/run.sh --infer-only   (run.sh runs it after the int8
goldens too). Deterministic: two runs write identical files.

Compact form of a type (same as src/core/onnx/infer/types.ts compactType): tensor -> [elem_type, dims] where dims is
null (rank unknown) or a list of int (dim_value), str (dim_param) or null (unknown dim); a ValueInfoProto without a
type field -> null; other kinds -> a tag string. Per graph ("" = main graph, "/<node name or op>:<attr>" nested):
{"inputs": [[name, type]...], "outputs": [...], "value_info": [...]}.

cases.json: {"onnx": version, "cases": [{"name", "passes", "model" (base64 of the serialized input model),
"expect": {"graphs": {...}} or {"error": "<onnx's exception text, first line>"}}]}.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import golden_lib as gl  # noqa: E402  (compact_type / compact_slot: the compact form below; the fixture manifest)

OUT_DIR = gl.REPO / "tests" / "golden" / "infer"


def describe_graphs(graph) -> dict:
    import onnx

    out = {}

    def walk(g, prefix):
        out[prefix] = {
            "inputs": [gl.compact_slot(v) for v in g.input],
            "outputs": [gl.compact_slot(v) for v in g.output],
            "value_info": [gl.compact_slot(v) for v in g.value_info],
        }
        for n in g.node:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g, f"{prefix}/{n.name or n.op_type}:{a.name}")

    walk(graph, "")
    return out


# ------------------------------------------------------------------------------------------------------------------
# tiny graphs
# ------------------------------------------------------------------------------------------------------------------

def build_cases():
    import numpy as np
    from onnx import TensorProto as T
    from onnx import helper as h
    from onnx import numpy_helper

    F, I64, I32, B, F16, U8, I8 = T.FLOAT, T.INT64, T.INT32, T.BOOL, T.FLOAT16, T.UINT8, T.INT8
    cases = []

    def vi(name, elem, dims):
        return h.make_tensor_value_info(name, elem, dims)

    def untyped(name):
        from onnx import ValueInfoProto

        v = ValueInfoProto()
        v.name = name
        return v

    def init(name, dtype, values, dims=None):
        arr = np.array(values, dtype={I64: np.int64, I32: np.int32, F: np.float32, F16: np.float16, U8: np.uint8, I8: np.int8, B: np.bool_}[dtype])
        if dims is not None:
            arr = arr.reshape(dims)
        return numpy_helper.from_array(arr, name)

    def const(name, dtype, values, dims=None):
        return h.make_node("Constant", [], [name], value=init(name + "_value", dtype, values, dims))

    def case(name, nodes, inputs, outputs, inits=(), opset=17, passes=1, value_info=(), ir=8, extra_opsets=()):
        outs = [o if not isinstance(o, str) else untyped(o) for o in outputs]
        g = h.make_graph(nodes, "g", inputs, outs, initializer=list(inits), value_info=list(value_info))
        m = h.make_model(g, opset_imports=[h.make_opsetid("", opset), *[h.make_opsetid(d, v) for d, v in extra_opsets]], ir_version=ir)
        cases.append((name, m, passes))

    X = lambda dims, elem=F, name="x": vi(name, elem, dims)  # noqa: E731

    # ---- unary / same shape ----
    for op in ["Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Floor", "Ceil",
               "Softplus", "HardSigmoid", "LeakyRelu", "Elu", "Identity", "Sign", "Round", "Sin", "Cos"]:
        case(f"unary {op} symbolic", [h.make_node(op, ["x"], ["y"])], [X(["N", 3, None])], ["y"])
    for op in ["Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Cosh", "Sinh", "Tan", "Celu", "HardSwish", "Mish", "Selu",
               "Shrink", "Softsign", "ThresholdedRelu", "LpNormalization", "MeanVarianceNormalization", "Hardmax"]:
        case(f"unary {op}", [h.make_node(op, ["x"], ["y"])], [X([2, "S", 4])], ["y"], opset=18)
    case("Swish 24", [h.make_node("Swish", ["x"], ["y"])], [X(["N", 4])], ["y"], opset=24, ir=11)
    case("IsInf", [h.make_node("IsInf", ["x"], ["y"])], [X(["N", 4])], ["y"])
    case("LRN", [h.make_node("LRN", ["x"], ["y"], size=3)], [X(["N", 3, 4, 4])], ["y"])
    case("GroupNormalization 18", [h.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)], [X(["N", 4, 3])], ["y"], opset=18,
         inits=[init("s", F, [1, 1]), init("b", F, [0, 0])])
    case("GroupNormalization 21", [h.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)], [X([2, 4, 3])], ["y"], opset=21, ir=10,
         inits=[init("s", F, [1, 1, 1, 1]), init("b", F, [0, 0, 0, 0])])
    case("ScatterElements", [h.make_node("ScatterElements", ["x", "i", "u"], ["y"], axis=1)], [X(["N", 4]), X(["N", 2], I64, "i"), X(["N", 2], F, "u")], ["y"])
    case("Scatter 9", [h.make_node("Scatter", ["x", "i", "u"], ["y"])], [X(["N", 4]), X([1, 2], I64, "i"), X([1, 2], F, "u")], ["y"], opset=9)
    case("Scatter 11 (deprecated)", [h.make_node("Scatter", ["x", "i", "u"], ["y"])], [X(["N", 4]), X([1, 2], I64, "i"), X([1, 2], F, "u")], ["y"], opset=11)
    case("Upsample 9", [h.make_node("Upsample", ["x", "s"], ["y"])], [X(["N", 3, 4, 5])], ["y"], opset=9, inits=[init("s", F, [1, 1, 2, 1.5])])
    case("Upsample 10 (deprecated)", [h.make_node("Upsample", ["x", "s"], ["y"])], [X(["N", 3, 4, 5])], ["y"], opset=10, inits=[init("s", F, [1, 1, 2, 1.5])])
    case("Upsample 7", [h.make_node("Upsample", ["x"], ["y"], scales=[1.0, 1.0, 2.0, 1.5])], [X(["N", 3, 4, 5])], ["y"], opset=7)
    case("MeanVarianceNormalization 9", [h.make_node("MeanVarianceNormalization", ["x"], ["y"])], [X([2, 3, 4, 4])], ["y"], opset=9)
    case("unary Relu no shape", [h.make_node("Relu", ["x"], ["y"])], [X(None)], ["y"])
    case("unary Relu untyped input", [h.make_node("Relu", ["x"], ["y"])], [untyped("x")], ["y"])
    case("Not bool", [h.make_node("Not", ["x"], ["y"])], [X([2, "K"], B)], ["y"])
    case("Clip with min max", [h.make_node("Clip", ["x", "lo", "hi"], ["y"])], [X(["N", 4])], ["y"], inits=[init("lo", F, 0.0, []), init("hi", F, 6.0, [])])
    case("Gelu 20", [h.make_node("Gelu", ["x"], ["y"])], [X([2, "S", 8])], ["y"], opset=20)
    case("PRelu", [h.make_node("PRelu", ["x", "s"], ["y"])], [X(["N", 3, 5])], ["y"], inits=[init("s", F, [0.1, 0.2, 0.3], [3, 1])])
    case("PRelu 9", [h.make_node("PRelu", ["x", "s"], ["y"])], [X(["N", 3, 5])], ["y"], inits=[init("s", F, [0.1, 0.2, 0.3], [3, 1])], opset=9)
    case("IsNaN", [h.make_node("IsNaN", ["x"], ["y"])], [X([2, "S"])], ["y"])
    case("CumSum", [h.make_node("CumSum", ["x", "ax"], ["y"])], [X(["N", 7])], ["y"], inits=[init("ax", I64, 1, [])])
    case("Trilu", [h.make_node("Trilu", ["x"], ["y"])], [X(["B", 4, 4])], ["y"])
    case("InstanceNormalization", [h.make_node("InstanceNormalization", ["x", "s", "b"], ["y"])], [X(["N", 3, 5, 5])], ["y"],
         inits=[init("s", F, [1, 1, 1]), init("b", F, [0, 0, 0])])
    case("Cast", [h.make_node("Cast", ["x"], ["y"], to=I64)], [X(["N", None, 2])], ["y"])
    case("Cast no shape", [h.make_node("Cast", ["x"], ["y"], to=F16)], [X(None, I64)], ["y"])
    case("Cast untyped input", [h.make_node("Cast", ["x"], ["y"], to=F)], [untyped("x")], ["y"])
    case("CastLike", [h.make_node("CastLike", ["x", "t"], ["y"])], [X(["N", 2], I32), X([1], F16, "t")], ["y"])
    case("Softmax 13 axis", [h.make_node("Softmax", ["x"], ["y"], axis=1)], [X(["N", 4, 5])], ["y"])
    case("Softmax 13 bad axis", [h.make_node("Softmax", ["x"], ["y"], axis=3)], [X(["N", 4, 5])], ["y"])
    case("Softmax 11", [h.make_node("Softmax", ["x"], ["y"])], [X(["N", 4, 5])], ["y"], opset=11)
    case("LogSoftmax 13", [h.make_node("LogSoftmax", ["x"], ["y"])], [X([2, 3])], ["y"])
    case("Dropout 13 mask", [h.make_node("Dropout", ["x"], ["y", "m"])], [X(["N", 3])], ["y", "m"])
    case("Dropout 13 ratio", [h.make_node("Dropout", ["x", "r"], ["y"])], [X(["N", 3])], ["y"], inits=[init("r", F, 0.5, [])])
    case("Dropout 10 mask", [h.make_node("Dropout", ["x"], ["y", "m"])], [X(["N", 3])], ["y", "m"], opset=10)

    # ---- broadcasting ----
    for op in ["Add", "Sub", "Mul", "Div", "Pow"]:
        case(f"{op} broadcast", [h.make_node(op, ["a", "b"], ["y"])], [X(["N", 1, 4], name="a"), X([3, 1], name="b")], ["y"])
    bshapes = [
        (["N", 1], [1, "M"]), (["N"], ["N"]), (["N"], ["M"]), ([None], [None]), ([None], ["N"]), ([2, 3], [3]),
        ([1, 1], ["K", 1]), ([], [2, 2]), (["N", 4], None), ([1], [None]), ([5], [1]),
    ]
    for i, (a, b) in enumerate(bshapes):
        case(f"Add shapes {i}", [h.make_node("Add", ["a", "b"], ["y"])], [X(a, name="a"), X(b, name="b")], ["y"])
    case("Add incompatible", [h.make_node("Add", ["a", "b"], ["y"])], [X([2, 3], name="a"), X([4], name="b")], ["y"])
    case("Add 6 legacy", [h.make_node("Add", ["a", "b"], ["y"])], [X(["N", 3], name="a"), X([3], name="b")], ["y"], opset=6)
    for op in ["BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor"]:
        attrs = {"direction": "LEFT"} if op == "BitShift" else {}
        case(f"{op}", [h.make_node(op, ["a", "b"], ["y"], **attrs)], [X(["N", 3], U8, "a"), X([3], U8, "b")], ["y"], opset=18)
    case("BitwiseNot", [h.make_node("BitwiseNot", ["a"], ["y"])], [X(["N", 3], U8, "a")], ["y"], opset=18)
    case("Mod", [h.make_node("Mod", ["a", "b"], ["y"])], [X(["N", 3], I64, "a"), X([3], I64, "b")], ["y"])
    for op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]:
        case(f"{op}", [h.make_node(op, ["a", "b"], ["y"])], [X(["N", 3], I64, "a"), X([1], I64, "b")], ["y"])
    case("Or", [h.make_node("Or", ["a", "b"], ["y"])], [X(["N"], B, "a"), X(["N"], B, "b")], ["y"])
    case("Xor", [h.make_node("Xor", ["a", "b"], ["y"])], [X([2, 1], B, "a"), X([3], B, "b")], ["y"])
    case("Min variadic", [h.make_node("Min", ["a", "b"], ["y"])], [X(["N", 3], name="a"), X([1], name="b")], ["y"])
    case("Mean variadic", [h.make_node("Mean", ["a", "b", "c"], ["y"])], [X([2, 3], name="a"), X([3], name="b"), X([2, 1], name="c")], ["y"])
    case("And", [h.make_node("And", ["a", "b"], ["y"])], [X(["N", 1], B, "a"), X([1, "M"], B, "b")], ["y"])
    case("Equal one untyped", [h.make_node("Equal", ["a", "b"], ["y"])], [X(["N"], I64, "a"), untyped("b")], ["y"])
    case("Max variadic", [h.make_node("Max", ["a", "b", "c"], ["y"])], [X(["N", 1], name="a"), X([3], name="b"), X([1, 1], name="c")], ["y"])
    case("Sum one no shape", [h.make_node("Sum", ["a", "b"], ["y"])], [X([2], name="a"), X(None, name="b")], ["y"])
    case("Where", [h.make_node("Where", ["c", "a", "b"], ["y"])], [X(["N", 1], B, "c"), X([1, 4], I64, "a"), X([4], I64, "b")], ["y"])

    # ---- matmul / gemm ----
    mm = [(["B", "S", 8], [8, 16]), ([8], [8, 3]), ([4, 8], [8]), ([8], [8]), (["B", 1, 4, 8], [3, 8, 2]),
          ([None, 8], [8, "K"]), ([2, 3], [4, 5]), (None, [3, 4])]
    for i, (a, b) in enumerate(mm):
        case(f"MatMul {i}", [h.make_node("MatMul", ["a", "b"], ["y"])], [X(a, name="a"), X(b, name="b")], ["y"])
    case("MatMulInteger", [h.make_node("MatMulInteger", ["a", "b"], ["y"])], [X(["N", 4], U8, "a"), X([4, 2], I8, "b")], ["y"])
    case("Gemm", [h.make_node("Gemm", ["a", "b", "c"], ["y"], transB=1)], [X(["N", 4], name="a")], ["y"],
         inits=[init("b", F, np.zeros(12), [3, 4]), init("c", F, np.zeros(3), [3])])
    case("Gemm transA", [h.make_node("Gemm", ["a", "b"], ["y"], transA=1)], [X([4, "N"], name="a"), X([4, 5], name="b")], ["y"])
    case("Gemm 6", [h.make_node("Gemm", ["a", "b", "c"], ["y"], transB=1, broadcast=1)], [X([2, 4], name="a"), X([3, 4], name="b"), X([3], name="c")], ["y"], opset=6, ir=3)

    # ---- reductions ----
    for op in ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceL2", "ReduceProd"]:
        case(f"{op} 13 attr", [h.make_node(op, ["x"], ["y"], axes=[-1])] if op != "ReduceSum" else [h.make_node(op, ["x", "ax"], ["y"])],
             [X(["N", "S", 8])], ["y"], opset=13, inits=[init("ax", I64, [-1])] if op == "ReduceSum" else [])
    for op in ["ReduceMin", "ReduceL1", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]:
        case(f"{op} 18", [h.make_node(op, ["x", "ax"], ["y"], keepdims=0)], [X(["N", "S", 8])], ["y"], opset=18, inits=[init("ax", I64, [1])])
        case(f"{op} 13", [h.make_node(op, ["x"], ["y"], axes=[0])], [X(["N", "S", 8])], ["y"], opset=13)
    case("ReduceMean keepdims 0", [h.make_node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=0)], [X(["N", "S", 8])], ["y"], opset=13)
    case("ReduceMean all", [h.make_node("ReduceMean", ["x"], ["y"])], [X(["N", "S", 8])], ["y"], opset=13)
    case("ReduceMean 18 input axes", [h.make_node("ReduceMean", ["x", "ax"], ["y"])], [X(["N", "S", 8])], ["y"], opset=18, inits=[init("ax", I64, [0, 2])])
    case("ReduceMean 18 no axes", [h.make_node("ReduceMean", ["x"], ["y"], keepdims=0)], [X(["N", "S", 8])], ["y"], opset=18)
    case("ReduceMean 18 noop", [h.make_node("ReduceMean", ["x"], ["y"], noop_with_empty_axes=1)], [X(["N", "S", 8])], ["y"], opset=18)
    case("ReduceMean 18 dynamic axes", [h.make_node("ReduceMean", ["x", "ax"], ["y"])], [X(["N", "S", 8]), X([1], I64, "ax")], ["y"], opset=18)
    case("ReduceSum 13 const node axes", [const("ax", I64, [1]), h.make_node("ReduceSum", ["x", "ax"], ["y"], keepdims=0)], [X([2, 3, 4])], ["y"], opset=13)
    case("ArgMax", [h.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=0)], [X(["N", 5, "C"])], ["y"])
    case("ArgMin keep", [h.make_node("ArgMin", ["x"], ["y"], axis=-1)], [X(["N", 5, "C"])], ["y"])

    # ---- reshape family ----
    rs = [([2, 3, 4], [6, -1]), (["N", 3, 4], [0, -1]), (["N", "S", 384], [0, 0, 12, 32]), (["N", 3, 4], [-1, 4]),
          ([2, 3, 4], [0, 0, 0]), ([None, 3, 4], [0, 12]), (["N", "S", 12, 32], [0, 0, 384]), ([2, 3, 4], [4, -1, 2])]
    for i, (x, s) in enumerate(rs):
        case(f"Reshape 14 const {i}", [h.make_node("Reshape", ["x", "s"], ["y"])], [X(x)], ["y"], inits=[init("s", I64, s)], opset=14)
    case("Reshape 14 allowzero", [h.make_node("Reshape", ["x", "s"], ["y"], allowzero=1)], [X([0, 3])], ["y"], inits=[init("s", I64, [3, 0])], opset=14)
    case("Reshape 14 rank only", [h.make_node("Reshape", ["x", "s"], ["y"])], [X([2, 3, 4]), X([3], I64, "s")], ["y"], opset=14)
    case("Reshape 14 unknown rank", [h.make_node("Reshape", ["x", "s"], ["y"])], [X([2, 3, 4]), X(["K"], I64, "s")], ["y"], opset=14)
    case("Reshape 5 rank only", [h.make_node("Reshape", ["x", "s"], ["y"])], [X([2, 3, 4]), X([3], I64, "s")], ["y"], opset=9)
    case("Reshape 5 const", [h.make_node("Reshape", ["x", "s"], ["y"])], [X(["N", 3, 4])], ["y"], inits=[init("s", I64, [0, -1])], opset=9)
    case("Reshape const node", [const("s", I64, [-1, 2]), h.make_node("Reshape", ["x", "s"], ["y"])], [X([4, 3])], ["y"])
    case("Reshape bad -1", [h.make_node("Reshape", ["x", "s"], ["y"])], [X([2, 3])], ["y"], inits=[init("s", I64, [4, -1])])
    case("Reshape int32 shape", [h.make_node("Reshape", ["x", "s"], ["y"])], [X([2, 3])], ["y"], inits=[init("s", I32, [3, 2])])
    case("Shape", [h.make_node("Shape", ["x"], ["y"])], [X(["N", 3])], ["y"])
    case("Shape no shape", [h.make_node("Shape", ["x"], ["y"])], [X(None)], ["y"])
    case("Shape untyped", [h.make_node("Shape", ["x"], ["y"])], [untyped("x")], ["y"])
    case("Shape 15 start end", [h.make_node("Shape", ["x"], ["y"], start=1, end=-1)], [X(["N", 3, 4, 5])], ["y"])
    case("Shape 13", [h.make_node("Shape", ["x"], ["y"])], [X(["N", 3])], ["y"], opset=13)
    case("Size", [h.make_node("Size", ["x"], ["y"])], [X(["N", 3])], ["y"])
    for i, (d, ind, ax) in enumerate([(["V", 8], ["N", "S"], 0), ([5, 6, 7], [], 1), ([5, 6, 7], [2], -1), (["A", "B"], [3, 4], 1), ([4], [], 0)]):
        case(f"Gather {i}", [h.make_node("Gather", ["d", "i"], ["y"], axis=ax)], [X(d, name="d"), X(ind, I64, "i")], ["y"])
    case("Gather scalar const index", [const("i", I64, 0, []), h.make_node("Gather", ["d", "i"], ["y"])], [X([3, "N"], I64, "d")], ["y"])
    case("GatherElements", [h.make_node("GatherElements", ["d", "i"], ["y"], axis=1)], [X([3, 4], name="d"), X(["N", 2], I64, "i")], ["y"])
    case("Unsqueeze 13 const", [h.make_node("Unsqueeze", ["x", "a"], ["y"])], [X(["N", "S"])], ["y"], inits=[init("a", I64, [1, -1])])
    case("Unsqueeze 13 scalar", [const("a", I64, [0]), h.make_node("Unsqueeze", ["x", "a"], ["y"])], [X([], I64)], ["y"])
    case("Unsqueeze 13 dynamic", [h.make_node("Unsqueeze", ["x", "a"], ["y"])], [X(["N", "S"]), X([1], I64, "a")], ["y"])
    case("Unsqueeze 11", [h.make_node("Unsqueeze", ["x"], ["y"], axes=[0, 3])], [X(["N", "S"])], ["y"], opset=11)
    case("Unsqueeze 11 scalar", [h.make_node("Unsqueeze", ["x"], ["y"], axes=[0])], [X([])], ["y"], opset=11)
    case("Squeeze 13 const", [h.make_node("Squeeze", ["x", "a"], ["y"])], [X([1, "N", 1])], ["y"], inits=[init("a", I64, [0, -1])])
    case("Squeeze 13 no axes", [h.make_node("Squeeze", ["x"], ["y"])], [X([1, 3, 1, 2])], ["y"])
    case("Squeeze 13 no axes symbolic", [h.make_node("Squeeze", ["x"], ["y"])], [X([1, "N", 2])], ["y"])
    case("Squeeze 13 dynamic", [h.make_node("Squeeze", ["x", "a"], ["y"])], [X([1, "N"]), X([1], I64, "a")], ["y"])
    case("Squeeze 13 bad", [h.make_node("Squeeze", ["x", "a"], ["y"])], [X([2, "N"])], ["y"], inits=[init("a", I64, [0])])
    case("Squeeze 11 axes", [h.make_node("Squeeze", ["x"], ["y"], axes=[1])], [X(["N", 1, 4])], ["y"], opset=11)
    case("Squeeze 11 no axes", [h.make_node("Squeeze", ["x"], ["y"])], [X([1, 4, 1])], ["y"], opset=11)
    for i, shapes in enumerate([[[2, "S"], [3, "S"]], [["N", 2], ["M", 2]], [[None, 2], [3, 2]], [["N", 2], [None, 2], [1, 2]], [[1], [1], [1]], [[2, 3], [2]]]):
        names = [f"a{j}" for j in range(len(shapes))]
        case(f"Concat {i}", [h.make_node("Concat", names, ["y"], axis=0)], [X(s, name=n) for s, n in zip(shapes, names)], ["y"])
    case("Concat one untyped", [h.make_node("Concat", ["a", "b"], ["y"], axis=0)], [X([2], name="a"), untyped("b")], ["y"])
    case("Concat single", [h.make_node("Concat", ["a"], ["y"], axis=-1)], [X(["N", 2], name="a")], ["y"])

    sl = [([10, "N", 8], [1], [-1], [0], None), (["B", 20], [2, 0], [1000, 5], [1, 0], [3, 1]), ([10], [-3], [100], None, None),
          ([10], [9], [0], [0], [-2]), ([10, 4], [0], [-100], [-1], [-1]), (["N", 5], [0], [1], [0], None), ([8], [2], [2], [0], None)]
    for i, (x, s, e, a, st) in enumerate(sl):
        ins = ["x", "s", "e"] + (["a"] if a is not None or st is not None else []) + (["st"] if st is not None else [])
        inits = [init("s", I64, s), init("e", I64, e)]
        if a is not None:
            inits.append(init("a", I64, a))
        elif st is not None:
            inits.append(init("a", I64, list(range(len(s)))))
        if st is not None:
            inits.append(init("st", I64, st))
        case(f"Slice 13 const {i}", [h.make_node("Slice", ins, ["y"])], [X(x)], ["y"], inits=inits)
    case("Slice 13 int32", [h.make_node("Slice", ["x", "s", "e"], ["y"])], [X([6, 4])], ["y"], inits=[init("s", I32, [1]), init("e", I32, [3])])
    case("Slice 13 INT64 max", [h.make_node("Slice", ["x", "s", "e", "a"], ["y"])], [X([6, "N"])], ["y"],
         inits=[init("s", I64, [1]), init("e", I64, [9223372036854775807]), init("a", I64, [0])])
    case("Slice 13 dynamic", [h.make_node("Slice", ["x", "s", "e"], ["y"])], [X(["N", 6]), X([1], I64, "s")], ["y"], inits=[init("e", I64, [3])])
    case("Slice 1 attrs", [h.make_node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, 100], axes=[0, 2])], [X([5, "N", 7])], ["y"], opset=9)
    case("Slice 1 negative", [h.make_node("Slice", ["x"], ["y"], starts=[-2], ends=[100])], [X([5, 3])], ["y"], opset=9)
    case("Transpose perm", [h.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 1, 3])], [X(["B", "S", 12, 32])], ["y"])
    case("Transpose default", [h.make_node("Transpose", ["x"], ["y"])], [X(["B", "S", None])], ["y"])
    case("Transpose scalar", [h.make_node("Transpose", ["x"], ["y"])], [X([])], ["y"])
    case("Transpose bad perm", [h.make_node("Transpose", ["x"], ["y"], perm=[0, 0])], [X([2, 3])], ["y"])
    for i, (x, ax) in enumerate([(["N", 3, 4, 5], 1), (["N", 3, 4, 5], 0), (["N", 3, 4, 5], -1), ([2, "A", 4], 2), ([2, 3], 2)]):
        case(f"Flatten {i}", [h.make_node("Flatten", ["x"], ["y"], axis=ax)], [X(x)], ["y"])
    case("Expand const", [h.make_node("Expand", ["x", "s"], ["y"])], [X(["N", 1])], ["y"], inits=[init("s", I64, [2, 1, 6])])
    case("Expand dynamic", [h.make_node("Expand", ["x", "s"], ["y"])], [X(["N", 1]), X([3], I64, "s")], ["y"])
    case("Expand 8", [h.make_node("Expand", ["x", "s"], ["y"])], [X([3, 1])], ["y"], inits=[init("s", I64, [3, 4])], opset=8)
    case("Tile const", [h.make_node("Tile", ["x", "r"], ["y"])], [X(["N", 3])], ["y"], inits=[init("r", I64, [2, 2])])
    case("Tile dynamic", [h.make_node("Tile", ["x", "r"], ["y"])], [X(["N", 3]), X([2], I64, "r")], ["y"])
    case("Pad 13 const", [h.make_node("Pad", ["x", "p"], ["y"])], [X(["N", 3, 4])], ["y"], inits=[init("p", I64, [0, 1, 0, 0, 1, 2])])
    case("Pad 13 dynamic", [h.make_node("Pad", ["x", "p"], ["y"])], [X(["N", 3, 4]), X([6], I64, "p")], ["y"])
    case("Pad 18 axes", [h.make_node("Pad", ["x", "p", "", "a"], ["y"])], [X(["N", 3, 4])], ["y"], opset=18,
         inits=[init("p", I64, [1, 2]), init("a", I64, [-1])])
    case("Pad 2 attrs", [h.make_node("Pad", ["x"], ["y"], pads=[0, 1, 0, 2])], [X(["N", 3])], ["y"], opset=9)
    case("ConstantOfShape const", [h.make_node("ConstantOfShape", ["s"], ["y"], value=init("v", I64, [0]))], [], ["y"], inits=[init("s", I64, [2, 3])])
    case("ConstantOfShape dynamic", [h.make_node("ConstantOfShape", ["s"], ["y"])], [X([2], I64, "s")], ["y"])
    case("ConstantOfShape from Shape", [h.make_node("Shape", ["x"], ["s"]), h.make_node("ConstantOfShape", ["s"], ["y"])], [X(["N", 3])], ["y"])
    case("Constant value", [const("c", F, [1, 2, 3, 4], [2, 2])], [], ["c"])
    case("Constant value_ints", [h.make_node("Constant", [], ["c"], value_ints=[1, 2, 3])], [], ["c"])
    case("Constant value_float", [h.make_node("Constant", [], ["c"], value_float=2.0)], [], ["c"])
    case("Constant value_int then Reshape", [h.make_node("Constant", [], ["s"], value_ints=[-1]), h.make_node("Reshape", ["x", "s"], ["y"])], [X([2, 3])], ["y"])
    case("Constant 11", [const("c", I64, [5], [1])], [], ["c"], opset=11)
    case("Range int const", [h.make_node("Range", ["a", "b", "d"], ["y"])], [], ["y"], inits=[init("a", I64, 0, []), init("b", I64, 10, []), init("d", I64, 3, [])])
    case("Range float const", [h.make_node("Range", ["a", "b", "d"], ["y"])], [], ["y"], inits=[init("a", F, 0.5, []), init("b", F, 2.0, []), init("d", F, 0.3, [])])
    case("Range dynamic", [h.make_node("Range", ["a", "b", "d"], ["y"])], [X([], I64, "b")], ["y"], inits=[init("a", I64, 0, []), init("d", I64, 1, [])])
    case("Split 13 even", [h.make_node("Split", ["x"], ["y0", "y1"], axis=1)], [X(["N", 6])], ["y0", "y1"])
    case("Split 13 sizes", [h.make_node("Split", ["x", "s"], ["y0", "y1", "y2"], axis=-1)], [X(["N", 6])], ["y0", "y1", "y2"], inits=[init("s", I64, [1, 2, 3])], opset=13)
    case("Split 13 symbolic", [h.make_node("Split", ["x"], ["y0", "y1"], axis=0)], [X(["N", 6])], ["y0", "y1"], opset=13)
    case("Split 11 attr", [h.make_node("Split", ["x"], ["y0", "y1"], axis=1, split=[2, 4])], [X(["N", 6])], ["y0", "y1"], opset=11)
    case("Split 18 num_outputs", [h.make_node("Split", ["x"], ["y0", "y1", "y2"], axis=1, num_outputs=3)], [X(["N", 7])], ["y0", "y1", "y2"], opset=18)
    case("Split 18 sizes", [h.make_node("Split", ["x", "s"], ["y0", "y1"], axis=1)], [X(["N", 7])], ["y0", "y1"], opset=18, inits=[init("s", I64, [3, 4])])
    case("OneHot", [h.make_node("OneHot", ["i", "d", "v"], ["y"], axis=-1)], [X(["N", 3], I64, "i")], ["y"],
         inits=[init("d", I64, 10, []), init("v", F, [0, 1])])
    case("NonZero", [h.make_node("NonZero", ["x"], ["y"])], [X(["N", 3])], ["y"])
    case("TopK const", [h.make_node("TopK", ["x", "k"], ["v", "i"])], [X(["N", 10])], ["v", "i"], inits=[init("k", I64, [3])])
    case("TopK dynamic", [h.make_node("TopK", ["x", "k"], ["v", "i"])], [X(["N", 10]), X([1], I64, "k")], ["v", "i"])
    case("Resize 11 scales", [h.make_node("Resize", ["x", "roi", "sc"], ["y"], mode="nearest")], [X(["N", 3, 7, 9])], ["y"], opset=11,
         inits=[init("roi", F, []), init("sc", F, [1, 1, 2.0, 1.5])])
    case("Resize 11 sizes", [h.make_node("Resize", ["x", "roi", "sc", "sz"], ["y"])], [X(["N", 3, 7, 9])], ["y"], opset=11,
         inits=[init("roi", F, []), init("sc", F, []), init("sz", I64, [1, 3, 14, 18])])
    case("Resize 13 scales only", [h.make_node("Resize", ["x", "", "sc"], ["y"])], [X([1, 3, 10, 10])], ["y"], opset=13, inits=[init("sc", F, [1, 1, 1.1, 1.1])])
    case("Resize 13 dynamic", [h.make_node("Resize", ["x", "", "sc"], ["y"])], [X([1, 3, 10, 10]), X([4], F, "sc")], ["y"], opset=13)
    case("Resize 18 sizes", [h.make_node("Resize", ["x", "", "", "sz"], ["y"])], [X(["N", 3, 10, 10])], ["y"], opset=18, inits=[init("sz", I64, [1, 3, 5, 5])])
    case("DepthToSpace", [h.make_node("DepthToSpace", ["x"], ["y"], blocksize=2)], [X(["N", 8, 3, "W"])], ["y"])
    case("SpaceToDepth", [h.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2)], [X(["N", 2, 6, 4])], ["y"])
    case("Compress axis", [h.make_node("Compress", ["x", "c"], ["y"], axis=1)], [X(["N", 5]), X([5], B, "c")], ["y"])
    case("Compress flat", [h.make_node("Compress", ["x", "c"], ["y"])], [X(["N", 5]), X([5], B, "c")], ["y"])
    case("Unique", [h.make_node("Unique", ["x"], ["y", "i", "inv", "c"])], [X(["N"], I64)], ["y", "i", "inv", "c"])
    case("Unique axis", [h.make_node("Unique", ["x"], ["y", "i", "inv", "c"], axis=0)], [X(["N", 3], I64)], ["y", "i", "inv", "c"])
    case("ScatterND", [h.make_node("ScatterND", ["x", "i", "u"], ["y"])], [X(["N", 4]), X([2, 1], I64, "i"), X([2, 4], F, "u")], ["y"])

    # ---- nn ----
    conv = [
        dict(x=["N", 3, 32, 32], w=[8, 3, 3, 3], attrs=dict(pads=[1, 1, 1, 1])),
        dict(x=["N", 3, 32, 31], w=[8, 3, 3, 3], attrs=dict(strides=[2, 2])),
        dict(x=["N", 3, 32, "W"], w=[8, 3, 3, 3], attrs=dict(auto_pad="SAME_UPPER", strides=[2, 2])),
        dict(x=["N", 3, 17, 17], w=[8, 3, 3, 3], attrs=dict(auto_pad="SAME_LOWER", strides=[2, 2], dilations=[2, 2])),
        dict(x=["N", 4, 16], w=[8, 2, 5], attrs=dict(group=2, pads=[2, 2])),
        dict(x=[1, 3, 8, 8, 8], w=[4, 3, 2, 2, 2], attrs=dict(strides=[2, 2, 2])),
        dict(x=["N", 3, 32, 32], w=[8, 3, 3, 3], attrs=dict(auto_pad="VALID")),
    ]
    for i, c in enumerate(conv):
        case(f"Conv {i}", [h.make_node("Conv", ["x", "w"], ["y"], **c["attrs"])], [X(c["x"]), X(c["w"], name="w")], ["y"])
    case("Conv weight init", [h.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3], pads=[1, 1])], [X(["N", 2, 10])], ["y"],
         inits=[init("w", F, np.zeros(12), [2, 2, 3]), init("b", F, [0, 0])])
    case("Conv 1 legacy", [h.make_node("Conv", ["x", "w"], ["y"])], [X([2, 3, 7, 5]), X([4, 3, 3, 2], name="w")], ["y"], opset=6, ir=3)
    case("ConvInteger", [h.make_node("ConvInteger", ["x", "w"], ["y"], pads=[1, 1])], [X(["N", 2, 10], U8), X([3, 2, 3], U8, "w")], ["y"])
    ct = [
        dict(x=["N", 8, 16, 16], w=[8, 4, 2, 2], attrs=dict(strides=[2, 2])),
        dict(x=["N", 8, 16, "W"], w=[8, 4, 3, 3], attrs=dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])),
        dict(x=["N", 8, 16, 16], w=[8, 4, 3, 3], attrs=dict(output_shape=[33, 33], strides=[2, 2])),
        dict(x=["N", 8, 5, 5], w=[8, 2, 3, 3], attrs=dict(group=2, auto_pad="SAME_UPPER", strides=[2, 2])),
    ]
    for i, c in enumerate(ct):
        case(f"ConvTranspose {i}", [h.make_node("ConvTranspose", ["x", "w"], ["y"], **c["attrs"])], [X(c["x"]), X(c["w"], name="w")], ["y"])
    pools = [
        ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), 1),
        ("MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), 1),
        ("MaxPool", dict(kernel_shape=[2, 2], auto_pad="SAME_UPPER", strides=[2, 2]), 2),
        ("AveragePool", dict(kernel_shape=[2, 2], strides=[2, 2]), 1),
        ("AveragePool", dict(kernel_shape=[3, 3], strides=[3, 3], ceil_mode=1, pads=[0, 0, 1, 1]), 1),
        ("MaxPool", dict(kernel_shape=[2, 2], dilations=[2, 2]), 1),
    ]
    for i, (op, attrs, nout) in enumerate(pools):
        outs = ["y", "idx"][:nout]
        case(f"{op} {i}", [h.make_node(op, ["x"], outs, **attrs)], [X(["N", 3, 11, "W"])], outs)
    case("AveragePool 19 dilations", [h.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 2])], [X([1, 3, 11, 11])], ["y"], opset=19)
    case("GlobalMaxPool", [h.make_node("GlobalMaxPool", ["x"], ["y"])], [X(["N", 3, 5])], ["y"])
    case("GlobalLpPool", [h.make_node("GlobalLpPool", ["x"], ["y"])], [X(["N", 3, 5, 5, 5])], ["y"])
    case("LpPool", [h.make_node("LpPool", ["x"], ["y"], kernel_shape=[2], strides=[2])], [X(["N", 3, 9])], ["y"])
    case("LpPool 18 dilations", [h.make_node("LpPool", ["x"], ["y"], kernel_shape=[2], dilations=[2], ceil_mode=1)], [X(["N", 3, 9])], ["y"], opset=18)
    case("GlobalAveragePool", [h.make_node("GlobalAveragePool", ["x"], ["y"])], [X(["N", 3, 11, "W"])], ["y"])
    case("BatchNormalization 15", [h.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])], [X(["N", 3, 4, 4])], ["y"],
         inits=[init(n, F, [1, 1, 1]) for n in "sbmv"])
    case("BatchNormalization 15 training", [h.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], training_mode=1)], [X(["N", 3, 4])],
         ["y", "rm", "rv"], inits=[init(n, F, [1, 1, 1]) for n in "sbmv"])
    case("BatchNormalization 9", [h.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])], [X(["N", 3, 4, 4])], ["y"],
         inits=[init(n, F, [1, 1, 1]) for n in "sbmv"], opset=9)
    case("LayerNormalization", [h.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1, epsilon=1e-5)], [X(["N", "S", 8])], ["y"],
         inits=[init("s", F, np.ones(8)), init("b", F, np.zeros(8))])
    case("LayerNormalization 3 outputs", [h.make_node("LayerNormalization", ["x", "s"], ["y", "mean", "inv"], axis=1)], [X(["N", "S", 8])], ["y", "mean", "inv"],
         inits=[init("s", F, np.ones(8 * 4), [4, 8])])
    case("LayerNormalization 14 (no schema)", [h.make_node("LayerNormalization", ["x", "s"], ["y"])], [X(["N", 8])], ["y"], inits=[init("s", F, np.ones(8))], opset=14)
    for i, (direction, layout, nout) in enumerate([("forward", 0, 3), ("bidirectional", 0, 2), ("forward", 1, 3), ("reverse", 0, 1)]):
        outs = ["Y", "Yh", "Yc"][:nout]
        x = ["S", "N", 5] if layout == 0 else ["N", "S", 5]
        nd = 2 if direction == "bidirectional" else 1
        case(f"LSTM {i}", [h.make_node("LSTM", ["x", "w", "r"], outs, hidden_size=4, direction=direction, layout=layout)], [X(x)], outs,
             inits=[init("w", F, np.zeros(nd * 16 * 5), [nd, 16, 5]), init("r", F, np.zeros(nd * 16 * 4), [nd, 16, 4])])
    case("LSTM Y omitted", [h.make_node("LSTM", ["x", "w", "r"], ["", "Yh"], hidden_size=4)], [X(["S", "N", 5])], ["Yh"],
         inits=[init("w", F, np.zeros(80), [1, 16, 5]), init("r", F, np.zeros(64), [1, 16, 4])])
    case("RNN", [h.make_node("RNN", ["x", "w", "r"], ["Y", "Yh"], hidden_size=3, direction="bidirectional")], [X(["S", "N", 5])], ["Y", "Yh"],
         inits=[init("w", F, np.zeros(30), [2, 3, 5]), init("r", F, np.zeros(18), [2, 3, 3])])
    case("GRU", [h.make_node("GRU", ["x", "w", "r"], ["Y", "Yh"], hidden_size=3)], [X(["S", "N", 5])], ["Y", "Yh"],
         inits=[init("w", F, np.zeros(45), [1, 9, 5]), init("r", F, np.zeros(27), [1, 9, 3])], opset=14)
    case("DequantizeLinear 13", [h.make_node("DequantizeLinear", ["x", "s", "z"], ["y"])], [X(["N", 4], U8)], ["y"], opset=13,
         inits=[init("s", F, 0.1, []), init("z", U8, 0, [])])
    case("DequantizeLinear 21", [h.make_node("DequantizeLinear", ["x", "s", "z"], ["y"])], [X(["N", 4], U8)], ["y"], opset=21,
         inits=[init("s", F16, 0.1, []), init("z", U8, 0, [])])
    case("QuantizeLinear 13", [h.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])], [X(["N", 4])], ["y"], opset=13,
         inits=[init("s", F, 0.1, []), init("z", I8, 0, [])])
    case("QuantizeLinear 13 no zp", [h.make_node("QuantizeLinear", ["x", "s"], ["y"])], [X(["N", 4])], ["y"], opset=13, inits=[init("s", F, 0.1, [])])
    case("DynamicQuantizeLinear", [h.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"])], [X(["N", 4])], ["q", "s", "z"], opset=13)

    # ---- other domains / unknown ops ----
    case("com.microsoft op", [h.make_node("Gelu", ["x"], ["g"], domain="com.microsoft"), h.make_node("Relu", ["g"], ["y"])], [X(["N", 4])], ["y"],
         extra_opsets=[("com.microsoft", 1)])
    case("Einsum (no rule)", [h.make_node("Einsum", ["a", "b"], ["y"], equation="ij,jk->ik")], [X([2, 3], name="a"), X([3, 4], name="b")], ["y"])

    # ---- control flow ----
    def branch(name, nodes, outs, inits=()):
        return h.make_graph(nodes, name, [], outs, initializer=list(inits))

    then_g = branch("then", [h.make_node("Add", ["x", "one"], ["t"])], [untyped("t")], [init("one", F, 1.0, [])])
    else_g = branch("else", [h.make_node("Mul", ["x", "x"], ["e"])], [untyped("e")])
    case("If same shapes", [h.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g, name="if0")], [X([], B, "c"), X(["N", 4])], ["y"])
    then2 = branch("then", [h.make_node("Reshape", ["x", "s1"], ["t"])], [untyped("t")], [init("s1", I64, [-1])])
    else2 = branch("else", [h.make_node("Identity", ["x"], ["e"])], [vi("e", F, ["N", 4])])
    case("If different ranks", [h.make_node("If", ["c"], ["y"], then_branch=then2, else_branch=else2, name="if0")], [X([], B, "c"), X(["N", 4])], ["y"])
    then3 = branch("then", [h.make_node("Concat", ["x", "x"], ["t"], axis=1)], [untyped("t")])
    else3 = branch("else", [h.make_node("Concat", ["x", "x"], ["e"], axis=0)], [untyped("e")])
    case("If different dims", [h.make_node("If", ["c"], ["y"], then_branch=then3, else_branch=else3, name="if0")], [X([], B, "c"), X(["N", 4])], ["y"])
    inner_then = branch("it", [h.make_node("Relu", ["x"], ["it_o"])], [untyped("it_o")])
    inner_else = branch("ie", [h.make_node("Neg", ["x"], ["ie_o"])], [untyped("ie_o")])
    outer_then = branch("ot", [h.make_node("If", ["c"], ["ot_o"], then_branch=inner_then, else_branch=inner_else, name="if1"),
                               h.make_node("Shape", ["ot_o"], ["ot_s"])], [untyped("ot_o")])
    outer_else = branch("oe", [h.make_node("Abs", ["x"], ["oe_o"])], [untyped("oe_o")])
    case("If nested", [h.make_node("If", ["c"], ["y"], then_branch=outer_then, else_branch=outer_else, name="if0")], [X([], B, "c"), X(["N", None])], ["y"])
    body = h.make_graph([h.make_node("Add", ["acc", "x"], ["acc_o"]), h.make_node("Identity", ["cond"], ["cond_o"]),
                         h.make_node("Relu", ["acc_o"], ["scan_o"])], "body",
                        [vi("i", I64, []), vi("cond", B, []), vi("acc", F, None)], [untyped("cond_o"), untyped("acc_o"), untyped("scan_o")])
    case("Loop", [h.make_node("Loop", ["m", "c", "a0"], ["acc", "scan"], body=body, name="loop0")], [X([], I64, "m"), X([], B, "c"), X(["N", 3], F, "a0"), X(["N", 3])],
         ["acc", "scan"])

    # ---- engine behaviour ----
    chain = [h.make_node("Shape", ["x"], ["s"]), const("i0", I64, 0, []), h.make_node("Gather", ["s", "i0"], ["b"]),
             const("ax", I64, [0]), h.make_node("Unsqueeze", ["b", "ax"], ["bu"]), const("rest", I64, [-1, 4]),
             h.make_node("Concat", ["bu", "rest"], ["ns"], axis=0), h.make_node("Reshape", ["x", "ns"], ["r"]),
             h.make_node("Transpose", ["r"], ["y"], perm=[1, 0, 2])]
    case("chain symbols", chain, [X(["batch", "seq", 8])], ["y"], opset=14)
    case("chain symbols two passes", chain, [X(["batch", "seq", 8])], ["y"], opset=14, passes=2)
    case("unk names taken", [h.make_node("Reshape", ["x", "s"], ["y"])], [X(["unk__0", "unk__2", 4]), X([2], I64, "s")], ["y"], opset=14)
    case("declared output merged", [h.make_node("Reshape", ["x", "s"], ["y"])], [X([2, 3, 4])], [vi("y", F, ["a", None])], inits=[init("s", I64, [6, -1])])
    case("declared output keeps name", [h.make_node("Transpose", ["x"], ["y"])], [X(["N", 4])], [vi("y", F, ["M", "K"])])
    case("declared value_info kept first", [h.make_node("Relu", ["x"], ["r"]), h.make_node("Neg", ["r"], ["y"])], [X(["N", 4])], ["y"],
         value_info=[vi("r", F, ["R", None])])
    case("declared value_info conflicts", [h.make_node("Relu", ["x"], ["r"]), h.make_node("Neg", ["r"], ["y"])], [X([2, 4])], ["y"],
         value_info=[vi("r", F, [3, 4])])
    case("declared value_info elem conflicts", [h.make_node("Cast", ["x"], ["r"], to=I64), h.make_node("Neg", ["r"], ["y"])], [X([2, 4])], ["y"],
         value_info=[vi("r", F, [2, 4])])
    case("untyped value_info", [h.make_node("Relu", ["x"], ["r"]), h.make_node("Neg", ["r"], ["y"])], [X([2])], ["y"], value_info=[untyped("r")])
    case("initializer as input ir3", [h.make_node("Add", ["x", "w"], ["y"])], [X([2, 3]), X([3], F, "w")], ["y"], inits=[init("w", F, [1, 2, 3])], ir=3, opset=9)
    case("initializer not input ir3", [h.make_node("Add", ["x", "w"], ["y"])], [X([2, 3])], ["y"], inits=[init("w", F, [1, 2, 3])], ir=3, opset=9)
    case("node before its input", [h.make_node("Relu", ["r"], ["y"]), h.make_node("Neg", ["x"], ["r"])], [X([2])], ["y"])
    case("node error then downstream", [h.make_node("Reshape", ["x", "s"], ["r"]), h.make_node("Relu", ["r"], ["y"])], [X([2, 3])], ["y"], inits=[init("s", I64, [5, -1])])
    return cases


def run_cases(out_dir: Path) -> int:
    import onnx
    from onnx import shape_inference

    cases = build_cases()
    entries = []
    for name, model, passes in cases:
        data = model.SerializeToString()
        entry = {"name": name, "passes": passes, "model": base64.b64encode(data).decode("ascii")}
        try:
            m = onnx.load_from_string(data)
            for _ in range(passes):
                m = shape_inference.infer_shapes(m)
            entry["expect"] = {"graphs": describe_graphs(m.graph)}
        except Exception as e:  # noqa: BLE001  (onnx's whole call fails: record it)
            entry["expect"] = {"error": (str(e).strip().splitlines() or [type(e).__name__])[0][:300]}
        entries.append(entry)
    names = [e["name"] for e in entries]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise SystemExit(f"duplicate case names: {sorted(dup)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = ['{"onnx":%s,"cases":[' % json.dumps(onnx.__version__)]
    lines.append(",\n".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in entries))
    lines.append("]}")
    (out_dir / "cases.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"[infer] {len(entries)} cases -> {out_dir / 'cases.json'}")
    return 0


def run_fixtures(out_dir: Path, manifest: dict, root: Path) -> int:
    import hashlib

    import onnx
    from onnx import shape_inference

    n = 0
    for f in manifest["fixtures"]:
        if f["kind"] not in ("text-embedding", "text-embedding-quantized", "vision", "audio"):
            continue
        path = root / f["path"]
        data = path.read_bytes()
        m = onnx.load_from_string(data)
        inferred = shape_inference.infer_shapes(m)
        golden = {
            "onnx": onnx.__version__,
            "fixture": {"name": f["name"], "kind": f["kind"], "path": f["path"]},
            "input_sha256": hashlib.sha256(data).hexdigest(),
            "call": "onnx.shape_inference.infer_shapes(model) (check_type=False, strict_mode=False, data_prop=False)",
            "graphs": describe_graphs(inferred.graph),
        }
        text = ['{']
        keys = list(golden)
        for i, k in enumerate(keys):
            comma = "," if i < len(keys) - 1 else ""
            if k == "graphs":
                text.append('"graphs":{')
                gl = []
                for gk, gv in golden["graphs"].items():
                    parts = [f'{json.dumps(lk)}:[' + ",\n".join(json.dumps(x, separators=(",", ":"), ensure_ascii=False) for x in gv[lk]) + "]" for lk in ("inputs", "outputs", "value_info")]
                    gl.append(f"{json.dumps(gk)}:{{" + ",\n".join(parts) + "}")
                text.append(",\n".join(gl))
                text.append("}" + comma)
            else:
                text.append(f"{json.dumps(k)}:{json.dumps(golden[k], separators=(',', ':'))}{comma}")
        text.append("}")
        (out_dir / f"{f['name']}.json").write_text("\n".join(text) + "\n", encoding="utf-8")
        n += 1
        print(f"[infer] {f['name']}: {sum(len(g['value_info']) for g in golden['graphs'].values())} value_info entries in {len(golden['graphs'])} graphs")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(OUT_DIR))
    ap.add_argument("--cases-only", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    rc = run_cases(out)
    if not args.cases_only:
        found = gl.read_manifest()
        if found is None:
            return 2
        rc |= run_fixtures(out, *found)
    return rc


if __name__ == "__main__":
    sys.exit(main())
