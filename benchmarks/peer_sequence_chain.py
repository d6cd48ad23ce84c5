#!/usr/bin/env python3
r"""Peer benchmark: end-to-end entanglement over a linear chain of routers in SeQUeNCe 1.x.

Run with the benchmark virtual environment (see ``benchmarks/setup_peer_env.sh``)::

    .bench-venv/bin/python benchmarks/peer_sequence_chain.py --json
    .bench-venv/bin/python benchmarks/peer_sequence_chain.py --routers 3 --sim-time 0.2

Set-up (SeQUeNCe's usual linear chain, as ``generate-topology linear`` and the DQS
``topology_3_node.json`` example build it, with link physics of ``peer_sequence.py``)::

    router_0 -- BSM -- router_1 -- BSM -- router_2 ... router_{N-1}
       |<-- 20 km -->|<-- 20 km -->|

* ``RouterNetTopo`` from an in-memory config dict: N ``QuantumRouter`` nodes, one
  ``BSMNode`` in the middle of each link (quantum channels router->BSM of L/2), classical
  channels router<->BSM with delay (L/2)/c and router<->router for *every* pair of routers
  with delay |i-j| L / c (swapping partners and results skip the routers in between).
* Memories: the reservation asks for ``--memories`` (m) memory pairs; SeQUeNCe's RSVP
  reserves m memories on each end router and 2m on every interior router (the first m
  for the link to the left, the last m for the link to the right), so end routers get m
  memories and interior routers 2m, as in SeQUeNCe's own chain examples.
* A ``RequestApp`` on router_0 reserves all of them towards router_{N-1} for the
  window [warm-up, warm-up + sim_time]; a ``RequestApp`` on router_{N-1} frees its end.
  The reservation installs SeQUeNCe's default rule set (generation on every link,
  purification rules that only fire below the target fidelity, nested swapping); see
  benchmarks/README.md ("Linear chain") for the protocol and its timing.
* Link generation exactly as in ``peer_sequence.py`` (``--formalism bds``: Bell-diagonal
  states + single-heralded; ``--formalism ket``: ket vectors + Barrett-Kok), with the
  matching swapping protocol (``EntanglementSwappingA_BDS``/``_Circuit``).

Pairs = end-to-end pairs delivered to the app on router_0 (memories that reach ENTANGLED
with router_{N-1} at a fidelity >= the target). Several ``--routers`` values are each run
in a fresh interpreter (SeQUeNCe's protocol factories are process-global) and, with
``--json``, printed as one JSON array with one object per N.

This script imports only the standard library, numpy, ``sequence`` and, for the shared
link set-up and instrumentation, ``peer_sequence`` next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from importlib.metadata import version as pkg_version
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_sequence as ps
from sequence.app.request_app import RequestApp
from sequence.constants import (
    BARRET_KOK,
    BELL_DIAGONAL_STATE_FORMALISM,
    KET_VECTOR_FORMALISM,
    SINGLE_HERALDED,
    SPEED_OF_LIGHT,
)
from sequence.entanglement_management.generation import (
    BarretKokA,
    EntanglementGenerationA,
    EntanglementGenerationB,
    SingleHeraldedA,
)
from sequence.entanglement_management.purification import PurificationProtocol
from sequence.entanglement_management.swapping import (
    EntanglementSwappingA,
    EntanglementSwappingA_BDS,
    EntanglementSwappingA_Circuit,
    EntanglementSwappingB,
    EntanglementSwappingMessage,
)
from sequence.resource_management.reservation_rule_registry import (
    EP_AWAIT,
    EP_REQUEST,
    _get_swapping_neighbors,
)
from sequence.resource_management.resource_manager import ResourceManager
from sequence.topology.router_net_topo import RouterNetTopo

PS_PER_S = ps.PS_PER_S
# SeQUeNCe's ket-vector swap reports f1 * f2 * degradation; 0.95 is the constructor default
# of EntanglementSwappingA_Circuit (the BDS swap has no degradation parameter).
KET_DEFAULT_DEGRADATION = EntanglementSwappingA_Circuit.__init__.__defaults__[-1]
ROUTER_SWAP_DEFAULT_PROB = 1.0  # QuantumRouter.swapping_success_prob default


def router_name(i: int) -> str:
    return f"router_{i}"


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--routers", type=int, nargs="+", default=[2, 3, 5, 9], help="chain lengths N to run"
    )
    p.add_argument(
        "--formalism",
        choices=("bds", "ket"),
        default="bds",
        help="bds: Bell-diagonal + single-heralded + BDS swap; ket: ket vectors + Barrett-Kok "
        "+ circuit swap",
    )
    p.add_argument(
        "--distance-km", type=float, default=20.0, help="length of each link (BSM in its middle)"
    )
    p.add_argument(
        "--memories",
        type=int,
        default=10,
        help="memories per router per link (end routers get this many, interior routers twice)",
    )
    p.add_argument("--memory-efficiency", type=float, default=0.9)
    p.add_argument("--raw-fidelity", type=float, default=0.95)
    p.add_argument(
        "--coherence-s", type=float, default=1.0, help="memory coherence time (s); also cut-off"
    )
    p.add_argument("--detector-efficiency", type=float, default=ps._DET_DEFAULTS[0])
    p.add_argument("--dark-count", type=float, default=ps._DET_DEFAULTS[1])
    p.add_argument(
        "--detector-count-rate",
        type=float,
        default=1e11,
        help="detector max count rate (Hz); see peer_sequence.py",
    )
    p.add_argument("--detector-time-resolution", type=int, default=ps._DET_DEFAULTS[3])
    p.add_argument("--attenuation-db-km", type=float, default=0.2)
    p.add_argument("--memory-frequency", type=float, default=ps._MEM_ARRAY_DEFAULTS["frequency"])
    p.add_argument(
        "--swap-success-prob",
        type=float,
        default=ROUTER_SWAP_DEFAULT_PROB,
        help="EntanglementSwappingA success probability (QuantumRouter default 1)",
    )
    p.add_argument(
        "--swap-degradation",
        type=float,
        default=None,
        help=f"ket only: factor in the reported swap fidelity f1*f2*d (SeQUeNCe default "
        f"{KET_DEFAULT_DEGRADATION}); the BDS swap has no such parameter",
    )
    p.add_argument("--sim-time", type=float, default=1.0, help="simulated window (s)")
    p.add_argument(
        "--warmup-s",
        type=float,
        default=None,
        help="simulated time before the window for the hop-by-hop RSVP handshake "
        "(default: 2 (N-1) L/c + 1 ms)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--target-fidelity",
        type=float,
        default=None,
        help="reservation target fidelity; swaps and deliveries need fidelity >= it, and "
        "purification fires below it. Default: min(0.5, 0.9 x the lowest fidelity SeQUeNCe "
        "will report on any segment), so it never binds and purification never runs",
    )
    p.add_argument(
        "--segments",
        type=int,
        default=1,
        help="run the window in this many slices and report wall time, pairs, events and the "
        'event-heap size after each ("progress"); 1 = one uninterrupted run',
    )
    p.add_argument(
        "--no-purification-rules",
        action="store_true",
        help="also remove SeQUeNCe's purification rules (EP_AWAIT/EP_REQUEST) instead of "
        "leaving them loaded but idle",
    )
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per N")
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------
# Swap schedule (SeQUeNCe's own rule: reservation_rule_registry._get_swapping_neighbors)
# ---------------------------------------------------------------------------------------


def swap_schedule(n: int) -> dict[int, tuple[int, int]]:
    """Interior router index -> (left, right) partner indices of its swap."""
    path = [router_name(i) for i in range(n)]
    out = {}
    for k in range(1, n - 1):
        left, right = _get_swapping_neighbors(path[k], path)
        out[k] = (path.index(left), path.index(right))
    return out


def segment_tree(n: int) -> dict[tuple[int, int], int | None]:
    """Segment (i, j) -> router that joins it by swapping (None for an elementary link)."""
    joins = {(lr[0], lr[1]): k for k, lr in swap_schedule(n).items()}
    tree: dict[tuple[int, int], int | None] = {}

    def visit(i, j):
        if j == i + 1:
            tree[(i, j)] = None
            return
        k = joins[(i, j)]  # KeyError would mean SeQUeNCe's rules never join this segment
        tree[(i, j)] = k
        visit(i, k)
        visit(k, j)

    visit(0, n - 1)
    return tree


def segment_values(n: int, link_value: float, combine) -> dict[tuple[int, int], float]:
    tree = segment_tree(n)
    vals: dict[tuple[int, int], float] = {}

    def val(i, j):
        if (i, j) not in vals:
            k = tree[(i, j)]
            vals[(i, j)] = link_value if k is None else combine(val(i, k), val(k, j))
        return vals[(i, j)]

    val(0, n - 1)
    return vals


def segment_levels(n: int) -> dict[int, int]:
    """Router -> nesting level of its swap (1 = joins two elementary links)."""
    tree = segment_tree(n)
    depth: dict[tuple[int, int], int] = {}

    def d(i, j):
        if (i, j) not in depth:
            k = tree[(i, j)]
            depth[(i, j)] = 0 if k is None else 1 + max(d(i, k), d(k, j))
        return depth[(i, j)]

    d(0, n - 1)
    return {k: depth[seg] for seg, k in tree.items() if k is not None}


def werner_combine(f1: float, f2: float) -> float:
    """BDS swap of two twirled (Werner) pairs with perfect gates/measurements."""
    return f1 * f2 + (1 - f1) * (1 - f2) / 3


def fidelity_predictions(a, n: int) -> dict:
    link_exp = ps.expectations(link_namespace(a))
    degr = a.swap_degradation if a.swap_degradation is not None else KET_DEFAULT_DEGRADATION
    if a.formalism == "bds":
        link_f = link_exp["state_fidelity"]  # herald-delay decoherence included
        reported = segment_values(n, link_f, werner_combine)
        actual = reported
    else:
        reported = segment_values(n, a.raw_fidelity, lambda f1, f2: f1 * f2 * degr)
        actual = segment_values(n, a.raw_fidelity, werner_combine)
    return {
        "reported_end_to_end": reported[(0, n - 1)],
        "state_end_to_end": actual[(0, n - 1)],
        "reported_min_segment": min(reported.values()),
        "ket_degradation": degr if a.formalism == "ket" else None,
    }


# ---------------------------------------------------------------------------------------
# Topology
# ---------------------------------------------------------------------------------------


def link_namespace(a) -> SimpleNamespace:
    """The two-node script's arguments for one link (to reuse its config and formulas)."""
    return SimpleNamespace(**vars(a))


