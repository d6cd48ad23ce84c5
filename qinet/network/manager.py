"""The network layer assembled: links shared by demands, one path protocol per demand."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import networkx as nx

from qinet.kernel.timeline import Timeline, rare_collections
from qinet.link.heralded_link import HeraldedLink
from qinet.network import routing
from qinet.network.demand import DemandLog
from qinet.network.path_protocol import PathProtocol, PathSegment
from qinet.network.policy import NetworkPolicy, NodeOperations
from qinet.network.scheduling import LinkScheduler
from qinet.network.stats import DeliveryStats
from qinet.network.topology import path_delays_ps
from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend
from qinet.rng import RngTree
from qinet.units import s_to_ps


@dataclass(slots=True)
class DemandRoute:
    """A demand as served: its path and its log."""

    between: tuple[str, str]
    path: list[str]
    log: DemandLog
    protocol: PathProtocol


class EntanglementNetwork:
    """Routes demands over the graph and runs their path protocols on shared links.

    Args:
        graph: the network graph (see :func:`qinet.network.topology.build_graph`).
        links: the link protocol of every edge, keyed by ``frozenset({a, b})``.
        memories: memory physics per node.
        operations: repeater operations per node.
        policy: network-wide protocol choices.
        backend: the state formalism.
        timeline: the clock.
        rng: the run's random tree (each demand takes its own stream).
        play_messages: play every swap outcome as a message event (detailed mode).
        on_served: called once when every demand has the number of pairs it asked for
            (every demand must ask for a number); by default the timeline stops there.
    """

    def __init__(
        self,
        graph: nx.Graph[str],
        links: dict[frozenset[str], HeraldedLink],
        *,
        memories: dict[str, QuantumMemory],
        operations: dict[str, NodeOperations],
        policy: NetworkPolicy,
        backend: QuantumBackend,
        timeline: Timeline,
        rng: RngTree,
        play_messages: bool = True,
        on_served: Callable[[], None] | None = None,
    ) -> None:
        self.graph = graph
        self.links = links
        self.memories = memories
        self.operations = operations
        self.policy = policy
        self.backend = backend
        self.timeline = timeline
        self.rng = rng
        self.play_messages = play_messages
        self._on_served = on_served or timeline.stop
        self.served_ps: int | None = None
        self.schedulers = {key: LinkScheduler(link) for key, link in links.items()}
        self.demands: list[DemandRoute] = []
        self._router: routing.Router | None = None  # built with the first demand
        self._prepared: dict[tuple[int, bool], tuple[Any, object]] = {}

    def add_demand(self, a: str, b: str, *, rate_hz: float | None = None,
                   pairs: int | None = None, window_s: float = 0.1,
                   min_fidelity: float = 0.0, keep_pairs: bool = True) -> DemandRoute:
        """Route a demand for pairs between ``a`` and ``b`` and set up its protocol.

        Args:
            a: one end.
            b: the other end.
            rate_hz: requests per second, each served with one pair (``None``: take every
                pair the links make).
            pairs: stop after this many pairs (``None``: serve for the whole run).
            window_s: window of the outage statistics.
            min_fidelity: pairs below it do not count in the outage windows.
            keep_pairs: keep every delivered pair's record, not only the statistics.

        Raises:
            ConfigError: no path joins the nodes.
        """
        if self._router is None:
            self._router = routing.Router(self.graph, policy=self.policy.routing,
                                          k=self.policy.k_paths)
        paths = self._router.paths(a, b)
        path = routing.choose_path(
            paths, lambda x, y: self.schedulers[frozenset((x, y))].has_room())
        index = len(self.demands)
        stats = DeliveryStats(window_ps=max(1, s_to_ps(window_s)), min_fidelity=min_fidelity,
                              rng=self.rng.generator(f"demand/{index}/latency-sample"))
        # requests arrive from the moment the demand is added (0 for a scenario's)
        log = DemandLog(rate_hz, stats=stats, target_pairs=pairs, keep_pairs=keep_pairs,
                        start_ps=self.timeline.now_ps)
        segments = []
        adjacency = self.graph.adj
        for x, y in itertools.pairwise(path):
            key = frozenset((x, y))
            link = self.links[key]
            segments.append(PathSegment(self.schedulers[key], link.node_a.name == x,
                                        link.model.heralded_state,
                                        adjacency[x][y]["delay_ps"]))
        protocol = PathProtocol(
            index, path, segments,
            cumulative_delay_ps=path_delays_ps(self.graph, path),
            memories=[self.memories[v] for v in path],
            operations=[self.operations[v] for v in path],
            policy=self.policy, backend=self.backend, timeline=self.timeline,
            rng=self.rng.generator(f"demand/{index}/{a}-{b}"), log=log,
            target_pairs=pairs, on_done=self._demand_done,
            play_messages=self.play_messages, prepared=self._prepared)
        for k, segment in enumerate(segments):
            segment.scheduler.add_user(
                partial(protocol.on_link_pair, k),
                partial(protocol.supply.wants, k) if protocol.supply.limited else None)
        route = DemandRoute((a, b), path, log, protocol)
        self.demands.append(route)
        return route

    def _demand_done(self) -> None:
        # a network whose every demand asked for a fixed number of pairs is done when
        # all have them
        if self.served_ps is None and all(
                d.protocol.target_pairs is not None
                and d.log.delivered >= d.protocol.target_pairs for d in self.demands):
            self.served_ps = self.timeline.now_ps
            self._on_served()

    @rare_collections()  # links make many objects at once: the collector waits
    def start(self) -> None:
        """Start every link that serves a demand."""
        self._router = None  # the demands are routed: its index and searches can go
        for key, scheduler in self.schedulers.items():
            if scheduler.users:
                self.links[key].start()
