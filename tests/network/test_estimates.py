"""The network layer's closed-form estimates against their formulas and a simulated run."""

import math
from itertools import pairwise

import numpy as np
import pytest

from qinet.network.estimates import (
    estimate_path,
    link_figures,
    swapped_weights,
    werner_swap_fidelity,
)
from qinet.network.policy import NodeOperations
from qinet.physical.memories import QuantumMemory
from qinet.quantum.states import werner_weights
from qinet.scenario import Simulation, load_scenario

from .conftest import chain_scenario


def _werner(f):
    return werner_weights(f).reshape(1, 4)


@pytest.mark.parametrize("fidelities", [[0.9, 0.9], [0.95, 0.8, 0.99], [1.0, 0.7]])
def test_ideal_swaps_of_werner_pairs_follow_the_product_of_werner_parameters(fidelities):
    # Dür et al. 1999: F = 1/4 + 3/4 prod (4 F_i - 1)/3
    out = swapped_weights([_werner(f) for f in fidelities],
                          [NodeOperations()] * (len(fidelities) - 1))
    assert out[0, 0] == pytest.approx(werner_swap_fidelity(fidelities), abs=1e-12)


def test_gate_noise_depolarises_the_swapped_pair():
    # two-qubit depolarising p on the measured qubits depolarises the output with p:
    # F' = (1 - p) F + p / 4
    p, f = 0.05, werner_swap_fidelity([0.9, 0.9])
    out = swapped_weights([_werner(0.9)] * 2, [NodeOperations(gate_depolarizing=p)])
    assert out[0, 0] == pytest.approx((1 - p) * f + p / 4, abs=1e-12)


def test_estimate_of_a_swap_chain_without_waits_is_the_werner_product():
    from qinet.network.estimates import LinkFigures

    w = tuple(float(x) for x in werner_weights(0.92))
    links = [LinkFigures(1000.0, w, (0.0, 0.0), 0.0), LinkFigures(500.0, w, (0.0, 0.0), 0.0)]
    ops = [NodeOperations(), NodeOperations(swap_success=0.5), NodeOperations()]
    est = estimate_path(["a", "r", "b"], links, [QuantumMemory(t2_s=1.0)] * 3, ops)
    assert est.fidelity == pytest.approx(werner_swap_fidelity([0.92, 0.92]), abs=1e-12)
    assert est.rate_hz == pytest.approx(250.0)  # slowest link times swap success
    assert est.bottleneck == "r-b"
    assert est.latency_s == 0.0  # links that succeed at once, with no delays


def _estimate(data, path):
    """The estimator's figures for ``path`` of the scenario, from its built links."""
    sim = Simulation(load_scenario(data))
    network = sim.network
    figures = []
    for x, y in pairwise(path):
        edge = network.graph.edges[x, y]
        link = sim.links[frozenset((x, y))]
        figures.append(link_figures(link, rate_hz=edge["rate_hz"], delay_ps=edge["delay_ps"],
                                    forward=link.node_a.name == x))
    return estimate_path(path, figures, [network.memories[v] for v in path],
                         [network.operations[v] for v in path])


def test_one_link_rate_and_fidelity_match_a_simulated_run():
    # a greedy demand on one link: pairs at the renewal rate of the link's memory pairs,
    # each heralded pair decayed over its storage until both nodes know it
    data = chain_scenario(1, length_km=5.0, efficiency=0.8, attempt_period=None,
                          memories=2, t2="50 ms", raw_fidelity=0.97, duration="1 s")
    estimate = _estimate(data, ["n0", "n1"])
    sim = Simulation(load_scenario(data))
    demand = sim.run().demands[0]
    n = demand.arrays["fidelity"].size
    # a renewal count's variance is below Poisson's (geometric waits plus a fixed
    # turnaround): 5 sqrt(N) is a bound of more than 5 sigma
    assert abs(n - estimate.rate_hz * 1.0) < 5 * math.sqrt(estimate.rate_hz)
    fidelity = demand.arrays["fidelity"]
    # one link: every pair waits exactly its storage; the estimate is exact
    assert fidelity.mean() == pytest.approx(estimate.fidelity, abs=1e-9)


def test_swapped_fidelity_bounds_and_matches_a_two_link_run():
    # long T2: the waits for the other link cost under 1e-4 of fidelity, so the mean
    # delivered fidelity sits just under the estimate
    data = chain_scenario(2, length_km=2.0, efficiency=0.8, attempt_period=None, memories=2,
                          t2="100 s", raw_fidelity=0.95, duration="0.3 s",
                          node_ops={"gate_error": 0.02})
    estimate = _estimate(data, ["n0", "n1", "n2"])
    demand = Simulation(load_scenario(data)).run().demands[0]
    fidelity = demand.arrays["fidelity"]
    assert fidelity.size > 1000
    assert np.all(fidelity <= estimate.fidelity + 1e-12)
    assert fidelity.mean() == pytest.approx(estimate.fidelity, abs=1e-4)
    # the rate bound: one pair of each link per end-to-end pair; memories that hold a
    # pair waiting for the other link do not try, so the chain delivers less
    assert fidelity.size / 0.3 <= estimate.rate_hz


def test_idle_latency_of_two_links_is_the_mean_of_the_later_geometric():
    # same period T and herald h: E[max K] = 1/p1 + 1/p2 - 1/(1 - q1 q2)
    from qinet.network.estimates import LinkFigures, idle_latency_s

    t, h = 1e-3, 4e-3
    one = LinkFigures(1.0, (1, 0, 0, 0), (0, 0), 0.0, 0.3, t, h)
    two = LinkFigures(1.0, (1, 0, 0, 0), (0, 0), 0.0, 0.05, t, h)
    expected_k = 1 / 0.3 + 1 / 0.05 - 1 / (1 - 0.7 * 0.95)
    assert idle_latency_s([one, two]) == pytest.approx(h + (expected_k - 1) * t, rel=1e-9)
    assert idle_latency_s([one]) == pytest.approx(h + (1 / 0.3 - 1) * t, rel=1e-12)


@pytest.mark.parametrize("n_links", [1, 2])
def test_latency_at_low_load_matches_a_simulated_run(n_links):
    # requests every 10 ms, pairs made in well under 1 ms: each request finds its links
    # idle. Tolerance: 5 standard errors of the measured mean.
    data = chain_scenario(n_links, length_km=5.0, efficiency=0.8, attempt_period=None,
                          memories=1, duration="3 s", demands=[
                              {"kind": "entanglement", "between": ["n0", f"n{n_links}"],
                               "rate": "100 Hz", "min_fidelity": 0.0}])
    path = [f"n{i}" for i in range(n_links + 1)]
    estimate = _estimate(data, path)
    latency_s = Simulation(load_scenario(data)).run().demands[0].arrays["latency_ps"] * 1e-12
    assert latency_s.size > 290
    error = latency_s.std(ddof=1) / math.sqrt(latency_s.size)
    assert abs(latency_s.mean() - estimate.latency_s) < 5 * error