def build_chain_config(a, n: int) -> dict:
    base = ps.build_config(link_namespace(a))  # templates, formalism and channel attenuation
    templates = base["templates"]
    if a.swap_success_prob != ROUTER_SWAP_DEFAULT_PROB or a.swap_degradation is not None:
        swap = {"swapping_success_prob": a.swap_success_prob}
        if a.swap_degradation is not None:
            swap["swapping_degradation"] = a.swap_degradation
        templates["router"]["EntanglementSwapping"] = swap
    att = base["qchannels"][0]["attenuation"]
    L_m = a.distance_km * 1000.0
    half = L_m / 2
    routers = [router_name(i) for i in range(n)]
    nodes, qch, cch = [], [], []
    for i, r in enumerate(routers):
        interior = 0 < i < n - 1
        nodes.append(
            {
                "name": r,
                "type": "QuantumRouter",
                "seed": a.seed + i,
                "memo_size": 2 * a.memories if interior else a.memories,
                "template": "router",
            }
        )
    for i in range(n - 1):
        bsm = f"BSM.{routers[i]}.{routers[i + 1]}"
        nodes.append({"name": bsm, "type": "BSMNode", "seed": a.seed + n + i, "template": "bsm"})
        for r in (routers[i], routers[i + 1]):
            qch.append(
                {
                    "name": f"qc-{r}-{bsm}",
                    "source": r,
                    "destination": bsm,
                    "distance": half,
                    "attenuation": att,
                }
            )
            d = round(half / SPEED_OF_LIGHT)
            cch.append(
                {
                    "name": f"cc-{r}-{bsm}",
                    "source": r,
                    "destination": bsm,
                    "distance": half,
                    "delay": d,
                }
            )
            cch.append(
                {
                    "name": f"cc-{bsm}-{r}",
                    "source": bsm,
                    "destination": r,
                    "distance": half,
                    "delay": d,
                }
            )
    for i in range(n):
        for j in range(n):
            if i != j:
                dist = abs(i - j) * L_m
                cch.append(
                    {
                        "name": f"cc-{routers[i]}-{routers[j]}",
                        "source": routers[i],
                        "destination": routers[j],
                        "distance": dist,
                        "delay": round(dist / SPEED_OF_LIGHT),
                    }
                )
    return {
        "formalism": base["formalism"],
        "templates": templates,
        "nodes": nodes,
        "qchannels": qch,
        "cchannels": cch,
    }


