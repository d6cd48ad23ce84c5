"""Trusted-node key relay: end-to-end keys from per-link key pools by one-time pad.

Each QKD link leaves the same secret bits at its two ends, a *key pool* per pair of
adjacent nodes. A key between two distant nodes travels hop by hop: the source's key is
the key of its first link; every trusted node on the path holds the keys of its two
links, ``k_in`` and ``k_out``, and announces ``k_in ⊕ k_out`` on a public classical
channel; the destination XORs every announcement into the key of its last link and
recovers the source's key. Each announcement is one-time-pad encrypted, so an
eavesdropper on the classical channels learns nothing, but every trusted node on the
path sees the key in the clear (the model of the SECOQC and Tokyo QKD networks and the
Beijing-Shanghai backbone: Peev et al., NJP 11, 075001 (2009); Sasaki et al., Opt.
Express 19, 10387 (2011); Chen et al., Nature 589, 214 (2021)).

A relay takes the same number of bits from every pool on its path, or none at all.

Examples:
    >>> import numpy as np
    >>> relay = KeyRelay({"a": False, "r": True, "b": False})
    >>> pools = relay.add_pool("a", "r"), relay.add_pool("r", "b")
    >>> relay.deposit("a", "r", np.array([1, 0, 1, 1], np.uint8))
    >>> relay.deposit("r", "b", np.array([0, 0, 1, 0], np.uint8))
    >>> out = relay.relay("a", "b", 4)
    >>> out.key_source.tolist() == out.key_destination.tolist(), out.exposed_to
    (True, ('r',))
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError, ResourceUnavailable


class KeyPool:
    """Secret bits shared by the two ends of one QKD link, spent first in, first out.

    Args:
        ends: the two nodes that hold the bits.
    """

    def __init__(self, ends: tuple[str, str]) -> None:
        self.ends = ends
        self._chunks: deque[NDArray[np.uint8]] = deque()
        self._head = 0  # bits already spent from the first chunk
        self.level = 0
        self.deposited = 0
        self.spent = 0

    def deposit(self, bits: NDArray[np.uint8]) -> None:
        """Add fresh key bits (0/1 values) at both ends."""
        bits = np.asarray(bits, dtype=np.uint8)
        if bits.size:
            self._chunks.append(bits)
            self.level += bits.size
            self.deposited += bits.size

    def take(self, n: int) -> NDArray[np.uint8]:
        """Spend the oldest ``n`` bits.

        Raises:
            ResourceUnavailable: fewer than ``n`` bits are in the pool (nothing is spent).
        """
        if n > self.level:
            raise ResourceUnavailable(f"pool {self.ends[0]}-{self.ends[1]} holds {self.level} "
                                      f"bits, {n} asked")
        out = np.empty(n, dtype=np.uint8)
        filled = 0
        while filled < n:
            chunk = self._chunks[0]
            step = min(n - filled, chunk.size - self._head)
            out[filled:filled + step] = chunk[self._head:self._head + step]
            filled += step
            self._head += step
            if self._head == chunk.size:
                self._chunks.popleft()
                self._head = 0
        self.level -= n
        self.spent += n
        return out


@dataclass(frozen=True, slots=True)
class RelayOutcome:
    """One end-to-end key and how it travelled.

    Attributes:
        path: nodes from source to destination.
        key_source: the key as the source holds it.
        key_destination: the key the destination recovered from the announcements.
        announcements: the public ``k_in ⊕ k_out`` of each trusted node, in path order.
        exposed_to: trusted nodes that saw the key in the clear.
    """

    path: tuple[str, ...]
    key_source: NDArray[np.uint8]
    key_destination: NDArray[np.uint8]
    announcements: tuple[NDArray[np.uint8], ...]
    exposed_to: tuple[str, ...]


class KeyRelay:
    """Key pools on a graph of nodes, and hop-by-hop relay through the trusted ones.

    Args:
        trusted: for every node, whether it may relay keys (see its key in the clear).
    """

    def __init__(self, trusted: Mapping[str, bool]) -> None:
        self.trusted = dict(trusted)
        self.graph: nx.Graph[str] = nx.Graph()
        self.graph.add_nodes_from(self.trusted)
        self.pools: dict[frozenset[str], KeyPool] = {}

    def add_pool(self, a: str, b: str) -> KeyPool:
        """Create the pool of the QKD link between ``a`` and ``b``."""
        for end in (a, b):
            if end not in self.trusted:
                raise ConfigError("between", f"unknown node {end!r}")
        pool = self.pools.setdefault(frozenset((a, b)), KeyPool((a, b)))
        self.graph.add_edge(a, b)
        return pool

    def pool(self, a: str, b: str) -> KeyPool:
        """The pool between two adjacent nodes."""
        return self.pools[frozenset((a, b))]

    def deposit(self, a: str, b: str, bits: NDArray[np.uint8]) -> None:
        """Fresh key bits from the QKD link between ``a`` and ``b``."""
        self.pool(a, b).deposit(bits)

    def routes(self, source: str, destination: str) -> list[tuple[str, ...]]:
        """Paths whose inner nodes are all trusted, fewest hops first.

        Raises:
            ConfigError: no such path exists.
        """
        allowed = {n for n, ok in self.trusted.items() if ok} | {source, destination}
        view = self.graph.subgraph(allowed)
        try:
            paths = [tuple(p) for p in nx.all_shortest_paths(view, source, destination)]
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            raise ConfigError("between", f"no path of QKD links through trusted nodes joins "
                                         f"{source} and {destination}") from None
        return paths

    def best_route(self, source: str, destination: str, bits: int,
                   reserve: Mapping[frozenset[str], int] | None = None) -> tuple[str, ...] | None:
        """The fewest-hop route whose scarcest pool holds the most key, if it can pay ``bits``.

        Args:
            reserve: bits each pool must keep after paying (for other demands).
        """
        reserve = reserve or {}
        best, level = None, -1
        for path in self.routes(source, destination):
            low = min(self.pool(a, b).level - reserve.get(frozenset((a, b)), 0)
                      for a, b in itertools.pairwise(path))
            if low > level:
                best, level = path, low
        return best if level >= bits else None

    def relay(self, source: str, destination: str, bits: int,
              path: Sequence[str] | None = None, *,
              reserve: Mapping[frozenset[str], int] | None = None) -> RelayOutcome:
        """Deliver a ``bits``-long key from ``source`` to ``destination``.

        Args:
            path: the route; by default :meth:`best_route`.
            reserve: bits each pool must keep after paying, when the route is chosen here.

        Raises:
            ResourceUnavailable: some pool on the path is short (nothing is spent).
        """
        if path is None:
            path = self.best_route(source, destination, bits, reserve)
            if path is None:
                raise ResourceUnavailable(f"no route from {source} to {destination} holds "
                                          f"{bits} key bits")
        pools = [self.pool(a, b) for a, b in itertools.pairwise(path)]
        if any(p.level < bits for p in pools):
            raise ResourceUnavailable(f"a pool on {'-'.join(path)} holds fewer than {bits} bits")
        hop_keys = [p.take(bits) for p in pools]
        announcements = tuple(k_in ^ k_out for k_in, k_out in itertools.pairwise(hop_keys))
        recovered = hop_keys[-1].copy()
        for message in announcements:
            recovered ^= message
        return RelayOutcome(path=tuple(path), key_source=hop_keys[0],
                            key_destination=recovered, announcements=announcements,
                            exposed_to=tuple(path[1:-1]))
