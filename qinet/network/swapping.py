"""Where and how repeaters swap: as soon as possible, or in a nested (doubling) order.

Swap-ASAP: a repeater swaps whenever it holds a qubit entangled towards each side.

Nested: the path is halved recursively; the repeater in the middle of a span swaps only
pairs that reach exactly the two ends of its span, so spans double at every level
(Briegel, Dür, Cirac and Zoller, PRL 81, 5932 (1998)). For a path that is not a power of
two the split point is the middle, rounded down.

:class:`SwapQueues` holds the qubits that wait at each repeater for a partner on the
other side. The swap itself, and what it means for the pair's life, is
:meth:`~qinet.network.path_protocol.PathProtocol._swap`; the state it makes is computed
later, in batches (:mod:`qinet.network.deferred`).
"""

from __future__ import annotations

from bisect import insort

from qinet.errors import ConfigError
from qinet.network.entanglement import End, Pair

POLICIES = ("asap", "nested")


def nested_spans(n_links: int) -> dict[int, tuple[int, int]]:
    """For each repeater position, the span ``(lo, hi)`` it joins in the nested scheme.

    Examples:
        >>> nested_spans(4)
        {2: (0, 4), 1: (0, 2), 3: (2, 4)}
        >>> nested_spans(3)
        {1: (0, 3), 2: (1, 3)}
    """
    if n_links < 1:
        raise ConfigError("path", f"needs at least one link, got {n_links}")
    spans: dict[int, tuple[int, int]] = {}
    stack = [(0, n_links)]
    while stack:
        lo, hi = stack.pop(0)
        if hi - lo < 2:
            continue
        mid = (lo + hi) // 2
        spans[mid] = (lo, hi)
        stack += [(lo, mid), (mid, hi)]
    return spans


class SwapQueues:
    """The qubits waiting at each position of a path for a swap, oldest first.

    Swap-ASAP: ``left[k]`` holds the qubits at position ``k`` entangled towards lower
    positions (their pair ends at ``k``), ``right[k]`` those entangled towards higher ones;
    the two oldest are swapped as soon as both sides have one. Nested: every pair in play
    spans one half of exactly one repeater's span (a link, or a product of that
    repeater's level), so its qubit at that repeater is put among the repeater's ready
    qubits on that side as soon as the pair exists, kept in the order the qubits were
    queued; the oldest ready qubit of each side are swapped. Qubits discarded meanwhile
    are skipped.

    Args:
        links: links on the path.
        policy: ``asap`` or ``nested``.

    Attributes:
        spans: for nested swapping, the span each repeater joins (else ``None``).
        left: per position, the waiting qubits entangled towards lower positions.
        right: per position, those entangled towards higher positions (a protocol that
            queues a link pair's qubits by the thousand appends to these itself, as
            :meth:`place` does for swap-ASAP).
    """

    __slots__ = ("_n", "_queued", "left", "right", "spans")

    def __init__(self, links: int, *, policy: str) -> None:
        self._n = links
        self.spans = nested_spans(links) if policy == "nested" else None
        # per repeater: the waiting qubits of each side (nested: the ready ones, in the
        # order they were queued). Lists, not deques: they hold a few qubits each, and
        # an empty deque takes 624 bytes to a list's 56 (a 10,000-node grid's thousand
        # demands keep 134,000 of these)
        self.left: list[list[End]] = [[] for _ in range(links + 1)]
        self.right: list[list[End]] = [[] for _ in range(links + 1)]
        self._queued = 0  # qubits queued so far (nested)

    def place(self, pair: Pair) -> tuple[int, ...]:
        """Queue the ends of the link pair ``pair`` that sit at repeaters; the repeaters
        where a swap may now be possible, in the order to try them."""
        lo_end, hi_end = pair.ends
        lo, hi = pair.lo, pair.hi
        if self.spans is None:
            inner_hi = hi < self._n
            if inner_hi:
                self.left[hi].append(hi_end)
            if lo > 0:
                self.right[lo].append(lo_end)
                return (lo, hi) if inner_hi else (lo,)
            return (hi,) if inner_hi else ()
        lo_end.queued = self._queued
        hi_end.queued = self._queued + 1
        self._queued += 2
        return self.joined(pair)

    def joined(self, pair: Pair) -> tuple[int, ...]:
        """Nested: ``pair`` (a link pair, or a swap's product) is ready at the repeater
        whose span it halves; that repeater, or nothing for the whole path."""
        spans, lo, hi = self.spans, pair.lo, pair.hi
        if spans is None:
            return ()
        parent = spans.get(hi)
        if parent is not None and parent[0] == lo:
            insort(self.left[hi], pair.ends[1], key=_queued_order)
            return (hi,)
        parent = spans.get(lo)
        if parent is not None and parent[1] == hi:
            insort(self.right[lo], pair.ends[0], key=_queued_order)
            return (lo,)
        return ()

    def take(self, k: int) -> tuple[End, End] | None:
        """Two qubits at repeater ``k`` to swap now, left then right, or ``None``."""
        left, right = self.left[k], self.right[k]
        if self.spans is None:
            while left and not left[0].held:
                del left[0]  # discarded by the cutoff
            while right and not right[0].held:
                del right[0]
            if not left or not right:
                return None
            return left.pop(0), right.pop(0)
        if not left or not right:
            return None
        i_left = _first_held(left)
        i_right = _first_held(right)
        if i_left is None or i_right is None:
            return None
        e_left, e_right = left[i_left], right[i_right]
        del left[i_left]
        del right[i_right]
        return e_left, e_right


def _queued_order(end: End) -> int:
    return end.queued


def _first_held(ready: list[End]) -> int | None:
    """Index of the oldest held qubit in ``ready``; discarded ones at the front go."""
    while ready and not ready[0].held:
        del ready[0]
    for i, end in enumerate(ready):
        if end.held:
            return i
    return None
