"""The reference tools on one model, with the options our default maps to (run with the parity / fp16 venv's python,
through bench/measure.py, which measures time and peak RSS from outside):
   python bench/python-case.py int8 <model.onnx> <out.onnx> [JSON]
       onnxruntime.quantization.quantize_dynamic(model, out, **JSON) where JSON holds weight_type ("QInt8" /
       "QUInt8" / "auto-conv" = QUInt8 when the graph has a Conv, as transformers.js decides), per_channel,
       reduce_range, op_types_to_quantize, extra_options (bench/run.ts builds it from src/core/int8/presets.ts).
   python bench/python-case.py fp16 <model.onnx> <out.onnx> [JSON]
       onnxconverter_common.float16.convert_float_to_float16(onnx.load(model), **JSON), or, for a model with external
       data, convert_float_to_float16_model_path(model, **JSON) (the library's route for models over 2 GB); onnx.save,
       with one external data file when the result is over 2 GB.
External data is read from next to the model (the libraries do it). Prints one JSON line: {ms, outBytes}."""
import json, os, sys, time

mode, src, dst = sys.argv[1:4]
opts = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
t0 = time.perf_counter()
import onnx

if mode == "int8":
    from onnxruntime.quantization import QuantType, quantize_dynamic

    wt = opts.pop("weight_type", "QInt8")
    if wt == "auto-conv":
        has_conv = any(n.op_type == "Conv" for n in onnx.load(src, load_external_data=False).graph.node)
        wt = "QUInt8" if has_conv else "QInt8"
    quantize_dynamic(src, dst, weight_type=QuantType[wt], **opts)
elif mode == "fp16":
    from onnxconverter_common import float16

    head = onnx.load(src, load_external_data=False)
    external = any(t.data_location == onnx.TensorProto.EXTERNAL for t in head.graph.initializer)
    del head
    if external:
        out = float16.convert_float_to_float16_model_path(src, **opts)
    else:
        out = float16.convert_float_to_float16(onnx.load(src), **opts)
    big = sum(len(t.raw_data) for t in out.graph.initializer) > 2**31 - 2**26
    onnx.save(out, dst, save_as_external_data=big, all_tensors_to_one_file=True, location=os.path.basename(dst) + "_data")
else:
    raise SystemExit(f"unknown mode {mode}")
ms = (time.perf_counter() - t0) * 1000
out_bytes = sum(os.path.getsize(p) for p in [dst, dst + "_data"] if os.path.exists(p))
print(json.dumps({"ms": ms, "outBytes": out_bytes}))
