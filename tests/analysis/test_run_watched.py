"""Runs driven in wall-clock slices: the same numbers, partial results on interrupt."""

import pytest

from qinet.analysis import api
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
def test_slicing_never_changes_the_numbers(preset, duration, monkeypatch):
    monkeypatch.setattr(api, "FIRST_SLICE_EVENTS", 4)  # a short run still has slices
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
    assert out.result.duration_s == out.simulated_s == out.served_s


def test_with_keys_to_make_the_run_goes_on_after_the_pairs_are_served():
    both = PAIRS.replace("nodes: [{name: a}, {name: b}]",
                         "nodes: [{name: a}, {name: b}, {name: c}]").replace(
        "links: [", "links: [{between: [b, c], length: 20 km, scheme: qkd}, ").replace(
        "demands: [", "demands: [{kind: qkd, protocol: bb84-decoy, between: [b, c], "
                      "block_size: 10000}, ").replace("duration: 5 s", "duration: 100 ms")
    scenario = load_scenario(both)
    out = run_watched(scenario)
    alone = run_watched(load_scenario(PAIRS))
    assert out.served_s == alone.served_s < 0.1  # the same pairs, at the same time
    assert out.simulated_s == out.result.duration_s == 0.1
    pairs = next(d for d in out.result.demands if d.pairs)
    assert pairs.pairs == 25
    assert len(out.result.qkd_links) == 1


def test_an_interrupt_keeps_the_keys_so_far(monkeypatch):
    monkeypatch.setattr(api, "FIRST_SLICE_EVENTS", 1)
    scenario = load_scenario(KEYS)
    whole = run_watched(scenario)

    def watch(status):
        raise KeyboardInterrupt

    out = run_watched(scenario, watch=watch)
    assert out.partial
    assert out.simulated_s == out.result.duration_s < 0.02
    assert len(out.result.qkd_links) == 1
    assert out.result.qkd_links[0].pulses < whole.result.qkd_links[0].pulses


def test_progress_reports_simulated_seconds_up_to_the_duration():
    calls = []
    result = run_scenario(load_scenario(preset_path("metro-link"), duration="50 ms"),
                          progress=lambda done, total: calls.append((done, total)))
    assert result.duration_s == 0.05
    assert calls[-1] == (0.05, 0.05)
    assert all(0 <= done <= total for done, total in calls)
