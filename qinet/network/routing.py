"""Path selection over the network graph.

Policies:

* ``shortest``: fewest fibre kilometres (Dijkstra on ``length_km``).
* ``hops``: fewest links.
* ``fidelity``: highest product of heralded link fidelities, i.e. Dijkstra on
  ``-ln F`` per link; swapping multiplies the Werner parameters of the links, so this
  maximises the end-to-end fidelity before memory decay.
* ``rate``: the path whose slowest link is fastest (widest path), Dijkstra on ``1/rate``
  as a tie-breaking sum.
* ``k-shortest``: the ``k`` shortest simple paths by length; the first one whose links all
  have memories to spare is used, the others are fallbacks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from itertools import islice, pairwise

import networkx as nx

from qinet.errors import ConfigError

POLICIES = ("shortest", "hops", "fidelity", "rate", "k-shortest")


def _weight(policy: str) -> str | Callable[[str, str, dict], float] | None:
    if policy in ("shortest", "k-shortest"):
        return "length_km"
    if policy == "hops":
        return None
    if policy == "fidelity":
        return lambda _a, _b, e: -math.log(max(e["fidelity"], 1e-300))
    if policy == "rate":
        return lambda _a, _b, e: 1.0 / max(e["rate_hz"], 1e-300)
    raise ConfigError("policy.routing", f"unknown routing {policy!r}; use one of "
                                        f"{', '.join(POLICIES)}")


def candidate_paths(graph: nx.Graph, a: str, b: str, *, policy: str = "shortest",
                    k: int = 3) -> list[list[str]]:
    """Paths from ``a`` to ``b``, best first (one path, or ``k`` for ``k-shortest``).

    Raises:
        ConfigError: no path joins the two nodes, or the policy is unknown.

    Examples:
        >>> g = nx.Graph()
        >>> g.add_edge("a", "b", length_km=1.0); g.add_edge("b", "c", length_km=1.0)
        >>> g.add_edge("a", "c", length_km=5.0)
        >>> candidate_paths(g, "a", "c")
        [['a', 'b', 'c']]
        >>> candidate_paths(g, "a", "c", policy="k-shortest", k=2)
        [['a', 'b', 'c'], ['a', 'c']]
    """
    weight = _weight(policy)
    try:
        if policy == "k-shortest":
            return list(islice(nx.shortest_simple_paths(graph, a, b, weight=weight), k))
        return [nx.shortest_path(graph, a, b, weight=weight)]
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        raise ConfigError("demands.between", f"no path joins {a} and {b}") from None


def choose_path(paths: Iterable[list[str]], has_room: Callable[[str, str], bool]) -> list[str]:
    """The first path whose every link ``has_room``; the first path if none has."""
    paths = list(paths)
    for path in paths:
        if all(has_room(x, y) for x, y in pairwise(path)):
            return path
    return paths[0]
