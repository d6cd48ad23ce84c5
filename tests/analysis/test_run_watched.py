"""Runs driven in wall-clock slices: the same numbers, partial results on interrupt."""

import pytest

from qinet.analysis.api import run_scenario, run_watched
from qinet.analysis.metrics import summarize
from qinet.scenario import Simulation, load_scenario, preset_path

PAIRS = """\
duration: 5 s
nodes: [{name: a}, {name: b}]
links: [{between: [a, b], length: 20 km, scheme: double-click}]
demands: [{kind: entanglement, between: [a, b], pairs: 25}]
"""

KEYS = """\
duration: 20 ms
nodes: [{name: a}, {name: b}]
links: [{between: [a, b], length: 20 km, scheme: qkd}]
demands: [{kind: qkd, protocol: bb84-decoy, between: [a, b], block_size: 10000}]
"""


@pytest.mark.parametrize(("preset", "duration"), [("metro-link", "100 ms"),
                                                  ("trusted-relay", "50 ms")])
def test_slicing_never_changes_the_numbers(preset, duration):
    scenario = load_scenario(preset_path(preset), duration=duration)
    whole = summarize(Simulation(scenario).run()).to_dict()
    statuses = []
    sliced = run_watched(scenario, watch=statuses.append, slice_wall_s=1e-5)
    assert sliced.result.to_dict() == whole
    assert not sliced.partial
    assert len(statuses) > 1
    events = [s.events for s in statuses]
    assert events == sorted(events)


def test_a_run_that_stops_early_reports_the_time_it_ran():
    out = run_watched(load_scenario(PAIRS))
    assert not out.partial
    assert out.result.demands[0].pairs == 25
    assert 0 < out.simulated_s < 5.0
    assert out.result.duration_s == out.simulated_s
    assert out.phases == {"entanglement": out.simulated_s}


def test_interrupt_in_the_key_phase_keeps_the_keys_so_far():
    scenario = load_scenario(KEYS)

    def watch(status):
        if status.phase == "keys":
            raise KeyboardInterrupt

    out = run_watched(scenario, watch=watch)
    assert out.partial
    assert set(out.phases) == {"entanglement", "keys"}
    assert out.simulated_s == out.phases["keys"] == out.result.duration_s
    assert out.simulated_s <= 0.02
    assert len(out.result.qkd_links) == 1


def test_interrupt_before_the_key_phase_leaves_it_out():
    def watch(status):
        raise KeyboardInterrupt

    out = run_watched(load_scenario(KEYS), watch=watch)
    assert out.partial
    assert set(out.phases) == {"entanglement"}
    assert out.result.qkd_links == []


def test_progress_reports_simulated_seconds_up_to_the_duration():
    calls = []
    result = run_scenario(load_scenario(preset_path("metro-link"), duration="50 ms"),
                          progress=lambda done, total: calls.append((done, total)))
    assert result.duration_s == 0.05
    assert calls[-1] == (0.05, 0.05)
    assert all(0 <= done <= total for done, total in calls)
