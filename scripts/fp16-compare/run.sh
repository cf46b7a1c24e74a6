#!/usr/bin/env bash
# Regenerate tests/golden/fp16/onnxconverter-common.json: what the reference FP16 converter
# (onnxconverter-common, pinned in scripts/fp16-compare/requirements.txt) does to our fixtures.
#
#   bash scripts/fp16-compare/run.sh            # compare.py: the golden
#   bash scripts/fp16-compare/run.sh --schema   # also regenerate src/core/fp16/schema.generated.ts
#
# Needs the fixtures (`npm run fixtures`, manifest at $FIXTURES_DIR or .cache/fixtures).
# Creates/updates the venv .cache/fp16-venv/ (separate from the other venvs).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="$REPO/.cache/fp16-venv"
REQ="$HERE/requirements.txt"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[fp16-compare] creating venv $VENV" >&2
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
  echo "[fp16-compare] installing $REQ" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: -r "$REQ"
  echo "$WANT" > "$STAMP"
fi
if [ "${1:-}" = "--schema" ]; then
  "$VENV/bin/python" "$HERE/gen_schema.py"
fi
exec "$VENV/bin/python" "$HERE/compare.py"
