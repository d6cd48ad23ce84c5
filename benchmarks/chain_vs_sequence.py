#!/usr/bin/env python3
"""qinet against SeQUeNCe on linear repeater chains of 2, 3, 5 and 9 routers, in one run.

Same physics as SeQUeNCe's chain (see benchmarks/README.md, "Linear chain"): 20 km links
with the station in the middle, 10 memory pairs per link, memory efficiency 0.9, Werner
link pairs of fidelity 0.95, coherence time 1 s, detector efficiency 0.9, no dark counts,
4 L/c per attempt (c = 2e8 m/s), nested (doubling) swapping with deterministic, noiseless
swaps. SeQUeNCe adds a request/response round trip before each swap and re-polls busy
memories; qinet swaps as soon as a repeater holds both pairs, so its rate is somewhat
higher. The speed is compared as end-to-end pairs per wall second.

Usage::

    bash benchmarks/setup_peer_env.sh      # once
    python benchmarks/chain_vs_sequence.py [--routers 2 3 5 9] [--json]
    python benchmarks/chain_vs_sequence.py --peer-python PATH   # a venv elsewhere
    python benchmarks/chain_vs_sequence.py --no-peer            # qinet alone

The peer's Python is found as in ``link_vs_sequence.py`` (``benchmarks/_peer.py``); a
missing one stops the script with status 2.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _peer import ROOT, add_peer_arguments, peer_python
from link_vs_sequence import SPEED_IN_PEER_M_PER_S, werner_per_memory

from qinet.scenario import Simulation, load_scenario


def qinet_chain(routers: int, *, sim_time_s: float, mode: str, memories: int = 10,
                length_km: float = 20.0, seed: int = 0) -> dict:
    names = [f"router_{i}" for i in range(routers)]
    period = 4 * length_km * 1e3 / SPEED_IN_PEER_M_PER_S
    return {
        "name": f"chain-{routers}", "seed": seed, "duration": f"{sim_time_s!r} s", "mode": mode,
        "hardware": {
            "mem": {"kind": "memory", "t2": "1 s", "efficiency": 0.9,
                    "raw_fidelity": werner_per_memory(0.95)},
            "det": {"kind": "detector", "efficiency": 0.9, "dark_count_rate": 0, "jitter": 0},
        },
        "nodes": [{"name": v, "memories": memories * (2 if 0 < i < routers - 1 else 1),
                   "memory": "mem"} for i, v in enumerate(names)],
        "links": [{"between": [a, b], "length": f"{length_km!r} km", "scheme": "double-click",
                   "detector": "det", "attempt_period": f"{period!r} s", "reset_time": 0,
                   "round_gap": 0} for a, b in pairwise(names)],
        "demands": [{"kind": "entanglement", "between": [names[0], names[-1]],
                     "min_fidelity": 0.0}],
        "policy": {"swapping": "nested"},
    }


def run_qinet(routers: int, mode: str, sim_time_s: float) -> dict:
    simulation = Simulation(load_scenario(qinet_chain(routers, sim_time_s=sim_time_s,
                                                      mode=mode)))
    start = time.perf_counter()
    record = simulation.run()
    wall = time.perf_counter() - start
    fidelity = record.demands[0].arrays["fidelity"]
    return {"simulator": f"qinet {mode}", "routers": routers, "sim_time_s": sim_time_s,
            "wall_s": wall, "pairs": int(fidelity.size),
            "pairs_per_wall_s": fidelity.size / wall, "rate_hz": fidelity.size / sim_time_s,
            "fidelity_mean": float(fidelity.mean()) if fidelity.size else None,
            "events": record.events}


def run_peer(routers: list[int], sim_time_s: float, python: Path | None) -> list[dict]:
    if python is None:
        return []
    cmd = [str(python), str(ROOT / "benchmarks" / "peer_sequence_chain.py"),
           "--routers", *map(str, routers), "--sim-time", str(sim_time_s), "--json"]
    docs = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    return [{"simulator": f"SeQUeNCe {d['version']}", "routers": d["routers"],
             "sim_time_s": d["sim_time_s"], "wall_s": d["wall_s"], "pairs": d["pairs"],
             "pairs_per_wall_s": d["pairs_per_wall_s"], "rate_hz": d["rate_hz"],
             "fidelity_mean": d.get("state_fidelity_mean", d.get("fidelity_mean")),
             "events": d.get("events")} for d in docs]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routers", type=int, nargs="+", default=[2, 3, 5, 9])
    parser.add_argument("--peer-time", type=float, default=1.0)
    parser.add_argument("--ff-time", type=float, default=10.0)
    parser.add_argument("--detailed-time", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    add_peer_arguments(parser)
    args = parser.parse_args()
    python = peer_python(args)
    run_qinet(3, "fast-forward", 0.01)  # warm-up: imports and first calls
    peers = {row["routers"]: row for row in run_peer(args.routers, args.peer_time, python)}
    rows, ratios = [], []
    for n in args.routers:
        ours = [run_qinet(n, "fast-forward", args.ff_time),
                run_qinet(n, "detailed", args.detailed_time)]
        rows += ([peers[n]] if n in peers else []) + ours
        if n in peers and peers[n]["pairs_per_wall_s"]:
            for row in ours:
                ratios.append({"routers": n, "qinet": row["simulator"],
                               "speed_ratio": row["pairs_per_wall_s"]
                               / peers[n]["pairs_per_wall_s"],
                               "rate_ratio": row["rate_hz"] / peers[n]["rate_hz"]})
    if args.json:
        print(json.dumps({"rows": rows, "ratios": ratios}, indent=2))
        return 0
    print(f"{'routers':>7} {'simulator':22} {'sim s':>6} {'wall s':>8} {'pairs':>8} "
          f"{'pairs/wall s':>13} {'rate (Hz)':>10} {'fidelity':>9}")
    for r in rows:
        fid = f"{r['fidelity_mean']:.4f}" if r["fidelity_mean"] is not None else "-"
        print(f"{r['routers']:7d} {r['simulator']:22} {r['sim_time_s']:6.1f} {r['wall_s']:8.2f} "
              f"{r['pairs']:8d} {r['pairs_per_wall_s']:13,.0f} {r['rate_hz']:10,.0f} {fid:>9}")
    print()
    for c in ratios:
        print(f"{c['routers']} routers: {c['qinet']:20} speed x{c['speed_ratio']:,.0f}  "
              f"rate ratio {c['rate_ratio']:.2f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
