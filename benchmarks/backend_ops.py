#!/usr/bin/env python3
"""Per-call cost of the quantum backends' operations, for one pair and for a big batch.

The network layer calls the Bell-diagonal backend once per event with a batch of one
pair, so the N = 1 column is the one that sets the simulator's event rate; the goal is
under ~8 µs per call. The N = 100000 column is the cost of the vectorised path (divide
by N for the cost per pair). The density-matrix backend is shown alongside as the
in-process peer (exact, 4x4 complex per pair).

Usage::

    python benchmarks/backend_ops.py                 # both backends, both sizes
    python benchmarks/backend_ops.py --backend bell-diagonal --sizes 1
    python benchmarks/backend_ops.py --json

Timings are the best of ``--repeat`` runs of a loop sized to take about 0.2 s, in
microseconds per call of this process's CPU time (``time.process_time``): the machines
this runs on are often shared, and CPU time is much steadier than wall time there,
while the code timed runs on one thread. ``--wall`` uses wall time instead. Only numpy
and qinet are used. Nothing here is asserted.

Allocator warm-up: before timing, one 16 MiB array is allocated and freed. Freeing it
raises glibc's dynamic mmap and trim thresholds, so that the N = 100000 temporaries
(0.8 to 13 MB) are reused from the heap instead of being mapped fresh and page-faulted
on every call. Without it, which calls page-fault depends on the history of the process
(on a VM where a fault costs microseconds, thousands of faults per call can dominate the
N = 100000 column); with it, that column measures numpy work. A long simulation reaches
the same state by itself after its first large free.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qinet.quantum import make_backend, werner_weights

GOAL_US_N1 = 8.0


def operations(backend, n: int) -> dict[str, Callable[[], object]]:
    """The timed calls, on a batch of n Werner pairs (F = 0.9)."""
    rng = np.random.default_rng(0)
    weights = werner_weights(np.full(n, 0.9))
    pairs = backend.from_bell_weights(weights)
    return {
        "from_bell_weights": lambda: backend.from_bell_weights(weights),
        "fidelity": lambda: backend.fidelity(pairs),
        "apply_pauli_channel": lambda: backend.apply_pauli_channel(
            pairs, [0.97, 0.01, 0.01, 0.01], 0),
        "depolarize": lambda: backend.depolarize(pairs, 0.02, 0),
        "dephase": lambda: backend.dephase(pairs, 0.02, 1),
        "memory_decay": lambda: backend.memory_decay(pairs, 0.01, t1_s=1.0, t2_s=0.5, qubit=0),
        "pauli_correct": lambda: backend.pauli_correct(pairs, 1, 1),
        "swap": lambda: backend.swap(pairs, pairs, rng=rng),
        "swap (noisy)": lambda: backend.swap(pairs, pairs, rng=rng, gate_depolarizing=0.01,
                                             measurement_error=0.01),
        "purify bbpssw": lambda: backend.purify(pairs, pairs, scheme="bbpssw"),
        "purify dejmps (noisy)": lambda: backend.purify(
            pairs, pairs, scheme="dejmps", gate_depolarizing=0.01, measurement_error=0.01),
    }


def per_call_us(call: Callable[[], object], repeat: int, wall: bool) -> float:
    timer = timeit.Timer(call, timer=time.perf_counter if wall else time.process_time)
    number, _ = timer.autorange()  # at least 0.2 s per run
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=["bell-diagonal", "density-matrix"],
                        help="backend to time (repeatable; default both)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100_000],
                        help="batch sizes N (default 1 100000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (best is kept)")
    parser.add_argument("--wall", action="store_true", help="time wall clock, not CPU time")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    names = args.backend or ["bell-diagonal", "density-matrix"]
    np.ones(2 * 2**20).sum()  # allocator warm-up (16 MiB): see the module docstring

    rows = []
    for name in names:
        backend = make_backend(name)
        for n in args.sizes:
            if name == "density-matrix" and n > 10_000:
                continue  # 16 complex numbers and 4x4 contractions per pair: too slow to time
            for op, call in operations(backend, n).items():
                rows.append({"backend": name, "op": op, "n": n,
                             "us_per_call": per_call_us(call, args.repeat, args.wall)})

    if args.json:
        print(json.dumps({"python": platform.python_version(), "numpy": np.__version__,
                          "timer": "wall" if args.wall else "cpu",
                          "goal_us_n1": GOAL_US_N1, "rows": rows}, indent=2))
        return 0
    timer = "wall" if args.wall else "CPU"
    print(f"Python {platform.python_version()}, numpy {np.__version__}; {timer} µs per call "
          f"(goal for bell-diagonal N=1: < {GOAL_US_N1:g} µs)")
    for name in names:
        sizes = [n for n in args.sizes if any(r["backend"] == name and r["n"] == n for r in rows)]
        print(f"\n{name:24s}" + "".join(f"{'N=' + str(n):>14s}" for n in sizes))
        for op in operations(make_backend(name), 1):
            cells = [next(r["us_per_call"] for r in rows
                          if r["backend"] == name and r["op"] == op and r["n"] == n)
                     for n in sizes]
            print(f"  {op:22s}" + "".join(f"{c:14.2f}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
