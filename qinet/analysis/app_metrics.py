"""Application demands' numbers, as ``qinet run --json`` prints them under ``apps``.

One flat record per ``kind: app`` demand, whatever the application: keys that do not
apply to it are ``None`` (``null`` in JSON). ``docs/metrics.md`` defines every key.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinet.apps.circuits import DistributedResult
from qinet.apps.crypto import ChshRandomnessReport, SecretSharingReport
from qinet.apps.ghz import GhzResult
from qinet.apps.nonlocal_gates import NonlocalGateResult
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
        average_gate_fidelity: gates with ``choi`` inputs: ``(4 F_pro + 1)/5``.
        rate_hz: runs completed per second, up to the last completion.
        latency_mean_s: mean classical part of a run: the bits' flight (teleport) or
            the round trip from the pair's delivery to the gate's completion (gates).
        completion_time_s: when the last run completed.
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
    average_gate_fidelity: float | None
    rate_hz: float | None
    latency_mean_s: float | None
    completion_time_s: float | None


def _num(value: float) -> float | None:
    return None if value != value else float(value)  # NaN: nothing to report


def app_metrics(record: AppRecord) -> AppMetrics:
    """The metrics of one application demand."""
    r = record.result
    if isinstance(r, PairAppResult):
        return _pair_app_metrics(record.index, record.spec.count, r)
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
        fidelity_expected=None, chsh_estimate=None, chsh_std_error=None,
        chsh_lower_bound=None, chsh_expected=None, min_entropy_bits_per_round=None,
        certified_bits=None, error_rate=None, error_rate_expected=None,
        tolerated_error_rate=None, aborted=None, secret_bits=None,
        rate_hz=_num(rate), latency_mean_s=_num(r.latency_mean_s),
        completion_time_s=r.elapsed_s if done else None)



def _pair_app_metrics(index: int, requested: int, r: PairAppResult) -> AppMetrics:
    """The metrics of an application computed from delivered pairs."""
    rep = r.report
    fidelity = error = expected = None
    chsh: tuple[float | None, ...] = (None,) * 6
    sharing: tuple[float | None, ...] = (None,) * 3
    aborted: bool | None = None
    secret: int | None = None
    if isinstance(rep, GhzResult | DistributedResult):
        fidelity, error = float(rep.fidelity), float(rep.fidelity_std_error)
        if isinstance(rep, GhzResult):
            expected = float(rep.fidelity_closed_form)
    elif isinstance(rep, ChshRandomnessReport):
        chsh = (rep.chsh_estimate, _num(rep.chsh_std_error), rep.chsh_lower_bound,
                rep.chsh_expected, rep.min_entropy_bits_per_round, rep.certified_bits)
    elif isinstance(rep, SecretSharingReport):
        sharing = (_num(rep.error_rate), rep.error_rate_expected, rep.tolerated_error_rate)
        aborted, secret = rep.aborted, int(rep.secret_bits.size)
    done_s = r.completion_time_s
    return AppMetrics(
        demand=index, app=r.app, between=r.nodes,
        inputs="per-pair" if r.app == "chsh-randomness" else "mean", requested=requested,
        completed=r.runs, pairs_used=r.pairs_used,
        pair_fidelity_mean=_num(r.pair_fidelity_mean), fidelity_mean=fidelity,
        fidelity_std=None, fidelity_estimate=fidelity, fidelity_estimate_error=error,
        fidelity_expected=expected, chsh_estimate=chsh[0], chsh_std_error=chsh[1],
        chsh_lower_bound=chsh[2], chsh_expected=chsh[3], min_entropy_bits_per_round=chsh[4],
        certified_bits=chsh[5], error_rate=sharing[0], error_rate_expected=sharing[1],
        tolerated_error_rate=sharing[2], aborted=aborted, secret_bits=secret,
        average_gate_fidelity=None, rate_hz=r.runs / done_s if done_s else None,
        latency_mean_s=None, completion_time_s=done_s)
