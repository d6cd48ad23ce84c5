#!/usr/bin/env python3
r"""Peer benchmark: BB84 (and Cascade) between two QKD nodes in SeQUeNCe 1.x.

Run with the benchmark virtual environment (see ``benchmarks/setup_peer_env.sh``)::

    .bench-venv/bin/python benchmarks/peer_sequence_bb84.py --sim-time 0.02 --json
    .bench-venv/bin/python benchmarks/peer_sequence_bb84.py --cascade --sim-time 0.05 --json

Set-up (the way SeQUeNCe's QKD tutorial drives a link)::

    alice (QKDNode) ==== quantum channel, L, a dB/km ====> bob (QKDNode)
          \________________ classical channel, L/c ________________/

* Two ``QKDNode``s, Alice's ``LightSource`` at ``--frequency`` with Poisson pulses of
  mean ``--mu`` (no decoys: SeQUeNCe's BB84 has none), Bob's polarisation
  ``QSDetector`` with two detectors of efficiency ``--detector-efficiency`` and
  ``--dark-count`` Hz. The quantum channel has attenuation ``a/1000`` dB/m and
  polarisation fidelity ``1 - 2 e_d`` (a failed photon gets a random polarisation, so
  half of those errors are bit errors: misalignment ``e_d``).
* BB84 only: Alice's BB84 asks for keys of ``--key-length`` sifted bits until the end
  of the run; the sifted bits, their error rate (SeQUeNCe's ``error_rates``) and the
  time are read from the protocol.
* ``--cascade``: Cascade on top (``pair_cascade_protocols``), asked for ``--key-length``
  bit keys; SeQUeNCe first takes a 10,000-bit key for its error estimate, then frames of
  10,240 bits, each Cascade pass a classical round trip over the link. Reports its
  corrected-key throughput, its estimate after disclosure (``privacy_throughput``) and
  the residual bit error rate; ``null`` where no frame finished within the run.

SeQUeNCe's BB84 draws bases and bits from numpy's global generator and its Cascade
reseeds that global generator per pass. Rather than seed global state, this script
points both modules at generators of their own (``_own_randomness``), seeded from
``--seed``, and seeds each node, so a run is repeatable and nothing global is touched. It
imports only the standard library, numpy, ``sequence`` and the link's flags from
``benchmarks/_qkd_common.py`` (standard library only), never qinet.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import types
from importlib.metadata import version as pkg_version
from pathlib import Path

import numpy as np
from sequence.components.optical_channel import ClassicalChannel, QuantumChannel
from sequence.kernel.timeline import Timeline
from sequence.qkd.BB84 import pair_bb84_protocols
from sequence.qkd.cascade import pair_cascade_protocols
from sequence.topology.node import QKDNode

sys.path.insert(0, str(Path(__file__).parent))
from _qkd_common import add_link_arguments

LIGHT_SPEED_M_PER_PS = 2e-4  # SeQUeNCe's SPEED_OF_LIGHT


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_link_arguments(p)
    p.add_argument("--key-length", type=int, default=1000)
    p.add_argument("--cascade", action="store_true")
    p.add_argument("--sim-time", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


def build(a: argparse.Namespace) -> tuple[Timeline, QKDNode, QKDNode]:
    tl = Timeline(round(a.sim_time * 1e12))
    stack = 2 if a.cascade else 1
    templates = {"LightSource": {"frequency": a.frequency, "mean_photon_num": a.mu}}
    alice = QKDNode("alice", tl, stack_size=stack, seed=a.seed, component_templates=templates)
    bob = QKDNode("bob", tl, stack_size=stack, seed=a.seed + 1)
    qsd = bob.components[bob.name + ".qsdetector"]
    for i in range(2):
        qsd.update_detector_params(i, "efficiency", a.detector_efficiency)
        qsd.update_detector_params(i, "dark_count", a.dark_count)
    pair_bb84_protocols(alice.protocol_stack[0], bob.protocol_stack[0])
    if a.cascade:
        pair_cascade_protocols(alice.protocol_stack[1], bob.protocol_stack[1])
    distance_m = a.distance_km * 1e3
    # both directions, as in SeQUeNCe's tutorial: Bob's BB84 reads the channel's delay
    for src, dst in ((alice, bob), (bob, alice)):
        qc = QuantumChannel(f"qc-{src.name}-{dst.name}", tl,
                            attenuation=a.attenuation_db_km / 1e3, distance=distance_m,
                            polarization_fidelity=1.0 - 2.0 * a.misalignment,
                            frequency=a.frequency)
        qc.set_ends(src, dst.name)
        # its polarisation noise draws from get_generator(): the sender's seeded
        # generator once the channel has an owner, a fresh unseeded one otherwise
        qc.owner = src
    delay = round(distance_m / LIGHT_SPEED_M_PER_PS)
    for src, dst in ((alice, bob), (bob, alice)):
        cc = ClassicalChannel(f"cc-{src.name}-{dst.name}", tl, distance=distance_m, delay=delay)
        cc.set_ends(src, dst.name)
    return tl, alice, bob


def sifted_bits(a: argparse.Namespace, alice: QKDNode, keys: int) -> int:
    """Sifted bits in the keys BB84 handed up (Cascade asks for 10,000, then frames)."""
    if not a.cascade or keys == 0:
        return keys * a.key_length
    return 10_000 + (keys - 1) * alice.protocol_stack[1].frame_len


def _own_randomness(seed: int) -> None:
    """Give the peer's BB84 and Cascade modules generators of their own.

    BB84 calls ``numpy.random.choice`` through its module's ``numpy`` name: that name
    now refers to a stand-in whose ``random.choice`` is a seeded Generator's (same
    signature) and which forwards everything else to numpy. Cascade calls
    ``random.seed(pass_id)`` and ``random.shuffle`` on ``numpy.random``: its ``random``
    name now refers to a private RandomState, which behaves the same without being
    global.
    """
    generator = np.random.default_rng(seed)

    class _Numpy(types.ModuleType):
        random = types.SimpleNamespace(choice=generator.choice)

        def __getattr__(self, name: str) -> object:
            return getattr(np, name)

    importlib.import_module("sequence.qkd.BB84").numpy = _Numpy("numpy")
    importlib.import_module("sequence.qkd.cascade").random = np.random.RandomState(seed)


def run(a: argparse.Namespace) -> dict:
    _own_randomness(a.seed)
    tl, alice, _ = build(a)
    tl.init()
    if a.cascade:
        alice.protocol_stack[1].push(a.key_length, 10**9, round(a.sim_time * 1e12))
    else:
        alice.protocol_stack[0].push(a.key_length, 10**9)
    start = time.perf_counter()
    tl.run()
    wall = time.perf_counter() - start
    bb84 = alice.protocol_stack[0]
    out = {
        "peer": "SeQUeNCe", "version": pkg_version("sequence"), "python": sys.version.split()[0],
        "protocol": "bb84+cascade" if a.cascade else "bb84", "sim_time_s": a.sim_time,
        "wall_s": wall, "sim_s_per_wall_s": a.sim_time / wall,
        "pulses": round(a.sim_time * a.frequency),
        "pulses_per_wall_s": a.sim_time * a.frequency / wall,
        "events_executed": int(getattr(tl, "run_counter", 0)),
        "sifted_keys": len(bb84.error_rates),
        "sifted_bits": sifted_bits(a, alice, len(bb84.error_rates)),
        "qber": float(np.mean(bb84.error_rates)) if bb84.error_rates else None,
        "params": vars(a),
    }
    # SeQUeNCe counts sifted keys from the start of the run
    out["sifted_rate_bps"] = out["sifted_bits"] / a.sim_time
    if a.cascade:
        cascade = alice.protocol_stack[1]
        out.update({
            "cascade_keys": len(cascade.valid_keys),
            "cascade_key_bits": len(cascade.valid_keys) * a.key_length,
            "cascade_throughput_bps": cascade.throughput,
            "cascade_privacy_throughput_bps": cascade.privacy_throughput,
            "cascade_disclosed_bits": cascade.disclosed_bits_counter,
            "cascade_residual_error_rate": cascade.error_bit_rate,
        })
    return out


def main(argv: list[str] | None = None) -> None:
    a = parse(argv)
    out = run(a)
    if a.json:
        print(json.dumps(out))
        return
    for key, value in out.items():
        if key != "params":
            print(f"{key:32s} {value}")


if __name__ == "__main__":
    main()
