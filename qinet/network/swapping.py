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

from collections import deque

from qinet.errors import ConfigError
from qinet.network.entanglement import End, Pair, PairTable

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

    ``left[k]`` holds the qubits at position ``k`` entangled towards lower positions (their
    pair ends at ``k``), ``right[k]`` those entangled towards higher ones. Qubits that were
    discarded meanwhile are dropped when they reach the front.

    Args:
        links: links on the path.
        policy: ``asap`` or ``nested``.
        table: the path's pairs, to read a qubit's pair.

    Attributes:
        spans: for nested swapping, the span each repeater joins (else ``None``).
    """

    __slots__ = ("_left", "_n", "_right", "_table", "spans")

    def __init__(self, links: int, *, policy: str, table: PairTable) -> None:
        self._n = links
        self._table = table
        self.spans = nested_spans(links) if policy == "nested" else None
        self._left: list[deque[End]] = [deque() for _ in range(links + 1)]
        self._right: list[deque[End]] = [deque() for _ in range(links + 1)]

    def place(self, pair: Pair) -> None:
        """Queue the ends of ``pair`` that sit at repeaters."""
        lo_end, hi_end = pair.ends
        if pair.lo > 0:
            self._right[pair.lo].append(lo_end)
        if pair.hi < self._n:
            self._left[pair.hi].append(hi_end)

    def take(self, k: int) -> tuple[End, End] | None:
        """Two qubits at repeater ``k`` to swap now, left then right, or ``None``."""
        left, right = self._left[k], self._right[k]
        while left and not left[0].held:
            left.popleft()  # discarded by the cutoff
        while right and not right[0].held:
            right.popleft()
        if not left or not right:
            return None
        if self.spans is None:
            return left.popleft(), right.popleft()
        e_left = self._pick(left, k, lower=True)
        e_right = self._pick(right, k, lower=False)
        if e_left is None or e_right is None:
            return None
        left.remove(e_left)
        right.remove(e_right)
        return e_left, e_right

    def _pick(self, queue: deque[End], k: int, *, lower: bool) -> End | None:
        """The oldest held qubit whose pair reaches the end of ``k``'s span on its side."""
        span = self.spans.get(k) if self.spans is not None else None
        if span is None:
            return None
        want = span[0] if lower else span[1]
        table = self._table
        for end in queue:
            if end.held:
                pair = table[end.pair]
                if (pair.lo if lower else pair.hi) == want:
                    return end
        return None

    def repeaters_of(self, pair: Pair) -> tuple[int, ...]:
        """Positions where ``pair``'s arrival may complete a nested span (none for ASAP)."""
        if self.spans is None:
            return ()
        return tuple(p for p in (pair.lo, pair.hi) if 0 < p < self._n)
