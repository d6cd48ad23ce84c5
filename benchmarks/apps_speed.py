"""Teleportations per wall-clock second over a 5-hop repeater chain.

Runs under qinet's Python. A chain n0 - n1 - ... - n5 of 1 km double-click links
(Werner links, raw memory fidelity 0.99, T2 = 1 s, two memory pairs per link) serves one
EPR socket between the ends with swap-ASAP; Alice's and Bob's programs teleport
Haar-random states over the pairs as they come (each pair's qubits decay in memory while
the bits fly). Timed around one whole run (network and programs, from building the
runtime to the typed result), after one untimed warm-up run of 100 teleports.

The wall rate counts the network's work too (attempts, swaps, deliveries): the line
below splits it by timing the same chain delivering the same number of pairs with no
programs, so the programs' share is the difference.

    python benchmarks/apps_speed.py [--count 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qinet.apps.teleport import run_teleportation
from qinet.scenario import Simulation, load_scenario

HOPS = 5


def chain(demands: list[dict[str, object]]) -> Simulation:
    """The 5-hop chain (see the module docstring), with ``demands``."""
    names = [f"n{i}" for i in range(HOPS + 1)]
    return Simulation(load_scenario({
        "name": "apps-speed", "seed": 11, "duration": "100 s",
        "hardware": {"mem": {"kind": "memory", "t2": "1 s", "raw_fidelity": 0.99}},
        "nodes": [{"name": v, "memories": 2 if i in (0, HOPS) else 4, "memory": "mem"}
                  for i, v in enumerate(names)],
        "links": [{"between": [a, b], "length": "1 km", "scheme": "double-click",
                   "memories": 2} for a, b in pairwise(names)],
        "demands": demands,
    }))


def teleports(count: int) -> tuple[float, object]:
    sim = chain([])
    start = time.perf_counter()
    result = run_teleportation(sim.network, "n0", f"n{HOPS}", rng=sim.rng.child("apps"),
                               count=count)
    return time.perf_counter() - start, result


def pairs_only(count: int) -> float:
    sim = chain([{"kind": "entanglement", "between": ["n0", f"n{HOPS}"], "pairs": count,
                  "min_fidelity": 0.0}])
    start = time.perf_counter()
    sim.run()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="teleports to time")
    args = parser.parse_args(argv)
    teleports(100)  # warm-up
    wall_s, result = teleports(args.count)
    network_s = pairs_only(args.count)
    print(f"{HOPS}-hop chain, {args.count} Haar-random teleports")
    print(f"  wall time        {wall_s:8.3f} s  ->  {args.count / wall_s:10,.0f} teleports/s")
    print(f"  pairs alone      {network_s:8.3f} s  ->  {args.count / network_s:10,.0f} pairs/s "
          f"(the same pairs, no programs)")
    print(f"  simulated        {result.elapsed_s:8.4f} s  ->  "
          f"{result.teleports_per_s:10,.0f} teleports/s of simulated time")
    print(f"  fidelity         {result.fidelity_mean:.4f} (pairs {result.pair_fidelity_mean:.4f},"
          f" (2F+1)/3 = {(2 * result.pair_fidelity_mean + 1) / 3:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
