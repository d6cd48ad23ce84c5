"""From raw run records to the numbers users read: rates, fidelities, latencies, bounds.

Everything here is a pure function of a :class:`~qinet.scenario.RunRecord`; the same
record always gives the same numbers.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet import __version__
from qinet.analysis.app_metrics import AppMetrics, app_metrics
from qinet.analysis.costs import CostResult, run_cost
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
from qinet.kernel.timeline import rare_collections
from qinet.link.model import expected_pair_rate_hz
from qinet.network.demand import RequestClock
from qinet.physical.bounds import plob_bound
from qinet.qkd.multi_user import UserPairResult
from qinet.scenario.build import DemandRecord, LinkRecord, RunRecord
from qinet.scenario.pair_sources import run_pair_sources

_PS = 1e-12


@dataclass(frozen=True, slots=True)
class LinkMetrics:
    """Per link: what was tried, what came out, and what theory expects.

    Rates are pairs per second of simulated time; probabilities are per attempt. The PLOB
    capacity is in ebits per second at the link's own channel-use rate
    (``channel_uses_per_s``: modes sent per second by all its memory pairs).
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
    channel_uses_per_s: float
    plob_ebits_per_channel_use: float
    plob_ebits_per_s: float
    car: float | None = None


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
    """PLOB capacities of an entanglement path, in ebits, each with its channel-use rate.

    Attributes:
        name: ``PLOB``.
        ebits_per_channel_use: direct transmission over the whole path, ``-log2(1-η)``
            with ``η`` the product of the links' transmittances.
        channel_uses_per_s: the channel-use rate of the path's slowest link, at which
            the direct figure is taken.
        direct_ebits_per_s: ``ebits_per_channel_use × channel_uses_per_s``.
        repeater_chain_ebits_per_channel_use: PLOB of the chain's bottleneck link (the
            one whose capacity per second is smallest).
        repeater_chain_channel_uses_per_s: that link's own channel-use rate.
        repeater_chain_ebits_per_s: the product: the capacity of the repeater chain
            (Pirandola, Commun. Phys. 2, 51 (2019)).
    """

    name: str
    ebits_per_channel_use: float
    channel_uses_per_s: float
    direct_ebits_per_s: float
    repeater_chain_ebits_per_channel_use: float
    repeater_chain_channel_uses_per_s: float
    repeater_chain_ebits_per_s: float


