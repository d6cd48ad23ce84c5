#!/usr/bin/env python3
"""Decoy BB84 against the clock: a 1 GHz source over 50 km, one simulated second.

Usage::

    python benchmarks/qkd_bb84_speed.py            # table
    python benchmarks/qkd_bb84_speed.py --json     # one JSON document
    python benchmarks/qkd_bb84_speed.py --repeat 3 # fastest of three runs of each timed stage

Measures, each in a fresh interpreter (so the peak memory is the run's own):

* ``quantum``: the pulses of ``--seconds`` simulated seconds at ``--rate-hz`` through the
  channel, sifting and parameter estimation (click counts sampled per class and basis,
  the sifted key's bits made block by block, the decoy and finite-key estimates):
  simulated seconds per wall second and pulses per wall second;
* ``full``: the same run through :func:`run_decoy_bb84`, post-processing included
  (Cascade, verification, privacy amplification of every block), after an untimed
  warm-up run of 2e7 pulses on another seed (it loads numba's compiled kernels, about
  0.3 s once per process, and is reported as ``warm_up_s``): the post-processing time
  of the sifted key is the difference;
* ``memory``: a run of ``--memory-pulses`` pulses (1e8 by default) through the whole
  runner: peak resident memory (``ru_maxrss``) and the peak of Python allocations
  (``tracemalloc``) during the run.

Each timed stage reports wall and CPU seconds of its process; on a shared machine the CPU
seconds say what one core needs, the wall seconds what this run got, and the load
average at the start and end is printed with them.

Only the memory run traces allocations: ``tracemalloc`` hooks every numpy allocation and
slowed the timed runs by 20-40 %, so ``quantum`` and ``full`` run without it (their
``maxrss_mib`` is still reported).

This script uses only the standard library, numpy and qinet (rich for the table when
it is installed), with the table helper of ``benchmarks/_qkd_common.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _qkd_common import print_table

from qinet.physical import Detector, Fibre, WeakCoherentSource
from qinet.qkd.postprocessing.reconciliation import prefer_compiled_search
from qinet.qkd.protocols._bb84_channel import ChannelSampler, key_blocks
from qinet.qkd.protocols.bb84_decoy import DecoyBB84Link, decoy_security, run_decoy_bb84
from qinet.rng import RngTree


def link(args: argparse.Namespace) -> DecoyBB84Link:
    return DecoyBB84Link(WeakCoherentSource(rate_hz=args.rate_hz), Fibre(args.distance_km),
                         Detector())


def quantum_phase(args: argparse.Namespace, pulses: int) -> dict:
    """Pulses through sifting and parameter estimation, the key's bits made block by block."""
    lk, rng = link(args), RngTree(args.seed)
    start, cpu = time.perf_counter(), time.process_time()
    sampler = ChannelSampler(lk)
    chunks = sampler.draw_chunks(pulses, rng=rng.generator("bench/channel"),
                                 chunk_pulses=sampler.chunk_pulses(args.block_size))
    stats = type(chunks[0]).total(chunks)
    sec = decoy_security(lk, stats, epsilon_sec=1e-10, epsilon_cor=1e-15)
    bits = 0
    for alice, _bob, _labels in key_blocks(chunks, block_size=args.block_size,
                                           rng=rng.generator("bench/bits")):
        bits += alice.size
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"pulses": pulses, "wall_s": wall, "cpu_s": cpu, "sifted_bits": bits,
            "qber_z": float(stats.errors(0).sum() / stats.sifted(0).sum()),
            "y1_lower": sec.estimates["y1_lower"],
            "asymptotic_bits_per_pulse": sec.asymptotic_bits_per_pulse}


def full_run(args: argparse.Namespace, pulses: int) -> dict:
    # warm-up on another seed and key length: loads the compiled kernels (numba's on-disk
    # cache, ~0.3 s once per process) and fills the code caches, as a long-running service
    # or sweep would have done; what is timed is the run itself. Cascade would search with
    # numpy until it had done about a load's worth of work, which this short warm-up is not
    if not args.no_compiled:
        prefer_compiled_search()
    warm = time.perf_counter()
    run_decoy_bb84(link(args), 2 * 10**7, rng=RngTree(args.seed + 1), block_size=args.block_size)
    warm = time.perf_counter() - warm
    start, cpu = time.perf_counter(), time.process_time()
    res = run_decoy_bb84(link(args), pulses, rng=RngTree(args.seed), block_size=args.block_size)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"pulses": pulses, "wall_s": wall, "cpu_s": cpu, "warm_up_s": warm,
            "sifted_bits": res.sifted_bits, "key_bits": res.key_bits, "blocks": res.blocks,
            "blocks_aborted": res.blocks_aborted,
            "qber_z": res.qber["Z"], "keys_equal": res.keys_equal}


