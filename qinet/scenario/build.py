"""Scenario -> devices, links and a timeline: the one place where every layer is wired."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qinet.devices.memory_bank import MemoryBank
from qinet.devices.node import QuantumNode
from qinet.errors import ConfigError
from qinet.kernel.timeline import Timeline
from qinet.link.consumers import ImmediateUse
from qinet.link.detailed import DetailedLink
from qinet.link.double_click import DoubleClickScheme
from qinet.link.fast_forward import FastForwardLink
from qinet.link.hardware import LinkHardware
from qinet.link.heralded_link import HeraldedLink
from qinet.link.midpoint_source import MidpointSourceScheme
from qinet.link.model import AttemptModel
from qinet.link.single_click import SingleClickScheme
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.memories import QuantumMemory
from qinet.physical.sources import SPDCSource
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.units import s_to_ps

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
    memory_a: QuantumMemory
    memory_b: QuantumMemory
    attempts: int
    successes: int
    pairs: dict[str, np.ndarray]


@dataclass(slots=True)
class RunRecord:
    """Raw outcome of a run, before any statistics."""

    scenario: schema.Scenario
    elapsed_ps: int
    events: int
    links: list[LinkRecord] = field(default_factory=list)

    def link_between(self, a: str, b: str) -> LinkRecord:
        """The record of the link joining ``a`` and ``b``."""
        for link in self.links:
            if set(link.between) == {a, b}:
                return link
        raise ConfigError("demands.between", f"no link joins {a} and {b}")


class Simulation:
    """A scenario made runnable: nodes, links and consumers on one timeline.

    Args:
        scenario: a validated scenario (see :func:`qinet.scenario.load_scenario`).
    """

    def __init__(self, scenario: schema.Scenario) -> None:
        self.scenario = scenario
        self.timeline = Timeline()
        self.rng = RngTree(scenario.seed)
        self.nodes = {n.name: QuantumNode(n.name, MemoryBank(
            n.name, n.memories, _memory(scenario, n.memory))) for n in scenario.nodes}
        share = _memory_shares(scenario)
        self.links: list[HeraldedLink] = []
        self.consumers: list[ImmediateUse] = []
        link_class = _LINK_CLASSES[scenario.mode]
        for i, spec in enumerate(scenario.links):
            a, b = (self.nodes[name] for name in spec.between)
            name = f"{a.name}-{b.name}"
            model = compile_link(scenario, i)
            pairs = spec.memories or min(share[a.name], share[b.name])
            for node in (a, b):
                node.links.append(name)
            consumer = ImmediateUse()
            link = link_class(name, model, a, b, timeline=self.timeline,
                              rng=self.rng.generator(f"link/{name}"), memory_pairs=pairs,
                              consumer=consumer)
            consumer.attach(link)
            self.links.append(link)
            self.consumers.append(consumer)

    def run(self, *, progress: Callable[[float, float], Any] | None = None) -> RunRecord:
        """Run for the scenario's duration.

        Args:
            progress: called as ``progress(done_s, total_s)`` after each slice of
                simulated time, for progress bars.
        """
        for link in self.links:
            link.start()
        end_ps = s_to_ps(self.scenario.duration)
        slices = 100 if progress is not None else 1
        for k in range(1, slices + 1):
            self.timeline.run(until_ps=end_ps * k // slices)
            if progress is not None:
                progress(self.timeline.now_s, self.scenario.duration)
        record = RunRecord(self.scenario, elapsed_ps=end_ps,
                           events=self.timeline.events_processed)
        for spec, link, consumer in zip(self.scenario.links, self.links, self.consumers,
                                        strict=True):
            record.links.append(LinkRecord(
                name=link.name, between=spec.between, scheme=spec.scheme,
                length_km=spec.length, memory_pairs=link.memory_pairs, model=link.model,
                memory_a=link.node_a.memories.memory, memory_b=link.node_b.memories.memory,
                attempts=link.attempts, successes=link.successes, pairs=consumer.records()))
        return record


def compile_link(scenario: schema.Scenario, index: int) -> AttemptModel:
    """The attempt model of ``scenario.links[index]``."""
    spec = scenario.links[index]
    hw = scenario.hardware
    fibre = hw[spec.fibre] if spec.fibre else schema.FibreHardware(kind="fibre")
    detector = hw[spec.detector] if spec.detector else schema.DetectorHardware(kind="detector")
    nodes = {n.name: n for n in scenario.nodes}
    arm_a_km = spec.length * spec.station_position
    try:
        hardware = LinkHardware(
            memory_a=_memory(scenario, nodes[spec.between[0]].memory),
            memory_b=_memory(scenario, nodes[spec.between[1]].memory),
            arm_a=Fibre(arm_a_km, fibre.attenuation, fibre.group_index),
            arm_b=Fibre(spec.length - arm_a_km, fibre.attenuation, fibre.group_index),
            detector=Detector(detector.efficiency, detector.dark_count_rate,
                              detector.dead_time, detector.jitter),
            detection_window_s=spec.detection_window,
            visibility=spec.visibility,
        )
        common = {"attempt_period_s": spec.attempt_period, "reset_time_s": spec.reset_time,
                  "modes": spec.modes}
        match spec:
            case schema.SingleClickLink():
                scheme: Any = SingleClickScheme(bright_state=spec.bright_state, **common)
            case schema.DoubleClickLink():
                scheme = DoubleClickScheme(round_gap_s=spec.round_gap, **common)
            case schema.MidpointSourceLink():
                src = hw[spec.source] if spec.source else schema.SourceHardware(kind="spdc")
                scheme = MidpointSourceScheme(
                    source=SPDCSource(mean_pairs_per_mode=src.mean_pairs, rate_hz=src.rate,
                                      thermal=src.statistics == "thermal"), **common)
        return scheme.compile(hardware)
    except ConfigError as exc:
        raise ConfigError(f"links[{index}].{exc.field}" if exc.field else f"links[{index}]",
                          exc.reason) from None


def _memory(scenario: schema.Scenario, name: str | None) -> QuantumMemory:
    spec = scenario.hardware[name] if name else schema.MemoryHardware(kind="memory")
    return QuantumMemory(t1_s=spec.t1, t2_s=spec.t2, efficiency=spec.efficiency,
                         raw_fidelity=spec.raw_fidelity)


def _memory_shares(scenario: schema.Scenario) -> dict[str, int]:
    """Memories each node gives to each of its links that does not ask for a number."""
    shares = {}
    for node in scenario.nodes:
        ends = [s for s in scenario.links if node.name in s.between]
        fixed = sum(s.memories for s in ends if s.memories)
        free = [s for s in ends if not s.memories]
        if fixed > node.memories:
            raise ConfigError(f"nodes[{node.name}].memories",
                              f"{node.memories} memories, but its links ask for {fixed}")
        shares[node.name] = max(1, (node.memories - fixed) // len(free)) if free else 0
    return shares
