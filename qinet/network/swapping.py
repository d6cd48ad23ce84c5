"""Where and how repeaters swap: as soon as possible, or in a nested (doubling) order.

Swap-ASAP: a repeater swaps whenever it holds a qubit entangled towards each side.

Nested: the path is halved recursively; the repeater in the middle of a span swaps only
pairs that reach exactly the two ends of its span, so spans double at every level
(Briegel, Dür, Cirac and Zoller, PRL 81, 5932 (1998)). For a path that is not a power of
two the split point is the middle, rounded down.

:class:`SwapQueues` holds the qubits that wait at each repeater for a partner on the
other side; :func:`swapped_state` is the Bell-state measurement itself. The protocol
that decides what a swap means for the pair's life is
:class:`~qinet.network.path_protocol.PathProtocol`.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import numpy as np

from qinet.errors import ConfigError
from qinet.network.entanglement import End, Pair, PairTable, decay
from qinet.quantum.backend import QuantumBackend

if TYPE_CHECKING:
    from qinet.network.policy import NodeOperations

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
        e_left = self._pick(left, k, lower=True)
        if e_left is None:
            return None
        e_right = self._pick(right, k, lower=False)
        if e_right is None:
            return None
        left.remove(e_left)
        right.remove(e_right)
        return e_left, e_right

    def _pick(self, queue: deque[End], k: int, *, lower: bool) -> End | None:
        while queue and not queue[0].held:
            queue.popleft()  # discarded by the cutoff
        if self.spans is None:
            return queue[0] if queue else None
        span = self.spans.get(k)
        if span is None:
            return None
        want = span[0] if lower else span[1]
        table = self._table
        for end in queue:
            if end.held:
                pair = table.of(end)
                if (pair.lo if lower else pair.hi) == want:
                    return end
        return None

    def repeaters_of(self, pair: Pair) -> tuple[int, ...]:
        """Positions where ``pair``'s arrival may complete a nested span (none for ASAP)."""
        if self.spans is None:
            return ()
        return tuple(p for p in (pair.lo, pair.hi) if 0 < p < self._n)


def swapped_state(backend: QuantumBackend, left: Pair, right: Pair, now_ps: int,
                  ops: NodeOperations, rng: np.random.Generator) -> Any:
    """The state a Bell-state measurement on ``left``'s qubit 1 and ``right``'s qubit 0 at
    ``now_ps`` leaves on the outer qubits (the measured qubits decay up to ``now_ps``)."""
    left_state = decay(backend, left, now_ps, 1)
    right_state = decay(backend, right, now_ps, 0)
    return backend.swap(left_state, right_state, rng=rng,
                        gate_depolarizing=ops.gate_depolarizing,
                        measurement_error=ops.measurement_error)
