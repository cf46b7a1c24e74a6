#!/usr/bin/env bash
# Regenerate tests/golden/fp16/onnxconverter-common.json: what the reference FP16 converter
# (onnxconverter-common, pinned in scripts/fp16-compare/requirements.txt) does to our fixtures.
#
#   bash scripts/fp16-compare/run.sh            # compare.py: the golden
#   bash scripts/fp16-compare/run.sh --schema   # also regenerate src/core/fp16/schema.generated.ts and
#                                               # src/core/fp16/shape-inputs.generated.ts
#
# Needs the fixtures (`npm run fixtures`, manifest at $FIXTURES_DIR or .cache/fixtures).
# Creates/updates the venv .cache/fp16-venv/ (separate from the other venvs).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../pinned-venv.sh"
pinned_venv fp16-venv "$HERE/requirements.txt"
if [ "${1:-}" = "--schema" ]; then
  "$VENV_PY" "$HERE/gen_schema.py"
  "$VENV_PY" "$HERE/gen_shape_inputs.py"
fi
exec "$VENV_PY" "$HERE/compare.py"
