"""From raw run records to the numbers users read: rates, fidelities, latencies, bounds.

Everything here is a pure function of a :class:`~qinet.scenario.RunRecord`; the same
record always gives the same numbers. Pair states are computed in one batch per link
through the scenario's backend.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet import __version__
from qinet.link.model import expected_pair_rate_hz
from qinet.link.pairs import pair_states
from qinet.physical.bounds import plob_bound
from qinet.quantum import make_backend
from qinet.scenario.build import LinkRecord, RunRecord
from qinet.scenario.schema import EntanglementDemand

_PS = 1e-12


@dataclass(frozen=True, slots=True)
class LinkMetrics:
    """Per link: what was tried, what came out, and what theory expects.

    Rates are pairs per second of simulated time; probabilities are per attempt.
    """

    name: str
    between: tuple[str, str]
    scheme: str
    length_km: float
    memory_pairs: int
    modes: int
    attempt_period_s: float
    attempts: int
    successes: int
    success_probability: float | None
    success_probability_theory: float
    rate_hz: float
    rate_theory_hz: float
    fidelity_heralded_theory: float
    plob_bound_hz: float


@dataclass(frozen=True, slots=True)
class DemandMetrics:
    """Per demand: the service it got (the keys of the stable JSON document)."""

    kind: str
    between: tuple[str, str]
    link: str
    pairs: int
    rate_hz: float
    fidelity_mean: float | None
    fidelity_std: float | None
    latency_p50_s: float | None
    latency_p99_s: float | None
    outage_probability: float | None
    outage_window_s: float
    min_fidelity: float
    pairs_meeting_fidelity: int
    rate_target_hz: float | None
    attempts_per_success: float | None
    bound: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunResult:
    """The outcome of a run: what ``qinet run --json`` prints.

    Attributes:
        scenario: the scenario's name.
        seed: the seed it ran with.
        duration_s: simulated time.
        mode: ``fast-forward`` or ``detailed``.
        backend: the state formalism.
        events: events the timeline processed.
        demands: one entry per demand.
        links: one entry per link.
    """

    scenario: str
    seed: int
    duration_s: float
    mode: str
    backend: str
    events: int
    demands: list[DemandMetrics]
    links: list[LinkMetrics]
    qinet_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists, NaN never appears)."""
        return _clean(asdict(self))


def summarize(record: RunRecord) -> RunResult:
    """Metrics of a finished run."""
    scenario = record.scenario
    backend = make_backend(scenario.backend)
    fidelities = {link.name: _link_fidelities(backend, link) for link in record.links}
    demands = []
    for demand in scenario.demands:
        link = record.link_between(*demand.between)
        demands.append(_demand_metrics(demand, link, fidelities[link.name], record.elapsed_ps))
    return RunResult(
        qinet_version=__version__,
        scenario=scenario.name,
        seed=scenario.seed,
        duration_s=scenario.duration,
        mode=scenario.mode,
        backend=scenario.backend,
        events=record.events,
        demands=demands,
        links=[_link_metrics(link, record.elapsed_ps) for link in record.links],
    )


def _link_fidelities(backend: Any, link: LinkRecord) -> NDArray[np.float64]:
    pairs = link.pairs
    delivered = pairs["delivered_ps"]
    if delivered.size == 0:
        return np.zeros(0)
    states = pair_states(
        backend,
        link.model.heralded_state,
        waited_a_s=(delivered - pairs["stored_a_ps"]) * _PS,
        waited_b_s=(delivered - pairs["stored_b_ps"]) * _PS,
        memory_a=link.memory_a,
        memory_b=link.memory_b,
    )
    return np.asarray(backend.fidelity(states), dtype=float)


def _channel_uses_per_s(link: LinkRecord) -> float:
    """Modes sent into the fibre per second by all the link's memory pairs."""
    return link.memory_pairs * link.model.modes / (link.model.timing.period_ps * _PS)


def _link_metrics(link: LinkRecord, elapsed_ps: int) -> LinkMetrics:
    model = link.model
    uses_per_s = _channel_uses_per_s(link)
    return LinkMetrics(
        name=link.name,
        between=link.between,
        scheme=link.scheme,
        length_km=link.length_km,
        memory_pairs=link.memory_pairs,
        modes=model.modes,
        attempt_period_s=model.timing.period_ps * _PS,
        attempts=link.attempts,
        successes=link.successes,
        success_probability=link.successes / link.attempts if link.attempts else None,
        success_probability_theory=model.success_probability,
        rate_hz=link.successes / (elapsed_ps * _PS),
        rate_theory_hz=expected_pair_rate_hz(model, link.memory_pairs),
        fidelity_heralded_theory=model.heralded_fidelity,
        plob_bound_hz=float(plob_bound(model.channel_transmittance)) * uses_per_s,
    )


def outage_probability(
    delivered_ps: NDArray[np.int64],
    useful: NDArray[np.bool_],
    *,
    elapsed_ps: int,
    window_s: float,
    rate_target_hz: float | None,
) -> float | None:
    """Fraction of whole windows in which the demand was not served.

    A window is an outage when its pairs that meet the fidelity target arrive at less
    than ``rate_target_hz`` (or, with no rate target, when none arrives).

    Returns:
        The fraction, or ``None`` when the run is shorter than one window.

    Examples:
        >>> t = np.array([1, 2, 25]) * 10**12  # pairs at 1 s, 2 s and 25 s
        >>> outage_probability(t, np.ones(3, bool), elapsed_ps=30 * 10**12, window_s=10.0,
        ...                    rate_target_hz=None)
        0.333333...
    """
    window_ps = round(window_s / _PS)
    windows = elapsed_ps // window_ps
    if windows < 1:
        return None
    index = delivered_ps[useful] // window_ps
    counts = np.bincount(index[index < windows], minlength=windows)
    needed = 1 if rate_target_hz is None else rate_target_hz * window_s
    return float(np.mean(counts < needed))


def _demand_metrics(
    demand: EntanglementDemand, link: LinkRecord, fidelity: NDArray[np.float64], elapsed_ps: int
) -> DemandMetrics:
    pairs = link.pairs
    n = int(pairs["delivered_ps"].size)
    latency = (pairs["delivered_ps"] - pairs["requested_ps"]) * _PS
    useful = fidelity >= demand.min_fidelity
    duration_s = elapsed_ps * _PS
    uses_per_s = _channel_uses_per_s(link)
    ebits = float(plob_bound(link.model.channel_transmittance))
    return DemandMetrics(
        kind=demand.kind,
        between=demand.between,
        link=link.name,
        pairs=n,
        rate_hz=n / duration_s,
        fidelity_mean=float(fidelity.mean()) if n else None,
        fidelity_std=float(fidelity.std(ddof=1)) if n > 1 else None,
        latency_p50_s=float(np.percentile(latency, 50)) if n else None,
        latency_p99_s=float(np.percentile(latency, 99)) if n else None,
        outage_probability=outage_probability(
            pairs["delivered_ps"], useful, elapsed_ps=elapsed_ps, window_s=demand.window,
            rate_target_hz=demand.rate),
        outage_window_s=demand.window,
        min_fidelity=demand.min_fidelity,
        pairs_meeting_fidelity=int(useful.sum()),
        rate_target_hz=demand.rate,
        attempts_per_success=float(pairs["attempts"].mean()) if n else None,
        bound={"name": "PLOB", "ebits_per_channel_use": ebits,
               "channel_uses_per_s": uses_per_s, "rate_hz": ebits * uses_per_s},
    )


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.floating | np.integer):
        return _clean(value.item())
    return value
