#!/usr/bin/env python3
"""How long reading a large scenario file takes, and how much memory it needs.

Writes scenario files (a chain of 100,000 nodes and links, the same with every link
merged from the first through ``<<: *link``, a chain of 10,000, and a 100-node chain with
10,000 demands), then loads each with
``qinet.scenario.load_scenario(path)`` in a fresh interpreter: the wall time of the call
(imports left out) and its CPU time (which other jobs on the machine disturb less),
the peak resident memory of that interpreter (``ru_maxrss``, imports
included), and with ``--validate`` the wall time of the whole ``qinet validate FILE``
command. Quantities are written as unit strings ("20 km"), block style, the way a
generator or an editor writes them.

Usage::

    python benchmarks/load_scale.py                    # all files, a table
    python benchmarks/load_scale.py --only chain-100k  # or chain-100k-merge, chain-10k, ...
    python benchmarks/load_scale.py --repeat 3 --validate --json

Nothing here is run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

HARDWARE = """\
hardware:
  mem: {kind: memory, t2: 1 s, efficiency: 0.9, raw_fidelity: 0.99}
  det: {kind: detector, efficiency: 0.9, dark_count_rate: 10 Hz}
"""

GOALS = {"chain-100k": (10.0, 1024.0), "demands-10k": (1.0, None)}  # wall s, peak MiB


def chain_text(n_nodes: int, n_demands: int = 3, *, seed: int = 1, merge: bool = False) -> str:
    """A chain of ``n_nodes`` repeaters, ``n_demands`` entanglement demands along it;
    with ``merge``, every link takes its fields from the first through a merge key."""
    names = [f"r{i}" for i in range(n_nodes)]
    parts = [f"name: chain-{n_nodes}\nseed: {seed}\nduration: 1 s\n", HARDWARE, "nodes:\n"]
    parts.extend(f"  - name: {v}\n    memories: {20 if 0 < i < n_nodes - 1 else 10}\n"
                 f"    memory: mem\n" for i, v in enumerate(names))
    parts.append("links:\n")
    if merge:
        parts.append(f"  - &link {{between: [{names[0]}, {names[1]}], length: 20 km, "
                     f"scheme: double-click, detector: det}}\n")
        parts.extend(f"  - {{<<: *link, between: [{a}, {b}]}}\n"
                     for a, b in pairwise(names[1:]))
    else:
        parts.extend(f"  - between: [{a}, {b}]\n    length: 20 km\n    scheme: double-click\n"
                     f"    detector: det\n"
                     for a, b in pairwise(names))
    parts.append("demands:\n")
    step = max(1, n_nodes // max(1, n_demands))
    for k in range(n_demands):
        a, b = (k * step) % n_nodes, (k * step + step // 2 + 1) % n_nodes
        if a == b:
            b = (a + 1) % n_nodes
        parts.append(f"  - kind: entanglement\n    between: [{names[a]}, {names[b]}]\n"
                     f"    min_fidelity: 0.8\n    rate: 10 Hz\n")
    parts.append("policy: {swapping: asap}\n")
    return "".join(parts)


FILES = {
    "chain-100k": lambda: chain_text(100_000),
    "chain-100k-merge": lambda: chain_text(100_000, merge=True),
    "chain-10k": lambda: chain_text(10_000),
    "demands-10k": lambda: chain_text(100, 10_000),
}

_CHILD = """\
import resource, sys, time
from qinet.scenario import load_scenario
start, cpu = time.perf_counter(), time.process_time()
s = load_scenario(sys.argv[1])
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(wall, cpu, rss, len(s.nodes), len(s.links), len(s.demands))
"""


def measure(path: Path, *, validate: bool) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                          text=True)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"refused": last, "load_s": math.inf}
    out = done.stdout.split()
    row = {"load_s": float(out[0]), "load_cpu_s": float(out[1]), "peak_rss_mib": float(out[2]),
           "nodes": int(out[3]), "links": int(out[4]), "demands": int(out[5])}
    if validate:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qinet.cli.main", "validate", str(path)],
                       check=True, capture_output=True)
        row["validate_s"] = time.perf_counter() - start
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(FILES), action="append")
    parser.add_argument("--repeat", type=int, default=1, help="keep the fastest of N runs")
    parser.add_argument("--validate", action="store_true",
                        help="also time `qinet validate FILE` end to end")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or list(FILES):
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(FILES[name]())
            runs = [measure(path, validate=args.validate) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["load_s"])
            if "refused" not in best:
                if args.validate:
                    best["validate_s"] = min(r["validate_s"] for r in runs)
                best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
            rows.append({"file": name, "mib": path.stat().st_size / 2**20, **best,
                         "load_avg": os.getloadavg()[0]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    head = ["file", "MiB", "nodes", "links", "demands", "load s", "load CPU s", "peak RSS MiB"]
    if args.validate:
        head.append("validate s")
    head += ["goal", "load avg"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for r in rows:
        if "refused" in r:
            print(f"| {r['file']} | {r['mib']:.1f} | refused: {r['refused']} |")
            continue
        wall, mib = GOALS.get(r["file"], (None, None))
        goal = "-" if wall is None else (
            f"< {wall:g} s" + (f", < {mib / 1024:g} GiB" if mib else ""))
        cells = [r["file"], f"{r['mib']:.1f}", f"{r['nodes']:,}", f"{r['links']:,}",
                 f"{r['demands']:,}", f"{r['load_s']:.2f}", f"{r['load_cpu_s']:.2f}",
                 f"{r['peak_rss_mib']:.0f}"]
        if args.validate:
            cells.append(f"{r['validate_s']:.2f}")
        cells += [goal, f"{r['load_avg']:.1f}"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
