"""What a demand is served: requests at its rate, latency from request to delivery."""

from itertools import pairwise

import numpy as np
import pytest

import qinet
from qinet.scenario import Simulation, load_scenario

from .conftest import chain_scenario


def _run(data):
    sim = Simulation(load_scenario(data))
    return sim, sim.run()


def _path_delay_ps(sim, path):
    return sum(sim.network.graph.edges[x, y]["delay_ps"] for x, y in pairwise(path))


def test_rated_latency_on_one_link_is_signalling_plus_geometric_waiting():
    # Requests every 5 ms on a link that makes a pair in about 0.3 ms: the memory pair is
    # parked when a request arrives, starts then, and the pair is delivered after K
    # attempts (K geometric) once both nodes know: latency = t_d + (K - 1) T.
    data = chain_scenario(1, length_km=10.0, efficiency=0.8, attempt_period=None,
                          duration="5 s", demands=[
                              {"kind": "entanglement", "between": ["n0", "n1"],
                               "rate": "200 Hz", "min_fidelity": 0.0}])
    sim, record = _run(data)
    demand = record.demands[0]
    model = sim.links[frozenset(("n0", "n1"))].model
    t, p = model.timing, model.success_probability
    latency = demand.arrays["latency_ps"].astype(float)
    n = latency.size
    assert n >= 990  # 1001 requests in 5 s, the last few maybe still waiting
    assert n <= demand.requests == 1001
    mean = t.delivered_ps + (1 / p - 1) * t.period_ps
    std = t.period_ps * np.sqrt(1 - p) / p
    assert abs(latency.mean() - mean) < 5 * std / np.sqrt(n)
    # never below the one-way signalling delay, and the shortest is one attempt
    assert latency.min() >= _path_delay_ps(sim, ["n0", "n1"])
    assert latency.min() == t.delivered_ps
    # the link was asked for one pair per request, no more
    assert sim.links[frozenset(("n0", "n1"))].successes == n


def test_pairs_beyond_the_requests_are_not_delivered():
    # capacity far above the rate: every request served, none missed, no window short
    data = chain_scenario(1, efficiency=0.8, duration="2 s", demands=[
        {"kind": "entanglement", "between": ["n0", "n1"], "rate": "50 Hz",
         "min_fidelity": 0.0}])
    result = qinet.simulate(data)
    demand = result.demands[0]
    assert demand.requests == 101
    assert demand.pairs <= demand.requests
    assert demand.pairs + demand.unserved_requests == demand.requests
    assert demand.pairs >= 100
    assert demand.rate_hz == pytest.approx(demand.pairs / 2.0)
    assert demand.outage_probability == 0.0
    # the greedy demand on the same link takes hundreds of times more
    greedy = qinet.simulate(chain_scenario(1, efficiency=0.8, duration="2 s"))
    assert greedy.demands[0].pairs > 100 * demand.pairs


def test_outage_is_certain_when_the_rate_is_far_beyond_capacity():
    data = chain_scenario(1, efficiency=0.6, duration="1 s", demands=[
        {"kind": "entanglement", "between": ["n0", "n1"], "rate": "1 MHz",
         "window": "10 ms", "min_fidelity": 0.0}])
    demand = qinet.simulate(data).demands[0]
    assert demand.requests == 1_000_001
    assert demand.pairs < demand.requests / 10
    assert demand.pairs + demand.unserved_requests == demand.requests
    assert demand.outage_probability == 1.0


@pytest.mark.parametrize("policy", [{}, {"swapping": "nested"}])
def test_a_rated_chain_serves_each_request_once_and_never_early(policy):
    data = chain_scenario(4, length_km=5.0, efficiency=0.8, attempt_period=None, memories=2,
                          duration="1 s", policy=policy, demands=[
                              {"kind": "entanglement", "between": ["n0", "n4"],
                               "rate": "40 Hz", "min_fidelity": 0.0}])
    sim, record = _run(data)
    demand = record.demands[0]
    delivered = demand.arrays["delivered_ps"]
    assert demand.requests == 41
    assert 0 < delivered.size <= demand.requests
    # first in first out: request k (at k × 25 ms) is served by the k-th pair
    requested = np.arange(delivered.size) * 25_000_000_000
    assert np.array_equal(demand.arrays["latency_ps"], delivered - requested)
    assert np.all(delivered - requested >= _path_delay_ps(sim, sim.network.demands[0].path))


def test_greedy_latency_runs_from_the_first_attempt_and_exceeds_the_path_delay():
    data = chain_scenario(4, length_km=20.0, efficiency=0.9, attempt_period=None,
                          duration="200 ms")
    sim, record = _run(data)
    latency = record.demands[0].arrays["latency_ps"]
    gaps = np.diff(record.demands[0].arrays["delivered_ps"])
    assert latency.size > 10
    assert latency.min() >= _path_delay_ps(sim, sim.network.demands[0].path)
    # not the gap between deliveries, which may be far shorter
    assert np.median(latency) > np.median(gaps)


