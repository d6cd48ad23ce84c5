"""Scenario -> devices, links, the network layer and a timeline: the one place where every
layer is wired."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import numpy as np

from qinet.devices.memory_bank import MemoryBank
from qinet.devices.node import QuantumNode
from qinet.errors import ConfigError
from qinet.kernel.timeline import Timeline, rare_collections
from qinet.link.detailed import DetailedLink
from qinet.link.double_click import DoubleClickScheme
from qinet.link.fast_forward import FastForwardLink
from qinet.link.hardware import LinkHardware
from qinet.link.heralded_link import HeraldedLink
from qinet.link.midpoint_source import MidpointSourceScheme
from qinet.link.model import AttemptModel, expected_pair_rate_hz
from qinet.link.single_click import SingleClickScheme
from qinet.network import (
    EntanglementNetwork,
    LinkInfo,
    NetworkPolicy,
    NodeOperations,
    build_graph,
)
from qinet.network.demand import finish_together
from qinet.network.stats import DeliveryStats
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre, fibre_delay_s
from qinet.physical.memories import QuantumMemory
from qinet.physical.sources import SPDCSource
from qinet.qkd.key_records import KeyNetworkResult
from qinet.qkd.postprocessing import usable_cores
from qinet.qkd.protocols.result import QkdRunResult
from qinet.quantum import make_backend
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.apps import AppRecord, ScenarioApps
from qinet.scenario.coincidences import link_car
from qinet.scenario.hardware import detector_of, fibre_of, memory_of, source_of
from qinet.scenario.key_network import build_key_network
from qinet.scenario.qkd_protocols import PairKeyStream, pair_run
from qinet.scenario.schema_space import DownlinkLink, DualDownlinkLink, UplinkLink
from qinet.units import s_to_ps

# links that carry prepare-and-measure QKD (fibre, satellite): the key network's
KEY_LINKS = (schema.QkdLink, DownlinkLink, UplinkLink, DualDownlinkLink)

_LINK_CLASSES: dict[str, type[HeraldedLink]] = {
    "fast-forward": FastForwardLink,
    "detailed": DetailedLink,
}


@dataclass(slots=True)
class LinkRecord:
    """What a finished run knows about one link."""

    name: str
    between: tuple[str, str]
    scheme: str
    length_km: float
    memory_pairs: int
    model: AttemptModel
    attempts: int
    successes: int
    holding_fraction: float
    demands: int
    car: float | None = None


@dataclass(slots=True)
class NodeRecord:
    """What a finished run knows about one node."""

    name: str
    memories: int
    occupancy: float


@dataclass(frozen=True, slots=True)
class DemandCounters:
    """What happened to a demand's pairs and requests over the run.

    Attributes:
        lost: end-to-end pairs that arrived dead (failed swap, discarded qubit).
        discarded: qubits thrown away by the cutoff.
        swaps: Bell-state measurements made; swap_failures: of which failed.
        purifications: rounds tried; purification_failures: of which failed.
        unserved_requests: requests still waiting at the end.
    """

    lost: int
    discarded: int
    swaps: int
    swap_failures: int
    purifications: int
    purification_failures: int
    unserved_requests: int


@dataclass(slots=True)
class DemandRecord:
    """What a finished run knows about one demand.

    Attributes:
        arrays: per-pair ``delivered_ps``, ``latency_ps`` and ``fidelity`` (empty when
            the simulation does not keep pairs).
        stats: the streaming statistics every metric is computed from.
        requests: requests arrived by the end (``None`` for a demand without a rate).
        completed_ps: when its ``pairs``-th pair was delivered (``None``: not reached,
            or no ``pairs``).
    """

    spec: schema.EntanglementDemand | schema.PairQkdDemand
    path: list[str]
    arrays: dict[str, np.ndarray]
    counters: DemandCounters
    path_links: list[LinkRecord]
    stats: DeliveryStats
    key: QkdRunResult | None = None
    index: int = 0
    requests: int | None = None
    completed_ps: int | None = None


@dataclass(slots=True)
class RunRecord:
    """Raw outcome of a run, before any statistics."""

    scenario: schema.Scenario
    elapsed_ps: int
    events: int
    links: list[LinkRecord] = field(default_factory=list)
    nodes: list[NodeRecord] = field(default_factory=list)
    demands: list[DemandRecord] = field(default_factory=list)
    keys: KeyNetworkResult | None = None
    apps: list[AppRecord] = field(default_factory=list)


def uses_network(demand: object) -> TypeGuard[schema.EntanglementDemand | schema.PairQkdDemand]:
    """Whether a demand is served by entanglement over the network's links."""
    return isinstance(demand, schema.EntanglementDemand | schema.PairQkdDemand)


