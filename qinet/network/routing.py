"""Path selection over the network graph.

Policies:

* ``shortest``: fewest fibre kilometres (Dijkstra on ``length_km``).
* ``hops``: fewest links.
* ``fidelity``: highest product of heralded link fidelities, i.e. Dijkstra on
  ``-ln F`` per link; swapping multiplies the Werner parameters of the links, so this
  maximises the end-to-end fidelity before memory decay.
* ``rate``: the widest path, whose slowest link is fastest (the pairs of a chain come no
  faster than its slowest link delivers them). Among equally wide paths the one with
  fewest links wins, then the one with the smallest sum of ``1/rate`` (least time
  waiting on the links).
* ``k-shortest``: the ``k`` shortest simple paths by length; the first one whose links all
  have memories to spare is used, the others are fallbacks.

:class:`Router` routes many demands over one graph: for ``shortest`` and ``fidelity`` it
runs one compiled single-source search per source (scipy's Dijkstra on an index graph)
instead of networkx's Python search per demand, and gives the same path as
:func:`candidate_paths`: it takes the search's path only when that path is the unique
shortest one by a clear margin, and asks networkx otherwise (ties, where the two
searches may break them differently).
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from itertools import islice, pairwise
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from qinet.errors import ConfigError

POLICIES = ("shortest", "hops", "fidelity", "rate", "k-shortest")


def _weight(policy: str) -> str | Callable[[str, str, Any], float] | None:
    if policy in ("shortest", "k-shortest"):
        return "length_km"
    if policy == "hops":
        return None
    if policy == "fidelity":
        return lambda _a, _b, e: -math.log(max(e["fidelity"], 1e-300))
    if policy == "rate":
        return _inverse_rate
    raise ConfigError("policy.routing", f"unknown routing {policy!r}; use one of "
                                        f"{', '.join(POLICIES)}")


def candidate_paths(graph: nx.Graph[str], a: str, b: str, *, policy: str = "shortest",
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
        if policy == "rate":
            return [widest_path(graph, a, b)]
        return [nx.shortest_path(graph, a, b, weight=weight)]
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        raise ConfigError("demands.between", f"no path joins {a} and {b}") from None


def widest_path(graph: nx.Graph[str], a: str, b: str) -> list[str]:
    """The path from ``a`` to ``b`` that maximises its smallest link ``rate_hz``.

    Three steps, each exact: the widest bottleneck ``B`` by Dijkstra on the bottleneck
    (a max-heap of the narrowest link so far, correct because extending a path never
    widens it); then, on the links at least ``B`` wide, the fewest hops ``H`` by
    breadth-first search from both ends; then, on the links that lie on some ``H``-hop
    path (directed away from ``a``), the smallest sum of ``1/rate``. A lexicographic
    Dijkstra in one pass would be wrong: two labels that tie on the bottleneck after an
    edge can have been ordered by it before.

    Raises:
        networkx.NodeNotFound: ``a`` or ``b`` is not in the graph.
        networkx.NetworkXNoPath: nothing joins them.

    Examples:
        >>> g = nx.Graph()
        >>> g.add_edge("a", "b", rate_hz=5.0); g.add_edge("b", "c", rate_hz=5.0)
        >>> g.add_edge("a", "x", rate_hz=100.0); g.add_edge("x", "y", rate_hz=4.0)
        >>> g.add_edge("y", "c", rate_hz=100.0)
        >>> widest_path(g, "a", "c")
        ['a', 'b', 'c']
    """
    for node in (a, b):
        if node not in graph:
            raise nx.NodeNotFound(f"node {node} not in graph")
    if a == b:
        return [a]
    width = _widest_bottleneck(graph, a, b)
    wide: nx.Graph[str] = nx.Graph()
    wide.add_nodes_from(graph)
    wide.add_edges_from((u, v, e) for u, v, e in graph.edges(data=True)
                        if e["rate_hz"] >= width)
    from_a = nx.single_source_shortest_path_length(wide, a)
    to_b = nx.single_source_shortest_path_length(wide, b)
    hops = from_a[b]
    fewest: nx.DiGraph[str] = nx.DiGraph()
    for u, v, e in wide.edges(data=True):
        for x, y in ((u, v), (v, u)):
            if x in from_a and y in to_b and from_a[x] + 1 + to_b[y] == hops:
                fewest.add_edge(x, y, **e)
    return nx.shortest_path(fewest, a, b, weight=_inverse_rate)


def _widest_bottleneck(graph: nx.Graph[str], a: str, b: str) -> float:
    """The largest smallest ``rate_hz`` over the paths from ``a`` to ``b`` (pairs/s)."""
    best = {a: math.inf}
    heap = [(-math.inf, a)]
    done = set()
    while heap:
        negative, node = heapq.heappop(heap)
        if node in done:
            continue
        if node == b:
            return -negative
        done.add(node)
        for other, edge in graph[node].items():
            width = min(-negative, edge["rate_hz"])
            if other not in done and width > best.get(other, -math.inf):
                best[other] = width
                heapq.heappush(heap, (-width, other))
    raise nx.NetworkXNoPath(f"no path joins {a} and {b}")


def _inverse_rate(_a: str, _b: str, edge: Any) -> float:  # edge: networkx's attribute dict
    return 1.0 / max(float(edge["rate_hz"]), 1e-300)


def choose_path(paths: Iterable[list[str]], has_room: Callable[[str, str], bool]) -> list[str]:
    """The first path whose every link ``has_room``; the first path if none has."""
    paths = list(paths)
    for path in paths:
        if all(has_room(x, y) for x, y in pairwise(path)):
            return path
    return paths[0]


# A path is taken from the compiled search only if every other way into each of its
# nodes is longer by this share of the distance: far above the rounding of any sum of
# link weights, so networkx's search, which adds them in another order, finds it too.
_TIE_RTOL = 1e-9
_CACHED_SOURCES = 16  # single-source results kept (a distance and a predecessor array)


class Router:
    """Routes demands over one graph that does not change while it routes.

    :meth:`paths` gives what :func:`candidate_paths` gives. For ``shortest`` and
    ``fidelity`` routing with positive weights on every link, the graph is indexed once
    and each source is searched once (the last few are kept, so demands that share a
    source share the search); every other policy, and every path that ties, is left to
    :func:`candidate_paths`.

    Args:
        graph: the network graph.
        policy: a routing policy (see the module docstring).
        k: candidate paths for ``k-shortest``.

    Examples:
        >>> g = nx.Graph()
        >>> g.add_edge("a", "b", length_km=1.0); g.add_edge("b", "c", length_km=1.5)
        >>> g.add_edge("a", "c", length_km=5.0)
        >>> Router(g, policy="shortest").paths("a", "c")
        [['a', 'b', 'c']]
    """

    __slots__ = ("_graph", "_index", "_indices", "_indptr", "_k", "_matrix", "_names",
                 "_policy", "_searched", "_weights")

    def __init__(self, graph: nx.Graph[str], *, policy: str = "shortest", k: int = 3) -> None:
        _weight(policy)  # an unknown policy fails here, as candidate_paths would
        self._graph = graph
        self._policy = policy
        self._k = k
        self._searched: OrderedDict[int, tuple[NDArray[np.float64], NDArray[np.int32]]] = \
            OrderedDict()
        self._matrix: csr_array[np.float64] | None = None
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        self._indptr: list[int] = []
        self._indices: list[int] = []
        self._weights: list[float] = []
        if policy in ("shortest", "fidelity"):
            self._compile()

    def _compile(self) -> None:
        """The index graph, if every link has a positive finite weight (a zero weight is
        no edge to scipy's sparse search)."""
        graph = self._graph
        names = list(graph)
        index = {v: i for i, v in enumerate(names)}
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        fidelity = self._policy == "fidelity"
        for u, v, e in graph.edges(data=True):
            if fidelity:
                if "fidelity" not in e:
                    return
                w = -math.log(max(e["fidelity"], 1e-300))
            else:
                w = e.get("length_km", 1)  # networkx's default weight for a missing one
            if not (0.0 < w < math.inf) or u == v:
                return
            i, j = index[u], index[v]
            rows += (i, j)
            cols += (j, i)
            weights += (w, w)
        n = len(names)
        matrix = csr_array((np.array(weights, dtype=np.float64),
                            (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
                           shape=(n, n))
        matrix.sort_indices()
        self._matrix = matrix
        self._names = names
        self._index = index
        self._indptr = matrix.indptr.tolist()
        self._indices = matrix.indices.tolist()
        self._weights = matrix.data.tolist()

    def paths(self, a: str, b: str) -> list[list[str]]:
        """Paths from ``a`` to ``b``, best first, as :func:`candidate_paths` gives them.

        Raises:
            ConfigError: no path joins the two nodes.
        """
        index, matrix = self._index, self._matrix
        if matrix is None or a == b or a not in index or b not in index:
            return candidate_paths(self._graph, a, b, policy=self._policy, k=self._k)
        source, target = index[a], index[b]
        dist, pred = self._search(matrix, source)
        if not math.isfinite(float(dist[target])):
            raise ConfigError("demands.between", f"no path joins {a} and {b}")
        path = [target]
        indptr, indices, weights = self._indptr, self._indices, self._weights
        node = target
        while node != source:
            before = int(pred[node])
            # another way into ``node`` that is (nearly) as short: the shortest path may
            # not be unique, and networkx may pick another one
            slack = _TIE_RTOL * dist[node]
            for j in range(indptr[node], indptr[node + 1]):
                u = indices[j]
                if u != before and dist[u] + weights[j] <= dist[node] + slack:
                    return candidate_paths(self._graph, a, b, policy=self._policy,
                                           k=self._k)
            path.append(before)
            node = before
        names = self._names
        return [[names[i] for i in reversed(path)]]

    def _search(self, matrix: csr_array[np.float64],
                source: int) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
        found = self._searched.get(source)
        if found is not None:
            self._searched.move_to_end(source)
            return found
        dist, pred = dijkstra(matrix, directed=True, indices=[source],
                              return_predecessors=True)
        found = (dist[0], pred[0])
        self._searched[source] = found
        if len(self._searched) > _CACHED_SOURCES:
            self._searched.popitem(last=False)
        return found
