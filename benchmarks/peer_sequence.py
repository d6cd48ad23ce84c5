#!/usr/bin/env python3
r"""Peer benchmark: two-node heralded entanglement generation in SeQUeNCe 1.x.

Run with the benchmark virtual environment (see ``benchmarks/setup_peer_env.sh``)::

    .bench-venv/bin/python benchmarks/peer_sequence.py --formalism bds --sim-time 1.0 --json
    .bench-venv/bin/python benchmarks/peer_sequence.py --formalism ket --sim-time 1.0 --json

Set-up (the way SeQUeNCe's own tutorials drive a link):

    router_0 ---- L/2 ---- BSMNode ---- L/2 ---- router_1
        \_________________ classical, L ________________/

* Built with ``RouterNetTopo`` from an in-memory config dict: two ``QuantumRouter``
  nodes with ``--memories`` memories each and a ``BSMNode`` in the middle; quantum
  channels router->BSM of length L/2; classical channels router<->BSM with delay
  (L/2)/c and router<->router with delay L/c, c = 2e8 m/s (SeQUeNCe's
  ``SPEED_OF_LIGHT`` = 2e-4 m/ps).
* A ``RequestApp`` on router_0 reserves all memories of both routers towards
  router_1 for the window [warm-up, warm-up + sim_time]. The resource manager then
  runs entanglement-generation rules on every RAW memory; the app counts each
  ENTANGLED memory delivered to it and immediately frees it (RAW), which restarts
  generation on that memory pair. Pairs = deliveries on router_0 in the window.
* ``--formalism ket``: ket-vector quantum manager + Barrett-Kok
  (``BarretKokA``/``BarretKokB``, ``SingleAtomBSM``, BSM encoding ``single_atom``).
  ``--formalism bds``: Bell-diagonal quantum manager + single-heralded generation
  (``SingleHeraldedA``/``SingleHeraldedB``, ``SingleHeraldedBSM``, encoding
  ``single_heralded``). SeQUeNCe 1.x does not support Barrett-Kok under the
  Bell-diagonal formalism (``SingleAtomBSM`` only handles ket/density-matrix states)
  and the single-heralded protocol asserts the Bell-diagonal formalism, so this is
  the only valid BDS set-up in the peer. See benchmarks/README.md for the physics.

Instrumentation (read-only wrappers around SeQUeNCe methods; they do not change
the simulated behaviour or consume random numbers) counts attempts, records the
emission time of every first-round photon, and reads the true quantum state of
every generated pair.

This script imports only the standard library, numpy and ``sequence``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from importlib.metadata import version as pkg_version
from itertools import pairwise

import numpy as np

try:
    import sequence  # noqa: F401
except ImportError:  # pragma: no cover - guidance only
    sys.exit("SeQUeNCe missing: run benchmarks/setup_peer_env.sh, use .bench-venv/bin/python")

from sequence.app.request_app import RequestApp
from sequence.components.detector import Detector
from sequence.components.memory import MemoryArray
from sequence.components.optical_channel import QuantumChannel
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
from sequence.topology.router_net_topo import RouterNetTopo

PS_PER_S = 10**12
SQ = math.sqrt(0.5)
# Bell states in the computational basis |00>,|01>,|10>,|11>
BELL = {
    "phi_plus": np.array([SQ, 0, 0, SQ], dtype=complex),
    "phi_minus": np.array([SQ, 0, 0, -SQ], dtype=complex),
    "psi_plus": np.array([0, SQ, SQ, 0], dtype=complex),
    "psi_minus": np.array([0, SQ, -SQ, 0], dtype=complex),
}
# SeQUeNCe's BDS vector order is (Phi+, Phi-, Psi+, Psi-) == (I, Z, X, Y errors).
BDS_ORDER = ("phi_plus", "phi_minus", "psi_plus", "psi_minus")

# SeQUeNCe defaults we rely on (read from the installed package, not hard-coded guesses)
_DET_DEFAULTS = (
    Detector.__init__.__defaults__
)  # (efficiency, dark_count, count_rate, time_resolution)
_MEM_ARRAY_DEFAULTS = dict(
    zip(
        MemoryArray.__init__.__code__.co_varnames[3 : 3 + len(MemoryArray.__init__.__defaults__)],
        MemoryArray.__init__.__defaults__,
        strict=True,
    )
)
_QC_DEFAULT_FREQUENCY = QuantumChannel.__init__.__defaults__[-1]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--formalism",
        choices=("bds", "ket"),
        default="bds",
        help="bds: Bell-diagonal + single-heralded; ket: ket vectors + Barrett-Kok",
    )
    p.add_argument(
        "--distance-km", type=float, default=20.0, help="end-to-end distance L (BSM in the middle)"
    )
    p.add_argument("--memories", type=int, default=10, help="memories per node (all reserved)")
    p.add_argument(
        "--memory-efficiency", type=float, default=0.9, help="photon emission efficiency eta_mem"
    )
    p.add_argument(
        "--raw-fidelity", type=float, default=0.95, help="fidelity F of the heralded state"
    )
    p.add_argument(
        "--coherence-s",
        type=float,
        default=1.0,
        help="memory coherence time (s); also cut-off time",
    )
    p.add_argument(
        "--detector-efficiency",
        type=float,
        default=_DET_DEFAULTS[0],
        help="BSM detector efficiency eta_det (SeQUeNCe default)",
    )
    p.add_argument(
        "--dark-count",
        type=float,
        default=_DET_DEFAULTS[1],
        help="detector dark count rate (1/s) (SeQUeNCe default)",
    )
    p.add_argument(
        "--detector-count-rate",
        type=float,
        default=1e11,
        help="detector max count rate (Hz); dead time = 1/rate. SeQUeNCe's Detector default is "
        f"{_DET_DEFAULTS[2]:.3g} Hz, which makes the synchronised multiplexed attempts lose "
        "detections (see README); 1e11 (as in SeQUeNCe's generate-topology templates) removes that",
    )
    p.add_argument(
        "--detector-time-resolution",
        type=int,
        default=_DET_DEFAULTS[3],
        help="detector time resolution (ps) (SeQUeNCe default); herald window is +-resolution/2",
    )
    p.add_argument("--attenuation-db-km", type=float, default=0.2, help="fibre attenuation (dB/km)")
    p.add_argument(
        "--memory-frequency",
        type=float,
        default=_MEM_ARRAY_DEFAULTS["frequency"],
        help="max memory excitation rate (Hz) (SeQUeNCe MemoryArray default)",
    )
    p.add_argument("--sim-time", type=float, default=1.0, help="simulated generation window (s)")
    p.add_argument(
        "--warmup-s",
        type=float,
        default=1e-3,
        help="simulated time before the window, used by the RSVP reservation handshake",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--target-fidelity",
        type=float,
        default=0.5,
        help="reservation target fidelity (kept <= raw fidelity so no purification happens)",
    )
    p.add_argument(
        "--json", action="store_true", help="print one JSON object (default: human-readable)"
    )
    return p.parse_args(argv)


def build_config(a) -> dict:
    L_m = a.distance_km * 1000.0
    half = L_m / 2
    d_half = round(half / SPEED_OF_LIGHT)
    d_full = round(L_m / SPEED_OF_LIGHT)
    att = a.attenuation_db_km / 1000.0  # SeQUeNCe wants dB/m
    if a.formalism == "bds":
        formalism, enc, bsm_cls = (
            BELL_DIAGONAL_STATE_FORMALISM,
            "single_heralded",
            "SingleHeraldedBSM",
        )
    else:
        formalism, enc, bsm_cls = KET_VECTOR_FORMALISM, "single_atom", "SingleAtomBSM"
    det = {
        "efficiency": a.detector_efficiency,
        "dark_count": a.dark_count,
        "count_rate": a.detector_count_rate,
        "time_resolution": a.detector_time_resolution,
    }
    bsm = "BSM.r0.r1"
    cc = []
    for r in ("router_0", "router_1"):
        cc.append(
            {
                "name": f"cc-{r}-bsm",
                "source": r,
                "destination": bsm,
                "distance": half,
                "delay": d_half,
            }
        )
        cc.append(
            {
                "name": f"cc-bsm-{r}",
                "source": bsm,
                "destination": r,
                "distance": half,
                "delay": d_half,
            }
        )
    cc.append(
        {
            "name": "cc-r0-r1",
            "source": "router_0",
            "destination": "router_1",
            "distance": L_m,
            "delay": d_full,
        }
    )
    cc.append(
        {
            "name": "cc-r1-r0",
            "source": "router_1",
            "destination": "router_0",
            "distance": L_m,
            "delay": d_full,
        }
    )
    return {
        "formalism": formalism,
        "templates": {
            "router": {
                "MemoryArray": {
                    "fidelity": a.raw_fidelity,
                    "efficiency": a.memory_efficiency,
                    "coherence_time": a.coherence_s,
                    "frequency": a.memory_frequency,
                }
            },
            "bsm": {"encoding_type": enc, bsm_cls: {"detectors": [dict(det), dict(det)]}},
        },
        "nodes": [
            {
                "name": "router_0",
                "type": "QuantumRouter",
                "seed": a.seed,
                "memo_size": a.memories,
                "template": "router",
            },
            {
                "name": "router_1",
                "type": "QuantumRouter",
                "seed": a.seed + 1,
                "memo_size": a.memories,
                "template": "router",
            },
            {"name": bsm, "type": "BSMNode", "seed": a.seed + 2, "template": "bsm"},
        ],
        "qchannels": [
            {
                "name": f"qc-{r}-bsm",
                "source": r,
                "destination": bsm,
                "distance": half,
                "attenuation": att,
            }
            for r in ("router_0", "router_1")
        ],
        "cchannels": cc,
    }


class Probe:
    """Read-only instrumentation of the generation protocol (class-level wrappers)."""

    def __init__(self, proto_cls, formalism: str, node_name: str, t0: int, t1: int):
        self.formalism = formalism
        self.node_name = node_name  # count attempts on one end only (one per memory pair)
        self.t0, self.t1 = t0, t1
        self.round1_emits = defaultdict(list)  # memory name -> [emission times of round 1]
        self.round2_emits = 0
        self.outcomes = defaultdict(list)  # memory name -> [(t_first_emit, outcome, t_resolved)]
        self.succ = 0
        self.fail = 0
        self.state_fid = []  # true fidelity to the target Bell state
        self.reported_fid = []  # SeQUeNCe's memory.fidelity at generation
        self.bell_counts = defaultdict(int)  # ket: which Bell state was produced
        self._seen_pairs = set()
        self._patch(proto_cls)

    def _in_window(self, t):
        return self.t0 <= t < self.t1

    def _patch(self, cls):
        probe = self
        orig_emit, orig_succ, orig_fail = (
            cls.emit_event,
            cls._entanglement_succeed,
            cls._entanglement_fail,
        )

        def emit_event(self):
            if self.owner.name == probe.node_name:
                now = self.owner.timeline.now()
                if self.ent_round == 1:
                    probe.round1_emits[self.memory.name].append(now)
                    probe._cur_start = getattr(probe, "_cur_start", {})
                    probe._cur_start[self.memory.name] = now
                elif self.ent_round == 2:
                    probe.round2_emits += 1
            return orig_emit(self)

        def _record_outcome(self, outcome):
            start = getattr(probe, "_cur_start", {}).get(self.memory.name)
            if start is not None:
                probe.outcomes[self.memory.name].append(
                    (start, outcome, self.owner.timeline.now(), self.ent_round)
                )

        def _entanglement_succeed(self):
            tl = self.owner.timeline
            qm = tl.quantum_manager
            key = self.memory.qstate_key
            st = qm.states.get(key)
            if st is not None and len(st.keys) == 2:
                pair_id = (tl.now(), frozenset(st.keys))
                if pair_id not in probe._seen_pairs:
                    # first end to succeed: its own correction is applied, the other end's
                    # is still pending
                    probe._seen_pairs.add(pair_id)
                    if probe._in_window(tl.now()):
                        probe._record_state(self, st)
            res = orig_succ(self)
            if self.owner.name == probe.node_name:
                _record_outcome(self, "success")
                if probe._in_window(self.owner.timeline.now()):
                    probe.succ += 1
            return res

        def _entanglement_fail(self):
            if self.owner.name == probe.node_name:
                _record_outcome(self, "fail")
                if probe._in_window(self.owner.timeline.now()):
                    probe.fail += 1
            return orig_fail(self)

        cls.emit_event = emit_event
        cls._entanglement_succeed = _entanglement_succeed
        cls._entanglement_fail = _entanglement_fail

    def _record_state(self, proto, st):
        if self.formalism == "bds":
            diag = np.asarray(st.state, dtype=float)
            self.state_fid.append(float(diag[0]))  # Phi+ element (SeQUeNCe's target)
            self.bell_counts["phi_plus_weight_sum"] += float(diag[0])
            return
        # ket vector: apply the other end's pending Pauli correction
        # (BarretKokA.update_memory, round 3):
        # the primary applies X; the non-primary applies Z iff the two BSM results differ.
        psi = np.asarray(st.state, dtype=complex)
        keys = list(st.keys)
        my_key = proto.memory.qstate_key
        other_idx = 1 - keys.index(my_key)
        X = np.array([[0, 1], [1, 0]], dtype=complex)
        Z = np.array([[1, 0], [0, -1]], dtype=complex)
        I2 = np.eye(2, dtype=complex)
        other_is_primary = not proto.primary
        if other_is_primary:
            op = X
        elif proto.bsm_res[0] != proto.bsm_res[1]:
            op = Z
        else:
            op = I2
        full = np.kron(op, I2) if other_idx == 0 else np.kron(I2, op)
        psi = full @ psi
        overlaps = {name: float(abs(np.vdot(b, psi)) ** 2) for name, b in BELL.items()}
        best = max(overlaps, key=overlaps.get)
        self.bell_counts[best] += 1
        self.state_fid.append(overlaps["phi_plus"])

    def attempt_periods(self):
        """Gaps between successive round-1 emissions of the same memory (within the window)."""
        gaps = []
        by_prev = defaultdict(list)
        for mem, outs in self.outcomes.items():
            emits = [t for t in self.round1_emits[mem] if self._in_window(t)]
            outcome_at = {o[0]: o for o in outs}
            for a, b in pairwise(emits):
                gaps.append(b - a)
                o = outcome_at.get(a)
                if o is not None:
                    label = (
                        o[1] if o[1] == "success" else f"fail_round{o[3] - 1 if o[3] > 1 else 1}"
                    )
                    by_prev[label].append(b - a)
        return gaps, by_prev


class CountingRequestApp(RequestApp):
    """SeQUeNCe's RequestApp, also recording the fidelity SeQUeNCe reports per delivered pair."""

    def __init__(self, node, probe: Probe):
        super().__init__(node)
        self._probe = probe

    def get_memory(self, info):
        before, fid = (
            self.memory_counter,
            float(info.fidelity),
        )  # read before the app frees (resets) it
        super().get_memory(info)
        if self.memory_counter > before and self._probe._in_window(self.node.timeline.now()):
            self._probe.reported_fid.append(fid)