class Simulation:
    """A scenario made runnable: nodes, links, demands and the key network on one timeline.

    The entanglement network and the key network share no resource, only the clock.
    When every entanglement demand asked for a number of pairs and has them, the
    entanglement network's record is taken there (its rates count that interval); the
    timeline then stops, unless the key network still runs to the end.

    Drive it with :meth:`start`, ``timeline.run(...)`` and :meth:`finish`, or with
    :meth:`run` in one call. :attr:`notes` says, a line each, what in the scenario
    will keep it from delivering (a cutoff shorter than a link takes to herald).

    Args:
        scenario: a validated scenario (see :func:`qinet.scenario.load_scenario`).
        keep_pairs: keep every delivered pair's record (``DemandRecord.arrays``); off,
            the demands keep streaming statistics only, in memory that does not grow
            with the run.
    """

    @rare_collections()  # a large network is hundreds of thousands of objects, no cycle
    def __init__(self, scenario: schema.Scenario, *, keep_pairs: bool = True) -> None:
        self.scenario = scenario
        self.timeline = Timeline()
        self.rng = RngTree(scenario.seed)
        if any(getattr(d, "reconciliation", None) == "ldpc" for d in scenario.demands):
            usable_cores()  # a bad QINET_THREADS is named now, not inside the first key's run
        by_type = {name: _memory(scenario, name) for name in
                   {n.memory for n in scenario.nodes}}
        memories = {n.name: by_type[n.memory] for n in scenario.nodes}
        self.nodes = {n.name: QuantumNode(n.name, MemoryBank(n.name, n.memories,
                                                               memories[n.name]))
                      for n in scenario.nodes}
        share = _memory_shares(scenario)
        link_class = _LINK_CLASSES[scenario.mode]
        self.links: dict[frozenset[str], HeraldedLink] = {}
        infos: dict[tuple[str, str], LinkInfo] = {}
        compiled: dict[tuple[Any, ...], AttemptModel] = {}
        fidelity_of: dict[int, float] = {}  # per compiled model: computed once
        delay_of: dict[tuple[float, float], int] = {}
        node_memory = {n.name: n.memory for n in scenario.nodes}
        for i, spec in enumerate(scenario.links):
            if isinstance(spec, KEY_LINKS):
                continue  # prepare-and-measure fibre: the key network's
            a, b = (self.nodes[name] for name in spec.between)
            name = f"{a.name}-{b.name}"
            # identical links (same parameters, same memory types) share one model
            key = (_parameters(spec), node_memory[a.name], node_memory[b.name])
            model = compiled.get(key)
            if model is None:
                model = compiled[key] = compile_link(scenario, i, node_memory=node_memory,
                                                     memory_types=by_type)
            pairs = spec.memories or min(share[a.name], share[b.name])
            a.links.append(name)
            b.links.append(name)
            self.links[frozenset(spec.between)] = link_class(
                name, model, a, b, timeline=self.timeline,
                rng=self.rng.generator(f"link/{name}"), memory_pairs=pairs)
            fibre = _fibre(scenario, spec)
            delay_key = (spec.length, fibre.group_index)
            if delay_key not in delay_of:
                delay_of[delay_key] = s_to_ps(float(fibre_delay_s(spec.length,
                                                                  fibre.group_index)))
            if id(model) not in fidelity_of:
                fidelity_of[id(model)] = model.heralded_fidelity
            infos[spec.between] = LinkInfo(
                name=name, length_km=spec.length, delay_ps=delay_of[delay_key],
                rate_hz=expected_pair_rate_hz(model, pairs), fidelity=fidelity_of[id(model)])
        policy = scenario.policy
        purification = policy.purification
        self.network = EntanglementNetwork(
            build_graph(list(self.nodes), infos), self.links,
            memories=memories,
            operations={n.name: NodeOperations(n.swap_success, n.gate_error,
                                               n.measurement_error) for n in scenario.nodes},
            policy=NetworkPolicy(
                swapping=policy.swapping, cutoff_s=policy.cutoff,
                purification=purification.scheme if purification else None,
                purification_rounds=purification.rounds if purification else 0,
                pumping=purification.pumping if purification else False,
                routing=policy.routing, k_paths=policy.k_paths),
            backend=make_backend(scenario.backend), timeline=self.timeline, rng=self.rng,
            play_messages=scenario.mode == "detailed", on_served=self._on_served)
        self.key_network = build_key_network(
            scenario, rng=self.rng.child("keys"), timeline=self.timeline,
            end_ps=s_to_ps(scenario.duration))
        self._served: RunRecord | None = None
        # per BBM92/E91 demand (by index): its measurement, fed every batch of pairs
        self._keys_of: dict[int, PairKeyStream] = {}
        for i, demand in enumerate(scenario.demands):
            if not uses_network(demand):
                continue
            try:
                route = self.network.add_demand(
                    *demand.between, rate_hz=demand.rate, pairs=demand.pairs,
                    window_s=demand.window, min_fidelity=demand.min_fidelity,
                    keep_pairs=keep_pairs)
            except ConfigError as exc:
                raise ConfigError(f"demands[{i}].between", exc.reason) from None
            if isinstance(demand, schema.PairQkdDemand):
                stream = self._keys_of[i] = pair_run(demand).start(self.rng.child(f"qkd/{i}"))
                route.log.sink = stream.add
        # application demands: their sockets' network demands come after the file's own
        self.apps = ScenarioApps.of(scenario, self.network, self.rng.child("apps"))

        self.notes = self._cutoff_notes()

    def _cutoff_notes(self) -> list[str]:
        """A note per link used whose pairs are older than the cutoff when delivered."""
        cutoff = self.scenario.policy.cutoff
        if cutoff is None:
            return []
        notes = []
        for key, link in self.links.items():
            if not self.network.schedulers[key].users:
                continue
            timing = link.model.timing
            age_ps = timing.delivered_ps - max(timing.stored_ps)  # the younger qubit
            if s_to_ps(cutoff) < age_ps:
                notes.append(
                    f"policy.cutoff ({cutoff * 1e6:.4g} µs) is shorter than link "
                    f"{link.name} takes from storing a qubit to both ends knowing the pair "
                    f"({age_ps * 1e-6:.4g} µs): every pair it makes is cut off before use")
        return notes

    @property
    def end_ps(self) -> int:
        """When the run ends: the scenario's duration."""
        return s_to_ps(self.scenario.duration)

    @property
    def served_ps(self) -> int | None:
        """When every entanglement demand had the pairs it asked for (``None``: not yet,
        or some demand asks for no number)."""
        return self.network.served_ps

    def start(self) -> None:
        """Start every link that serves a demand, and the key network.

        Side Effects:
            Schedules the first events on :attr:`timeline`.
        """
        self.network.start()
        if self.key_network.links:
            self.key_network.start()
        if self.apps is not None:
            self.apps.start()

    @rare_collections()  # the run's many young objects need no collector scans here
    def finish(self) -> RunRecord:
        """The raw outcome of the run up to the timeline's clock (the scenario's end, or
        where the run was interrupted or stopped).

        Side Effects:
            Ends the key network: its links stop sending and the announcements already
            on their way land.
        """
        record = self._served or self._record(max(self.timeline.now_ps, 1))
        record.events = self.timeline.events_processed
        if self.key_network.links:
            record.keys = self.key_network.finish()
            record.events = self.timeline.events_processed
        if self.apps is not None:
            record.apps = self.apps.records()
        return record

    @rare_collections()
    def run(self, *, progress: Callable[[float, float], Any] | None = None) -> RunRecord:
        """Run for the scenario's duration (less when every demand has its pairs and
        there are no keys to make).

        Args:
            progress: called as ``progress(done_s, total_s)`` after each slice of
                simulated time, for progress bars.
        """
        self.start()
        slices = 100 if progress is not None else 1
        for k in range(1, slices + 1):
            self.timeline.run(until_ps=self.end_ps * k // slices)
            if progress is not None:
                progress(self.timeline.now_s, self.scenario.duration)
            if self.timeline.stopped:
                break
        return self.finish()

    def _on_served(self) -> None:
        if self.key_network.links or (self.apps is not None and self.apps.running):
            # the key network (to the end) or the applications (their last messages)
            # run on; the entanglement network's record is the one at this moment
            self._served = self._record(self.timeline.now_ps)
        else:
            self.timeline.stop()

    def _record(self, end_ps: int) -> RunRecord:
        record = RunRecord(self.scenario, elapsed_ps=end_ps,
                           events=self.timeline.events_processed)
        by_key = {}
        for spec in self.scenario.links:
            if isinstance(spec, KEY_LINKS):
                continue
            key = frozenset(spec.between)
            link = self.links[key]
            by_key[key] = LinkRecord(
                name=link.name, between=spec.between, scheme=spec.scheme,
                length_km=spec.length, memory_pairs=link.memory_pairs, model=link.model,
                attempts=link.attempts, successes=link.successes,
                holding_fraction=link.holding_fraction(end_ps),
                demands=self.network.schedulers[key].users,
                car=link_car(self.scenario, spec))
            record.links.append(by_key[key])
        for node in self.nodes.values():
            record.nodes.append(NodeRecord(node.name, node.memories.size,
                                           node.memories.occupancy(end_ps, now_ps=end_ps)))
        backend = self.network.backend
        # the last pairs reach the stats and the sinks
        finish_together([route.log for route in self.network.demands], backend)
        routes = iter(self.network.demands)
        for i, demand in enumerate(self.scenario.demands):
            if not uses_network(demand):
                continue
            route = next(routes)
            log = route.log
            stats = log.stats
            stream = self._keys_of.get(i)
            record.demands.append(DemandRecord(
                spec=demand, path=route.path, arrays=log.arrays(backend), stats=stats,
                counters=DemandCounters(
                    lost=log.lost, discarded=log.discarded, swaps=log.swaps,
                    swap_failures=log.swap_failures, purifications=log.purifications,
                    purification_failures=log.purification_failures,
                    unserved_requests=log.unserved(end_ps)),
                path_links=[by_key[frozenset(p)] for p in zip(route.path, route.path[1:],
                                                             strict=False)],
                key=None if stream is None else stream.result(), index=i,
                requests=log.requests_by(end_ps),
                completed_ps=log.completed_ps))
        return record


def _parameters(spec: schema.Link) -> tuple[Any, ...]:
    """A link's parameters but its ends, as a key that equal links share."""
    values = (type(spec), *(value for name, value in spec if name != "between"))
    try:
        hash(values)
    except TypeError:  # a list or a nested model among them: their JSON instead
        return (spec.model_dump_json(exclude={"between"}),)
    return values


def _fibre(scenario: schema.Scenario,
           spec: schema.SingleClickLink | schema.DoubleClickLink | schema.MidpointSourceLink
           | schema.QkdLink) -> schema.FibreHardware:
    return fibre_of(scenario, spec.fibre)


def compile_link(scenario: schema.Scenario, index: int, *,
                 node_memory: Mapping[str, str | None] | None = None,
                 memory_types: Mapping[str | None, QuantumMemory] | None = None
                 ) -> AttemptModel:
    """The attempt model of ``scenario.links[index]``.

    Args:
        scenario: the scenario.
        index: the link's place in ``scenario.links``.
        node_memory: each node's memory hardware name, when the caller compiles many
            links (built here otherwise: one pass over the nodes per call).
        memory_types: the memory physics of each memory hardware name, when the
            caller compiles many links (built per link end otherwise).
    """
    spec = scenario.links[index]
    if isinstance(spec, KEY_LINKS):
        raise ConfigError(f"links[{index}].scheme", f"a {spec.scheme} link sends pulses, not "
                                                    f"attempts at entanglement")
    fibre = _fibre(scenario, spec)
    detector = detector_of(scenario, spec.detector)
    if node_memory is None:
        node_memory = {n.name: n.memory for n in scenario.nodes}
    arm_a_km = spec.length * spec.station_position
    try:
        hardware = LinkHardware(
            memory_a=_memory_from(memory_types, scenario, node_memory[spec.between[0]]),
            memory_b=_memory_from(memory_types, scenario, node_memory[spec.between[1]]),
            arm_a=Fibre(arm_a_km, fibre.attenuation, fibre.group_index),
            arm_b=Fibre(spec.length - arm_a_km, fibre.attenuation, fibre.group_index),
            detector=Detector(detector.efficiency, detector.dark_count_rate,
                              detector.dead_time, detector.jitter),
            detection_window_s=spec.detection_window,
            visibility=spec.visibility,
        )
        period, reset, modes = spec.attempt_period, spec.reset_time, spec.modes
        match spec:
            case schema.SingleClickLink():
                return SingleClickScheme(bright_state=spec.bright_state, attempt_period_s=period,
                                         reset_time_s=reset, modes=modes).compile(hardware)
            case schema.DoubleClickLink():
                return DoubleClickScheme(round_gap_s=spec.round_gap, attempt_period_s=period,
                                         reset_time_s=reset, modes=modes).compile(hardware)
            case schema.MidpointSourceLink():
                src = source_of(scenario, spec.source)
                return MidpointSourceScheme(
                    source=SPDCSource(mean_pairs_per_mode=src.mean_pairs, rate_hz=src.rate,
                                      thermal=src.statistics == "thermal"),
                    attempt_period_s=period, reset_time_s=reset, modes=modes).compile(hardware)
    except ConfigError as exc:
        field = _USER_FIELDS.get(exc.field, exc.field)
        raise ConfigError(f"links[{index}].{field}" if field else f"links[{index}]",
                          exc.reason) from None


# the physics' argument names (unit in the name) for the scenario fields they come from
_USER_FIELDS = {
    "length_km": "length", "window_s": "detection_window",
    "detection_window_s": "detection_window", "attempt_period_s": "attempt_period",
    "reset_time_s": "reset_time", "round_gap_s": "round_gap",
    "attenuation_db_per_km": "fibre.attenuation", "dark_count_rate_hz": "detector.dark_count_rate",
    "dead_time_s": "detector.dead_time", "jitter_fwhm_s": "detector.jitter",
    "t1_s": "memory.t1", "t2_s": "memory.t2", "mean_pairs_per_mode": "source.mean_pairs",
    "rate_hz": "source.rate",
}


def _memory_from(memory_types: Mapping[str | None, QuantumMemory] | None,
                 scenario: schema.Scenario, name: str | None) -> QuantumMemory:
    return _memory(scenario, name) if memory_types is None else memory_types[name]


def _memory(scenario: schema.Scenario, name: str | None) -> QuantumMemory:
    spec = memory_of(scenario, name)
    return QuantumMemory(t1_s=spec.t1, t2_s=spec.t2, efficiency=spec.efficiency,
                         raw_fidelity=spec.raw_fidelity)


def _memory_shares(scenario: schema.Scenario) -> dict[str, int]:
    """Memories each node gives to each of its links that does not ask for a number."""
    shares = {}
    ends_of: dict[str, list[Any]] = {n.name: [] for n in scenario.nodes}
    for spec in scenario.links:
        if isinstance(spec, KEY_LINKS):
            continue
        for end in spec.between:
            ends_of[end].append(spec)
    for node in scenario.nodes:
        ends = ends_of[node.name]
        fixed = sum(s.memories for s in ends if s.memories)
        free = [s for s in ends if not s.memories]
        if fixed > node.memories:
            raise ConfigError(f"nodes[{node.name}].memories",
                              f"{node.memories} memories, but its links ask for {fixed}")
        shares[node.name] = max(1, (node.memories - fixed) // len(free)) if free else 0
    return shares
