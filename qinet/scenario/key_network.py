"""Prepare-and-measure QKD links, their key pools, and trusted-node relay of keys.

Every ``scheme: qkd`` link runs one protocol: the one of the prepare-and-measure
``kind: qkd`` demand on it, or decoy-state BB84 with its defaults when no demand names
one. A link's key appears block by block: its pulses are cut into slices that each fill
about one post-processing block, and a slice's key enters the link's pool when its last
pulse has been sent. ``kind: key`` demands take keys from the pools by one-time-pad relay
through trusted nodes (:mod:`qinet.network.key_relay`), at their requested rate (first in,
first out, waiting for key when the pools are dry) or, without a rate, as much as the
pools allow, shared round robin.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qinet.errors import ConfigError, ResourceUnavailable
from qinet.network.key_relay import KeyRelay
from qinet.physical.fibre import fibre_delay_s
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.qkd_protocols import make_runner

Runner = Callable[[int, RngTree, int], QkdRunResult]

_PILOT_PULSES = 2_000_000
_MAX_SLICES = 200


@dataclass(slots=True)
class QkdLinkPlan:
    """One QKD link and the protocol it runs."""

    index: int
    spec: schema.QkdLink
    demand: schema.QKDDemand
    demand_index: int | None
    runner: Runner


def qkd_link_plans(scenario: schema.Scenario) -> list[QkdLinkPlan]:
    """The protocol of every ``scheme: qkd`` link.

    Raises:
        ConfigError: two prepare-and-measure demands on one link, or bad protocol
            parameters (naming the demand's field).
    """
    on_link: dict[frozenset[str], tuple[int, schema.QKDDemand]] = {}
    for i, demand in enumerate(scenario.demands):
        if demand.kind == "qkd" and demand.protocol in schema.PREPARE_MEASURE_PROTOCOLS:
            key = frozenset(demand.between)
            if key in on_link:
                link = "-".join(demand.between)
                raise ConfigError(f"demands[{i}].between", f"the qkd link {link} already runs "
                                                           f"demands[{on_link[key][0]}]")
            on_link[key] = (i, demand)
    plans = []
    for index, spec in enumerate(scenario.links):
        if spec.scheme != "qkd":
            continue
        demand_index, demand = on_link.get(frozenset(spec.between), (None, None))
        if demand is None:
            demand = schema.QKDDemand(kind="qkd", protocol="bb84-decoy",
                                      between=spec.between)
        where = f"demands[{demand_index}]" if demand_index is not None else f"links[{index}]"
        runner = make_runner(scenario, spec, demand, where)
        plans.append(QkdLinkPlan(index, spec, demand, demand_index, runner))
    return plans


class KeyStream:
    """One QKD link's protocol played forward in slices of about one block each.

    Args:
        plan: the link and its protocol.
        rng: the link's random tree.
    """

    def __init__(self, plan: QkdLinkPlan, rng: RngTree) -> None:
        self.plan = plan
        self.rng = rng
        self.rate_hz = plan.demand.source_rate
        self.now_s = 0.0
        self.results: list[QkdRunResult] = []
        self._slices = 0
        self._slice_pulses: int | None = None

    def slice_pulses(self, total_pulses: int) -> int:
        """Pulses per slice: enough for one block, from a pilot run on its own stream."""
        if self._slice_pulses is None:
            pilot_pulses = min(total_pulses, _PILOT_PULSES)
            pilot = self.plan.runner(pilot_pulses, self.rng.child("pilot"), 2**62)
            per_pulse = pilot.sifted_bits / max(pilot_pulses, 1)
            wanted = (self.plan.demand.block_size / per_pulse if per_pulse > 0
                      else total_pulses)
            self._slice_pulses = max(math.ceil(wanted),
                                     math.ceil(total_pulses / _MAX_SLICES), 1)
        return self._slice_pulses

    @property
    def slice_s(self) -> float:
        """Simulated time between two blocks of this link (0 before the first slice)."""
        return (self._slice_pulses or 0) / self.rate_hz

    def next_slice(self, until_s: float, *, whole: bool = False) -> QkdRunResult | None:
        """Send the next slice of pulses (not past ``until_s``) and distil its key.

        With ``whole``, a slice is sent only when all of it fits before ``until_s``.
        """
        remaining = round((until_s - self.now_s) * self.rate_hz)
        if remaining <= 0:
            return None
        full = self.slice_pulses(max(int(until_s * self.rate_hz), _PILOT_PULSES))
        if whole and remaining < full:
            return None
        pulses = min(full, remaining)
        # a slice is sized for one block; twice the size keeps a fluctuation from
        # splitting off a tiny second block
        result = self.plan.runner(pulses, self.rng.child(f"slice/{self._slices}"),
                                  2 * self.plan.demand.block_size)
        self._slices += 1
        self.now_s += pulses / self.rate_hz
        self.results.append(result)
        return result


@dataclass(slots=True)
class KeyDemandLog:
    """What a key demand got."""

    index: int
    spec: schema.KeyDemand
    requested_s: list[float] = field(default_factory=list)
    delivered_s: list[float] = field(default_factory=list)
    paths: dict[str, int] = field(default_factory=dict)
    exposed_to: dict[str, int] = field(default_factory=dict)
    pending: list[float] = field(default_factory=list)
    keys_equal: bool = True

    @property
    def keys(self) -> int:
        """Keys delivered."""
        return len(self.delivered_s)


@dataclass(slots=True)
class KeyNetworkRecord:
    """Raw outcome of the key network over a run."""

    links: list[tuple[QkdLinkPlan, list[QkdRunResult], dict[str, int]]]
    demands: list[KeyDemandLog]
    keys_seen: dict[str, int]


class KeyNetwork:
    """The QKD links of a scenario, their pools and the key demands on them.

    Args:
        scenario: a validated scenario.
        rng: the run's random tree.
    """

    def __init__(self, scenario: schema.Scenario, rng: RngTree) -> None:
        self.scenario = scenario
        self.plans = qkd_link_plans(scenario)
        self.relay = KeyRelay({n.name: n.trusted for n in scenario.nodes})
        self.streams = []
        self._delay_s: dict[frozenset[str], float] = {}
        for plan in self.plans:
            a, b = plan.spec.between
            self.relay.add_pool(a, b)
            self._delay_s[frozenset((a, b))] = float(fibre_delay_s(plan.spec.length))
            self.streams.append(KeyStream(plan, rng.child(f"qkd-link/{a}-{b}")))
        self.demands = [KeyDemandLog(i, d) for i, d in enumerate(scenario.demands)
                        if d.kind == "key"]
        self.keys_seen = {n.name: 0 for n in scenario.nodes}
        self._reserve: dict[frozenset[str], int] | None = None

    def _reserve_for_rates(self) -> dict[frozenset[str], int]:
        """Key that demands without a rate must leave in each pool: what the demands with a
        rate routed over it ask for until the slowest link's next block arrives."""
        longest_slice_s = max(s.slice_s for s in self.streams)
        reserve: dict[frozenset[str], int] = {}
        for log in self.demands:
            if not log.spec.rate:
                continue
            need = math.ceil(log.spec.rate * log.spec.key_size * longest_slice_s)
            for path in self.relay.routes(*log.spec.between):
                for hop in itertools.pairwise(path):
                    key = frozenset(hop)
                    reserve[key] = reserve.get(key, 0) + need
        return reserve

    def run(self, duration_s: float, *,
            progress: Callable[[float, float], Any] | None = None) -> KeyNetworkRecord:
        """Play every link and key demand for ``duration_s`` of simulated time.

        Args:
            duration_s: simulated time.
            progress: called as ``progress(done_s, duration_s)`` after each block.
        """
        events: list[tuple[float, int, str, Any]] = []
        order = itertools.count()
        for stream in self.streams:
            heapq.heappush(events, (0.0, next(order), "slice", stream))
        for log in self.demands:
            if log.spec.rate:
                heapq.heappush(events, (1.0 / log.spec.rate, next(order), "request", log))
        while events:
            t, _, what, obj = heapq.heappop(events)
            if t > duration_s:
                break
            if what == "slice":
                result = obj.next_slice(duration_s)
                if result is None:
                    continue
                a, b = obj.plan.spec.between
                # the block's key is there once its last pulse has been sent
                heapq.heappush(events, (obj.now_s, next(order), "deposit",
                                        (a, b, result.key_alice)))
                heapq.heappush(events, (obj.now_s, next(order), "slice", obj))
                if progress is not None:
                    progress(min(s.now_s for s in self.streams), duration_s)
            elif what == "deposit":
                self.relay.deposit(*obj)
                self._serve(t)
            else:
                obj.requested_s.append(t)
                obj.pending.append(t)
                self._serve(t)
                heapq.heappush(events, (t + 1.0 / obj.spec.rate, next(order), "request", obj))
        links = [(s.plan, s.results, {"level_bits": self.relay.pool(*s.plan.spec.between).level,
                                      "spent_bits": self.relay.pool(*s.plan.spec.between).spent})
                 for s in self.streams]
        return KeyNetworkRecord(links, self.demands, self.keys_seen)

    def _serve(self, now_s: float) -> None:
        """Serve waiting requests first in first out, then the demands without a rate."""
        progress = True
        while progress:
            progress = False
            for log in self.demands:
                if log.spec.rate and log.pending and self._deliver(log, now_s):
                    log.pending.pop(0)
                    progress = True
        greedy = [log for log in self.demands if not log.spec.rate]
        if greedy and self._reserve is None:
            self._reserve = self._reserve_for_rates()
        while greedy:
            greedy = [log for log in greedy if self._deliver(log, now_s, self._reserve)]

    def _deliver(self, log: KeyDemandLog, now_s: float,
                 reserve: dict[frozenset[str], int] | None = None) -> bool:
        source, destination = log.spec.between
        try:
            out = self.relay.relay(source, destination, log.spec.key_size, reserve=reserve)
        except ResourceUnavailable:
            return False
        # the announcements travel the path before the destination holds the key
        travel = sum(self._delay_s[frozenset(hop)] for hop in itertools.pairwise(out.path))
        log.delivered_s.append(now_s + travel)
        name = " → ".join(out.path)
        log.paths[name] = log.paths.get(name, 0) + 1
        for node in out.exposed_to:
            log.exposed_to[node] = log.exposed_to.get(node, 0) + 1
            self.keys_seen[node] += 1
        log.keys_equal &= bool(np.array_equal(out.key_source, out.key_destination))
        return True


def merge_results(results: list[QkdRunResult]) -> dict[str, Any]:
    """One link's slices as one record: counts added, rates weighted by pulses sent."""
    pulses = sum(r.pulses for r in results)
    weights = np.array([r.pulses for r in results], dtype=float)
    weights = weights / weights.sum() if pulses else weights

    def mean_of(name: str) -> dict[str, float]:
        keys = sorted({k for r in results for k in getattr(r, name)})
        return {k: float(sum(w * getattr(r, name).get(k, 0.0)
                             for w, r in zip(weights, results, strict=True))) for k in keys}

    reasons: dict[str, int] = {}
    for r in results:
        for reason in r.abort_reasons:
            reasons[reason] = reasons.get(reason, 0) + 1
    return {
        "pulses": pulses,
        "detections": sum(r.detections for r in results),
        "sifted_bits": sum(r.sifted_bits for r in results),
        "qber": mean_of("qber"),
        "gains": mean_of("gains"),
        "estimates": mean_of("estimates"),
        "asymptotic_bits_per_pulse": float(sum(
            w * r.asymptotic_bits_per_pulse for w, r in zip(weights, results, strict=True))),
        "finite_key_bits": sum(r.finite_key_bits for r in results),
        "key_bits": sum(r.key_bits for r in results),
        "keys_equal": all(r.keys_equal for r in results),
        "leaked_ec_bits": sum(r.leaked_ec for r in results),
        "blocks": sum(r.blocks for r in results),
        "blocks_aborted": sum(r.blocks_aborted for r in results),
        "discarded_bits": sum(r.discarded_bits for r in results),
        "abort_reasons": reasons,
        "transmittance": results[0].transmittance if results else 1.0,
    }
