#!/usr/bin/env bash
# Create (or verify) the peer-benchmark virtual environment with SeQUeNCe 1.x.
#
#   bash benchmarks/setup_peer_env.sh
#
# Idempotent: if .bench-venv already has Python 3.12+ with the wanted SeQUeNCe and numpy,
# it only verifies and exits. Environment overrides:
#   BENCH_VENV      venv location            (default: <repo>/.bench-venv, git-ignored)
#   PYTHON312       interpreter to build it  (default: first Python >= 3.12 found, pyenv 3.12.1 first)
#   SEQUENCE_SPEC   pip requirement          (default: sequence==1.3.1, the version benchmarked)
#   FORCE=1         delete and rebuild the venv
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BENCH_VENV:-$REPO/.bench-venv}"
SEQUENCE_SPEC="${SEQUENCE_SPEC:-sequence==1.3.1}"

is_py312() {  # true if $1 runs and is Python >= 3.12
    [ -n "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}

find_python() {
    local c
    local candidates=("${PYTHON312:-}")
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    candidates+=("$root/versions/3.12.1/bin/python3.12")
    for c in "$root"/versions/3.1[2-9]*/bin/python3; do candidates+=("$c"); done
    candidates+=("$(command -v python3.12 || true)" "$(command -v python3.13 || true)" "$(command -v python3 || true)")
    for c in "${candidates[@]}"; do
        if is_py312 "$c"; then echo "$c"; return 0; fi
    done
    return 1
}

venv_ok() {  # venv exists, is 3.12+, has numpy and a SeQUeNCe satisfying SEQUENCE_SPEC
    [ -x "$VENV/bin/python" ] && is_py312 "$VENV/bin/python" && "$VENV/bin/python" - "$SEQUENCE_SPEC" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
import numpy  # noqa: F401
import sequence  # noqa: F401
from sequence.entanglement_management.generation import BarretKokA, SingleHeraldedA  # noqa: F401
spec, have = sys.argv[1], version("sequence")
if not have.startswith("1."):
    sys.exit(1)
if "==" in spec and spec.split("==", 1)[1].strip() != have:
    sys.exit(1)
EOF
}

if [ "${FORCE:-0}" = "1" ] && [ -d "$VENV" ]; then
    echo "[setup_peer_env] FORCE=1: removing $VENV"
    rm -rf "$VENV"
fi

if venv_ok; then
    echo "[setup_peer_env] $VENV already set up"
else
    PY="$(find_python)" || { echo "[setup_peer_env] no Python >= 3.12 found (set PYTHON312)" >&2; exit 1; }
    echo "[setup_peer_env] building $VENV with $PY ($("$PY" -V 2>&1))"
    if [ -d "$VENV" ] && ! is_py312 "$VENV/bin/python"; then
        rm -rf "$VENV"          # wrong or broken interpreter: start over
    fi
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SEQUENCE_SPEC" numpy
    venv_ok || { echo "[setup_peer_env] verification failed after install" >&2; exit 1; }
fi

"$VENV/bin/python" - <<'EOF'
import platform
from importlib.metadata import version
print(f"[setup_peer_env] OK: Python {platform.python_version()}, sequence {version('sequence')}, "
      f"numpy {version('numpy')}")
EOF
