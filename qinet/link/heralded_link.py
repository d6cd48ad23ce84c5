"""The link protocol: memory pairs trying back to back, pairs handed to a consumer.

:class:`HeraldedLink` holds what both modes share: the link's memory pairs, counters,
and the hand-over of a :class:`~qinet.link.pairs.LinkPair` to the layer above. The modes
differ only in how they reach the next success: :mod:`qinet.link.detailed` plays every
attempt with its heralding messages, :mod:`qinet.link.fast_forward` samples the number
of attempts and jumps there.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from itertools import chain, repeat
from typing import Any, ClassVar

import numpy as np

from qinet.devices.node import QuantumNode
from qinet.errors import ProtocolError
from qinet.kernel.timeline import Timeline
from qinet.link.model import AttemptModel
from qinet.link.pairs import LINK, MEMORY_PAIR, SLOT_A, SLOT_B, LinkPair

PairConsumer = Callable[[LinkPair], None]
_new_tuple = tuple.__new__


class HeraldedLink(ABC):
    """Heralded entanglement generation between two neighbouring nodes.

    Each of the link's ``memory_pairs`` (one memory at each node) tries to make a pair,
    attempt after attempt, until one heralds. The pair is handed to ``consumer``; the
    memory pair tries again once the consumer hands the pair back with :meth:`release`.

    Args:
        name: the link's name.
        model: the compiled attempt model of the link's scheme.
        node_a: the node at end a.
        node_b: the node at end b.
        timeline: the clock.
        rng: the link's own random stream.
        memory_pairs: how many memory pairs the link takes from each node.
        consumer: called with every new pair, at the time both nodes know it; a link
            without one (a link no demand uses) cannot start.

    Attributes:
        attempts: attempts whose outcome both nodes know by the clock's current time;
            an attempt still under way when the run ends is not counted (the same in
            both modes).
        successes: pairs heralded so far (delivered to both nodes).
        released: pairs handed back.
    """

    __slots__ = ("_attempts_known", "_bank_a", "_bank_b", "_held_since_ps", "_holding", "_parked",
                 "_ready_ps", "_reset_ps", "_slots", "_stored_ps", "_turnaround_ps", "consumer",
                 "holding_ps", "may_retry", "memory_pairs", "model", "name", "node_a", "node_b",
                 "released", "rng", "successes", "timeline")

    mode: ClassVar[str]

    def __init__(
        self,
        name: str,
        model: AttemptModel,
        node_a: QuantumNode,
        node_b: QuantumNode,
        *,
        timeline: Timeline,
        rng: np.random.Generator,
        memory_pairs: int,
        consumer: PairConsumer | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.node_a = node_a
        self.node_b = node_b
        self.timeline = timeline
        self.rng = rng
        self.memory_pairs = memory_pairs
        self.consumer: PairConsumer | None = consumer
        self._attempts_known = 0  # attempts whose outcome both nodes have heard
        self.successes = 0
        self.released = 0
        self._slots: list[tuple[int, int]] = []
        self._holding: list[list[bool]] = []  # per memory pair: is side a / b still held?
        self._held_since_ps: list[int] = []
        self.holding_ps = 0  # memory-pair time spent holding delivered pairs
        self._ready_ps: list[int] = []  # earliest next attempt of each memory pair
        self._parked: set[int] = set()
        # asked when a memory pair's two memories are free: may it try again? (None: yes)
        self.may_retry: Callable[[int], bool] | None = None
        # read for every pair, so kept at hand (set again by start, from the model)
        self._stored_ps = model.timing.stored_ps
        self._turnaround_ps = model.timing.turnaround_ps
        self._reset_ps = model.timing.reset_ps
        self._bank_a = node_a.memories
        self._bank_b = node_b.memories

    @property
    def attempts(self) -> int:
        """Attempts whose outcome both nodes know by now (see the class docstring)."""
        return self._attempts_known + self._attempts_in_flight(self.timeline.now_ps)

    def _attempts_in_flight(self, now_ps: int) -> int:
        """Attempts known by ``now_ps`` that are not yet in ``_attempts_known``."""
        return 0

    def start(self) -> None:
        """Take the memories and start every memory pair trying.

        Side Effects:
            Acquires ``memory_pairs`` slots at each node and schedules the first attempts.
        """
        if self.consumer is None:
            raise ProtocolError(f"link {self.name} cannot start: nothing takes its pairs")
        timing = self.model.timing
        self._stored_ps = (int(timing.stored_ps[0]), int(timing.stored_ps[1]))
        # Python ints: the times of the next attempts are made of them
        self._turnaround_ps = int(timing.turnaround_ps)
        self._reset_ps = int(timing.reset_ps)
        self._bank_a = self.node_a.memories
        self._bank_b = self.node_b.memories
        now = self.timeline.now_ps
        for i in range(self.memory_pairs):
            slot_a = self.node_a.memories.acquire(self.name, now_ps=now)
            slot_b = self.node_b.memories.acquire(self.name, now_ps=now)
            self._slots.append((slot_a, slot_b))
            self._holding.append([False, False])
            self._held_since_ps.append(now)
            self._ready_ps.append(now)
            self._begin(i)

    def release(self, pair: LinkPair) -> None:
        """Hand a delivered pair back: its memories are free to try again from now.

        Raises:
            ProtocolError: the pair is not held (released twice, or not this link's).
        """
        self.release_end(pair, 0)
        self.release_end(pair, 1)

    def park(self, pair: LinkPair) -> None:
        """Take a delivered pair back unused and stop its memory pair: nobody wants more.

        Side Effects:
            Frees both memories; the memory pair makes no more attempts.
        """
        self._parked.add(pair.memory_pair)
        self.release(pair)

    def hold(self, memory_pair: int) -> None:
        """Keep a memory pair that still holds a pair from trying again once it is freed:
        nobody wants more pairs. :meth:`resume` restarts it.

        Raises:
            ProtocolError: the memory pair holds no pair (it is trying, or parked).
        """
        if not any(self._holding[memory_pair]):
            raise ProtocolError(f"link {self.name}: memory pair {memory_pair} holds no pair")
        self._parked.add(memory_pair)

    def resume(self, limit: int | None = None) -> int:
        """Restart the parked memory pairs: every one, or the first ``limit`` by index.

        Returns:
            How many were restarted (fewer than ``limit`` when fewer were parked).

        Side Effects:
            Schedules those memory pairs' attempts from now.
        """
        parked = sorted(self._parked)
        if limit is not None:
            parked = parked[:max(0, limit)]
        self._parked.difference_update(parked)
        for i in parked:
            self._begin(i)
        return len(parked)

    def release_end(self, pair: LinkPair, side: int, *, ready_ps: int = 0) -> None:
        """Free the memory at one end (0 = node a, 1 = node b) of a delivered pair.

        A memory pair tries again once both of its memories are free: after a swap, the
        qubit at one end is measured while the other lives on in a longer pair. Its next
        attempt starts no earlier than ``ready_ps`` (a memory being reset) nor than the
        turnaround after its last success.

        Raises:
            ProtocolError: that end is not held (released twice, or not this link's).
        """
        i = pair.memory_pair
        if pair.link != self.name or not self._holding[i][side]:
            raise ProtocolError(
                f"link {self.name}: memory pair {i}, end {'ab'[side]}, is not held")
        if ready_ps > self._ready_ps[i]:
            self._ready_ps[i] = ready_ps
        held = self._holding[i]
        held[side] = False
        now = self.timeline.now_ps
        if side:
            self.node_b.memories.vacate(pair.slot_b, now_ps=now)
            if held[0]:
                return
        else:
            self.node_a.memories.vacate(pair.slot_a, now_ps=now)
            if held[1]:
                return
        self.released += 1
        self.holding_ps += now - self._held_since_ps[i]
        may_retry = self.may_retry
        if may_retry is not None and not may_retry(i):
            self._parked.add(i)
        if i not in self._parked:
            self._begin(i)

    def free_end(self, pair: LinkPair, side: int) -> None:
        """:meth:`release_end` for a qubit used now: its memory must be reset
        (``timing.reset_ps``) before the memory pair tries again.

        Raises:
            ProtocolError: that end is not held (released twice, or not this link's).
        """
        # release_end written out, the bank's vacate too: this runs for every qubit a
        # swap measures, twice per link pair; the pair's fields are read by index
        i = pair[MEMORY_PAIR]
        if pair[LINK] != self.name or not self._holding[i][side]:
            raise ProtocolError(
                f"link {self.name}: memory pair {i}, end {'ab'[side]}, is not held")
        held = self._holding[i]
        now = self.timeline.now_ps
        ready = now + self._reset_ps
        ready_ps = self._ready_ps
        if ready > ready_ps[i]:
            ready_ps[i] = ready
        held[side] = False
        if side:
            bank, slot = self._bank_b, pair[SLOT_B]
        else:
            bank, slot = self._bank_a, pair[SLOT_A]
        occupied = bank.occupied_since
        since = occupied[slot]
        if since is not None:
            bank.occupied_ps += now - since
            occupied[slot] = None
        if held[1 - side]:
            return
        self.released += 1
        self.holding_ps += now - self._held_since_ps[i]
        may_retry = self.may_retry
        if may_retry is not None and not may_retry(i):
            self._parked.add(i)
        if i not in self._parked:
            self._begin(i)

    def _deliver(self, i: int, attempts: int, attempt_start_ps: int, requested_ps: int) -> None:
        # inlined, the memory banks' occupy too: this runs once per heralded pair
        slot_a, slot_b = self._slots[i]
        stored_a, stored_b = self._stored_ps
        stored_a += attempt_start_ps
        stored_b += attempt_start_ps
        now = self.timeline.now_ps
        # a named tuple's own constructor is a Python function; tuple's is not
        pair = _new_tuple(LinkPair, (self.name, i, slot_a, slot_b, requested_ps, stored_a,
                                     stored_b, now, attempts))
        self.successes += 1
        held = self._holding[i]
        held[0] = held[1] = True
        self._held_since_ps[i] = now
        occupied_a = self._bank_a.occupied_since
        occupied_b = self._bank_b.occupied_since
        if occupied_a[slot_a] is not None or occupied_b[slot_b] is not None:
            self._bank_a.occupy(slot_a, since_ps=stored_a)  # raises: a qubit is there
            self._bank_b.occupy(slot_b, since_ps=stored_b)
        occupied_a[slot_a] = stored_a
        occupied_b[slot_b] = stored_b
        self._ready_ps[i] = attempt_start_ps + self._turnaround_ps
        consumer = self.consumer
        if consumer is None:  # only a started link delivers, and start needs a consumer
            raise ProtocolError(f"link {self.name} delivered a pair with no consumer")
        consumer(pair)

    def holding_fraction(self, elapsed_ps: int) -> float:
        """Share of the link's memory-pair time spent holding pairs rather than trying."""
        now = self.timeline.now_ps
        held = sum(now - since for since, (a, b) in zip(self._held_since_ps, self._holding,
                                                         strict=True) if a or b)
        total = elapsed_ps * self.memory_pairs
        return (self.holding_ps + held) / total if total > 0 else 0.0

    def _first_attempt_ps(self, i: int) -> int:
        """When memory pair ``i``, free from now, can make its first attempt."""
        return max(self.timeline.now_ps, self._ready_ps[i])

    @abstractmethod
    def _begin(self, i: int) -> None:
        """Start memory pair ``i`` trying, from the current time."""


class BufferedDraws:
    """Random draws made in batches and handed out one at a time.

    A scalar numpy draw costs about a microsecond; a batch of thousands costs little more,
    so protocols that need one draw per event take them from here. Batches start small
    and double up to ``max_size``, so the thousands of links of a large network that
    each need a few draws do not each pay for thousands. The first batch is drawn when
    the object is built, each later one when the one before is used up.

    Attributes:
        take: the next draw (a C-level iterator's ``__next__``: no Python frame per draw).
    """

    __slots__ = ("take",)

    take: Callable[[], Any]

    def __init__(self, draw: Callable[[int], np.ndarray], max_size: int = 4096) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        sizes = []  # of the batches after the first, up to max_size, then max_size on
        size = 8
        while True:
            size = min(2 * size, max_size)
            sizes.append(size)
            if size == max_size:
                break
        first = draw(8).tolist()
        later = chain.from_iterable(draw(n).tolist() for n in chain(sizes, repeat(max_size)))
        self.take = chain(first, later).__next__