# ---------------------------------------------------------------------------------------
# Read-only instrumentation of swapping and expiry
# ---------------------------------------------------------------------------------------


class SwapProbe:
    """Counts swaps and reads the true end-to-end state right after the final swap."""

    PHI_PLUS = ps.BELL["phi_plus"]
    X = np.array([[0, 1], [1, 0]], dtype=complex)
    Z = np.array([[1, 0], [0, -1]], dtype=complex)

    def __init__(self, esa_cls, formalism, ends, levels, t0, t1):
        self.formalism = formalism
        self.ends = set(ends)
        self.levels = levels  # router name -> nesting level
        self.t0, self.t1 = t0, t1
        self.attempts: dict[int, int] = {}
        self.successes: dict[int, int] = {}
        self.final_fid: list[float] = []
        self.final_skipped = 0
        self.expirations = 0
        self.rm_messages: dict[str, int] = {}  # resource-manager messages received, by kind
        self._patch(esa_cls)

    def _patch(self, cls):
        probe = self
        orig_start = cls.start

        def start(self):
            tl = self.owner.timeline
            now = tl.now()
            in_win = probe.t0 <= now < probe.t1
            final = {self.left_node, self.right_node} == probe.ends
            sent = {}
            if final and in_win:
                owner, orig_send = self.owner, self.owner.send_message

                def send_message(dst, msg, *args, **kw):
                    if isinstance(msg, EntanglementSwappingMessage):
                        sent.setdefault(dst, msg)
                    return orig_send(dst, msg, *args, **kw)

                owner.send_message = send_message
                try:
                    orig_start(self)
                finally:
                    del owner.send_message  # back to the class method
            else:
                orig_start(self)
            if in_win:
                lvl = probe.levels.get(self.owner.name, 0)
                probe.attempts[lvl] = probe.attempts.get(lvl, 0) + 1
                if self.is_success:
                    probe.successes[lvl] = probe.successes.get(lvl, 0) + 1
                    if final:
                        probe._record_final(self, sent)

        cls.start = start

        orig_expire = ResourceManager.memory_expire

        def memory_expire(self, memory):
            if probe.t0 <= self.owner.timeline.now() < probe.t1:
                probe.expirations += 1
            return orig_expire(self, memory)

        ResourceManager.memory_expire = memory_expire

        orig_received = ResourceManager.received_message

        def received_message(self, src, msg):
            if probe.t0 <= self.owner.timeline.now() < probe.t1:
                kind = msg.msg_type.name
                if kind == "RESPONSE":
                    proto = msg.ini_protocol_name.split(".")[0]  # EGA / ESA / EP
                    kind = f"{proto}_{'approved' if msg.is_approved else 'rejected'}"
                probe.rm_messages[kind] = probe.rm_messages.get(kind, 0) + 1
            return orig_received(self, src, msg)

        ResourceManager.received_message = received_message

    def _record_final(self, esa, sent):
        tl = esa.owner.timeline
        qm = tl.quantum_manager
        left = tl.get_entity_by_name(esa.left_remote_memo)
        right = tl.get_entity_by_name(esa.right_remote_memo)
        st = qm.get(left.qstate_key)
        if self.formalism == "bds":
            self.final_fid.append(float(np.asarray(st.state, dtype=float)[0]))
            return
        keys = list(st.keys)
        if len(keys) != 2 or right.qstate_key not in keys:
            self.final_skipped += 1
            return
        # EntanglementSwappingB_Circuit on the right end: [1,0] -> Z, [0,1] -> X, [1,1] -> X then Z
        meas = sent[esa.right_node].meas_res
        op = {
            (1, 0): self.Z,
            (0, 1): self.X,
            (1, 1): self.Z @ self.X,
        }.get(tuple(meas), np.eye(2, dtype=complex))
        ident = np.eye(2, dtype=complex)
        full = np.kron(op, ident) if keys.index(right.qstate_key) == 0 else np.kron(ident, op)
        psi = full @ np.asarray(st.state, dtype=complex)
        self.final_fid.append(float(abs(np.vdot(self.PHI_PLUS, psi)) ** 2))


