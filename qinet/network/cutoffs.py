"""Cutoffs: a qubit older than the limit is discarded, with one timer per memory queue.

The qubits a link hands to one side of one demand enter memory in the order the link
heralds them, so their deadlines (time stored + cutoff) come in order too. They wait in
a first-in first-out queue with one timer, set for the oldest qubit still held. Qubits
used before their deadline are simply skipped when the timer comes, so no timer is ever
cancelled, and the clock's heap holds one entry per queue instead of one per qubit.

Examples:
    >>> from collections import namedtuple
    >>> from qinet.kernel.timeline import Timeline
    >>> Qubit = namedtuple("Qubit", "segment side stored_ps held")
    >>> tl, expired = Timeline(), []
    >>> cutoffs = Cutoffs(tl, cutoff_ps=100, segments=1, on_expired=expired.append)
    >>> cutoffs.watch(Qubit(0, 0, 0, False))  # used before its deadline: skipped
    >>> cutoffs.watch(Qubit(0, 0, 50, True))
    >>> tl.run()
    >>> [(q.stored_ps, tl.now_ps) for q in expired], tl.events_processed
    ([(50, 150)], 2)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from qinet.kernel.timeline import Timeline


class Cutoffs:
    """Discards every watched qubit that is still held ``cutoff_ps`` after it was stored.

    Args:
        timeline: the clock.
        cutoff_ps: the oldest a qubit may get.
        segments: links on the path; each has a queue for each of its two sides.
        on_expired: called with each qubit whose deadline passed while it was held.
    """

    __slots__ = ("_alarm", "_cutoff", "_latest", "_on_expired", "_queues", "_timeline")

    def __init__(self, timeline: Timeline, *, cutoff_ps: int, segments: int,
                 on_expired: Callable[[Any], None]) -> None:
        self._timeline = timeline
        self._cutoff = cutoff_ps
        self._on_expired = on_expired
        # lists, not deques: short, and an empty deque takes 624 bytes to a list's 56
        self._queues: list[list[Any]] = [[] for _ in range(2 * segments)]
        self._alarm: list[int | None] = [None] * (2 * segments)  # when each timer fires
        # per queue, the latest storage time queued so far (never below its last qubit's,
        # so a qubit stored at or after it simply goes to the back)
        self._latest: list[int] = [-1] * (2 * segments)

    def watch(self, qubit: Any) -> None:
        """Start the clock of ``qubit`` (an :class:`~qinet.network.entanglement.End`)."""
        self._watch(2 * qubit.segment + qubit.side, qubit, qubit.stored_ps)

    def watch_all(self, qubits: Iterable[Any]) -> None:
        """Start the clocks of ``qubits``, in order."""
        for qubit in qubits:
            self._watch(2 * qubit.segment + qubit.side, qubit, qubit.stored_ps)

    def watch_end(self, segment: int, qubit: Any, side: int, stored_ps: int) -> None:
        """:meth:`watch` of ``qubit``, held at ``side`` of link ``segment`` since
        ``stored_ps`` (what the caller knows passed in)."""
        self._watch(2 * segment + side, qubit, stored_ps)

    def watch_pair(self, segment: int, lo: Any, lo_side: int, lo_stored_ps: int,
                   hi: Any, hi_stored_ps: int) -> None:
        """Start the clocks of a new link pair's two ends: ``lo`` then ``hi``, on link
        ``segment``, ``lo`` at the link's side ``lo_side`` (``hi`` at the other), stored
        at the times given (:meth:`watch` of each, with what the caller knows passed in)."""
        q = 2 * segment + lo_side
        self._watch(q, lo, lo_stored_ps)
        self._watch(q + 1 if lo_side == 0 else q - 1, hi, hi_stored_ps)

    def _watch(self, q: int, qubit: Any, stored: int) -> None:
        queue = self._queues[q]
        if stored < self._latest[q]:
            at = len(queue)  # out of order (never seen on one link): keep it sorted
            while at and queue[at - 1].stored_ps > stored:
                at -= 1
            queue.insert(at, qubit)
        else:
            queue.append(qubit)
            self._latest[q] = stored
        deadline = stored + self._cutoff
        alarm = self._alarm[q]
        if alarm is not None and alarm <= deadline:
            return  # the timer goes off first anyway (this runs for every qubit)
        # a qubit can already be older than the cutoff when its herald arrives (a
        # cutoff shorter than the link's round trip): its timer fires now
        now = self._timeline.now_ps
        if deadline < now:
            deadline = now
        if alarm is None or deadline < alarm:
            self._alarm[q] = deadline
            self._timeline.schedule_at(deadline, self._expire, q, deadline)

    def _expire(self, q: int, alarm: int) -> None:
        if self._alarm[q] != alarm:
            return  # superseded by an earlier alarm, which already did the work
        self._alarm[q] = None
        queue = self._queues[q]
        limit = self._timeline.now_ps - self._cutoff
        while queue:
            stale = 0
            for qubit in queue:
                if qubit.held:
                    break
                stale += 1
            if stale:
                del queue[:stale]  # used, measured or freed before their deadlines
                continue
            qubit = queue[0]
            if qubit.stored_ps > limit:
                break
            del queue[0]
            self._on_expired(qubit)
        if queue and self._alarm[q] is None:
            deadline = max(queue[0].stored_ps + self._cutoff, self._timeline.now_ps)
            self._alarm[q] = deadline
            self._timeline.schedule_at(deadline, self._expire, q, deadline)
