"""Application demands' numbers, as ``qinet run --json`` prints them under ``apps``.

One flat record per ``kind: app`` demand, whatever the application: keys that do not
apply to it are ``None`` (``null`` in JSON). ``docs/metrics.md`` defines every key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qinet.apps.circuits import DistributedResult
from qinet.apps.clock_sync import ClockSyncReport
from qinet.apps.crypto import (
    AuthenticationReport,
    BlindRunReport,
    ChshRandomnessReport,
    SecretSharingReport,
    SignatureRunReport,
)
from qinet.apps.dqc import TwoModuleResult
from qinet.apps.ghz import GhzResult
from qinet.apps.nonlocal_gates import NonlocalGateResult
from qinet.apps.sensing import SensingComparison
from qinet.scenario.apps import AppRecord, PairAppResult


@dataclass(frozen=True, slots=True)
class AppMetrics:
    """One application demand's service (the keys of ``apps[i]`` in the JSON).

    Attributes:
        demand: the demand's place in the file's ``demands``.
        app: ``teleport``, ``cnot``, ``cz``, ``chsh-randomness``, ``ghz``,
            ``secret-sharing`` or ``circuit``.
        between: (sender, receiver) or (control, target); the two ends
            (chsh-randomness); the centre then the participants (ghz, secret-sharing);
            each qubit's node (circuit).
        inputs: the inputs' kind (``haar``, a named state, ``choi``, ``basis``); for the
            applications on delivered pairs, the pair states used: ``per-pair`` (each
            pair's own Bell weights) or ``mean`` (each node pair's mean Bell weights).
        requested: runs asked for (``count``).
        completed: runs completed by the end.
        pairs_used: pairs the application consumed.
        pair_fidelity_mean: mean fidelity to Φ+ of the pairs kept, at delivery.
        fidelity_mean: mean output fidelity (teleport: to the input state; gates: the
            process fidelity for ``choi`` inputs, the state fidelity otherwise).
        fidelity_std: its standard deviation.
        fidelity_estimate: teleport: the fraction of check measurements that found the
            input (a physical estimate of the fidelity); ghz and circuit: the sampled
            fidelity with the ideal state; ``None`` for gates.
        fidelity_estimate_error: its standard error.
        fidelity_expected: ghz: the closed form ``[Π(w0 + w3) + Π(w0 - w3)]/2`` at the
            pairs used (de Bone et al. 2020).
        chsh_estimate: chsh-randomness: Ŝ, the mean CHSH round score.
        chsh_std_error: its standard error.
        chsh_lower_bound: ``Ŝ - 8 sqrt(ln(1/ε)/(2n))``, valid except with probability ε.
        chsh_expected: S of the delivered pairs, ``√2 (T_x + T_z)`` (``2√2 (4F - 1)/3``
            for Werner pairs).
        min_entropy_bits_per_round: ``1 - log2(1 + sqrt(2 - S²/4))`` at the lower bound
            (Pironio et al. 2010).
        certified_bits: rounds times the min-entropy per round.
        error_rate: secret-sharing: the error rate of the check rounds.
        error_rate_expected: its closed form for the GHZ state of the pairs used.
        tolerated_error_rate: the abort threshold.
        aborted: whether the error rate exceeded it.
        secret_bits: dealer's bits shared (kept rounds not announced as checks; 0 when
            aborted).
        accept_rate: authentication: attempts accepted; signatures: signings the first
            recipient accepted.
        accept_rate_expected: authentication: ``1 - P(Bin(n, e) > k)``.
        round_error_rate: authentication: wrong answers per challenge.
        round_error_rate_expected: ``e = (w_X + w_Z)/2 + w_Y`` of the pairs used.
        false_accept_probability: ``P(Bin(n, 1/2) <= k)``, an impostor's chance.
        trap_failure_rate: blind: traps that failed, per trap.
        trap_failure_rate_expected: its closed form on the pairs used (honest server).
        detection_rate: blind: runs in which a trap failed (the client rejects).
        failure_rate: signatures: the strategy's failures per signing (honest: rejected;
            repudiate: accepted by one recipient and rejected by the other; forge:
            accepted).
        failure_probability_expected: its closed form on the pairs used.
        failure_bound: its Hoeffding bound.
        phase_mean_rad, phase_std_rad: phase-sensing: the GHZ estimate of the average
            phase over the estimates, and its sampled spread.
        phase_cramer_rao_std_rad: the Cramér-Rao bound on that spread.
        offset_mean_s, offset_std_s, offset_cramer_rao_std_s: clock-sync: the same for
            the clocks' mean offset.
        gain_over_independent: sampled spread of as many independent sensors (clocks)
            over the GHZ's.
        gain_expected: the same from the Cramér-Rao bounds.
        time_to_estimate_s: clock-sync: rounds times the wait for a GHZ state (or the
            interrogation), plus the latency of the farthest clock's bits.
        note: why an application on delivered pairs computed nothing, else ``None``.
        average_gate_fidelity: gates with ``choi`` inputs: ``(4 F_pro + 1)/5``.
        rate_hz: runs completed per second, up to the last completion.
        latency_mean_s: mean classical part of a run: the bits' flight (teleport) or
            the round trip from the pair's delivery to the gate's completion (gates).
        completion_time_s: when the last run completed.
        pairs_discarded: pairs delivered below the demand's ``min_fidelity`` and thrown
            away (replaced by further pairs for teleport, cnot and cz).
    """

    demand: int
    app: str
    between: tuple[str, ...]
    inputs: str
    requested: int
    completed: int
    pairs_used: int
    pair_fidelity_mean: float | None
    fidelity_mean: float | None
    fidelity_std: float | None
    fidelity_estimate: float | None
    fidelity_estimate_error: float | None
    fidelity_expected: float | None
    chsh_estimate: float | None
    chsh_std_error: float | None
    chsh_lower_bound: float | None
    chsh_expected: float | None
    min_entropy_bits_per_round: float | None
    certified_bits: float | None
    error_rate: float | None
    error_rate_expected: float | None
    tolerated_error_rate: float | None
    aborted: bool | None
    secret_bits: int | None
    accept_rate: float | None
    accept_rate_expected: float | None
    round_error_rate: float | None
    round_error_rate_expected: float | None
    false_accept_probability: float | None
    trap_failure_rate: float | None
    trap_failure_rate_expected: float | None
    detection_rate: float | None
    failure_rate: float | None
    failure_probability_expected: float | None
    failure_bound: float | None
    phase_mean_rad: float | None
    phase_std_rad: float | None
    phase_cramer_rao_std_rad: float | None
    offset_mean_s: float | None
    offset_std_s: float | None
    offset_cramer_rao_std_s: float | None
    gain_over_independent: float | None
    gain_expected: float | None
    time_to_estimate_s: float | None
    note: str | None
    average_gate_fidelity: float | None
    rate_hz: float | None
    latency_mean_s: float | None
    completion_time_s: float | None
    pairs_discarded: int


def _num(value: float) -> float | None:
    return None if value != value else float(value)  # NaN: nothing to report


def app_metrics(record: AppRecord) -> AppMetrics:
    """The metrics of one application demand."""
    r = record.result
    if isinstance(r, PairAppResult):
        return _pair_app_metrics(record.index, record.spec.count, r)
    if isinstance(r, TwoModuleResult):
        return _two_module_metrics(record, r)
    if isinstance(r, NonlocalGateResult):
        done, inputs, pairs_used, rate = r.gates, r.inputs, r.gates, r.gates_per_s
        estimate = error = None
        gate_fidelity = _num(r.average_gate_fidelity)
    else:
        done, pairs_used, rate = r.teleports, r.pairs_used, r.teleports_per_s
        inputs = getattr(record.spec, "input", "haar")
        estimate, error = _num(r.fidelity_estimate), _num(r.fidelity_estimate_error)
        gate_fidelity = None
    return AppMetrics(
        demand=record.index, app=record.spec.app, between=r.between, inputs=inputs,
        requested=record.spec.count, completed=done, pairs_used=pairs_used,
        pair_fidelity_mean=_num(r.pair_fidelity_mean), fidelity_mean=_num(r.fidelity_mean),
        fidelity_std=_num(r.fidelity_std), fidelity_estimate=estimate,
        fidelity_estimate_error=error, average_gate_fidelity=gate_fidelity,
        **dict.fromkeys(PAIR_APP_KEYS),
        rate_hz=_num(rate), latency_mean_s=_num(r.latency_mean_s),
        completion_time_s=r.elapsed_s if done else None, pairs_discarded=r.pairs_discarded)



def _two_module_metrics(record: AppRecord, r: TwoModuleResult) -> AppMetrics:
    """grover: the reading is the success probability, the estimate the read-out's
    success rate; ghz-modules: the GHZ fidelity, and the share of all-equal read-outs."""
    done = r.rounds
    return AppMetrics(
        demand=record.index, app=record.spec.app, between=r.between,
        inputs="marked " + "".join(map(str, getattr(record.spec, "marked", ())))
        if r.circuit == "grover" else f"{2 * getattr(record.spec, 'qubits_per_module', 2)} "
                                      f"qubits",
        requested=record.spec.count, completed=done, pairs_used=r.pairs_used,
        pair_fidelity_mean=_num(r.pair_fidelity_mean), fidelity_mean=_num(r.reading_mean),
        fidelity_std=_num(r.reading_std) if done else None,
        fidelity_estimate=_num(r.success_rate),
        fidelity_estimate_error=_num(r.success_rate_error), average_gate_fidelity=None,
        **dict.fromkeys(PAIR_APP_KEYS), rate_hz=_num(r.rounds_per_s), latency_mean_s=None,
        completion_time_s=r.elapsed_s if done else None, pairs_discarded=r.pairs_discarded)


PAIR_APP_KEYS = (
    "fidelity_expected", "chsh_estimate", "chsh_std_error", "chsh_lower_bound",
    "chsh_expected", "min_entropy_bits_per_round", "certified_bits", "error_rate",
    "error_rate_expected", "tolerated_error_rate", "aborted", "secret_bits", "accept_rate",
    "accept_rate_expected", "round_error_rate", "round_error_rate_expected",
    "false_accept_probability", "trap_failure_rate", "trap_failure_rate_expected",
    "detection_rate", "failure_rate", "failure_probability_expected", "failure_bound",
    "phase_mean_rad", "phase_std_rad", "phase_cramer_rao_std_rad", "offset_mean_s",
    "offset_std_s", "offset_cramer_rao_std_s", "gain_over_independent", "gain_expected",
    "time_to_estimate_s", "note")
"""The keys only applications on delivered pairs fill."""


def _report_keys(rep: object) -> dict[str, Any]:
    """The keys one application's report fills (the others stay ``None``)."""
    if isinstance(rep, GhzResult):
        return {"fidelity_expected": float(rep.fidelity_closed_form)}
    if isinstance(rep, ChshRandomnessReport):
        return {"chsh_estimate": rep.chsh_estimate, "chsh_std_error": _num(rep.chsh_std_error),
                "chsh_lower_bound": rep.chsh_lower_bound, "chsh_expected": rep.chsh_expected,
                "min_entropy_bits_per_round": rep.min_entropy_bits_per_round,
                "certified_bits": rep.certified_bits}
    if isinstance(rep, SecretSharingReport):
        return {"error_rate": _num(rep.error_rate),
                "error_rate_expected": rep.error_rate_expected,
                "tolerated_error_rate": rep.tolerated_error_rate, "aborted": rep.aborted,
                "secret_bits": int(rep.secret_bits.size)}
    if isinstance(rep, AuthenticationReport):
        return {"accept_rate": rep.accept_rate,
                "accept_rate_expected": 1.0 - rep.false_reject_probability,
                "round_error_rate": float(rep.errors.sum()) / (rep.sessions * rep.rounds),
                "round_error_rate_expected": rep.round_error_rate_expected,
                "false_accept_probability": rep.false_accept_probability}
    if isinstance(rep, BlindRunReport):
        return {"trap_failure_rate": rep.trap_failure_rate,
                "trap_failure_rate_expected": rep.trap_failure_rate_expected,
                "detection_rate": rep.detection_rate}
    if isinstance(rep, SignatureRunReport):
        return {"accept_rate": _num(rep.bob_accept_rate), "failure_rate": rep.failure_rate,
                "failure_probability_expected": rep.failure_probability_exact,
                "failure_bound": rep.failure_bound}
    if isinstance(rep, SensingComparison):
        return {"phase_mean_rad": rep.ghz.phase_mean_rad, "phase_std_rad": rep.ghz.phase_std_rad,
                "phase_cramer_rao_std_rad": rep.ghz.cramer_rao_std_rad,
                "gain_over_independent": _num(rep.gain_over_independent),
                "gain_expected": rep.predicted_gain_over_independent,
                "fidelity_expected": rep.ghz_fidelity}
    if isinstance(rep, ClockSyncReport):
        return {"offset_mean_s": rep.ghz_mean_offset_estimate_s,
                "offset_std_s": rep.ghz_time_offset_std_s,
                "offset_cramer_rao_std_s": rep.ghz_cramer_rao_std_s,
                "gain_over_independent": _num(rep.gain_over_independent),
                "gain_expected": rep.predicted_gain_over_independent,
                "time_to_estimate_s": rep.time_to_estimate_s,
                "fidelity_expected": rep.ghz_fidelity}
    return {}


def _pair_app_metrics(index: int, requested: int, r: PairAppResult) -> AppMetrics:
    """The metrics of an application computed from delivered pairs."""
    rep = r.report
    fidelity = error = None
    if isinstance(rep, GhzResult | DistributedResult):
        fidelity, error = float(rep.fidelity), float(rep.fidelity_std_error)
    keys: dict[str, Any] = dict.fromkeys(PAIR_APP_KEYS)
    keys.update(_report_keys(rep), note=r.note)
    done_s = r.completion_time_s
    return AppMetrics(
        demand=index, app=r.app, between=r.nodes,
        inputs="per-pair" if r.app == "chsh-randomness" else "mean", requested=requested,
        completed=r.runs, pairs_used=r.pairs_used,
        pair_fidelity_mean=_num(r.pair_fidelity_mean), fidelity_mean=fidelity,
        fidelity_std=None, fidelity_estimate=fidelity, fidelity_estimate_error=error,
        average_gate_fidelity=None, rate_hz=r.runs / done_s if done_s else None,
        latency_mean_s=None, completion_time_s=done_s, pairs_discarded=r.pairs_discarded,
        **keys)
