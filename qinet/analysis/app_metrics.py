"""Application demands' numbers, as ``qinet run --json`` prints them under ``apps``.

One flat record per ``kind: app`` demand, whatever the application: keys that do not
apply to it are ``None`` (``null`` in JSON). ``docs/metrics.md`` defines every key.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinet.apps.nonlocal_gates import NonlocalGateResult
from qinet.scenario.apps import AppRecord


@dataclass(frozen=True, slots=True)
class AppMetrics:
    """One application demand's service (the keys of ``apps[i]`` in the JSON).

    Attributes:
        demand: the demand's place in the file's ``demands``.
        app: ``teleport``, ``cnot`` or ``cz``.
        between: (sender, receiver) or (control, target).
        inputs: the inputs' kind (``haar``, a named state, ``choi``, ``basis``).
        requested: runs asked for (``count``).
        completed: runs completed by the end.
        pairs_used: pairs the application consumed.
        pair_fidelity_mean: mean fidelity to Φ+ of the pairs kept, at delivery.
        fidelity_mean: mean output fidelity (teleport: to the input state; gates: the
            process fidelity for ``choi`` inputs, the state fidelity otherwise).
        fidelity_std: its standard deviation.
        fidelity_estimate: teleport: the fraction of check measurements that found the
            input (a physical estimate of the fidelity); ``None`` for gates.
        fidelity_estimate_error: its binomial standard error.
        average_gate_fidelity: gates with ``choi`` inputs: ``(4 F_pro + 1)/5``.
        rate_hz: runs completed per second, up to the last completion.
        latency_mean_s: mean classical part of a run: the bits' flight (teleport) or
            the round trip from the pair's delivery to the gate's completion (gates).
        completion_time_s: when the last run completed.
    """

    demand: int
    app: str
    between: tuple[str, str]
    inputs: str
    requested: int
    completed: int
    pairs_used: int
    pair_fidelity_mean: float | None
    fidelity_mean: float | None
    fidelity_std: float | None
    fidelity_estimate: float | None
    fidelity_estimate_error: float | None
    average_gate_fidelity: float | None
    rate_hz: float | None
    latency_mean_s: float | None
    completion_time_s: float | None


def _num(value: float) -> float | None:
    return None if value != value else float(value)  # NaN: nothing to report


def app_metrics(record: AppRecord) -> AppMetrics:
    """The metrics of one application demand."""
    r = record.result
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
        rate_hz=_num(rate), latency_mean_s=_num(r.latency_mean_s),
        completion_time_s=r.elapsed_s if done else None)