@dataclass(frozen=True, slots=True)
class DemandMetrics:
    """Per demand: the service it got (the keys of the stable JSON document).

    ``docs/metrics.md`` defines every field; in short: rates are per second of
    ``active_s`` (the run, or up to the ``pairs``-th pair), latency runs from the request
    (or, without a rate, the start of the attempts that made the pair) to delivery, and
    the distillable figures are the hashing bound of the delivered pairs.
    """

    kind: str
    between: tuple[str, str]
    path: list[str]
    hops: int
    pairs: int
    active_s: float
    completion_time_s: float | None
    rate_hz: float
    fidelity_mean: float | None
    fidelity_std: float | None
    latency_mean_s: float | None
    latency_p50_s: float | None
    latency_p99_s: float | None
    outage_probability: float | None
    outage_window_s: float | None
    min_fidelity: float | None
    pairs_meeting_fidelity: int
    rate_target_hz: float | None
    requests: int | None
    unserved_requests: int
    distillable_ebits_per_pair: float | None
    distillable_ebits_per_s: float | None
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
        pair_sources: one entry per user pair of each multi-user pair source.
        apps: one entry per application demand (``kind: app``), in the file's order.
        cost: the network's capital cost (euros) and its cost per pair/s and per bit/s
            of each demand (:mod:`qinet.analysis.costs`).
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
    pair_sources: list[UserPairResult] = field(default_factory=list)
    apps: list[AppMetrics] = field(default_factory=list)
    cost: CostResult | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists, NaN never appears)."""
        # the collector waits: a large result is a million fresh objects, and each full
        # collection would rescan the network still alive beside it (3.4 s instead of
        # 0.4 for the 1,000-demand grid's result)
        with rare_collections():
            cleaned: dict[str, Any] = _clean(self)
        return cleaned


@rare_collections()  # many small objects per demand and link, beside the live network
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
    result = RunResult(
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
        # sampled from closed forms over the scenario's duration, not on the timeline
        pair_sources=run_pair_sources(scenario, scenario.duration),
        apps=[app_metrics(app) for app in record.apps],
    )
    # priced from the scenario's components; the per-demand figures need the rates above
    return replace(result, cost=run_cost(scenario, result))


def _prepare_measure_demand(link: QkdLinkMetrics, scenario: Any) -> DemandMetrics:
    """A prepare-and-measure qkd demand: its link's key, and PLOB at the link's loss."""
    spec = scenario.demands[link.demand]
    key, bound = pulse_key_metrics(link)
    if not key.sifted_bits:
        key = replace(key, qber=None, qber_x=None)  # no detections: no error rate
    return DemandMetrics(
        kind="qkd", between=spec.between, path=list(link.between), hops=1, pairs=0,
        active_s=scenario.duration, completion_time_s=None,
        rate_hz=0.0, fidelity_mean=None, fidelity_std=None, latency_mean_s=None,
        latency_p50_s=None, latency_p99_s=None, outage_probability=None,
        outage_window_s=None, min_fidelity=None,  # it delivers no pairs
        pairs_meeting_fidelity=0, rate_target_hz=None, requests=None,
        unserved_requests=0, distillable_ebits_per_pair=None, distillable_ebits_per_s=None,
        lost=0, discarded=0, swaps=0, swap_failures=0, purifications=0,
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
        channel_uses_per_s=_channel_uses_per_s(link),
        plob_ebits_per_channel_use=_link_plob(model.channel_transmittance),
        plob_ebits_per_s=_link_plob(model.channel_transmittance)
        * _channel_uses_per_s(link),
        car=link.car,
    )


@functools.lru_cache(maxsize=2**16)
def _link_plob(transmittance: float) -> float:
    """:func:`plob_bound` of one link, computed once per transmittance: each path's bound
    reads every link of the path (a 1,000-demand grid asked 108,000 times)."""
    return float(plob_bound(transmittance))


def _path_bound(links: list[LinkRecord]) -> PathBound:
    """PLOB figures for a path: direct transmission over its whole length at the
    channel-use rate of its slowest link, and the capacity of the repeater chain (its
    bottleneck link at that link's own rate; Pirandola, Commun. Phys. 2, 51 (2019))."""
    transmittance = float(np.prod([link.model.channel_transmittance for link in links]))
    uses = min(_channel_uses_per_s(link) for link in links)
    per_use = float(plob_bound(transmittance))
    chain = [(_link_plob(link.model.channel_transmittance), _channel_uses_per_s(link))
             for link in links]
    link_use, link_uses = min(chain, key=lambda c: c[0] * c[1])
    return PathBound(name="PLOB", ebits_per_channel_use=per_use, channel_uses_per_s=uses,
                     direct_ebits_per_s=per_use * uses,
                     repeater_chain_ebits_per_channel_use=link_use,
                     repeater_chain_channel_uses_per_s=link_uses,
                     repeater_chain_ebits_per_s=link_use * link_uses)


def hashing_yield(bell_weights: NDArray[np.float64]) -> float:
    """Ebits per pair that one-way hashing distils from Bell-diagonal pairs, ``1 - H(p)``
    (Bennett, DiVincenzo, Smolin and Wootters, PRA 54, 3824 (1996)), or 0 when negative.

    A lower bound on the distillable entanglement. For a pair that is not Bell-diagonal,
    ``bell_weights`` is the diagonal of its state in the Bell basis, the state of the pair
    after a local twirl, from which hashing distils as much.

    Examples:
        >>> hashing_yield(np.array([1.0, 0, 0, 0]))
        1.0
        >>> round(hashing_yield(np.array([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3])), 4)
        0.3725
        >>> hashing_yield(np.full(4, 0.25))
        0.0
    """
    p = bell_weights[bell_weights > 0]
    return max(0.0, 1.0 + float(np.sum(p * np.log2(p))))


def outage_probability(
    delivered_ps: NDArray[np.int64],
    useful: NDArray[np.bool_],
    *,
    elapsed_ps: int,
    window_s: float,
    request_period_ps: int | None,
) -> float | None:
    """Fraction of whole windows of ``[0, elapsed_ps)`` in which the demand was not served.

    With requests every ``request_period_ps``, every window of ``W`` holds at least
    ``W // period`` requests; it is an outage when fewer pairs that meet the fidelity
    target were delivered in it (the served rate fell below the requested rate). Without
    requests, a window is an outage when no such pair arrives in it.

    Returns:
        The fraction, or ``None`` when no whole window fits in ``elapsed_ps`` or a
        window is shorter than the request period.

    Examples:
        >>> t = np.array([1, 2, 25]) * 10**12  # pairs at 1 s, 2 s and 25 s
        >>> outage_probability(t, np.ones(3, bool), elapsed_ps=30 * 10**12, window_s=10.0,
        ...                    request_period_ps=None)
        0.333333...
        >>> outage_probability(t, np.ones(3, bool), elapsed_ps=30 * 10**12, window_s=10.0,
        ...                    request_period_ps=5 * 10**12)  # two requests per window
        0.666666...
    """
    window_ps = round(window_s / _PS)
    windows = elapsed_ps // window_ps
    index = (np.asarray(delivered_ps)[useful] // window_ps).astype(np.int64)
    counts = np.bincount(index[index < windows], minlength=max(windows, 0))
    return outage_from_counts(counts, window_ps=window_ps, request_period_ps=request_period_ps)


def outage_from_counts(counts: NDArray[np.int64], *, window_ps: int,
                       request_period_ps: int | None) -> float | None:
    """:func:`outage_probability` from the pairs meeting the target in each whole window."""
    if counts.size < 1:
        return None
    if request_period_ps is None:
        needed = 1
    elif request_period_ps == 0:
        return 0.0  # a zero rate asks for nothing
    else:
        needed = window_ps // request_period_ps
        if needed < 1:
            return None
    return float(np.mean(counts < needed))


def _demand_metrics(demand: DemandRecord, elapsed_ps: int) -> DemandMetrics:
    spec = demand.spec
    stats = demand.stats
    n = stats.count
    counters = demand.counters
    # a demand for a number of pairs is served until it has them, not for the whole run
    active_ps = demand.completed_ps if demand.completed_ps is not None else elapsed_ps
    active_s = active_ps * _PS
    rate = n / active_s if active_s > 0 else 0.0
    per_pair = hashing_yield(stats.bell_weights_mean) if n else None
    key = None
    if demand.key is not None:
        key = pair_key_metrics(demand.key, elapsed_ps * _PS)
        if not key.sifted_bits:
            key = replace(key, qber=None, qber_x=None)  # no detections: no error rate
    latency_mean = stats.latency_mean_ps
    p50, p99 = stats.latency_percentile(50), stats.latency_percentile(99)
    return DemandMetrics(
        kind=spec.kind,
        between=spec.between,
        path=demand.path,
        hops=len(demand.path) - 1,
        pairs=n,
        active_s=active_s,
        completion_time_s=None if demand.completed_ps is None else demand.completed_ps * _PS,
        rate_hz=rate,
        fidelity_mean=stats.fidelity_mean if n else None,
        fidelity_std=stats.fidelity_std,
        latency_mean_s=None if latency_mean is None else latency_mean * _PS,
        latency_p50_s=None if p50 is None else p50 * _PS,
        latency_p99_s=None if p99 is None else p99 * _PS,
        outage_probability=outage_from_counts(
            stats.window_counts(active_ps // stats.window_ps), window_ps=stats.window_ps,
            request_period_ps=None if spec.rate is None
            else RequestClock.at_rate(spec.rate).period_ps),
        outage_window_s=spec.window,
        min_fidelity=spec.min_fidelity,
        pairs_meeting_fidelity=stats.useful,
        rate_target_hz=spec.rate,
        requests=demand.requests,
        unserved_requests=counters.unserved_requests,
        distillable_ebits_per_pair=per_pair,
        distillable_ebits_per_s=None if per_pair is None else per_pair * rate,
        lost=counters.lost,
        discarded=counters.discarded,
        swaps=counters.swaps,
        swap_failures=counters.swap_failures,
        purifications=counters.purifications,
        purification_failures=counters.purification_failures,
        bound=_path_bound(demand.path_links),
        key=key,
    )


def _clean(value: Any) -> Any:
    """``value`` as JSON takes it: a dataclass as the dict of its fields (what
    ``dataclasses.asdict`` gives, without its deep copies: a 10,000-node run's result
    took seconds that way), tuples as lists, numpy scalars as Python numbers, NaN and
    infinities as None."""
    cls = type(value)
    if cls is float or cls is np.float64:
        return float(value) if math.isfinite(value) else None
    if cls is int or cls is str or value is None or cls is bool:
        return value
    try:
        names = _FIELD_NAMES[cls]
    except KeyError:
        names = _FIELD_NAMES[cls] = (
            tuple(f.name for f in fields(value))
            if is_dataclass(value) and not isinstance(value, type) else None)
    if names is not None:
        return {name: _clean(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.floating | np.integer):
        return _clean(value.item())
    return value


# per type met: its dataclass fields' names, or None for a type that is no dataclass
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}
