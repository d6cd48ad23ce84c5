"""Pairs along a path and the qubits (ends) they live in.

An :class:`End` is a qubit in a memory slot at one position of a demand's path; a
:class:`Pair` joins two ends and carries the state. Swapping makes a new pair from two
old ones and re-uses their outer ends. States are decayed lazily: a pair remembers up to
when each of its qubits has been decayed, and catches up when it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qinet.kernel.timeline import EventHandle
from qinet.link.pairs import LinkPair
from qinet.physical.memories import QuantumMemory


@dataclass(slots=True, eq=False)
class End:
    """One qubit of a pair, in a memory slot of the node at ``position`` on the path.

    Attributes:
        position: index of the node on the demand's path.
        segment: index of the path's link that made the qubit's link pair.
        link_pair: the link-level pair whose memory the qubit sits in.
        side: which end of ``link_pair`` this is (0 = the link's node a, 1 = node b).
        memory: the memory's physics, for the decay.
        stored_ps: when the qubit entered memory.
        pair: the pair the qubit belongs to now.
        held: False once the qubit is measured, used or discarded.
        cutoff: the pending cutoff event, if any.
    """

    position: int
    segment: int
    link_pair: LinkPair
    side: int
    memory: QuantumMemory
    stored_ps: int
    pair: Pair | None = None
    held: bool = True
    cutoff: EventHandle | None = None


@dataclass(slots=True, eq=False)
class Pair:
    """Entanglement between the ends at path positions ``lo`` < ``hi``.

    Qubit 0 of ``state`` is at ``lo``, qubit 1 at ``hi``.

    Attributes:
        lo: path position of the lower end.
        hi: path position of the upper end.
        ends: the two ends, (at lo, at hi).
        state: the backend's one-pair batch.
        decayed_ps: time up to which each qubit's memory decay is in ``state``.
        alive: False after a failed swap or purification, or a discarded end.
        pending: swap outcomes of this pair's history that the path ends still await.
        rounds: purification rounds this pair has passed.
        merged_into: the pair a swap or purification turned this one into.
        swaps: swaps in this pair's history.
        counted: whether it was counted as a made end-to-end pair.
        known_ps: when both path ends have every swap outcome of its history (used when
            outcomes are not played as message events).
    """

    lo: int
    hi: int
    ends: tuple[End, End]
    state: Any
    decayed_ps: list[int]
    alive: bool = True
    pending: int = 0
    rounds: int = 0
    merged_into: Pair | None = None
    swaps: int = 0
    counted: bool = False  # counted as a made end-to-end pair when its last swap succeeded
    known_ps: int = 0  # when both path ends have every swap outcome of its history

    def root(self) -> Pair:
        """The pair this one's history ended up in (with path compression)."""
        node = self
        while node.merged_into is not None:
            node = node.merged_into
        walker = self
        while walker.merged_into is not None and walker.merged_into is not node:
            walker.merged_into, walker = node, walker.merged_into
        return node
