"""Where the peer simulator's Python is, for the scripts that compare qinet with SeQUeNCe.

SeQUeNCe lives in its own virtual environment (``benchmarks/setup_peer_env.sh``), found
in this order:

1. ``--peer-python PATH``: that interpreter;
2. the ``BENCH_VENV`` environment variable: ``$BENCH_VENV/bin/python`` (the variable
   ``setup_peer_env.sh`` also honours);
3. ``<repo>/.bench-venv/bin/python``.

A comparison asked for without a working peer stops with exit status 2 and says how to
set it up, instead of printing qinet's rows alone; ``--no-peer`` runs qinet alone on
purpose. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VENV = ROOT / ".bench-venv"
MISSING_EXIT = 2


def add_peer_arguments(parser: argparse.ArgumentParser) -> None:
    """``--peer-python PATH`` and ``--no-peer``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--peer-python", type=Path, metavar="PATH",
                       help="Python of the SeQUeNCe environment (default: $BENCH_VENV/bin/"
                            "python, else <repo>/.bench-venv/bin/python)")
    group.add_argument("--no-peer", action="store_true",
                       help="run qinet alone, without the SeQUeNCe rows")


def peer_python(args: argparse.Namespace) -> Path | None:
    """The peer's interpreter, ``None`` under ``--no-peer``; exits (status 2) when it is missing.

    The interpreter must exist and import ``sequence``; otherwise the message names the
    path tried, where it came from, and the three ways out.
    """
    if args.no_peer:
        return None
    if args.peer_python is not None:
        path, origin = Path(args.peer_python), "--peer-python"
    elif os.environ.get("BENCH_VENV"):
        path, origin = Path(os.environ["BENCH_VENV"]) / "bin" / "python", "BENCH_VENV"
    else:
        path, origin = DEFAULT_VENV / "bin" / "python", "the default location"
    if not path.exists():
        problem = "does not exist"
    else:
        check = subprocess.run([str(path), "-c", "import sequence"], capture_output=True,
                               text=True)
        problem = "" if check.returncode == 0 else "cannot import sequence: " + (
            check.stderr.strip().splitlines() or ["no message"])[-1]
    if problem:
        print(f"error: SeQUeNCe's Python {path} (from {origin}) {problem}.\n"
              f"Set the peer up with `bash benchmarks/setup_peer_env.sh` (it builds "
              f"$BENCH_VENV, default {DEFAULT_VENV}), point to an existing one with "
              f"--peer-python PATH or BENCH_VENV=DIR, or run qinet alone with --no-peer.",
              file=sys.stderr)
        sys.exit(MISSING_EXIT)
    return path
