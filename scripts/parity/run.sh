#!/usr/bin/env bash
# Regenerate the parity goldens with the pinned reference tools (scripts/parity/requirements.txt):
#   tests/golden/int8/*.json   onnxruntime.quantization.quantize_dynamic on every fixture x preset (make_golden.py)
#   tests/golden/infer/*.json  onnx.shape_inference.infer_shapes on tiny graphs and on the fixtures (make_infer_golden.py)
#
#   bash scripts/parity/run.sh                 # both (all fixtures x presets, then the inference goldens)
#   bash scripts/parity/run.sh --only minilm   # int8 goldens only; extra args go to make_golden.py
#   bash scripts/parity/run.sh --infer         # inference goldens only; extra args go to make_infer_golden.py
#   bash scripts/parity/run.sh --q4 [args]     # the Q4 goldens (tests/golden/q4/) via make_golden_q4.py
#   bash scripts/parity/run.sh --targets [args]  # Optimum's arm64/avx2/avx512/avx512_vnni (tests/golden/targets/)
#   bash scripts/parity/run.sh --kernels [args]  # CPU-EP kernel probe per onnxruntime version (tests/golden/targets/kernels.json)
#
# Needs the fixtures (`npm run fixtures`, manifest at $FIXTURES_DIR or .cache/fixtures).
# Creates/updates the venv .cache/parity-venv/ (separate from the export venv .cache/py/).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../pinned-venv.sh"
pinned_venv parity-venv "$HERE/requirements.txt"
"$VENV_PY" -c "import onnxruntime, onnx, numpy; print('[parity] onnxruntime', onnxruntime.__version__, 'onnx', onnx.__version__, 'numpy', numpy.__version__)" >&2
case "${1:-}" in
  --infer) shift; exec "$VENV_PY" "$HERE/make_infer_golden.py" "$@" ;;
  --q4) shift; exec "$VENV_PY" "$HERE/make_golden_q4.py" "$@" ;;
  --targets) shift; exec "$VENV_PY" "$HERE/make_golden_targets.py" "$@" ;;
  --kernels) shift; exec "$VENV_PY" "$HERE/probe_kernels.py" "$@" ;;
esac
if [ "$#" -eq 0 ]; then
  "$VENV_PY" "$HERE/make_golden.py"
  exec "$VENV_PY" "$HERE/make_infer_golden.py"
fi
exec "$VENV_PY" "$HERE/make_golden.py" "$@"