# ---------------------------------------------------------------------------------------
# One run
# ---------------------------------------------------------------------------------------


def configure_formalism(formalism: str):
    gen = SINGLE_HERALDED if formalism == "bds" else BARRET_KOK
    EntanglementGenerationA.set_global_type(gen)
    EntanglementGenerationB.set_global_type(gen)
    qs = BELL_DIAGONAL_STATE_FORMALISM if formalism == "bds" else KET_VECTOR_FORMALISM
    EntanglementSwappingA.set_formalism(qs)
    EntanglementSwappingB.set_formalism(qs)
    PurificationProtocol.set_formalism(qs)
    return (
        SingleHeraldedA if formalism == "bds" else BarretKokA,
        EntanglementSwappingA_BDS if formalism == "bds" else EntanglementSwappingA_Circuit,
    )


def model_lines(a, n: int) -> list[str]:
    link = ps.MODEL_BDS if a.formalism == "bds" else ps.MODEL_KET
    degr = a.swap_degradation if a.swap_degradation is not None else KET_DEFAULT_DEGRADATION
    lines = [f"link (each of the {n - 1} links, L = {a.distance_km} km): {s}" for s in link]
    lines += [
        "memories: the reservation's m memory pairs -> m memories on each end router, 2m on "
        "each interior router (first m for the left link, last m for the right link); every "
        "link always has m memory pairs generating (no sharing between links)",
        "link pairing in a chain: each free memory of the requesting router (router_k on "
        "link k,k+1) sends its own REQUEST; if the responder has no free memory for that link "
        "the request is rejected and re-sent at once (polling every 2 L/c), so a link attempts "
        "with min(free left, free right) memory pairs and a new attempt starts when both ends "
        "of a pair are free (+ up to 2 L/c), then costs the usual 4 L/c",
        "swapping order: nested (doubling), fixed by the reservation path "
        "(_get_swapping_neighbors): routers at odd positions swap their two neighbours; then "
        "the path is reduced to the even positions (plus the last router) and the rule "
        "repeats. For N = 2^k + 1 this is the balanced doubling tree (N=9: routers 1,3,5,7 "
        "join links, 2 and 6 join 2-link segments, 4 joins 0-4 with 4-8). A router swaps "
        "as soon as it holds one ENTANGLED memory with each of its two partners (greedy, "
        "lowest memory index first, no waiting for other segments); memories entangled "
        "with anything else wait (ES_B) for the swap that extends them",
        f"swap success probability {a.swap_success_prob} (QuantumRouter.swapping_success_prob, "
        "default 1); a failed swap frees all four memories (RAW) and both segments are "
        "regenerated from scratch",
        (
            "swap noise (bds): EntanglementSwappingA_BDS twirls both inputs to Werner form and "
            "returns the Werner pair F = F1 F2 + (1-F1)(1-F2)/3 (gate and measurement fidelity "
            "1); all four memories first decohere (Pauli, rate 1/T, X:Y:Z=1:1:1) to the swap "
            "time, the end memories again when the result arrives; the fidelity handed to the "
            "app is the true Phi+ weight at arrival. No degradation parameter"
            if a.formalism == "bds"
            else "swap noise (ket): the circuit swap (CNOT, H, measure both) is exact, the far "
            "end applies the Pauli correction; the fidelity SeQUeNCe *reports* is the "
            f"bookkeeping f1*f2*degradation (degradation {degr}), unrelated to the state; no "
            "time-dependent decoherence in ket"
        ),
        "classical timing (c = 2e8 m/s, router<->router channel delay |i-j| L/c): a swap at "
        "router k with partners at distances dL, dR: resource-manager REQUEST to both partners,"
        " RESPONSE back (pairing, max(2 dL, 2 dR)/c), then the swap is instantaneous and "
        "SWAP_RES reaches the partners dL/c and dR/c later; the partners' memories are held "
        "(OCCUPIED) for 3 d/c, the swapping router's for 2 d/c",
        "purification: the reservation loads BBPSSW rules, which fire only on pairs below the "
        "target fidelity; the target is set below every fidelity SeQUeNCe will report, so "
        "purification never runs; swaps and delivery require fidelity >= target",
        "cut-off: each memory expires T_coh (cutoff_ratio 1) after it was last set to |+> (each "
        "generation attempt); a swapped pair inherits the earlier expiry of its two halves; an "
        "expired memory goes RAW and regenerates",
        "delivery: the app on router_0 counts a memory that reaches ENTANGLED with "
        f"router_{n - 1} and frees it at once (RAW -> regeneration); router_{n - 1}'s app does "
        "the same on its end",
    ]
    return lines


