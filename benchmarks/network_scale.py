#!/usr/bin/env python3
"""How qinet's network layer scales: repeater chains of growing length, a 10,000-node
chain, and a 1,000-node grid with 100 concurrent demands.

Usage::

    python benchmarks/network_scale.py                 # everything, a table
    python benchmarks/network_scale.py --only chains   # or: long-chain, mesh
    python benchmarks/network_scale.py --json

Every figure is wall-clock time on this machine, with the number of simulated events and
events per wall second; the mesh also reports peak resident memory. Nothing here is run
by the test suite.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from itertools import pairwise

import numpy as np

from qinet.scenario import Simulation, load_scenario

HARDWARE = {
    "mem": {"kind": "memory", "t2": "1 s", "efficiency": 0.9, "raw_fidelity": 0.99},
    "det": {"kind": "detector", "efficiency": 0.9, "dark_count_rate": 10},
}


def chain(n_nodes: int, *, pairs: int, memories: int = 10, duration: str = "100 s") -> dict:
    names = [f"r{i}" for i in range(n_nodes)]
    return {
        "name": f"chain-{n_nodes}", "seed": 1, "duration": duration, "hardware": HARDWARE,
        "nodes": [{"name": v, "memories": memories * (2 if 0 < i < n_nodes - 1 else 1),
                   "memory": "mem"} for i, v in enumerate(names)],
        "links": [{"between": [a, b], "length": 20, "scheme": "double-click",
                   "detector": "det"} for a, b in pairwise(names)],
        "demands": [{"kind": "entanglement", "between": [names[0], names[-1]],
                     "pairs": pairs}],
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
        "links": [{"between": [a, b], "length": float(rng.uniform(5, 15)),
                   "scheme": "double-click", "detector": "det"} for a, b in links],
        "demands": [{"kind": "entanglement", "between": [a, b], "min_fidelity": 0.5}
                    for a, b in wanted],
        "policy": {"cutoff": "20 ms"},
    }


def timed(data: dict) -> dict:
    start = time.perf_counter()
    scenario = load_scenario(data)
    loaded = time.perf_counter()
    simulation = Simulation(scenario)
    built = time.perf_counter()
    record = simulation.run()
    ran = time.perf_counter()
    pairs = sum(int(d.arrays["fidelity"].size) for d in record.demands)
    fidelity = [float(d.arrays["fidelity"].mean()) for d in record.demands
                if d.arrays["fidelity"].size]
    return {"scenario": data["name"], "nodes": len(data["nodes"]), "links": len(data["links"]),
            "demands": len(data["demands"]), "load_s": loaded - start,
            "build_s": built - loaded, "run_s": ran - built, "wall_s": ran - start,
            "events": record.events, "events_per_wall_s": record.events / (ran - built),
            "simulated_s": record.elapsed_ps * 1e-12, "pairs": pairs,
            "pairs_per_wall_s": pairs / (ran - built),
            "fidelity_mean": float(np.mean(fidelity)) if fidelity else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["chains", "long-chain", "mesh"])
    parser.add_argument("--chain-pairs", type=int, default=200)
    parser.add_argument("--long-chain", type=int, default=10_000)
    parser.add_argument("--mesh-side", type=int, default=32)
    parser.add_argument("--mesh-demands", type=int, default=100)
    parser.add_argument("--mesh-duration", default="50 ms")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    if args.only in (None, "chains"):
        for n in (2, 3, 5, 9, 17, 33, 65, 129):
            rows.append(timed(chain(n, pairs=args.chain_pairs)))
    if args.only in (None, "long-chain"):
        rows.append(timed(chain(args.long_chain, pairs=1, memories=1)))
    if args.only in (None, "mesh"):
        rows.append(timed(grid(args.mesh_side, demands=args.mesh_demands,
                               duration=args.mesh_duration)))
        rows[-1]["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'scenario':16} {'nodes':>6} {'dem':>4} {'build s':>8} {'run s':>8} {'events':>9} "
          f"{'events/s':>10} {'pairs':>7} {'pairs/s':>9} {'sim s':>8} {'F':>6}")
    for r in rows:
        fid = f"{r['fidelity_mean']:.3f}" if r["fidelity_mean"] is not None else "-"
        print(f"{r['scenario']:16} {r['nodes']:6d} {r['demands']:4d} {r['build_s']:8.2f} "
              f"{r['run_s']:8.2f} {r['events']:9d} {r['events_per_wall_s']:10,.0f} "
              f"{r['pairs']:7d} {r['pairs_per_wall_s']:9,.0f} {r['simulated_s']:8.4f} {fid:>6}")
        if "peak_rss_mib" in r:
            print(f"{'':16} peak resident memory {r['peak_rss_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
