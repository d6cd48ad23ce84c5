"""Routing policies on a small graph whose best path differs by criterion."""

from itertools import pairwise

import networkx as nx
import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.network.routing import Router, candidate_paths, choose_path


@pytest.fixture
def graph():
    # a-b-d: short but poor links; a-c-d: longer, high fidelity, fast
    g = nx.Graph()
    g.add_edge("a", "b", length_km=5.0, fidelity=0.80, rate_hz=10.0)
    g.add_edge("b", "d", length_km=5.0, fidelity=0.80, rate_hz=10.0)
    g.add_edge("a", "c", length_km=20.0, fidelity=0.99, rate_hz=1000.0)
    g.add_edge("c", "d", length_km=20.0, fidelity=0.99, rate_hz=1000.0)
    g.add_edge("a", "d", length_km=60.0, fidelity=0.5, rate_hz=1.0)
    return g


@pytest.mark.parametrize(("policy", "expected"), [
    ("shortest", ["a", "b", "d"]),
    ("fidelity", ["a", "c", "d"]),
    ("rate", ["a", "c", "d"]),
    ("hops", ["a", "d"]),
])
def test_each_policy_picks_its_best_path(graph, policy, expected):
    assert candidate_paths(graph, "a", "d", policy=policy) == [expected]


def test_k_shortest_falls_back_to_a_path_with_room(graph):
    paths = candidate_paths(graph, "a", "d", policy="k-shortest", k=3)
    assert paths == [["a", "b", "d"], ["a", "c", "d"], ["a", "d"]]
    full = {frozenset(("a", "b"))}
    assert choose_path(paths, lambda x, y: frozenset((x, y)) not in full) == ["a", "c", "d"]
    assert choose_path(paths, lambda x, y: False) == ["a", "b", "d"]


def test_unknown_policy_and_missing_path_are_config_errors(graph):
    graph.add_node("island")
    with pytest.raises(ConfigError, match="no path joins a and island"):
        candidate_paths(graph, "a", "island")
    with pytest.raises(ConfigError, match=r"policy\.routing"):
        candidate_paths(graph, "a", "d", policy="teleport")


def _random_graph(rng, n_nodes, n_edges, rates):
    g = nx.Graph()
    g.add_nodes_from(range(n_nodes))
    while g.number_of_edges() < min(n_edges, n_nodes * (n_nodes - 1) // 2):
        u, v = rng.choice(n_nodes, size=2, replace=False)
        g.add_edge(int(u), int(v), length_km=1.0, fidelity=0.9, rate_hz=float(rng.choice(rates)))
    return g


def _rank(graph, path):
    """Widest first, then fewest hops, then the smallest sum of 1/rate."""
    rates = [graph.edges[x, y]["rate_hz"] for x, y in pairwise(path)]
    return (-min(rates), len(rates), sum(1.0 / r for r in rates))


@pytest.mark.parametrize("rates", [
    np.linspace(1.0, 1000.0, 997),          # nearly all rates distinct
    np.array([1.0, 10.0, 100.0, 1000.0]),   # many ties: the tie-breaks decide
])
def test_rate_routing_matches_a_brute_force_bottleneck_search(rates):
    rng = np.random.default_rng(20261206)
    checked = 0
    for _ in range(200):
        n = int(rng.integers(4, 9))
        graph = _random_graph(rng, n, int(rng.integers(n, 2 * n + 1)), rates)
        if not nx.has_path(graph, 0, n - 1):
            continue
        simple = list(nx.all_simple_paths(graph, 0, n - 1))
        best = min(_rank(graph, p) for p in simple)
        [path] = candidate_paths(graph, 0, n - 1, policy="rate")
        assert path in simple
        assert _rank(graph, path)[:2] == best[:2]
        assert _rank(graph, path)[2] == pytest.approx(best[2], rel=1e-12)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("policy", ["shortest", "fidelity", "hops", "rate", "k-shortest"])
@pytest.mark.parametrize("lengths", [
    "distinct",   # random lengths: the shortest path is unique, the compiled search serves
    "ties",       # lengths from {1, 2, 3}: equal paths abound, networkx breaks the ties
])
def test_router_gives_every_demand_the_path_candidate_paths_gives(policy, lengths):
    rng = np.random.default_rng(7)
    for trial in range(6):
        graph = nx.gnm_random_graph(60, 150, seed=trial)
        graph.add_node(60)  # an island: no path
        for u, v in graph.edges:
            graph.edges[u, v].update(
                length_km=float(rng.uniform(1.0, 10.0) if lengths == "distinct"
                                else rng.choice([1.0, 2.0, 3.0])),
                fidelity=float(rng.uniform(0.8, 1.0) if lengths == "distinct"
                               else rng.choice([0.9, 0.95])),
                rate_hz=float(rng.choice([10.0, 100.0])))
        router = Router(graph, policy=policy, k=2)
        for a, b in rng.choice(61, size=(40, 2)):
            a, b = int(a), int(b)
            try:
                expected = candidate_paths(graph, a, b, policy=policy, k=2)
            except ConfigError as exc:
                with pytest.raises(ConfigError, match=exc.reason):
                    router.paths(a, b)
                continue
            assert router.paths(a, b) == expected


def test_router_refuses_an_unknown_policy(graph):
    with pytest.raises(ConfigError, match=r"policy\.routing"):
        Router(graph, policy="teleport")
