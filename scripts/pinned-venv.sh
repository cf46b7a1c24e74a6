# Sourced by the reference-tool scripts: `pinned_venv NAME REQUIREMENTS` creates .cache/NAME (once) and installs
# the pinned requirements with --no-deps, again only when the requirements file changed. Sets $VENV_PY.
pinned_venv() {
  local name="$1" req="$2"
  local repo venv stamp want
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  venv="$repo/.cache/$name"
  if [ ! -x "$venv/bin/python" ]; then
    echo "[$name] creating venv $venv" >&2
    "${PYTHON:-python3}" -m venv "$venv"
  fi
  stamp="$venv/.requirements.sha256"
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "[$name] installing $req" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: -r "$req"
    echo "$want" > "$stamp"
  fi
  VENV_PY="$venv/bin/python"
}