def stats(xs):
    if not xs:
        return None, None
    return statistics.fmean(xs), (statistics.pstdev(xs) if len(xs) > 1 else 0.0)


MODEL_COMMON = [
    "eta_arm = 10^(-att_dB_per_km * (L/2) / 10); a photon reaches the BSM w.p. eta_mem * "
    "eta_arm (Memory.excite adds loss 1-eta_mem, QuantumChannel adds 1-eta_arm; loss is drawn"
    " at the BSM)",
    "a detector registers a photon w.p. eta_det; dark counts: Poisson, rate dark_count per "
    "detector (default 0); a herald counts only if its (resolution-rounded) time is within "
    "+-resolution/2 of the expected arrival; after each click a detector is dead for "
    "1/count_rate",
    "timing (c = 2e8 m/s): an attempt resolves at both ends at the same instant; the memory "
    "goes RAW, the EG rule fires, the initiator (router_0) sends a resource-manager REQUEST "
    "(L/c); the responder (router_1, which is also the primary because its name sorts higher)"
    " pairs and sends NEGOTIATE (L/c); the non-primary schedules both emissions one L/c later"
    " (NEGOTIATE_ACK flight), rounded up to a free 12.5 ns channel time bin; photons fly L/2c"
    " to the BSM and the result flies L/2c back (+10 ps). One emission round after pairing "
    "therefore costs 4 L/c; a further round costs 3 L/c",
    "rate = memories * p / E[period]",
]
MODEL_BDS = [
    *MODEL_COMMON,
    "single-heralded, one emission round per attempt: period = 4 L/c",
    "SingleHeraldedBSM: both photons present -> linear-optics BSM succeeds w.p. 0.5 -> both "
    "photons survive w.p. (eta_mem*eta_arm)^2 -> photon i clicks detector i w.p. eta_det "
    "each; herald needs both detectors: p = 0.5*(eta_mem*eta_arm*eta_det)^2",
    "heralded state: BDS (Phi+,Phi-,Psi+,Psi-) = (F,(1-F)/3,(1-F)/3,(1-F)/3), F = raw "
    "fidelity, independent of losses/dark counts; then each memory's Pauli decoherence for "
    "tau = L/c (emission to herald): p_I = (1+3exp(-4 tau/(3 T)))/4, F <- p_I F + "
    "(1-p_I)(1-F)/3, twice",
    "Memory.fidelity / MemoryInfo.fidelity report F (no decoherence); memories expire T_coh "
    "after they were last set to |+> (every attempt)",
]
MODEL_KET = [
    *MODEL_COMMON,
    "Barrett-Kok, two emission rounds; period = 4 L/c if round 1 gives no herald, 7 L/c "
    "otherwise; E[period] = (4 + 3 P_r1) L/c",
    "round 1: memories set to |+>, the photon is the memory qubit (present iff |1>); the BSM "
    "measures both in Z. (1,0)/(0,1) w.p. 1/2: pair set to Psi- (detector 0) or Psi+ "
    "(detector 1), herald w.p. eta = eta_mem*eta_arm*eta_det. (1,1) w.p. 1/4: each photon "
    "clicks a random detector w.p. eta; one click, or two on the same detector (second lost "
    "to dead time) -> false herald that always fails in round 2; clicks on both detectors -> "
    "rejected. P_r1 = eta/2 + eta(1-eta)/2 + eta^2/8",
    "round 2: both memories X-flipped and re-emitted; a true Psi pair gives exactly one "
    "photon, herald w.p. eta, so p = eta^2/2 = 0.5*(eta_mem*eta_arm*eta_det)^2",
    "heralded state (ket formalism): the pair is set to one pure Bell state, the target w.p. "
    "F and each other w.p. (1-F)/3; corrections (primary X; non-primary Z if the two "
    "detectors differed) map the target to Phi+. No time-dependent decoherence in ket "
    "(coherence time = expiry cut-off only)",
    "Memory.fidelity / MemoryInfo.fidelity report F",
]


