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

A second case times a GHZ state over many nodes built by node programs on the
stabilizer (stim) backend: a chain n0 - ... - n(k-1) of the same 1 km links delivers one
pair per link, and each node's program fuses its two pair halves (CX, Z measurement,
the outcome sent on; the fusion of :mod:`qinet.apps.ghz`), then measures its share in X.
It reports the wall time of building the network (scenario to simulation), of the run
(network and programs), of the same network delivering the same pairs with no
programs, and of :func:`qinet.apps.ghz.simulate_ghz`, the same fusion as one stim
circuit outside the network and the SDK.

A third case times two-module Grover searches (:mod:`qinet.apps.dqc`, both CZs
teleported) on the first hop of the same chain, on the density-matrix and the stabilizer
backends, with the mean success reading beside its closed form ``F^2 + (1 - F)^2/3``.

    python benchmarks/apps_speed.py [--count 5000] [--ghz-nodes 1000] [--grover 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collections.abc import Generator
from typing import Any

from qinet.apps.dqc import grover_success_probability, run_two_module
from qinet.apps.ghz import simulate_ghz
from qinet.apps.sdk import AppRuntime, Event, NodeContext, clifford
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


def ghz_chain(n_nodes: int, demands: list[dict[str, object]]) -> Simulation:
    """A chain of ``n_nodes`` nodes and 1 km links (one memory per link end)."""
    names = [f"n{i}" for i in range(n_nodes)]
    return Simulation(load_scenario({
        "name": "ghz-speed", "seed": 11, "duration": "100 s",
        "hardware": {"mem": {"kind": "memory", "t2": "1 s", "raw_fidelity": 0.99}},
        "nodes": [{"name": v, "memories": 1 if i in (0, n_nodes - 1) else 2, "memory": "mem"}
                  for i, v in enumerate(names)],
        "links": [{"between": [a, b], "length": "1 km", "scheme": "double-click",
                   "memories": 1} for a, b in pairwise(names)],
        "demands": demands,
    }))


@clifford
def ghz_node(ctx: NodeContext, index: int, k: int) -> Generator[Event, Any, int]:
    """Node ``index`` of the chain: fuse the pair to its right into its GHZ qubit (the pair
    to its left, corrected by its left neighbour's outcome), then measure it in X."""
    prev, nxt = f"n{index - 1}", f"n{index + 1}"
    left = (yield ctx.pair(prev)) if index > 0 else None
    right = (yield ctx.pair(nxt)) if index < k - 1 else None
    ghz = right if left is None else left
    if index >= 2 and (yield ctx.recv(prev)):
        ctx.apply("x", ghz)
    if left is not None and right is not None:
        ctx.apply("cnot", ghz, right)
        ctx.send(nxt, ctx.measure(right))
    return ctx.measure(ghz, "x")


def ghz_sdk(n_nodes: int) -> tuple[float, float, float, int, str]:
    """Build, setup (sockets and programs) and run times, the X parity of the shares and
    the backend used."""
    start = time.perf_counter()
    sim = ghz_chain(n_nodes, [])
    built = time.perf_counter()
    runtime = AppRuntime(sim.network, rng=sim.rng.child("apps"))
    for i in range(n_nodes - 1):
        runtime.connect(f"n{i}", f"n{i + 1}", pairs=1)
    for i in range(n_nodes):
        runtime.program(f"n{i}", ghz_node, index=i, k=n_nodes)
    setup = time.perf_counter()
    result = runtime.run()
    ran = time.perf_counter()
    parity = sum(int(p.value) for p in result.programs) % 2
    return built - start, setup - built, ran - setup, parity, result.backend


def ghz_pairs_only(n_nodes: int) -> float:
    sim = ghz_chain(n_nodes, [{"kind": "entanglement", "between": [f"n{i}", f"n{i + 1}"],
                               "pairs": 1, "min_fidelity": 0.0} for i in range(n_nodes - 1)])
    start = time.perf_counter()
    sim.run()
    return time.perf_counter() - start


def report_ghz(n_nodes: int) -> None:
    ghz_sdk(50)  # warm-up
    build_s, setup_s, run_s, parity, backend = ghz_sdk(n_nodes)
    network_s = ghz_pairs_only(n_nodes)
    start = time.perf_counter()
    simulate_ghz(n_nodes, topology="chain", pair_fidelity=1.0)
    circuit_s = time.perf_counter() - start
    print(f"GHZ over {n_nodes} nodes by node programs ({backend} backend)")
    print(f"  network build    {build_s:8.3f} s  (scenario to simulation)")
    print(f"  sockets, programs{setup_s:8.3f} s  (one network demand per link)")
    print(f"  run              {run_s:8.3f} s  (network and programs; X parity {parity})")
    print(f"  in all           {build_s + setup_s + run_s:8.3f} s")
    print(f"  pairs alone      {network_s:8.3f} s  (the run of the same demands, no programs)")
    print(f"  one stim circuit {circuit_s:8.3f} s  (qinet.apps.ghz.simulate_ghz, no network)")


def report_grover(rounds: int) -> None:
    print(f"two-module Grover, {rounds} searches over the chain's first hop")
    for backend in ("density-matrix", "stabilizer"):
        sim = chain([])
        start = time.perf_counter()
        r = run_two_module(sim.network, "n0", "n1", circuit="grover", rounds=rounds,
                           rng=sim.rng.child("grover"), backend=backend)
        wall_s = time.perf_counter() - start
        p = grover_success_probability(r.pair_fidelity_mean)
        print(f"  {backend:15s}{wall_s:8.3f} s  ->  {rounds / wall_s:10,.0f} searches/s; "
              f"reading {r.reading_mean:.4f} (closed form {p:.4f}), read-out "
              f"{r.success_rate:.4f} ± {r.success_rate_error:.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="teleports to time")
    parser.add_argument("--ghz-nodes", type=int, default=1000,
                        help="nodes of the GHZ case (0: skip it)")
    parser.add_argument("--grover", type=int, default=2000,
                        help="two-module Grover searches to time (0: skip them)")
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
    if args.ghz_nodes:
        report_ghz(args.ghz_nodes)
    if args.grover:
        report_grover(args.grover)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
