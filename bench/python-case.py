"""Times the reference tools on one model (run with the parity venv's python):
   python bench/python-case.py <int8|fp16> <model.onnx> <out.onnx>
Prints one JSON line: {ms, outBytes, maxRssMiB}. int8 = onnxruntime quantize_dynamic defaults;
fp16 = onnxconverter-common convert_float_to_float16(keep_io_types=True) when installed."""
import json, os, resource, sys, time

mode, src, dst = sys.argv[1:4]
t0 = time.perf_counter()
if mode == "int8":
    from onnxruntime.quantization import quantize_dynamic
    quantize_dynamic(src, dst)
else:
    import onnx
    from onnxconverter_common import float16
    onnx.save(float16.convert_float_to_float16(onnx.load(src), keep_io_types=True), dst)
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"ms": ms, "outBytes": os.path.getsize(dst), "maxRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