def expectations(a) -> dict:
    """Closed-form expectations of SeQUeNCe's model for these parameters (see MODEL_*)."""
    lc_ps = round(a.distance_km * 1000 / SPEED_OF_LIGHT)
    bin_ps = PS_PER_S / _QC_DEFAULT_FREQUENCY
    eta_arm = 10 ** (-(a.attenuation_db_km * a.distance_km / 2) / 10)
    eta = a.memory_efficiency * eta_arm * a.detector_efficiency
    p = 0.5 * eta**2
    p_r1 = eta / 2 + eta * (1 - eta) / 2 + eta**2 / 8
    # 4 L/c (+10 ps gap, rounded up to the next channel time bin);
    # Barrett-Kok adds 3 L/c (+ the same rounding) when round 1 heralds
    first = math.ceil((4 * lc_ps + 10) / bin_ps) * bin_ps
    second = math.ceil((3 * lc_ps + 10) / bin_ps) * bin_ps
    period_ps = first + (p_r1 * second if a.formalism == "ket" else 0)
    if a.formalism == "bds":
        tau = lc_ps / PS_PER_S
        e = math.exp(-4 * tau / (3 * a.coherence_s)) if a.coherence_s > 0 else 1.0
        p_i = (1 + 3 * e) / 4
        f = a.raw_fidelity
        for _ in range(2):
            f = p_i * f + (1 - p_i) * (1 - f) / 3
    else:
        f = a.raw_fidelity
    return {
        "Lc_ps": lc_ps,
        "Lc_s": lc_ps / PS_PER_S,
        "eta_arm": eta_arm,
        "eta": eta,
        "p": p,
        "p_round1": p_r1,
        "period_s": period_ps / PS_PER_S,
        "rate_hz": a.memories * p / (period_ps / PS_PER_S),
        "state_fidelity": f,
    }


