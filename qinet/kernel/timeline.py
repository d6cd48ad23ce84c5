"""The discrete-event clock: integer picoseconds and a heap of callbacks.

Events are ``[time_ps, seq, callback, args]`` lists on a binary heap. ``seq`` comes from
a counter, so events due at the same picosecond run in the order they were scheduled
(FIFO), and the run is deterministic. Cancelling is lazy: the entry stays on the heap
with its callback cleared and is skipped when it comes up.

Examples:
    >>> tl = Timeline()
    >>> log = []
    >>> _ = tl.schedule_at(20, log.append, "b")
    >>> _ = tl.schedule_at(10, log.append, "a")
    >>> _ = tl.schedule_at(20, log.append, "c")
    >>> tl.run()
    >>> log, tl.now_ps
    (['a', 'b', 'c'], 20)
"""

from __future__ import annotations

import gc
import heapq
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import count
from typing import Any, TypeAlias

from qinet.errors import SimulationError

# An event is a mutable list so that a handle can cancel it in place: [time, seq, fn, args].
EventHandle: TypeAlias = list[Any]

_FN = 2  # where an event keeps its callback (the run loop indexes events inline)
_push = heapq.heappush

# While events run, the cyclic garbage collector looks at the youngest objects only after
# this many allocations rather than Python's 700. An event loop allocates and frees
# objects by the million; at 700 many still-live ones (pairs waiting in memory, events on
# the heap) survive each look and are promoted, and the full collections that promotion
# sets off rescan every object of a large network, again and again, to find no cycle (the
# protocols are written to make none). Cycles, if any, are still collected, later.
_GC_YOUNG_THRESHOLD = 100_000
_gc_lock = threading.Lock()
_gc_runs = 0  # Timeline.run calls in progress, in any thread
_gc_saved: tuple[int, int, int] = (700, 10, 10)
_gc_froze = False  # whether the outermost run froze the objects it found


def _gc_enter() -> None:
    global _gc_froze, _gc_runs, _gc_saved
    with _gc_lock:
        if _gc_runs == 0:
            _gc_saved = gc.get_threshold()
            if _gc_saved[0] and _gc_saved[0] < _GC_YOUNG_THRESHOLD:
                gc.set_threshold(_GC_YOUNG_THRESHOLD, *_gc_saved[1:])
                # what exists now (the network, built) is left out of every scan until
                # the last run ends: the full collections a run's allocations set off
                # would rescan all of it, to find no cycle. Not where the process froze
                # objects itself: unfreezing would undo that too
                _gc_froze = gc.get_freeze_count() == 0
                if _gc_froze:
                    gc.freeze()
        _gc_runs += 1


def _gc_exit() -> None:
    global _gc_froze, _gc_runs
    with _gc_lock:
        _gc_runs -= 1
        if _gc_runs == 0:
            if gc.get_threshold()[0] == _GC_YOUNG_THRESHOLD:
                gc.set_threshold(*_gc_saved)
            if _gc_froze:
                gc.unfreeze()
                _gc_froze = False


@contextmanager
def rare_collections() -> Iterator[None]:
    """Within this context the cyclic garbage collector looks at young objects as rarely
    as it does while :meth:`Timeline.run` runs (the same setting, shared and nested).

    For the work right after a run, such as reading its results: the objects the run
    left young are many (the network's pairs and qubits in play), and at Python's
    default setting the first collections would scan them, promote them, and scan them
    again in every older-generation collection, only to find no cycle.

    Examples:
        >>> with rare_collections():
        ...     gc.get_threshold()[0] >= 100_000
        True
    """
    _gc_enter()
    try:
        yield
    finally:
        _gc_exit()


