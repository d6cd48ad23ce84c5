"""From raw run records to the numbers users read: rates, fidelities, latencies, bounds.

Everything here is a pure function of a :class:`~qinet.scenario.RunRecord`; the same
record always gives the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet import __version__
from qinet.analysis.key_metrics import (
    KeyDemandMetrics,
    KeyRateBound,
    PairKeyMetrics,
    PulseKeyMetrics,
    QkdLinkMetrics,
    key_network_metrics,
    pair_key_metrics,
    pulse_key_metrics,
)
from qinet.link.model import expected_pair_rate_hz
from qinet.physical.bounds import plob_bound
from qinet.scenario.build import DemandRecord, LinkRecord, RunRecord

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
    demands: int
    attempt_period_s: float
    attempts: int
    successes: int
    success_probability: float | None
    success_probability_theory: float
    rate_hz: float
    rate_theory_hz: float
    fidelity_heralded_theory: float
    utilisation: float
    plob_bound_hz: float


@dataclass(frozen=True, slots=True)
class NodeMetrics:
    """Per node: how full its memories were."""

    name: str
    memories: int
    occupancy: float
    trusted: bool = False
    keys_seen: int = 0


@dataclass(frozen=True, slots=True)
class PathBound:
    """PLOB figures for an entanglement path: direct transmission over its whole length
    (``rate_hz``, pairs/s), and the capacity of the repeater chain, set by its weakest
    link (``repeater_chain_rate_hz``), both at the channel-use rate of its slowest link."""

    name: str
    ebits_per_channel_use: float
    channel_uses_per_s: float
    rate_hz: float
    repeater_chain_rate_hz: float


@dataclass(frozen=True, slots=True)
class DemandMetrics:
    """Per demand: the service it got (the keys of the stable JSON document)."""

    kind: str
    between: tuple[str, str]
    path: list[str]
    hops: int
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
    unserved_requests: int
    lost: int
    discarded: int
    swaps: int
    swap_failures: int
    purifications: int
    purification_failures: int
    bound: PathBound | KeyRateBound | None = None
    key: PairKeyMetrics | PulseKeyMetrics | None = None


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
        demands: one entry per entanglement or qkd demand, in the file's order.
        links: one entry per entanglement link.
        nodes: one entry per node.
        qkd_links: one entry per prepare-and-measure QKD link.
        key_demands: one entry per relayed key demand.
    """

    scenario: str
    seed: int
    duration_s: float
    mode: str
    backend: str
    events: int
    demands: list[DemandMetrics]
    links: list[LinkMetrics]
    nodes: list[NodeMetrics]
    qkd_links: list[QkdLinkMetrics] = field(default_factory=list)
    key_demands: list[KeyDemandMetrics] = field(default_factory=list)
    qinet_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists, NaN never appears)."""
        cleaned: dict[str, Any] = _clean(asdict(self))
        return cleaned


def summarize(record: RunRecord) -> RunResult:
    """Metrics of a finished run."""
    scenario = record.scenario
    demands = [(d.index, _demand_metrics(d, record.elapsed_ps)) for d in record.demands]
    qkd_links: list[QkdLinkMetrics] = []
    key_demands: list[KeyDemandMetrics] = []
    keys_seen: dict[str, int] = {}
    if record.keys is not None:
        qkd_links, key_demands = key_network_metrics(record.keys, scenario.duration)
        keys_seen = record.keys.keys_seen
        demands += [(link.demand, _prepare_measure_demand(link, scenario))
                    for link in qkd_links if link.demand is not None]
    trusted = {n.name: n.trusted for n in scenario.nodes}
    return RunResult(
        qinet_version=__version__,
        scenario=scenario.name,
        seed=scenario.seed,
        duration_s=scenario.duration,
        mode=scenario.mode,
        backend=scenario.backend,
        events=record.events,
        demands=[m for _, m in sorted(demands, key=lambda item: item[0])],
        links=[_link_metrics(link, record.elapsed_ps) for link in record.links],
        nodes=[NodeMetrics(n.name, n.memories, n.occupancy, trusted[n.name],
                           keys_seen.get(n.name, 0)) for n in record.nodes],
        qkd_links=qkd_links,
        key_demands=key_demands,
    )


def _prepare_measure_demand(link: QkdLinkMetrics, scenario: Any) -> DemandMetrics:
    """A prepare-and-measure qkd demand: its link's key, and PLOB at the link's loss."""
    spec = scenario.demands[link.demand]
    key, bound = pulse_key_metrics(link)
    return DemandMetrics(
        kind="qkd", between=spec.between, path=list(link.between), hops=1, pairs=0,
        rate_hz=0.0, fidelity_mean=None, fidelity_std=None, latency_p50_s=None,
        latency_p99_s=None, outage_probability=None, outage_window_s=spec.window,
        min_fidelity=spec.min_fidelity, pairs_meeting_fidelity=0, rate_target_hz=spec.rate,
        unserved_requests=0, lost=0, discarded=0, swaps=0, swap_failures=0, purifications=0,
        purification_failures=0, bound=bound, key=key)


def _channel_uses_per_s(link: LinkRecord) -> float:
    """Modes sent into the fibre per second by all the link's memory pairs."""
    return link.memory_pairs * link.model.modes / (link.model.timing.period_ps * _PS)


