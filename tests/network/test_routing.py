"""Routing policies on a small graph whose best path differs by criterion."""

import networkx as nx
import pytest

from qinet.errors import ConfigError
from qinet.network.routing import candidate_paths, choose_path


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
