"""A loaded scenario run to its metrics, in wall-clock slices that a caller can watch.

The public entry point, which also takes preset names, files, YAML text and dicts, is
:func:`qinet.simulate` (``qinet/api.py``); this is the step below it.

The timelines are driven in slices of a budget of events sized to take about
:data:`SLICE_WALL_S` of wall time each, so a progress display is updated at a steady
pace whether simulated time runs fast or slowly, and a run can be stopped between two
slices (where the simulation is consistent) with its results so far. Slicing never
changes the numbers: the events run are the same, in the same order, with the same
random draws. The wall clock only sizes the slices; simulated time is the timelines'.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from numpy.typing import NDArray

from qinet.analysis.metrics import RunResult, summarize
from qinet.kernel.timeline import Timeline
from qinet.scenario import Scenario, Simulation
from qinet.scenario.build import uses_network
from qinet.units import ps_to_s, s_to_ps

SLICE_WALL_S = 0.1  # a slice's wall-time target: ten display updates a second
FIRST_SLICE_EVENTS = 256  # until the pace of the run is known


@dataclass(frozen=True, slots=True)
class RunStatus:
    """Where a run stands after a slice.

    Attributes:
        phase: ``"entanglement"`` (the entanglement network's timeline) or ``"keys"``
            (the key network's), run one after the other over the same simulated span.
        done_s: simulated seconds of this phase run so far.
        total_s: simulated seconds the phase runs (the scenario's duration).
        events: events processed so far on both timelines.
        wall_s: wall-clock seconds since the run started.
    """

    phase: str
    done_s: float
    total_s: float
    events: int
    wall_s: float


@dataclass(frozen=True, slots=True)
class ScenarioRun:
    """A run's metrics and how much of it ran.

    Attributes:
        result: the metrics; ``result.duration_s`` is the simulated time actually run.
        partial: the run was interrupted before its end (the watcher raised
            ``KeyboardInterrupt``).
        simulated_s: the simulated time actually run (the key network's when the
            scenario has QKD links, else the entanglement network's); below the
            duration asked for when interrupted, or when every demand had its pairs.
        requested_s: the duration the scenario asked for.
        phases: simulated seconds each phase ran (``entanglement``, ``keys``); a phase
            that did not start is left out.
        pairs: with ``keep_pairs``, per index in the scenario's demands, the arrays of
            every delivered pair: ``delivered_ps``, ``latency_ps``, ``fidelity``.
    """

    result: RunResult
    partial: bool
    simulated_s: float
    requested_s: float
    phases: dict[str, float]
    pairs: dict[int, dict[str, NDArray[Any]]] = field(default_factory=dict)


Watch = Callable[[RunStatus], object]


def run_scenario(
    scenario: Scenario, *, progress: Callable[[float, float], object] | None = None
) -> RunResult:
    """Run a validated scenario and summarise it.

    Args:
        scenario: the scenario, as :func:`qinet.scenario.load_scenario` returns it.
        progress: called with ``(done_s, total_s)`` of simulated time while running;
            with both an entanglement and a key network, the first half of ``total_s``
            is the entanglement network's and the second the key network's.

    Returns:
        The run's metrics; ``result.to_dict()`` is the stable JSON document.
    """
    watch = None if progress is None else _progress_watch(scenario, progress)
    return run_watched(scenario, watch=watch).result


def run_watched(scenario: Scenario, *, watch: Watch | None = None,
                slice_wall_s: float = SLICE_WALL_S, keep_pairs: bool = False) -> ScenarioRun:
    """Run a validated scenario in wall-clock slices, calling ``watch`` after each.

    Args:
        scenario: the scenario, as :func:`qinet.scenario.load_scenario` returns it.
        watch: called with a :class:`RunStatus` after every slice; if it raises
            ``KeyboardInterrupt`` the run stops there and its results so far are
            summarised (``partial`` is then true).
        slice_wall_s: the wall time a slice aims at, in s.
        keep_pairs: keep every delivered pair's record and return them in
            ``ScenarioRun.pairs`` (memory grows with the run); off, the demands keep
            streaming statistics only.

    Returns:
        The metrics and how much of the run ran.
    """
    started = time.perf_counter()
    sim = Simulation(scenario, keep_pairs=keep_pairs)
    end_ps = s_to_ps(scenario.duration)
    has_keys = bool(sim.key_network.links)
    phases: dict[str, float] = {}
    partial = False

    def events() -> int:
        return sim.timeline.events_processed + sim.key_timeline.events_processed

    def slices(phase: str, timeline: Timeline) -> None:
        for _ in _slices(timeline, end_ps, slice_wall_s):
            if watch is not None:
                watch(RunStatus(phase, ps_to_s(timeline.now_ps), scenario.duration,
                                events(), time.perf_counter() - started))

    sim.network.start()
    try:
        slices("entanglement", sim.timeline)
    except KeyboardInterrupt:
        partial = True
    served = sim.timeline.stopped and not partial  # every demand has its pairs
    ent_ps = sim.timeline.now_ps if (partial or served) else end_ps
    phases["entanglement"] = ps_to_s(ent_ps)
    record = sim.record(max(ent_ps, 1))  # rates are per simulated second: never 0 s
    simulated_ps = ent_ps
    if has_keys and not partial:
        sim.key_network.start()
        try:
            slices("keys", sim.key_timeline)
        except KeyboardInterrupt:
            partial = True
        simulated_ps = min(sim.key_timeline.now_ps, end_ps) if partial else end_ps
        phases["keys"] = ps_to_s(simulated_ps)
        record.keys = sim.key_network.finish()
    simulated_s = ps_to_s(max(simulated_ps, 1))
    if simulated_s != scenario.duration:
        # the metrics' rates and their duration_s are per second actually simulated
        record.scenario = scenario.model_copy(update={"duration": simulated_s})
    pairs = {d.index: d.arrays for d in record.demands} if keep_pairs else {}
    return ScenarioRun(summarize(record), partial, simulated_s, scenario.duration, phases,
                       pairs)


def _slices(timeline: Timeline, end_ps: int, slice_wall_s: float) -> Iterator[None]:
    """Run ``timeline`` to ``end_ps`` (or until it is stopped) a budget of events at a
    time, yielding after each; the budget follows the events run per wall second."""
    budget = FIRST_SLICE_EVENTS
    while True:
        before = timeline.events_processed
        tic = time.perf_counter()
        timeline.run(until_ps=end_ps, max_events=budget)
        wall = time.perf_counter() - tic
        done = timeline.events_processed - before
        yield
        if done < budget or timeline.stopped:
            return  # the clock reached end_ps, or the network stopped the run
        # aim the next slice at slice_wall_s, growing or shrinking at most tenfold
        pace = done / max(wall, 1e-6)
        budget = max(1, min(10 * budget, max(budget // 10, int(pace * slice_wall_s))))


def _progress_watch(scenario: Scenario,
                    progress: Callable[[float, float], object]) -> Watch:
    """A watcher that reports ``(done_s, total_s)`` as :func:`run_scenario` documents."""
    duration = scenario.duration
    has_keys = any(link.scheme == "qkd" for link in scenario.links)
    has_pairs = any(uses_network(demand) for demand in scenario.demands)
    share = 0.5 if has_keys and has_pairs else float(not has_keys)

    def watch(status: RunStatus) -> None:
        if status.phase == "entanglement":
            progress(share * status.done_s, duration)
        else:
            progress(share * duration + (1 - share) * status.done_s, duration)

    return watch


# the name under which `qinet run` imports it
simulate = run_scenario