def run_one(a, n: int) -> dict:
    proto_cls, esa_cls = configure_formalism(a.formalism)
    L_s = a.distance_km * 1000 / SPEED_OF_LIGHT / PS_PER_S  # one link's L/c in s
    warmup = a.warmup_s if a.warmup_s is not None else 2 * (n - 1) * L_s + 1e-3
    pred = fidelity_predictions(a, n)
    target = (
        a.target_fidelity
        if a.target_fidelity is not None
        else min(0.5, round(0.9 * pred["reported_min_segment"], 3))
    )

    t0 = round(warmup * PS_PER_S)
    t1 = t0 + round(a.sim_time * PS_PER_S)
    link_probe = ps.Probe(proto_cls, a.formalism, router_name(0), t0, t1)
    levels = {router_name(k): lvl for k, lvl in segment_levels(n).items()} if n > 2 else {}
    ends = (router_name(0), router_name(n - 1))
    swap_probe = SwapProbe(esa_cls, a.formalism, ends, levels, t0, t1)

    load_before = os.getloadavg()
    tb = time.perf_counter()
    topo = RouterNetTopo(build_chain_config(a, n))
    tl = topo.get_timeline()
    tl.stop_time = t1
    tl.show_progress = False
    routers = {r.name: r for r in topo.get_nodes_by_type(RouterNetTopo.QUANTUM_ROUTER)}
    if a.no_purification_rules:
        for r in routers.values():
            reg = r.resource_manager.get_reservation_rule_registry()
            reg.disable(EP_AWAIT)
            reg.disable(EP_REQUEST)
    app0 = ps.CountingRequestApp(routers[ends[0]], link_probe)
    RequestApp(routers[ends[1]])
    tl.init()
    app0.start(ends[1], t0, t1, a.memories, target)
    build_wall = time.perf_counter() - tb

    progress = []
    tr = time.perf_counter()
    for seg in range(1, a.segments + 1):
        # segments > 1: stop and resume the timeline to watch the cost per simulated second
        tl.stop_time = t0 + round(a.sim_time * PS_PER_S * seg / a.segments)
        tl.run()
        if a.segments > 1:
            heap = tl.events.data
            progress.append(
                {
                    "sim_s": (tl.stop_time - t0) / PS_PER_S,
                    "wall_s": time.perf_counter() - tr,
                    "pairs": app0.memory_counter,
                    "events": tl.run_counter,
                    "event_heap_len": len(heap),
                    "event_heap_invalid": sum(1 for e in heap if e.is_invalid()),
                }
            )
    wall = time.perf_counter() - tr
    load_after = os.getloadavg()

    if not app0.reservation_result:
        raise RuntimeError("reservation was not approved (warm-up too short?)")
    pairs = app0.memory_counter
    fid_mean, fid_std = ps.stats(link_probe.reported_fid)
    if n == 2:
        sfid_mean, sfid_std = ps.stats(link_probe.state_fid)
    else:
        sfid_mean, sfid_std = ps.stats(swap_probe.final_fid)
    link_fid_mean, _ = ps.stats(link_probe.state_fid)
    attempts = link_probe.succ + link_probe.fail
    link_exp = ps.expectations(link_namespace(a))
    sched = swap_schedule(n)

    params = {
        "attenuation_db_per_km": a.attenuation_db_km,
        "link_length_km": a.distance_km,
        "arm_length_km": a.distance_km / 2,
        "arm_transmittance": link_exp["eta_arm"],
        "memory_efficiency": a.memory_efficiency,
        "detector_efficiency": a.detector_efficiency,
        "eta_one_photon": link_exp["eta"],
        "dark_count_rate_hz": a.dark_count,
        "detector_count_rate_hz": a.detector_count_rate,
        "detector_time_resolution_ps": a.detector_time_resolution,
        "raw_fidelity": a.raw_fidelity,
        "coherence_time_s": a.coherence_s,
        "memory_cutoff_s": a.coherence_s,
        "memory_frequency_hz": a.memory_frequency,
        "speed_of_light_m_per_s": SPEED_OF_LIGHT * PS_PER_S,
        "link_L_over_c_s": L_s,
        "link_success_prob": link_exp["p"],
        "link_attempt_period_s": link_exp["period_s"],
        "swap_success_prob": a.swap_success_prob,
        "swap_degradation": pred["ket_degradation"],
        "gate_fidelity": 1.0,
        "measurement_fidelity": 1.0,
        "target_fidelity": target,
        "purification": "rules removed" if a.no_purification_rules else "rules loaded, never fire",
    }
    return {
        "peer": "sequence",
        "version": pkg_version("sequence"),
        "python": sys.version.split()[0],
        "formalism": a.formalism,
        "protocol": (
            "single_heralded + EntanglementSwappingA_BDS/B_BDS"
            if a.formalism == "bds"
            else "barret_kok + EntanglementSwappingA_Circuit/B_Circuit"
        ),
        "routers": n,
        "links": n - 1,
        "distance_km_per_link": a.distance_km,
        "end_to_end_km": a.distance_km * (n - 1),
        "memories": a.memories,
        "memories_per_router": {"end": a.memories, "interior": 2 * a.memories if n > 2 else None},
        "seed": a.seed,
        "sim_time_s": a.sim_time,
        "warmup_s": warmup,
        "wall_s": wall,
        "build_wall_s": build_wall,
        "events": tl.run_counter,
        "events_per_wall_s": tl.run_counter / wall if wall > 0 else None,
        "pairs": pairs,
        "pairs_per_wall_s": pairs / wall if wall > 0 else None,
        "rate_hz": pairs / a.sim_time,
        "fidelity_mean": fid_mean,
        "fidelity_std": fid_std,
        "fidelity_note": "MemoryInfo.fidelity handed to router_0's app (what SeQUeNCe reports)",
        "fidelity_expected": pred["reported_end_to_end"],
        "state_fidelity_mean": sfid_mean,
        "state_fidelity_std": sfid_std,
        "state_fidelity_expected": pred["state_end_to_end"],
        "state_fidelity_note": (
            "overlap with Phi+ of the true end-to-end state: N=2 at the herald, N>2 right after "
            "the final swap with the far end's Pauli correction applied; the expectation "
            "ignores decoherence while pairs wait (bds)"
        ),
        "final_swaps_unread": swap_probe.final_skipped,
        "swap_schedule": {
            router_name(k): [router_name(lr[0]), router_name(lr[1])] for k, lr in sched.items()
        },
        "swap_levels": dict(sorted(levels.items())),
        "swaps_attempted_by_level": {str(k): v for k, v in sorted(swap_probe.attempts.items())},
        "swaps_succeeded_by_level": {str(k): v for k, v in sorted(swap_probe.successes.items())},
        "memory_expirations": swap_probe.expirations,
        "resource_manager_messages": dict(sorted(swap_probe.rm_messages.items())),
        "resource_manager_messages_note": (
            "received in the window; EGA_rejected = a generation REQUEST found no free memory "
            "on the responder, and the requesting memory asks again at once (2 L/c polling)"
        ),
        "link0": {
            "attempts": attempts,
            "success_prob_measured": link_probe.succ / attempts if attempts else None,
            "success_prob_expected": link_exp["p"],
            "link_rate_expected_hz": link_exp["rate_hz"],
            "state_fidelity_mean_all_links": link_fid_mean,
            "bell_state_counts_all_links": (
                dict(link_probe.bell_counts) if a.formalism == "ket" else None
            ),
            "state_fidelity_expected": link_exp["state_fidelity"],
        },
        "progress": progress or None,
        "load_avg_before": list(load_before),
        "load_avg_after": list(load_after),
        "cpu_count": os.cpu_count(),
        "params": params,
        "model": model_lines(a, n),
    }