def _link_metrics(link: LinkRecord, elapsed_ps: int) -> LinkMetrics:
    model = link.model
    return LinkMetrics(
        name=link.name,
        between=link.between,
        scheme=link.scheme,
        length_km=link.length_km,
        memory_pairs=link.memory_pairs,
        modes=model.modes,
        demands=link.demands,
        attempt_period_s=model.timing.period_ps * _PS,
        attempts=link.attempts,
        successes=link.successes,
        success_probability=link.successes / link.attempts if link.attempts else None,
        success_probability_theory=model.success_probability,
        rate_hz=link.successes / (elapsed_ps * _PS),
        rate_theory_hz=expected_pair_rate_hz(model, link.memory_pairs),
        fidelity_heralded_theory=model.heralded_fidelity,
        utilisation=link.holding_fraction,
        plob_bound_hz=float(plob_bound(model.channel_transmittance)) * _channel_uses_per_s(link),
    )


def _path_bound(links: list[LinkRecord]) -> PathBound:
    """PLOB figures for a path: direct transmission over its whole length, and the
    capacity of the repeater chain (the weakest link; Pirandola, Commun. Phys. 2, 51
    (2019)), both at the channel-use rate of the path's slowest link."""
    transmittance = float(np.prod([link.model.channel_transmittance for link in links]))
    uses = min(_channel_uses_per_s(link) for link in links)
    per_use = float(plob_bound(transmittance))
    chain = min(float(plob_bound(link.model.channel_transmittance)) * _channel_uses_per_s(link)
                for link in links)
    return PathBound(name="PLOB", ebits_per_channel_use=per_use, channel_uses_per_s=uses,
                     rate_hz=per_use * uses, repeater_chain_rate_hz=chain)


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


def _demand_metrics(demand: DemandRecord, elapsed_ps: int) -> DemandMetrics:
    spec = demand.spec
    arrays = demand.arrays
    delivered = arrays["delivered_ps"]
    fidelity = arrays["fidelity"]
    latency = arrays["latency_ps"] * _PS
    n = int(delivered.size)
    useful = fidelity >= spec.min_fidelity
    counters = demand.counters
    return DemandMetrics(
        kind=spec.kind,
        between=spec.between,
        path=demand.path,
        hops=len(demand.path) - 1,
        pairs=n,
        rate_hz=n / (elapsed_ps * _PS),
        fidelity_mean=float(fidelity.mean()) if n else None,
        fidelity_std=float(fidelity.std(ddof=1)) if n > 1 else None,
        latency_p50_s=float(np.percentile(latency, 50)) if latency.size else None,
        latency_p99_s=float(np.percentile(latency, 99)) if latency.size else None,
        outage_probability=outage_probability(
            delivered, useful, elapsed_ps=elapsed_ps, window_s=spec.window,
            rate_target_hz=spec.rate),
        outage_window_s=spec.window,
        min_fidelity=spec.min_fidelity,
        pairs_meeting_fidelity=int(useful.sum()),
        rate_target_hz=spec.rate,
        unserved_requests=counters["unserved_requests"],
        lost=counters["lost"],
        discarded=counters["discarded"],
        swaps=counters["swaps"],
        swap_failures=counters["swap_failures"],
        purifications=counters["purifications"],
        purification_failures=counters["purification_failures"],
        bound=_path_bound(demand.path_links),
        key=None if demand.key is None else pair_key_metrics(demand.key, elapsed_ps * _PS),
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