def child(args: argparse.Namespace) -> dict:
    if args.no_compiled:  # the numpy paths, as without the optional numba
        from qinet.qkd.postprocessing import _compiled
        _compiled.locate_errors = None
    memory = args.child == "memory"
    pulses = args.memory_pulses if memory else int(args.seconds * args.rate_hz)
    if memory:
        tracemalloc.start()
    out = (quantum_phase if args.child == "quantum" else full_run)(args, pulses)
    if memory:
        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    # ru_maxrss is in KiB on Linux
    out["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _compiled_available() -> bool:
    try:  # an older qinet has no compiled kernels
        from qinet.qkd.postprocessing import _compiled
    except ImportError:
        return False
    return _compiled.AVAILABLE


def in_fresh_interpreter(mode: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--seconds", str(args.seconds),
           "--rate-hz", str(args.rate_hz), "--distance-km", str(args.distance_km),
           "--block-size", str(args.block_size), "--memory-pulses", str(args.memory_pulses),
           "--seed", str(args.seed)] + (["--no-compiled"] if args.no_compiled else [])
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=1.0, help="simulated seconds")
    p.add_argument("--rate-hz", type=float, default=1e9)
    p.add_argument("--distance-km", type=float, default=50.0)
    p.add_argument("--block-size", type=int, default=1_000_000)
    p.add_argument("--memory-pulses", type=int, default=10**8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=1,
                   help="runs of each timed stage (each in a fresh interpreter); fastest kept")
    p.add_argument("--no-compiled", action="store_true",
                   help="numpy paths only, as without numba (the optional extra 'fast')")
    p.add_argument("--json", action="store_true")
    p.add_argument("--child", choices=["quantum", "full", "memory"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return
    load_start = os.getloadavg()[0]

    def fastest(mode: str) -> dict:
        runs = [in_fresh_interpreter(mode, args) for _ in range(max(args.repeat, 1))]
        return min(runs, key=lambda run: run["wall_s"])

    quantum = fastest("quantum")
    full = fastest("full")
    memory = in_fresh_interpreter("memory", args)
    post_s = full["wall_s"] - quantum["wall_s"]
    report = {
        "rate_hz": args.rate_hz, "distance_km": args.distance_km,
        "simulated_s": args.seconds, "block_size": args.block_size,
        "quantum": quantum | {"sim_s_per_wall_s": args.seconds / quantum["wall_s"],
                              "pulses_per_wall_s": quantum["pulses"] / quantum["wall_s"]},
        "full": full | {"sim_s_per_wall_s": args.seconds / full["wall_s"],
                        "sim_s_per_cpu_s": args.seconds / full["cpu_s"]},
        "postprocessing_s": post_s,
        "postprocessing_sifted_bits_per_s": full["sifted_bits"] / max(post_s, 1e-9),
        "memory": memory,
        "numpy": np.__version__, "python": sys.version.split()[0],
        "load_average": [load_start, os.getloadavg()[0]], "cores": os.cpu_count(),
        "compiled": not args.no_compiled and _compiled_available(),
    }
    if args.json:
        print(json.dumps(report))
        return
    q = report["quantum"]
    rows = [
        ["pulses -> sifting + estimation", f"{args.seconds:g} s ({q['pulses']:.2e} pulses)",
         f"{q['wall_s']:.3f}", f"{q['cpu_s']:.3f}", f"{q['sim_s_per_wall_s']:.2f}",
         f"{q['pulses_per_wall_s']:.3e}", f"{q['maxrss_mib']:.0f}"],
        ["whole run (with post-processing)", f"{args.seconds:g} s", f"{full['wall_s']:.2f}",
         f"{full['cpu_s']:.2f}", f"{report['full']['sim_s_per_wall_s']:.3f}",
         f"{full['pulses'] / full['wall_s']:.3e}", f"{full['maxrss_mib']:.0f}"],
        ["whole run, 1e8-pulse memory check", f"{memory['pulses']:.0e} pulses",
         f"{memory['wall_s']:.2f}", f"{memory['cpu_s']:.2f}", "-",
         f"{memory['pulses'] / memory['wall_s']:.3e}",
         f"{memory['maxrss_mib']:.0f} (tracemalloc {memory['tracemalloc_peak_mib']:.0f})"],
    ]
    print_table("decoy BB84, 1 GHz, 50 km: speed and memory",
                ["stage", "simulated", "wall s", "CPU s", "sim s / wall s", "pulses / wall s",
                 "peak RSS MiB"], rows, width=130)
    print(f"sifted key: {full['sifted_bits']} bits, QBER {full['qber_z']:.4f}, final key "
          f"{full['key_bits']} bits from {full['blocks']} blocks "
          f"({full['blocks_aborted']} aborted); post-processing {post_s:.2f} s "
          f"= {report['postprocessing_sifted_bits_per_s']:.3e} sifted bits/s; load average "
          f"{load_start:.2f} -> {report['load_average'][1]:.2f} on {os.cpu_count()} cores; "
          f"best of {max(args.repeat, 1)}; compiled kernels "
          f"{'on' if report['compiled'] else 'off'}; warm-up {full['warm_up_s']:.2f} s "
          f"(not timed)")


if __name__ == "__main__":
    main()
