#!/usr/bin/env python3
"""How qinet's network layer scales: repeater chains of growing length, a 10,000-node
chain, and a 1,000-node grid with 100 concurrent demands (and, on request, a 10,000-node
grid with 1,000 demands).

Usage::

    python benchmarks/network_scale.py                       # chains, long chain, mesh
    python benchmarks/network_scale.py --only chains         # or: long-chain, mesh, big-mesh
    python benchmarks/network_scale.py --only chains --swapping nested
    python benchmarks/network_scale.py --only big-mesh       # 100 x 100, 1,000 demands
    python benchmarks/network_scale.py --json

Every scenario runs in a fresh process, so each row's peak resident memory is its own.
Figures are wall-clock time on this machine (``load s`` reading the scenario, ``build s``
the network's construction and routing, ``run s`` the simulation and reading its results),
CPU time of the build and of the run (on a shared machine the CPU time is the steadier
figure), the number of simulated events and events per wall second of the run, and, for
the chains, the wall time per delivered pair and its fitted power of the number of links.
Nothing here is run by the test suite.

An event is one callback run by the timeline (``Timeline.events_processed``). In the
default fast-forward mode these are: a link's heralded pair (one event per pair, however
many attempts it took: failed attempts are sampled, never played), a cutoff timer going
off (one timer per memory queue, not per qubit), and the delivery of an end-to-end pair
when both path ends know its history. Swaps, the cutoff's discards and the release of
memories happen inside those callbacks and are not counted; cancelled events are not
counted either. ``events/s`` divides the events by the run's wall time, which includes
reading the results (the fidelity of every delivered pair is computed then, in batches).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from itertools import pairwise

import numpy as np

from qinet.scenario import Simulation, load_scenario

HARDWARE = {
    "mem": {"kind": "memory", "t2": "1 s", "efficiency": 0.9, "raw_fidelity": 0.99},
    "det": {"kind": "detector", "efficiency": 0.9, "dark_count_rate": "10 Hz"},
}


MESH_GOAL_S = 2.0  # 32 x 32 grid, 100 demands, 50 ms simulated


def chain(n_nodes: int, *, pairs: int, memories: int = 10, duration: str = "100 s",
          swapping: str = "asap") -> dict:
    names = [f"r{i}" for i in range(n_nodes)]
    return {
        "name": f"chain-{n_nodes}", "seed": 1, "duration": duration, "hardware": HARDWARE,
        "nodes": [{"name": v, "memories": memories * (2 if 0 < i < n_nodes - 1 else 1),
                   "memory": "mem"} for i, v in enumerate(names)],
        "links": [{"between": [a, b], "length": "20 km", "scheme": "double-click",
                   "detector": "det"} for a, b in pairwise(names)],
        "demands": [{"kind": "entanglement", "between": [names[0], names[-1]],
                     "pairs": pairs}],
        "policy": {"swapping": swapping},
    }


def grid(side: int, *, demands: int, duration: str, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    names = [f"g{x}-{y}" for x in range(side) for y in range(side)]
    links = []
    for x in range(side):
        for y in range(side):
            if x + 1 < side:
                links.append((f"g{x}-{y}", f"g{x + 1}-{y}"))
            if y + 1 < side:
                links.append((f"g{x}-{y}", f"g{x}-{y + 1}"))
    ends = rng.choice(len(names), size=(demands, 2), replace=True)
    wanted = [(names[a], names[b]) for a, b in ends if a != b]
    return {
        "name": f"grid-{side}x{side}", "seed": seed, "duration": duration,
        "hardware": HARDWARE,
        "nodes": [{"name": v, "memories": 16, "memory": "mem"} for v in names],
        "links": [{"between": [a, b], "length": f"{rng.uniform(5, 15)!r} km",
                   "scheme": "double-click", "detector": "det"} for a, b in links],
        "demands": [{"kind": "entanglement", "between": [a, b], "min_fidelity": 0.5}
                    for a, b in wanted],
        "policy": {"cutoff": "20 ms"},
    }


def timed(data: dict) -> dict:
    """Load, build and run ``data`` in this process; its figures."""
    start = time.perf_counter()
    scenario = load_scenario(data)
    loaded = time.perf_counter()
    build_cpu = time.process_time()
    simulation = Simulation(scenario)
    built = time.perf_counter()
    build_cpu = time.process_time() - build_cpu
    cpu = time.process_time()
    record = simulation.run()
    ran = time.perf_counter()
    cpu = time.process_time() - cpu
    pairs = sum(int(d.arrays["fidelity"].size) for d in record.demands)
    fidelity = [float(d.arrays["fidelity"].mean()) for d in record.demands
                if d.arrays["fidelity"].size]
    return {"scenario": data["name"], "nodes": len(data["nodes"]), "links": len(data["links"]),
            "demands": len(data["demands"]), "load_s": loaded - start,
            "build_s": built - loaded, "build_cpu_s": build_cpu, "run_s": ran - built,
            "run_cpu_s": cpu,
            "wall_s": ran - start, "events": record.events,
            "events_per_wall_s": record.events / (ran - built),
            "events_per_cpu_s": record.events / cpu if cpu > 0 else None,
            "simulated_s": record.elapsed_ps * 1e-12, "pairs": pairs,
            "pairs_per_wall_s": pairs / (ran - built),
            "wall_ms_per_pair": 1e3 * (ran - built) / pairs if pairs else None,
            "fidelity_mean": float(np.mean(fidelity)) if fidelity else None,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def timed_apart(data: dict) -> dict:
    """:func:`timed` in a fresh process, so that its peak memory is its own."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(timed, (data,))


