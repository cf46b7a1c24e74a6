#!/usr/bin/env bash
# Regenerate the int8 parity goldens (tests/golden/int8/*.json) with the reference
# onnxruntime.quantization.quantize_dynamic, pinned in scripts/parity/requirements.txt.
#
#   bash scripts/parity/run.sh                 # all fixtures x presets
#   bash scripts/parity/run.sh --only minilm   # extra args go to make_golden.py
#   bash scripts/parity/run.sh --q4 [args]     # the Q4 goldens (tests/golden/q4/) via make_golden_q4.py
#
# Needs the fixtures (`npm run fixtures`, manifest at $FIXTURES_DIR or .cache/fixtures).
# Creates/updates the venv .cache/parity-venv/ (separate from the export venv .cache/py/).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../pinned-venv.sh"
pinned_venv parity-venv "$HERE/requirements.txt"
"$VENV_PY" -c "import onnxruntime, onnx, numpy; print('[parity] onnxruntime', onnxruntime.__version__, 'onnx', onnx.__version__, 'numpy', numpy.__version__)" >&2
if [ "${1:-}" = "--q4" ]; then
  shift
  exec "$VENV_PY" "$HERE/make_golden_q4.py" "$@"
fi
exec "$VENV_PY" "$HERE/make_golden.py" "$@"
