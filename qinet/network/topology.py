"""The network as a graph: nodes, and links with the figures routing needs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx

from qinet.errors import ConfigError


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """What routing and the classical plane know about one link.

    Attributes:
        name: the link's name.
        length_km: fibre length between its nodes.
        delay_ps: one-way classical message delay between its nodes.
        rate_hz: expected pairs per second of the whole link.
        fidelity: fidelity of its pairs when heralded.
    """

    name: str
    length_km: float
    delay_ps: int
    rate_hz: float
    fidelity: float


def build_graph(nodes: list[str], links: dict[tuple[str, str], LinkInfo]) -> nx.Graph[str]:
    """An undirected graph with a :class:`LinkInfo` on every edge (attribute ``info``).

    Edge attributes ``length_km``, ``delay_ps``, ``rate_hz`` and ``fidelity`` are copied
    out for networkx's weighted algorithms.

    Examples:
        >>> g = build_graph(["a", "b"], {("a", "b"): LinkInfo("a-b", 10.0, 48_974_000, 100.0, 0.9)})
        >>> g.edges["a", "b"]["length_km"]
        10.0
    """
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(nodes)
    for (a, b), info in links.items():
        if a not in graph or b not in graph:
            raise ConfigError("links", f"link {info.name} joins unknown nodes {a!r}, {b!r}")
        graph.add_edge(a, b, info=info, length_km=info.length_km, delay_ps=info.delay_ps,
                       rate_hz=info.rate_hz, fidelity=info.fidelity)
    return graph


def path_delays_ps(graph: nx.Graph[str], path: list[str]) -> list[int]:
    """Cumulative classical delay from ``path[0]`` to each node of ``path``.

    Messages between two nodes of a path travel along the path's fibres, so the delay
    from node i to node j is ``cum[j] - cum[i]`` (for j > i).
    """
    cumulative = [0]
    for a, b in itertools.pairwise(path):
        cumulative.append(cumulative[-1] + graph.edges[a, b]["delay_ps"])
    return cumulative
