#!/usr/bin/env python3
"""Kernel micro-benchmark: trivial self-rescheduling events, qinet vs SeQUeNCe.

Workload (identical on both kernels): ``--chains`` independent chains of events; every
event, when run, schedules one more event 1000 ps later, until ``--events`` events have
been scheduled in total (default 2,000,000). The callback does nothing else, so this
measures the cost of one schedule + one dispatch of the event loop.

* qinet: ``qinet.kernel.timeline.Timeline`` with ``schedule_after`` + ``run()``.
* SeQUeNCe: ``sequence.kernel.timeline.Timeline`` with its idiomatic
  ``tl.schedule(Event(t, Process(owner, "tick", [])))`` + ``tl.run()``, run in a
  subprocess under the benchmark venv (``.bench-venv/bin/python``, Python 3.12).

The qinet workload is run twice: in this interpreter, and in a subprocess under the
peer's interpreter, so the reported ratio compares the two kernels on the same Python.

Usage::

    python benchmarks/kernel_events.py --json
    python benchmarks/kernel_events.py --events 200000 --repeat 1   # quick

Only the standard library is used here (and ``sequence`` inside the peer worker).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PEER_PYTHON = REPO / ".bench-venv" / "bin" / "python"
DELAY_PS = 1000


def run_qinet(n_events: int, chains: int) -> dict:
    sys.path.insert(0, str(REPO))
    from qinet.kernel.timeline import Timeline

    tl = Timeline()
    sched = [0]
    after = tl.schedule_after

    def tick():
        if sched[0] < n_events:
            sched[0] += 1
            after(DELAY_PS, tick)

    for i in range(min(chains, n_events)):
        sched[0] += 1
        tl.schedule_at(i, tick)
    t = time.perf_counter()
    tl.run()
    wall = time.perf_counter() - t
    assert tl.events_processed == n_events, (tl.events_processed, n_events)
    return {"events": tl.events_processed, "wall_s": wall}


def run_sequence(n_events: int, chains: int) -> dict:
    from sequence.kernel.event import Event
    from sequence.kernel.process import Process
    from sequence.kernel.timeline import Timeline

    tl = Timeline()

    class Ticker:
        """A plain owner object; SeQUeNCe processes call ``getattr(owner, name)(*args)``."""

        def __init__(self):
            self.scheduled = 0

        def tick(self):
            if self.scheduled < n_events:
                self.scheduled += 1
                tl.schedule(Event(tl.now() + DELAY_PS, Process(self, "tick", [])))

    owner = Ticker()
    for i in range(min(chains, n_events)):
        owner.scheduled += 1
        tl.schedule(Event(i, Process(owner, "tick", [])))
    t = time.perf_counter()
    tl.run()
    wall = time.perf_counter() - t
    assert tl.run_counter == n_events, (tl.run_counter, n_events)
    return {"events": tl.run_counter, "wall_s": wall}


def _worker(kind: str, n_events: int, chains: int, repeat: int) -> dict:
    fn = run_qinet if kind == "qinet" else run_sequence
    runs = [fn(n_events, chains) for _ in range(repeat)]
    walls = [r["wall_s"] for r in runs]
    med = statistics.median(walls)
    out = {
        "kernel": kind,
        "python": platform.python_version(),
        "events": n_events,
        "chains": chains,
        "repeat": repeat,
        "wall_s_runs": walls,
        "wall_s_median": med,
        "events_per_wall_s": n_events / med,
    }
    if kind == "sequence":
        from importlib.metadata import version

        out["version"] = version("sequence")
    return out


def _subprocess(python: Path, kind: str, a) -> dict | None:
    cmd = [
        str(python),
        str(Path(__file__).resolve()),
        "--worker",
        kind,
        "--events",
        str(a.events),
        "--chains",
        str(a.chains),
        "--repeat",
        str(a.repeat),
    ]
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    except (OSError, subprocess.CalledProcessError) as exc:
        err = getattr(exc, "stderr", "") or str(exc)
        print(
            f"[kernel_events] {kind} worker under {python} failed: {err.strip()[-2000:]}",
            file=sys.stderr,
        )
        return None
    return json.loads(res.stdout)


def main(argv=None):
    p = argparse.ArgumentParser(
        description="qinet vs SeQUeNCe kernel events/s on a trivial workload"
    )
    p.add_argument("--events", type=int, default=2_000_000)
    p.add_argument(
        "--chains", type=int, default=1, help="concurrent self-rescheduling chains (heap size)"
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="runs per kernel; the median wall time is used"
    )
    p.add_argument(
        "--peer-python",
        type=Path,
        default=DEFAULT_PEER_PYTHON,
        help="interpreter with SeQUeNCe installed (benchmarks/setup_peer_env.sh)",
    )
    p.add_argument("--no-peer", action="store_true", help="only run qinet in this interpreter")
    p.add_argument("--json", action="store_true")
    p.add_argument("--worker", choices=("qinet", "sequence"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)

    if a.worker:
        print(json.dumps(_worker(a.worker, a.events, a.chains, a.repeat)))
        return None

    out = {
        "benchmark": "kernel_trivial_events",
        "events": a.events,
        "chains": a.chains,
        "delay_ps": DELAY_PS,
        "repeat": a.repeat,
        "qinet": _worker("qinet", a.events, a.chains, a.repeat),
    }
    if not a.no_peer:
        if not a.peer_python.exists():
            print(
                f"[kernel_events] {a.peer_python} not found: run benchmarks/setup_peer_env.sh "
                "(or pass --no-peer)",
                file=sys.stderr,
            )
        else:
            out["qinet_on_peer_python"] = _subprocess(a.peer_python, "qinet", a)
            out["sequence"] = _subprocess(a.peer_python, "sequence", a)
    seq = out.get("sequence")
    if seq:
        same = out.get("qinet_on_peer_python") or out["qinet"]
        out["ratio_qinet_over_sequence"] = same["events_per_wall_s"] / seq["events_per_wall_s"]
        out["ratio_basis"] = (
            f"qinet on Python {same['python']} vs SeQUeNCe {seq['version']} "
            f"on Python {seq['python']}"
        )
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        for key in ("qinet", "qinet_on_peer_python", "sequence"):
            r = out.get(key)
            if r:
                print(
                    f"{key:>22}: {r['events_per_wall_s']:>12,.0f} events/s  "
                    f"(Python {r['python']}, median of {r['repeat']})"
                )
        if "ratio_qinet_over_sequence" in out:
            ratio = out["ratio_qinet_over_sequence"]
            print(f"{'ratio qinet/sequence':>22}: {ratio:.1f}x  ({out['ratio_basis']})")
    return out


if __name__ == "__main__":
    main()