def test_a_demand_for_pairs_reports_its_completion_and_its_rate_while_active():
    # a second, open-ended demand keeps the run going after the first has its pairs
    data = chain_scenario(1, efficiency=0.8, memories=2, duration="1 s", demands=[
        {"kind": "entanglement", "between": ["n0", "n1"], "pairs": 50, "window": "1 ms"},
        {"kind": "entanglement", "between": ["n0", "n1"]}])
    fixed, open_ended = qinet.simulate(data).demands
    assert fixed.pairs == 50
    assert 0 < fixed.completion_time_s < 0.1
    assert fixed.active_s == fixed.completion_time_s
    assert fixed.rate_hz == pytest.approx(50 / fixed.completion_time_s)
    # windows only while it was active: not an outage for every window after
    assert fixed.outage_probability is not None
    assert fixed.outage_probability < 0.5
    assert open_ended.completion_time_s is None
    assert open_ended.active_s == 1.0


@pytest.mark.parametrize("links", [1, 3])
def test_links_make_no_pair_beyond_the_requests_but_the_first_tries(links):
    # four memory pairs per link all start at once; after that, a request wakes one
    data = chain_scenario(links, length_km=5.0, efficiency=0.8, attempt_period=None,
                          memories=4, duration="1 s", demands=[
                              {"kind": "entanglement", "between": ["n0", f"n{links}"],
                               "rate": "50 Hz", "min_fidelity": 0.0}])
    _, record = _run(data)
    demand = record.demands[0]
    assert demand.stats.count == 50  # requests at 0, 20, ..., 980 ms; the last served
    for link in record.links:
        assert demand.stats.count <= link.successes <= demand.requests + 3


@pytest.mark.parametrize("mode", ["fast-forward", "detailed"])
def test_with_purification_a_pair_finished_early_waits_for_its_request(mode):
    # memory pairs purify in parallel and may finish several end-to-end pairs at once;
    # the surplus waits in memory for the next request instead of being handed over
    data = chain_scenario(2, length_km=5.0, efficiency=0.8, attempt_period=None, memories=4,
                          duration="300 ms",
                          policy={"purification": {"scheme": "dejmps", "rounds": 1}},
                          demands=[{"kind": "entanglement", "between": ["n0", "n2"],
                                    "rate": "100 Hz", "min_fidelity": 0.0}])
    data["mode"] = mode
    _, record = _run(data)
    demand = record.demands[0]
    delivered = demand.arrays["delivered_ps"]
    assert demand.requests == 31
    assert 25 <= delivered.size <= demand.requests
    requested = np.arange(delivered.size) * 10_000_000_000
    assert np.all(delivered >= requested)  # never before its request


@pytest.mark.parametrize("load", [0.3, 0.9])
def test_a_rated_demand_that_falls_behind_restarts_its_parked_memory_pairs(load):
    # Four memory pairs, requests at a share of what they make greedily. When requests
    # bunch up, the pairs parked while every request was covered must start again; if
    # only the memory pair woken by a request worked, the demand would fall behind for
    # good (it then kept about 84 % of its requests at any load).
    kw = {"length_km": 10.0, "efficiency": 0.5, "attempt_period": None, "memories": 4,
          "duration": "2 s"}
    capacity_hz = qinet.simulate(chain_scenario(1, **kw)).demands[0].rate_hz
    demand = qinet.simulate(chain_scenario(1, **kw, demands=[
        {"kind": "entanglement", "between": ["n0", "n1"], "rate": f"{load * capacity_hz} Hz",
         "min_fidelity": 0.0}])).demands[0]
    assert demand.requests == pytest.approx(2.0 * load * capacity_hz, abs=1)
    # all served but those asked in the last moments (a few latencies of ~0.6 ms)
    assert demand.requests - 10 <= demand.pairs <= demand.requests


def test_a_demand_beyond_capacity_costs_no_event_per_request():
    # a million requests a second on a link that makes ~18k pairs: the demand always
    # wants, parks nothing, and so is never woken at a request; the run's events are
    # the link's heralds (one per pair) and nothing per request
    data = chain_scenario(1, efficiency=0.6, duration="1 s", demands=[
        {"kind": "entanglement", "between": ["n0", "n1"], "rate": "1 MHz",
         "min_fidelity": 0.0}])
    _, record = _run(data)
    pairs = int(record.demands[0].arrays["fidelity"].size)
    assert pairs > 1000
    assert record.events <= pairs + 10
