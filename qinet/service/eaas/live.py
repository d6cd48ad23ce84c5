"""A simulated entanglement network that runs with the wall clock and takes demands live.

:class:`LiveNetwork` builds a scenario's nodes and links (:class:`~qinet.scenario.
Simulation`), and serves on them an entanglement network of its own whose demands are
the requests admitted at run time; the scenario's own demands and key links are not
run. A driver thread advances the timeline by ``wall seconds x speedup`` every tick.
Every read and write of the simulation holds one lock, so a request is added, read or
cancelled between two ticks, never in the middle of one.

Admission (:meth:`LiveNetwork.admit`) asks the network layer's estimator
(:mod:`qinet.network.estimates`) what the path the network would route the request on
can deliver, after the rate already promised to admitted requests on its links:

* fidelity: the path's fidelity bound must reach ``min_fidelity`` (when it does not, the
  best path for fidelity over the graph is named too);
* rate: per link, what is not yet promised (``r_i - sum_j lambda_j / s_j``, each
  admitted request taking ``lambda_j / s_j`` link pairs a second, ``s_j`` its swaps'
  success) and no more than the link's fair memory share would give it
  (``r_i ceil(M_i / (users + 1)) / M_i``, :mod:`qinet.network.scheduling`), times
  ``max_utilisation``, times the path's swap success, must cover ``rate_hz``;
* deadline: ``count`` pairs at that rate must be delivered by ``deadline_s``:
  ``(count - 1) / rate_hz + latency_s <= deadline_s``;
* priority: a request the spare rate cannot cover is still admitted when, on every link
  of its path, the weighted max-min fair split of ``r_i x max_utilisation`` by priority
  (:func:`~qinet.service.eaas.sharing.weighted_max_min`, the requests' link loads as
  demands) gives it its whole load and takes nothing from a request of equal or higher
  priority, within its fair memory share as above. The lower-priority requests it takes
  rate from keep a share in proportion to their priority (never none); each lists it in
  ``squeezed_by`` and is reported in outage when it falls behind.

Concurrent requests share each link by priority (:mod:`qinet.service.eaas.sharing`,
through their demands' targets), and each request's SLO is judged every tick
(:mod:`qinet.service.eaas.slo`).

A cancelled request's demand stops asking its links for pairs (its target becomes the
pairs it has); the pairs already in play are still delivered and counted. Its promised
rate is given back to admission and its memory share to the link's other users
(:meth:`~qinet.network.scheduling.LinkScheduler.retire_user`).
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qinet.errors import ConfigError
from qinet.network import routing
from qinet.network.estimates import PathEstimate, estimate_path, link_figures
from qinet.network.manager import DemandRoute, EntanglementNetwork
from qinet.scenario import Simulation
from qinet.scenario.schema import Scenario
from qinet.service.eaas.key_pools import KeyPoolsView, key_links
from qinet.service.eaas.sharing import LinkShare, weighted_max_min
from qinet.service.eaas.slo import SloInput, SloStatus, assess, delivery_check

_log = logging.getLogger("qinet.service.eaas")
STATES = ("active", "completed", "cancelled", "missed")
_PAIRS_SHOWN = 100  # a request's page lists its latest pairs only
MAX_OVERBOOKING = 4.0  # max_utilisation above 1 overbooks the links, up to this much


class Rejected(Exception):
    """A request the network cannot serve.

    Attributes:
        limit: what is short: ``fidelity``, ``rate``, ``deadline`` or ``memory``.
        reason: one sentence naming the limit and the best the network can do.
    """

    def __init__(self, limit: str, reason: str) -> None:
        super().__init__(reason)
        self.limit = limit
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """What a tenant asks for (validated by the API's models).

    Attributes:
        between: the two end nodes.
        min_fidelity: every pair should reach it.
        rate_hz: pairs per second, or ``None`` with ``count`` and ``deadline_s``.
        count: pairs in all (``None``: until cancelled or the deadline).
        deadline_s: the request ends this long after admission (``None``: never).
        priority: 1 (the default) to 9: its weight when links are shared, and whether
            it may take rate from requests of lower priority at admission.
    """

    between: tuple[str, str]
    min_fidelity: float
    rate_hz: float | None = None
    count: int | None = None
    deadline_s: float | None = None
    priority: int = 1


@dataclass(slots=True)
class LiveRequest:
    """An admitted request and its demand."""

    id: str
    tenant: str
    spec: RequestSpec
    rate_hz: float  # the rate its demand runs at
    estimate: PathEstimate
    route: DemandRoute
    admitted_ps: int
    swap_success: float
    user_of: dict[frozenset[str], int]  # per link of its path: its user index there
    state: str = "active"
    ended_ps: int | None = None
    fidelities: list[float] = field(default_factory=list)
    times_ps: list[int] = field(default_factory=list)
    latencies_ps: list[int] = field(default_factory=list)
    link_index: dict[frozenset[str], int] = field(default_factory=dict)  # along the path
    squeezed_by: list[str] = field(default_factory=list)
    slo: SloStatus | None = None  # as judged at the last tick

    @property
    def link_load_hz(self) -> float:
        """Link pairs a second it takes from each link of its path (``rate / s``, ``s``
        its swaps' success)."""
        return self.rate_hz / self.swap_success if self.swap_success > 0 else math.inf

    def slo_input(self, now_ps: int) -> SloInput:
        """What its SLO is judged on, up to ``now_ps`` (or its end)."""
        log, spec = self.route.log, self.spec
        return SloInput(
            self.rate_hz, spec.min_fidelity, self.estimate.latency_s, self.admitted_ps,
            now_ps if self.ended_ps is None else self.ended_ps, self.times_ps,
            self.fidelities, lambda t: log.requests_by(t) or 0, spec.count, spec.deadline_s,
            self.state == "missed", tuple(self.squeezed_by))


class LiveNetwork:
    """A scenario's network, run in real time, serving requests admitted at run time.

    Args:
        scenario: a validated scenario.
        speedup: simulated seconds per wall second.
        tick_s: wall seconds between two advances of the timeline.
        max_utilisation: share of a link's spare rate admission may promise (above 1,
            up to 4, the links are overbooked: admitted requests may then ask for more
            than a link makes, and share it by priority).
        clock: the wall clock (monotonic seconds).
        key_pools: the key delivery service's pools, shown in :meth:`network_view` when
            both services run (``None``: no key service).

    Raises:
        ConfigError: a bad speed-up, tick or utilisation.
    """

    def __init__(self, scenario: Scenario, *, speedup: float = 1.0, tick_s: float = 0.05,
                 max_utilisation: float = 0.9,
                 clock: Callable[[], float] = time.monotonic,
                 key_pools: Callable[[], KeyPoolsView] | None = None) -> None:
        for name, value in (("speedup", speedup), ("tick_s", tick_s)):
            if not value > 0:
                raise ConfigError(name, f"must be positive, got {value}")
        if not 0 < max_utilisation <= MAX_OVERBOOKING:
            raise ConfigError("max_utilisation", f"must lie in (0, {MAX_OVERBOOKING:g}], got "
                                                 f"{max_utilisation}")
        self.speedup = float(speedup)
        self.tick_s = float(tick_s)
        self.max_utilisation = float(max_utilisation)
        self._clock = clock
        self.key_pools = key_pools
        self.key_links = key_links(scenario)  # drawn and listed, never run here
        sim = Simulation(scenario, keep_pairs=True)
        self.scenario = scenario
        self.timeline = sim.timeline
        self.links = sim.links
        self.nodes = sim.nodes
        base = sim.network
        self.graph = base.graph
        # an entanglement network of the service's own on the scenario's links: its
        # schedulers take the links' pairs, and it never stops the clock
        self.network = EntanglementNetwork(
            base.graph, base.links, memories=base.memories, operations=base.operations,
            policy=base.policy, backend=base.backend, timeline=sim.timeline,
            rng=sim.rng.child("eaas"), play_messages=base.play_messages,
            on_served=lambda: None)
        self.backend = base.backend
        self.lock = threading.RLock()
        self.requests: dict[str, LiveRequest] = {}
        self._ids = itertools.count(1)
        self._started_links: set[frozenset[str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lag_s = 0.0
        self.on_pairs: Callable[[LiveRequest, list[float]], None] | None = None
        self.on_state: Callable[[LiveRequest, str | None], None] | None = None
        # called when a request's SLO status changes (with the status it had)
        self.on_slo: Callable[[LiveRequest, SloStatus | None], None] | None = None
        self._shares: dict[frozenset[str], LinkShare] = {}
        self._limited: set[frozenset[str]] = set()  # links whose users had allowances

    # -- estimates and admission ------------------------------------------------------

    def estimate(self, path: list[str]) -> PathEstimate:
        """The estimator's figures for ``path``."""
        figures = []
        for x, y in itertools.pairwise(path):
            edge = self.graph.edges[x, y]
            link = self.links[frozenset((x, y))]
            figures.append(link_figures(link, rate_hz=edge["rate_hz"], delay_ps=edge["delay_ps"],
                                        forward=link.node_a.name == x))
        return estimate_path(path, figures, [self.network.memories[v] for v in path],
                             [self.network.operations[v] for v in path])

    def swap_success(self, path: list[str]) -> float:
        """Probability that every swap along ``path`` succeeds."""
        return math.prod(self.network.operations[v].swap_success for v in path[1:-1])

    def route_of(self, a: str, b: str) -> list[str]:
        """The path the network gives a new demand between ``a`` and ``b`` (its routing
        policy, then the first candidate whose links all have a memory share to spare)."""
        policy = self.network.policy
        paths = routing.candidate_paths(self.graph, a, b, policy=policy.routing,
                                        k=policy.k_paths)
        return routing.choose_path(
            paths, lambda x, y: self.network.schedulers[frozenset((x, y))].has_room())

    def spare_rate_hz(self, x: str, y: str) -> float:
        """Link pairs a second of link ``x-y`` a new request may be promised."""
        key = frozenset((x, y))
        rate = float(self.graph.edges[x, y]["rate_hz"])
        promised = sum(r.link_load_hz for r in self.requests.values()
                       if r.state == "active"
                       and key in {frozenset(e) for e in itertools.pairwise(r.estimate.path)})
        scheduler = self.network.schedulers[key]
        memory_pairs = scheduler.link.memory_pairs
        share = math.ceil(memory_pairs / (scheduler.active_users + 1)) / memory_pairs
        return max(0.0, min(rate - promised, rate * share)) * self.max_utilisation

    def check(self, spec: RequestSpec) -> tuple[list[str], PathEstimate, float]:
        """Admission: the path, its estimate and the rate the demand will run at.

        Raises:
            ConfigError: an unknown node, or the two ends are the same.
            Rejected: the network cannot serve it (the reason names the limit).
        """
        path, estimate, rate, _squeezed = self._check(spec)
        return path, estimate, rate

    def _check(self, spec: RequestSpec
               ) -> tuple[list[str], PathEstimate, float, list[LiveRequest]]:
        """:meth:`check`, and the requests of lower priority it takes rate from."""
        a, b = spec.between
        for i, node in enumerate(spec.between):
            if node not in self.graph:
                raise ConfigError(f"between[{i}]", f"unknown node {node!r}; nodes: "
                                                   f"{', '.join(sorted(self.graph))}")
        if a == b:
            raise ConfigError("between", f"needs two different nodes, got {a!r} twice")
        try:
            path = self.route_of(a, b)
        except ConfigError:
            raise Rejected("path", f"no path joins {a} and {b}") from None
        estimate = self.estimate(path)
        if estimate.fidelity < spec.min_fidelity:
            best = self.estimate(routing.candidate_paths(self.graph, a, b,
                                                         policy="fidelity")[0])
            if best.fidelity < spec.min_fidelity:
                raise Rejected("fidelity", f"fidelity {spec.min_fidelity:g} unreachable on any "
                                           f"path with this hardware: best "
                                           f"{best.fidelity:.4f} via {best.route}")
            raise Rejected("fidelity", f"fidelity {spec.min_fidelity:g} unreachable on the "
                                       f"routed path {estimate.route} (at most "
                                       f"{estimate.fidelity:.4f}); {best.route} reaches "
                                       f"{best.fidelity:.4f} but policy.routing is "
                                       f"{self.network.policy.routing!r}")
        full = [f"{x}-{y}" for x, y in itertools.pairwise(path)
                if not self.network.schedulers[frozenset((x, y))].has_room()]
        if full:
            raise Rejected("memory", f"link {full[0]} has a memory pair for each of its "
                                     f"users already; no share is left for another request")
        swaps = self.swap_success(path)
        capacity = swaps * min(self.spare_rate_hz(x, y) for x, y in itertools.pairwise(path))
        rate = spec.rate_hz
        if rate is None:  # count and deadline: the pace that ends by the deadline
            count, deadline_s = spec.count or 1, spec.deadline_s or 0.0  # set by the model
            room_s = deadline_s - estimate.latency_s
            if room_s <= 0:
                raise Rejected("deadline", f"deadline {deadline_s:g} s is shorter than "
                                           f"the latency of {estimate.route} "
                                           f"({estimate.latency_s:.4g} s)")
            rate = max(count - 1, 1) / room_s
        squeezed: list[LiveRequest] = []
        if rate > capacity:
            room = self._priority_room(path, rate / swaps, spec.priority)
            if room is None:
                raise Rejected("rate", f"rate {rate:.4g} Hz above what {estimate.route} can "
                                       f"still promise: {capacity:.4g} Hz (path estimate "
                                       f"{estimate.rate_hz:.4g} Hz, bottleneck "
                                       f"{estimate.bottleneck}); no request of lower "
                                       f"priority than {spec.priority} can make room")
            squeezed = room
        if spec.count is not None and spec.deadline_s is not None:
            needed_s = (spec.count - 1) / rate + estimate.latency_s
            if needed_s > spec.deadline_s * (1 + 1e-9):
                raise Rejected("deadline", f"{spec.count} pairs at {rate:.4g} Hz need "
                                           f"{needed_s:.4g} s on {estimate.route}, beyond "
                                           f"the deadline of {spec.deadline_s:g} s")
        return path, estimate, rate, squeezed

    def _priority_room(self, path: list[str], load_hz: float,
                       priority: int) -> list[LiveRequest] | None:
        """The requests of lower priority a new one of ``load_hz`` link pairs a second
        would take rate from, or ``None`` when the priority rule does not admit it (see
        the module docstring)."""
        squeezed: dict[str, LiveRequest] = {}
        for x, y in itertools.pairwise(path):
            key = frozenset((x, y))
            rate = float(self.graph.edges[x, y]["rate_hz"]) * self.max_utilisation
            scheduler = self.network.schedulers[key]
            memory_pairs = scheduler.link.memory_pairs
            share = math.ceil(memory_pairs / (scheduler.active_users + 1)) / memory_pairs
            if load_hz > rate * share:
                return None
            users = [r for r in self.requests.values()
                     if r.state == "active" and key in r.user_of]
            demands: dict[str | None, float] = {r.id: r.link_load_hz for r in users}
            weights: dict[str | None, float] = {r.id: float(r.spec.priority) for r in users}
            before = weighted_max_min(rate, demands, weights)
            demands[None] = load_hz
            weights[None] = float(priority)
            after = weighted_max_min(rate, demands, weights)
            if after[None] < load_hz * (1 - 1e-9):
                return None
            for r in users:
                if after[r.id] < before[r.id] * (1 - 1e-9):
                    if r.spec.priority >= priority:
                        return None
                    squeezed[r.id] = r
        return list(squeezed.values()) or None

    def admit(self, tenant: str, spec: RequestSpec) -> LiveRequest:
        """Admit ``spec`` and start its demand now (see the module docstring).

        Raises:
            ConfigError: bad ends.
            Rejected: the network cannot serve it.
        """
        with self.lock:
            path, estimate, rate, squeezed = self._check(spec)
            a, b = spec.between
            users = {key: s.users for key, s in self.network.schedulers.items()}
            route = self.network.add_demand(a, b, rate_hz=rate, pairs=spec.count,
                                            min_fidelity=spec.min_fidelity, keep_pairs=True)
            if route.path != path:  # routing is deterministic: never expected
                estimate = self.estimate(route.path)
            for x, y in itertools.pairwise(route.path):
                key = frozenset((x, y))
                if key not in self._started_links:
                    self._started_links.add(key)
                    self.links[key].start()
                else:  # memory pairs parked while nobody wanted pairs try again
                    self.network.schedulers[key].resume()
            request = LiveRequest(f"r{next(self._ids)}", tenant, spec, rate, estimate, route,
                                  self.timeline.now_ps, self.swap_success(route.path),
                                  {frozenset(e): users[frozenset(e)]
                                   for e in itertools.pairwise(route.path)})
            request.link_index = {frozenset(e): k
                                  for k, e in enumerate(itertools.pairwise(route.path))}
            for other in squeezed:
                other.squeezed_by.append(request.id)
                _log.info("%s takes rate from %s of lower priority", request.id, other.id)
            self.requests[request.id] = request
            if self.on_state is not None:
                self.on_state(request, None)
            return request

    def cancel(self, request: LiveRequest, state: str = "cancelled") -> None:
        """End ``request``: its demand asks for no more pairs."""
        with self.lock:
            if request.state != "active":
                return
            self._collect(request)
            supply = request.route.protocol.supply
            supply.target = request.route.log.delivered  # it wants no more link pairs
            for key, user in request.user_of.items():  # its memory share goes back
                self.network.schedulers[key].retire_user(user)
            before = request.state
            request.state = state
            request.ended_ps = self.timeline.now_ps
            if self.on_state is not None:
                self.on_state(request, before)

    # -- running ------------------------------------------------------------------------

    def step(self, wall_s: float) -> None:
        """Advance the simulation ``wall_s * speedup`` seconds (at most four ticks' worth
        at a time: a slower simulation falls behind rather than stalling the API)."""
        simulated_s = wall_s * self.speedup
        allowed_s = 4 * self.tick_s * self.speedup
        self.lag_s += max(0.0, simulated_s - allowed_s)
        with self.lock:
            now = self.timeline.now_ps
            self.timeline.run(until_ps=now + max(1, round(min(simulated_s, allowed_s) * 1e12)))
            for request in list(self.requests.values()):
                if request.state != "active":
                    continue
                self._collect(request)
                spec, log = request.spec, request.route.log
                done = spec.count is not None and log.delivered >= spec.count
                expired = (spec.deadline_s is not None and self.timeline.now_ps
                           >= request.admitted_ps + round(spec.deadline_s * 1e12))
                if done or expired:
                    self.cancel(request, "completed" if done or spec.count is None
                                else "missed")
                self._judge(request)
            self._share_links()

    def _judge(self, request: LiveRequest) -> None:
        """Judge the request's SLO now (see :mod:`qinet.service.eaas.slo`)."""
        before = request.slo
        request.slo = assess(request.slo_input(self.timeline.now_ps))
        if self.on_slo is not None and (before is None or before.kinds != request.slo.kinds):
            self.on_slo(request, before)

    def _in_play(self, request: LiveRequest, key: frozenset[str]) -> int:
        """Pairs of link ``key`` the request holds in play (not delivered yet)."""
        supply = request.route.protocol.supply
        if supply.per_link_cover is not None:
            return supply.covered(request.link_index[key])
        return max(0, supply.formed - request.route.log.delivered)

    def _share_links(self) -> None:
        """Share every link two or more requests use by their priorities: set each
        request's demand target so that it takes no more than its allowance of the
        link's pairs before the next tick (:mod:`qinet.service.eaas.sharing`), and
        restart the memory pairs parked at an allowance (a demand that falls behind
        its requests restarts its own: :mod:`qinet.network.supply`).
        """
        now = self.timeline.now_ps
        by_link: dict[frozenset[str], list[LiveRequest]] = {}
        for request in self.requests.values():
            if request.state == "active":
                for key in request.user_of:
                    by_link.setdefault(key, []).append(request)
        limits: dict[str, float] = {}
        limited: set[frozenset[str]] = set()
        for key, users in by_link.items():
            in_play = {r.id: self._in_play(r, key) for r in users}
            waiting = {r.id: float((r.route.log.requests_by(now) or 0)
                                   - r.route.log.delivered - in_play[r.id]) for r in users}
            # behind: waiting for more than the latency explains (twice the requests
            # of one latency, plus two); only those claim more than they took
            behind = {r.id: max(0.0, waiting[r.id] - 2.0 * r.rate_hz * r.estimate.latency_s
                                - 2.0) for r in users}
            if len(users) < 2:
                self._shares.pop(key, None)
                continue
            scheduler = self.network.schedulers[key]
            allowance = self._shares.setdefault(key, LinkShare()).tick(
                {r.id: scheduler.handed[r.user_of[key]] for r in users}, behind,
                {r.id: float(r.spec.priority) for r in users})
            for r in users:
                if math.isfinite(allowance[r.id]):
                    limited.add(key)
                    limits[r.id] = min(limits.get(r.id, math.inf),
                                       in_play[r.id] + allowance[r.id])
        for request in self.requests.values():
            if request.state != "active":
                continue
            target = request.spec.count
            if request.id in limits:
                cap = request.route.log.delivered + math.floor(limits[request.id])
                target = cap if target is None else min(target, cap)
            request.route.protocol.supply.target = target
        # memory pairs parked at an allowance try again under the new ones
        for key in limited | self._limited:
            self.network.schedulers[key].resume()
        self._limited = limited

    def _collect(self, request: LiveRequest) -> None:
        """Take the request's newly delivered pairs into its record."""
        if request.route.log.delivered == len(request.fidelities):
            return  # nothing new: the log's arrays are not rebuilt
        arrays = request.route.log.arrays(self.backend)
        seen = len(request.fidelities)
        fidelity = arrays["fidelity"][seen:]
        if fidelity.size:
            new = [float(f) for f in fidelity]
            request.fidelities += new
            request.times_ps += [int(t) for t in arrays["delivered_ps"][seen:]]
            request.latencies_ps += [int(t) for t in arrays["latency_ps"][seen:]]
            if self.on_pairs is not None:
                self.on_pairs(request, new)

    def start(self) -> None:
        """Advance the timeline every ``tick_s`` in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="qinet-eaas", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after its current tick, and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        last = self._clock()
        while not self._stop.wait(self.tick_s):
            now = self._clock()
            self.step(now - last)
            last = now

    # -- pages ----------------------------------------------------------------------------

    def view(self, request: LiveRequest) -> dict[str, Any]:
        """A request's page: its state, estimate, latest pairs, SLO status and its
        delivery against the estimate."""
        with self.lock:
            if request.state == "active":
                self._collect(request)
            spec, estimate = request.spec, request.estimate
            slo_input = request.slo_input(self.timeline.now_ps)
            slo = assess(slo_input)
            delivered = len(request.fidelities)
            start = max(0, delivered - _PAIRS_SHOWN)
            pairs = [{"id": f"{request.id}.{k}", "time_s": request.times_ps[k] * 1e-12,
                      "fidelity": request.fidelities[k]} for k in range(start, delivered)]
            elapsed_s = (slo_input.now_ps - request.admitted_ps) * 1e-12
            mean = float(np.mean(request.fidelities)) if delivered else None
            check = delivery_check(slo_input, path_rate_hz=estimate.rate_hz,
                                   estimated_fidelity=estimate.fidelity)
            return {
                "id": request.id, "state": request.state, "between": list(spec.between),
                "min_fidelity": spec.min_fidelity, "rate_hz": request.rate_hz,
                "count": spec.count, "deadline_s": spec.deadline_s, "priority": spec.priority,
                "admitted_s": request.admitted_ps * 1e-12,
                "ended_s": None if request.ended_ps is None else request.ended_ps * 1e-12,
                "estimate": estimate_view(estimate), "pairs_delivered": delivered,
                "pairs": pairs, "squeezed_by": list(request.squeezed_by),
                "slo": {**slo.as_json(),
                        "delivered_rate_hz": delivered / elapsed_s if elapsed_s > 0 else 0.0,
                        "mean_fidelity": mean},
                "delivery": check.as_json()}

    def network_view(self) -> dict[str, Any]:
        """Topology (the key network's links too), link rates and memory use; with the
        key delivery service, its pools
        (:class:`~qinet.service.eaas.key_pools.KeyPoolsView`)."""
        with self.lock:
            links = []
            for x, y, edge in self.graph.edges(data=True):
                key = frozenset((x, y))
                link = self.links[key]
                scheduler = self.network.schedulers[key]
                links.append({"name": edge["info"].name, "between": [x, y],
                              "length_km": edge["length_km"], "rate_hz": edge["rate_hz"],
                              "fidelity": edge["fidelity"], "memory_pairs": link.memory_pairs,
                              "users": scheduler.active_users,
                              "spare_rate_hz": self.spare_rate_hz(x, y)})
            nodes = []
            for name in self.graph:
                bank = self.nodes[name].memories
                nodes.append({"name": name, "memories": bank.size,
                              "memories_held": bank.size - bank.free_count,
                              "t1_s": finite(bank.memory.t1_s),
                              "t2_s": finite(bank.memory.t2_s)})
            view = {"simulated_s": self.timeline.now_ps * 1e-12, "lag_s": self.lag_s,
                    "speedup": self.speedup, "routing": self.network.policy.routing,
                    "nodes": nodes, "links": links,
                    "key_links": [link.as_json() for link in self.key_links],
                    "requests_active": sum(r.state == "active"
                                           for r in self.requests.values())}
        if self.key_pools is not None:  # the store's own snapshot: no need of our lock
            view.update(self.key_pools().as_json())
        return view


def finite(value: float) -> float | None:
    """``value``, or ``None`` for an infinite one (JSON has no infinity)."""
    return value if math.isfinite(value) else None


def estimate_view(estimate: PathEstimate) -> dict[str, Any]:
    """An estimate as JSON."""
    return {"rate_hz": estimate.rate_hz, "fidelity": estimate.fidelity,
            "latency_s": finite(estimate.latency_s), "path": list(estimate.path),
            "bottleneck": estimate.bottleneck}
