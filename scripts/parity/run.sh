#!/usr/bin/env bash
# Regenerate the int8 parity goldens (tests/golden/int8/*.json) with the reference
# onnxruntime.quantization.quantize_dynamic, pinned in scripts/parity/requirements.txt.
#
#   bash scripts/parity/run.sh                 # all fixtures x presets
#   bash scripts/parity/run.sh --only minilm   # extra args go to make_golden.py
#
# Needs the fixtures (`npm run fixtures`, manifest at $FIXTURES_DIR or .cache/fixtures).
# Creates/updates the venv .cache/parity-venv/ (separate from the export venv .cache/py/).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/.cache/parity-venv"
REQ="$HERE/requirements.txt"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[parity] creating venv $VENV" >&2
  "$PY" -m venv "$VENV"
fi
# Reinstall only when requirements.txt changed since the last successful install.
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
  echo "[parity] installing $REQ" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: -r "$REQ"
  "$VENV/bin/python" -c "import onnxruntime, onnx, numpy; print('[parity] onnxruntime', onnxruntime.__version__, 'onnx', onnx.__version__, 'numpy', numpy.__version__)" >&2
  echo "$WANT" > "$STAMP"
fi
exec "$VENV/bin/python" "$HERE/make_golden.py" "$@"