def power_fit(rows: list[dict]) -> float | None:
    """Exponent b of wall time per delivered pair ~ links^b, least squares in log-log."""
    points = [(r["links"], r["wall_ms_per_pair"]) for r in rows if r["wall_ms_per_pair"]]
    if len(points) < 2:
        return None
    x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    return float(np.polyfit(x, y, 1)[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["chains", "long-chain", "mesh", "big-mesh"])
    parser.add_argument("--chain-pairs", type=int, default=200)
    parser.add_argument("--swapping", choices=["asap", "nested"], default="asap",
                        help="swapping policy of the chains")
    parser.add_argument("--long-chain", type=int, default=10_000)
    parser.add_argument("--mesh-side", type=int, default=32)
    parser.add_argument("--mesh-demands", type=int, default=100)
    parser.add_argument("--mesh-duration", default="50 ms")
    parser.add_argument("--big-mesh-side", type=int, default=100)
    parser.add_argument("--big-mesh-demands", type=int, default=1000)
    parser.add_argument("--big-mesh-duration", default="5 ms")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows, chains = [], []
    if args.only in (None, "chains"):
        for n in (2, 3, 5, 9, 17, 33, 65, 129):
            chains.append(timed_apart(chain(n, pairs=args.chain_pairs,
                                            swapping=args.swapping)))
        rows += chains
    if args.only in (None, "long-chain"):
        rows.append(timed_apart(chain(args.long_chain, pairs=1, memories=1)))
    if args.only in (None, "mesh"):
        rows.append(timed_apart(grid(args.mesh_side, demands=args.mesh_demands,
                                     duration=args.mesh_duration)))
    if args.only == "big-mesh":
        rows.append(timed_apart(grid(args.big_mesh_side, demands=args.big_mesh_demands,
                                     duration=args.big_mesh_duration)))
    exponent = power_fit(chains)
    if args.json:
        print(json.dumps({"rows": rows, "chain_exponent": exponent,
                          "chain_swapping": args.swapping}, indent=2))
        return 0
    print(f"{'scenario':16} {'nodes':>6} {'dem':>4} {'load s':>7} {'build s':>8} {'cpu s':>7} "
          f"{'run s':>8} {'cpu s':>7} "
          f"{'events':>9} {'events/s':>10} {'pairs':>7} {'ms/pair':>8} {'sim s':>8} {'F':>6} "
          f"{'peak MiB':>8}")
    for r in rows:
        fid = f"{r['fidelity_mean']:.3f}" if r["fidelity_mean"] is not None else "-"
        per_pair = f"{r['wall_ms_per_pair']:.3f}" if r["wall_ms_per_pair"] else "-"
        print(f"{r['scenario']:16} {r['nodes']:6d} {r['demands']:4d} {r['load_s']:7.2f} "
              f"{r['build_s']:8.2f} {r['build_cpu_s']:7.2f} "
              f"{r['run_s']:8.2f} {r['run_cpu_s']:7.2f} {r['events']:9d} "
              f"{r['events_per_wall_s']:10,.0f} {r['pairs']:7d} {per_pair:>8} "
              f"{r['simulated_s']:8.4f} {fid:>6} {r['peak_rss_mib']:8.0f}")
    if exponent is not None:
        print(f"chains ({args.swapping}): wall time per pair ~ links^{exponent:.2f}")
    if args.only in (None, "mesh") and (args.mesh_side, args.mesh_demands) == (32, 100):
        mesh = next(r for r in rows if r["scenario"].startswith("grid"))
        print(f"mesh: {mesh['run_s']:.2f} s run against a goal of {MESH_GOAL_S:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
