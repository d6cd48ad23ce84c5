#!/usr/bin/env python3
"""qinet against SeQUeNCe on one two-node link with the same physics, in the same run.

The reference set-up (SeQUeNCe's two-router example): 20 km of fibre with a BSM node in
the middle, 10 memories a node, memory efficiency 0.9, raw pair fidelity 0.95, coherence
time 1 s, detector efficiency 0.9, no dark counts. Success per attempt is
``0.5 (eta_mem eta_arm eta_det)^2`` in both simulators. SeQUeNCe spends ``4 L/c``
(c = 2e8 m/s) on each attempt of its single-heralded (Bell-diagonal) protocol, and on
average ``(4 + 3 P_r1) L/c`` on Barrett-Kok with kets (a second round only after a first-
round herald), so qinet is given the same attempt period; the state physics is the same
(a Werner pair of fidelity 0.95 decohering for the herald's round trip).

Usage::

    bash benchmarks/setup_peer_env.sh          # once: SeQUeNCe in .bench-venv
    python benchmarks/link_vs_sequence.py      # table; --json for a document
    python benchmarks/link_vs_sequence.py --peer-python /path/to/venv/bin/python
    python benchmarks/link_vs_sequence.py --no-peer   # qinet alone

The peer's Python is ``--peer-python``, else ``$BENCH_VENV/bin/python``, else
``.bench-venv/bin/python``; when it is missing the script stops with status 2 and says
how to set it up (``benchmarks/_peer.py``).

Reports pairs per wall second of each simulator, their ratio, and the rate and fidelity
each simulator measured, so that the speed is compared at equal physics.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _peer import ROOT, add_peer_arguments, peer_python

import qinet

SPEED_IN_PEER_M_PER_S = 2e8


def werner_per_memory(pair_fidelity: float) -> float:
    """Raw fidelity of each memory so that two one-qubit depolarisings give a Werner
    pair of ``pair_fidelity``: (1-p)^2 (3/4) = F - 1/4 and F_mem = 1 - 3p/4."""
    keep = math.sqrt((pair_fidelity - 0.25) / 0.75)
    return 1.0 - 0.75 * (1.0 - keep)


def scenario(*, distance_km: float, memories: int, period_s: float, sim_time_s: float,
             mode: str, seed: int) -> dict:
    return {
        "name": "two-node-vs-sequence",
        "seed": seed,
        "duration": f"{sim_time_s!r} s",
        "mode": mode,
        "hardware": {
            "mem": {"kind": "memory", "t2": "1 s", "efficiency": 0.9,
                    "raw_fidelity": werner_per_memory(0.95)},
            "det": {"kind": "detector", "efficiency": 0.9, "dark_count_rate": 0,
                    "jitter": 0},
        },
        "nodes": [{"name": "a", "memories": memories, "memory": "mem"},
                  {"name": "b", "memories": memories, "memory": "mem"}],
        "links": [{"between": ["a", "b"], "length": f"{distance_km!r} km", "scheme": "double-click",
                   "detector": "det", "attempt_period": f"{period_s!r} s", "reset_time": 0,
                   "round_gap": 0}],
        "demands": [{"kind": "entanglement", "between": ["a", "b"]}],
    }


def run_qinet(mode: str, *, sim_time_s: float, period_s: float, args: argparse.Namespace) -> dict:
    spec = scenario(distance_km=args.distance_km, memories=args.memories, period_s=period_s,
                    sim_time_s=sim_time_s, mode=mode, seed=args.seed)
    start = time.perf_counter()
    result = qinet.simulate(spec)
    wall = time.perf_counter() - start
    demand = result.demands[0]
    return {"simulator": f"qinet {mode}", "sim_time_s": sim_time_s, "wall_s": wall,
            "pairs": demand.pairs, "pairs_per_wall_s": demand.pairs / wall,
            "rate_hz": demand.rate_hz, "fidelity_mean": demand.fidelity_mean,
            "rate_theory_hz": result.links[0].rate_theory_hz,
            "attempt_period_s": period_s}


def run_peer(formalism: str, args: argparse.Namespace, python: Path | None) -> dict | None:
    if python is None:
        return None
    cmd = [str(python), str(ROOT / "benchmarks" / "peer_sequence.py"),
           "--formalism", formalism, "--sim-time", str(args.peer_time),
           "--distance-km", str(args.distance_km), "--memories", str(args.memories),
           "--seed", str(args.seed), "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    return {"simulator": f"SeQUeNCe {doc.get('version', '')} {formalism}",
            "sim_time_s": doc["sim_time_s"], "wall_s": doc["wall_s"], "pairs": doc["pairs"],
            "pairs_per_wall_s": doc["pairs_per_wall_s"], "rate_hz": doc["rate_hz"],
            "fidelity_mean": doc.get("state_fidelity_mean", doc.get("fidelity_mean")),
            "attempt_period_s": doc.get("attempt_period_s")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distance-km", type=float, default=20.0)
    parser.add_argument("--memories", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ff-time", type=float, default=20.0,
                        help="simulated seconds for qinet fast-forward")
    parser.add_argument("--detailed-time", type=float, default=5.0,
                        help="simulated seconds for qinet detailed")
    parser.add_argument("--peer-time", type=float, default=1.0,
                        help="simulated seconds for SeQUeNCe")
    parser.add_argument("--json", action="store_true")
    add_peer_arguments(parser)
    args = parser.parse_args()
    python = peer_python(args)

    l_over_c = args.distance_km * 1e3 / SPEED_IN_PEER_M_PER_S
    # warm-up: imports and first-call costs are not part of either simulator's rate
    run_qinet("fast-forward", sim_time_s=0.01, period_s=4 * l_over_c, args=args)
    run_qinet("detailed", sim_time_s=0.01, period_s=4 * l_over_c, args=args)
    rows = []
    comparisons = []
    for formalism in ("bds", "ket"):
        peer = run_peer(formalism, args, python)
        if formalism == "bds":
            period = 4 * l_over_c
        else:
            eta = 0.9 * 10 ** (-0.2 * args.distance_km / 2 / 10) * 0.9
            p_r1 = eta / 2 + eta * (1 - eta) / 2 + eta**2 / 8
            period = (4 + 3 * p_r1) * l_over_c
        ours = [run_qinet("fast-forward", sim_time_s=args.ff_time, period_s=period, args=args),
                run_qinet("detailed", sim_time_s=args.detailed_time, period_s=period, args=args)]
        rows += ([peer] if peer else []) + ours
        if peer:
            for row in ours:
                comparisons.append({
                    "qinet": row["simulator"],
                    "peer": peer["simulator"],
                    "speed_ratio": row["pairs_per_wall_s"] / peer["pairs_per_wall_s"],
                    "rate_ratio": row["rate_hz"] / peer["rate_hz"],
                    "fidelity_difference": row["fidelity_mean"] - peer["fidelity_mean"],
                })
    if args.json:
        print(json.dumps({"rows": rows, "comparisons": comparisons}, indent=2))
        return 0
    print(f"{'simulator':32} {'sim s':>6} {'wall s':>8} {'pairs':>8} {'pairs/wall s':>13} "
          f"{'rate (Hz)':>10} {'fidelity':>9}")
    for r in rows:
        print(f"{r['simulator']:32} {r['sim_time_s']:6.1f} {r['wall_s']:8.2f} {r['pairs']:8d} "
              f"{r['pairs_per_wall_s']:13,.0f} {r['rate_hz']:10,.0f} {r['fidelity_mean']:9.5f}")
    print()
    for c in comparisons:
        print(f"{c['qinet']:22} vs {c['peer']:24} speed x{c['speed_ratio']:,.0f}  "
              f"rate ratio {c['rate_ratio']:.3f}  fidelity diff {c['fidelity_difference']:+.5f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