def main(argv=None):
    a = parse_args(argv)
    proto_type = SINGLE_HERALDED if a.formalism == "bds" else BARRET_KOK
    EntanglementGenerationA.set_global_type(proto_type)
    EntanglementGenerationB.set_global_type(proto_type)

    t0 = round(a.warmup_s * PS_PER_S)
    t1 = t0 + round(a.sim_time * PS_PER_S)
    probe = Probe(
        SingleHeraldedA if a.formalism == "bds" else BarretKokA, a.formalism, "router_0", t0, t1
    )

    tb = time.perf_counter()
    topo = RouterNetTopo(build_config(a))
    tl = topo.get_timeline()
    tl.stop_time = t1
    tl.show_progress = False
    routers = {r.name: r for r in topo.get_nodes_by_type(RouterNetTopo.QUANTUM_ROUTER)}
    app0 = CountingRequestApp(routers["router_0"], probe)
    RequestApp(routers["router_1"])
    tl.init()
    app0.start("router_1", t0, t1, a.memories, a.target_fidelity)
    build_wall = time.perf_counter() - tb

    tr = time.perf_counter()
    tl.run()
    wall = time.perf_counter() - tr

    pairs = app0.memory_counter
    attempts = probe.succ + probe.fail
    fid_mean, fid_std = stats(probe.reported_fid)
    sfid_mean, sfid_std = stats(probe.state_fid)
    gaps, by_prev = probe.attempt_periods()
    gap_mean, gap_std = stats(gaps)

    exp = expectations(a)
    # measured round-1 herald fraction (Barrett-Kok): attempts that went on to emit a second photon
    n_round1 = sum(1 for m in probe.round1_emits.values() for t in m if t0 <= t < t1)
    ket = a.formalism == "ket"
    params = {
        "attenuation_db_per_km": a.attenuation_db_km,
        "arm_length_km": a.distance_km / 2,
        "arm_transmittance": exp["eta_arm"],
        "memory_efficiency": a.memory_efficiency,
        "detector_efficiency": a.detector_efficiency,
        "eta_one_photon": exp["eta"],
        "dark_count_rate_hz": a.dark_count,
        "detector_count_rate_hz": a.detector_count_rate,
        "detector_dead_time_s": 1 / a.detector_count_rate,
        "detector_time_resolution_ps": a.detector_time_resolution,
        "herald_window_ps": 2 * (a.detector_time_resolution // 2),
        "raw_fidelity": a.raw_fidelity,
        "raw_state": "Werner: Phi+ w.p. F, each other Bell state w.p. (1-F)/3",
        "coherence_time_s": a.coherence_s,
        "memory_cutoff_s": a.coherence_s,
        "decoherence": (
            None
            if ket
            else "single-qubit Pauli channel per memory, rate 1/T_coh split X:Y:Z = 1/3:1/3:1/3"
        ),
        "memory_frequency_hz": a.memory_frequency,
        "qchannel_frequency_hz": _QC_DEFAULT_FREQUENCY,
        "qchannel_time_bin_s": 1 / _QC_DEFAULT_FREQUENCY,
        "speed_of_light_m_per_s": SPEED_OF_LIGHT * PS_PER_S,
        "L_over_c_s": exp["Lc_s"],
        "bsm_success_prob": None if ket else 0.5,
    }
    out = {
        "peer": "sequence",
        "version": pkg_version("sequence"),
        "python": sys.version.split()[0],
        "formalism": a.formalism,
        "sequence_formalism": KET_VECTOR_FORMALISM if ket else BELL_DIAGONAL_STATE_FORMALISM,
        "protocol": (
            "barret_kok (BarretKokA/B, SingleAtomBSM)"
            if ket
            else "single_heralded (SingleHeraldedA/B, SingleHeraldedBSM)"
        ),
        "driver": "RouterNetTopo + RequestApp reservation (resource-manager EG rules); "
        "each delivered pair is freed at once, restarting generation",
        "distance_km": a.distance_km,
        "memories": a.memories,
        "seed": a.seed,
        "sim_time_s": a.sim_time,
        "warmup_s": a.warmup_s,
        "wall_s": wall,
        "build_wall_s": build_wall,
        "events_executed": tl.run_counter,
        "events_per_wall_s": tl.run_counter / wall if wall > 0 else None,
        "pairs": pairs,
        "pairs_per_wall_s": pairs / wall if wall > 0 else None,
        "rate_hz": pairs / a.sim_time,
        "rate_expected_hz": exp["rate_hz"],
        "fidelity_mean": fid_mean,
        "fidelity_std": fid_std,
        "fidelity_note": "MemoryInfo.fidelity handed to the app (== raw fidelity by construction)",
        "state_fidelity_mean": sfid_mean,
        "state_fidelity_std": sfid_std,
        "state_fidelity_expected": exp["state_fidelity"],
        "state_fidelity_note": (
            "overlap with Phi+ of the actual heralded state (bds: Phi+ element of the BDS "
            "after the herald-delay decoherence; ket: |<Phi+|psi>|^2 after both Pauli "
            "corrections, so 1 or 0 per pair)"
        ),
        "bell_state_counts": dict(probe.bell_counts) if ket else None,
        "params": params,
        "attempts": attempts,
        "attempt_successes": probe.succ,
        "attempt_failures": probe.fail,
        "success_prob_measured": probe.succ / attempts if attempts else None,
        "success_prob_expected": exp["p"],
        "success_prob_formula": "0.5 * (eta_mem * eta_arm * eta_det)^2, eta_arm = 10^(-att*L/2/10)",
        "round1_herald_fraction": (probe.round2_emits / n_round1) if (ket and n_round1) else None,
        "round1_herald_expected": exp["p_round1"] if ket else None,
        "attempt_period_s": gap_mean / PS_PER_S if gap_mean is not None else None,
        "attempt_period_std_s": gap_std / PS_PER_S if gap_std is not None else None,
        "attempt_period_in_L_over_c": gap_mean / exp["Lc_ps"] if gap_mean is not None else None,
        "attempt_period_expected_s": exp["period_s"],
        "attempt_period_by_previous_outcome_s": {
            k: statistics.fmean(v) / PS_PER_S for k, v in sorted(by_prev.items()) if v
        },
        "model": MODEL_KET if ket else MODEL_BDS,
    }
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k:>32}: {v}")
    return out


if __name__ == "__main__":
    main()