class Timeline:
    """An integer-picosecond event clock.

    Attributes:
        now_ps: the current simulated time, in picoseconds.
        events_processed: callbacks run so far (cancelled events are not counted).
    """

    __slots__ = ("_counter", "_heap", "_stopped", "events_processed", "now_ps")

    def __init__(self) -> None:
        self.now_ps: int = 0
        self.events_processed: int = 0
        self._heap: list[EventHandle] = []
        self._counter = count()
        self._stopped = False

    @property
    def now_s(self) -> float:
        """The current simulated time in seconds."""
        return self.now_ps * 1e-12

    @property
    def pending(self) -> int:
        """Events on the heap, cancelled ones included until they are popped."""
        return len(self._heap)

    def schedule_at(self, time_ps: int, fn: Callable[..., Any], *args: Any) -> EventHandle:
        """Run ``fn(*args)`` at absolute time ``time_ps``; returns a handle for :meth:`cancel`.

        Raises:
            SimulationError: ``time_ps`` lies in the past or is not an integer.
        """
        # inlined checks: this runs for every event; a float or numpy time takes the slow way
        if time_ps.__class__ is not int or time_ps < self.now_ps:
            if time_ps < self.now_ps or time_ps != int(time_ps):
                raise SimulationError(
                    f"cannot schedule {_name(fn)} at t={time_ps} ps: the clock is at "
                    f"{self.now_ps} ps and times are whole picoseconds"
                )
            time_ps = int(time_ps)
        entry = [time_ps, next(self._counter), fn, args]
        _push(self._heap, entry)
        return entry

    def schedule_after(self, delay_ps: int, fn: Callable[..., Any], *args: Any) -> EventHandle:
        """Run ``fn(*args)`` ``delay_ps`` picoseconds from now (``delay_ps >= 0``)."""
        # inlined rather than calling schedule_at: this is the hot path of every protocol
        if delay_ps.__class__ is not int or delay_ps < 0:
            if delay_ps < 0 or delay_ps != int(delay_ps):
                raise SimulationError(
                    f"cannot schedule {_name(fn)} after {delay_ps} ps: delays are "
                    f"non-negative whole picoseconds"
                )
            delay_ps = int(delay_ps)
        entry = [self.now_ps + delay_ps, next(self._counter), fn, args]
        _push(self._heap, entry)
        return entry

    def pusher(self) -> tuple[Callable[[EventHandle], None], Callable[[], int]]:
        """The unchecked way in, for code that schedules an event for every simulated
        pair: ``push([time_ps, seq(), fn, args])`` is :meth:`schedule_at` without its
        checks or its call (the list is the event's handle).

        The caller guarantees what :meth:`schedule_at` would check: ``time_ps`` is an
        ``int`` not before :attr:`now_ps`, and ``args`` is a tuple.

        Examples:
            >>> tl = Timeline()
            >>> push, seq = tl.pusher()
            >>> push([5, seq(), print, ("at 5",)])
            >>> tl.run()
            at 5
        """
        return partial(_push, self._heap), self._counter.__next__

    @staticmethod
    def cancel(handle: EventHandle) -> None:
        """Cancel a scheduled event; cancelling twice, or after it ran, does nothing."""
        handle[_FN] = None

    @staticmethod
    def is_cancelled(handle: EventHandle) -> bool:
        """Whether ``handle`` was cancelled."""
        return handle[_FN] is None

    def stop(self) -> None:
        """Make :meth:`run` return after the current callback."""
        self._stopped = True

    @property
    def stopped(self) -> bool:
        """Whether the last :meth:`run` ended by :meth:`stop`."""
        return self._stopped

    def run(self, until_ps: int | None = None, max_events: int | None = None) -> None:
        """Process events in time order.

        Args:
            until_ps: run events due at or before this time, then set the clock to it.
                ``None`` runs until the heap is empty.
            max_events: stop after this many callbacks (for stepping and tests).

        Raises:
            SimulationError: a callback raised; the message gives the simulated time and
                the callback, and the original exception is chained.
        """
        heap = self._heap
        pop = heapq.heappop
        limit = float("inf") if until_ps is None else until_ps
        budget = -1 if max_events is None else max_events
        processed = 0
        self._stopped = False
        entry: EventHandle = [0, 0, None, ()]
        _gc_enter()
        try:
            # inlined loop: every simulated event passes through these few lines
            while heap and processed != budget:
                entry = pop(heap)
                fn = entry[2]
                if fn is None:
                    continue
                if entry[0] > limit:
                    _push(heap, entry)
                    break
                self.now_ps = entry[0]
                processed += 1
                fn(*entry[3])
                if self._stopped:
                    break
        except Exception as exc:
            self.events_processed += processed
            raise SimulationError(
                f"at t={self.now_ps} ps ({self.now_ps * 1e-12:.6g} s), "
                f"{_name(entry[2])} raised {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            _gc_exit()
        self.events_processed += processed
        if until_ps is not None and not self._stopped and processed != budget:
            self.now_ps = max(self.now_ps, until_ps)

    def step(self) -> bool:
        """Run the next live event; returns False when none is left."""
        before = self.events_processed
        self.run(max_events=1)
        return self.events_processed > before


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)
