"""Pairs along a path, the qubits (ends) they live in, and the table that joins them.

An :class:`End` is a qubit in a memory slot at one position of a demand's path; a
:class:`Pair` joins two ends and carries the state. Swapping makes a new pair from two
old ones and re-uses their outer ends. States are decayed lazily: a pair remembers up to
when each of its qubits has been decayed, and catches up when it is read (:func:`decay`).

A pair's life is one :class:`PairState`::

    PURIFYING --> LIVE --> MERGED                (swapped into a longer pair)
        |          |  \\--> DELIVERED            (spans the path, outcomes all known)
        |          v
        '-----> DOOMED --> LOST                   (reached the path ends dead)

Ownership runs one way, so no per-pair object is ever part of a reference cycle and each
is freed by reference counting the moment the protocol lets go of it (the cyclic garbage
collector has nothing to do): a pair holds its two ends; an end names its pair by id, and
the protocol's :class:`PairTable` maps ids to the pairs in play; a pair swapped into a
longer one points to that product (``merged_into``), which never points back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from itertools import count
from typing import Any

from qinet.link.pairs import LinkPair
from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend


class PairState(Enum):
    """Where a pair is in its life.

    Attributes:
        PURIFYING: a link pair still passing its purification rounds (not swappable).
        LIVE: in play, and every operation of its history succeeded.
        DOOMED: in play, but a swap or purification failed or one of its qubits was
            discarded. The nodes cannot know yet (failed swaps are blind), so it is still
            swapped on; the path ends drop it when its outcomes arrive.
        MERGED: swapped into a longer pair, or measured as purification's sacrifice.
        DELIVERED: handed to the demand.
        LOST: reached the path ends doomed, or failed its purification.
    """

    PURIFYING = "purifying"
    LIVE = "live"
    DOOMED = "doomed"
    MERGED = "merged"
    DELIVERED = "delivered"
    LOST = "lost"


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
        pair: id of the pair the qubit belongs to now (see :class:`PairTable`).
        held: False once the qubit is measured, used or discarded.
        queued: order in which the qubit was queued for a swap (nested swapping).
    """

    position: int
    segment: int
    link_pair: LinkPair
    side: int
    memory: QuantumMemory
    stored_ps: int
    pair: int = -1
    held: bool = True
    queued: int = 0


@dataclass(slots=True, eq=False)
class Pair:
    """Entanglement between the ends at path positions ``lo`` < ``hi``.

    Qubit 0 of ``state`` is at ``lo``, qubit 1 at ``hi``.

    Attributes:
        id: the pair's key in its protocol's :class:`PairTable`.
        lo: path position of the lower end.
        hi: path position of the upper end.
        ends: the two ends, (at lo, at hi).
        state: the backend's one-pair batch.
        decayed_ps: time up to which each qubit's memory decay is in ``state``.
        status: where the pair is in its life.
        rounds: purification rounds this pair has passed.
        swaps: swaps in this pair's history.
        pending: swap outcomes of its history that the path ends still await (when
            outcomes are played as messages).
        known_ps: when both path ends have every swap outcome of its history (when
            outcomes are not played as messages).
        merged_into: the longer pair a swap made of this one (None until then; never
            the pair itself).
        requested_ps: when the first attempts that went into this pair began (the
            earliest over the link pairs of its history).
    """

    id: int
    lo: int
    hi: int
    ends: tuple[End, End]
    state: Any
    decayed_ps: list[int]
    status: PairState = PairState.LIVE
    rounds: int = 0
    swaps: int = 0
    pending: int = 0
    known_ps: int = 0
    merged_into: Pair | None = None
    requested_ps: int = 0

    def root(self) -> Pair:
        """The pair this one's history ended up in, with path compression.

        A pair that was never swapped into another (delivered, lost, or still in play)
        is its own root, so the walk always ends.
        """
        node = self
        while node.merged_into is not None:
            node = node.merged_into
        walker = self
        while walker is not node:
            walker.merged_into, walker = node, walker.merged_into
        return node


class PairTable(dict[int, Pair]):
    """The pairs in play on one path, by id: how an end finds the pair it belongs to.

    ``table[end.pair]`` is the pair a held qubit belongs to.

    Attributes:
        ids: the ids of new pairs, in order (a protocol that makes pairs by the thousand
            builds them itself, as :meth:`add` does, and takes their ids from here).

    Examples:
        >>> table = PairTable()
        >>> ends = (End(0, 0, None, 0, None, 0), End(1, 0, None, 1, None, 0))
        >>> pair = table.add(0, 1, ends, None, [0, 0])
        >>> table[pair.id] is pair, len(table), ends[1].pair == pair.id
        (True, 1, True)
        >>> table.drop(pair); len(table)
        0

    """

    __slots__ = ("ids",)

    def __init__(self) -> None:
        super().__init__()
        self.ids = count()

    def add(self, lo: int, hi: int, ends: tuple[End, End], state: Any,
            decayed_ps: list[int], status: PairState = PairState.LIVE, rounds: int = 0,
            swaps: int = 0, pending: int = 0, known_ps: int = 0,
            requested_ps: int = 0) -> Pair:
        """A new pair in play, with ``ends`` pointed at it (the rest as :class:`Pair`)."""
        pair_id = next(self.ids)
        pair = Pair(pair_id, lo, hi, ends, state, decayed_ps,
                    status, rounds, swaps, pending, known_ps, None, requested_ps)
        for end in ends:
            end.pair = pair_id
        self[pair_id] = pair
        return pair

    def drop(self, pair: Pair) -> None:
        """Forget ``pair``: it left play (merged, delivered, lost, or holds no qubit)."""
        self.pop(pair.id, None)


def decay(backend: QuantumBackend, pair: Pair, now_ps: int, qubit: int) -> Any:
    """``pair``'s state with ``qubit``'s memory decay caught up to ``now_ps`` (stored back)."""
    waited = now_ps - pair.decayed_ps[qubit]
    if waited <= 0:
        return pair.state
    memory = pair.ends[qubit].memory
    pair.decayed_ps[qubit] = now_ps
    pair.state = backend.memory_decay(pair.state, waited * 1e-12, t1_s=memory.t1_s,
                                      t2_s=memory.t2_s, qubit=qubit)
    return pair.state
