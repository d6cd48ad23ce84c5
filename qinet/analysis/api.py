"""A loaded scenario run to its metrics, in wall-clock slices that a caller can watch.

The public entry point, which also takes preset names, files, YAML text and dicts, is
:func:`qinet.simulate` (``qinet/api.py``); this is the step below it.

The timeline is driven in slices of a budget of events sized to take about
:data:`SLICE_WALL_S` of wall time each, so a progress display is updated at a steady
pace whether simulated time runs fast or slowly, and a run can be stopped between two
slices (where the simulation is consistent) with its results so far. Slicing never
changes the numbers: the events run are the same, in the same order, with the same
random draws. The wall clock only sizes the slices; simulated time is the timeline's.
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
from qinet.units import ps_to_s

SLICE_WALL_S = 0.1  # a slice's wall-time target: ten display updates a second
FIRST_SLICE_EVENTS = 256  # until the pace of the run is known


@dataclass(frozen=True, slots=True)
class RunStatus:
    """Where a run stands after a slice.

    Attributes:
        done_s: simulated seconds run so far.
        total_s: simulated seconds the run lasts (the scenario's duration).
        events: events processed so far.
        wall_s: wall-clock seconds since the run started.
    """

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
        simulated_s: the simulated time actually run: below the duration asked for
            when interrupted, or when every entanglement demand had its pairs and there
            were no keys to make.
        requested_s: the duration the scenario asked for.
        served_s: when every entanglement demand had the pairs it asked for (``None``:
            not reached, or some demand asks for no number); the entanglement metrics
            count up to there.
        pairs: with ``keep_pairs``, per index in the scenario's demands, the arrays of
            every delivered pair: ``delivered_ps``, ``latency_ps``, ``fidelity``.
        notes: what in the scenario kept it from delivering, a line each (see
            :attr:`qinet.scenario.Simulation.notes`).
    """

    result: RunResult
    partial: bool
    simulated_s: float
    requested_s: float
    served_s: float | None = None
    pairs: dict[int, dict[str, NDArray[Any]]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


Watch = Callable[[RunStatus], object]


def run_scenario(
    scenario: Scenario, *, progress: Callable[[float, float], object] | None = None
) -> RunResult:
    """Run a validated scenario and summarise it.

    Args:
        scenario: the scenario, as :func:`qinet.scenario.load_scenario` returns it.
        progress: called with ``(done_s, total_s)`` of simulated time while running.

    Returns:
        The run's metrics; ``result.to_dict()`` is the stable JSON document.
    """
    def watch(status: RunStatus) -> None:
        if progress is not None:
            progress(status.done_s, status.total_s)

    return run_watched(scenario, watch=None if progress is None else watch).result


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
    timeline = sim.timeline
    end_ps = sim.end_ps
    partial = False
    sim.start()
    try:
        for _ in _slices(timeline, end_ps, slice_wall_s):
            if watch is not None:
                watch(RunStatus(ps_to_s(timeline.now_ps), scenario.duration,
                                timeline.events_processed, time.perf_counter() - started))
    except KeyboardInterrupt:
        partial = True
    # the clock stands at the end, where the run was interrupted, or where it stopped
    # because every demand had its pairs
    simulated_ps = max(min(timeline.now_ps, end_ps), 1)  # rates per second: never 0 s
    record = sim.finish()
    simulated_s = ps_to_s(simulated_ps)
    if simulated_s != scenario.duration:
        # the metrics' rates and their duration_s are per second actually simulated
        record.scenario = scenario.model_copy(update={"duration": simulated_s})
    pairs = {d.index: d.arrays for d in record.demands} if keep_pairs else {}
    served = sim.served_ps
    return ScenarioRun(summarize(record), partial, simulated_s, scenario.duration,
                       None if served is None else ps_to_s(served), pairs, tuple(sim.notes))


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


# the name under which `qinet run` imports it
simulate = run_scenario