def child_argv(a, n: int) -> list[str]:
    """The command-line arguments that reproduce ``a`` for a single chain length ``n``."""
    out = ["--routers", str(n), "--json"]
    for key, val in vars(a).items():
        if key in ("routers", "json") or val is None or val is False:
            continue
        flag = "--" + key.replace("_", "-")
        out += [flag] if val is True else [flag, repr(val) if isinstance(val, float) else str(val)]
    return out


def main(argv=None):
    a = parse_args(argv)
    if a.formalism == "bds" and a.swap_degradation is not None:
        sys.exit("--swap-degradation applies to --formalism ket only (BDS swap has no such knob)")
    if len(a.routers) == 1:
        out = [run_one(a, a.routers[0])]
        if not a.json:
            print_human(out[0])
    else:
        out = []
        for n in a.routers:
            # a fresh interpreter per N: SeQUeNCe's protocol factories are process-global
            # and the instrumentation patches classes
            cmd = [sys.executable, str(Path(__file__).resolve()), *child_argv(a, n)]
            res = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if res.returncode != 0:
                sys.stderr.write(res.stderr)
                sys.exit(f"run with N={n} failed")
            out.extend(json.loads(res.stdout))
            if not a.json:
                print_human(out[-1])
    if a.json:
        print(json.dumps(out, indent=2))
    return out


def print_human(r: dict) -> None:
    sf = r["state_fidelity_mean"]
    print(
        f"N={r['routers']:>2} ({r['links']} x {r['distance_km_per_link']:g} km, {r['formalism']}): "
        f"{r['pairs']} pairs in {r['sim_time_s']:g} s sim ({r['rate_hz']:.0f} Hz), "
        f"wall {r['wall_s']:.1f} s -> {r['pairs_per_wall_s']:.1f} pairs/wall s, "
        f"{r['events_per_wall_s']:.0f} events/wall s; F reported {r['fidelity_mean']:.4f} "
        f"(exp {r['fidelity_expected']:.4f}), state {'n/a' if sf is None else f'{sf:.4f}'} "
        f"(exp {r['state_fidelity_expected']:.4f}); load {r['load_avg_before'][0]:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
