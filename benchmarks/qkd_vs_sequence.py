#!/usr/bin/env python3
"""qinet against SeQUeNCe on one BB84 link with the same physics, in the same run.

The link: 50 km of 0.2 dB/km fibre, weak coherent pulses of mean 0.5 at 80 MHz
(SeQUeNCe's reference light source; its BB84 has no decoys), two detectors of
efficiency 0.9 with 10 Hz dark counts, misalignment 1 %. qinet runs
:func:`~qinet.qkd.protocols.bb84.run_bb84` on that source (BB84 with one intensity:
GLLP without decoys for the key length) for ``--qinet-time`` simulated seconds, and
decoy BB84 on the same link as a second row; SeQUeNCe runs its BB84 alone for
``--peer-time`` and BB84 with Cascade for ``--peer-cascade-time`` simulated seconds
(``benchmarks/peer_sequence_bb84.py`` in ``.bench-venv``).

Usage::

    bash benchmarks/setup_peer_env.sh          # once: SeQUeNCe in .bench-venv
    python benchmarks/qkd_vs_sequence.py       # table; --json for a document
    python benchmarks/qkd_vs_sequence.py --peer-python PATH   # a SeQUeNCe venv elsewhere
    python benchmarks/qkd_vs_sequence.py --no-peer            # qinet alone

The peer's Python is ``--peer-python``, else ``$BENCH_VENV/bin/python``, else
``.bench-venv/bin/python``; when it is missing the script stops with status 2 and says
how to set it up (``benchmarks/_peer.py``).

Reports simulated seconds per wall second of each and their ratio, and the sifted key
rate, the QBER and the key rate after error correction side by side (SeQUeNCe's
Cascade throughput; qinet's measured corrected bits, those both ends held equal after
Cascade and verification, summed over the blocks, and its final key after privacy
amplification).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _peer import ROOT, add_peer_arguments, peer_python
from _qkd_common import add_link_arguments, link_arguments, print_table

from qinet.physical import Detector, Fibre, WeakCoherentSource
from qinet.qkd.protocols.bb84 import BB84Link, run_bb84
from qinet.qkd.protocols.bb84_decoy import DecoyBB84Link, run_decoy_bb84
from qinet.rng import RngTree


def run_qinet(args: argparse.Namespace, *, decoy: bool) -> dict:
    detector = Detector(efficiency=args.detector_efficiency, dark_count_rate_hz=args.dark_count)
    fibre = Fibre(args.distance_km, attenuation_db_per_km=args.attenuation_db_km)
    pulses = round(args.qinet_time * args.frequency)
    start = time.perf_counter()
    if decoy:
        source = WeakCoherentSource(rate_hz=args.frequency, intensities=(args.mu, 0.1, 0.0),
                                    probabilities=(0.8, 0.1, 0.1))
        res = run_decoy_bb84(DecoyBB84Link(source, fibre, detector,
                                           misalignment=args.misalignment),
                             pulses, rng=RngTree(args.seed), block_size=args.block_size)
    else:
        source = WeakCoherentSource(rate_hz=args.frequency, intensities=(args.mu,),
                                    probabilities=(1.0,))
        res = run_bb84(BB84Link(source, fibre, detector, misalignment=args.misalignment),
                       pulses, rng=RngTree(args.seed), block_size=args.block_size)
    wall = time.perf_counter() - start
    # sifted in both bases, as SeQUeNCe's BB84 keeps every basis-matched click
    sifted_both = res.sifted_bits / args.z_share if not decoy else None
    return {"simulator": "qinet " + ("decoy BB84" if decoy else "BB84 (no decoys)"),
            "sim_time_s": args.qinet_time, "wall_s": wall,
            "sim_s_per_wall_s": args.qinet_time / wall,
            "sifted_rate_bps": (sifted_both if sifted_both is not None else res.sifted_bits)
            / args.qinet_time,
            "qber": res.qber["Z"], "corrected_rate_bps": res.corrected_bits / args.qinet_time,
            "secret_rate_bps": res.key_bits / args.qinet_time,
            "asymptotic_secret_rate_bps": res.asymptotic_bits_per_pulse * args.frequency}


def run_peer(args: argparse.Namespace, python: Path | None, *, cascade: bool) -> dict | None:
    if python is None:
        return None
    sim_time = args.peer_cascade_time if cascade else args.peer_time
    cmd = [str(python), str(ROOT / "benchmarks" / "peer_sequence_bb84.py"),
           "--sim-time", str(sim_time), *link_arguments(args), "--seed", str(args.seed),
           "--json"] + (["--cascade"] if cascade else [])
    doc = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    return {"simulator": f"SeQUeNCe {doc['version']} {doc['protocol']}",
            "sim_time_s": doc["sim_time_s"], "wall_s": doc["wall_s"],
            "sim_s_per_wall_s": doc["sim_s_per_wall_s"],
            "sifted_rate_bps": doc["sifted_rate_bps"], "qber": doc["qber"],
            "corrected_rate_bps": doc.get("cascade_throughput_bps"),
            "secret_rate_bps": doc.get("cascade_privacy_throughput_bps"),
            "asymptotic_secret_rate_bps": None}


def show(rows: list[dict], reference: float | None) -> None:
    def fmt(v: float | None, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    header = ["simulator", "sim s", "wall s", "sim s / wall s", "vs SeQUeNCe",
              "sifted bit/s", "QBER", "corrected bit/s", "secret bit/s"]
    lines = [[r["simulator"], fmt(r["sim_time_s"], "g"), fmt(r["wall_s"], ".2f"),
              fmt(r["sim_s_per_wall_s"], ".3g"),
              fmt(r["sim_s_per_wall_s"] / reference if reference else None, ".3g") + "x",
              fmt(r["sifted_rate_bps"], ".3e"), fmt(r["qber"], ".4f"),
              fmt(r["corrected_rate_bps"], ".3e"), fmt(r["secret_rate_bps"], ".3e")]
             for r in rows]
    print_table("BB84, 50 km, 80 MHz, mu = 0.5: qinet and SeQUeNCe", header, lines, width=160)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_link_arguments(p)
    p.add_argument("--qinet-time", type=float, default=1.0)
    p.add_argument("--peer-time", type=float, default=0.005)
    p.add_argument("--peer-cascade-time", type=float, default=0.02)
    p.add_argument("--block-size", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    add_peer_arguments(p)
    args = p.parse_args(argv)
    python = peer_python(args)
    args.z_share = 0.5  # qinet keys on Z only: half of the basis-matched clicks
    rows = [run_qinet(args, decoy=False), run_qinet(args, decoy=True)]
    peers = [r for r in (run_peer(args, python, cascade=False),
                         run_peer(args, python, cascade=True)) if r]
    reference = peers[0]["sim_s_per_wall_s"] if peers else None
    if args.json:
        print(json.dumps({"rows": rows + peers, "params": {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
            if k != "json"}}))
        return
    show(rows + peers, reference)
    print("sifted: basis-matched clicks (both bases) per simulated second, for decoy BB84 "
          "the Z-basis key; corrected: bits both ends held equal after Cascade and "
          "verification per simulated second (qinet: measured, summed over the blocks; "
          "SeQUeNCe: its Cascade throughput); "
          "secret: after privacy amplification (qinet: GLLP / Lim et al. 2014 lengths; "
          "SeQUeNCe: its privacy_throughput estimate)")


if __name__ == "__main__":
    main()
