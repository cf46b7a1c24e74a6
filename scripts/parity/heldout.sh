#!/usr/bin/env bash
# Held-out check of INT8 under onnxruntime's default session options: exports BERT-base / XLM-R / opset-17
# LayerNormalization models with random weights (fixture venv .cache/py, heldout_export.py), then compares
# AVA's INT8 with the reference quantize_dynamic (parity venv, heldout_compare.py). Models stay in .cache/heldout/.
#
#   bash scripts/parity/heldout.sh                      # export (once) + compare
#   bash scripts/parity/heldout.sh --before DIR         # also an older AVA checkout (bin/ava-quant.mjs in DIR)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
. "$HERE/../pinned-venv.sh"
if [ ! -f "$REPO/.cache/heldout/models.json" ]; then
  [ -x "$REPO/.cache/py/bin/python" ] || { echo "fixture venv .cache/py missing: run npm run fixtures first" >&2; exit 2; }
  "$REPO/.cache/py/bin/python" "$HERE/heldout_export.py" --out "$REPO/.cache/heldout"
fi
pinned_venv parity-venv "$HERE/requirements.txt"
exec "$VENV_PY" "$HERE/heldout_compare.py" "$@"
